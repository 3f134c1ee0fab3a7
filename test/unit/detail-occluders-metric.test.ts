import { describe, expect, it } from 'vitest';
import { occludedRms, type DetailScene, type MethodField } from '../../bench/detail/evaluate.js';

/** A 4×1 scene whose first two pixels are occluded, and a method field with the given displacement. */
function case4(displacement: number[], occluded?: number[]): [DetailScene, MethodField] {
  const n = displacement.length, z = new Float32Array(3 * n);
  const scene = {
    id: 't', subject: 'synthetic', split: 'tune', size: 4, image: { width: n, height: 1, channels: 3, data: z }, camera: { width: n, height: 1, fx: 1, fy: 1, cx: 0, cy: 0 },
    focalLength35mm: 50, mmPerPixel: 1, mask: new Uint8Array(n), gtDetailed: z, gtSmooth: z, ...(occluded ? { occluded: Uint8Array.from(occluded) } : {}),
  } as unknown as DetailScene;
  const m: MethodField = { detailed: z, proxy: z, field: z, displacement: Float32Array.from(displacement), coverage: new Float32Array(n).fill(1) };
  return [scene, m];
}

describe('detail benchmark: displacement under occluders', () => {
  it('is the RMS over occluded pixels only, 0 for zero detail, NaN without occluders', () => {
    expect(occludedRms(...case4([0, 0, 5, 5], [1, 1, 0, 0]))).toBe(0);
    expect(occludedRms(...case4([0.3, -0.4, 9, 9], [1, 1, 0, 0]))).toBeCloseTo(Math.sqrt((0.09 + 0.16) / 2), 6);
    // Off the method's mesh (NaN displacement) is not counted.
    expect(occludedRms(...case4([0.2, Number.NaN, 0, 0], [1, 1, 0, 0]))).toBeCloseTo(0.2, 6);
    expect(occludedRms(...case4([1, 1, 1, 1]))).toBeNaN();
  });
});

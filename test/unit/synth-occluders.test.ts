import { beforeAll, describe, expect, it } from 'vitest';
import type { IctModelData } from '../../src/core/model/ict-cache.js';
import { loadIctModel } from '../../src/node/model-import/load-ict.js';
import { renderSynthCase, synthCase } from '../../bench/synth/scene.js';

describe('training scenes: hair-fringe occluders', () => {
  let data: IctModelData;
  beforeAll(async () => { data = await loadIctModel({ source: 'bundled' }); });

  it('a fringe covers forehead pixels, which leave the skin mask; without it nothing is occluded', () => {
    const base = { age: 60, preset: 'browRaise', size: 256, glasses: false } as const;
    const withHair = synthCase(data, 21, { ...base, hair: true });
    const without = synthCase(data, 21, { ...base, hair: false });
    expect(withHair.hair?.strands).toBeGreaterThanOrEqual(8);
    expect(without.hair).toBeUndefined();
    // The hair draw comes last: the rest of the scene is the same.
    expect(withHair.yawDeg).toBe(without.yawDeg);
    const a = renderSynthCase(data, withHair), b = renderSynthCase(data, without);
    const W = a.camera.width, H = a.camera.height;
    let occ = 0, occInMask = 0, occRowSum = 0, maskRowSum = 0, maskN = 0;
    for (let p = 0; p < W * H; p++) {
      if (a.render.occluded[p]! > 0.5) { occ++; occRowSum += Math.floor(p / W); if (a.mask[p]) occInMask++; }
      if (b.mask[p]) { maskRowSum += Math.floor(p / W); maskN++; }
      expect(b.render.occluded[p]).toBe(0);
    }
    expect(occ).toBeGreaterThan(20);
    expect(occInMask).toBe(0);
    // Above the face's centre (image rows grow downward): the forehead.
    expect(occRowSum / occ).toBeLessThan(maskRowSum / maskN);
  }, 60_000);
});

/**
 * The open mouth's colours (src/core/model/mouth-colors.ts) on synthetic photos with known
 * answers: an inner-lip ellipse holding a band of teeth over a dark interior, on skin, with
 * red lips around it; a closed mouth (lips only) gives neither colour.
 */
import { describe, expect, it } from 'vitest';
import { linearToSrgb, luminance } from '../../src/core/image/image.js';
import { cameraFacingShading, estimateMouthColors, INNER_LIPS } from '../../src/core/head/mouth-colors.js';
import type { Image } from '../../src/core/types.js';

const W = 200, H = 120;
const SKIN = [0.45, 0.3, 0.22] as const, LIPS = [0.35, 0.09, 0.08] as const, TEETH = [0.62, 0.56, 0.45] as const, INTERIOR = [0.015, 0.006, 0.005] as const;
const SKIN_LUM = luminance(SKIN[0], SKIN[1], SKIN[2]);

/** Inner lips: an ellipse of half-axes (50, ry) about (100, 60); the upper `teethShare` of it teeth, the rest interior; lips in a 12 px ring around it. */
function mouthPhoto(ry: number, teethShare: number, inside: readonly number[] = INTERIOR): { image: Image; landmarks: Float32Array } {
  const data = new Float32Array(W * H * 3);
  const top = 60 - ry, split = top + 2 * ry * teethShare;
  for (let y = 0; y < H; y++) {
    for (let x = 0; x < W; x++) {
      const px = x + 0.5 - 100, py = y + 0.5 - 60;
      const e = (px / 50) ** 2 + (py / Math.max(ry, 1e-6)) ** 2;
      const eo = (px / 62) ** 2 + (py / (ry + 12)) ** 2;
      const c = e <= 1 ? (y + 0.5 < split ? TEETH : inside) : eo <= 1 ? LIPS : SKIN;
      for (let k = 0; k < 3; k++) data[(y * W + x) * 3 + k] = linearToSrgb(c[k]!);
    }
  }
  const landmarks = new Float32Array(468 * 3);
  INNER_LIPS.forEach((idx, k) => {
    const a = (2 * Math.PI * k) / INNER_LIPS.length;
    landmarks[3 * idx] = 100 + 50 * Math.cos(a);
    landmarks[3 * idx + 1] = 60 + ry * Math.sin(a);
  });
  return { image: { width: W, height: H, channels: 3, data }, landmarks };
}

const close = (got: readonly number[] | undefined, want: readonly number[], tol: number): void => {
  expect(got).toBeDefined();
  const worst = Math.max(...want.map((w, c) => Math.abs(got![c]! - w)));
  expect(worst, `got ${got!.map((x) => x.toFixed(4)).join(', ')}, want ${want.join(', ')}`).toBeLessThan(tol);
};

describe('estimateMouthColors', () => {
  it('measures the teeth and the dark interior of an open mouth (linear RGB, within 2 %)', () => {
    const { image, landmarks } = mouthPhoto(20, 0.45);
    const m = estimateMouthColors(image, landmarks, SKIN_LUM)!;
    close(m.teeth, TEETH, 0.02);
    close(m.interior, INTERIOR, 0.005);
    expect(m.teethShare).toBeGreaterThan(0.3);
    expect(m.interiorShare).toBeGreaterThan(0.4);
  });

  it('gives neither colour for closed lips, and null for a slit with too few pixels', () => {
    // A closed mouth: the polygon's inside is lips.
    const closed = mouthPhoto(8, 0, LIPS);
    const m = estimateMouthColors(closed.image, closed.landmarks, SKIN_LUM)!;
    expect(m.teeth).toBeUndefined();
    expect(m.interior).toBeUndefined();
    const slit = mouthPhoto(0.3, 0.5);
    expect(estimateMouthColors(slit.image, slit.landmarks, SKIN_LUM)).toBeNull();
  });

  it('reports a dark interior without teeth only when it fills the opening', () => {
    const open = mouthPhoto(25, 0);
    expect(estimateMouthColors(open.image, open.landmarks, SKIN_LUM)!.interior).toBeDefined();
  });
});

describe('cameraFacingShading', () => {
  it('averages the SH shading over the vertices that face the camera only', () => {
    // Two vertices 500 mm in front of the camera: one facing it (normal −z), one facing away.
    const mesh = { positions: Float32Array.of(0, 0, 500, 10, 0, 500), indices: new Uint32Array(0), normals: Float32Array.of(0, 0, -1, 0, 0, 1) };
    // SH: band 0 only (constant 1 / Y₀₀ → shading 1), plus a z term that makes −z brighter in red.
    const sh = new Float64Array(27);
    for (let c = 0; c < 3; c++) sh[9 * c] = 1 / 0.282095;
    sh[2] = -0.5 / 0.488603; // red: shading 1 + 0.5 at n = (0, 0, −1)
    const s = cameraFacingShading(mesh, sh)!;
    expect(s[0]).toBeCloseTo(1.5, 4);
    expect(s[1]).toBeCloseTo(1, 4);
    expect(cameraFacingShading({ ...mesh, normals: Float32Array.of(0, 0, 1, 0, 0, 1) }, sh)).toBeUndefined();
  });
});

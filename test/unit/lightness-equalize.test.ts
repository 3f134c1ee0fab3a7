import { describe, expect, it } from 'vitest';
import { luminance } from '../../src/core/image/image.js';
import { computeAlbedo } from '../../src/core/lighting/albedo.js';
import { finalAlbedo } from '../../src/core/lighting/final-albedo.js';
import { LIGHTNESS_EQUALIZE_DEFAULTS, equalizeLightness } from '../../src/core/lighting/lightness-equalize.js';
import type { UVGeometry } from '../../src/core/unwrap/uv-geometry.js';
import type { Image } from '../../src/core/types.js';

/** A 128² skin albedo (0.6, 0.45, 0.35) times a lightness ramp (left half in a soft shadow), with a 3-texel dark mole at (96, 64). */
function scene(): { img: Image; coverage: Uint8Array; ramp: (x: number) => number } {
  const W = 128, H = 128, data = new Float32Array(W * H * 3), coverage = new Uint8Array(W * H).fill(1);
  const ramp = (x: number): number => 0.5 + 0.5 / (1 + Math.exp(-(x - 64) / 8));
  for (let y = 0; y < H; y++) for (let x = 0; x < W; x++) {
    const mole = (x - 96) ** 2 + (y - 64) ** 2 <= 2.25 ? 0.4 : 1;
    const k = y * W + x, f = ramp(x) * mole;
    data[3 * k] = 0.6 * f; data[3 * k + 1] = 0.45 * f; data[3 * k + 2] = 0.35 * f;
  }
  return { img: { width: W, height: H, channels: 3, data }, coverage, ramp };
}
const lum = (d: Float32Array, k: number): number => luminance(d[3 * k]!, d[3 * k + 1]!, d[3 * k + 2]!);

describe('lightness equalisation', () => {
  it('flattens a smooth shadow ramp, keeps a small mole and every texel\'s chromaticity', () => {
    const { img, coverage } = scene();
    const out = equalizeLightness(img, coverage, { sigmaFraction: 0.06, strength: 1, clampLog: 0.7 });
    const W = 128, row = 32 * W; // a row away from the mole
    const before = Math.log(lum(img.data, row + 120) / lum(img.data, row + 8));
    const after = Math.log(lum(out.data, row + 120) / lum(out.data, row + 8));
    expect(before).toBeGreaterThan(0.6); // ln 2 ≈ 0.69 across the ramp
    expect(Math.abs(after)).toBeLessThan(0.2 * before);
    // The mole's contrast against its ring 6 texels away stays (a feature ≪ σ).
    const c = (d: Float32Array): number => lum(d, 64 * W + 96) / lum(d, 64 * W + 102);
    expect(c(out.data)).toBeCloseTo(c(img.data), 1);
    // Chromaticity unchanged: one factor per texel.
    for (const k of [0, row + 8, row + 120, 64 * W + 96]) {
      expect(out.data[3 * k]! / out.data[3 * k + 1]!).toBeCloseTo(img.data[3 * k]! / img.data[3 * k + 1]!, 5);
      expect(out.data[3 * k + 2]! / out.data[3 * k + 1]!).toBeCloseTo(img.data[3 * k + 2]! / img.data[3 * k + 1]!, 5);
    }
  });

  it('with weights, a wide dark region left out of the low-pass keeps its contrast (no halo around it)', () => {
    const W = 128, H = 128, data = new Float32Array(W * H * 3), coverage = new Uint8Array(W * H).fill(1), weights = new Float32Array(W * H).fill(1);
    // A flat skin with a "brow": a 40 × 12 band at 0.35× its lightness, far wider than a mole.
    for (let y = 0; y < H; y++) for (let x = 0; x < W; x++) {
      const brow = x >= 44 && x < 84 && y >= 58 && y < 70, k = y * W + x, f = brow ? 0.35 : 1;
      data[3 * k] = 0.6 * f; data[3 * k + 1] = 0.45 * f; data[3 * k + 2] = 0.35 * f;
      if (brow) weights[k] = 0;
    }
    const img: Image = { width: W, height: H, channels: 3, data };
    const opts = { sigmaFraction: 0.06, strength: 1, clampLog: 0.7 };
    const plain = equalizeLightness(img, coverage, opts), guided = equalizeLightness(img, coverage, opts, weights);
    const skinNear = 54 * W + 64, skinFar = 10 * W + 10, browMid = 64 * W + 64;
    // Unweighted: the brow pulls the low-pass down, the skin next to it is brightened (a halo) and the brow loses contrast.
    expect(lum(plain.data, skinNear) / lum(plain.data, skinFar)).toBeGreaterThan(1.1);
    // Weighted: the skin stays flat and the brow keeps its 0.35 contrast.
    expect(lum(guided.data, skinNear) / lum(guided.data, skinFar)).toBeCloseTo(1, 2);
    expect(lum(guided.data, browMid) / lum(guided.data, skinNear)).toBeCloseTo(0.35, 2);
    expect(() => equalizeLightness(img, coverage, opts, new Float32Array(5))).toThrow(/weights must be length 16384, got 5/);
  });

  it('strength 0 is the identity; texels off the coverage are copied; bad options are typed errors', () => {
    const { img, coverage } = scene();
    expect(equalizeLightness(img, coverage, { sigmaFraction: 0.06, strength: 0, clampLog: 0.7 }).data).toEqual(img.data);
    const half = coverage.map((_, k) => (k % 128 < 64 ? 0 : 1));
    const out = equalizeLightness(img, half, { sigmaFraction: 0.06, strength: 1, clampLog: 0.7 });
    for (const k of [5, 128 * 40 + 10]) expect(out.data[3 * k]).toBe(img.data[3 * k]);
    expect(() => equalizeLightness(img, coverage, { sigmaFraction: 0, strength: 1, clampLog: 0.7 })).toThrow(expect.objectContaining({ code: 'INVALID_OPTION' }));
    expect(() => equalizeLightness(img, coverage, { sigmaFraction: 0.05, strength: 2, clampLog: 0.7 })).toThrow(/strength must be a number from 0 to 1, got 2/);
  });

  it('is the final albedo\'s last step: albedoEqualize 0 is the division alone, the default flattens a cast shadow the shading cannot explain', () => {
    // A flat, frontal patch under ambient + frontal light (SH: constant + z terms), its left half in
    // a soft cast shadow (the scene's ramp, ×0.5) that a normal-based shading cannot explain.
    const { img, coverage } = scene();
    const W = 128, n = W * W, normal = new Float32Array(3 * n);
    for (let k = 0; k < n; k++) normal[3 * k + 2] = -1;
    const geom = { width: W, height: W, coverage, normal } as unknown as UVGeometry;
    const sh = new Float64Array(27);
    for (let c = 0; c < 3; c++) { sh[9 * c] = 1.2; sh[9 * c + 2] = -0.4; }
    const off = finalAlbedo({ texLinear: img, geom }, normal, W, sh, { strength: 0 });
    const division = computeAlbedo(img, normal, coverage, sh, { chromaNormals: normal });
    expect(Array.from(off.linear.data)).toEqual(Array.from(division.data));
    const on = finalAlbedo({ texLinear: img, geom }, normal, W, sh, { skin: new Float32Array(n).fill(1) });
    expect(LIGHTNESS_EQUALIZE_DEFAULTS.strength).toBeGreaterThan(0);
    const row = 32 * W, spread = (d: Float32Array): number => Math.abs(Math.log(lum(d, row + 120) / lum(d, row + 8)));
    expect(spread(division.data)).toBeGreaterThan(0.5);
    expect(spread(on.linear.data)).toBeLessThan(0.6 * spread(division.data));
    expect(on.srgb.data.length).toBe(on.linear.data.length);
  });
});


import { describe, expect, it } from 'vitest';
import { FaceDetailError } from '../../src/core/errors.js';
import { ALBEDO_DEFAULTS, computeAlbedo, directionalSH, evalSH } from '../../src/core/lighting/index.js';
import { REC709_LUMA } from '../../src/core/image/image.js';
import type { Image } from '../../src/core/types.js';

const LUMA = REC709_LUMA;

function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 4294967296;
  };
}

/** n random unit normals; `front` keeps them within ~70° of the camera direction (−z). */
function normals(n: number, seed: number, front: boolean): Float32Array {
  const r = rng(seed), out = new Float32Array(3 * n);
  for (let i = 0; i < n; i++) {
    let x = 0, y = 0, z = 0, l = 0;
    do {
      x = 2 * r() - 1; y = 2 * r() - 1; z = 2 * r() - 1; l = Math.hypot(x, y, z);
    } while (!(l > 0.1 && l <= 1) || (front && z / l > -0.35));
    out[3 * i] = x / l; out[3 * i + 1] = y / l; out[3 * i + 2] = z / l;
  }
  return out;
}

/** Texture = albedo × per-channel shading; albedo a smooth skin colour with some variation. */
function scene(n: number, nrm: Float32Array, sh: ArrayLike<number>, seed = 5): { tex: Image; albedo: Float32Array } {
  const r = rng(seed);
  const tex: Image = { width: n, height: 1, channels: 3, data: new Float32Array(3 * n) };
  const albedo = new Float32Array(3 * n);
  for (let i = 0; i < n; i++) {
    const y = 0.3 + 0.2 * r();
    const rho = [y * 1.3, y, y * 0.75];
    for (let c = 0; c < 3; c++) {
      albedo[3 * i + c] = rho[c]!;
      tex.data[3 * i + c] = rho[c]! * Math.max(0, evalSH(sh, c, nrm[3 * i]!, nrm[3 * i + 1]!, nrm[3 * i + 2]!));
    }
  }
  return { tex, albedo };
}

const lumaShading = (sh: ArrayLike<number>, n: Float32Array, i: number): number =>
  LUMA[0] * evalSH(sh, 0, n[3 * i]!, n[3 * i + 1]!, n[3 * i + 2]!) + LUMA[1] * evalSH(sh, 1, n[3 * i]!, n[3 * i + 1]!, n[3 * i + 2]!) + LUMA[2] * evalSH(sh, 2, n[3 * i]!, n[3 * i + 1]!, n[3 * i + 2]!);

describe('computeAlbedo (shared shading, the default)', () => {
  const n = 4000;
  const nrm = normals(n, 1, true);
  const cov = new Uint8Array(n).fill(1);

  it('recovers the albedo exactly under white light wherever the shading is above the guard', () => {
    const sh = directionalSH(0.3, -0.4, -0.87, [1, 1, 1], 0.25);
    const { tex, albedo } = scene(n, nrm, sh);
    const alb = computeAlbedo(tex, nrm, cov, sh);
    let mean = 0;
    for (let i = 0; i < n; i++) mean += lumaShading(sh, nrm, i) / n;
    let worst = 0, checked = 0;
    for (let i = 0; i < n; i++) {
      if (lumaShading(sh, nrm, i) < 2 * ALBEDO_DEFAULTS.shadingFloor * mean) continue;
      checked++;
      for (let c = 0; c < 3; c++) worst = Math.max(worst, Math.abs(alb.data[3 * i + c]! - albedo[3 * i + c]!) / albedo[3 * i + c]!);
    }
    expect(checked).toBeGreaterThan(n / 2);
    expect(worst).toBeLessThan(1e-5);
  });

  it('recovers a coloured light exactly when its colour stays within the bound and the colour guard is 0', () => {
    // Warm key + cool fill: the light's colour varies with the normal by ≈ ±25 %.
    const sh = directionalSH(0.5, -0.3, -0.8, [1, 0.85, 0.7], 0.3);
    const fill = directionalSH(-0.6, 0, -0.8, [0.2, 0.25, 0.35], 0.1);
    for (let i = 0; i < 27; i++) sh[i] = sh[i]! + fill[i]!;
    const { tex, albedo } = scene(n, nrm, sh);
    const alb = computeAlbedo(tex, nrm, cov, sh, { lightChromaBound: 3, lightChromaFloor: 0, shadowFill: 'none' });
    // Up to one global colour (the light's mean colour goes into the albedo): compare chromaticity ratios.
    let mean = 0;
    for (let i = 0; i < n; i++) mean += lumaShading(sh, nrm, i) / n;
    let worst = 0;
    for (let i = 0; i < n; i++) {
      if (lumaShading(sh, nrm, i) < 2 * ALBEDO_DEFAULTS.shadingFloor * mean) continue;
      for (const c of [0, 2]) {
        const got = Math.log(alb.data[3 * i + c]! / alb.data[3 * i + 1]!), want = Math.log(albedo[3 * i + c]! / albedo[3 * i + 1]!);
        worst = Math.max(worst, Math.abs(got - want));
      }
    }
    expect(worst).toBeLessThan(1e-4);
  });

  it('cannot paint colour streaks: the albedo chroma stays within the light-colour bound of the photo chroma, at any normal', () => {
    // A per-channel fit gone wild: the green channel's quadratic crosses zero at grazing and
    // back-facing normals while red stays positive (the two_people.jpg failure).
    const sh = directionalSH(0, -0.2, -0.98, [1, 1, 1], 0.2);
    sh[9 + 6] = sh[9 + 6]! + 1.2; sh[9] = sh[9]! - 0.8; sh[18 + 3] = sh[18 + 3]! + 0.6;
    const all = normals(n, 9, false);
    const r = rng(2);
    const tex: Image = { width: n, height: 1, channels: 3, data: new Float32Array(3 * n) };
    for (let i = 0; i < n; i++) { const y = 0.02 + 0.3 * r(); tex.data.set([y * 1.3, y, y * 0.8], 3 * i); }
    const beta = 0.15;
    const alb = computeAlbedo(tex, all, cov, sh, { lightChromaBound: beta, shadowFill: 'none' });
    const before = computeAlbedo(tex, all, cov, sh, { mode: 'per-channel', shadingFloor: 0.05 });
    let worst = 0, worstBefore = 0;
    for (let i = 0; i < n; i++) {
      for (const c of [0, 2]) {
        const photo = Math.log(tex.data[3 * i + c]! / tex.data[3 * i + 1]!);
        worst = Math.max(worst, Math.abs(Math.log(alb.data[3 * i + c]! / alb.data[3 * i + 1]!) - photo));
        worstBefore = Math.max(worstBefore, Math.abs(Math.log(Math.max(1e-6, before.data[3 * i + c]!) / Math.max(1e-6, before.data[3 * i + 1]!)) - photo));
      }
    }
    expect(worst).toBeLessThanOrEqual(2 * beta + 1e-6);
    expect(worstBefore).toBeGreaterThan(1); // the per-channel division did streak here
  });

  it('scales a too-bright texel down keeping its hue, and fills deep shadow with the median albedo', () => {
    const sh = directionalSH(0, 0, -1, [1, 1, 1], 0);
    const nr = new Float32Array([0, 0, -1, 0, 0, -1, 0, 0, -1, 0, 0, 1]); // the last texel faces away: S ≈ 0
    const tex: Image = { width: 4, height: 1, channels: 3, data: new Float32Array([0.3, 0.2, 0.1, 0.3, 0.2, 0.1, 2.4, 1.2, 0.6, 0.01, 0.01, 0.01]) };
    const c4 = new Uint8Array(4).fill(1);
    const s = evalSH(sh, 0, 0, 0, -1);
    const alb = computeAlbedo(tex, nr, c4, sh, { shadowFill: 'median' });
    expect(alb.data[6]).toBeCloseTo(1, 6); // brightest channel to maxAlbedo …
    expect(alb.data[7]! / alb.data[6]!).toBeCloseTo(0.5, 6); // … hue kept
    expect(alb.data[8]! / alb.data[6]!).toBeCloseTo(0.25, 6);
    expect(alb.data[0]).toBeCloseTo(0.3 / s, 6);
    // Shadowed texel: the median of the well-lit ones (texels 0, 1, 2 → texel 0's colour).
    for (let c = 0; c < 3; c++) expect(alb.data[9 + c]).toBeCloseTo(alb.data[c]!, 6);
    const none = computeAlbedo(tex, nr, c4, sh, { shadowFill: 'none' });
    expect(none.data[9]).not.toBeCloseTo(alb.data[0]!, 2);
    // 'capped': the median's hue at the texel's own (guarded) lightness when that is darker.
    const cap = computeAlbedo(tex, nr, c4, sh, { shadowFill: 'capped' });
    expect(computeAlbedo(tex, nr, c4, sh).data).toEqual(alb.data); // the default is the median fill
    const own = none.data[9]!; // grey texel: luminance = each channel
    expect(own).toBeLessThan(alb.data[1]!);
    const yMed = LUMA[0] * alb.data[0]! + LUMA[1] * alb.data[1]! + LUMA[2] * alb.data[2]!;
    for (let c = 0; c < 3; c++) expect(cap.data[9 + c]).toBeCloseTo(alb.data[c]! * own / yMed, 6);
  });

  it('validates its options with the project wording', () => {
    const tex: Image = { width: 1, height: 1, channels: 3, data: new Float32Array(3) };
    const sh = directionalSH(0, 0, -1, [1, 1, 1], 0);
    const call = (o: object) => () => computeAlbedo(tex, new Float32Array([0, 0, -1]), new Uint8Array([1]), sh, o);
    expect(call({ mode: 'rgb' })).toThrow(FaceDetailError);
    expect(call({ mode: 'rgb' })).toThrow("mode: expected 'shared' or 'per-channel', received rgb");
    expect(call({ lightChromaBound: -1 })).toThrow('lightChromaBound: expected a log-ratio ≥ 0, received -1');
    expect(call({ chromaNormals: new Float32Array(6) })).toThrow('chromaNormals: expected length 3, received 6');
    // undefined never overrides a default
    expect(call({ mode: undefined })).not.toThrow();
  });
});

import { boxSum } from './box-filter.js';
import { REC709_LUMA, luminance } from '../image/image.js';

/**
 * "Dark is deep": a crease prior from fine-scale shading. Under soft or frontal light a wrinkle
 * darkens the skin only to second order in its slope, so the linearised appearance loss
 * (solve-detail.ts) leaves it nearly flat. Fine-scale darkening that neither the albedo nor the
 * proxy's shading explains is mostly cavity occlusion, i.e. depth: this term turns the band-passed
 * log-ratio log(I / (ρ·s(n0))) into an inward displacement.
 *
 *   d_dark = gain · w · [ G_σs ∗ r − G_σb ∗ r ],   r = log(lum(I) / lum(ρ·s(n0))) clamped to ±0.7
 *
 * with normalised (masked) convolutions, `w` the solver's data weight (0 on brows, lips, eyes,
 * low confidence, colour edges) smoothed, σs a small smoothing and σb the band limit (relief
 * broader than σb is the proxy's job). Each Gaussian is three box passes.
 */
export interface DarkIsDeepOptions {
  /** mm of inward displacement per unit of log-ratio (a 20 % darker crease ≈ −0.22). 0 = off. */
  gainMm: number;
  /** σ (mm) of the band limit: darkening broader than this is left to the proxy. */
  bandMm: number;
  /** σ (mm) of the smoothing of the ratio (noise, pores below it are dropped). */
  smoothMm: number;
}

export const DARK_IS_DEEP_DEFAULTS: Readonly<DarkIsDeepOptions> = Object.freeze({ gainMm: 0, bandMm: 2.5, smoothMm: 0.25 });

/**
 * The dark-is-deep displacement (mm, per texel, 0 where `weight` is 0).
 *
 * @example
 * const d = darkIsDeep(tex, albedo, shading, weight, 1024, 1024, 0.2, { gainMm: 1, bandMm: 2.5, smoothMm: 0.25 });
 */
export function darkIsDeep(
  texture: Float32Array, albedo: Float32Array, shading: Float32Array, weight: Float32Array,
  W: number, H: number, texelMm: number, options: DarkIsDeepOptions,
): Float32Array {
  const N = W * H;
  const out = new Float32Array(N);
  if (!(options.gainMm !== 0)) return out;
  const r = new Float64Array(N), m = new Float64Array(N);
  for (let k = 0; k < N; k++) {
    const w = weight[k]!;
    if (!(w > 0)) continue;
    const k3 = 3 * k;
    const li = luminance(texture[k3]!, texture[k3 + 1]!, texture[k3 + 2]!);
    const lp = REC709_LUMA[0] * albedo[k3]! * shading[k3]! + REC709_LUMA[1] * albedo[k3 + 1]! * shading[k3 + 1]! + REC709_LUMA[2] * albedo[k3 + 2]! * shading[k3 + 2]!;
    if (!(li > 1e-4 && lp > 1e-4)) continue;
    let v = Math.log(li / lp);
    if (v > 0.7) v = 0.7; else if (v < -0.7) v = -0.7;
    r[k] = v * w;
    m[k] = w;
  }
  const tmp = new Float64Array(N);
  const blur = (src: Float64Array, sigmaMm: number): Float64Array => {
    // Three box passes of radius ρ approximate a Gaussian with σ² = 3·((2ρ+1)² − 1)/12.
    const sigma = sigmaMm / texelMm;
    const rad = Math.max(0, Math.round((Math.sqrt(4 * sigma * sigma + 1) - 1) / 2));
    const a = new Float64Array(src);
    if (rad === 0) return a;
    for (let pass = 0; pass < 3; pass++) boxSum(a, W, H, rad, a, tmp);
    // Box sums → means, so blurs of different widths are comparable.
    const norm = 1 / Math.pow(2 * rad + 1, 6);
    for (let k = 0; k < N; k++) a[k] = a[k]! * norm;
    return a;
  };
  const rs = blur(r, options.smoothMm), ms = blur(m, options.smoothMm);
  const rb = blur(r, options.bandMm), mb = blur(m, options.bandMm);
  for (let k = 0; k < N; k++) {
    if (!(weight[k]! > 0) || !(ms[k]! > 1e-9) || !(mb[k]! > 1e-9)) continue;
    // Confidence of the estimate: the smoothed weight (fades out toward masked regions).
    const conf = Math.min(1, ms[k]! / Math.max(mb[k]!, 1e-9));
    out[k] = options.gainMm * conf * (rs[k]! / ms[k]! - rb[k]! / mb[k]!);
  }
  return out;
}

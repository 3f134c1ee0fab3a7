/**
 * Lightness equalisation of a de-lit albedo: removes the smooth, face-wide lightness variation
 * that the order-2 SH shading cannot explain (cast shadows of the nose and brows, ambient
 * occlusion in the eye sockets and under the chin, a hard light's falloff), keeping the albedo's
 * chroma and its fine pigment (freckles, moles, stubble, brows, lips) untouched.
 *
 * With Y the albedo's luminance (Rec. 709) over the covered texels and m the median of ln Y:
 *
 *     d(t)    = clamp(ln Y(t) − m, −clampLog, +clampLog)
 *     low(t)  = Σ w·d / Σ w   over a window of σ = sigmaFraction × texture width
 *               (three normalised box passes ≈ a Gaussian; w = `weights`, default the coverage)
 *     out_c(t) = albedo_c(t) · exp(−strength · low(t))
 *
 * The clamp keeps dark features that are not shading (brows, nostrils, a beard) from pulling the
 * low-pass down around them; `weights` can leave them out of the low-pass altogether (e.g. the
 * skin mask: 0 on the brows, eyes, lips and nostrils), so they take the correction of the skin
 * around them and keep their own contrast to it (m is then the median over the weighted texels); features much narrower than σ stay as they are, features as wide as
 * the face (a real difference between the forehead's and the cheeks' lightness) are flattened
 * too — that is the price, chosen on the albedo benchmark's tuning renders. Isomorphic.
 */
import { boxSum } from '../detail/box-filter.js';
import { selectKth } from '../math/select.js';
import { REC709_LUMA as LUMA } from '../image/image.js';
import { invalidOption } from '../options.js';
import type { Image } from '../types.js';

/** Options of {@link equalizeLightness}. */
export interface LightnessEqualizeOptions {
  /** σ of the low-pass as a fraction of the texture width (0.04 ≈ 8 mm at the face's scale). */
  sigmaFraction: number;
  /** Share of the low-pass lightness removed: 0 = none, 1 = all. */
  strength: number;
  /** Bound of |ln Y − median| entering the low-pass. */
  clampLog: number;
}

/**
 * The low-pass weights of the pipeline's equalisation: `'coverage'` every covered texel;
 * `'skin'` the lighting stage's skin mask (brows, eyes, lips, nostrils and the hair-prone border
 * band left out, so they keep their contrast to the skin around them).
 */
export type EqualizeWeights = 'coverage' | 'skin';

/**
 * The pipeline's equalisation (`albedoEqualize` is its strength), chosen on two measurements:
 * `npm run bench:albedo -- --equalize` (the scan's renders with a known albedo: fewest texels with
 * ΔE > 10 on the tuning half; bench/results/albedo-equalize.json) and
 * `bench/albedo/pigment-contrast.ts` on real photos (the share of the photo's brow and lip
 * contrast kept; bench/results/albedo-pigment.json). The coverage-weighted low-pass scores best on
 * the renders (σ 0.007, s 0.8: held-out 5.77 %) but keeps only a quarter of the brow and lip
 * contrast on photos (the scan's brows are light and shadowed in its renders, so they do not show
 * it); the skin-guided one is best among the points that keep it (σ 0.007, s 0.8: held-out 6.34 %,
 * keeps 0.79 / 0.87 of it, as the division alone 0.82 / 0.91). σ as a fraction of the map
 * (0.007 ≈ 1.5 mm on the face).
 *
 * @example equalizeLightness(albedo, coverage, LIGHTNESS_EQUALIZE_DEFAULTS, skinMask)
 */
export const LIGHTNESS_EQUALIZE_DEFAULTS: Readonly<LightnessEqualizeOptions & { weights: EqualizeWeights }> = Object.freeze({ sigmaFraction: 0.007, strength: 0.8, clampLog: 0.7, weights: 'skin' });

/**
 * Equalise the low-frequency lightness of a linear albedo over `coverage` (see the module notes).
 * Returns a new image; texels outside the coverage are copied.
 *
 * @param weights Per texel weight of the low-pass in [0, 1] (default: the coverage); texels with
 *   weight 0 are still corrected where weighted texels lie within the window.
 * @example const flat = equalizeLightness(albedoLinear, geom.coverage, { sigmaFraction: 0.04, strength: 0.8, clampLog: 0.7 }, skinMask);
 */
export function equalizeLightness(albedo: Image, coverage: ArrayLike<number>, options: LightnessEqualizeOptions, weights?: ArrayLike<number>): Image {
  const { width: W, height: H, channels: C, data } = albedo;
  const n = W * H;
  if (C < 3) throw invalidOption('albedo.channels', '≥ 3 (RGB)', C);
  if (coverage.length !== n) throw invalidOption('coverage', `length ${n}`, coverage.length);
  if (weights && weights.length !== n) throw invalidOption('weights', `length ${n}`, weights.length);
  if (!(options.sigmaFraction > 0)) throw invalidOption('sigmaFraction', 'a fraction > 0', options.sigmaFraction);
  if (!(options.strength >= 0 && options.strength <= 1)) throw invalidOption('strength', 'a number from 0 to 1', options.strength);
  if (!(options.clampLog > 0)) throw invalidOption('clampLog', 'a number > 0', options.clampLog);
  const out: Image = { width: W, height: H, channels: C, data: Float32Array.from(data) };
  if (options.strength === 0) return out;
  const logY = new Float64Array(n), w = new Float64Array(n), valid = new Uint8Array(n);
  // The weighted texels' ln Y, for the median (selected, not sorted).
  const logs = new Float64Array(n);
  let count = 0;
  for (let k = 0; k < n; k++) {
    if (!coverage[k]) continue;
    const y = LUMA[0] * data[C * k]! + LUMA[1] * data[C * k + 1]! + LUMA[2] * data[C * k + 2]!;
    if (!(y > 0)) continue;
    logY[k] = Math.log(y); valid[k] = 1;
    w[k] = weights ? Math.max(0, Math.min(1, weights[k]!)) : 1;
    if (w[k]! > 0.5) logs[count++] = logY[k]!;
  }
  if (count === 0) return out;
  const m = selectKth(logs.subarray(0, count), count >> 1), cl = options.clampLog;
  const num = new Float64Array(n), den = new Float64Array(n), tmp = new Float64Array(n);
  for (let k = 0; k < n; k++) if (w[k]) num[k] = w[k]! * Math.max(-cl, Math.min(cl, logY[k]! - m));
  den.set(w);
  // Three box passes of radius r ≈ a Gaussian of σ² = 3·((2r+1)² − 1)/12 = r(r+1).
  const sigma = options.sigmaFraction * W;
  const r = Math.max(1, Math.round((-1 + Math.sqrt(1 + 4 * sigma * sigma)) / 2));
  for (let pass = 0; pass < 3; pass++) { boxSum(num, W, H, r, num, tmp); boxSum(den, W, H, r, den, tmp); }
  const s = options.strength;
  // With weights, a correction needs ≥ 1 % of its window weighted (the window's total is ((2r+1)²)³ after three box sums).
  const minDen = weights ? 0.01 * (2 * r + 1) ** 6 : 1e-9;
  for (let k = 0; k < n; k++) {
    if (!valid[k] || !(den[k]! > minDen)) continue;
    const f = Math.exp(-s * (num[k]! / den[k]!));
    for (let c = 0; c < 3; c++) out.data[C * k + c] = data[C * k + c]! * f;
  }
  return out;
}

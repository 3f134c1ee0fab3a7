/**
 * Albedo (de-lit texture): the linear texture divided by the fitted SH shading, in a way that
 * cannot paint colour streaks.
 *
 * Default (`mode: 'shared'`). With `s_c(n)` the shading of {@link fitLighting} (each channel
 * normalised to mean 1 over skin) and `S(n) = Σ_c w_c s_c(n)` its luminance (Rec. 709 weights):
 *
 *     albedo_c(t) = texture_c(t) / (guard(S(n_t)) · k_c(m_t))
 *
 * - the *brightness* of the shading, `S`, is evaluated at the (detailed) normal `n_t`, the same
 *   for all three channels, so geometric detail and normal errors change the albedo's brightness
 *   only, never its hue;
 * - `guard(S)` is a guarded division: `S` itself where `S ≥ 2F`, the C¹ blend `F + S²/(4F)`
 *   below it, `F` at and below 0, with `F = shadingFloor × mean S` (grazing, self-shadowed and
 *   extrapolated normals, where an order-2 SH fit approaches or crosses zero, stop exploding);
 * - `k_c` is the *colour of the light* at the texel, taken from the smooth proxy normal `m_t`
 *   (`chromaNormals`), `k_c = (s_c(m) + F) / (S(m) + F)` (the `+ F` pulls the ratio to neutral
 *   where the shading is too low to say anything), its log clamped to ±`lightChromaBound`, then
 *   scaled to luminance 1;
 * - where `S < 2F` the result is blended toward a fill (`shadowFill`, default the face's median
 *   albedo; fully at `S ≤ F`): a texel in deep attached shadow says little about its albedo, and
 *   dividing it up paints bright, over-saturated blotches (the Solvay eye sockets);
 * - values above `maxAlbedo` are scaled down *together* (the brightest channel to `maxAlbedo`),
 *   keeping the hue instead of clipping channels one by one (per-channel clipping turns a
 *   too-bright skin texel white or yellow).
 * So the albedo's chroma is the photo's, corrected only by a bounded, smooth light colour.
 *
 * Why (measured on `two_people.jpg`, `solvay1927.jpg` and the accuracy benchmark's renders,
 * `bench/albedo/`): the per-channel fit leaves each channel's 9 coefficients free, and over the
 * face's normal cap the three quadratics differ wildly once extrapolated: on Biden's face in
 * `two_people.jpg` the green shading goes from 5.9 down to −0.07 while the red one stays between
 * 0.15 and 2.6, at the upper lids, the nose tip, the lip line and the chin (the proxy's most
 * tilted normals). Dividing by it per channel gave the green / white streaks there (white where a
 * channel's shading hit the floor and then clipped at 1), and orange / magenta ones in the eye
 * sockets of the Solvay faces.
 *
 * `mode: 'per-channel'` is the previous behaviour, kept for comparison:
 * `albedo_c = texture_c / max(s_c(n), shadingFloor·mean_c)`, each channel clamped to [0, maxAlbedo].
 *
 * Outside the coverage, and where the normal is missing, the texture is copied unchanged.
 */
import { selectKth } from '../math/select.js';
import { FaceDetailError } from '../errors.js';
import { REC709_LUMA, createImage, linearImageToSrgb, srgbImageToLinear } from '../image/image.js';
import type { Image } from '../types.js';
import { evalSH, evalShPolynomial, shPolynomial } from './sh.js';
import { blockedShadingGrid, sampleGridMap, type OcclusionField } from './visibility.js';

/** How {@link computeAlbedo} divides by the shading. */
export type AlbedoMode = 'shared' | 'per-channel';

/** Options of {@link computeAlbedo}. */
export interface AlbedoOptions {
  /**
   * `'shared'` (default): one brightness shading for all channels, a bounded light colour from
   * the proxy normals, guarded division, hue-preserving clamp. `'per-channel'`: the plain
   * per-channel division (the behaviour before the colour-streak fix).
   */
  mode: AlbedoMode;
  /**
   * Shading guard F as a fraction of the mean shading over the covered texels. In `'shared'`
   * mode the luminance shading is smoothly floored at F (exact above 2F); in `'per-channel'` mode
   * each channel is hard-floored at F.
   * @example { shadingFloor: 0.1 } // never divide by less than 10 % of the mean
   */
  shadingFloor: number;
  /**
   * `'shared'` mode: the largest deviation of the light's colour from its mean, as |ln k_c|
   * (0 = white light everywhere; 0.2 ≈ ±22 % per channel).
   * @example { lightChromaBound: 0.1 }
   */
  lightChromaBound: number;
  /**
   * `'shared'` mode: the guard of the light-colour ratio, as a fraction of the mean shading:
   * `k_c = (s_c + G) / (S + G)`, so the colour falls back to neutral where the shading is
   * small compared with G (where the per-channel quadratics extrapolate).
   * @example { lightChromaFloor: 0.5 }
   */
  lightChromaFloor: number;
  /**
   * `'shared'` mode, where the luminance shading is below 2F (F = `shadingFloor` × mean), the
   * albedo is blended (fully at S ≤ F) toward a fill, since a shadowed texel says little about its
   * albedo and dividing it up paints bright, over-saturated blotches: `'median'` the face's median
   * albedo (flat patches; it erases dark features such as brows there); `'capped'` the median's
   * chromaticity at the texel's own luminance capped at the median's (dark features stay dark,
   * bright blotches go); `'none'` keeps the guarded division alone.
   */
  shadowFill: 'median' | 'capped' | 'none';
  /** Upper bound of the albedo (linear); in `'shared'` mode the brightest channel is scaled down to it, keeping the hue. */
  maxAlbedo: number;
  /** Luminance weights of the shared shading (sum 1). @example { lumaWeights: [0.2126, 0.7152, 0.0722] } */
  lumaWeights: readonly [number, number, number];
  /**
   * `'shared'` mode: the normals the light colour is evaluated at (the smooth proxy's, camera
   * frame, xyz per texel, same layout as `normals`); default `normals`.
   */
  chromaNormals?: Float32Array;
  /**
   * Visibility of the proxy ({@link computeOcclusion}, the one the lighting was fitted with): the
   * shading divided by becomes `s_c(n) − Σ_k sh_ck B_k` (the light the proxy itself blocks
   * subtracted: cast shadows, occlusion), in both the brightness and the light colour.
   */
  occlusion?: OcclusionField;
  /** That blocked light already computed ({@link blockedShading} of the same occlusion, lighting and coverage): used instead of `occlusion`. */
  blocked?: Float32Array;
}

/**
 * Defaults of {@link AlbedoOptions}: the best point of a grid on the tuning half of the albedo
 * benchmark (`npm run bench:albedo`, 12 renders of the scan at 512 px; criterion: fewest texels
 * with ΔE₀₀ > 10, then the lowest mean): guard F ∈ {0.1, 0.2, 0.3}, bound ∈ {0.15, 0.5, 3},
 * colour guard ∈ {0.15, 0.5}, fill ∈ {none, median}. Measured there (ΔE > 10 / mean ΔE): the
 * per-channel division 14.6 % / 6.17; F 0.3, bound 3, guard 0.15, median fill 10.2 % / 5.56; the
 * same with bound 0.5 11.3 % / 5.74 (the coloured lights want their colour); without the fill
 * 14.8 % (F 0.2); a colour guard of 0.5 13.9 %, with colour-only errors 2.9 % instead of 0.4 %.
 * The largest guard of the grid won, so a larger one may be better still (not tried).
 * With the loose bound, the light colour is bounded in practice by the colour guard (the ratio
 * tends to 1 where the shading is small against G) and the fill (texels with S < 2F take the
 * median albedo), which cover the grazing and extrapolated normals where the channels diverge.
 *
 * The fill stays the benchmark's `'median'`, with a cost seen on the photos: it paints flat
 * skin-coloured patches over brows, lids and nostrils wherever the proxy's shading is low. The
 * alternative `'capped'` (the median's hue at the texel's own lightness) keeps those features,
 * and has the fewest chroma outliers (held-out renders 2.12 %, photos 4.15 % mean, against 2.32 % /
 * 4.50 % with the median fill), but leaves shadowed skin dark: held-out ΔE > 10 on 17.9 % of skin
 * texels (hard side light 44.8 %), worse than the old per-channel division's 14.8 % and the
 * median fill's 9.6 % (`npm run bench:albedo -- --no-sweep`, 2026-12-02). A fill that tells a dark
 * feature from a shadow (e.g. the landmark regions of brows and lids) is the next step.
 */
export const ALBEDO_DEFAULTS: Readonly<AlbedoOptions> = Object.freeze({
  mode: 'shared',
  shadingFloor: 0.3,
  lightChromaBound: 3,
  lightChromaFloor: 0.15,
  shadowFill: 'median',
  maxAlbedo: 1,
  lumaWeights: REC709_LUMA,
} as const);

/**
 * De-light a linear UV texture with 27 SH shading coefficients (see the module notes for the
 * `'shared'` and `'per-channel'` formulas).
 *
 * @param textureLinear Linear RGB(A) texture (≥ 3 channels; extra channels are copied).
 * @param normals Unit normal per texel, camera frame, xyz interleaved (`geom.normal`, or a detailed normal field).
 * @param coverage Per texel, non-zero where the texel is on the face.
 * @param sh 27 shading coefficients (e.g. `fitLighting(...).coefficients`).
 * @returns Linear albedo, same size and channels as the texture.
 * @example
 * const albedo = toSrgbImage(computeAlbedo(linearTex, detailNormals, geom.coverage, fit.coefficients,
 *   { chromaNormals: geom.normal }));
 */
export function computeAlbedo(
  textureLinear: Image,
  normals: Float32Array,
  coverage: Uint8Array,
  sh: ArrayLike<number>,
  options: Partial<AlbedoOptions> = {},
): Image {
  const opts = mergeAlbedoOptions(options);
  const { width: W, height: H, channels: C } = textureLinear;
  const n = W * H;
  if (C < 3) throw invalid('textureLinear.channels', '≥ 3 (RGB)', C);
  if (normals.length !== 3 * n) throw invalid('normals', `length ${3 * n} (3 per texel of ${W}×${H})`, normals.length);
  if (coverage.length !== n) throw invalid('coverage', `length ${n}`, coverage.length);
  if (sh.length !== 27) throw invalid('sh', '27 coefficients', sh.length);
  if (!(opts.shadingFloor >= 0)) throw invalid('shadingFloor', 'a fraction ≥ 0', opts.shadingFloor);
  if (opts.mode !== 'shared' && opts.mode !== 'per-channel') throw invalid('mode', "'shared' or 'per-channel'", opts.mode);
  if (!(opts.lightChromaBound >= 0)) throw invalid('lightChromaBound', 'a log-ratio ≥ 0', opts.lightChromaBound);
  if (!(opts.lightChromaFloor >= 0)) throw invalid('lightChromaFloor', 'a fraction ≥ 0', opts.lightChromaFloor);
  if (opts.shadowFill !== 'median' && opts.shadowFill !== 'capped' && opts.shadowFill !== 'none') throw invalid('shadowFill', "'median', 'capped' or 'none'", opts.shadowFill);
  if (opts.chromaNormals && opts.chromaNormals.length !== 3 * n) throw invalid('chromaNormals', `length ${3 * n}`, opts.chromaNormals.length);
  const occ = opts.occlusion;
  if (occ && occ.blocked.length !== 9 * occ.size * occ.size) throw invalid('occlusion.blocked', `length ${9 * occ.size * occ.size}`, occ.blocked.length);
  if (opts.blocked && opts.blocked.length !== 3 * n) throw invalid('blocked', `length ${3 * n} (3 per texel of ${W}×${H})`, opts.blocked.length);
  const blocked = opts.blocked ?? (occ ? blockedShading(occ, sh, coverage, W, H) : undefined);
  return opts.mode === 'shared'
    ? sharedAlbedo(textureLinear, normals, coverage, sh, opts, blocked)
    : perChannelAlbedo(textureLinear, normals, coverage, sh, opts, blocked);
}

/**
 * The light the proxy blocks, per covered texel of a `W`×`H` map (RGB, 3 per texel, 0 elsewhere):
 * the occlusion grid's blocked transfer under the lighting `sh`, bilinear. What
 * {@link computeAlbedo} subtracts from the shading with `occlusion`; computed ahead of it (its
 * `blocked` option) it gives the same albedo.
 *
 * @example
 * const blocked = blockedShading(lighting.occlusion, lighting.coefficients, geom.coverage, 1024, 1024);
 */
export function blockedShading(occ: OcclusionField, sh: ArrayLike<number>, coverage: Uint8Array, W: number, H: number): Float32Array {
  return sampleGridMap(occ, blockedShadingGrid(occ, sh), 3, coverage, W, H);
}

function mergeAlbedoOptions(options: Partial<AlbedoOptions>): AlbedoOptions {
  const out: AlbedoOptions = { ...ALBEDO_DEFAULTS };
  for (const [k, v] of Object.entries(options)) if (v !== undefined) (out as unknown as Record<string, unknown>)[k] = v;
  return out;
}

const hasNormal = (normals: Float32Array, k: number): boolean =>
  normals[3 * k] !== 0 || normals[3 * k + 1] !== 0 || normals[3 * k + 2] !== 0;

function sharedAlbedo(tex: Image, normals: Float32Array, coverage: Uint8Array, sh: ArrayLike<number>, opts: AlbedoOptions, blocked?: Float32Array): Image {
  const { width: W, height: H, channels: C } = tex;
  const n = W * H;
  const [w0, w1, w2] = opts.lumaWeights;
  const cn = opts.chromaNormals ?? normals;
  // Luminance shading at the detailed normal, and its mean over the covered texels (for F).
  const S = new Float32Array(n);
  // The SH polynomials with the basis constants folded in: luminance, then each channel.
  const pl = shPolynomial(sh, [w0, w1, w2]);
  const pr = shPolynomial(sh, [1, 0, 0]), pg = shPolynomial(sh, [0, 1, 0]), pb = shPolynomial(sh, [0, 0, 1]);
  let mean = 0, count = 0;
  for (let k = 0; k < n; k++) {
    if (coverage[k] === 0 || !hasNormal(normals, k)) continue;
    const x = normals[3 * k]!, y = normals[3 * k + 1]!, z = normals[3 * k + 2]!;
    let s = evalShPolynomial(pl, x, y, z);
    if (blocked) s -= w0 * blocked[3 * k]! + w1 * blocked[3 * k + 1]! + w2 * blocked[3 * k + 2]!;
    S[k] = s;
    mean += s; count++;
  }
  mean = count > 0 ? mean / count : 1;
  const F = Math.max(1e-6, opts.shadingFloor * (mean > 0 ? mean : 1));
  const beta = opts.lightChromaBound, hi = opts.maxAlbedo;
  const bLo = Math.exp(-beta), bUp = Math.exp(beta);
  const G = Math.max(1e-6, opts.lightChromaFloor * (mean > 0 ? mean : 1));
  const out = createImage(W, H, C);
  const src = tex.data, dst = out.data;
  dst.set(src);
  const k3 = [0, 0, 0];
  // Pass 1: the guarded, shared division (hue-preserving clamp), written to dst.
  for (let k = 0; k < n; k++) {
    if (coverage[k] === 0 || !hasNormal(normals, k)) continue;
    const s = S[k]!;
    const guarded = s >= 2 * F ? s : s > 0 ? F + (s * s) / (4 * F) : F;
    // Light colour at the smooth normal, bounded, luminance 1.
    if (beta > 0 && hasNormal(cn, k)) {
      const x = cn[3 * k]!, y = cn[3 * k + 1]!, z = cn[3 * k + 2]!;
      let s0 = evalShPolynomial(pr, x, y, z), s1 = evalShPolynomial(pg, x, y, z), s2 = evalShPolynomial(pb, x, y, z);
      if (blocked) { s0 -= blocked[3 * k]!; s1 -= blocked[3 * k + 1]!; s2 -= blocked[3 * k + 2]!; }
      const L = w0 * s0 + w1 * s1 + w2 * s2 + G;
      k3[0] = boundRatio((s0 + G) / L, bLo, bUp); k3[1] = boundRatio((s1 + G) / L, bLo, bUp); k3[2] = boundRatio((s2 + G) / L, bLo, bUp);
      const norm = w0 * k3[0]! + w1 * k3[1]! + w2 * k3[2]!;
      for (let c = 0; c < 3; c++) k3[c] = k3[c]! / norm;
    } else {
      k3[0] = 1; k3[1] = 1; k3[2] = 1;
    }
    let m = 0;
    for (let c = 0; c < 3; c++) {
      const a = src[k * C + c]! / (guarded * k3[c]!);
      const v = a > 0 ? a : 0;
      dst[k * C + c] = v;
      if (v > m) m = v;
    }
    if (m > hi) for (let c = 0; c < 3; c++) dst[k * C + c] = dst[k * C + c]! * (hi / m);
  }
  if (opts.shadowFill === 'none') return out;
  // Pass 2: in the guard zone (S < 2F), blend toward the median albedo of the well-lit texels.
  const med = medianAlbedoWhere(dst, C, n, (k) => coverage[k] !== 0 && hasNormal(normals, k) && S[k]! >= 2 * F);
  if (!med) return out;
  const capped = opts.shadowFill === 'capped';
  const yMed = w0 * med[0] + w1 * med[1] + w2 * med[2];
  for (let k = 0; k < n; k++) {
    if (coverage[k] === 0 || !hasNormal(normals, k)) continue;
    const s = S[k]!;
    if (s >= 2 * F) continue;
    const t = s <= F ? 0 : (s - F) / F;
    let f = 1;
    if (capped && yMed > 0) {
      const y = w0 * dst[k * C]! + w1 * dst[k * C + 1]! + w2 * dst[k * C + 2]!;
      f = Math.min(y, yMed) / yMed;
    }
    for (let c = 0; c < 3; c++) dst[k * C + c] = t * dst[k * C + c]! + (1 - t) * f * med[c]!;
  }
  return out;
}

/** Per-channel median of the texels where `use(k)` (every texel up to 200 000 of them, else a regular subsample); null if none. */
function medianAlbedoWhere(d: Float32Array, C: number, n: number, use: (k: number) => boolean): [number, number, number] | null {
  let count = 0;
  for (let k = 0; k < n; k++) if (use(k)) count++;
  if (count === 0) return null;
  const step = Math.max(1, Math.floor(count / 200000));
  const vals = [new Float32Array(Math.ceil(count / step)), new Float32Array(Math.ceil(count / step)), new Float32Array(Math.ceil(count / step))];
  let i = 0, j = 0;
  for (let k = 0; k < n; k++) {
    if (!use(k)) continue;
    if (i++ % step !== 0) continue;
    for (let c = 0; c < 3; c++) vals[c]![j] = d[k * C + c]!;
    j++;
  }
  const med: [number, number, number] = [0, 0, 0];
  for (let c = 0; c < 3; c++) med[c] = selectKth(vals[c]!.subarray(0, j), j >> 1);
  return med;
}

/** exp(clamp(ln r, −β, β)) given lo = e^−β and up = e^β, with r ≤ 0 treated as the lower bound. */
function boundRatio(r: number, lo: number, up: number): number {
  return r > up ? up : r > lo ? r : lo;
}

function perChannelAlbedo(tex: Image, normals: Float32Array, coverage: Uint8Array, sh: ArrayLike<number>, opts: AlbedoOptions, blocked?: Float32Array): Image {
  const { width: W, height: H, channels: C } = tex;
  const n = W * H;
  const valid = (k: number): boolean => coverage[k] !== 0 && hasNormal(normals, k);
  // Shading per covered texel, and its mean per channel (for the floor).
  const shading = new Float32Array(3 * n);
  const mean = [0, 0, 0];
  let count = 0;
  for (let k = 0; k < n; k++) {
    if (!valid(k)) continue;
    const x = normals[3 * k]!, y = normals[3 * k + 1]!, z = normals[3 * k + 2]!;
    for (let c = 0; c < 3; c++) {
      const s = evalSH(sh, c, x, y, z) - (blocked ? blocked[3 * k + c]! : 0);
      shading[3 * k + c] = s;
      mean[c]! += s;
    }
    count++;
  }
  const floor = [0, 0, 0];
  for (let c = 0; c < 3; c++) floor[c] = Math.max(1e-6, opts.shadingFloor * (count > 0 ? mean[c]! / count : 1));

  const out = createImage(W, H, C);
  const src = tex.data, dst = out.data;
  dst.set(src);
  const hi = opts.maxAlbedo;
  for (let k = 0; k < n; k++) {
    if (!valid(k)) continue;
    for (let c = 0; c < 3; c++) {
      const s = Math.max(shading[3 * k + c]!, floor[c]!);
      const a = src[k * C + c]! / s;
      dst[k * C + c] = a > 0 ? (a < hi ? a : hi) : 0;
    }
  }
  return out;
}

/**
 * Per-texel shading map `evalSH(sh, c, n)` (3 channels, linear, unclamped; 0 where not covered).
 * Useful for previews and to check `texture ≈ albedo · shading`.
 *
 * @example const s = shadingImage(geom.normal, geom.coverage, geom.width, geom.height, fit.coefficients);
 */
export function shadingImage(normals: Float32Array, coverage: Uint8Array, width: number, height: number, sh: ArrayLike<number>): Image {
  const out = createImage(width, height, 3);
  const n = width * height, d = out.data;
  for (let k = 0; k < n; k++) {
    if (coverage[k] === 0) continue;
    const x = normals[3 * k]!, y = normals[3 * k + 1]!, z = normals[3 * k + 2]!;
    for (let c = 0; c < 3; c++) d[3 * k + c] = evalSH(sh, c, x, y, z);
  }
  return out;
}

/**
 * sRGB-encode a linear image (clamped to [0, 1]) for saving.
 * @example savePng(toSrgbImage(albedo))
 */
export function toSrgbImage(img: Image): Image {
  return linearImageToSrgb(img);
}

/**
 * Decode an sRGB image to linear (the input `fitLighting`/`computeAlbedo` expect).
 * @example const linearTex = toLinearImage(unwrapped.texture);
 */
export function toLinearImage(img: Image): Image {
  return srgbImageToLinear(img);
}

function invalid(name: string, expected: string, got: unknown): FaceDetailError {
  return new FaceDetailError('INVALID_OPTION', `${name}: expected ${expected}, received ${String(got)}`);
}

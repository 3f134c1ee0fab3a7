import { boxSum, upsampleBilinear } from './box-filter.js';
import { choleskyFactor, choleskySolve } from '../numeric/index.js';
import { REC709_LUMA } from '../image/image.js';

/**
 * The albedo the detail solve divides by: a chromaticity-guided low-pass of the shading-normalised
 * texture `R_c = I_c / s_c(n)` (n = the proxy normal, or the detailed normal in a refinement pass).
 *
 * Why: if the albedo kept the wrinkle-scale shading, `d = 0` would already explain the photo.
 * Albedo edges, however, usually change colour (eyebrow hair, lip border, freckles, stubble are
 * browner / redder / greyer than the skin around them) while shading from 1–10 mm geometry only
 * changes brightness under near-white light. So the luminance `Y = Σ ω_c R_c` is filtered with a
 * guided filter (He et al. 2010) whose guide is the chromaticity `χ = (c(R, G), c(B, G))`,
 * `c(a, b) = 2(a − b)/(a + b)` (≈ log a/b without a logarithm per texel; denoised by a small box
 * first) plus the texel position: in each window of radius r the luminance is fitted as
 * `Y ≈ a·χ + c·x + b` (least squares, ridge ε on a), and the output is the average of the window
 * models at the texel, `q = ā·χ + c̄·x + b̄`. Where the chroma is constant (plain skin) `a → 0`
 * and q is a local linear fit of Y, so wrinkle shading is removed; where the chroma changes, the
 * luminance step that goes with it stays in the albedo. The colour comes from the texel's own
 * (denoised) chroma, `ρ ∝ ((2+χ1)/(2−χ1), 1, (2+χ2)/(2−χ2))`, scaled to luminance q.
 *
 * The position term makes a smooth albedo (or lighting-error) gradient exact even where the
 * window is cut by the chart border or a hole: with a constant model, a noise-free render of the
 * flat proxy with a 15 % skin-tone gradient gave up to 0.48 mm of false relief along the border;
 * with it, 0.002 mm. It also absorbs a little of the antisymmetric shading of wide grooves, which
 * a larger radius compensates (12 mm by default; 6 mm: depth slope 0.71 instead of 0.76).
 *
 * Choices, measured on the synthetic groove + freckle + brow scene (256², 0.2 mm texels, noise
 * 0.004): rg-chromaticity (R/S, B/S) as the guide left the dark brow almost entirely in the
 * residual (its chroma differs from skin by only 0.04 in rg, 0.14 in log-chroma), giving
 * 0.6 mm of false relief; log-like chroma + a 0.3 mm guide denoise brought the albedo within
 * ≈ 10 % of the truth inside the brow. Without the guide denoise, the per-texel chroma noise of dark texels
 * (±0.05) went straight into q = a·χ. A plain low-pass cannot tell a dark crease from a dark
 * freckle at all.
 *
 * Speed: window statistics are box sums of per-block sums over f×f blocks (f ≈ r/4), filtered on
 * the block grid and upsampled bilinearly (the "fast guided filter" idea, with the products summed
 * before subsampling so sub-block chroma variance is kept). With `downsample` > 1 the whole filter
 * runs on a grid `downsample`× coarser and the results are upsampled bilinearly: the albedo is a
 * low-pass anyway (on the test scene a 0.4 mm grid instead of the full 0.2 mm one changed no
 * metric by more than 0.01).
 */
export interface DetailAlbedoOptions {
  /** Guided-filter window radius in (full-resolution) texels; the caller converts from mm. @example { radiusTexels: 30 } */
  radiusTexels: number;
  /**
   * Chroma noise scale (ε = σ² of the guided filter), in χ units (≈ log-chromaticity): chroma
   * variation below it is treated as noise. Skin vs lip differs by ≈ 0.1–0.3, skin vs a freckle by ≈ 0.3–0.5.
   * @example { chromaSigma: 0.01 }
   */
  chromaSigma: number;
  /**
   * Radius (full-resolution texels) of the box that denoises the chroma guide before the fit;
   * the caller converts from mm (≈ 0.3 mm). 0 = none. @example { guideRadiusTexels: 2 }
   */
  guideRadiusTexels: number;
  /** Channel weights of the luminance, summing to 1. @example { lumaWeights: [0.2126, 0.7152, 0.0722] } */
  lumaWeights: readonly [number, number, number];
  /** Run the filter on a grid this many times coarser (integer ≥ 1). @example { downsample: 2 } */
  downsample?: number;
}

/** Defaults of {@link DetailAlbedoOptions} (radii are always given by the caller). */
export const DETAIL_ALBEDO_DEFAULTS: Readonly<Omit<DetailAlbedoOptions, 'radiusTexels' | 'guideRadiusTexels'>> = Object.freeze({
  chromaSigma: 0.01,
  lumaWeights: REC709_LUMA,
  downsample: 1,
});

/** Output of {@link estimateDetailAlbedo}. */
export interface DetailAlbedoResult {
  /** Linear RGB albedo per texel (0 where uncovered). */
  albedo: Float32Array;
  /** |χ − window mean of χ| per texel, χ units (≈ log-chromaticity; 0 where there is no data). */
  chromaDeviation: Float32Array;
  /**
   * Relative luminance step the albedo model attributes to the texel's chroma,
   * |q(χ) − q(χ̄)| / q(χ̄): 0 on plain skin, ≈ 0.6 inside a dark brow. Marks albedo edges.
   */
  albedoEdge: Float32Array;
}

/**
 * Estimate the low-pass, chroma-edge-preserving albedo for the detail solve.
 *
 * @param texture linear RGB per texel (W·H·3)
 * @param shading s_c(n) per texel (W·H·3), the shading under the fitted SH
 * @param weight per-texel data weight ≥ 0 (confidence × validity); 0 = ignore the texel
 * @param coverage 1 where the texel is on the surface
 * @example
 * const { albedo, albedoEdge } = estimateDetailAlbedo(tex, s0, w, cov, 1024, 1024,
 *   { ...DETAIL_ALBEDO_DEFAULTS, radiusTexels: 30, guideRadiusTexels: 2 });
 */
export function estimateDetailAlbedo(
  texture: Float32Array,
  shading: Float32Array,
  weight: Float32Array,
  coverage: Uint8Array,
  W: number,
  H: number,
  options: DetailAlbedoOptions,
): DetailAlbedoResult {
  const N = W * H;
  const f = Math.max(1, Math.floor(options.downsample ?? 1));
  // R = I / s and the weight, box-averaged onto the working grid.
  const Wd = Math.ceil(W / f), Hd = Math.ceil(H / f), Nd = Wd * Hd;
  const R = new Float32Array(3 * Nd), nu = new Float64Array(Nd), cov = new Uint8Array(Nd);
  const colD = new Int32Array(W);
  for (let i = 0; i < W; i++) colD[i] = Math.floor(i / f);
  for (let j = 0; j < H; j++) {
    const rowD = Math.floor(j / f) * Wd;
    for (let i = 0; i < W; i++) {
      const k = j * W + i;
      if (coverage[k] === 0) continue;
      const kd = rowD + colD[i]!;
      cov[kd] = 1;
      const v = weight[k]!;
      if (!(v > 0)) continue;
      const s0 = shading[3 * k]!, s1 = shading[3 * k + 1]!, s2 = shading[3 * k + 2]!;
      if (!(s0 > 1e-6 && s1 > 1e-6 && s2 > 1e-6)) continue;
      const R0 = texture[3 * k]! / s0, R1 = texture[3 * k + 1]! / s1, R2 = texture[3 * k + 2]! / s2;
      if (!(R0 > 1e-6 && R1 > 1e-6 && R2 > 1e-6)) continue;
      nu[kd] = nu[kd]! + v;
      R[3 * kd] = R[3 * kd]! + v * R0; R[3 * kd + 1] = R[3 * kd + 1]! + v * R1; R[3 * kd + 2] = R[3 * kd + 2]! + v * R2;
    }
  }
  for (let k = 0; k < Nd; k++) {
    const v = nu[k]!;
    if (v > 0) { R[3 * k] = R[3 * k]! / v; R[3 * k + 1] = R[3 * k + 1]! / v; R[3 * k + 2] = R[3 * k + 2]! / v; nu[k] = v / (f * f); }
  }
  const res = guidedAlbedo(R, nu, cov, Wd, Hd, {
    radius: options.radiusTexels / f, guideRadius: options.guideRadiusTexels / f,
    eps: options.chromaSigma * options.chromaSigma, luma: options.lumaWeights,
  });
  if (f === 1) return res;
  const packed = new Float32Array(5 * Nd);
  for (let k = 0; k < Nd; k++) {
    packed[5 * k] = res.albedo[3 * k]!; packed[5 * k + 1] = res.albedo[3 * k + 1]!; packed[5 * k + 2] = res.albedo[3 * k + 2]!;
    packed[5 * k + 3] = res.chromaDeviation[k]!; packed[5 * k + 4] = res.albedoEdge[k]!;
  }
  const up = new Float32Array(5 * N);
  upsampleBilinear(packed, Wd, Hd, 5, f, W, H, up);
  const albedo = new Float32Array(3 * N), chromaDeviation = new Float32Array(N), albedoEdge = new Float32Array(N);
  for (let k = 0; k < N; k++) {
    if (coverage[k] === 0) continue;
    albedo[3 * k] = up[5 * k]!; albedo[3 * k + 1] = up[5 * k + 1]!; albedo[3 * k + 2] = up[5 * k + 2]!;
    chromaDeviation[k] = up[5 * k + 3]!; albedoEdge[k] = up[5 * k + 4]!;
  }
  return { albedo, chromaDeviation, albedoEdge };
}

/** The guided filter on one grid; R is shading-normalised RGB, nu the weights (0 = no data). */
function guidedAlbedo(
  R: Float32Array | Float64Array, nu: Float64Array, coverage: Uint8Array, W: number, H: number,
  o: { radius: number; guideRadius: number; eps: number; luma: readonly [number, number, number] },
): DetailAlbedoResult {
  const N = W * H;
  const [w0, w1, w2] = o.luma;
  const r = Math.max(1, Math.round(o.radius));
  // Block factor: the block grid keeps ≥ ~4 cells per radius.
  const f = Math.max(1, Math.min(16, Math.floor(r / 4)));
  const rc = Math.max(1, Math.round(r / f));
  const Wc = Math.ceil(W / f), Hc = Math.ceil(H / f), Nc = Wc * Hc;

  // Per texel: luminance Y and ν-weighted log-chroma (log R/G, log B/G).
  const Y = new Float64Array(N), c1 = new Float64Array(N), c2 = new Float64Array(N);
  for (let k = 0; k < N; k++) {
    const v = nu[k]!;
    if (!(v > 0)) continue;
    const R0 = R[3 * k]!, R1 = R[3 * k + 1]!, R2 = R[3 * k + 2]!;
    Y[k] = w0 * R0 + w1 * R1 + w2 * R2;
    c1[k] = v * 2 * (R0 - R1) / (R0 + R1);
    c2[k] = v * 2 * (R2 - R1) / (R2 + R1);
  }
  // Denoise the guide: ν-weighted box (the log-chroma of a dark texel is noisy, and q = a·χ + b
  // passes guide noise straight into the albedo).
  const rg = Math.max(0, Math.round(o.guideRadius));
  {
    let nb = nu;
    if (rg > 0) {
      const t = new Float64Array(N);
      nb = boxSum(nu, W, H, rg, new Float64Array(N), t);
      boxSum(c1, W, H, rg, c1, t);
      boxSum(c2, W, H, rg, c2, t);
    }
    for (let k = 0; k < N; k++) {
      const n = nb[k]!;
      if (nu[k]! > 0 && n > 0) { c1[k] = c1[k]! / n; c2[k] = c2[k]! / n; } else { c1[k] = 0; c2[k] = 0; }
    }
  }
  // Guide g = (χ1, χ2, X, Y): chroma plus the texel position in units of r, so that a smooth
  // albedo gradient is fitted exactly in every window (a constant model is biased wherever the
  // window is cut by the chart border or a hole). Block sums of ν, νL, νg_i, νg_i g_j, νg_i L
  // (L = luminance): 1 + 1 + 4 + 10 + 4 = 20 fields.
  const S: Float64Array[] = Array.from({ length: 20 }, () => new Float64Array(Nc));
  const ir = 1 / r, cx = W / 2, cy = H / 2;
  const [q0, q1, q2, q3, q4, q5, q6, q7, q8, q9, q10, q11, q12, q13, q14, q15, q16, q17, q18, q19] = S as [
    Float64Array, Float64Array, Float64Array, Float64Array, Float64Array, Float64Array, Float64Array, Float64Array, Float64Array, Float64Array,
    Float64Array, Float64Array, Float64Array, Float64Array, Float64Array, Float64Array, Float64Array, Float64Array, Float64Array, Float64Array];
  for (let j = 0; j < H; j++) {
    const rowC = Math.floor(j / f) * Wc;
    const gy = (j + 0.5 - cy) * ir;
    for (let i = 0; i < W; i++) {
      const k = j * W + i;
      const v = nu[k]!;
      if (v === 0) continue;
      const g0 = c1[k]!, g1 = c2[k]!, g2 = (i + 0.5 - cx) * ir, g3 = gy, y = Y[k]!;
      const kc = rowC + Math.floor(i / f);
      const vg0 = v * g0, vg1 = v * g1, vg2 = v * g2, vg3 = v * g3;
      q0[kc] = q0[kc]! + v; q1[kc] = q1[kc]! + v * y;
      q2[kc] = q2[kc]! + vg0; q3[kc] = q3[kc]! + vg1; q4[kc] = q4[kc]! + vg2; q5[kc] = q5[kc]! + vg3;
      q6[kc] = q6[kc]! + vg0 * g0; q7[kc] = q7[kc]! + vg0 * g1; q8[kc] = q8[kc]! + vg0 * g2; q9[kc] = q9[kc]! + vg0 * g3;
      q10[kc] = q10[kc]! + vg1 * g1; q11[kc] = q11[kc]! + vg1 * g2; q12[kc] = q12[kc]! + vg1 * g3;
      q13[kc] = q13[kc]! + vg2 * g2; q14[kc] = q14[kc]! + vg2 * g3; q15[kc] = q15[kc]! + vg3 * g3;
      q16[kc] = q16[kc]! + vg0 * y; q17[kc] = q17[kc]! + vg1 * y; q18[kc] = q18[kc]! + vg2 * y; q19[kc] = q19[kc]! + vg3 * y;
    }
  }
  const nuBlock = new Float64Array(S[0]!);
  const tmp = new Float64Array(Nc);
  for (const arr of S) boxSum(arr, Wc, Hc, rc, arr, tmp);

  // Per window: Y ≈ a·g + b with (cov g + diag(ε, ε, ε_s, ε_s)) a = cov(g, Y).
  const eps = o.eps, epsS = 1e-3;
  // coef per block: a0..a3, b, m1, m2 (7)
  const NCF = 7;
  const coef = new Float64Array(NCF * Nc);
  const M = new Float64Array(16), rhs = new Float64Array(4), m = new Float64Array(4);
  const pairIndex = [[6, 7, 8, 9], [7, 10, 11, 12], [8, 11, 13, 14], [9, 12, 14, 15]];
  for (let k = 0; k < Nc; k++) {
    const n = S[0]![k]!;
    if (!(n > 1e-9)) continue;
    const inv = 1 / n;
    const mY = S[1]![k]! * inv;
    for (let a = 0; a < 4; a++) m[a] = S[2 + a]![k]! * inv;
    for (let a = 0; a < 4; a++) {
      for (let c = 0; c < 4; c++) M[4 * a + c] = S[pairIndex[a]![c]!]![k]! * inv - m[a]! * m[c]!;
      M[5 * a] = M[5 * a]! + (a < 2 ? eps : epsS);
      rhs[a] = S[16 + a]![k]! * inv - m[a]! * mY;
    }
    solve4(M, rhs);
    let b = mY;
    for (let a = 0; a < 4; a++) { coef[NCF * k + a] = rhs[a]!; b -= rhs[a]! * m[a]!; }
    coef[NCF * k + 4] = b; coef[NCF * k + 5] = m[0]!; coef[NCF * k + 6] = m[1]!;
  }
  // Second averaging of the window models (and chroma means), weighted by each block's data weight.
  const wsum = boxSum(nuBlock, Wc, Hc, rc, new Float64Array(Nc), tmp);
  const field = new Float64Array(Nc);
  for (let c = 0; c < NCF; c++) {
    for (let k = 0; k < Nc; k++) field[k] = coef[NCF * k + c]! * nuBlock[k]!;
    boxSum(field, Wc, Hc, rc, field, tmp);
    for (let k = 0; k < Nc; k++) coef[NCF * k + c] = wsum[k]! > 1e-9 ? field[k]! / wsum[k]! : 0;
  }
  const up = new Float32Array(NCF * N);
  upsampleBilinear(coef, Wc, Hc, NCF, f, W, H, up);

  const albedo = new Float32Array(3 * N), chromaDeviation = new Float32Array(N), albedoEdge = new Float32Array(N);
  for (let j = 0; j < H; j++) {
    const gy = (j + 0.5 - cy) * ir;
    for (let i = 0; i < W; i++) {
    const k = j * W + i;
    if (coverage[k] === 0) continue;
    const o7 = NCF * k;
    const a1 = up[o7]!, a2 = up[o7 + 1]!, m1 = up[o7 + 5]!, m2 = up[o7 + 6]!;
    const base = up[o7 + 2]! * (i + 0.5 - cx) * ir + up[o7 + 3]! * gy + up[o7 + 4]!;
    let x1 = m1, x2 = m2;
    let q = a1 * x1 + a2 * x2 + base;
    if (nu[k]! > 0) {
      x1 = c1[k]!; x2 = c2[k]!;
      const d1 = x1 - m1, d2 = x2 - m2;
      chromaDeviation[k] = Math.sqrt(d1 * d1 + d2 * d2);
      const qMean = q;
      q = a1 * x1 + a2 * x2 + base;
      const ref = qMean > 1e-6 ? qMean : q;
      albedoEdge[k] = ref > 1e-6 ? Math.abs(q - qMean) / ref : 0;
    }
    if (!(q > 0)) q = 0;
    // Colour from the chroma: R0 : R1 : R2 = ρ(χ1) : 1 : ρ(χ2) with ρ(χ) = (2 + χ)/(2 − χ), luminance q.
    const e1 = x1 < 1.9 ? (2 + x1) / (2 - x1) : 39, e2 = x2 < 1.9 ? (2 + x2) / (2 - x2) : 39;
    const sc = q / (w0 * e1 + w1 + w2 * e2);
    albedo[3 * k] = sc * e1;
    albedo[3 * k + 1] = sc;
    albedo[3 * k + 2] = sc * e2;
    }
  }
  return { albedo, chromaDeviation, albedoEdge };
}

/** Solve the 4×4 SPD system M·x = b in place (x → b, M ← its factor) by Cholesky; leaves b = 0 if not SPD. */
function solve4(M: Float64Array, b: Float64Array): void {
  if (!choleskyFactor(M, 4, { minPivot: 1e-300 })) { b.fill(0); return; }
  choleskySolve(M, 4, b);
}

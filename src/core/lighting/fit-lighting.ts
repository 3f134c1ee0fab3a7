/**
 * Robust spherical-harmonics lighting fit from the unwrapped texture and the proxy's normals.
 *
 * Model. With the skin albedo ρ_c assumed locally constant, a skin texel's linear colour is
 * `I_c(t) ≈ ρ_c · s_c(n_t)`, `s_c(n) = Σ_k L_ck Y_k(n)` (sh.ts convention, camera-frame normals).
 * ρ and the light are not separable from one photo, so the fit estimates the 27 products
 * `P_ck = ρ_c · L_ck` by weighted least squares (one 9×9 normal-equation system shared by the three
 * channels, Cholesky), then iteratively reweighted least squares (IRLS) with a robust loss to
 * ignore specular highlights, cast shadows, stubble, freckles and make-up.
 *
 * Normalisation. The result is split as `P_c = meanSkinAlbedo_c · coefficients_c`, where each
 * channel's shading `evalSH(coefficients, c, n)` has weighted mean 1 over the skin texels (so the
 * shading luminance has mean 1 too). Hence, exactly:
 *
 *     texture_linear_c(t) ≈ albedo_c(t) · evalSH(coefficients, c, n_t)
 *
 * with `albedo` averaging `meanSkinAlbedo` over skin. The light's average colour is absorbed into
 * the albedo (the colour ambiguity of a single photo); only the light's *variation* of colour with
 * direction stays in the per-channel shading.
 *
 * Conditioning and the prior. A face's normals cover well under a hemisphere (roughly a ±60–70°
 * cone around −z, denser near the front), so order-2 SH is ill-conditioned there: Y00, Y10 ∝ z
 * and Y20 ∝ 3z² − 1 are nearly collinear on the cap, and directions behind the face are not
 * observed at all. The fit therefore adds a Tikhonov term
 * `Σ_k λ_k (P_ck − T_ck)²` to the (weight-normalised) data term, with no penalty on band 0,
 * a weak one on band 1 (target 0) and a stronger one on band 2, whose target T is either 0
 * ("smooth lighting") or — default — a fraction of the band-2 content of the single directional
 * light that has the current band-1 estimate (a "key light + ambient" prior, refreshed at every
 * IRLS iteration). The prior only decides the components the data cannot see; the shading over
 * the observed normals is what the tests pin down (compare shading values, never raw coefficients:
 * see {@link shadingError}).
 *
 * Robustness. Residuals are measured per texel as the RMS over channels of (I_c − fit_c)/mean_c
 * (in units of the mean skin colour). The IRLS starts with `warmupIterations` Huber steps (convex,
 * scale σ re-estimated each step from the weighted median residual), then freezes σ and switches
 * to Tukey's biweight, which gives gross outliers (highlights, freckles, brows, stubble) zero
 * weight — an MM-estimator in spirit. A guard falls back to the Huber solution when the biweight
 * "rejects" structure the model cannot represent (see `tukeyGuard`).
 *
 * Measurements (synthetic 60° cap of normals, 5 % noise, 8 % of texels in dark/specular blobs,
 * coloured two-light SH environments): plain least squares 2.3–3.9 % shading RMS error, Huber
 * 0.3–0.8 %, Tukey 0.2–0.8 %; the prior costs 0.1–0.7 % there (where the truth is exactly order-2
 * SH) and helps extrapolation beyond the observed normals for clamped-cosine (real) lights by
 * ~1–2 points. Condition number of the data matrix on that cap: ≈1.6·10⁴.
 */
import { FaceDetailError } from '../errors.js';
import type { Image, SHLighting } from '../types.js';
import type { UVGeometry } from '../unwrap/uv-geometry.js';
import { SH_C1, evalSH, shBasis } from './sh.js';
import { assignDefaults } from '../options.js';
import { choleskyFactor, choleskySolve } from '../numeric/index.js';
import { sampleGrid, type OcclusionField } from './visibility.js';

/** Robust loss of the IRLS: Tukey's biweight (redescending), Huber, or plain least squares. @public */
export type RobustLoss = 'tukey' | 'huber' | 'none';

/** Options of {@link fitLighting}. */
export interface FitLightingOptions {
  /**
   * Subsampling: use every `stride`-th texel along u and v (1 = all). 4 on a 1024² map keeps
   * ~35 k texels of a face, plenty for 27 unknowns (measured on a 1024² synthetic face, 2-core
   * Xeon: stride 2 ≈ 300–450 ms, 3 ≈ 160–200 ms, 4 ≈ 85 ms, with the same accuracy). On the
   * albedo benchmark's renders (`npm run bench:albedo -- --no-sweep`), stride 3 → 4 moved the
   * held-out texels with ΔE > 10 from 7.96 to 7.98 % (mean ΔE 5.29 both; tuning half 8.28 → 8.24 %).
   * @example { stride: 1 } // full resolution (≈16× slower than the default)
   */
  stride: number;
  /** Robust loss. 'tukey' (default) rejects gross outliers completely after Huber warm-up iterations. */
  loss: RobustLoss;
  /** Huber threshold in robust standard deviations (1.345 = 95 % Gaussian efficiency). */
  huberK: number;
  /** Tukey biweight cut-off in robust standard deviations (4.685 = 95 % Gaussian efficiency). */
  tukeyC: number;
  /**
   * Tukey safety net: if the biweight solution's RMS residual over *all* skin texels exceeds this
   * factor × the Huber warm-up solution's, the Huber solution is returned instead.
   */
  tukeyGuard: number;
  /** Number of Huber iterations before switching to Tukey (the biweight needs a good start). */
  warmupIterations: number;
  /** Maximum IRLS iterations in total. */
  maxIterations: number;
  /** Stop when the largest coefficient change is below this fraction of the largest coefficient. */
  tolerance: number;
  /**
   * Floor of the robust residual scale σ, in units of the mean skin intensity (0.01 = 1 % of it):
   * stops the IRLS from rejecting everything on nearly noise-free data.
   */
  minScale: number;
  /** Tikhonov weight on band-1 coefficients (target 0), relative to the weight-normalised data term. */
  band1Prior: number;
  /** Tikhonov weight on band-2 coefficients, relative to the weight-normalised data term. */
  band2Prior: number;
  /** Band-2 target: 0, or `band2DirectionalFraction` × the band 2 of the directional light implied by band 1. */
  band2Target: 'zero' | 'directional';
  /** Fraction of a point light's band-2 content used as the target (0 = fully diffuse, 1 = a point light). */
  band2DirectionalFraction: number;
  /** Relative ridge added to the diagonal for the Cholesky factorisation (× trace/9). */
  ridge: number;
  /** A texel is an inlier when its residual is at most this many robust σ (statistics only). */
  inlierThreshold: number;
  /** With fewer usable texels than this, the fit falls back to uniform shading (`degenerate: true`). */
  minTexels: number;
  /**
   * Visibility of the proxy ({@link computeOcclusion}): each texel's basis row becomes its
   * shadowed transfer `Y(n) − B` instead of `Y(n)`, so the fitted light explains the cast shadows
   * and occlusion instead of absorbing them. Absent: the plain SH of the normal.
   */
  occlusion?: OcclusionField;
}

/** Defaults of {@link FitLightingOptions}. */
export const FIT_LIGHTING_DEFAULTS: Readonly<FitLightingOptions> = Object.freeze({
  stride: 4,
  loss: 'tukey',
  huberK: 1.345,
  tukeyC: 4.685,
  tukeyGuard: 1.25,
  warmupIterations: 3,
  maxIterations: 20,
  tolerance: 1e-5,
  minScale: 0.01,
  band1Prior: 1e-4,
  band2Prior: 1e-3,
  band2Target: 'directional',
  band2DirectionalFraction: 0.5,
  ridge: 1e-9,
  inlierThreshold: 2.5,
  minTexels: 32,
});

/** Result of {@link fitLighting}: `texture_linear_c ≈ albedo_c · evalSH(coefficients, c, n)`. */
export interface LightingFit extends SHLighting {
  /** 27 shading coefficients [c*9 + k]; each channel's shading has weighted mean 1 over skin. */
  coefficients: Float64Array;
  /** Linear RGB albedo that the shading multiplies to reproduce the mean skin colour. */
  meanSkinAlbedo: [number, number, number];
  /** Weighted RMS over the inliers of the residual (I − fit) in units of the channel's mean skin intensity (0.05 = 5 %). */
  residualRms: number;
  /** Same RMS over all fitted texels (outliers included). */
  residualRmsAll: number;
  /** Robust scale σ of the residual (same units) used by the final iterations. */
  robustScale: number;
  /** The loss whose solution was returned ('huber' when the Tukey guard fell back, see `tukeyGuard`). */
  lossUsed: RobustLoss;
  /** Fraction of the weight on inliers (residual ≤ `inlierThreshold`·σ). */
  inlierFraction: number;
  /** Number of texels used (after subsampling and weight > 0). */
  texelCount: number;
  /** IRLS iterations run. */
  iterations: number;
  /** Condition number of the weighted 9×9 data matrix (before the prior): how ill-posed band 2 is. */
  conditionNumber: number;
  /** True when too few texels were usable and uniform shading was returned. */
  degenerate: boolean;
}

/**
 * Fit 2nd-order SH lighting (27 coefficients) to a linear texture over the skin texels, robustly.
 *
 * @param textureLinear UV texture, linear RGB (≥ 3 channels, same size as `geom`).
 * @param geom Proxy geometry in UV space; its `normal` (camera frame, unit) and `coverage` are used.
 * @param weights Per-texel weight ≥ 0, typically skin mask × unwrap confidence.
 * @example
 * const skin = buildSkinMask(W, H, topo.uvs, topo.regions, geom.coverage);
 * for (let i = 0; i < skin.length; i++) skin[i] *= confidence[i];
 * const fit = fitLighting(linearTex, geom, skin);
 * // shading at a normal: evalSH(fit.coefficients, c, nx, ny, nz); albedo ≈ I / shading
 */
export function fitLighting(
  textureLinear: Image,
  geom: UVGeometry,
  weights: Float32Array,
  options: Partial<FitLightingOptions> = {},
): LightingFit {
  const opts = assignDefaults(FIT_LIGHTING_DEFAULTS, options);
  const W = geom.width, H = geom.height;
  if (textureLinear.width !== W || textureLinear.height !== H) {
    throw invalid('textureLinear', `a ${W}×${H} image (the UV geometry's size)`, `${textureLinear.width}×${textureLinear.height}`);
  }
  if (textureLinear.channels < 3) throw invalid('textureLinear.channels', '≥ 3 (RGB)', textureLinear.channels);
  if (weights.length !== W * H) throw invalid('weights', `length ${W * H}`, weights.length);
  if (!(Number.isInteger(opts.stride) && opts.stride >= 1)) throw invalid('stride', 'an integer ≥ 1', opts.stride);

  // Gather the samples: basis values, colours, weights.
  const stride = opts.stride, off = (stride - 1) >> 1;
  const cap = Math.ceil(W / stride) * Math.ceil(H / stride);
  let Y = new Float64Array(cap * 9);
  let I = new Float64Array(cap * 3);
  let w = new Float64Array(cap);
  const b = new Float64Array(9), bl9 = new Float64Array(9);
  const occ = opts.occlusion;
  if (occ && occ.blocked.length !== 9 * occ.size * occ.size) throw invalid('occlusion.blocked', `length ${9 * occ.size * occ.size}`, occ.blocked.length);
  const C = textureLinear.channels, tex = textureLinear.data, nrm = geom.normal;
  let N = 0;
  for (let j = off; j < H; j += stride) {
    for (let i = off; i < W; i += stride) {
      const k = j * W + i;
      const wk = weights[k]!;
      if (!(wk > 0) || geom.coverage[k] === 0) continue;
      let nx = nrm[3 * k]!, ny = nrm[3 * k + 1]!, nz = nrm[3 * k + 2]!;
      const len = Math.hypot(nx, ny, nz);
      if (!(len > 1e-6)) continue;
      const r = tex[k * C]!, g = tex[k * C + 1]!, bl = tex[k * C + 2]!;
      if (!(Number.isFinite(r) && Number.isFinite(g) && Number.isFinite(bl))) continue;
      nx /= len; ny /= len; nz /= len;
      shBasis(nx, ny, nz, b);
      if (occ) {
        sampleGrid(occ, occ.blocked, 9, i, j, W, H, bl9);
        for (let q = 0; q < 9; q++) b[q] = b[q]! - bl9[q]!;
      }
      for (let q = 0; q < 9; q++) Y[N * 9 + q] = b[q]!;
      I[N * 3] = r; I[N * 3 + 1] = g; I[N * 3 + 2] = bl;
      w[N] = wk;
      N++;
    }
  }
  Y = Y.subarray(0, N * 9); I = I.subarray(0, N * 3); w = w.subarray(0, N);
  return fitSamples(Y, I, w, N, opts);
}

/** The IRLS on gathered samples: Y (9 per sample), I (RGB per sample), w (weight per sample). */
function fitSamples(Y: Float64Array, I: Float64Array, w: Float64Array, N: number, opts: FitLightingOptions): LightingFit {
  let sumW = 0;
  const meanI = [0, 0, 0];
  for (let t = 0; t < N; t++) {
    sumW += w[t]!;
    for (let c = 0; c < 3; c++) meanI[c]! += w[t]! * I[3 * t + c]!;
  }
  for (let c = 0; c < 3; c++) meanI[c] = sumW > 0 ? meanI[c]! / sumW : 0;
  if (N < opts.minTexels || !(sumW > 0) || !(meanI[0]! + meanI[1]! + meanI[2]! > 0)) return uniformFit(meanI, N);

  const rw = new Float64Array(N).fill(1); // robust weights
  const r = new Float64Array(N); // joint normalised residuals
  const P = new Float64Array(27); // products ρ_c · L_ck
  const Pold = new Float64Array(27);
  const Phuber = new Float64Array(27);
  let msHuber = Infinity;
  const A = new Float64Array(81), B = new Float64Array(27), Lc = new Float64Array(81), X = new Float64Array(27);
  const lam = new Float64Array(9);
  for (let k = 1; k < 9; k++) lam[k] = k < 4 ? opts.band1Prior : opts.band2Prior;
  const target = new Float64Array(27);
  const bd = new Float64Array(9);
  let conditionNumber = NaN;
  let sigma = opts.minScale;
  let iterations = 0;
  const maxIt = opts.loss === 'none' ? 1 : Math.max(1, opts.maxIterations);
  for (let it = 0; it < maxIt; it++) {
    iterations = it + 1;
    // Normal equations (weight-normalised): A = Σ ω Y Yᵀ / Σ ω, B_c = Σ ω Y I_c / Σ ω.
    A.fill(0); B.fill(0);
    const sw = accumulateNormalEquations(Y, I, w, rw, N, A, B);
    if (!(sw > 0)) break;
    const inv = 1 / sw;
    for (let p = 0; p < 9; p++) {
      for (let q = p; q < 9; q++) { const v = A[p * 9 + q]! * inv; A[p * 9 + q] = v; A[q * 9 + p] = v; }
      for (let c = 0; c < 3; c++) B[c * 9 + p] = B[c * 9 + p]! * inv;
    }
    if (it === 0) conditionNumber = symmetricConditionNumber(A);
    // Prior targets from the current estimate (band 1 → implied directional band 2).
    target.fill(0);
    if (it > 0 && opts.band2Target === 'directional') {
      for (let c = 0; c < 3; c++) directionalBand2(P, c, opts.band2DirectionalFraction, bd, target);
    }
    let trace = 0;
    for (let p = 0; p < 9; p++) trace += A[p * 10]!;
    const ridge = opts.ridge * trace / 9;
    for (let p = 0; p < 9; p++) {
      A[p * 10] = A[p * 10]! + lam[p]! + ridge;
      for (let c = 0; c < 3; c++) B[c * 9 + p] = B[c * 9 + p]! + lam[p]! * target[c * 9 + p]!;
    }
    Pold.set(P);
    Lc.set(A); // factored in place: L in the copy's lower triangle
    if (!choleskyFactor(Lc, 9)) break;
    for (let c = 0; c < 3; c++) choleskySolve(Lc, 9, B, X, c * 9, c * 9);
    P.set(X);
    if (opts.loss === 'none') break;
    // Residuals and robust scale.
    const huber = opts.loss === 'huber' || it < opts.warmupIterations;
    const med = residuals(Y, I, w, N, P, r, meanI);
    if (huber) {
      sigma = Math.max(opts.minScale, med / 0.888);
      Phuber.set(P);
      msHuber = weightedMeanSquare(r, w, N);
    }
    if (huber) huberWeights(r, rw, N, sigma, opts.huberK);
    else tukeyWeights(r, rw, N, sigma, opts.tukeyC);
    let dMax = 0, pMax = 0;
    for (let q = 0; q < 27; q++) { dMax = Math.max(dMax, Math.abs(P[q]! - Pold[q]!)); pMax = Math.max(pMax, Math.abs(P[q]!)); }
    const warm = opts.loss !== 'tukey' || it >= opts.warmupIterations;
    if (it > 0 && warm && dMax <= opts.tolerance * pMax) break;
  }

  // Statistics with the final fit.
  let med = residuals(Y, I, w, N, P, r, meanI);
  let lossUsed: RobustLoss = opts.loss;
  if (opts.loss === 'tukey' && Number.isFinite(msHuber) && weightedMeanSquare(r, w, N) > opts.tukeyGuard * opts.tukeyGuard * msHuber) {
    // The biweight locked onto a majority the model cannot represent (e.g. a rim-lit face whose
    // lit minority got "rejected"): the rejected set is structure, not sparse outliers. Measured on
    // clamped-cosine renderings: legitimate rejections change this RMS by < 2 %, the failures by
    // 80–100 %. Fall back to the Huber solution.
    P.set(Phuber);
    med = residuals(Y, I, w, N, P, r, meanI);
    lossUsed = 'huber';
  }
  if (opts.loss === 'none') sigma = Math.max(opts.minScale, med / 0.888);
  let wIn = 0, e2In = 0, e2All = 0;
  for (let t = 0; t < N; t++) {
    const e2 = r[t]! * r[t]!;
    e2All += w[t]! * e2;
    if (r[t]! <= opts.inlierThreshold * sigma) { wIn += w[t]!; e2In += w[t]! * e2; }
  }
  // Normalise: channel c's shading has weighted mean 1 over skin.
  const meanY = new Float64Array(9);
  for (let t = 0; t < N; t++) for (let q = 0; q < 9; q++) meanY[q]! += w[t]! * Y[9 * t + q]!;
  for (let q = 0; q < 9; q++) meanY[q] = meanY[q]! / sumW;
  const albedo: [number, number, number] = [0, 0, 0];
  const coefficients = new Float64Array(27);
  for (let c = 0; c < 3; c++) {
    let m = 0;
    for (let q = 0; q < 9; q++) m += P[c * 9 + q]! * meanY[q]!;
    if (!(m > 1e-12) || !Number.isFinite(m)) return uniformFit(meanI, N);
    albedo[c] = m;
    for (let q = 0; q < 9; q++) coefficients[c * 9 + q] = P[c * 9 + q]! / m;
  }
  return {
    coefficients,
    meanSkinAlbedo: albedo,
    residualRms: wIn > 0 ? Math.sqrt(e2In / wIn) : NaN,
    residualRmsAll: Math.sqrt(e2All / sumW),
    robustScale: sigma,
    lossUsed,
    inlierFraction: wIn / sumW,
    texelCount: N,
    iterations,
    conditionNumber,
    degenerate: false,
  };
}

/**
 * Adds Σ ω Y Yᵀ (upper triangle, row-major 9×9) to `A` and Σ ω Y I_c to `B` (27: channel-major)
 * over the first `N` samples, ω = w·rw; returns Σ ω. A function of its own (as are the weight
 * updates below) so that V8 optimizes it as a whole on its first calls instead of re-entering a
 * long function's loops one by one (each compiled on the fly, then dropped when the code after
 * it runs for the first time): the IRLS's first call in a process took ≈ 10× its later calls.
 */
function accumulateNormalEquations(Y: Float64Array, I: Float64Array, w: Float64Array, rw: Float64Array, N: number, A: Float64Array, B: Float64Array): number {
  let sw = 0;
  for (let t = 0; t < N; t++) {
    const om = w[t]! * rw[t]!;
    if (om === 0) continue;
    sw += om;
    // Unrolled (the same products, summed in the same order, as the p ≤ q double loop).
    const o = 9 * t;
    const y0 = Y[o + 0]!, y1 = Y[o + 1]!, y2 = Y[o + 2]!, y3 = Y[o + 3]!, y4 = Y[o + 4]!, y5 = Y[o + 5]!, y6 = Y[o + 6]!, y7 = Y[o + 7]!, y8 = Y[o + 8]!;
    const i0 = om * I[3 * t]!, i1 = om * I[3 * t + 1]!, i2 = om * I[3 * t + 2]!;
    const w0 = om * y0;
    A[0]! += w0 * y0; A[1]! += w0 * y1; A[2]! += w0 * y2; A[3]! += w0 * y3; A[4]! += w0 * y4; A[5]! += w0 * y5; A[6]! += w0 * y6; A[7]! += w0 * y7; A[8]! += w0 * y8;
    B[0]! += i0 * y0; B[9]! += i1 * y0; B[18]! += i2 * y0;
    const w1 = om * y1;
    A[10]! += w1 * y1; A[11]! += w1 * y2; A[12]! += w1 * y3; A[13]! += w1 * y4; A[14]! += w1 * y5; A[15]! += w1 * y6; A[16]! += w1 * y7; A[17]! += w1 * y8;
    B[1]! += i0 * y1; B[10]! += i1 * y1; B[19]! += i2 * y1;
    const w2 = om * y2;
    A[20]! += w2 * y2; A[21]! += w2 * y3; A[22]! += w2 * y4; A[23]! += w2 * y5; A[24]! += w2 * y6; A[25]! += w2 * y7; A[26]! += w2 * y8;
    B[2]! += i0 * y2; B[11]! += i1 * y2; B[20]! += i2 * y2;
    const w3 = om * y3;
    A[30]! += w3 * y3; A[31]! += w3 * y4; A[32]! += w3 * y5; A[33]! += w3 * y6; A[34]! += w3 * y7; A[35]! += w3 * y8;
    B[3]! += i0 * y3; B[12]! += i1 * y3; B[21]! += i2 * y3;
    const w4 = om * y4;
    A[40]! += w4 * y4; A[41]! += w4 * y5; A[42]! += w4 * y6; A[43]! += w4 * y7; A[44]! += w4 * y8;
    B[4]! += i0 * y4; B[13]! += i1 * y4; B[22]! += i2 * y4;
    const w5 = om * y5;
    A[50]! += w5 * y5; A[51]! += w5 * y6; A[52]! += w5 * y7; A[53]! += w5 * y8;
    B[5]! += i0 * y5; B[14]! += i1 * y5; B[23]! += i2 * y5;
    const w6 = om * y6;
    A[60]! += w6 * y6; A[61]! += w6 * y7; A[62]! += w6 * y8;
    B[6]! += i0 * y6; B[15]! += i1 * y6; B[24]! += i2 * y6;
    const w7 = om * y7;
    A[70]! += w7 * y7; A[71]! += w7 * y8;
    B[7]! += i0 * y7; B[16]! += i1 * y7; B[25]! += i2 * y7;
    const w8 = om * y8;
    A[80]! += w8 * y8;
    B[8]! += i0 * y8; B[17]! += i1 * y8; B[26]! += i2 * y8;
  }
  return sw;
}

/** Huber weights of the residuals `r` at scale `sigma` and threshold `k` (robust σ units) into `rw`. */
function huberWeights(r: Float64Array, rw: Float64Array, N: number, sigma: number, k: number): void {
  for (let t = 0; t < N; t++) {
    const u = r[t]! / sigma;
    rw[t] = u <= k ? 1 : k / u;
  }
}

/** Tukey biweights of the residuals `r` at scale `sigma` and cut-off `c` (robust σ units) into `rw`. */
function tukeyWeights(r: Float64Array, rw: Float64Array, N: number, sigma: number, c: number): void {
  for (let t = 0; t < N; t++) {
    const q = r[t]! / sigma / c;
    rw[t] = q >= 1 ? 0 : (1 - q * q) * (1 - q * q);
  }
}

/**
 * Joint residual per sample, r = sqrt(mean_c ((I_c − P_c)/mean_c)²) (mean_c: the channel's
 * weighted mean skin intensity), written to `r`; returns its weighted median. For independent
 * Gaussian noise of σ per channel, r = σ·sqrt(χ²₃/3) whose median is ≈ 0.888 σ, hence the
 * consistency factor used by the caller.
 *
 * Normalising by the channel mean rather than by the local prediction was measured on
 * clamped-cosine renderings: residuals relative to the prediction blow up in attached shadows,
 * the robust loss then rejects the whole shadowed side and the shading error reached 40–70 % for
 * side lights with little ambient, against ≤ 8 % with the mean normalisation.
 */
function residuals(Y: Float64Array, I: Float64Array, w: Float64Array, N: number, P: Float64Array, r: Float64Array, meanI: number[]): number {
  const f0 = 1 / meanI[0]!, f1 = 1 / meanI[1]!, f2 = 1 / meanI[2]!;
  const c00 = P[0]!, c01 = P[1]!, c02 = P[2]!, c03 = P[3]!, c04 = P[4]!, c05 = P[5]!, c06 = P[6]!, c07 = P[7]!, c08 = P[8]!, c10 = P[9]!, c11 = P[10]!, c12 = P[11]!, c13 = P[12]!, c14 = P[13]!, c15 = P[14]!, c16 = P[15]!, c17 = P[16]!, c18 = P[17]!, c20 = P[18]!, c21 = P[19]!, c22 = P[20]!, c23 = P[21]!, c24 = P[22]!, c25 = P[23]!, c26 = P[24]!, c27 = P[25]!, c28 = P[26]!;
  for (let t = 0; t < N; t++) {
    const o = 9 * t;
    // Unrolled: the same sums in the same order as a loop over the 9 basis functions.
    const y0 = Y[o + 0]!, y1 = Y[o + 1]!, y2 = Y[o + 2]!, y3 = Y[o + 3]!, y4 = Y[o + 4]!, y5 = Y[o + 5]!, y6 = Y[o + 6]!, y7 = Y[o + 7]!, y8 = Y[o + 8]!;
    const p0 = c00 * y0 + c01 * y1 + c02 * y2 + c03 * y3 + c04 * y4 + c05 * y5 + c06 * y6 + c07 * y7 + c08 * y8;
    const p1 = c10 * y0 + c11 * y1 + c12 * y2 + c13 * y3 + c14 * y4 + c15 * y5 + c16 * y6 + c17 * y7 + c18 * y8;
    const p2 = c20 * y0 + c21 * y1 + c22 * y2 + c23 * y3 + c24 * y4 + c25 * y5 + c26 * y6 + c27 * y7 + c28 * y8;
    const e0 = (I[3 * t]! - p0) * f0;
    const e1 = (I[3 * t + 1]! - p1) * f1;
    const e2 = (I[3 * t + 2]! - p2) * f2;
    r[t] = Math.sqrt((e0 * e0 + e1 * e1 + e2 * e2) / 3);
  }
  return weightedMedian(r, w, N);
}

/** Weighted mean of v² over the first n samples. */
function weightedMeanSquare(v: Float64Array, w: Float64Array, n: number): number {
  let s = 0, sw = 0;
  for (let t = 0; t < n; t++) { s += w[t]! * v[t]! * v[t]!; sw += w[t]!; }
  return sw > 0 ? s / sw : 0;
}

/**
 * Weighted median of non-negative values via a logarithmic histogram (4096 bins from 1e-7 to
 * 1e3, ≈0.6 % relative resolution): O(n), no sort.
 */
function weightedMedian(v: Float64Array, w: Float64Array, n: number): number {
  const BINS = 4096, LO = Math.log(1e-7), HI = Math.log(1e3);
  const scale = BINS / (HI - LO);
  const hist = new Float64Array(BINS);
  let total = 0;
  for (let t = 0; t < n; t++) {
    const wt = w[t]!;
    if (!(wt > 0)) continue;
    const x = v[t]!;
    let bin = x > 0 ? Math.floor((Math.log(x) - LO) * scale) : 0;
    if (bin < 0) bin = 0; else if (bin >= BINS) bin = BINS - 1;
    hist[bin]! += wt;
    total += wt;
  }
  const half = total / 2;
  let acc = 0;
  for (let k = 0; k < BINS; k++) {
    const h = hist[k]!;
    if (acc + h >= half && h > 0) {
      const f = (half - acc) / h;
      return Math.exp(LO + (k + f) / scale);
    }
    acc += h;
  }
  return 0;
}

/**
 * Band-2 target for channel c: `fraction` × the band 2 of the single directional light whose band 1
 * equals P's (|b1| = L·C1·2π/3, a2m = L·(π/4)·Y2m(d) ⇒ a2m = |b1|·3/(8·C1)·Y2m(d)).
 */
function directionalBand2(P: Float64Array, c: number, fraction: number, b: Float64Array, target: Float64Array): void {
  const o = c * 9;
  const by = P[o + 1]!, bz = P[o + 2]!, bx = P[o + 3]!;
  const len = Math.hypot(bx, by, bz);
  if (!(len > 0)) return;
  shBasis(bx / len, by / len, bz / len, b);
  const s = fraction * len * 3 / (8 * SH_C1);
  for (let q = 4; q < 9; q++) target[o + q] = s * b[q]!;
}

function uniformFit(meanI: number[], N: number): LightingFit {
  const coefficients = new Float64Array(27);
  for (let c = 0; c < 3; c++) coefficients[c * 9] = 1 / 0.28209479177387814;
  return {
    coefficients,
    meanSkinAlbedo: [meanI[0] ?? 0, meanI[1] ?? 0, meanI[2] ?? 0],
    residualRms: NaN,
    residualRmsAll: NaN,
    robustScale: NaN,
    inlierFraction: 0,
    texelCount: N,
    iterations: 0,
    lossUsed: 'none',
    conditionNumber: NaN,
    degenerate: true,
  };
}

/** Ratio of the largest to the smallest eigenvalue of a symmetric 9×9 (cyclic Jacobi). */
function symmetricConditionNumber(A: Float64Array): number {
  const M = Float64Array.from(A);
  for (let sweep = 0; sweep < 50; sweep++) {
    let off = 0;
    for (let p = 0; p < 9; p++) for (let q = p + 1; q < 9; q++) off += M[p * 9 + q]! * M[p * 9 + q]!;
    if (off < 1e-30) break;
    for (let p = 0; p < 9; p++) {
      for (let q = p + 1; q < 9; q++) {
        const apq = M[p * 9 + q]!;
        if (Math.abs(apq) < 1e-300) continue;
        const theta = (M[q * 9 + q]! - M[p * 9 + p]!) / (2 * apq);
        const t = Math.sign(theta || 1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
        const cs = 1 / Math.sqrt(t * t + 1), sn = t * cs;
        for (let k = 0; k < 9; k++) {
          const mkp = M[k * 9 + p]!, mkq = M[k * 9 + q]!;
          M[k * 9 + p] = cs * mkp - sn * mkq;
          M[k * 9 + q] = sn * mkp + cs * mkq;
        }
        for (let k = 0; k < 9; k++) {
          const mpk = M[p * 9 + k]!, mqk = M[q * 9 + k]!;
          M[p * 9 + k] = cs * mpk - sn * mqk;
          M[q * 9 + k] = sn * mpk + cs * mqk;
        }
      }
    }
  }
  let lo = Infinity, hi = 0;
  for (let p = 0; p < 9; p++) { const e = Math.abs(M[p * 10]!); lo = Math.min(lo, e); hi = Math.max(hi, e); }
  return lo > 0 ? hi / lo : Infinity;
}

/** Options of {@link shadingError}. */
export interface ShadingErrorOptions {
  /** 'mean': scale each channel of both shadings to weighted mean 1 before comparing (compares shapes only). */
  normalize: 'none' | 'mean';
}

/**
 * Relative RMS difference between two SH shadings evaluated on a set of normals:
 * per channel `sqrt(Σ w (s_est − s_ref)²/Σ w) / (Σ w s_ref/Σ w)`, and their RMS over channels.
 * This is the metric to compare lightings by: on a face-sized normal cone very different
 * coefficient vectors give nearly the same shading.
 *
 * @param normals Unit normals, xyz interleaved (e.g. `geom.normal`; zero vectors are skipped).
 * @param weights Optional per-normal weights (e.g. coverage or skin mask).
 * @example
 * const e = shadingError(fit.coefficients, trueCoeffs, geom.normal, geom.coverage, { normalize: 'mean' });
 * e.rms // 0.02 = 2 %
 */
export function shadingError(
  estimate: ArrayLike<number>,
  reference: ArrayLike<number>,
  normals: ArrayLike<number>,
  weights?: ArrayLike<number>,
  options: Partial<ShadingErrorOptions> = {},
): { perChannel: [number, number, number]; rms: number } {
  const normalize = options.normalize ?? 'none';
  const n = Math.floor(normals.length / 3);
  const sw = [0, 0, 0], se = [0, 0, 0], sr = [0, 0, 0], s2e = [0, 0, 0], s2r = [0, 0, 0], ser = [0, 0, 0];
  for (let t = 0; t < n; t++) {
    const wt = weights ? weights[t]! : 1;
    if (!(wt > 0)) continue;
    const x = normals[3 * t]!, y = normals[3 * t + 1]!, z = normals[3 * t + 2]!;
    if (x === 0 && y === 0 && z === 0) continue;
    for (let c = 0; c < 3; c++) {
      const a = evalSH(estimate, c, x, y, z), b = evalSH(reference, c, x, y, z);
      sw[c]! += wt; se[c]! += wt * a; sr[c]! += wt * b;
      s2e[c]! += wt * a * a; s2r[c]! += wt * b * b; ser[c]! += wt * a * b;
    }
  }
  const per: [number, number, number] = [0, 0, 0];
  for (let c = 0; c < 3; c++) {
    const W = sw[c]!;
    if (!(W > 0)) { per[c] = NaN; continue; }
    const me = se[c]! / W, mr = sr[c]! / W;
    let ka = 1, kb = 1;
    if (normalize === 'mean') { ka = 1 / me; kb = 1 / mr; }
    // E[(ka a − kb b)²] from the accumulated moments.
    const mse = (ka * ka * s2e[c]! - 2 * ka * kb * ser[c]! + kb * kb * s2r[c]!) / W;
    per[c] = Math.sqrt(Math.max(0, mse)) / Math.abs(kb * mr);
  }
  return { perChannel: per, rms: Math.sqrt((per[0] * per[0] + per[1] * per[1] + per[2] * per[2]) / 3) };
}

/**
 * Flat statistics of a fit for `result.json` / the pipeline's `lighting.stats`.
 *
 * @example lightingStats(fit) // { residualRms: 0.031, inlierFraction: 0.93, ... }
 */
export function lightingStats(fit: LightingFit): Record<string, number> {
  return {
    residualRms: fit.residualRms,
    residualRmsAll: fit.residualRmsAll,
    robustScale: fit.robustScale,
    inlierFraction: fit.inlierFraction,
    texelCount: fit.texelCount,
    iterations: fit.iterations,
    conditionNumber: fit.conditionNumber,
    albedoR: fit.meanSkinAlbedo[0],
    albedoG: fit.meanSkinAlbedo[1],
    albedoB: fit.meanSkinAlbedo[2],
    degenerate: fit.degenerate ? 1 : 0,
  };
}

function invalid(name: string, expected: string, got: unknown): FaceDetailError {
  return new FaceDetailError('INVALID_OPTION', `${name}: expected ${expected}, received ${String(got)}`);
}

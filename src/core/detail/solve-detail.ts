import { DARK_IS_DEEP_DEFAULTS, darkIsDeep } from './dark-is-deep.js';
import { FaceDetailError } from '../errors.js';
import { REC709_LUMA } from '../image/image.js';
import { evalSH, evalSHGradient } from '../lighting/sh.js';
import type { Image } from '../types.js';
import type { UVGeometry } from '../unwrap/uv-geometry.js';
import { boxSum, upsampleBilinear } from './box-filter.js';
import { DETAIL_ALBEDO_DEFAULTS, estimateDetailAlbedo } from './detail-albedo.js';
import {
  PAD, buildMultigrid, createPCGWork, createStencilGrid, prolongAdd, regularizerEnergy, solvePCG,
  updateMultigrid, type GridShape, type StencilGrid,
} from './multigrid.js';
import { detailNormals } from './normal-map.js';
import { assignDefaults } from '../options.js';

/**
 * Per-image shape-from-shading detail: the appearance loss of Chen et al., "Photo-Realistic
 * Facial Details Synthesis from Single Image" (ICCV 2019), minimised directly for one photo.
 *
 * ## Energy (weights: {@link DETAIL_DEFAULTS})
 * Unknown: a displacement d (mm) per covered texel along the proxy normal n0. With
 * `n(d) = normalize(n0 − g)`, `g = [a b] G⁻¹ [Δu d, Δv d]ᵀ` (a = dPdu, b = dPdv,
 * G = [[a·a, a·b], [a·b, b·b]]; FORWARD texel differences, whose adjoint gives a compact 13-point
 * normal-equation stencil and no odd/even null space; d = 0 outside the coverage):
 *
 *   E(d) = Σ_p A_p · w_p · huber_δ( Σ_c ω_c ((I_c − ρ_c s_c(n_p(d))) / m_c)² )      (data)
 *        + λ_smooth · Σ_p A_p · (Δ_s d)_p²                                           (thin plate)
 *        + λ_grad · Σ_p A_p · |∇_s d|²                                               (membrane, off)
 *        + Σ_p A_p · (λ_mag + λ_flat · flat_p) · d_p²                                (magnitude)
 *
 * With a prior displacement d₀ (`DetailInput.prior`, e.g. the DFDN network's: `detail: 'dfdn+sfs'`)
 * the magnitude term is Σ_p A_p · (λ_mag · (d_p − d₀_p)² + λ_flat · flat_p · d_p²), the solve
 * starts from d₀ (box-averaged to each level, the coarser level's correction prolongated), and
 * the high-pass and `strength` act on the correction d − d₀ only. d₀ enters the solver's grid
 * unshifted (the half-texel offset of the solver's forward differences, see the output section,
 * is ignored for it: 0.1 mm at 1024²). Without a prior the code path is bit-identical.
 *
 * with A_p the texel area (mm²), so every term is a surface integral and the weights do not
 * depend on the texture resolution. Defaults: λ_smooth = 0.001 mm², λ_grad = 0,
 * λ_mag = 0.005 mm⁻², λ_flat = 20 mm⁻², δ = 0.15, then a 12 mm high-pass of the result.
 * - `s_c` is the SH shading (`sh.ts`), ρ the low-pass albedo ({@link estimateDetailAlbedo}),
 *   `m_c` the mean of ρ_c·s_c (residuals are relative intensities: exposure-independent), and
 *   `ω = (0.2126, 0.7152, 0.0722)`: a luminance-weighted fit of all three channels — green carries
 *   the sharpest detail (red is blurred most by subsurface scattering, blue is noisiest).
 * - `Δ_s d = (G⁻¹)_uu Δuu d + (G⁻¹)_vv Δvv d` is the surface Laplacian in mm⁻¹ (the metric's
 *   cross term is ignored). A squared Laplacian rather than ‖∇d‖²: the data term constrains ∇d
 *   (∝ k² in frequency), so a gradient penalty (also ∝ k²) only shrinks every wrinkle by the same
 *   factor (measured: λ_grad = 0.01 lowered the depth slope from 0.78 to 0.73 without reducing
 *   the background error), while the Laplacian (∝ k⁴) and the magnitude term (∝ k⁰) bound the
 *   recovered band on both sides.
 * - `w_p` = confidence × (1 − flatMask) × validity (not clipped, not in deep shadow, +u/+v
 *   neighbours covered) × `1 / (1 + (|χ − χ̄|/τ_χ)² + (e_alb/τ_e)²)`: down-weighted where the
 *   chroma departs from its surroundings and where the albedo model itself sees a chroma-driven
 *   luminance step (`albedoEdge`), so that albedo edges do not become geometry; the flat mask also
 *   adds λ_flat·d², so brows, lips, eyes and nostrils stay flat rather than merely unconstrained.
 * - Uncovered texels: Dirichlet d = 0 (detail fades to zero at the chart border and at holes).
 *
 * ## What the photo can and cannot tell
 * The albedo is free below its filter scale, so displacement at scales above ≈ albedoRadiusMm is
 * not observable (it is indistinguishable from a slow albedo change): the result is a band-pass
 * of the true relief. On the synthetic test scene (grooves 0.4–0.8 mm deep, 1–2 mm wide, 0.2 mm
 * texels, noise 0.004) the recovered depth regresses on the truth with slope 0.76 and
 * correlation 0.93; the error is mostly a smooth ±0.1–0.2 mm offset around the grooves. Measured
 * alternatives (slope / correlation / RMS error in the grooves / background RMS, mm):
 *   defaults                     0.76 / 0.927 / 0.153 / 0.037
 *   λ_mag = 0.001                0.79 / 0.912 / 0.144 / 0.051   (low-frequency drift)
 *   highPassMm = 0               0.75 / 0.916 / 0.150 / 0.040   (freckle 0.070 vs 0.059 mm)
 *   λ_grad = 0.01                0.71 / 0.919 / 0.163 / 0.035
 *   albedoRadiusMm = 6           0.71 / 0.909 / 0.177 / 0.033
 *   albedoRefinements = 1        0.78 / 0.931 / 0.145 / 0.040   (+≈ 15 % run time)
 *
 * ## Solver
 * Coarse-to-fine over resolutions (inputs box-averaged down to ≤ `coarsestSize` texels a side):
 * Gauss–Newton at the coarsest level (optionally followed by albedo refinements with the detailed
 * shading), then one Gauss–Newton step per finer level from the prolongated solution. Each step linearises
 * s(n(d)) around the current d (chain rule through the normalisation; s and ∂s/∂n are
 * `evalSH` and `evalSHGradient`), giving a 2×2 tensor Q per texel of a 13-point SPD
 * system that PCG solves with a geometric-multigrid V-cycle ({@link solvePCG}), warm-started
 * from d, to an inexact-Newton tolerance (residual reduced 10×, at most 8 iterations at the
 * coarsest level and 2 at finer ones: tighter solves changed the result by < 1 %). A step that
 * raises the energy is halved (twice at most) or rejected.
 */
export interface DetailInput {
  /** The proxy rasterised in UV space (camera frame, mm). */
  geom: UVGeometry;
  /** Unwrapped texture, LINEAR RGB (3 or 4 channels), same size as `geom`. */
  texture: Image;
  /** Per-texel confidence in [0, 1] (W·H). */
  confidence: Float32Array;
  /** 27 SH shading coefficients (`sh.ts` convention) fitted to this photo. */
  sh: ArrayLike<number>;
  /** Per texel [0, 1], 1 = must stay flat (brows, lip border, eyes, nostrils). */
  flatMask?: Float32Array;
  /**
   * Prior displacement d₀ (mm per texel, W·H, e.g. the DFDN network's): the solve starts from it
   * and its magnitude term becomes λ_mag·(d − d₀)² (the flat-region term stays λ_flat·d²); the
   * high-pass and `strength` then apply to the correction d − d₀ only, and the result is
   * `priorStrength·d₀ + strength·(correction + dark-is-deep)`. Absent: the plain solve (bit-identical).
   */
  prior?: Float32Array;
}

/** Options of {@link solveDetail}. Units in each field's doc. */
export interface DetailOptions {
  /** Multiplies the final displacement (after solving, before clamping). @example { strength: 1 } */
  strength?: number;
  /** λ_smooth, mm²: weight of the squared surface Laplacian (thin plate). @example { lambdaSmooth: 0.001 } */
  lambdaSmooth?: number;
  /** λ_grad (dimensionless): weight of the membrane term |∇_s d|² (0 = off). @example { lambdaGradient: 0 } */
  lambdaGradient?: number;
  /** λ_mag, mm⁻²: weight of d². @example { lambdaMagnitude: 0.005 } */
  lambdaMagnitude?: number;
  /** λ_flat, mm⁻²: extra weight of d² where flatMask = 1. @example { lambdaFlat: 20 } */
  lambdaFlat?: number;
  /**
   * Window radius of the albedo filter, mm: shading variation below this scale is explained as
   * geometry unless it comes with a chroma change. @example { albedoRadiusMm: 12 }
   */
  albedoRadiusMm?: number;
  /**
   * Texel size (mm) of the grid the albedo filter runs on (the input grid when its texels are
   * larger); the result is upsampled bilinearly. @example { albedoGridMm: 0.4 }
   */
  albedoGridMm?: number;
  /** Radius of the box that denoises the albedo filter's chroma guide, mm. @example { albedoGuideRadiusMm: 0.3 } */
  albedoGuideRadiusMm?: number;
  /** Chroma noise scale of the albedo filter (χ ≈ log-chromaticity units). @example { albedoChromaSigma: 0.01 } */
  albedoChromaSigma?: number;
  /** τ_χ of the chroma-deviation data weight (χ units). @example { chromaTau: 0.05 } */
  chromaTau?: number;
  /** τ_e of the albedo-edge data weight (relative luminance step explained by chroma). @example { albedoEdgeTau: 0.01 } */
  albedoEdgeTau?: number;
  /** Huber threshold on the relative residual (0 or Infinity = plain least squares). @example { huberDelta: 0.15 } */
  huberDelta?: number;
  /** Texels whose proxy shading is below this fraction of the mean are ignored (shadow). @example { minShading: 0.1 } */
  minShading?: number;
  /** Texels with any linear channel above this are ignored (clipped highlights). @example { saturation: 0.98 } */
  saturation?: number;
  /** Clamp of the final displacement, ± mm. @example { maxDepthMm: 3 } */
  maxDepthMm?: number;
  /** Coarse-to-fine: the coarsest solved level has max(W, H) ≤ this (≥ 16). @example { coarsestSize: 256 } */
  coarsestSize?: number;
  /** Gauss–Newton iterations at the coarsest level. @example { coarseIterations: 3 } */
  coarseIterations?: number;
  /** Gauss–Newton iterations at each finer level. @example { fineIterations: 1 } */
  fineIterations?: number;
  /** PCG tolerance per Gauss–Newton step: reduce the initial residual by this factor. @example { cgTolerance: 0.1 } */
  cgTolerance?: number;
  /** PCG iteration cap per Gauss–Newton step at the coarsest level. @example { maxCgIterations: 8 } */
  maxCgIterations?: number;
  /** PCG iteration cap per Gauss–Newton step at the finer levels. @example { fineMaxCgIterations: 2 } */
  fineMaxCgIterations?: number;
  /**
   * Albedo re-estimations after the coarsest solve, each with the detailed shading s(n(d)) in
   * place of s(n0), followed by another coarsest-level solve. The first albedo, from s(n0), keeps
   * the second-order darkening of deep wrinkles (their sides tilt away from the light), which
   * then biases the solve. With the true shading in place of s(n0) the depth slope on the test
   * scene went from 0.79 to 0.92 (an early configuration); one refinement recovers part of that
   * (slope 0.76 → 0.78, RMS error 0.153 → 0.145 mm with the other defaults) for ≈ 15 % more run
   * time, so it is off by default. @example { albedoRefinements: 1 }
   */
  albedoRefinements?: number;
  /**
   * σ (mm) of the Gaussian-like low-pass removed from the result (0 = off): relief at scales the
   * photo cannot separate from albedo (see the module doc) is drift, not detail. @example { highPassMm: 12 }
   */
  highPassMm?: number;
  /**
   * "Dark is deep" crease prior (dark-is-deep.ts): mm of inward displacement per unit of
   * unexplained fine-scale log-darkening, added to the solution; 0 = off. @example { darkGainMm: 1 }
   */
  darkGainMm?: number;
  /** Multiplies the prior displacement d₀ in the result (only with `DetailInput.prior`). @example { priorStrength: 1 } */
  priorStrength?: number;
  /** Band limit σ (mm) of the dark-is-deep term. @example { darkBandMm: 2.5 } */
  darkBandMm?: number;
  /** Smoothing σ (mm) of the dark-is-deep term. @example { darkSmoothMm: 0.25 } */
  darkSmoothMm?: number;
}

/** Defaults of {@link DetailOptions}. */
/**
 * Defaults chosen on the accuracy benchmark's TUNING half (bench/accuracy/sweep.ts, renders of
 * the Lee Perry-Smith scan; see README "Accuracy"): of 13 variants, this one had the lowest mean
 * and median normal error with detail on (12.912° / 10.48° vs the proxy's 12.915° / 10.53°).
 * Stronger or less smooth settings (the synthetic-data values: λs 0.001, λm 0.005, minShading
 * 0.1, high-pass 12 mm, strength 1) recover more relief on synthetic tests but added error on
 * the scan (13.23°), mostly shading noise in shadowed regions and mid-frequency drift.
 */
export const DETAIL_DEFAULTS: Readonly<Required<DetailOptions>> = Object.freeze({
  strength: 0.5,
  lambdaSmooth: 0.003,
  lambdaGradient: 0,
  lambdaMagnitude: 0.01,
  lambdaFlat: 20,
  albedoRadiusMm: 12,
  albedoGridMm: 0.4,
  albedoGuideRadiusMm: 0.3,
  albedoChromaSigma: DETAIL_ALBEDO_DEFAULTS.chromaSigma,
  chromaTau: 0.05,
  albedoEdgeTau: 0.01,
  huberDelta: 0.15,
  minShading: 0.35,
  saturation: 0.98,
  maxDepthMm: 3,
  coarsestSize: 256,
  coarseIterations: 3,
  fineIterations: 1,
  cgTolerance: 0.1,
  maxCgIterations: 8,
  fineMaxCgIterations: 2,
  albedoRefinements: 0,
  highPassMm: 6,
  darkGainMm: DARK_IS_DEEP_DEFAULTS.gainMm,
  priorStrength: 1,
  darkBandMm: DARK_IS_DEEP_DEFAULTS.bandMm,
  darkSmoothMm: DARK_IS_DEEP_DEFAULTS.smoothMm,
});

/** Statistics of one {@link solveDetail} run. */
export interface DetailStats {
  /** Gauss–Newton iterations, all levels. */
  iterations: number;
  /** PCG iterations, all levels. */
  cgIterations: number;
  /** Energy of d = 0 and of the solution at the finest level (before high-pass, strength, clamp). */
  energyStart: number;
  energyEnd: number;
  /** RMS and max |d| over covered texels of the returned displacement, mm. */
  rmsMm: number;
  maxAbsMm: number;
  /** Mean texel size, mm. */
  texelMm: number;
  /** Per level (coarse → fine): size, Gauss–Newton and PCG iterations. */
  levels: { width: number; height: number; iterations: number; cgIterations: number }[];
  /** Milliseconds per phase. */
  ms: { prepare: number; albedo: number; pyramid: number; solve: number; normals: number; total: number };
}

/** Output of {@link solveDetail}. */
export interface DetailResult {
  /** Displacement along the proxy normal, mm per texel (W·H), 0 where uncovered. */
  displacement: Float32Array;
  /**
   * Detailed unit normals per texel, camera frame (W·H·3), 0 where uncovered: the normals the
   * solve matched to the photo at each texel centre. `detailNormals(displacement)` gives the
   * same up to a half-texel shift (see the note in the output section of solveDetail).
   */
  normals: Float32Array;
  /** The low-pass linear-RGB albedo used by the solve. */
  albedo: Image;
  stats: DetailStats;
}

/** One resolution of the problem. Level 0 aliases the inputs. */
interface ProblemLevel {
  W: number;
  H: number;
  coverage: Uint8Array;
  normal: Float32Array;
  dPdu: Float32Array;
  dPdv: Float32Array;
  texture: Float32Array; // rgb
  albedo: Float32Array; // rgb
  weight: Float32Array; // data weight (without area)
  flat: Float32Array | null;
  /** Prior displacement d₀ (mm), when given. */
  prior: Float32Array | null;
}

const perf = (globalThis as { performance?: { now(): number } }).performance;
const now = (): number => (perf ? perf.now() : Date.now());

/**
 * Solve for the per-texel detail displacement of one photo (see the module doc for the energy).
 *
 * @example
 * const det = solveDetail({ geom, texture: linearTex, confidence, sh: lighting.coefficients, flatMask }, { strength: 1 });
 * det.displacement // mm per texel; det.normals: detailed normals; det.stats.ms.total
 */
export function solveDetail(input: DetailInput, options?: DetailOptions): DetailResult {
  const t0 = now();
  const o: Required<DetailOptions> = assignDefaults(DETAIL_DEFAULTS, options);
  validate(input, o);
  const { geom, texture, confidence, sh, flatMask } = input;
  const W = geom.width, H = geom.height, N = W * H;
  const cov = geom.coverage;

  // --- prepare: rgb view, proxy shading, texel size, validity ---------------------------
  let tex: Float32Array;
  if (texture.channels === 3) tex = texture.data;
  else {
    tex = new Float32Array(3 * N);
    const C = texture.channels, src = texture.data;
    for (let k = 0; k < N; k++) { tex[3 * k] = src[C * k]!; tex[3 * k + 1] = src[C * k + 1]!; tex[3 * k + 2] = src[C * k + 2]!; }
  }
  const shading = new Float32Array(3 * N);
  shadeNormals(geom.normal, cov, sh, shading);
  const s0 = o.albedoRefinements > 0 ? new Float32Array(shading) : shading;
  let lumSum = 0, covered = 0, texelSum = 0;
  for (let k = 0; k < N; k++) {
    if (cov[k] === 0) continue;
    lumSum += OMEGA[0] * shading[3 * k]! + OMEGA[1] * shading[3 * k + 1]! + OMEGA[2] * shading[3 * k + 2]!;
    covered++;
    texelSum += Math.sqrt(Math.sqrt(metricDet(geom.dPdu, geom.dPdv, k)));
  }
  if (covered === 0) return emptyResult(geom, t0);
  const texelMm = texelSum / covered;
  const minS = o.minShading * (lumSum / covered);
  const valid = new Float32Array(N);
  for (let k = 0; k < N; k++) {
    if (cov[k] === 0) continue;
    const k3 = 3 * k;
    const cf = confidence[k]!;
    if (!(cf > 0)) continue;
    if (!(shading[k3]! > minS && shading[k3 + 1]! > minS && shading[k3 + 2]! > minS)) continue;
    const r = tex[k3]!, g = tex[k3 + 1]!, b = tex[k3 + 2]!;
    if (!(r >= 0 && g >= 0 && b >= 0) || r > o.saturation || g > o.saturation || b > o.saturation) continue;
    valid[k] = cf > 1 ? 1 : cf;
  }
  const ms = { prepare: now() - t0, albedo: 0, pyramid: 0, solve: 0, normals: 0, total: 0 };
  const stats: DetailStats = {
    iterations: 0, cgIterations: 0, energyStart: 0, energyEnd: 0, rmsMm: 0, maxAbsMm: 0, texelMm, levels: [], ms,
  };

  // --- albedo, data weights, pyramid ----------------------------------------------------
  const albOpts = {
    radiusTexels: o.albedoRadiusMm / texelMm,
    guideRadiusTexels: o.albedoGuideRadiusMm / texelMm,
    chromaSigma: o.albedoChromaSigma,
    lumaWeights: OMEGA,
    downsample: Math.max(1, Math.round(o.albedoGridMm / texelMm)),
  };
  const level0: ProblemLevel = {
    W, H, coverage: cov, normal: geom.normal, dPdu: geom.dPdu, dPdv: geom.dPdv,
    texture: tex, albedo: new Float32Array(0), weight: new Float32Array(N), flat: flatMask ?? null, prior: input.prior ?? null,
  };
  const invM = new Float64Array(3);
  const coarsest = Math.max(16, o.coarsestSize);
  const levels: ProblemLevel[] = [level0];
  {
    const t = now();
    while (Math.max(levels[levels.length - 1]!.W, levels[levels.length - 1]!.H) > coarsest) {
      levels.push(downsampleGeometry(levels[levels.length - 1]!));
    }
    ms.pyramid += now() - t;
  }
  const prepareData = () => {
    let t = now();
    const alb = estimateDetailAlbedo(tex, shading, valid, cov, W, H, albOpts);
    ms.albedo += now() - t;
    t = now();
    level0.albedo = alb.albedo;
    dataWeights(level0, valid, alb.chromaDeviation, alb.albedoEdge, shading, o, invM);
    for (let l = 1; l < levels.length; l++) downsampleData(levels[l - 1]!, levels[l]!);
    ms.pyramid += now() - t;
  };
  prepareData();

  // --- solve: coarsest level, albedo refinement, then coarse to fine --------------------
  const huber = o.huberDelta > 0 && Number.isFinite(o.huberDelta) ? o.huberDelta : Infinity;
  const ctx: LinearizeContext = { invM, omega: OMEGA, huber, lambdaGrad: o.lambdaGradient, sh, grad: new Float64Array(3) };
  const pcg = { tolerance: o.cgTolerance, maxIterations: o.maxCgIterations };
  const lc = levels.length - 1;
  let t = now();
  let cur = solveLevel(levels[lc]!, null, o, ctx, pcg, o.coarseIterations, stats);
  ms.solve += now() - t;
  for (let r = 0; r < o.albedoRefinements; r++) {
    // Re-estimate the albedo with the detailed shading s(n(d)) instead of s(n0), so the
    // second-order darkening of deep wrinkles is not absorbed into the albedo (see DetailOptions).
    t = now();
    let dl = cur.d, gl: GridShape = cur.grid;
    for (let l = lc - 1; l >= 0; l--) {
      const shape = gridShape(levels[l]!);
      const df = new Float64Array(shape.size);
      prolongAdd(gl, dl, shape, df);
      dl = df; gl = shape;
    }
    const dFull = unpad(gl, dl, W, H);
    const nFull = detailNormals(dFull, geom);
    shadeNormals(nFull, cov, sh, shading);
    ms.solve += now() - t;
    prepareData();
    t = now();
    // One Gauss–Newton step suffices after a refinement (2 or 3 changed nothing measurable).
    cur = solveLevel(levels[lc]!, cur, o, ctx, pcg, Math.min(o.coarseIterations, 1), stats);
    ms.solve += now() - t;
  }
  t = now();
  const pcgFine = { tolerance: o.cgTolerance, maxIterations: Math.min(o.maxCgIterations, o.fineMaxCgIterations) };
  for (let l = lc - 1; l >= 0; l--) cur = solveLevel(levels[l]!, cur, o, ctx, pcgFine, o.fineIterations, stats);
  stats.energyStart = proxyEnergy(level0, s0, ctx);
  stats.energyEnd = cur.energy;
  ms.solve += now() - t;

  // --- output ---------------------------------------------------------------------------
  t = now();
  // With a prior, the high-pass and strength apply to the correction d − d₀ only.
  const prior0 = cur.prior;
  if (prior0) for (let k = 0; k < cur.d.length; k++) cur.d[k] = cur.d[k]! - prior0.d0[k]!;
  if (o.highPassMm > 0) removeLowFrequency(cur.grid, cur.d, o.highPassMm / texelMm);
  // The solver's forward differences place the slope between texel centres, so its d is the
  // true displacement shifted by half a texel toward −u, −v: the displacement at texel centres is
  // the mean of the 2×2 cell block starting at the texel. The normals are those of the solver's
  // own d, which are the normals it matched to the photo at each texel.
  const g = cur.grid, dd = cur.d, gs = g.stride;
  const dModel = new Float32Array(N), displacement = new Float32Array(N);
  const dark = darkIsDeep(tex, level0.albedo, s0, level0.weight, W, H, texelMm, { gainMm: o.darkGainMm, bandMm: o.darkBandMm, smoothMm: o.darkSmoothMm });
  const clamp = (v: number) => (v > o.maxDepthMm ? o.maxDepthMm : v < -o.maxDepthMm ? -o.maxDepthMm : v);
  let sum2 = 0, maxAbs = 0;
  for (let j = 0; j < H; j++) {
    for (let i = 0; i < W; i++) {
      const k = j * W + i;
      if (cov[k] === 0) continue;
      const p = (j + PAD) * gs + i + PAD;
      const base = prior0 ? o.priorStrength * prior0.d0[p]! : 0;
      dModel[k] = prior0 ? clamp(base + o.strength * (dd[p]! + dark[k]!)) : clamp(o.strength * (dd[p]! + dark[k]!));
      const v = prior0
        ? clamp(base + o.strength * (0.25 * (dd[p]! + dd[p + 1]! + dd[p + gs]! + dd[p + gs + 1]!) + dark[k]!))
        : clamp(o.strength * (0.25 * (dd[p]! + dd[p + 1]! + dd[p + gs]! + dd[p + gs + 1]!) + dark[k]!));
      displacement[k] = v;
      sum2 += v * v;
      if (Math.abs(v) > maxAbs) maxAbs = Math.abs(v);
    }
  }
  stats.rmsMm = Math.sqrt(sum2 / covered);
  stats.maxAbsMm = maxAbs;
  const normals = detailNormals(dModel, geom);
  ms.normals = now() - t;
  ms.total = now() - t0;
  return { displacement, normals, albedo: { width: W, height: H, channels: 3, data: level0.albedo }, stats };
}

/** Luminance weights of the data term (Rec. 709). */
const OMEGA = REC709_LUMA;

/** s_c(n) per covered texel for 3 channels. */
function shadeNormals(normals: Float32Array, cov: Uint8Array, sh: ArrayLike<number>, out: Float32Array): void {
  const N = cov.length;
  for (let t = 0; t < N; t++) {
    const k3 = 3 * t;
    if (cov[t] === 0) { out[k3] = 0; out[k3 + 1] = 0; out[k3 + 2] = 0; continue; }
    const x = normals[k3]!, y = normals[k3 + 1]!, z = normals[k3 + 2]!;
    out[k3] = evalSH(sh, 0, x, y, z);
    out[k3 + 1] = evalSH(sh, 1, x, y, z);
    out[k3 + 2] = evalSH(sh, 2, x, y, z);
  }
}

/** Data weights of level 0 and the per-channel residual normalisation 1/m_c. */
function dataWeights(L: ProblemLevel, valid: Float32Array, chromaDev: Float32Array, edge: Float32Array, shading: Float32Array, o: Required<DetailOptions>, invM: Float64Array): void {
  const { W, H, coverage: cov, flat, weight, albedo } = L;
  const invTau2 = 1 / (o.chromaTau * o.chromaTau), invEdge2 = 1 / (o.albedoEdgeTau * o.albedoEdgeTau);
  let m0 = 0, m1 = 0, m2 = 0, wSum = 0;
  weight.fill(0);
  for (let j = 0; j < H; j++) {
    for (let i = 0; i < W; i++) {
      const k = j * W + i;
      const v = valid[k]!;
      if (v === 0) continue;
      if (i + 1 >= W || j + 1 >= H || cov[k + 1] === 0 || cov[k + W] === 0) continue;
      const dev = chromaDev[k]!, e = edge[k]!;
      let w = v / (1 + dev * dev * invTau2 + e * e * invEdge2);
      if (flat) { const f = flat[k]!; w *= f >= 1 ? 0 : f <= 0 ? 1 : 1 - f; }
      weight[k] = w;
      const k3 = 3 * k;
      m0 += w * albedo[k3]! * shading[k3]!;
      m1 += w * albedo[k3 + 1]! * shading[k3 + 1]!;
      m2 += w * albedo[k3 + 2]! * shading[k3 + 2]!;
      wSum += w;
    }
  }
  invM[0] = m0 > 0 ? wSum / m0 : 0;
  invM[1] = m1 > 0 ? wSum / m1 : 0;
  invM[2] = m2 > 0 ? wSum / m2 : 0;
}

/** Padded mask layout of a level (for transfers). */
function gridShape(L: ProblemLevel): GridShape {
  const stride = L.W + 2 * PAD, size = stride * (L.H + 2 * PAD);
  const mask = new Uint8Array(size);
  for (let j = 0; j < L.H; j++) for (let i = 0; i < L.W; i++) mask[(j + PAD) * stride + i + PAD] = L.coverage[j * L.W + i]!;
  return { width: L.W, height: L.H, stride, size, mask };
}

/** Padded solver vector → unpadded Float32 field. */
function unpad(g: GridShape, x: Float64Array, W: number, H: number): Float32Array {
  const out = new Float32Array(W * H);
  for (let j = 0; j < H; j++) for (let i = 0; i < W; i++) out[j * W + i] = x[(j + PAD) * g.stride + i + PAD]!;
  return out;
}

interface LevelState {
  grid: StencilGrid;
  d: Float64Array;
  energy: number;
  /** The level's prior term, when a prior displacement was given. */
  prior: PriorTerm | null;
}

/** λ_mag·(d − d₀)² on one level: d₀ in the padded layout, the right-hand side λ_mag·A·d₀ and Σ λ_mag·A·d₀². */
interface PriorTerm {
  d0: Float64Array;
  rhs: Float64Array;
  constant: number;
}

/** The prior term of a level (texel areas as in setRegularizer). */
function priorTerm(L: ProblemLevel, g: StencilGrid, o: Required<DetailOptions>): PriorTerm | null {
  const prior = L.prior;
  if (!prior) return null;
  const s = g.stride, d0 = new Float64Array(g.size), rhs = new Float64Array(g.size);
  let constant = 0;
  for (let j = 0; j < L.H; j++) {
    for (let i = 0; i < L.W; i++) {
      const k = j * L.W + i, p = (j + PAD) * s + i + PAD;
      if (L.coverage[k] === 0) continue;
      const v = prior[k]!;
      d0[p] = v;
      const det = metricDet(L.dPdu, L.dPdv, k);
      if (!(det > 0)) continue;
      const w = o.lambdaMagnitude * Math.sqrt(det);
      rhs[p] = w * v;
      constant += w * v * v;
    }
  }
  return { d0, rhs, constant };
}

/**
 * Gauss–Newton on one level, starting from `prev` (prolongated when it is the coarser level,
 * reused when it is the same level).
 */
/**
 * d −= its mask-normalised low-pass (3 box passes of radius σ ≈ a Gaussian of σ), computed on a
 * block grid ~σ/4 coarser and upsampled bilinearly (the low-pass is smooth at that scale).
 */
function removeLowFrequency(g: StencilGrid, d: Float64Array, sigmaTexels: number): void {
  const W = g.width, H = g.height, s = g.stride;
  const f = Math.max(1, Math.floor(sigmaTexels / 4));
  const r = Math.max(1, Math.round(sigmaTexels / f));
  const Wc = Math.ceil(W / f), Hc = Math.ceil(H / f), Nc = Wc * Hc;
  const v = new Float64Array(Nc), m = new Float64Array(Nc), t = new Float64Array(Nc);
  for (let j = 0; j < H; j++) {
    const rowC = Math.floor(j / f) * Wc;
    let p = (j + PAD) * s + PAD;
    for (let i = 0; i < W; i++, p++) {
      if (g.mask[p] === 0) continue;
      const kc = rowC + Math.floor(i / f);
      v[kc] = v[kc]! + d[p]!; m[kc] = m[kc]! + 1;
    }
  }
  for (let pass = 0; pass < 3; pass++) { boxSum(v, Wc, Hc, r, v, t); boxSum(m, Wc, Hc, r, m, t); }
  for (let k = 0; k < Nc; k++) v[k] = m[k]! > 0 ? v[k]! / m[k]! : 0;
  const low = new Float64Array(W * H);
  upsampleBilinear(v, Wc, Hc, 1, f, W, H, low);
  for (let j = 0; j < H; j++) {
    let p = (j + PAD) * s + PAD;
    for (let i = 0; i < W; i++, p++) if (g.mask[p] === 1) d[p] = d[p]! - low[j * W + i]!;
  }
}

/** Data energy at d = 0 (shading s0 = s(n0)) with level 0's weights and albedo. */
function proxyEnergy(L: ProblemLevel, s0: Float32Array, ctx: LinearizeContext): number {
  const huber = ctx.huber, huber2 = huber * huber, m = ctx.invM, om = ctx.omega;
  let e = 0;
  for (let k = 0; k < L.W * L.H; k++) {
    const w = L.weight[k]!;
    if (w === 0) continue;
    const k3 = 3 * k;
    const e0 = (L.texture[k3]! - L.albedo[k3]! * s0[k3]!) * m[0]!;
    const e1 = (L.texture[k3 + 1]! - L.albedo[k3 + 1]! * s0[k3 + 1]!) * m[1]!;
    const e2 = (L.texture[k3 + 2]! - L.albedo[k3 + 2]! * s0[k3 + 2]!) * m[2]!;
    const r2 = om[0] * e0 * e0 + om[1] * e1 * e1 + om[2] * e2 * e2;
    const area = Math.sqrt(metricDet(L.dPdu, L.dPdv, k));
    e += w * area * (r2 > huber2 ? 2 * huber * Math.sqrt(r2) - huber2 : r2);
  }
  return e;
}

function solveLevel(
  L: ProblemLevel, prev: LevelState | null, o: Required<DetailOptions>, ctx: LinearizeContext,
  pcg: { tolerance: number; maxIterations: number }, iters: number, stats: DetailStats,
): LevelState {
  let grid: StencilGrid;
  let d: Float64Array;
  let pt: PriorTerm | null;
  if (prev && prev.grid.width === L.W && prev.grid.height === L.H) {
    grid = prev.grid; d = prev.d; pt = prev.prior;
  } else {
    grid = createStencilGrid(L.W, L.H);
    setRegularizer(L, grid, o);
    d = new Float64Array(grid.size);
    pt = priorTerm(L, grid, o);
    if (pt) {
      // Start from d₀ plus the coarser level's correction (d − d₀) prolongated.
      if (prev) {
        const corr = new Float64Array(prev.d);
        if (prev.prior) for (let k = 0; k < corr.length; k++) corr[k] = corr[k]! - prev.prior.d0[k]!;
        prolongAdd(prev.grid, corr, grid, d);
      }
      for (let k = 0; k < grid.size; k++) d[k] = d[k]! + pt.d0[k]!;
    } else if (prev) prolongAdd(prev.grid, prev.d, grid, d);
  }
  // Σ λ_mag·A·(d − d₀)² = Σ λ_mag·A·d² (in the grid's mass) − 2 Σ rhs·d + constant.
  const regE = pt === null ? (x: Float64Array) => regularizerEnergy(grid, x) : (x: Float64Array) => {
    let dot = 0;
    for (let k = 0; k < x.length; k++) dot += pt.rhs[k]! * x[k]!;
    return regularizerEnergy(grid, x) - 2 * dot + pt.constant;
  };
  const hu = new Float64Array(grid.size), hv = new Float64Array(grid.size);
  const b = new Float64Array(grid.size), dPrev = new Float64Array(grid.size);
  let E = linearize(L, grid, d, hu, hv, ctx) + regE(d);
  let cg = 0, done = 0;
  if (iters > 0) {
    const mg = buildMultigrid(grid);
    const work = createPCGWork(grid);
      for (let it = 0; it < iters; it++) {
      divergence(grid, hu, hv, b);
      if (pt) for (let k = 0; k < grid.size; k++) b[k] = b[k]! + pt.rhs[k]!;
      if (it > 0) updateMultigrid(mg, true);
      dPrev.set(d);
          const res = solvePCG(mg, b, d, pcg, work);
          cg += res.iterations;
      if (res.iterations === 0) break; // the linearised system is already solved: converged
      done++;
      // Accept the step if the energy does not rise; otherwise halve it (twice at most), else stop.
      // After the last iteration only the energy is needed, not a new linearisation.
      const last = it === iters - 1;
      const qu = last ? null : hu, qv = last ? null : hv;
      let En = linearize(L, grid, d, qu, qv, ctx) + regE(d);
      for (let bt = 0; bt < 2 && En > E * (1 + 1e-9); bt++) {
        for (let k = 0; k < grid.size; k++) d[k] = 0.5 * (d[k]! + dPrev[k]!);
        En = linearize(L, grid, d, qu, qv, ctx) + regE(d);
      }
          if (En > E * (1 + 1e-9)) {
        d.set(dPrev);
        break;
      }
      E = En;
    }
  }
  stats.levels.push({ width: L.W, height: L.H, iterations: done, cgIterations: cg });
  stats.iterations += done;
  stats.cgIterations += cg;
  return { grid, d, energy: E, prior: pt };
}

function validate(input: DetailInput, o: Required<DetailOptions>): void {
  const { geom, texture, confidence, sh, flatMask } = input;
  const N = geom.width * geom.height;
  const bad = (msg: string) => new FaceDetailError('INVALID_OPTION', `solveDetail: ${msg}`);
  if (!(geom.width > 1 && geom.height > 1) || geom.coverage.length !== N || geom.normal.length !== 3 * N
    || geom.dPdu.length !== 3 * N || geom.dPdv.length !== 3 * N) {
    throw bad(`geom must be a UVGeometry with per-texel arrays for ${geom.width}×${geom.height}`);
  }
  if (texture.width !== geom.width || texture.height !== geom.height || texture.channels < 3 || texture.data.length !== N * texture.channels) {
    throw bad(`texture must be ${geom.width}×${geom.height} with ≥ 3 channels, got ${texture.width}×${texture.height}×${texture.channels}`);
  }
  if (confidence.length !== N) throw bad(`confidence must have ${N} entries, got ${confidence.length}`);
  if (sh.length < 27) throw bad(`sh must have 27 coefficients, got ${sh.length}`);
  if (flatMask && flatMask.length !== N) throw bad(`flatMask must have ${N} entries, got ${flatMask.length}`);
  if (input.prior && input.prior.length !== N) throw bad(`prior must have ${N} entries, got ${input.prior.length}`);
  const nonNeg: (keyof DetailOptions)[] = ['strength', 'lambdaSmooth', 'lambdaGradient', 'lambdaMagnitude', 'lambdaFlat', 'albedoGuideRadiusMm', 'huberDelta', 'minShading', 'coarseIterations', 'fineIterations', 'albedoRefinements', 'darkBandMm', 'darkSmoothMm', 'priorStrength'];
  for (const key of nonNeg) {
    const v = o[key];
    if (!(typeof v === 'number' && v >= 0)) throw bad(`option ${key} must be a number ≥ 0, got ${String(v)}`);
  }
  const pos: (keyof DetailOptions)[] = ['albedoRadiusMm', 'albedoGridMm', 'albedoChromaSigma', 'chromaTau', 'albedoEdgeTau', 'saturation', 'maxDepthMm', 'coarsestSize', 'cgTolerance', 'maxCgIterations', 'fineMaxCgIterations'];
  for (const key of pos) {
    const v = o[key];
    if (!(typeof v === 'number' && v > 0)) throw bad(`option ${key} must be a number > 0, got ${String(v)}`);
  }
  if (!(o.lambdaMagnitude > 0 || o.lambdaSmooth > 0)) throw bad('lambdaMagnitude or lambdaSmooth must be > 0');
}

function emptyResult(geom: UVGeometry, t0: number): DetailResult {
  const N = geom.width * geom.height;
  return {
    displacement: new Float32Array(N),
    normals: new Float32Array(3 * N),
    albedo: { width: geom.width, height: geom.height, channels: 3, data: new Float32Array(3 * N) },
    stats: {
      iterations: 0, cgIterations: 0, energyStart: 0, energyEnd: 0, rmsMm: 0, maxAbsMm: 0, texelMm: 0, levels: [],
      ms: { prepare: 0, albedo: 0, pyramid: 0, solve: 0, normals: 0, total: now() - t0 },
    },
  };
}

/** det G of texel k (mm⁴ per texel⁴): the squared texel area. */
function metricDet(Pu: Float32Array, Pv: Float32Array, k: number): number {
  const k3 = 3 * k;
  const ax = Pu[k3]!, ay = Pu[k3 + 1]!, az = Pu[k3 + 2]!, bx = Pv[k3]!, by = Pv[k3 + 1]!, bz = Pv[k3 + 2]!;
  const aa = ax * ax + ay * ay + az * az, ab = ax * bx + ay * by + az * bz, bb = bx * bx + by * by + bz * bz;
  const det = aa * bb - ab * ab;
  return det > 0 ? det : 0;
}

/** Mask and regulariser fields of a level's grid (these do not change between iterations). */
function setRegularizer(L: ProblemLevel, g: StencilGrid, o: Required<DetailOptions>): void {
  const s = g.stride;
  for (let j = 0; j < L.H; j++) {
    for (let i = 0; i < L.W; i++) {
      const k = j * L.W + i, p = (j + PAD) * s + i + PAD;
      if (L.coverage[k] === 0) continue;
      const k3 = 3 * k;
      const ax = L.dPdu[k3]!, ay = L.dPdu[k3 + 1]!, az = L.dPdu[k3 + 2]!, bx = L.dPdv[k3]!, by = L.dPdv[k3 + 1]!, bz = L.dPdv[k3 + 2]!;
      const aa = ax * ax + ay * ay + az * az, ab = ax * bx + ay * by + az * bz, bb = bx * bx + by * by + bz * bz;
      const det = aa * bb - ab * ab;
      g.mask[p] = 1;
      if (!(det > 1e-20 * aa * bb) || !(det > 0)) { g.mass[p] = 1; continue; }
      const area = Math.sqrt(det);
      g.lapU[p] = bb / det;
      g.lapV[p] = aa / det;
      g.lapW[p] = o.lambdaSmooth * area;
      const f = L.flat ? Math.min(1, Math.max(0, L.flat[k]!)) : 0;
      g.mass[p] = area * (o.lambdaMagnitude + o.lambdaFlat * f);
    }
  }
}

interface LinearizeContext {
  invM: Float64Array;
  omega: readonly [number, number, number];
  huber: number;
  /** λ_grad (dimensionless). */
  lambdaGrad: number;
  /** The 27 SH shading coefficients. */
  sh: ArrayLike<number>;
  /** Scratch for {@link evalSHGradient}. */
  grad: Float64Array;
}

/**
 * Evaluate the data energy at d and (when hu/hv are given) write the Gauss–Newton tensor Q into
 * the grid and the flux h + Q·Dd into (hu, hv), so that the step solves A·d_new = Dᵀ(h + Q·Dd).
 */
function linearize(L: ProblemLevel, g: StencilGrid, d: Float64Array, hu: Float64Array | null, hv: Float64Array | null, ctx: LinearizeContext): number {
  const { invM, omega, huber } = ctx;
  const lg = ctx.lambdaGrad;
  const sh = ctx.sh, grad = ctx.grad;
  const m0 = invM[0]!, m1 = invM[1]!, m2 = invM[2]!, w0 = omega[0], w1 = omega[1], w2 = omega[2];
  const s = g.stride;
  const { quu, quv, qvv } = g;
  const huber2 = huber * huber;
  let energy = 0;
  const LW = L.W, LH = L.H, weight = L.weight, cov = L.coverage, Pu = L.dPdu, Pv = L.dPdv, N0 = L.normal, tex = L.texture, alb = L.albedo;
  const write = hu !== null && hv !== null;
  if (write) { quu.fill(0); quv.fill(0); qvv.fill(0); hu.fill(0); hv.fill(0); }
  for (let j = 0; j < LH; j++) {
    let p = (j + PAD) * s + PAD;
    for (let i = 0; i < LW; i++, p++) {
      const t = j * LW + i;
      const w = weight[t]!;
      if (w === 0 && (lg === 0 || cov[t] === 0 || i + 1 >= LW || j + 1 >= LH || cov[t + 1] === 0 || cov[t + LW] === 0)) continue;
      const gu = d[p + 1]! - d[p]!, gv = d[p + s]! - d[p]!;
      const k3 = 3 * t;
      const ax = Pu[k3]!, ay = Pu[k3 + 1]!, az = Pu[k3 + 2]!;
      const bx = Pv[k3]!, by = Pv[k3 + 1]!, bz = Pv[k3 + 2]!;
      const aa = ax * ax + ay * ay + az * az, ab = ax * bx + ay * by + az * bz, bb = bx * bx + by * by + bz * bz;
      const det = aa * bb - ab * ab;
      if (!(det > 1e-20 * aa * bb) || !(det > 0)) continue;
      const id = 1 / det;
      const area = Math.sqrt(det);
      // Membrane term λ_grad·area·|∇_s d|², |∇_s d|² = gᵀG⁻¹g: quadratic, so it adds to Q only.
      let gQuu = 0, gQuv = 0, gQvv = 0;
      if (lg > 0) {
        const c = lg * area * id;
        gQuu = c * bb; gQuv = -c * ab; gQvv = c * aa;
        energy += gQuu * gu * gu + 2 * gQuv * gu * gv + gQvv * gv * gv;
      }
      if (w === 0) {
        if (write) { quu[p] = gQuu; quv[p] = gQuv; qvv[p] = gQvv; }
        continue;
      }
      // Dual basis A = (bb·a − ab·b)/det, B = (aa·b − ab·a)/det (texel steps per mm).
      const Ax = (bb * ax - ab * bx) * id, Ay = (bb * ay - ab * by) * id, Az = (bb * az - ab * bz) * id;
      const Bx = (aa * bx - ab * ax) * id, By = (aa * by - ab * ay) * id, Bz = (aa * bz - ab * az) * id;
      const mx = N0[k3]! - gu * Ax - gv * Bx, my = N0[k3 + 1]! - gu * Ay - gv * By, mz = N0[k3 + 2]! - gu * Az - gv * Bz;
      const len = Math.sqrt(mx * mx + my * my + mz * mz);
      if (!(len > 1e-9)) continue;
      const il = 1 / len;
      const nx = mx * il, ny = my * il, nz = mz * il;
      // Shading per channel.
      const s0 = evalSH(sh, 0, nx, ny, nz), s1 = evalSH(sh, 1, nx, ny, nz), s2 = evalSH(sh, 2, nx, ny, nz);
      const r0 = alb[k3]!, r1 = alb[k3 + 1]!, r2c = alb[k3 + 2]!;
      const e0 = (tex[k3]! - r0 * s0) * m0;
      const e1 = (tex[k3 + 1]! - r1 * s1) * m1;
      const e2 = (tex[k3 + 2]! - r2c * s2) * m2;
      const r2 = w0 * e0 * e0 + w1 * e1 * e1 + w2 * e2 * e2;
      let hw = 1;
      if (r2 > huber2) {
        const rn = Math.sqrt(r2);
        hw = huber / rn;
        energy += w * area * (2 * huber * rn - huber2);
      } else energy += w * area * r2;
      if (!write) continue;
      let Quu = 0, Quv = 0, Qvv = 0, Hu = 0, Hv = 0;
      for (let c = 0; c < 3; c++) {
        // ∇s_c with respect to n.
        evalSHGradient(sh, c, nx, ny, nz, grad);
        const gx = grad[0]!, gy = grad[1]!, gz = grad[2]!;
        const e = c === 0 ? e0 : c === 1 ? e1 : e2, kap = c === 0 ? r0 * m0 : c === 1 ? r1 * m1 : r2c * m2, wc = c === 0 ? w0 : c === 1 ? w1 : w2;
        // ∂s/∂m = (∇s − (∇s·n)n)/|m|; ∂m/∂gu = −A, ∂m/∂gv = −B.
        const gn = gx * nx + gy * ny + gz * nz;
        const px = (gx - gn * nx) * il, py = (gy - gn * ny) * il, pz = (gz - gn * nz) * il;
        const ju = -(px * Ax + py * Ay + pz * Az), jv = -(px * Bx + py * By + pz * Bz);
        const k2 = wc * kap * kap, ke = wc * kap * e;
        Quu += k2 * ju * ju; Quv += k2 * ju * jv; Qvv += k2 * jv * jv;
        Hu += ke * ju; Hv += ke * jv;
      }
      const wk = w * area * hw;
      Quu *= wk; Quv *= wk; Qvv *= wk; Hu *= wk; Hv *= wk;
      quu[p] = Quu + gQuu; quv[p] = Quv + gQuv; qvv[p] = Qvv + gQvv;
      hu![p] = Hu + Quu * gu + Quv * gv;
      hv![p] = Hv + Quv * gu + Qvv * gv;
    }
  }
  return energy;
}

/** b = Dᵀ(hu, hv) (adjoint of the forward differences), 0 outside the mask. */
function divergence(g: StencilGrid, hu: Float64Array, hv: Float64Array, b: Float64Array): void {
  const s = g.stride, m = g.mask;
  b.fill(0);
  for (let j = 0; j < g.height; j++) {
    let p = (j + PAD) * s + PAD;
    for (let i = 0; i < g.width; i++, p++) {
      if (m[p] === 0) continue;
      b[p] = hu[p - 1]! + hv[p - s]! - hu[p]! - hv[p]!;
    }
  }
}

/** 2×2 box-average the geometry of a level (dPdu/dPdv doubled: a coarse step is two fine steps). */
function downsampleGeometry(f: ProblemLevel): ProblemLevel {
  const W = (f.W + 1) >> 1, H = (f.H + 1) >> 1, N = W * H;
  const c: ProblemLevel = {
    W, H, coverage: new Uint8Array(N), normal: new Float32Array(3 * N), dPdu: new Float32Array(3 * N), dPdv: new Float32Array(3 * N),
    texture: new Float32Array(3 * N), albedo: new Float32Array(3 * N), weight: new Float32Array(N), flat: f.flat ? new Float32Array(N) : null,
    prior: f.prior ? new Float32Array(N) : null,
  };
  const fW = f.W, fH = f.H, fc = f.coverage, fn = f.normal, fu = f.dPdu, fv = f.dPdv, ff = f.flat, fp = f.prior;
  for (let J = 0; J < H; J++) {
    for (let I = 0; I < W; I++) {
      const q = J * W + I, q3 = 3 * q;
      let n = 0, fl = 0, pr = 0, nx = 0, ny = 0, nz = 0, ux = 0, uy = 0, uz = 0, vx = 0, vy = 0, vz = 0;
      for (let b = 0; b < 2; b++) {
        const j = 2 * J + b;
        if (j >= fH) break;
        for (let a = 0; a < 2; a++) {
          const i = 2 * I + a;
          if (i >= fW) break;
          const k = j * fW + i, k3 = 3 * k;
          if (fc[k] === 0) continue;
          n++;
          if (ff) fl += ff[k]!;
          if (fp) pr += fp[k]!;
          nx += fn[k3]!; ny += fn[k3 + 1]!; nz += fn[k3 + 2]!;
          ux += fu[k3]!; uy += fu[k3 + 1]!; uz += fu[k3 + 2]!;
          vx += fv[k3]!; vy += fv[k3 + 1]!; vz += fv[k3 + 2]!;
        }
      }
      if (n === 0) continue;
      c.coverage[q] = 1;
      const nl = Math.sqrt(nx * nx + ny * ny + nz * nz) || 1, s2 = 2 / n;
      c.normal[q3] = nx / nl; c.normal[q3 + 1] = ny / nl; c.normal[q3 + 2] = nz / nl;
      c.dPdu[q3] = s2 * ux; c.dPdu[q3 + 1] = s2 * uy; c.dPdu[q3 + 2] = s2 * uz;
      c.dPdv[q3] = s2 * vx; c.dPdv[q3 + 1] = s2 * vy; c.dPdv[q3 + 2] = s2 * vz;
      if (c.flat) c.flat[q] = fl / n;
      if (c.prior) c.prior[q] = pr / n;
    }
  }
  return c;
}

/** 2×2 weighted box-average of texture and albedo, mean weight (partial cells weigh less). */
function downsampleData(f: ProblemLevel, c: ProblemLevel): void {
  const W = c.W, H = c.H, fW = f.W, fH = f.H;
  const ft = f.texture, fa = f.albedo, fw = f.weight;
  c.weight.fill(0); c.texture.fill(0); c.albedo.fill(0);
  for (let J = 0; J < H; J++) {
    for (let I = 0; I < W; I++) {
      const q = J * W + I, q3 = 3 * q;
      if (c.coverage[q] === 0) continue;
      // The coarse data term needs its +u/+v neighbours on the surface.
      if (I + 1 >= W || J + 1 >= H || c.coverage[q + 1] === 0 || c.coverage[q + W] === 0) continue;
      let ws = 0, t0 = 0, t1 = 0, t2 = 0, a0 = 0, a1 = 0, a2 = 0;
      for (let b = 0; b < 2; b++) {
        const j = 2 * J + b;
        if (j >= fH) break;
        for (let a = 0; a < 2; a++) {
          const i = 2 * I + a;
          if (i >= fW) break;
          const k = j * fW + i, k3 = 3 * k;
          const w = fw[k]!;
          if (w === 0) continue;
          ws += w;
          t0 += w * ft[k3]!; t1 += w * ft[k3 + 1]!; t2 += w * ft[k3 + 2]!;
          a0 += w * fa[k3]!; a1 += w * fa[k3 + 1]!; a2 += w * fa[k3 + 2]!;
        }
      }
      if (!(ws > 0)) continue;
      const iw = 1 / ws;
      c.texture[q3] = t0 * iw; c.texture[q3 + 1] = t1 * iw; c.texture[q3 + 2] = t2 * iw;
      c.albedo[q3] = a0 * iw; c.albedo[q3 + 1] = a1 * iw; c.albedo[q3 + 2] = a2 * iw;
      c.weight[q] = 0.25 * ws;
    }
  }
}

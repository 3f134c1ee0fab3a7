/**
 * Fit of the ICT FaceKit morphable model to one analysed face: perspective camera, head pose,
 * identity (≤ 100 PCA weights) and the 53 ARKit-named expression weights (bounded to [0, 1];
 * ICT has no jaw joint, the jaw is its jawOpen / jawLeft / jawRight / jawForward shapes).
 * Isomorphic (no Node, no DOM).
 *
 * Objective (all residuals in units of `landmarkSigma` × face size in pixels, so the weights do
 * not depend on the image resolution):
 * - **2D landmarks**: every face-mesh landmark with a correspondence weight > 0, projected
 *   through the camera;
 * - **moving jawline / cheek contour**: the face-oval landmarks below the brows are matched to
 *   the ICT point on the current silhouette: for each one, a precomputed "contour line" of
 *   candidate vertices (a thin slice of the neutral face through its anchor, spanned by the
 *   oval's outward direction and the depth axis) and, per iteration, the candidate outermost in
 *   the image along that direction; only the residual across the contour counts (a contour
 *   point may slide along it). The oval points above the brows keep their correspondence with
 *   a low weight (`foreheadWeight`);
 * - **3D soft term**: the network's relative depth (pixel units) against the model's depth
 *   converted to pixels at the current head distance, both centred (`depthWeight`; off by
 *   default: it cost accuracy on bench:proxy once the correspondence was calibrated);
 * - **identity prior** (Tikhonov): `identityPrior · ‖α‖²`. ICT's identity deltas are already
 *   scaled to one standard deviation: their RMS over the face decays with the mode index
 *   (3.9 mm for mode 0, 1.7 mm for mode 2, 0.6 mm for mode 10, 0.09 mm for mode 99, typical PCA
 *   eigenvalue decay) and ICT's own `randomize_identity()` samples the weights from N(0, 1), so
 *   the prior is the unit Gaussian on the weights. (`sample_identity_coeffs.json`, a fitted
 *   person, has weights of RMS ≈ 0.3: real fits shrink toward the mean.)
 * - **expression prior** by mode (see emotion-prior.ts): `none` a weak ridge toward 0, `prior`
 *   the emotion prior's Gaussian (`expressionPrior` · Σ (β − μ)² / σ²), `fixed` β = μ (the
 *   official code's behaviour: expression from the emotion, only pose and identity fitted).
 *
 * Solver: Levenberg–Marquardt (Marquardt scaling) with analytic Jacobians; rotation updated by
 * axis-angle increments (R ← exp([δ]×)·R); expression bounds by projected steps with an active
 * set (a weight at a bound whose gradient points outward is held). Only the corresponded points
 * and the contour candidates are evaluated per iteration: their shape bases (3 × (K + 53) per
 * point) are gathered once per model / correspondence / identity count ({@link prepareIctFit},
 * cached). Coarse to fine: rigid pose first, then pose + the first `coarseIdentityCount`
 * identity modes + expression, then everything. Metric scale comes from the model (the mean
 * face and the identity prior); no interocular constant is used. The result reports the
 * interpupillary distance it implies.
 *
 * @example
 * const fit = fitIct({ data, correspondence, analysis, camera }, { emotionPrior: 'prior' });
 * console.log(fit.pose.yawDeg, fit.reprojectionErrorPx, fit.interpupillaryMm, fit.ms);
 */
import type { FaceAnalysis } from '../../analysis/types.js';
import { mat3FromAxisAngle, mat3Multiply, mat3MulVec3, mat3TransformPoint, mat3TransposeMulVec3 } from '../../math/index.js';
import { choleskyFactor, choleskySolve } from '../../numeric/index.js';
import { makePose } from '../../camera/pose.js';
import { FaceDetailError } from '../../errors.js';
import { now } from '../../platform.js';
import type { Camera } from '../../types.js';
import { emotionPrior, type EmotionPriorOptions } from './emotion-prior.js';
import { ictRegionVertices, type IctModelData } from './ict-cache.js';
import { EMOTION_PRIOR_MODES, type EmotionPriorMode, type IctCorrespondence, type IctFitParams } from './ict-types.js';

/** Inputs of {@link fitIct}. */
export interface IctFitInput {
  data: IctModelData;
  correspondence: IctCorrespondence;
  analysis: FaceAnalysis;
  camera: Camera;
  /**
   * Warm start (per-frame tracking): begin at these parameters instead of the pose from
   * `analysis.rotation` and the prior-mean expression (model → camera rotation, row-major 3×3;
   * translation, mm; one weight per expression, clamped to [0, 1]). The identity starts at 0.
   */
  start?: { rotation: ArrayLike<number>; translation: ArrayLike<number>; expression?: ArrayLike<number> };
}

/** Options of {@link fitIct}; every one has a default in {@link ICT_FIT_DEFAULTS}. */
export interface IctFitOptions {
  /** How the emotion probabilities enter the expression fit. */
  emotionPrior?: EmotionPriorMode;
  /** Identity (PCA) modes fitted, 0 … 100 (the first ones; ICT orders them by variance). Default 60 (or all, if the model has fewer). */
  identityCount?: number;
  /** Identity modes of the intermediate stage (coarse to fine). */
  coarseIdentityCount?: number;
  /** Landmark noise as a fraction of the face size (√(width·height) of the landmarks' box). */
  landmarkSigma?: number;
  /** Weight of the identity Tikhonov prior (on weights in standard-deviation units). */
  identityPrior?: number;
  /** `prior` mode: weight of the emotion prior's Gaussian term. */
  expressionPrior?: number;
  /**
   * `none` mode: weight of the ridge Σ β² toward 0. The default, 400 = `expressionPrior` / σ₀²
   * (σ₀ = 0.2), makes `none` exactly the `prior` term of a certainly-neutral face, so the
   * modes differ only by the emotion information.
   */
  expressionRidge?: number;
  /** Options of the emotion prior (its base standard deviation). */
  emotionPriorOptions?: Partial<EmotionPriorOptions>;
  /** Weight of the moving-contour residuals (across the contour). */
  contourWeight?: number;
  /** Weight of the face-oval landmarks above the brows (fixed correspondences). */
  foreheadWeight?: number;
  /** Weight of the 3D soft term (network relative depth vs model depth); 0 turns it off. */
  depthWeight?: number;
  /** LM iterations of the rigid stage. */
  rigidIterations?: number;
  /** LM iterations of the coarse stage. */
  coarseIterations?: number;
  /** Maximum LM iterations of the final stage (it stops earlier when the cost stalls). */
  iterations?: number;
  /**
   * Gauss–Newton matrix JᵀJ: `exact` accumulates every landmark row (O(P·K²) per iteration);
   * `weak-perspective` (default) builds the shape × shape block from moments precomputed once
   * and the weak-perspective projection (O(K²)), with exact pose rows, contour rows and
   * gradient, so the optimum is the same; ~10× faster per iteration.
   */
  hessian?: 'exact' | 'weak-perspective';
  /**
   * Compute {@link IctFitResult.positions} (all N vertices) and the interpupillary distance.
   * Per-frame tracking turns it off: it is a full pass over the model (positions then empty,
   * `interpupillaryMm` NaN).
   */
  outputVertices?: boolean;
}

/** Defaults of {@link IctFitOptions} (tuned on `npm run bench:proxy`'s tune split with bench/proxy/tune.ts). */
export const ICT_FIT_DEFAULTS: Readonly<Required<Omit<IctFitOptions, 'emotionPriorOptions'>>> = Object.freeze({
  // Chosen on bench:proxy's `tune` split (bench/proxy/tune.ts), checked on `held-out`, with the
  // detector-calibrated correspondence. Face-area vertex error, mean over the 21 tuning renders:
  // these defaults 2.87 mm (held-out 2.94) vs 2.96 (2.99) before depthWeight 0.1 → 0 and
  // contourWeight 0.7 → 0.5. Flat, within ±0.01 mm on tune: identityCount 40–100,
  // identityPrior 20–50, expressionRidge 300–600, foreheadWeight 0.1–0.4, more iterations.
  //
  // emotionPrior 'none': on tune 2.874 mm vs 'prior' 2.878 and 'fixed' 3.00 (held-out 2.94 /
  // 2.93 / 3.17): 'none' and 'prior' tie on vertex error (±0.015 mm either way), 'none' has the
  // lower expression error |Δβ|: 0.062 vs 0.077 / 0.079 (held-out 0.061 / 0.069 / 0.067).
  // 'prior' with Human's emotions gains on strong-emotion renders and loses on neutral and
  // random expressions (the emotion network is right on 3/18 emotion renders); with the true
  // emotion it gains ~0.2 mm there. Switch when the emotion input is trustworthy. The pipeline
  // default (RECONSTRUCT_DEFAULTS.emotionPrior) follows this one.
  emotionPrior: 'none',
  identityCount: 60,
  coarseIdentityCount: 12,
  landmarkSigma: 0.01,
  identityPrior: 30,
  expressionPrior: 16,
  expressionRidge: 400,
  // 0.3–0.5 best on tune (2.86–2.88 mm vs 2.91 at 0.7, depthWeight 0); 0.5 also on held-out.
  contourWeight: 0.5,
  foreheadWeight: 0.2,
  // The network's relative depth: 0 (off) is best on both splits (tune 2.96 → 2.91 mm at
  // contourWeight 0.7; 0.05 / 0.2 / 0.4: 2.95 / 2.98 / 3.02). Kept as an option for photos.
  depthWeight: 0,
  rigidIterations: 6,
  coarseIterations: 4,
  iterations: 8,
  hessian: 'weak-perspective',
  outputVertices: true,
});

/** Result of {@link fitIct}. */
export interface IctFitResult extends IctFitParams {
  /** All N cache vertices in the camera frame (OpenCV axes), mm. */
  positions: Float32Array;
  /** RMS 2D distance (px) between the landmarks used and their fitted model points (contour: the chosen silhouette points). */
  reprojectionErrorPx: number;
  /** LM iterations run, all stages. */
  iterations: number;
  /** Wall time of the fit, ms (including {@link prepareIctFit} when it was not cached). */
  ms: number;
  /** Distance between the two eyeball centres of the fitted face, mm. */
  interpupillaryMm: number;
  /** The expression prior used (mean, variance), or undefined in `none` mode. */
  prior?: { mean: Float32Array; variance: Float32Array };
}

/**
 * MediaPipe face-mesh face-oval landmarks, clockwise in the image from the top of the forehead
 * (10) over the subject's left (image right) cheek to the chin (152) and back up.
 */
export const FACEMESH_FACE_OVAL: readonly number[] = Object.freeze([
  10, 338, 297, 332, 284, 251, 389, 356, 454, 323, 361, 288, 397, 365, 379, 378, 400, 377,
  152, 148, 176, 149, 150, 136, 172, 58, 132, 93, 234, 127, 162, 21, 54, 103, 67, 109,
]);

/** Contour-line construction (model frame, neutral face, mm). */
const CONTOUR_BAND_MM = 2.2;
const CONTOUR_INWARD_MM = 35;
const CONTOUR_OUTWARD_MM = 20;
const CONTOUR_DEPTH_MM = 55;

/** Precomputed per (model, correspondence, identity count): see {@link prepareIctFit}. */
export interface IctFitPrepared {
  identityCount: number;
  expressionCount: number;
  /** Columns of a basis row: identityCount + expressionCount. */
  K: number;
  /** Points with a fixed correspondence: landmark index and weight. */
  fixedLandmark: Int32Array;
  fixedWeight: Float64Array;
  /** Contour landmarks, their outward direction (model frame, 3 each) and candidate ranges [lineStart[i], lineStart[i+1]) in the points after the fixed ones. */
  contourLandmark: Int32Array;
  contourOut: Float64Array;
  lineStart: Int32Array;
  /** Mean (neutral) positions of all points (fixed, then contour candidates), 3P, model frame, mm. */
  mean: Float64Array;
  /** Shape basis per point: basis[(p*3 + c)*K + k], identity columns first. */
  basis: Float64Array;
  /** Vertices of the two eyeballs (for the interpupillary distance). */
  eyeballLeft: Uint32Array;
  eyeballRight: Uint32Array;
}

const preparedCache = new WeakMap<IctModelData, WeakMap<IctCorrespondence, Map<string, IctFitPrepared>>>();

/**
 * Gather the shape bases of the corresponded points and build the contour lines. Cached per
 * (data, correspondence, identityCount, forehead weight); {@link fitIct} calls it.
 *
 * @example
 * const prep = prepareIctFit(data, corr, 60); // ~10–20 ms once
 */
export function prepareIctFit(data: IctModelData, corr: IctCorrespondence, identityCount: number, foreheadWeight = ICT_FIT_DEFAULTS.foreheadWeight): IctFitPrepared {
  let byCorr = preparedCache.get(data);
  if (!byCorr) { byCorr = new WeakMap(); preparedCache.set(data, byCorr); }
  let byKey = byCorr.get(corr);
  if (!byKey) { byKey = new Map(); byCorr.set(corr, byKey); }
  const key = `${identityCount}:${foreheadWeight}`;
  const hit = byKey.get(key);
  if (hit) return hit;
  const prep = buildPrepared(data, corr, identityCount, foreheadWeight);
  byKey.set(key, prep);
  return prep;
}

function buildPrepared(data: IctModelData, corr: IctCorrespondence, kId: number, foreheadWeight: number): IctFitPrepared {
  const N = data.vertexCount, n3 = 3 * N;
  const nExpr = data.expressionNames.length;
  const K = kId + nExpr;
  const T = data.triangles, P0 = data.neutral;
  const corrPoint = (i: number, out: Float64Array): void => {
    const t = corr.triangle[i]!;
    out[0] = out[1] = out[2] = 0;
    for (let j = 0; j < 3; j++) {
      const v = T[3 * t + j]!, w = corr.bary[3 * i + j]!;
      for (let c = 0; c < 3; c++) out[c]! += w * P0[3 * v + c]!;
    }
  };
  // Brow level: the highest face-mesh brow landmarks' correspondences (subject's brows).
  const tmp = new Float64Array(3);
  let browY = -Infinity;
  for (const i of [105, 334, 66, 296]) { corrPoint(i, tmp); browY = Math.max(browY, tmp[1]!); }
  const isOval = new Set(FACEMESH_FACE_OVAL);
  const anchors = FACEMESH_FACE_OVAL.map((i) => { const a = new Float64Array(3); corrPoint(i, a); return a; });
  const fixedL: number[] = [], fixedW: number[] = [];
  for (let i = 0; i < corr.count; i++) {
    if (isOval.has(i)) continue;
    if (corr.weight[i]! > 0) { fixedL.push(i); fixedW.push(corr.weight[i]!); }
  }
  // Contour lines: candidates are narrow-face vertices plus the under-chin (|x| < 50 mm) of the face region.
  const cand = ictRegionVertices(data, 'narrowFace');
  const faceV = ictRegionVertices(data, 'face');
  const candSet: number[] = Array.from(cand);
  const inNarrow = new Uint8Array(N);
  for (const v of cand) inNarrow[v] = 1;
  for (const v of faceV) if (!inNarrow[v] && Math.abs(P0[3 * v]!) < 50) candSet.push(v);
  let cx = 0, cy = 0;
  for (const a of anchors) { cx += a[0]!; cy += a[1]!; }
  cx /= anchors.length; cy /= anchors.length;
  const contourL: number[] = [], contourO: number[] = [], lineStart: number[] = [0], candV: number[] = [];
  const M = FACEMESH_FACE_OVAL.length;
  for (let k = 0; k < M; k++) {
    const i = FACEMESH_FACE_OVAL[k]!, a = anchors[k]!;
    if (a[1]! > browY) { fixedL.push(i); fixedW.push(foreheadWeight); continue; }
    const prev = anchors[(k + M - 1) % M]!, next = anchors[(k + 1) % M]!;
    let ox = next[1]! - prev[1]!, oy = -(next[0]! - prev[0]!);
    const ol = Math.hypot(ox, oy) || 1;
    ox /= ol; oy /= ol;
    if (ox * (a[0]! - cx) + oy * (a[1]! - cy) < 0) { ox = -ox; oy = -oy; }
    const mx = -oy, my = ox; // in-plane tangent of the oval = slice-plane normal
    const line: number[] = [];
    for (const v of candSet) {
      const dx = P0[3 * v]! - a[0]!, dy = P0[3 * v + 1]! - a[1]!, dz = P0[3 * v + 2]! - a[2]!;
      if (Math.abs(mx * dx + my * dy) > CONTOUR_BAND_MM) continue;
      const s = ox * dx + oy * dy;
      if (s < -CONTOUR_INWARD_MM || s > CONTOUR_OUTWARD_MM || Math.abs(dz) > CONTOUR_DEPTH_MM) continue;
      line.push(v);
    }
    if (line.length === 0) continue;
    contourL.push(i);
    contourO.push(ox, oy, 0);
    candV.push(...line);
    lineStart.push(candV.length);
  }
  const nFixed = fixedL.length, P = nFixed + candV.length;
  const mean = new Float64Array(3 * P);
  const basis = new Float64Array(P * 3 * K);
  // Per point: up to 3 vertices and weights.
  const pv = new Uint32Array(3 * P), pw = new Float64Array(3 * P);
  for (let p = 0; p < nFixed; p++) {
    const i = fixedL[p]!, t = corr.triangle[i]!;
    for (let j = 0; j < 3; j++) { pv[3 * p + j] = T[3 * t + j]!; pw[3 * p + j] = corr.bary[3 * i + j]!; }
  }
  for (let q = 0; q < candV.length; q++) { const p = nFixed + q; pv[3 * p] = pv[3 * p + 1] = pv[3 * p + 2] = candV[q]!; pw[3 * p] = 1; }
  for (let p = 0; p < P; p++) {
    for (let j = 0; j < 3; j++) {
      const v = pv[3 * p + j]!, w = pw[3 * p + j]!;
      if (w === 0) continue;
      for (let c = 0; c < 3; c++) mean[3 * p + c]! += w * P0[3 * v + c]!;
    }
  }
  const gather = (deltas: Float32Array, shape: number, col: number): void => {
    const off = shape * n3;
    for (let p = 0; p < P; p++) {
      let x = 0, y = 0, z = 0;
      for (let j = 0; j < 3; j++) {
        const w = pw[3 * p + j]!;
        if (w === 0) continue;
        const o = off + 3 * pv[3 * p + j]!;
        x += w * deltas[o]!; y += w * deltas[o + 1]!; z += w * deltas[o + 2]!;
      }
      const b = p * 3 * K + col;
      basis[b] = x; basis[b + K] = y; basis[b + 2 * K] = z;
    }
  };
  for (let s = 0; s < kId; s++) gather(data.identityDeltas, s, s);
  for (let s = 0; s < nExpr; s++) gather(data.expressionDeltas, s, kId + s);
  return {
    identityCount: kId, expressionCount: nExpr, K,
    fixedLandmark: Int32Array.from(fixedL), fixedWeight: Float64Array.from(fixedW),
    contourLandmark: Int32Array.from(contourL), contourOut: Float64Array.from(contourO), lineStart: Int32Array.from(lineStart),
    mean, basis,
    eyeballLeft: data.regionNames.includes('eyeballLeft') ? ictRegionVertices(data, 'eyeballLeft') : new Uint32Array(0),
    eyeballRight: data.regionNames.includes('eyeballRight') ? ictRegionVertices(data, 'eyeballRight') : new Uint32Array(0),
  };
}

/** Mutable fit state. */
interface State {
  R: Float64Array; // 9
  t: Float64Array; // 3
  theta: Float64Array; // K: identity then expression
}

/**
 * Fit the ICT model to one face (see the module comment for the objective and solver).
 * Throws `INVALID_OPTION` for bad options or mismatched inputs.
 *
 * @example
 * const data = await loadIctModel();
 * const correspondence = computeIctCorrespondence(data);
 * const [analysis] = await analyzer.analyze(image);
 * const fit = fitIct({ data, correspondence, analysis, camera: estimateCamera(image.width, image.height) });
 * fit.expression[data.expressionNames.indexOf('jawOpen')] // in [0, 1]
 */
export function fitIct(input: IctFitInput, options: IctFitOptions = {}): IctFitResult {
  const t0 = now();
  const { ctx, st, prior } = createContext(input, options);
  const { o, prep, kId, nExpr } = ctx;
  const data = input.data, mode = o.emotionPrior;
  let iterations = 0;
  iterations += lmStage(ctx, st, 0, false, o.rigidIterations);
  const exprFree = mode !== 'fixed';
  if (kId > 0 || exprFree) {
    const kc = Math.min(kId, o.coarseIdentityCount);
    if (kc < kId) iterations += lmStage(ctx, st, kc, exprFree, o.coarseIterations);
    iterations += lmStage(ctx, st, kId, exprFree, o.iterations);
  }

  // Final outputs: reprojection error and all vertices.
  selectContour(ctx, st);
  const reprojectionErrorPx = reprojection(ctx, st);
  const positions = new Float32Array(o.outputVertices ? 3 * data.vertexCount : 0);
  let interpupillaryMm = Number.NaN;
  if (o.outputVertices) {
    const shape = modelShape(data, st.theta, kId);
    const X = new Float64Array(3);
    for (let v = 0; v < data.vertexCount; v++) {
      X[0] = shape[3 * v]!; X[1] = shape[3 * v + 1]!; X[2] = shape[3 * v + 2]!;
      mat3TransformPoint(X, st.R, st.t, X);
      positions[3 * v] = X[0]!; positions[3 * v + 1] = X[1]!; positions[3 * v + 2] = X[2]!;
    }
    const centre = (vs: Uint32Array): number[] => {
      const c = [0, 0, 0];
      for (const v of vs) for (let k = 0; k < 3; k++) c[k]! += shape[3 * v + k]!;
      return c.map((x) => x / Math.max(1, vs.length));
    };
    const eL = centre(prep.eyeballLeft), eR = centre(prep.eyeballRight);
    interpupillaryMm = Math.hypot(eL[0]! - eR[0]!, eL[1]! - eR[1]!, eL[2]! - eR[2]!);
  }
  const identity = new Float32Array(kId);
  for (let k = 0; k < kId; k++) identity[k] = st.theta[k]!;
  const expression = new Float32Array(nExpr);
  for (let e = 0; e < nExpr; e++) expression[e] = st.theta[kId + e]!;
  const result: IctFitResult = {
    identity, expression, pose: makePose(Float64Array.from(st.R), Float64Array.from(st.t)),
    positions, reprojectionErrorPx, iterations,
    ms: 0,
    interpupillaryMm,
  };
  if (prior) result.prior = prior;
  result.ms = now() - t0;
  return result;
}

/** Validated options, the prepared model, the residual scale and priors, and the initial state of a fit. */
function createContext(input: IctFitInput, options: IctFitOptions): { ctx: Ctx; st: State; prior: { mean: Float32Array; variance: Float32Array } | undefined } {
  const { data, correspondence: corr, analysis, camera } = input;
  const o = { ...ICT_FIT_DEFAULTS, ...stripUndefined(options) };
  // The default identity count is capped by the model's (a user-given one is validated).
  if (options.identityCount === undefined) o.identityCount = Math.min(o.identityCount, data.identityNames.length);
  validate(input, o);
  const prep = prepareIctFit(data, corr, o.identityCount, o.foreheadWeight);
  const kId = prep.identityCount, nExpr = prep.expressionCount, K = prep.K;
  const L = analysis.landmarks;

  // Face size and the residual scale.
  let minX = Infinity, maxX = -Infinity, minY = Infinity, maxY = -Infinity;
  for (let i = 0; i < corr.count; i++) {
    const x = L[3 * i]!, y = L[3 * i + 1]!;
    if (x < minX) minX = x; if (x > maxX) maxX = x; if (y < minY) minY = y; if (y > maxY) maxY = y;
  }
  const faceSizePx = Math.sqrt(Math.max(1, (maxX - minX) * (maxY - minY)));
  const invSigma = 1 / (o.landmarkSigma * faceSizePx);

  // Expression prior.
  const mode = o.emotionPrior;
  const prior = mode === 'none' ? undefined : emotionPrior(analysis.emotions, o.emotionPriorOptions ?? {}, data.expressionNames);
  const exprTarget = new Float64Array(nExpr), exprW = new Float64Array(nExpr);
  for (let e = 0; e < nExpr; e++) {
    if (prior) { exprTarget[e] = prior.mean[e]!; exprW[e] = o.expressionPrior / prior.variance[e]!; } else { exprW[e] = o.expressionRidge; }
  }

  // Initial state: mean identity, expression at the prior mean, pose from the analysis.
  const st: State = { R: new Float64Array(9), t: new Float64Array(3), theta: new Float64Array(K) };
  if (prior) for (let e = 0; e < nExpr; e++) st.theta[kId + e] = prior.mean[e]!;
  const start = input.start;
  if (start) {
    for (let i = 0; i < 9; i++) st.R[i] = start.rotation[i]!;
    for (let i = 0; i < 3; i++) st.t[i] = start.translation[i]!;
    if (start.expression) for (let e = 0; e < nExpr; e++) st.theta[kId + e] = Math.min(1, Math.max(0, start.expression[e] ?? 0));
  } else {
    initialPose(st, prep, analysis, camera);
  }

  const ctx: Ctx = {
    prep, camera, L, invSigma, o, exprTarget, exprW, kId, nExpr, K,
    selected: new Int32Array(prep.contourLandmark.length),
    contourDir: new Float64Array(2 * prep.contourLandmark.length),
    zScale: 0, zTargetMean: 0, meanDepth: 1,
    scratch: {
      cam: new Float64Array(3 * prep.fixedLandmark.length), dres: new Float64Array(prep.fixedLandmark.length),
      hv: new Float64Array(21 * prep.fixedLandmark.length), row: new Float64Array(6 + K), qa: new Float64Array(6),
    },
  };
  return { ctx, st, prior };
}

/** Parameters at which {@link probeIctObjective} evaluates the objective. */
export interface IctProbeParams {
  /** Row-major 3×3 rotation, model → camera. */
  rotation: ArrayLike<number>;
  /** Translation, mm (camera frame). */
  translation: ArrayLike<number>;
  /** `identityCount` identity weights (the option's value). */
  identity: ArrayLike<number>;
  /** One weight per expression. */
  expression: ArrayLike<number>;
}

/** Residuals of the fit's objective by block (each already weighted; cost = Σ r²). */
export interface IctResidualBlocks {
  /** Fixed landmark correspondences: (u, v) per point. */
  landmarks: number[];
  /** Moving contour: one residual (across the contour) per line. */
  contour: number[];
  /** Depth soft term (centred), one per fixed point; empty when `depthWeight` is 0. */
  depth: number[];
  /** √w·(θ − target): identity ridge, then the expression prior / ridge. */
  priors: number[];
}

/** The fit's objective at fixed parameters; see {@link probeIctObjective}. */
export interface IctObjectiveProbe {
  /** Columns of the step: [δ rotation (3), t (3), identity 0 … identityFree − 1, expression (when free)]. */
  columns: number;
  /** Cost and residuals at the parameters moved by `step` (R ← exp([δ]×)·R, t + δt, θ + δθ; none: the parameters themselves). */
  residuals(step?: Float64Array): { cost: number; blocks: IctResidualBlocks };
  /** Gauss–Newton matrix (full, symmetric, row-major columns × columns) and gradient g = Jᵀr at the parameters. */
  system(hessian: 'exact' | 'weak-perspective'): { cost: number; H: Float64Array; g: Float64Array };
}

/**
 * The objective {@link fitIct} minimises, at given parameters, with the contour selection and the
 * depth scale of an iteration started there: for checking the analytic Jacobians against finite
 * differences (test/unit/ict-jacobian.test.ts). Not needed to fit.
 *
 * @example
 * const probe = probeIctObjective(input, {}, params, 8, true);
 * const { H, g } = probe.system('exact'); // compare with central differences of probe.residuals(step)
 */
export function probeIctObjective(input: IctFitInput, options: IctFitOptions, params: IctProbeParams, identityFree: number, expressionFree: boolean): IctObjectiveProbe {
  const { ctx, st } = createContext(input, options);
  st.R.set(Array.from(params.rotation));
  st.t.set(Array.from(params.translation));
  for (let k = 0; k < ctx.kId; k++) st.theta[k] = params.identity[k]!;
  for (let e = 0; e < ctx.nExpr; e++) st.theta[ctx.kId + e] = params.expression[e]!;
  selectContour(ctx, st);
  setupDepth(ctx, st);
  const n = 6 + identityFree + (expressionFree ? ctx.nExpr : 0);
  const trial: State = { R: new Float64Array(9), t: new Float64Array(3), theta: new Float64Array(st.theta.length) };
  return {
    columns: n,
    residuals(step) {
      const at = step ? trial : st;
      if (step) applyStep(st, trial, step, identityFree, expressionFree, ctx.kId, ctx.nExpr);
      const blocks: IctResidualBlocks = { landmarks: [], contour: [], depth: [], priors: [] };
      const cost = evaluate(ctx, at, identityFree, expressionFree, undefined, undefined, blocks);
      return { cost, blocks };
    },
    system(hessian) {
      const H = new Float64Array(n * n), g = new Float64Array(n);
      const cost = evaluate({ ...ctx, o: { ...ctx.o, hessian } }, st, identityFree, expressionFree, H, g);
      for (let i = 0; i < n; i++) for (let j = 0; j < i; j++) H[i * n + j] = H[j * n + i]!;
      return { cost, H, g };
    },
  };
}

/**
 * Model-frame vertex positions (3N, mm) of given identity / expression weights: the neutral plus
 * the deltas (zero weights skipped). `theta` holds `identityCount` identity weights then the
 * expression weights.
 *
 * @example const shape = ictShape(data, fit.identity, fit.expression);
 */
export function ictShape(data: IctModelData, identity: ArrayLike<number>, expression: ArrayLike<number>): Float64Array {
  const theta = new Float64Array(identity.length + expression.length);
  for (let k = 0; k < identity.length; k++) theta[k] = identity[k]!;
  for (let e = 0; e < expression.length; e++) theta[identity.length + e] = expression[e]!;
  return modelShape(data, theta, identity.length);
}

function modelShape(data: IctModelData, theta: Float64Array, kId: number): Float64Array {
  const n3 = 3 * data.vertexCount;
  const out = Float64Array.from(data.neutral);
  // Non-zero terms, applied four at a time (one pass over `out` per four shapes).
  const terms: Array<[Float32Array, number]> = [];
  for (let k = 0; k < kId; k++) if (theta[k] !== 0) terms.push([data.identityDeltas.subarray(k * n3, (k + 1) * n3), theta[k]!]);
  for (let e = 0; e < data.expressionNames.length; e++) {
    if (theta[kId + e] !== 0) terms.push([data.expressionDeltas.subarray(e * n3, (e + 1) * n3), theta[kId + e]!]);
  }
  const zero = new Float32Array(n3);
  for (let s = 0; s < terms.length; s += 4) {
    const [d0, w0] = terms[s]!, [d1, w1] = terms[s + 1] ?? [zero, 0], [d2, w2] = terms[s + 2] ?? [zero, 0], [d3, w3] = terms[s + 3] ?? [zero, 0];
    for (let i = 0; i < n3; i++) out[i]! += w0 * d0[i]! + w1 * d1[i]! + w2 * d2[i]! + w3 * d3[i]!;
  }
  return out;
}

interface Ctx {
  prep: IctFitPrepared;
  camera: Camera;
  L: Float32Array;
  invSigma: number;
  o: Required<Omit<IctFitOptions, 'emotionPriorOptions'>> & Pick<IctFitOptions, 'emotionPriorOptions'>;
  exprTarget: Float64Array;
  exprW: Float64Array;
  kId: number;
  nExpr: number;
  K: number;
  /** Chosen candidate (point index) per contour line. */
  selected: Int32Array;
  /** Unit image direction across each contour line (2 per line), fixed within an iteration. */
  contourDir: Float64Array;
  /** Depth term: model depth (mm) → pixels factor fx / Z at the iteration start, and the centred target's mean. */
  zScale: number;
  zTargetMean: number;
  /** Weighted mean camera depth (mm) of the fixed points at the iteration start. */
  meanDepth: number;
  /** Work arrays of evaluateFast. */
  scratch: { cam: Float64Array; dres: Float64Array; hv: Float64Array; row: Float64Array; qa: Float64Array };
}

/** Model-frame position of point p under theta. */
function pointPos(prep: IctFitPrepared, theta: Float64Array, p: number, out: Float64Array): void {
  const K = prep.K, B = prep.basis;
  let x = prep.mean[3 * p]!, y = prep.mean[3 * p + 1]!, z = prep.mean[3 * p + 2]!;
  const bx = p * 3 * K, by = bx + K, bz = by + K;
  for (let k = 0; k < K; k++) {
    const w = theta[k]!;
    if (w === 0) continue;
    x += w * B[bx + k]!; y += w * B[by + k]!; z += w * B[bz + k]!;
  }
  out[0] = x; out[1] = y; out[2] = z;
}

/** Pick, per contour line, the candidate outermost in the image along the projected outward direction. */
function selectContour(ctx: Ctx, st: State): void {
  const { prep, camera } = ctx;
  const X = new Float64Array(3), d = new Float64Array(3), c = new Float64Array(3);
  const nFixed = prep.fixedLandmark.length;
  for (let l = 0; l < prep.contourLandmark.length; l++) {
    mat3MulVec3(d, st.R, prep.contourOut.subarray(3 * l, 3 * l + 3));
    const dx = d[0]!, dy = d[1]!;
    const dl = Math.hypot(dx, dy) || 1;
    ctx.contourDir[2 * l] = dx / dl; ctx.contourDir[2 * l + 1] = dy / dl;
    let best = -Infinity, bestP = nFixed + prep.lineStart[l]!;
    for (let q = prep.lineStart[l]!; q < prep.lineStart[l + 1]!; q++) {
      const p = nFixed + q;
      pointPos(prep, st.theta, p, X);
      mat3TransformPoint(c, st.R, st.t, X);
      const x = c[0]!, y = c[1]!, z = c[2]!;
      const s = dx * (camera.fx * x / z) + dy * (camera.fy * y / z);
      if (s > best) { best = s; bestP = p; }
    }
    ctx.selected[l] = bestP;
  }
}

/** Depth term set-up at the start of an iteration: pixels per mm and the target mean. */
function setupDepth(ctx: Ctx, st: State): void {
  const { prep, L } = ctx;
  const X = new Float64Array(3), q = new Float64Array(3);
  let zs = 0, ws = 0, zt = 0;
  for (let p = 0; p < prep.fixedLandmark.length; p++) {
    const w = prep.fixedWeight[p]!;
    pointPos(prep, st.theta, p, X);
    zs += w * mat3TransformPoint(q, st.R, st.t, X)[2]!;
    zt += w * L[3 * prep.fixedLandmark[p]! + 2]!;
    ws += w;
  }
  ctx.meanDepth = zs / ws;
  ctx.zScale = ctx.camera.fx / ctx.meanDepth;
  ctx.zTargetMean = zt / ws;
}

/**
 * Cost (½ not applied) and, when `H` is given, the Gauss–Newton system over the columns
 * [δ (3), t (3), identity 0..kA, expression (if exprFree)]: H (upper triangle, n×n) and g = Jᵀr.
 */
function evaluate(ctx: Ctx, st: State, kA: number, exprFree: boolean, H?: Float64Array, g?: Float64Array, res?: IctResidualBlocks): number {
  if (H && g && ctx.o.hessian === 'weak-perspective') return evaluateFast(ctx, st, kA, exprFree, H, g);
  const { prep, camera, L, invSigma, o, kId, nExpr, K } = ctx;
  const n = 6 + kA + (exprFree ? nExpr : 0);
  const R = st.R, t = st.t, B = prep.basis;
  const fx = camera.fx, fy = camera.fy;
  const X = new Float64Array(3), q = new Float64Array(3), G = new Float64Array(3), a = new Float64Array(3);
  const ju = new Float64Array(n), jv = new Float64Array(n);
  const nFixed = prep.fixedLandmark.length;
  let cost = 0;
  // Depth rows (centred at the end): store J rows and residuals.
  const useDepth = o.depthWeight > 0;
  const dW = Math.sqrt(o.depthWeight) * invSigma;
  const dRows = useDepth && H ? new Float64Array(nFixed * n) : undefined;
  const dRes = useDepth ? new Float64Array(nFixed) : undefined;
  const dWt = useDepth ? new Float64Array(nFixed) : undefined;
  if (H) H.fill(0);
  if (g) g.fill(0);

  // Fill the shape part of a Jacobian row for point p and camera-frame gradient a (3).
  const shapeRow = (p: number, a0: number, a1: number, a2: number, row: Float64Array): void => {
    a[0] = a0; a[1] = a1; a[2] = a2;
    mat3TransposeMulVec3(G, R, a);
    const G0 = G[0]!, G1 = G[1]!, G2 = G[2]!;
    const bx = p * 3 * K, by = bx + K, bz = by + K;
    for (let k = 0; k < kA; k++) row[6 + k] = G0 * B[bx + k]! + G1 * B[by + k]! + G2 * B[bz + k]!;
    if (exprFree) {
      const c0 = 6 + kA;
      for (let e = 0; e < nExpr; e++) row[c0 + e] = G0 * B[bx + kId + e]! + G1 * B[by + kId + e]! + G2 * B[bz + kId + e]!;
    }
  };
  const poseRow = poseRowInto;
  // Weak-perspective Hessian: only the pose rows are accumulated per point; the shape × shape
  // block comes from the precomputed moments (see addShapeBlock).
  const rowEnd = n;
  const accumulate2 = (ru: number, rv: number): void => {
    if (!H || !g) return;
    for (let i = 0; i < n; i++) { g[i]! += ju[i]! * ru + jv[i]! * rv; }
    for (let i = 0; i < rowEnd; i++) {
      const ui = ju[i]!, vi = jv[i]!;
      const base = i * n;
      for (let j = i; j < n; j++) H[base + j]! += ui * ju[j]! + vi * jv[j]!;
    }
  };
  const accumulate1 = (r: number, end: number): void => {
    if (!H || !g) return;
    for (let i = 0; i < n; i++) g[i]! += ju[i]! * r;
    for (let i = 0; i < end; i++) {
      const ui = ju[i]!;
      if (ui === 0) continue;
      const base = i * n;
      for (let j = i; j < n; j++) H[base + j]! += ui * ju[j]!;
    }
  };

  for (let p = 0; p < nFixed; p++) {
    const li = prep.fixedLandmark[p]!, w = prep.fixedWeight[p]! * invSigma;
    pointPos(prep, st.theta, p, X);
    mat3MulVec3(q, R, X);
    const q0 = q[0]!, q1 = q[1]!, q2 = q[2]!;
    const x = q0 + t[0]!, y = q1 + t[1]!, z = q2 + t[2]!;
    const iz = 1 / z;
    const ru = w * (fx * x * iz + camera.cx - L[3 * li]!);
    const rv = w * (fy * y * iz + camera.cy - L[3 * li + 1]!);
    cost += ru * ru + rv * rv;
    res?.landmarks.push(ru, rv);
    if (useDepth) {
      dRes![p] = ctx.zScale * z - L[3 * li + 2]!;
      dWt![p] = prep.fixedWeight[p]! * dW;
    }
    if (H) {
      const au0 = w * fx * iz, au2 = -w * fx * x * iz * iz;
      const av1 = w * fy * iz, av2 = -w * fy * y * iz * iz;
      poseRow(q0, q1, q2, au0, 0, au2, ju);
      poseRow(q0, q1, q2, 0, av1, av2, jv);
      shapeRow(p, au0, 0, au2, ju);
      shapeRow(p, 0, av1, av2, jv);
      accumulate2(ru, rv);
      if (dRows) {
        // d(zScale·z)/d… with the camera-frame gradient a = (0, 0, zScale).
        const row = dRows.subarray(p * n, (p + 1) * n);
        poseRow(q0, q1, q2, 0, 0, ctx.zScale, row);
        shapeRow(p, 0, 0, ctx.zScale, row);
      }
    }
  }
  // Contour: residual across the contour only (along the projected outward direction).
  const qa = ctx.scratch.qa;
  for (let l = 0; l < prep.contourLandmark.length; l++) {
    const r = contourTerm(ctx, st, l, X, qa);
    cost += r * r;
    res?.contour.push(r);
    if (H) {
      poseRow(qa[0]!, qa[1]!, qa[2]!, qa[3]!, qa[4]!, qa[5]!, ju);
      shapeRow(ctx.selected[l]!, qa[3]!, qa[4]!, qa[5]!, ju);
      accumulate1(r, n);
    }
  }
  // Depth soft term: centred residuals w_p·((zScale·Z_p − mean) − (z_p − z̄)).
  if (useDepth) {
    let ws = 0, mr = 0;
    for (let p = 0; p < nFixed; p++) { ws += dWt![p]! ** 2; mr += dWt![p]! ** 2 * dRes![p]!; }
    mr /= ws;
    const mean = dRows ? new Float64Array(n) : undefined;
    if (dRows && mean) {
      for (let p = 0; p < nFixed; p++) {
        const w2 = dWt![p]! ** 2 / ws;
        for (let i = 0; i < n; i++) mean[i]! += w2 * dRows[p * n + i]!;
      }
    }
    for (let p = 0; p < nFixed; p++) {
      const w = dWt![p]!;
      const r = w * (dRes![p]! - mr);
      cost += r * r;
      res?.depth.push(r);
      if (dRows && mean) {
        for (let i = 0; i < n; i++) ju[i] = w * (dRows[p * n + i]! - mean[i]!);
        accumulate1(r, rowEnd);
      }
    }
  }
  return cost + addPriors(ctx, st, kA, exprFree, n, H, g, res?.priors);
}

/** Identity and expression prior terms: their cost, and their part of H and g when given. */
function addPriors(ctx: Ctx, st: State, kA: number, exprFree: boolean, n: number, H?: Float64Array, g?: Float64Array, res?: number[]): number {
  const { o, kId, nExpr } = ctx;
  let cost = 0;
  for (let k = 0; k < kId; k++) {
    const a = st.theta[k]!;
    cost += o.identityPrior * a * a;
    res?.push(Math.sqrt(o.identityPrior) * a);
    if (H && g && k < kA) { H[(6 + k) * n + 6 + k]! += o.identityPrior; g[6 + k]! += o.identityPrior * a; }
  }
  if (o.emotionPrior !== 'fixed') {
    for (let e = 0; e < nExpr; e++) {
      const d = st.theta[kId + e]! - ctx.exprTarget[e]!, w = ctx.exprW[e]!;
      cost += w * d * d;
      res?.push(Math.sqrt(w) * d);
      if (H && g && exprFree) { const c = 6 + kA + e; H[c * n + c]! += w; g[c]! += w * d; }
    }
  }
  return cost;
}

/**
 * {@link evaluate} with the weak-perspective Gauss–Newton matrix: exact gradient, exact pose
 * rows and contour rows, shape × shape block from the moments ({@link addShapeBlock}). Every
 * per-point shape term has the form (3-vector) · B_p[:, k], so a point costs one pass over its
 * basis with 7 dot products (gradient + 6 pose rows), and no Jacobian row is stored.
 */
function evaluateFast(ctx: Ctx, st: State, kA: number, exprFree: boolean, H: Float64Array, g: Float64Array): number {
  const { prep, camera, L, invSigma, o, kId, nExpr, K } = ctx;
  const n = 6 + kA + (exprFree ? nExpr : 0);
  const R = st.R, t = st.t, B = prep.basis;
  const fx = camera.fx, fy = camera.fy;
  const nFixed = prep.fixedLandmark.length;
  const X = new Float64Array(3), q = new Float64Array(3), G = new Float64Array(3), a = new Float64Array(3);
  H.fill(0); g.fill(0);
  const useDepth = o.depthWeight > 0;
  const dW = Math.sqrt(o.depthWeight) * invSigma, zs = ctx.zScale;
  // Pass 1: camera-frame points, residuals; the depth residuals' weighted mean.
  const cam = ctx.scratch.cam, dres = ctx.scratch.dres;
  let cost = 0, ws = 0, mr = 0;
  for (let p = 0; p < nFixed; p++) {
    pointPos(prep, st.theta, p, X);
    mat3MulVec3(q, R, X);
    const q2 = q[2]!;
    cam[3 * p] = q[0]!; cam[3 * p + 1] = q[1]!; cam[3 * p + 2] = q2;
    if (useDepth) {
      const w2 = (prep.fixedWeight[p]! * dW) ** 2;
      dres[p] = zs * (q2 + t[2]!) - L[3 * prep.fixedLandmark[p]! + 2]!;
      ws += w2; mr += w2 * dres[p]!;
    }
  }
  if (useDepth && ws > 0) mr /= ws;
  // Weighted mean of the depth rows (pose part; the shape part is zs·R₂·B̄, see addShapeBlock).
  const jbar = new Float64Array(6);
  const hv = ctx.scratch.hv; // 7 three-vectors per point: gradient, then the 6 pose rows
  const ju = new Float64Array(6), jv = new Float64Array(6), jz = new Float64Array(6);
  for (let p = 0; p < nFixed; p++) {
    const li = prep.fixedLandmark[p]!, wp = prep.fixedWeight[p]!, w = wp * invSigma;
    const q0 = cam[3 * p]!, q1 = cam[3 * p + 1]!, q2 = cam[3 * p + 2]!;
    const x = q0 + t[0]!, y = q1 + t[1]!, z = q2 + t[2]!, iz = 1 / z;
    const ru = w * (fx * x * iz + camera.cx - L[3 * li]!);
    const rv = w * (fy * y * iz + camera.cy - L[3 * li + 1]!);
    cost += ru * ru + rv * rv;
    const au0 = w * fx * iz, au2 = -w * fx * x * iz * iz, av1 = w * fy * iz, av2 = -w * fy * y * iz * iz;
    poseRowInto(q0, q1, q2, au0, 0, au2, ju);
    poseRowInto(q0, q1, q2, 0, av1, av2, jv);
    // Camera-frame gradients pulled back to the model frame: G = Rᵀ a.
    const gu0 = R[0]! * au0 + R[6]! * au2, gu1 = R[1]! * au0 + R[7]! * au2, gu2 = R[2]! * au0 + R[8]! * au2;
    const gv0 = R[3]! * av1 + R[6]! * av2, gv1 = R[4]! * av1 + R[7]! * av2, gv2 = R[5]! * av1 + R[8]! * av2;
    let dr = 0, d2 = 0;
    if (useDepth) {
      const wd = wp * dW;
      d2 = wd * wd;
      dr = dres[p]! - mr;
      cost += d2 * dr * dr;
      poseRowInto(q0, q1, q2, 0, 0, zs, jz);
      for (let i = 0; i < 6; i++) jbar[i]! += d2 * jz[i]!;
    } else {
      jz.fill(0);
    }
    const z0 = zs * R[6]!, z1 = zs * R[7]!, z2 = zs * R[8]!;
    // Gradient and pose×pose block.
    for (let i = 0; i < 6; i++) {
      g[i]! += ju[i]! * ru + jv[i]! * rv + d2 * jz[i]! * dr;
      const base = i * n;
      for (let j = i; j < 6; j++) H[base + j]! += ju[i]! * ju[j]! + jv[i]! * jv[j]! + d2 * jz[i]! * jz[j]!;
    }
    const o7 = 21 * p;
    hv[o7] = ru * gu0 + rv * gv0 + d2 * dr * z0;
    hv[o7 + 1] = ru * gu1 + rv * gv1 + d2 * dr * z1;
    hv[o7 + 2] = ru * gu2 + rv * gv2 + d2 * dr * z2;
    for (let i = 0; i < 6; i++) {
      hv[o7 + 3 + 3 * i] = ju[i]! * gu0 + jv[i]! * gv0 + d2 * jz[i]! * z0;
      hv[o7 + 4 + 3 * i] = ju[i]! * gu1 + jv[i]! * gv1 + d2 * jz[i]! * z1;
      hv[o7 + 5 + 3 * i] = ju[i]! * gu2 + jv[i]! * gv2 + d2 * jz[i]! * z2;
    }
  }
  // Shape columns of the gradient and of the pose rows: Σ_p (3-vector)·B_p[:, k].
  const m = kA + (exprFree ? nExpr : 0);
  for (let p = 0; p < nFixed; p++) {
    const o7 = 21 * p, bx = p * 3 * K, by = bx + K, bz = by + K;
    for (let j = 0; j < m; j++) {
      const k = j < kA ? j : kId + (j - kA);
      const b0 = B[bx + k]!, b1 = B[by + k]!, b2 = B[bz + k]!;
      const c = 6 + j;
      g[c]! += hv[o7]! * b0 + hv[o7 + 1]! * b1 + hv[o7 + 2]! * b2;
      H[c]! += hv[o7 + 3]! * b0 + hv[o7 + 4]! * b1 + hv[o7 + 5]! * b2;
      H[n + c]! += hv[o7 + 6]! * b0 + hv[o7 + 7]! * b1 + hv[o7 + 8]! * b2;
      H[2 * n + c]! += hv[o7 + 9]! * b0 + hv[o7 + 10]! * b1 + hv[o7 + 11]! * b2;
      H[3 * n + c]! += hv[o7 + 12]! * b0 + hv[o7 + 13]! * b1 + hv[o7 + 14]! * b2;
      H[4 * n + c]! += hv[o7 + 15]! * b0 + hv[o7 + 16]! * b1 + hv[o7 + 17]! * b2;
      H[5 * n + c]! += hv[o7 + 18]! * b0 + hv[o7 + 19]! * b1 + hv[o7 + 20]! * b2;
    }
  }
  // Depth centring: − W·J̄ᵀJ̄ on the pose rows (J̄ = Σ d2·J_p / W; its shape part zs·R₂·B̄).
  if (useDepth && ws > 0) {
    const mom = momentsOf(prep), Bm = mom.meanBasis;
    for (let i = 0; i < 6; i++) jbar[i]! /= ws;
    const z0 = zs * R[6]!, z1 = zs * R[7]!, z2 = zs * R[8]!;
    for (let i = 0; i < 6; i++) {
      const base = i * n;
      for (let j = i; j < 6; j++) H[base + j]! -= ws * jbar[i]! * jbar[j]!;
      for (let j = 0; j < m; j++) {
        const k = j < kA ? j : kId + (j - kA);
        H[base + 6 + j]! -= ws * jbar[i]! * (z0 * Bm[k]! + z1 * Bm[K + k]! + z2 * Bm[2 * K + k]!);
      }
    }
  }
  // Contour rows: few, accumulated in full.
  const row = ctx.scratch.row.subarray(0, n);
  const qa = ctx.scratch.qa;
  for (let l = 0; l < prep.contourLandmark.length; l++) {
    const p = ctx.selected[l]!;
    const r = contourTerm(ctx, st, l, X, qa);
    cost += r * r;
    const a0 = qa[3]!, a1 = qa[4]!, a2 = qa[5]!;
    poseRowInto(qa[0]!, qa[1]!, qa[2]!, a0, a1, a2, row);
    a[0] = a0; a[1] = a1; a[2] = a2;
    mat3TransposeMulVec3(G, R, a);
    const G0 = G[0]!, G1 = G[1]!, G2 = G[2]!;
    const bx = p * 3 * K, by = bx + K, bz = by + K;
    for (let j = 0; j < m; j++) {
      const k = j < kA ? j : kId + (j - kA);
      row[6 + j] = G0 * B[bx + k]! + G1 * B[by + k]! + G2 * B[bz + k]!;
    }
    for (let i = 0; i < n; i++) {
      const ri = row[i]!;
      if (ri === 0) continue;
      g[i]! += ri * r;
      const base = i * n;
      for (let j = i; j < n; j++) H[base + j]! += ri * row[j]!;
    }
  }
  addShapeBlock(ctx, st, kA, exprFree, n, H);
  return cost + addPriors(ctx, st, kA, exprFree, n, H, g);
}

/**
 * One moving-contour landmark's weighted residual across the contour (along the projected outward
 * direction, held fixed within an iteration by `selectContour`). Writes the rotated model point q
 * (camera frame minus t) and the residual's gradient a with respect to the camera-frame point to
 * `qa` = [q0, q1, q2, a0, a1, a2]; `X` is scratch.
 */
function contourTerm(ctx: Ctx, st: State, l: number, X: Float64Array, qa: Float64Array): number {
  const { prep, camera, L, invSigma, o } = ctx;
  const R = st.R, t = st.t, fx = camera.fx, fy = camera.fy;
  const li = prep.contourLandmark[l]!;
  const dx = ctx.contourDir[2 * l]!, dy = ctx.contourDir[2 * l + 1]!;
  const w = o.contourWeight * invSigma;
  pointPos(prep, st.theta, ctx.selected[l]!, X);
  mat3MulVec3(qa, R, X);
  const q0 = qa[0]!, q1 = qa[1]!, q2 = qa[2]!;
  const x = q0 + t[0]!, y = q1 + t[1]!, z = q2 + t[2]!, iz = 1 / z;
  qa[3] = w * dx * fx * iz; qa[4] = w * dy * fy * iz; qa[5] = -w * (dx * fx * x + dy * fy * y) * iz * iz;
  return w * (dx * (fx * x * iz + camera.cx - L[3 * li]!) + dy * (fy * y * iz + camera.cy - L[3 * li + 1]!));
}

/** Pose part of a Jacobian row: d(pc)/dδ = −[q]×, d(pc)/dt = I; row_j = a · (e_j × q). */
function poseRowInto(q0: number, q1: number, q2: number, a0: number, a1: number, a2: number, row: Float64Array): void {
  row[0] = -a1 * q2 + a2 * q1;
  row[1] = a0 * q2 - a2 * q0;
  row[2] = -a0 * q1 + a1 * q0;
  row[3] = a0; row[4] = a1; row[5] = a2;
}

/**
 * Shape × shape block of JᵀJ under weak perspective: for the fixed points, the u row's shape
 * part is ≈ (fx/Z̄)·R₀·B_p (R₀ the first row of R, Z̄ the mean depth), the v row's (fy/Z̄)·R₁·B_p,
 * so Σ_p w_p² J_pᵀJ_p = Σ_{c,c'} (a²R₀cR₀c' + b²R₁cR₁c') M_cc' with the moments
 * M_cc' = Σ_p w_p² B_p[c]ᵀB_p[c'] precomputed once. The depth rows (zScale·R₂·B_p, centred) are
 * linear, so their block is exact: zScale²·Σ R₂cR₂c' (M_cc' − W·B̄[c]ᵀB̄[c']).
 */
function addShapeBlock(ctx: Ctx, st: State, kA: number, exprFree: boolean, n: number, H: Float64Array): void {
  const { prep, camera, invSigma, o, kId, nExpr } = ctx;
  const mom = momentsOf(prep);
  const K = prep.K, R = st.R;
  const a = (camera.fx / ctx.meanDepth) * invSigma, b = (camera.fy / ctx.meanDepth) * invSigma;
  const dz = o.depthWeight > 0 ? Math.sqrt(o.depthWeight) * invSigma * ctx.zScale : 0;
  // Coefficients per (c, c') pair, c ≤ c' (off-diagonal pairs used for both orders).
  const coef = new Float64Array(9), coefMean = new Float64Array(9);
  for (let c = 0; c < 3; c++) for (let d = 0; d < 3; d++) {
    coef[3 * c + d] = a * a * R[c]! * R[d]! + b * b * R[3 + c]! * R[3 + d]! + dz * dz * R[6 + c]! * R[6 + d]!;
    coefMean[3 * c + d] = dz * dz * mom.weightSum * R[6 + c]! * R[6 + d]!;
  }
  const m = kA + (exprFree ? nExpr : 0);
  const col = (j: number): number => (j < kA ? j : kId + (j - kA));
  const M = mom.M, Bm = mom.meanBasis;
  for (let i = 0; i < m; i++) {
    const ci = col(i);
    for (let j = i; j < m; j++) {
      const cj = col(j);
      let v = 0;
      for (let c = 0; c < 3; c++) for (let d = 0; d < 3; d++) {
        const k = coef[3 * c + d]!;
        // M_cd[ci][cj]: block (c, d) stored full, K×K.
        v += k * M[(3 * c + d) * K * K + ci * K + cj]! - coefMean[3 * c + d]! * Bm[c * K + ci]! * Bm[d * K + cj]!;
      }
      H[(6 + i) * n + 6 + j]! += v;
    }
  }
}

interface Moments {
  /** M[(3c+d)·K² + i·K + j] = Σ_p w_p² B_p[c][i]·B_p[d][j] over the fixed points. */
  M: Float64Array;
  /** Weighted mean basis B̄[c·K + k] (weights w_p²). */
  meanBasis: Float64Array;
  /** Σ_p w_p². */
  weightSum: number;
}

const momentsCache = new WeakMap<IctFitPrepared, Moments>();

function momentsOf(prep: IctFitPrepared): Moments {
  const hit = momentsCache.get(prep);
  if (hit) return hit;
  const K = prep.K, B = prep.basis, nF = prep.fixedLandmark.length;
  // Gather the fixed points' basis rows per coordinate as c-major matrices (P × K), weighted by w_p.
  const Wb = [0, 1, 2].map(() => new Float64Array(nF * K));
  const meanBasis = new Float64Array(3 * K);
  let weightSum = 0;
  for (let p = 0; p < nF; p++) {
    const w = prep.fixedWeight[p]!;
    weightSum += w * w;
    for (let c = 0; c < 3; c++) {
      const src = p * 3 * K + c * K, dst = Wb[c]!;
      for (let k = 0; k < K; k++) { dst[p * K + k] = w * B[src + k]!; meanBasis[c * K + k]! += w * w * B[src + k]!; }
    }
  }
  for (let i = 0; i < 3 * K; i++) meanBasis[i]! /= weightSum || 1;
  const M = new Float64Array(9 * K * K);
  for (let c = 0; c < 3; c++) for (let d = c; d < 3; d++) {
    const X = Wb[c]!, Y = Wb[d]!, off = (3 * c + d) * K * K;
    for (let p = 0; p < nF; p++) {
      const xo = p * K;
      for (let i = 0; i < K; i++) {
        const xi = X[xo + i]!;
        if (xi === 0) continue;
        const row = off + i * K;
        for (let j = 0; j < K; j++) M[row + j]! += xi * Y[xo + j]!;
      }
    }
    if (d !== c) {
      const offT = (3 * d + c) * K * K;
      for (let i = 0; i < K; i++) for (let j = 0; j < K; j++) M[offT + j * K + i] = M[off + i * K + j]!;
    }
  }
  const out = { M, meanBasis, weightSum };
  momentsCache.set(prep, out);
  return out;
}

/** One coarse-to-fine stage of LM; returns the iterations run. */
function lmStage(ctx: Ctx, st: State, kA: number, exprFree: boolean, maxIter: number): number {
  const { kId, nExpr } = ctx;
  const n = 6 + kA + (exprFree ? nExpr : 0);
  const H = new Float64Array(n * n), g = new Float64Array(n), A = new Float64Array(n * n), rhs = new Float64Array(n);
  const held = new Uint8Array(n);
  const trial: State = { R: new Float64Array(9), t: new Float64Array(3), theta: new Float64Array(st.theta.length) };
  let mu = 1e-3;
  let it = 0;
  for (; it < maxIter; it++) {
    selectContour(ctx, st);
    setupDepth(ctx, st);
    const cost0 = evaluate(ctx, st, kA, exprFree, H, g);
    // Active set: expression weights at a bound whose gradient points outward are held.
    held.fill(0);
    if (exprFree) {
      for (let e = 0; e < nExpr; e++) {
        const c = 6 + kA + e, b = st.theta[kId + e]!;
        if ((b <= 0 && g[c]! > 0) || (b >= 1 && g[c]! < 0)) held[c] = 1;
      }
    }
    let accepted = false;
    for (let tries = 0; tries < 8 && !accepted; tries++) {
      for (let i = 0; i < n; i++) {
        for (let j = i; j < n; j++) {
          const v = held[i] || held[j] ? (i === j ? 1 : 0) : H[i * n + j]!;
          A[i * n + j] = v; A[j * n + i] = v;
        }
        if (!held[i]) A[i * n + i]! += mu * (H[i * n + i]! + 1e-9);
        rhs[i] = held[i] ? 0 : -g[i]!;
      }
      if (!choleskyFactor(A, n)) { mu *= 10; continue; }
      choleskySolve(A, n, rhs);
      applyStep(st, trial, rhs, kA, exprFree, kId, nExpr);
      const cost1 = evaluate(ctx, trial, kA, exprFree);
      if (cost1 < cost0) {
        st.R.set(trial.R); st.t.set(trial.t); st.theta.set(trial.theta);
        mu = Math.max(1e-7, mu / 3);
        accepted = true;
        if ((cost0 - cost1) / cost0 < 1e-5) return it + 1;
      } else {
        mu *= 8;
      }
    }
    if (!accepted) return it + 1;
  }
  return it;
}

function applyStep(st: State, out: State, d: Float64Array, kA: number, exprFree: boolean, kId: number, nExpr: number): void {
  // R ← exp([δ]×)·R.
  mat3Multiply(out.R, mat3FromAxisAngle(new Float64Array(9), d[0]!, d[1]!, d[2]!), st.R);
  for (let k = 0; k < 3; k++) out.t[k] = st.t[k]! + d[3 + k]!;
  out.theta.set(st.theta);
  for (let k = 0; k < kA; k++) out.theta[k] = st.theta[k]! + d[6 + k]!;
  if (exprFree) {
    for (let e = 0; e < nExpr; e++) out.theta[kId + e] = Math.min(1, Math.max(0, st.theta[kId + e]! + d[6 + kA + e]!));
  }
}

/** RMS 2D distance (px) over the fixed landmarks (weight > 0) and the contour landmarks' chosen points (when the contour is used). */
function reprojection(ctx: Ctx, st: State): number {
  const { prep, camera, L } = ctx;
  const X = new Float64Array(3), q = new Float64Array(3);
  let s = 0, n = 0;
  const add = (p: number, li: number): void => {
    pointPos(prep, st.theta, p, X);
    mat3TransformPoint(q, st.R, st.t, X);
    const x = q[0]!, y = q[1]!, z = q[2]!;
    s += (camera.fx * x / z + camera.cx - L[3 * li]!) ** 2 + (camera.fy * y / z + camera.cy - L[3 * li + 1]!) ** 2;
    n++;
  };
  for (let p = 0; p < prep.fixedLandmark.length; p++) if (prep.fixedWeight[p]! > 0) add(p, prep.fixedLandmark[p]!);
  if (ctx.o.contourWeight > 0) for (let l = 0; l < prep.contourLandmark.length; l++) add(ctx.selected[l]!, prep.contourLandmark[l]!);
  return Math.sqrt(s / Math.max(1, n));
}

/** Pose from the analysis' Euler angles (pose.ts convention) and a depth from the landmark spread. */
function initialPose(st: State, prep: IctFitPrepared, analysis: FaceAnalysis, camera: Camera): void {
  const d = Math.PI / 180;
  const { yawDeg, pitchDeg, rollDeg } = analysis.rotation;
  const cy = Math.cos(yawDeg * d), sy = Math.sin(yawDeg * d);
  const cp = Math.cos(pitchDeg * d), sp = Math.sin(pitchDeg * d);
  const cr = Math.cos(rollDeg * d), sr = Math.sin(rollDeg * d);
  const Ry = [cy, 0, sy, 0, 1, 0, -sy, 0, cy], Rx = [1, 0, 0, 0, cp, -sp, 0, sp, cp], Rz = [cr, -sr, 0, sr, cr, 0, 0, 0, 1];
  const Rrel = mat3Multiply(new Float64Array(9), mat3Multiply(new Float64Array(9), Ry, Rx), Rz);
  // R = F·R_rel, F = diag(1, −1, −1).
  for (let i = 0; i < 9; i++) st.R[i] = i < 3 ? Rrel[i]! : -Rrel[i]!;
  const L = analysis.landmarks, X = new Float64Array(3);
  const nF = prep.fixedLandmark.length;
  const q = new Float64Array(3 * nF);
  let qx = 0, qy = 0, qz = 0, lx = 0, ly = 0;
  for (let p = 0; p < nF; p++) {
    pointPos(prep, st.theta, p, X);
    mat3MulVec3(q.subarray(3 * p, 3 * p + 3), st.R, X);
    qx += q[3 * p]!; qy += q[3 * p + 1]!; qz += q[3 * p + 2]!;
    const li = prep.fixedLandmark[p]!;
    lx += L[3 * li]!; ly += L[3 * li + 1]!;
  }
  qx /= nF; qy /= nF; qz /= nF; lx /= nF; ly /= nF;
  let sq = 0, sl = 0;
  for (let p = 0; p < nF; p++) {
    const li = prep.fixedLandmark[p]!;
    sq += (q[3 * p]! - qx) ** 2 + (q[3 * p + 1]! - qy) ** 2;
    sl += ((L[3 * li]! - lx) / camera.fx) ** 2 + ((L[3 * li + 1]! - ly) / camera.fy) ** 2;
  }
  const Z = Math.sqrt(sq / Math.max(1e-12, sl));
  st.t[0] = ((lx - camera.cx) * Z) / camera.fx - qx;
  st.t[1] = ((ly - camera.cy) * Z) / camera.fy - qy;
  st.t[2] = Z - qz;
}

function validate(input: IctFitInput, o: Required<Omit<IctFitOptions, 'emotionPriorOptions'>>): void {
  const { data, correspondence: corr, analysis, camera } = input;
  const bad = (msg: string): never => { throw new FaceDetailError('INVALID_OPTION', `fitIct: ${msg}`); };
  if (!EMOTION_PRIOR_MODES.includes(o.emotionPrior)) bad(`emotionPrior: expected one of ${EMOTION_PRIOR_MODES.join(', ')}, got ${JSON.stringify(o.emotionPrior)}`);
  const maxId = data.identityNames.length;
  if (!Number.isInteger(o.identityCount) || o.identityCount < 0 || o.identityCount > maxId) bad(`identityCount: expected an integer in [0, ${maxId}], got ${String(o.identityCount)}`);
  if (!Number.isInteger(o.coarseIdentityCount) || o.coarseIdentityCount < 0) bad(`coarseIdentityCount: expected an integer ≥ 0, got ${String(o.coarseIdentityCount)}`);
  for (const k of ['landmarkSigma'] as const) if (!(o[k] > 0) || !Number.isFinite(o[k])) bad(`${k}: expected a positive number, got ${String(o[k])}`);
  for (const k of ['identityPrior', 'expressionPrior', 'expressionRidge', 'contourWeight', 'foreheadWeight', 'depthWeight'] as const) {
    if (!(o[k] >= 0) || !Number.isFinite(o[k])) bad(`${k}: expected a number ≥ 0, got ${String(o[k])}`);
  }
  if (input.start) {
    const { rotation: r, translation: t, expression: e } = input.start;
    if (r.length !== 9 || t.length !== 3 || !Array.from(r).concat(Array.from(t)).every(Number.isFinite)) bad('start: expected a finite 3×3 rotation (9 values) and translation (3 values)');
    if (e && e.length !== data.expressionNames.length) bad(`start.expression: expected ${data.expressionNames.length} weights, got ${e.length}`);
  }
  if (o.hessian !== 'exact' && o.hessian !== 'weak-perspective') bad(`hessian: expected 'exact' or 'weak-perspective', got ${JSON.stringify(o.hessian)}`);
  for (const k of ['rigidIterations', 'coarseIterations', 'iterations'] as const) {
    if (!Number.isInteger(o[k]) || o[k] < 0) bad(`${k}: expected an integer ≥ 0, got ${String(o[k])}`);
  }
  if (corr.count < 1 || corr.triangle.length !== corr.count || corr.bary.length !== 3 * corr.count || corr.weight.length !== corr.count) {
    bad(`correspondence arrays do not match its count ${corr.count}`);
  }
  if (analysis.landmarkCount < corr.count || analysis.landmarks.length < 3 * corr.count) bad(`the analysis has ${analysis.landmarkCount} landmarks, the correspondence needs ${corr.count}`);
  const nT = data.triangles.length / 3;
  for (let i = 0; i < corr.count; i++) if (corr.triangle[i]! >= nT) bad(`correspondence.triangle[${i}] = ${corr.triangle[i]} is out of range (< ${nT})`);
  if (!(camera.fx > 0 && camera.fy > 0)) bad(`camera focal lengths must be positive, got fx ${camera.fx}, fy ${camera.fy}`);
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  const out: Partial<T> = {};
  for (const [k, v] of Object.entries(o)) if (v !== undefined) (out as Record<string, unknown>)[k] = v;
  return out;
}

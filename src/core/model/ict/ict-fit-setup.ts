/**
 * Set-up of the ICT fit ({@link fitIct} in `ict-fit.ts`): its options, defaults and their
 * validation; the shape bases of the corresponded points and the moving-contour lines, gathered
 * once per model ({@link prepareIctFit}, cached) with their second moments; and the context and
 * initial state of one fit (residual scale, priors, pose from the analysis). Isomorphic.
 */
import type { FaceAnalysis } from '../../analysis/types.js';
import { mat3Multiply, mat3MulVec3 } from '../../math/index.js';
import { FaceDetailError } from '../../errors.js';
import { assignDefaults } from '../../options.js';
import type { Camera } from '../../types.js';
import { emotionPrior, type EmotionPriorOptions } from './emotion-prior.js';
import { ictRegionVertices, type IctModelData } from './ict-cache.js';
import { EMOTION_PRIOR_MODES, type EmotionPriorMode, type IctCorrespondence } from './ict-types.js';

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
   * Gauss–Newton matrix JᵀJ: `exact` accumulates the landmarks' shape × shape block point by
   * point (O(P·K²) per iteration);
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

/** {@link IctFitOptions} with every default filled in (`emotionPriorOptions` stays optional). */
type ResolvedIctFitOptions = Required<Omit<IctFitOptions, 'emotionPriorOptions'>> & Pick<IctFitOptions, 'emotionPriorOptions'>;

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

/** Model-frame position of point p under theta. */
export function pointPos(prep: IctFitPrepared, theta: Float64Array, p: number, out: Float64Array): void {
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

/** Second moments of the fixed points' shape bases, for the weak-perspective shape × shape block (`addShapeBlock`). */
export interface Moments {
  /** M[(3c+d)·K² + i·K + j] = Σ_p w_p² B_p[c][i]·B_p[d][j] over the fixed points. */
  M: Float64Array;
  /** Weighted mean basis B̄[c·K + k] (weights w_p²). */
  meanBasis: Float64Array;
  /** Σ_p w_p². */
  weightSum: number;
}

const momentsCache = new WeakMap<IctFitPrepared, Moments>();

/** The {@link Moments} of a prepared model, computed once and cached. */
export function momentsOf(prep: IctFitPrepared): Moments {
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

/** Mutable fit state: the pose (model → camera) and the shape weights. */
export interface State {
  R: Float64Array; // 9
  t: Float64Array; // 3
  theta: Float64Array; // K: identity then expression
}

/** Everything an iteration of the fit reads: the prepared model, the landmarks, the residual scale, the priors, the per-iteration contour and depth set-up, and work arrays. */
export interface Ctx {
  prep: IctFitPrepared;
  camera: Camera;
  L: Float32Array;
  invSigma: number;
  o: ResolvedIctFitOptions;
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
  /** Work arrays of the normal-equation assembly (`assembleNormalEquations`). */
  scratch: { cam: Float64Array; dres: Float64Array; hv: Float64Array; row: Float64Array; qa: Float64Array; sp: Float64Array; bt: Float64Array };
}

/** Validated options, the prepared model, the residual scale and priors, and the initial state of a fit. */
export function createContext(input: IctFitInput, options: IctFitOptions): { ctx: Ctx; st: State; prior: { mean: Float32Array; variance: Float32Array } | undefined } {
  const { data, correspondence: corr, analysis, camera } = input;
  const o = assignDefaults<ResolvedIctFitOptions>(ICT_FIT_DEFAULTS, options);
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
      sp: new Float64Array(6 * prep.fixedLandmark.length), bt: new Float64Array(3 * K),
    },
  };
  return { ctx, st, prior };
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

function validate(input: IctFitInput, o: ResolvedIctFitOptions): void {
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

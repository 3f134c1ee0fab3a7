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
 * Files by phase: `ict-fit-setup.ts` (options, prepared bases, context and initial pose),
 * `ict-fit-objective.ts` (residuals, the Gauss–Newton normal equations, the finite-difference
 * probe), this file (the coarse-to-fine LM schedule and the outputs).
 *
 * @example
 * const fit = fitIct({ data, correspondence, analysis, camera }, { emotionPrior: 'prior' });
 * console.log(fit.pose.yawDeg, fit.reprojectionErrorPx, fit.interpupillaryMm, fit.ms);
 */
import { makePose } from '../../camera/pose.js';
import { mat3TransformPoint } from '../../math/index.js';
import { choleskyFactor, choleskySolve } from '../../numeric/index.js';
import { now } from '../../platform.js';
import type { IctModelData } from './ict-cache.js';
import { applyStep, assembleNormalEquations, evaluate, reprojection, selectContour, setupDepth } from './ict-fit-objective.js';
import { createContext, type Ctx, type IctFitInput, type IctFitOptions, type State } from './ict-fit-setup.js';
import type { IctFitParams } from './ict-types.js';

export { FACEMESH_FACE_OVAL, ICT_FIT_DEFAULTS, prepareIctFit } from './ict-fit-setup.js';
export type { IctFitInput, IctFitOptions } from './ict-fit-setup.js';

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
    const cost0 = assembleNormalEquations(ctx, st, kA, exprFree, ctx.o.hessian, H, g);
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
      if (!solveDampedStep(H, g, held, mu, n, A, rhs)) { mu *= 10; continue; }
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

/**
 * The LM step: (H + μ·diag(H) + μ·1e-9·I)·δ = −g with the held columns fixed (δ = 0 there), by
 * the shared Cholesky. `A` (n×n) and `rhs` (n, ← δ) are work arrays; false when the damped
 * matrix is not positive definite (the caller raises μ).
 */
function solveDampedStep(H: Float64Array, g: Float64Array, held: Uint8Array, mu: number, n: number, A: Float64Array, rhs: Float64Array): boolean {
  for (let i = 0; i < n; i++) {
    for (let j = i; j < n; j++) {
      const v = held[i] || held[j] ? (i === j ? 1 : 0) : H[i * n + j]!;
      A[i * n + j] = v; A[j * n + i] = v;
    }
    if (!held[i]) A[i * n + i]! += mu * (H[i * n + i]! + 1e-9);
    rhs[i] = held[i] ? 0 : -g[i]!;
  }
  if (!choleskyFactor(A, n)) return false;
  choleskySolve(A, n, rhs);
  return true;
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

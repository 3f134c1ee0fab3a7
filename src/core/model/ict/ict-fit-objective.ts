/**
 * The ICT fit's objective and its Jacobian ({@link fitIct} in `ict-fit.ts`): the per-iteration
 * contour selection and depth scale, the residuals and cost ({@link evaluate}), the one
 * Gauss–Newton normal-equation assembly ({@link assembleNormalEquations}, exact or
 * weak-perspective shape × shape block), the step's parameterisation ({@link applyStep}), and
 * {@link probeIctObjective} to check the Jacobian against finite differences. Isomorphic.
 */
import { mat3FromAxisAngle, mat3Multiply, mat3MulVec3, mat3TransformPoint, mat3TransposeMulVec3 } from '../../math/index.js';
import { createContext, momentsOf, pointPos, type Ctx, type IctFitInput, type IctFitOptions, type State } from './ict-fit-setup.js';

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
      const cost = evaluate(ctx, at, identityFree, expressionFree, blocks);
      return { cost, blocks };
    },
    system(hessian) {
      const H = new Float64Array(n * n), g = new Float64Array(n);
      const cost = assembleNormalEquations(ctx, st, identityFree, expressionFree, hessian, H, g);
      for (let i = 0; i < n; i++) for (let j = 0; j < i; j++) H[i * n + j] = H[j * n + i]!;
      return { cost, H, g };
    },
  };
}

/** Pick, per contour line, the candidate outermost in the image along the projected outward direction. */
export function selectContour(ctx: Ctx, st: State): void {
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
export function setupDepth(ctx: Ctx, st: State): void {
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
 * The objective: cost Σ r² (½ not applied) over the fixed landmarks, the moving contour, the
 * centred depth term and the priors, at state `st` with the contour and depth set-up of the
 * iteration; the residuals by block into `res` when given. Its Gauss–Newton system is
 * {@link assembleNormalEquations}.
 */
export function evaluate(ctx: Ctx, st: State, kA: number, exprFree: boolean, res?: IctResidualBlocks): number {
  const { prep, camera, L, invSigma, o } = ctx;
  const n = 6 + kA + (exprFree ? ctx.nExpr : 0);
  const R = st.R, t = st.t;
  const fx = camera.fx, fy = camera.fy;
  const X = new Float64Array(3), q = new Float64Array(3);
  const nFixed = prep.fixedLandmark.length;
  let cost = 0;
  // Depth residuals (centred at the end).
  const useDepth = o.depthWeight > 0;
  const dW = Math.sqrt(o.depthWeight) * invSigma;
  const dRes = useDepth ? new Float64Array(nFixed) : undefined;
  const dWt = useDepth ? new Float64Array(nFixed) : undefined;

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
  }
  // Contour: residual across the contour only (along the projected outward direction).
  const qa = ctx.scratch.qa;
  for (let l = 0; l < prep.contourLandmark.length; l++) {
    const r = contourTerm(ctx, st, l, X, qa);
    cost += r * r;
    res?.contour.push(r);
  }
  // Depth soft term: centred residuals w_p·((zScale·Z_p − mean) − (z_p − z̄)).
  if (useDepth) {
    let ws = 0, mr = 0;
    for (let p = 0; p < nFixed; p++) { ws += dWt![p]! ** 2; mr += dWt![p]! ** 2 * dRes![p]!; }
    mr /= ws;
    for (let p = 0; p < nFixed; p++) {
      const w = dWt![p]!;
      const r = w * (dRes![p]! - mr);
      cost += r * r;
      res?.depth.push(r);
    }
  }
  return cost + addPriors(ctx, st, kA, exprFree, n, undefined, undefined, res?.priors);
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
 * The Gauss–Newton normal equations of {@link evaluate} over the columns [δ (3), t (3), identity
 * 0..kA, expression (if exprFree)]: H = JᵀJ (upper triangle, n×n, row-major) and g = Jᵀr, and
 * the cost, in one pass over the points. The one assembly of the fit; the step is solved by
 * the shared Cholesky (`core/numeric`, in `lmStage`).
 *
 * The gradient, the pose rows and the contour rows are exact. Every per-point shape term has the
 * form (3-vector) · B_p[:, k], so a fixed point costs one pass over its basis with 7 dot products
 * (gradient + 6 pose rows) and no Jacobian row is stored. The fixed points' shape × shape block
 * is `hessian`: `'weak-perspective'` from the moments precomputed once ({@link addShapeBlock},
 * O(K²)), `'exact'` accumulated point by point from each one's 3×3 camera-gradient tensor
 * ({@link addExactShapeBlock}, O(P·K²)). The centred depth term enters as
 * Σ w²(J_p − J̄)ᵀ(J_p − J̄) = Σ w²J_pᵀJ_p − W·J̄ᵀJ̄.
 */
export function assembleNormalEquations(ctx: Ctx, st: State, kA: number, exprFree: boolean, hessian: IctFitOptions['hessian'], H: Float64Array, g: Float64Array): number {
  const { prep, camera, L, invSigma, o, kId, nExpr, K } = ctx;
  const n = 6 + kA + (exprFree ? nExpr : 0);
  const R = st.R, t = st.t, B = prep.basis;
  const fx = camera.fx, fy = camera.fy;
  const nFixed = prep.fixedLandmark.length;
  const X = new Float64Array(3), q = new Float64Array(3), G = new Float64Array(3), a = new Float64Array(3);
  const gu = new Float64Array(3), gv = new Float64Array(3), au = new Float64Array(3), av = new Float64Array(3);
  const exact = hessian === 'exact', sp = ctx.scratch.sp;
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
    au[0] = au0; au[1] = 0; au[2] = au2;
    av[0] = 0; av[1] = av1; av[2] = av2;
    mat3TransposeMulVec3(gu, R, au);
    mat3TransposeMulVec3(gv, R, av);
    const gu0 = gu[0]!, gu1 = gu[1]!, gu2 = gu[2]!, gv0 = gv[0]!, gv1 = gv[1]!, gv2 = gv[2]!;
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
    if (exact) {
      // This point's shape × shape tensor S = gu·guᵀ + gv·gvᵀ + d2·z·zᵀ (upper triangle: 00 01 02 11 12 22).
      const s6 = 6 * p;
      sp[s6] = gu0 * gu0 + gv0 * gv0 + d2 * z0 * z0;
      sp[s6 + 1] = gu0 * gu1 + gv0 * gv1 + d2 * z0 * z1;
      sp[s6 + 2] = gu0 * gu2 + gv0 * gv2 + d2 * z0 * z2;
      sp[s6 + 3] = gu1 * gu1 + gv1 * gv1 + d2 * z1 * z1;
      sp[s6 + 4] = gu1 * gu2 + gv1 * gv2 + d2 * z1 * z2;
      sp[s6 + 5] = gu2 * gu2 + gv2 * gv2 + d2 * z2 * z2;
    }
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
  if (exact) addExactShapeBlock(ctx, st, kA, exprFree, n, H, useDepth ? ws : 0);
  else addShapeBlock(ctx, st, kA, exprFree, n, H);
  return cost + addPriors(ctx, st, kA, exprFree, n, H, g);
}

/**
 * Exact shape × shape block of the fixed points: Σ_p B_pᵀ·S_p·B_p over the columns of the stage,
 * S_p the 3×3 tensor of the point's model-frame gradients that {@link assembleNormalEquations}
 * stored in `scratch.sp`, minus the depth term's centring W·zScale²·(R₂·B̄)ᵀ(R₂·B̄) (W = `ws`,
 * the depth rows' weight sum, 0 without the depth term).
 */
function addExactShapeBlock(ctx: Ctx, st: State, kA: number, exprFree: boolean, n: number, H: Float64Array, ws: number): void {
  const { prep, kId, nExpr, K } = ctx;
  const B = prep.basis, sp = ctx.scratch.sp, bt = ctx.scratch.bt, R = st.R;
  const m = kA + (exprFree ? nExpr : 0);
  const col = (j: number): number => (j < kA ? j : kId + (j - kA));
  for (let p = 0; p < prep.fixedLandmark.length; p++) {
    const s6 = 6 * p, bx = p * 3 * K, by = bx + K, bz = by + K;
    const s00 = sp[s6]!, s01 = sp[s6 + 1]!, s02 = sp[s6 + 2]!, s11 = sp[s6 + 3]!, s12 = sp[s6 + 4]!, s22 = sp[s6 + 5]!;
    // bt = S·B_p over the stage's columns (3 × m, c-major).
    for (let j = 0; j < m; j++) {
      const k = col(j), b0 = B[bx + k]!, b1 = B[by + k]!, b2 = B[bz + k]!;
      bt[j] = s00 * b0 + s01 * b1 + s02 * b2;
      bt[m + j] = s01 * b0 + s11 * b1 + s12 * b2;
      bt[2 * m + j] = s02 * b0 + s12 * b1 + s22 * b2;
    }
    for (let i = 0; i < m; i++) {
      const k = col(i), b0 = B[bx + k]!, b1 = B[by + k]!, b2 = B[bz + k]!;
      const base = (6 + i) * n + 6;
      for (let j = i; j < m; j++) H[base + j]! += b0 * bt[j]! + b1 * bt[m + j]! + b2 * bt[2 * m + j]!;
    }
  }
  if (ws > 0) {
    const Bm = momentsOf(prep).meanBasis, zs = ctx.zScale;
    const v = bt.subarray(0, m); // zScale·R₂·B̄ per column
    for (let j = 0; j < m; j++) { const k = col(j); v[j] = zs * (R[6]! * Bm[k]! + R[7]! * Bm[K + k]! + R[8]! * Bm[2 * K + k]!); }
    for (let i = 0; i < m; i++) {
      const base = (6 + i) * n + 6;
      for (let j = i; j < m; j++) H[base + j]! -= ws * v[i]! * v[j]!;
    }
  }
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

/** The trial state `out`: `st` moved by the step `d` over the stage's columns (R ← exp([δ]×)·R, t + δt, θ + δθ; expression clamped to [0, 1]). */
export function applyStep(st: State, out: State, d: Float64Array, kA: number, exprFree: boolean, kId: number, nExpr: number): void {
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
export function reprojection(ctx: Ctx, st: State): number {
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

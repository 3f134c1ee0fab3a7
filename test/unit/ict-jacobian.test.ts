/**
 * The ICT fit's analytic Gauss–Newton system against central differences of its residuals, per
 * residual block (fixed landmarks, moving contour, depth soft term, identity / expression
 * priors) and per column group (rotation increment δ, translation, identity, expression), on
 * seeded random parameters of the procedural model (test/fixtures/ict-synthetic.ts).
 *
 * For a block b with residuals r_b(x) and finite-difference Jacobian J_b, the analytic matrix and
 * gradient of a fit with only the landmarks plus b switched on must match H_L + J_bᵀJ_b and
 * g_L + J_bᵀr_b, where H_L, g_L are those of the landmarks alone (checked against J_Lᵀ J_L, J_Lᵀ r_L).
 */
import { describe, expect, it } from 'vitest';
import type { FaceAnalysis } from '../../src/core/analysis/types.js';
import type { IctFitOptions } from '../../src/core/model/ict/ict-fit.js';
import { type IctProbeParams, type IctResidualBlocks, probeIctObjective } from '../../src/core/model/ict/ict-fit-objective.js';
import { camera, landmarksOf, neutralEmotions, rng, rotation, syntheticCorrespondence, syntheticModel } from '../fixtures/ict-synthetic.js';

const data = syntheticModel(8, 53);
const corr = syntheticCorrespondence(data);
type Block = keyof IctResidualBlocks;

/** Seeded random parameters (expression inside (0, 1) so no bound clamps a step) and noisy landmarks. */
function scene(seed: number): { params: IctProbeParams; analysis: FaceAnalysis } {
  const r = rng(seed), u = (a: number, b: number): number => a + (b - a) * r();
  const R = rotation(u(-25, 25), u(-12, 12));
  const t = [u(-20, 20), u(-15, 15), u(520, 680)];
  const identity = Float32Array.from({ length: 8 }, () => u(-1, 1));
  const expression = Float32Array.from({ length: 53 }, () => u(0.15, 0.85));
  // Landmarks of other parameters plus noise, so every residual is far from zero.
  const L = landmarksOf(data, corr, identity.map((x) => 0.5 * x), expression.map((x) => 1 - x), rotation(u(-25, 25), u(-12, 12)), [t[0]! + 4, t[1]! - 3, t[2]! + 30]);
  for (let i = 0; i < L.length; i += 3) { L[i]! += u(-3, 3); L[i + 1]! += u(-3, 3); L[i + 2] = u(-40, 40); }
  const analysis: FaceAnalysis = {
    landmarks: L, landmarkCount: 468, box: [0, 0, 1, 1], score: 1,
    rotation: { yawDeg: 0, pitchDeg: 0, rollDeg: 0 }, emotions: { ...neutralEmotions, neutral: 0.3, happy: 0.5, surprise: 0.2 },
  };
  return { params: { rotation: R, translation: t, identity, expression }, analysis };
}

/** Central-difference Jacobian (rows × columns, row-major) of each residual block. */
function fdJacobians(probe: ReturnType<typeof probeIctObjective>, kA: number): Record<Block, { J: Float64Array; r: number[] }> {
  const n = probe.columns, base = probe.residuals().blocks;
  const step = new Float64Array(n);
  const out = {} as Record<Block, { J: Float64Array; r: number[] }>;
  for (const b of Object.keys(base) as Block[]) out[b] = { J: new Float64Array(base[b].length * n), r: base[b] };
  for (let j = 0; j < n; j++) {
    // Radians for δ, mm for t, standard deviations for identity, [0, 1] weights for expression.
    const h = j < 3 ? 1e-6 : j < 6 ? 1e-4 : j < 6 + kA ? 1e-5 : 1e-6;
    step.fill(0); step[j] = h;
    const plus = probe.residuals(step).blocks;
    step[j] = -h;
    const minus = probe.residuals(step).blocks;
    for (const b of Object.keys(base) as Block[]) {
      const m = base[b].length, J = out[b].J;
      for (let i = 0; i < m; i++) J[i * n + j] = (plus[b][i]! - minus[b][i]!) / (2 * h);
    }
  }
  return out;
}

/** JᵀJ (n×n) and Jᵀr (n). */
function normalEquations(J: Float64Array, r: number[], n: number): { H: Float64Array; g: Float64Array } {
  const H = new Float64Array(n * n), g = new Float64Array(n);
  for (let i = 0; i < r.length; i++) {
    const row = i * n;
    for (let a = 0; a < n; a++) {
      const ja = J[row + a]!;
      if (ja === 0) continue;
      g[a]! += ja * r[i]!;
      for (let b = 0; b < n; b++) H[a * n + b]! += ja * J[row + b]!;
    }
  }
  return { H, g };
}

/** Column groups of a step: [first, end). */
function groups(kA: number, n: number): Array<[string, number, number]> {
  const gs: Array<[string, number, number]> = [['rotation', 0, 3], ['translation', 3, 6]];
  if (kA > 0) gs.push(['identity', 6, 6 + kA]);
  if (n > 6 + kA) gs.push(['expression', 6 + kA, n]);
  return gs;
}

/**
 * Worst relative error of `actual` against `expected` over the rows of one column group of the
 * (H | g) system, relative to the largest |expected| entry of the whole system (a group can be
 * exactly 0: the centred depth term does not depend on the translation); with where it is.
 */
function worst(actual: { H: Float64Array; g: Float64Array }, expected: { H: Float64Array; g: Float64Array }, n: number, first: number, end: number): { rel: number; where: string } {
  let scale = 0;
  for (const v of expected.g) scale = Math.max(scale, Math.abs(v));
  for (const v of expected.H) scale = Math.max(scale, Math.abs(v));
  let rel = 0, where = 'none';
  for (let i = first; i < end; i++) {
    const eg = Math.abs(actual.g[i]! - expected.g[i]!) / (scale || 1);
    if (eg > rel) { rel = eg; where = `g[${i}] ${actual.g[i]} vs ${expected.g[i]}`; }
    for (let j = 0; j < n; j++) {
      const e = Math.abs(actual.H[i * n + j]! - expected.H[i * n + j]!) / (scale || 1);
      if (e > rel) { rel = e; where = `H[${i},${j}] ${actual.H[i * n + j]} vs ${expected.H[i * n + j]}`; }
    }
  }
  return { rel, where };
}

function minus(a: { H: Float64Array; g: Float64Array }, b: { H: Float64Array; g: Float64Array }): { H: Float64Array; g: Float64Array } {
  return { H: a.H.map((v, i) => v - b.H[i]!), g: a.g.map((v, i) => v - b.g[i]!) };
}

/** Options that switch on the landmarks only (plus `extra`); every fit stage's columns. */
const landmarksOnly: IctFitOptions = { identityCount: 8, emotionPrior: 'none', contourWeight: 0, depthWeight: 0, identityPrior: 0, expressionRidge: 0, hessian: 'exact' };
const blocks: Array<{ block: Block; options: IctFitOptions }> = [
  { block: 'landmarks', options: {} },
  { block: 'contour', options: { contourWeight: 0.7 } },
  { block: 'depth', options: { depthWeight: 0.3 } },
  { block: 'priors', options: { identityPrior: 30, expressionRidge: 400 } },
  { block: 'priors', options: { identityPrior: 30, emotionPrior: 'prior', expressionPrior: 16 } },
];
const stages: Array<{ kA: number; exprFree: boolean }> = [{ kA: 0, exprFree: false }, { kA: 3, exprFree: true }, { kA: 8, exprFree: true }];
/** Relative error bound of the analytic system against central differences. */
const TOLERANCE = 1e-6;

describe('ICT fit: analytic Gauss–Newton system vs central differences', () => {
  const report: Record<string, number> = {};
  for (const seed of [3, 17]) {
    const { params, analysis } = scene(seed);
    const input = { data, correspondence: corr, analysis, camera };
    for (const { kA, exprFree } of stages) {
      for (const { block, options } of blocks) {
        const label = `${block}${options.emotionPrior ? ` (${options.emotionPrior})` : ''}`;
        it(`${label}, seed ${seed}, ${kA} identity modes${exprFree ? ' + expression' : ''}`, () => {
          const probe = probeIctObjective(input, { ...landmarksOnly, ...options }, params, kA, exprFree);
          const n = probe.columns;
          const fd = fdJacobians(probe, kA);
          const analytic = probe.system('exact');
          // cost = Σ r² over all blocks.
          const { cost, blocks: res } = probe.residuals();
          const sum = Object.values(res).flat().reduce((s, r) => s + r * r, 0);
          expect(Math.abs(cost - sum) / cost).toBeLessThan(1e-12);
          expect(analytic.cost).toBeCloseTo(cost, 6);
          if (block !== 'landmarks') expect(res[block].some((r) => r !== 0), `${block} residuals are on`).toBe(true);
          // This block's part of the system: (with the block) − (landmarks alone).
          const base = probeIctObjective(input, landmarksOnly, params, kA, exprFree);
          const expected = normalEquations(fd[block].J, fd[block].r, n);
          const got = block === 'landmarks' ? analytic : minus(analytic, base.system('exact'));
          for (const [name, first, end] of groups(kA, n)) {
            const { rel, where } = worst(got, expected, n, first, end);
            const key = `${label} / ${name}`;
            report[key] = Math.max(report[key] ?? 0, rel);
            expect(rel, `${key}: worst ${where}`).toBeLessThan(TOLERANCE);
          }
        });
      }
    }
    it(`weak-perspective matrix: exact gradient, pose rows and contour (seed ${seed})`, () => {
      const options = { ...landmarksOnly, contourWeight: 0.7, depthWeight: 0.3, identityPrior: 30, expressionRidge: 400 };
      const probe = probeIctObjective(input, options, params, 8, true);
      const n = probe.columns, exact = probe.system('exact'), weak = probe.system('weak-perspective');
      expect(weak.cost).toBeCloseTo(exact.cost, 9);
      // Gradient and the six pose rows are exact in both; only the shape × shape block differs.
      const { rel, where } = worst({ H: weak.H.subarray(0, 6 * n), g: weak.g }, { H: exact.H.subarray(0, 6 * n), g: exact.g }, n, 0, 6);
      expect(rel, `pose rows: worst ${where}`).toBeLessThan(1e-10);
      let gw = 0, ge = 0;
      for (let i = 0; i < n; i++) { gw = Math.max(gw, Math.abs(weak.g[i]! - exact.g[i]!)); ge = Math.max(ge, Math.abs(exact.g[i]!)); }
      expect(gw / ge, 'gradient').toBeLessThan(1e-10);
    });
    it(`one assembly: the exact and weak-perspective systems share cost, gradient and pose rows bit for bit (seed ${seed})`, () => {
      // assembleNormalEquations builds both; only the fixed points' shape × shape block differs
      // (addExactShapeBlock vs addShapeBlock), and the exact one is checked against JᵀJ above.
      const options = { ...landmarksOnly, contourWeight: 0.7, depthWeight: 0.3, identityPrior: 30, emotionPrior: 'prior' as const, expressionPrior: 16 };
      const probe = probeIctObjective(input, options, params, 8, true);
      const n = probe.columns, exact = probe.system('exact'), weak = probe.system('weak-perspective');
      expect(weak.cost).toBe(exact.cost);
      expect(Array.from(weak.g)).toEqual(Array.from(exact.g));
      expect(Array.from(weak.H.subarray(0, 6 * n))).toEqual(Array.from(exact.H.subarray(0, 6 * n)));
      let differs = 0;
      for (let i = 6; i < n; i++) for (let j = 6; j < n; j++) if (weak.H[i * n + j] !== exact.H[i * n + j]) differs++;
      expect(differs, 'the shape × shape blocks differ').toBeGreaterThan(0);
    });
  }
  it('reports the worst relative error per block and column group', () => {
    // Printed for the record (npx vitest run test/unit/ict-jacobian.test.ts).
    console.log(Object.entries(report).map(([k, v]) => `${k}: ${v.toExponential(2)}`).join('\n'));
    expect(Object.keys(report).length).toBeGreaterThan(0);
  });
});

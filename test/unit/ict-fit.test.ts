/**
 * ICT fit on the small procedural morphable model of test/fixtures/ict-synthetic.ts, with
 * landmarks made by projecting the corresponded points of known parameters.
 */
import { describe, expect, it } from 'vitest';
import type { FaceAnalysis } from '../../src/core/analysis/types.js';
import { FaceDetailError } from '../../src/core/errors.js';
import { fitIct } from '../../src/core/model/ict/ict-fit.js';
import { camera, landmarksOf, neutralEmotions, rotation, syntheticCorrespondence, syntheticModel } from '../fixtures/ict-synthetic.js';

describe('fitIct (synthetic model)', () => {
  const data = syntheticModel();
  const corr = syntheticCorrespondence(data);
  const identity = Float32Array.from([0.8, -0.6, 0.4, 0.3, -0.2, 0, 0, 0]);
  const expression = new Float32Array(53);
  expression[3] = 0.7; expression[17] = 0.4; expression[40] = 0.9;
  const R = rotation(18, -8), t = [10, -5, 600];
  const analysis: FaceAnalysis = {
    landmarks: landmarksOf(data, corr, identity, expression, R, t), landmarkCount: 468, box: [0, 0, 1, 1], score: 1,
    rotation: { yawDeg: 10, pitchDeg: 0, rollDeg: 3 }, emotions: neutralEmotions,
  };
  // Exact landmarks: only the corresponded points, no depth term, weak priors.
  const exact = { contourWeight: 0, foreheadWeight: 0, depthWeight: 0, identityPrior: 1e-4, expressionRidge: 1e-4, identityCount: 8, coarseIdentityCount: 3, iterations: 30 };

  for (const hessian of ['weak-perspective', 'exact'] as const) {
    it(`recovers pose, identity and bounded expression from exact landmarks (${hessian} Gauss–Newton matrix)`, () => {
      const fit = fitIct({ data, correspondence: corr, analysis, camera }, { ...exact, emotionPrior: 'none', hessian });
      // The weak-perspective matrix converges more slowly along the scale / depth valley (its
      // curvature is a perspective effect it does not model): looser tolerances at 30 iterations.
      const loose = hessian === 'weak-perspective' ? 4 : 1;
      expect(fit.reprojectionErrorPx).toBeLessThan(0.05 * loose);
      expect(Math.abs(fit.pose.yawDeg - 18)).toBeLessThan(0.3 * loose);
      expect(Math.abs(fit.pose.pitchDeg + 8)).toBeLessThan(0.3 * loose);
      expect(fit.pose.translation[2]!).toBeCloseTo(600, -1);
      let worstId = 0, worstEx = 0;
      for (let k = 0; k < 8; k++) worstId = Math.max(worstId, Math.abs(fit.identity[k]! - identity[k]!));
      for (let e = 0; e < 53; e++) {
        worstEx = Math.max(worstEx, Math.abs(fit.expression[e]! - expression[e]!));
        expect(fit.expression[e]!).toBeGreaterThanOrEqual(0);
        expect(fit.expression[e]!).toBeLessThanOrEqual(1);
      }
      // With near-zero priors, identity vs depth is a flat valley; only the exact matrix walks
      // it to the truth in 30 iterations (with the default identity prior both agree).
      if (hessian === 'exact') {
        expect(worstId, 'identity').toBeLessThan(0.05);
        expect(worstEx, 'expression').toBeLessThan(0.03);
      }
      expect(fit.positions).toHaveLength(3 * data.vertexCount);
    });
  }

  it('fixed mode keeps the expression at the emotion prior mean; prior mode stays in [0, 1]', () => {
    const happy = { ...neutralEmotions, neutral: 0, happy: 1 };
    const fixed = fitIct({ data, correspondence: corr, analysis: { ...analysis, emotions: happy }, camera }, { ...exact, emotionPrior: 'fixed' });
    expect(Array.from(fixed.expression)).toEqual(Array.from(fixed.prior!.mean));
    const prior = fitIct({ data, correspondence: corr, analysis: { ...analysis, emotions: happy }, camera }, { ...exact, emotionPrior: 'prior' });
    for (const v of prior.expression) { expect(v).toBeGreaterThanOrEqual(0); expect(v).toBeLessThanOrEqual(1); }
    expect(prior.reprojectionErrorPx).toBeLessThan(fixed.reprojectionErrorPx);
  });

  it('rejects bad options with INVALID_OPTION naming the parameter', () => {
    const call = (o: object): (() => unknown) => () => fitIct({ data, correspondence: corr, analysis, camera }, o);
    expect(call({ identityCount: 9 })).toThrow(/identityCount/);
    expect(call({ emotionPrior: 'maybe' })).toThrow(FaceDetailError);
    expect(call({ landmarkSigma: 0 })).toThrow(/landmarkSigma/);
    expect(call({ hessian: 'fast' })).toThrow(/hessian/);
  });
});

import { angularError, detailErrorFromHighPass, highPassCorrelation, highPassNormals } from './angular-error.js';

/** A rendered normal field: unit camera-frame normals and per-pixel surface coverage [0, 1]. */
export interface NormalField {
  normal: Float32Array;
  coverage: Float32Array;
}

/** Options of {@link evaluateNormals}. */
export interface EvaluateNormalsOptions {
  /** σ of the low-pass removed for the detail-only error, pixels. @example { sigmaPx: 3 } */
  sigmaPx: number;
  /** A pixel counts as "ours covers it" when our coverage is at least this. Default 0.5. */
  minCoverage?: number;
}

/** Defaults of {@link EvaluateNormalsOptions}. */
export const EVALUATE_NORMALS_DEFAULTS = Object.freeze({ minCoverage: 0.5 } as const);

/** What {@link evaluateNormals} measures over the ground-truth mask. */
export interface NormalEvaluation {
  /** Mean / median angle between our normal and the ground truth, degrees, over mask ∧ ours. */
  meanDeg: number;
  medianDeg: number;
  /** Mean / median detail-only angle (high-pass fields, {@link detailAngularError}), degrees. */
  detailMeanDeg: number;
  detailMedianDeg: number;
  /** Correlation of our high-pass normals with the ground truth's, [−1, 1] ({@link highPassCorrelation}). */
  detailCorrelation: number;
  /** Least-squares gain of the ground truth's high-pass in ours (1 = right amplitude). */
  detailGain: number;
  /** Fraction of the mask's pixels where our surface is rendered, [0, 1]. */
  coverage: number;
  /** Pixels compared (mask ∧ ours) and pixels in the mask. */
  count: number;
  maskCount: number;
  /** Per-pixel angle and detail angle, degrees (NaN where not compared). */
  anglesDeg: Float32Array;
  detailAnglesDeg: Float32Array;
}

/**
 * Score a rendered normal field against the ground truth over a mask: mean and median angular
 * error, detail-only error, and coverage. Pixels of the mask where `ours` has no surface count
 * against coverage only, never in the angles. The detail metrics use σ = `sigmaPx`, each field's
 * low-pass taken over its own surface (coverage ≥ `minCoverage`), compared over mask ∧ ours.
 *
 * @example
 * const e = evaluateNormals(gtRender, faceMask, ourRender, W, H, { sigmaPx: 3 });
 * console.log(e.meanDeg, e.detailMeanDeg, e.coverage);
 */
export function evaluateNormals(
  gt: NormalField, mask: ArrayLike<number>, ours: NormalField, width: number, height: number, options: EvaluateNormalsOptions,
): NormalEvaluation {
  const n = width * height;
  for (const [name, f] of [['gt', gt], ['ours', ours]] as const) {
    if (f.normal.length !== 3 * n || f.coverage.length !== n) {
      throw new RangeError(`evaluateNormals: ${name} must be ${width}×${height} (normal ${3 * n}, coverage ${n} values), got ${f.normal.length} and ${f.coverage.length}`);
    }
  }
  if (mask.length !== n) throw new RangeError(`evaluateNormals: mask must have ${n} values, got ${mask.length}`);
  const minCov = options.minCoverage ?? EVALUATE_NORMALS_DEFAULTS.minCoverage;
  const both = new Uint8Array(n), supA = new Uint8Array(n), supB = new Uint8Array(n);
  let maskCount = 0, hit = 0;
  for (let p = 0; p < n; p++) {
    supA[p] = gt.coverage[p]! >= minCov ? 1 : 0;
    supB[p] = ours.coverage[p]! >= minCov ? 1 : 0;
    if (!(mask[p]! > 0)) continue;
    maskCount++;
    if (supB[p]) { hit++; both[p] = 1; }
  }
  const a = angularError(gt.normal, ours.normal, { mask: both });
  const hpA = highPassNormals(gt.normal, width, height, supA, options.sigmaPx);
  const hpB = highPassNormals(ours.normal, width, height, supB, options.sigmaPx);
  const d = detailErrorFromHighPass(hpA, hpB, both);
  const corr = highPassCorrelation(hpA.residual, hpB.residual, both);
  return {
    meanDeg: a.meanDeg, medianDeg: a.medianDeg,
    detailMeanDeg: d.meanDeg, detailMedianDeg: d.medianDeg,
    detailCorrelation: corr.correlation, detailGain: corr.gain,
    coverage: maskCount ? hit / maskCount : NaN,
    count: a.count, maskCount,
    anglesDeg: a.anglesDeg, detailAnglesDeg: d.anglesDeg,
  };
}

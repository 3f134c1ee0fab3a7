/** Evaluation metrics and helpers (normal-field accuracy), shared by the benchmarks and users. */
export {
  angularError, angleBetween, medianOf, maskedGaussianBlur, detailAngularError, highPassNormals, detailErrorFromHighPass, highPassCorrelation,
} from './angular-error.js';
export type { AngularErrorStats, AngularErrorOptions, DetailErrorOptions, HighPassNormals } from './angular-error.js';
export { evaluateNormals, EVALUATE_NORMALS_DEFAULTS } from './evaluate-normals.js';
export type { NormalField, EvaluateNormalsOptions, NormalEvaluation } from './evaluate-normals.js';
export { renderForEval, meshHeadToCamera, RENDER_EVAL_DEFAULTS } from './render-eval.js';
export type { RenderEvalOptions, EvalRender } from './render-eval.js';
export {
  evaluateDetailField, detailField, bestShiftCorrelation, shiftedCorrelation, bandPassField, valleyDepth, distanceTransform, creaseScores, creaseMask,
  DETAIL_FIELD_DEFAULTS,
} from './detail-field.js';
export type { DetailFieldOptions, DetailFieldInputs, DetailFieldScores } from './detail-field.js';

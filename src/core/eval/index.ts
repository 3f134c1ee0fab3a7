/**
 * `facedetail/eval`: evaluation metrics (normal-field accuracy, detail-field scores) and the CPU
 * renderers the benchmarks score with (`renderMesh`, the skin renderer `renderSkin`), shared by
 * the benchmarks and users. Isomorphic, like the rest of the core; not used by the pipeline.
 *
 * @example
 * import { angularError, renderMesh } from 'facedetail/eval';
 */
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
export { renderMesh, meshAmbientOcclusion, RENDER_SHADOWS_DEFAULTS } from '../render/render-mesh.js';
export type { RenderOptions, RenderResult, RenderLighting, RenderShadows } from '../render/render-mesh.js';
export { renderSkin, SKIN_RENDER_DEFAULTS } from '../render/render-skin.js';
export type { SkinLight, SkinRender, SkinRenderOptions } from '../render/render-skin.js';

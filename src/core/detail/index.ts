/**
 * Detail synthesis: per-image shape-from-shading displacement, detailed normals and tangent-space
 * normal maps, plus the multigrid solver they run on.
 */
export { solveDetail, DETAIL_DEFAULTS } from './solve-detail.js';
export {
  runDfdn, inferDisplacement, parseDfdnMetadata, dfdnProbeInput, patchOrigins, blendWeights, resampleMasked,
  DFDN_FORMAT, DFDN_VERSION, DFDN_INFERENCE_DEFAULTS,
} from './dfdn.js';
export type { DetailNetwork, DfdnMetadata, DfdnInferenceOptions, DfdnStats, PlanarMap } from './dfdn.js';
export { dfdnFeatures, DFDN_CHANNELS } from './dfdn-features.js';
export type { DfdnFeatureInput, DfdnFeatures } from './dfdn-features.js';
export type { DetailInput, DetailOptions, DetailResult, DetailStats } from './solve-detail.js';
export { estimateDetailAlbedo, DETAIL_ALBEDO_DEFAULTS } from './detail-albedo.js';
export type { DetailAlbedoOptions, DetailAlbedoResult } from './detail-albedo.js';
export { detailNormals, encodeTangentNormalMap } from './normal-map.js';
export type { TangentFrame } from './normal-map.js';
export {
  PAD, createStencilGrid, cellIndex, assembleStencil, assembleStatic, assembleData, applyStencil, residual,
  residualRestrict, gaussSeidel, regularizerEnergy, coarsenFields, restrict, prolongAdd, buildMultigrid,
  updateMultigrid, vCycle, solvePCG, createPCGWork, MULTIGRID_DEFAULTS, PCG_DEFAULTS,
} from './multigrid.js';
export type {
  GridShape, StencilGrid, Multigrid, MultigridOptions, PCGOptions, PCGResult, PCGWork, Preconditioner,
} from './multigrid.js';

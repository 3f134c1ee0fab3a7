/**
 * Detail synthesis, the public API of the `detail` stage: the shape-from-shading solve, the
 * learned detail network (DFDN) and its input features, the detailed normals and tangent-space
 * normal maps. The solver's internals (the multigrid and PCG of `multigrid.ts`, the albedo
 * estimate of `detail-albedo.ts`, DFDN's patch tiling) are not part of it.
 */
export { DETAIL_METHODS } from './synthesize-detail.js';
export type { DetailMethod } from './synthesize-detail.js';
export { solveDetail, DETAIL_DEFAULTS } from './solve-detail.js';
export type { DetailInput, DetailOptions, DetailResult, DetailStats } from './solve-detail.js';
export { runDfdn, inferDisplacement, parseDfdnMetadata, dfdnProbeInput, DFDN_FORMAT, DFDN_VERSION, DFDN_INFERENCE_DEFAULTS } from './dfdn.js';
export type { DetailNetwork, DfdnMetadata, DfdnInferenceOptions, DfdnStats, PlanarMap } from './dfdn.js';
export { dfdnFeatures, DFDN_CHANNELS } from './dfdn-features.js';
export type { DfdnFeatureInput, DfdnFeatures } from './dfdn-features.js';
export { detailNormals, encodeTangentNormalMap } from './normal-map.js';
export type { TangentFrame } from './normal-map.js';

/**
 * facedetail core: the isomorphic pipeline (no Node or DOM imports). Stages, in order:
 * analysis (types) → camera / model → mesh (densify) → unwrap → lighting → detail → export.
 * Adapters (image decoding, the face analyser, files) are passed in from `src/node` or `src/web`.
 */
export * from './types.js';
export * from './errors.js';
export type { FaceAnalysis, FaceAnalyzer } from './analysis/types.js';
export { createImage, sampleBilinear, sampleUV, srgbToLinear, linearToSrgb, mapImage } from './image/image.js';
export { estimateCamera, focalLength35mmOf, verticalFov, project, ESTIMATE_CAMERA_DEFAULTS } from './camera/estimate-camera.js';
export type { EstimateCameraOptions } from './camera/estimate-camera.js';
export { poseFromAxes, makePose, cameraToHead, headToCamera, rotateToHead } from './camera/pose.js';
export type { FaceModel, FaceModelTopology, FaceRegion, FitOptions, ProxyFit } from './model/face-model.js';
export { createFaceMeshModel, faceMeshTopology, FACEMESH_VERTEX_COUNT } from './model/facemesh-model.js';
export { FACEMESH_LANDMARKS } from './model/facemesh-landmarks.js';
export { loopSubdivide } from './mesh/subdivide.js';
export { computeVertexNormals } from './mesh/normals.js';
export { computeTangents } from './mesh/tangents.js';
export { displaceMesh } from './mesh/displace.js';
export { rasterizeTriangles } from './raster/rasterize.js';
export { rasterizeUV, rasterizeAttribute, unwrapTexture, UNWRAP_DEFAULTS } from './unwrap/index.js';
export type { UVGeometry, UnwrapOptions, UnwrapResult } from './unwrap/index.js';
export { shBasis, evalSH, directionalSH } from './lighting/sh.js';
export { fitLighting, FIT_LIGHTING_DEFAULTS } from './lighting/fit-lighting.js';
export { computeAlbedo, ALBEDO_DEFAULTS } from './lighting/albedo.js';
export type { AlbedoOptions, AlbedoMode } from './lighting/albedo.js';
export { deltaE2000, linearRgbToLab } from './lighting/color.js';
export { chromaOutlierFraction, albedoDeltaE } from './lighting/albedo-metrics.js';
export { buildSkinMask, buildRegionMask } from './lighting/skin-mask.js';
export { solveDetail, DETAIL_DEFAULTS, detailNormals, encodeTangentNormalMap } from './detail/index.js';
export type { DetailInput, DetailOptions, DetailResult } from './detail/index.js';
export { runDfdn, inferDisplacement, parseDfdnMetadata, dfdnProbeInput, dfdnFeatures, DFDN_FORMAT, DFDN_VERSION, DFDN_CHANNELS } from './detail/index.js';
export type { DetailNetwork, DfdnMetadata, DfdnInferenceOptions, DfdnStats } from './detail/index.js';
export { encodePng, decodePng, writeGlb, readGlb, writeObj, writePly, readPly, GLB_WRITE_DEFAULTS, GLB_COMPRESSIONS } from './export/index.js';
export type { GlbWriteOptions, GlbCompression, DracoEncoderModule } from './export/index.js';
export { renderMesh } from './render/render-mesh.js';
export type { RenderOptions, RenderResult, RenderLighting } from './render/render-mesh.js';
export { STAGES, DETAIL_METHODS } from './pipeline/types.js';
export type { DetailMethod, FaceReconstruction, ReconstructOptions, StageName, MeshFormat, Logger, ProgressCallback } from './pipeline/types.js';
export { RECONSTRUCT_DEFAULTS, resolveOptions } from './pipeline/defaults.js';
export { reconstructFace } from './pipeline/reconstruct-face.js';
export { orchestratePhoto, analyzePhoto, reconstructFaces } from './pipeline/orchestrate.js';
export type { DecodedPhoto, FacePipelineDeps, OutputBuilder, PhotoContext, PhotoOutput, PhotoRun, PhotoSteps, ReconstructFacesOptions } from './pipeline/orchestrate.js';
export { OPTION_TABLE, optionSpecs, parseOptionText, checkOptions } from './pipeline/option-table.js';
export type { OptionSpec, OptionGroup, OptionName } from './pipeline/option-table.js';
export { assignDefaults, checkOption, invalidOption, describeValue } from './options.js';
export type { OptionRule, OptionType } from './options.js';
export { createStageTimer } from './pipeline/stage-timer.js';
export type { StageTimer } from './pipeline/stage-timer.js';
export type { ReconstructFaceInput } from './pipeline/reconstruct-face.js';
export { buildOutputFiles, buildOutputFilesAsync, resultJson, displacementEncoding } from './pipeline/output-files.js';
export type { OutputFilesOptions, DisplacementEncoding, PngEncoder } from './pipeline/output-files.js';
export { createIctModel } from './model/ict-model.js';
export type { IctFaceModel, IctModelOptions } from './model/ict-model.js';
export type { IctModelData } from './model/ict-cache.js';
export { parseIctCompact, ICT_COMPACT_FILE } from './model/ict-compact.js';
export { FACE_MODELS } from './pipeline/types.js';
export type { FaceModelName } from './pipeline/types.js';

/**
 * The unwrap stage: rasterize the proxy in UV space, resample the photo into it with a
 * visibility/grazing confidence, and complete the unseen part (mirror + membrane fill).
 */
export type { UVGeometry } from './uv-geometry.js';
export { rasterizeUV, rasterizeAttribute } from './rasterize-uv.js';
export { unwrapTexture, resolveUnwrapOptions, UNWRAP_DEFAULTS } from './unwrap-texture.js';
export type { UnwrapOptions, UnwrapResult } from './unwrap-texture.js';
export {
  fillTexture, membraneFill, dilateChebyshev, resolveFillOptions,
  FILL_DEFAULTS, FILL_SOURCE, MIRROR_CONFIDENCE,
} from './fill.js';
export type { FillOptions, FillResult, MembraneOptions } from './fill.js';
export { renderDepth, DEPTH_NEAR_MM } from '../raster/depth.js';
export type { DepthBuffer } from '../raster/depth.js';

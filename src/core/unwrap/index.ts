/**
 * The unwrap stage's public API: rasterize the proxy in UV space, resample the photo into it with
 * a visibility/grazing confidence, and complete the unseen part (mirror + membrane fill, options
 * {@link FillOptions}). The fill's building blocks and defaults stay in `fill.ts`.
 */
export type { UVGeometry } from './uv-geometry.js';
export { rasterizeUV, rasterizeAttribute } from './rasterize-uv.js';
export { unwrapTexture, UNWRAP_DEFAULTS } from './unwrap-texture.js';
export type { UnwrapOptions, UnwrapResult } from './unwrap-texture.js';
export type { FillOptions } from './fill.js';

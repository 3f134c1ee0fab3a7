/**
 * The lighting stage's public API: the SH basis, the skin / region masks, the robust SH lighting
 * fit, the albedo and its colour metrics. Helpers (distance transforms, polygon rasterisation,
 * shading images, sRGB conversions) stay in their modules.
 */
export { shBasis, evalSH, directionalSH } from './sh.js';
export { buildSkinMask, buildRegionMask } from './skin-mask.js';
export { fitLighting, FIT_LIGHTING_DEFAULTS } from './fit-lighting.js';
export { computeAlbedo, ALBEDO_DEFAULTS } from './albedo.js';
export type { AlbedoOptions, AlbedoMode } from './albedo.js';
export { deltaE2000, linearRgbToLab } from './color.js';
export { chromaOutlierFraction, albedoDeltaE } from './albedo-metrics.js';

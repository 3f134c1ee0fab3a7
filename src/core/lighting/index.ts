/** Lighting stage: SH basis, skin/region masks, robust SH lighting fit, albedo. */
export * from './sh.js';
export * from './distance.js';
export * from './skin-mask.js';
export * from './fit-lighting.js';
export * from './albedo.js';
export * from './color.js';
export * from './albedo-metrics.js';

/**
 * Animation rigs of a fitted face: `buildArkitRig` (ARKit's 52 blend shapes from the ICT model's
 * expression shapes), the name mapping, and live tracking (`createExpressionTracker`: per-frame
 * landmarks → smoothed ARKit weights and head pose). The GLB is written by `writeRigGlb` (core/export).
 *
 * @example
 * import { buildArkitRig, ARKIT_BLENDSHAPE_NAMES, createExpressionTracker } from './rig/index.js';
 */
export { ARKIT_BLENDSHAPE_NAMES, ICT_MISSING_ARKIT, arkitMapping, arkitNameOf, arkitWeights } from './arkit.js';
export type { ArkitTargetMapping } from './arkit.js';
export { buildArkitRig, ARKIT_RIG_DEFAULTS } from './build-rig.js';
export type { ArkitRig, ArkitRigInput, ArkitRigOptions, RigPart, SparseTarget } from './build-rig.js';
export { createExpressionTracker, createOneEuroFilter, EXPRESSION_TRACKER_DEFAULTS } from './track-expression.js';
export type { ExpressionTracker, ExpressionTrackerInput, ExpressionTrackerOptions, OneEuroOptions, TrackedFrame, TrackFrameInput } from './track-expression.js';

/**
 * Animation rigs of a fitted face: `buildArkitRig` (ARKit's 52 blend shapes from the ICT model's
 * expression shapes) and the name mapping. The GLB is written by `writeRigGlb` (core/export).
 *
 * @example
 * import { buildArkitRig, ARKIT_BLENDSHAPE_NAMES } from './rig/index.js';
 */
export { ARKIT_BLENDSHAPE_NAMES, ICT_MISSING_ARKIT, arkitMapping, arkitNameOf, arkitWeights } from './arkit.js';
export type { ArkitTargetMapping } from './arkit.js';
export { buildArkitRig, ARKIT_RIG_DEFAULTS } from './build-rig.js';
export type { ArkitRig, ArkitRigInput, ArkitRigOptions, RigPart, SparseTarget } from './build-rig.js';

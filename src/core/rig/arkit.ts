/**
 * Apple ARKit's 52 blend-shape names and their mapping from ICT FaceKit's 53 expression shapes.
 * Isomorphic.
 *
 * ICT names its shapes after ARKit's with `_L` / `_R` for the subject's left and right (ICT's
 * model frame: +x is the subject's left, as our head frame); ARKit spells them `Left` / `Right`.
 * ICT splits two of ARKit's symmetric shapes: `browInnerUp_L/_R` and `cheekPuff_L/_R`; the rig
 * merges each pair into one target (delta = left + right) whose weight is the pair's mean. ICT
 * has no `tongueOut`: the rig keeps the name (so the 52 names are ARKit's exactly) with an
 * all-zero target, listed in {@link ICT_MISSING_ARKIT}.
 */
import { FaceDetailError } from '../errors.js';

/** ARKit's 52 `ARFaceAnchor.BlendShapeLocation` names, in Apple's documentation order. */
export const ARKIT_BLENDSHAPE_NAMES: readonly string[] = Object.freeze([
  'eyeBlinkLeft', 'eyeLookDownLeft', 'eyeLookInLeft', 'eyeLookOutLeft', 'eyeLookUpLeft', 'eyeSquintLeft', 'eyeWideLeft',
  'eyeBlinkRight', 'eyeLookDownRight', 'eyeLookInRight', 'eyeLookOutRight', 'eyeLookUpRight', 'eyeSquintRight', 'eyeWideRight',
  'jawForward', 'jawLeft', 'jawRight', 'jawOpen',
  'mouthClose', 'mouthFunnel', 'mouthPucker', 'mouthLeft', 'mouthRight',
  'mouthSmileLeft', 'mouthSmileRight', 'mouthFrownLeft', 'mouthFrownRight', 'mouthDimpleLeft', 'mouthDimpleRight',
  'mouthStretchLeft', 'mouthStretchRight', 'mouthRollLower', 'mouthRollUpper', 'mouthShrugLower', 'mouthShrugUpper',
  'mouthPressLeft', 'mouthPressRight', 'mouthLowerDownLeft', 'mouthLowerDownRight', 'mouthUpperUpLeft', 'mouthUpperUpRight',
  'browDownLeft', 'browDownRight', 'browInnerUp', 'browOuterUpLeft', 'browOuterUpRight',
  'cheekPuff', 'cheekSquintLeft', 'cheekSquintRight', 'noseSneerLeft', 'noseSneerRight',
  'tongueOut',
]);

/** ARKit shapes the ICT FaceKit model has no counterpart for (exported as all-zero targets). */
export const ICT_MISSING_ARKIT: readonly string[] = Object.freeze(['tongueOut']);

/** One ARKit target as a combination of a model's expression shapes. */
export interface ArkitTargetMapping {
  /** The ARKit name. */
  name: string;
  /** Source shape indices (into the model's expression names) and their coefficients in the target's delta. */
  sources: Array<{ index: number; coefficient: number }>;
}

/** The ARKit spelling of an ICT name: `eyeBlink_L` → `eyeBlinkLeft`, `jawOpen` → `jawOpen`. */
export function arkitNameOf(ictName: string): string {
  return ictName.replace(/_L$/, 'Left').replace(/_R$/, 'Right');
}

/**
 * For each of the 52 ARKit names (in {@link ARKIT_BLENDSHAPE_NAMES} order), the model's shapes
 * that make it: one renamed shape; the sum of a split pair (`browInnerUp_L` + `browInnerUp_R`);
 * or none (ICT lacks it: zero target). Shapes of the model that no ARKit name takes are an error.
 *
 * @example
 * const map = arkitMapping(data.expressionNames);
 * map.find((m) => m.name === 'browInnerUp')!.sources; // [{ index: 2, coefficient: 1 }, { index: 3, coefficient: 1 }]
 */
export function arkitMapping(expressionNames: readonly string[]): ArkitTargetMapping[] {
  const used = new Uint8Array(expressionNames.length);
  const out = ARKIT_BLENDSHAPE_NAMES.map((name) => {
    const sources: ArkitTargetMapping['sources'] = [];
    expressionNames.forEach((src, index) => {
      const a = arkitNameOf(src);
      // A split pair: browInnerUpLeft/Right → browInnerUp (ARKit has no sided name of it).
      const merged = a.replace(/(Left|Right)$/, '');
      if (a === name || (merged === name && !ARKIT_BLENDSHAPE_NAMES.includes(a))) { sources.push({ index, coefficient: 1 }); used[index] = 1; }
    });
    return { name, sources };
  });
  const unused = expressionNames.filter((_, i) => used[i] === 0);
  if (unused.length > 0) throw new FaceDetailError('MODEL_CACHE_INVALID', `arkitMapping: no ARKit name for the model's expression shapes ${unused.join(', ')}`);
  return out;
}

/**
 * ARKit weights (52) from the model's expression weights: a renamed shape keeps its weight, a
 * merged pair takes the mean of its two weights (its delta is their sum, so equal weights give
 * the same face), a missing shape 0.
 *
 * @example
 * const w = arkitWeights(fit.expression, arkitMapping(data.expressionNames)); // Float32Array(52)
 */
export function arkitWeights(expression: ArrayLike<number>, mapping: readonly ArkitTargetMapping[]): Float32Array {
  const w = new Float32Array(mapping.length);
  mapping.forEach((m, k) => {
    if (m.sources.length === 0) return;
    let s = 0;
    for (const src of m.sources) s += expression[src.index]!;
    w[k] = s / m.sources.length;
  });
  return w;
}

/**
 * Human settings shared by the Node and browser adapters: which models are loaded and the
 * per-call detection configuration. No Node or DOM imports.
 */
import type { Config } from '@vladmandic/human';

/** The models the analysis runs, by Human's names (`<name>.json` + weights in the model folder). */
export const HUMAN_MODELS = ['blazeface', 'facemesh', 'emotion', 'iris'] as const;
export type HumanModelName = (typeof HUMAN_MODELS)[number];

/**
 * Human configuration for our use: the face detector and face mesh only (the emotion and iris
 * networks are loaded but run by us on our own crops); description, antispoof, liveness, attention,
 * body, hand, object, segmentation, gesture and image filters off. Results are never reused
 * between calls (`cacheSensitivity: 0`, `skipFrames: 0`, `skipTime: 0`), which makes the same
 * image give the same result.
 */
export function humanDetectConfig(maxFaces: number, minConfidence: number): Partial<Config> {
  const off = { enabled: false };
  return {
    cacheSensitivity: 0,
    skipAllowed: false,
    filter: off,
    gesture: off,
    body: off,
    hand: off,
    object: off,
    segmentation: off,
    face: {
      enabled: true,
      detector: { rotation: false, maxDetected: maxFaces, minConfidence, skipFrames: 0, skipTime: 0, return: false },
      mesh: { enabled: true },
      // Loaded, run by us (src/human/iris.ts); our analyser passes `enabled: false` per call.
      iris: { enabled: true, scale: 2.3 },
      attention: off,
      // Enabled so that Human loads it; our analyser passes `enabled: false` per call.
      emotion: { enabled: true, skipFrames: 0, skipTime: 0 },
      description: off,
      antispoof: off,
      liveness: off,
    },
  };
}

/**
 * Emotion-driven expression prior for the ICT FaceKit fit: the seven emotion probabilities of
 * Human's emotion network become a prior mean and a diagonal covariance over ICT's 53
 * ARKit-named expression weights. Isomorphic.
 *
 * How the table is built:
 * 1. **Emotion → Action Units (EMFACS prototypes).** Each basic emotion is the prototype AU
 *    combination of Ekman & Friesen's EMFACS, as tabulated in the FACS Investigator's Guide
 *    (P. Ekman, W. V. Friesen, J. C. Hager, *Facial Action Coding System*, 2002, ch. 12) and in
 *    the EMFACS-7 coding rules (W. V. Friesen & P. Ekman, 1983), in the form commonly tabulated
 *    from them (e.g. the emotions table of Wikipedia's "Facial Action Coding System"):
 *    happy 6+12 · sad 1+4+15 · surprise 1+2+5B+26 · fear 1+2+4+5+7+20+26 · angry 4+5+7+23 ·
 *    disgust 9+15+16 · neutral: none. EMFACS names AU combinations, not intensities; the
 *    intensities below (0.4–0.9, FACS grades ≈ B–D; "5B" = slight) are ours, chosen so that
 *    the full prototype is a clearly readable but not extreme expression.
 * 2. **AU → ARKit-named shapes.** ICT FaceKit's own table ("closest relation to FACS units",
 *    README of ICT-FaceKit, 2020) maps AU1 → browInnerUp_L/R, AU2 → browOuterUp, AU4 →
 *    browDown, AU5 → eyeWide, AU6 → cheekSquint, AU7 → eyeSquint, AU9 → noseSneer, AU10 →
 *    mouthShrugUpper, AU12 → mouthSmile, AU15 → mouthFrown, AU16 → mouthLowerDown, AU20 →
 *    mouthStretch, AU27 → jawOpen. Two AUs the prototypes need are not in that table and are
 *    mapped from Apple's ARKit `ARFaceAnchor.BlendShapeLocation` descriptions: AU23 (lip
 *    tightener) → mouthPress_L/R at half gain (ARKit: "upward compression of the lower lip",
 *    the nearest shape; ICT has no lip-tightener), and AU26 (jaw drop, a smaller opening than
 *    AU27's mouth stretch) → jawOpen at gain 0.4.
 * 3. **Mixing.** The prior is the moment-matched Gaussian of the probability-weighted mixture
 *    of prototypes: mean μ = Σ_e p_e·proto_e, variance σ² = σ₀² + Σ_e p_e·(proto_e − μ)², so a
 *    confident prediction gives a tight prior around its prototype, an uncertain one a wide
 *    prior around the blend; σ₀ (`baseSigma`) is the spread every shape keeps.
 *
 * @example
 * const prior = emotionPrior({ angry: 0, disgust: 0, fear: 0, happy: 0.9, sad: 0, surprise: 0, neutral: 0.1 });
 * prior.mean[ICT_EXPRESSION_NAMES.indexOf('mouthSmile_L')] // ≈ 0.81
 */
import { FaceDetailError } from '../../errors.js';
import { EMOTIONS, type Emotion } from '../../types.js';
import { ICT_EXPRESSION_NAMES } from './ict-cache.js';
import { assignDefaults } from '../../options.js';

/** One Action Unit of a prototype with its intensity in [0, 1] (FACS A…E ≈ 0.2…1). */
export interface AuIntensity {
  /** FACS Action Unit number. */
  au: number;
  /** Intensity in [0, 1]. */
  intensity: number;
}

/**
 * EMFACS prototypes of Human's seven emotion classes as Action Units with intensities (see the
 * module comment for the sources; the intensities are ours).
 */
export const EMFACS_PROTOTYPES: Readonly<Record<Emotion, readonly AuIntensity[]>> = Object.freeze({
  happy: [{ au: 6, intensity: 0.7 }, { au: 12, intensity: 0.9 }],
  sad: [{ au: 1, intensity: 0.7 }, { au: 4, intensity: 0.5 }, { au: 15, intensity: 0.7 }],
  surprise: [{ au: 1, intensity: 0.8 }, { au: 2, intensity: 0.8 }, { au: 5, intensity: 0.4 }, { au: 26, intensity: 0.8 }],
  fear: [
    { au: 1, intensity: 0.7 }, { au: 2, intensity: 0.6 }, { au: 4, intensity: 0.5 }, { au: 5, intensity: 0.7 },
    { au: 7, intensity: 0.4 }, { au: 20, intensity: 0.7 }, { au: 26, intensity: 0.6 },
  ],
  angry: [{ au: 4, intensity: 0.9 }, { au: 5, intensity: 0.5 }, { au: 7, intensity: 0.6 }, { au: 23, intensity: 0.6 }],
  disgust: [{ au: 9, intensity: 0.8 }, { au: 15, intensity: 0.5 }, { au: 16, intensity: 0.5 }],
  neutral: [],
});

/** An ARKit-named shape driven by an AU: weight = AU intensity × gain (clamped to 1). */
export interface AuShape {
  shape: string;
  gain: number;
}

/**
 * Action Unit → ICT (ARKit-named) expression shapes. From ICT FaceKit's FACS table except AU23
 * and AU26 (ARKit descriptions; see the module comment). Covers every AU of
 * {@link EMFACS_PROTOTYPES} and the rest of ICT's table.
 */
export const AU_TO_ICT_SHAPES: Readonly<Record<number, readonly AuShape[]>> = Object.freeze({
  1: [{ shape: 'browInnerUp_L', gain: 1 }, { shape: 'browInnerUp_R', gain: 1 }],
  2: [{ shape: 'browOuterUp_L', gain: 1 }, { shape: 'browOuterUp_R', gain: 1 }],
  4: [{ shape: 'browDown_L', gain: 1 }, { shape: 'browDown_R', gain: 1 }],
  5: [{ shape: 'eyeWide_L', gain: 1 }, { shape: 'eyeWide_R', gain: 1 }],
  6: [{ shape: 'cheekSquint_L', gain: 1 }, { shape: 'cheekSquint_R', gain: 1 }],
  7: [{ shape: 'eyeSquint_L', gain: 1 }, { shape: 'eyeSquint_R', gain: 1 }],
  9: [{ shape: 'noseSneer_L', gain: 1 }, { shape: 'noseSneer_R', gain: 1 }],
  10: [{ shape: 'mouthShrugUpper', gain: 1 }],
  11: [{ shape: 'mouthUpperUp_L', gain: 1 }, { shape: 'mouthUpperUp_R', gain: 1 }],
  12: [{ shape: 'mouthSmile_L', gain: 1 }, { shape: 'mouthSmile_R', gain: 1 }],
  14: [{ shape: 'mouthDimple_L', gain: 1 }, { shape: 'mouthDimple_R', gain: 1 }],
  15: [{ shape: 'mouthFrown_L', gain: 1 }, { shape: 'mouthFrown_R', gain: 1 }],
  16: [{ shape: 'mouthLowerDown_L', gain: 1 }, { shape: 'mouthLowerDown_R', gain: 1 }],
  17: [{ shape: 'mouthShrugLower', gain: 1 }],
  18: [{ shape: 'mouthPucker', gain: 1 }],
  20: [{ shape: 'mouthStretch_L', gain: 1 }, { shape: 'mouthStretch_R', gain: 1 }],
  22: [{ shape: 'mouthFunnel', gain: 1 }],
  23: [{ shape: 'mouthPress_L', gain: 0.5 }, { shape: 'mouthPress_R', gain: 0.5 }],
  24: [{ shape: 'mouthPress_L', gain: 1 }, { shape: 'mouthPress_R', gain: 1 }],
  26: [{ shape: 'jawOpen', gain: 0.4 }],
  27: [{ shape: 'jawOpen', gain: 1 }],
  28: [{ shape: 'mouthRollLower', gain: 1 }, { shape: 'mouthRollUpper', gain: 1 }],
  29: [{ shape: 'jawForward', gain: 1 }],
  33: [{ shape: 'cheekPuff_L', gain: 1 }, { shape: 'cheekPuff_R', gain: 1 }],
  45: [{ shape: 'eyeBlink_L', gain: 1 }, { shape: 'eyeBlink_R', gain: 1 }],
});

/** Options of {@link emotionPrior}. */
export interface EmotionPriorOptions {
  /** Standard deviation every expression weight keeps around the prior mean (weight units, > 0). */
  baseSigma: number;
}

/** Defaults of {@link EmotionPriorOptions}. @public */
export const EMOTION_PRIOR_DEFAULTS: Readonly<EmotionPriorOptions> = Object.freeze({ baseSigma: 0.2 });

/** A Gaussian prior over the expression weights (diagonal covariance). */
export interface EmotionPrior {
  /** Prior mean per expression shape, in [0, 1], in the order of the names given (ICT's by default). */
  mean: Float32Array;
  /** Prior variance per expression shape (weight units²). */
  variance: Float32Array;
}

/**
 * The expression weights of one emotion's full prototype (AU intensities × gains, clamped to
 * [0, 1]), in the order of `expressionNames`. Shapes the names do not contain are ignored.
 *
 * @example
 * const w = emotionPrototype('surprise');
 * w[ICT_EXPRESSION_NAMES.indexOf('jawOpen')] // 0.32 (AU26 at 0.8 × gain 0.4)
 */
export function emotionPrototype(emotion: Emotion, expressionNames: readonly string[] = ICT_EXPRESSION_NAMES): Float32Array {
  const aus = EMFACS_PROTOTYPES[emotion];
  if (aus === undefined) throw new FaceDetailError('INVALID_OPTION', `emotion: expected one of ${EMOTIONS.join(', ')}, got ${JSON.stringify(emotion)}`);
  const out = new Float32Array(expressionNames.length);
  for (const { au, intensity } of aus) {
    for (const { shape, gain } of AU_TO_ICT_SHAPES[au] ?? []) {
      const k = expressionNames.indexOf(shape);
      if (k >= 0) out[k] = Math.min(1, out[k]! + intensity * gain);
    }
  }
  return out;
}

/**
 * The emotion prior: probability-weighted mean of the prototypes and the mixture's variance plus
 * `baseSigma²` (see the module comment). Probabilities need not sum to one (they are
 * normalised); all zero means neutral. Throws `INVALID_OPTION` on a negative or non-finite
 * probability.
 *
 * @example
 * const { mean, variance } = emotionPrior(analysis.emotions);
 */
export function emotionPrior(
  probabilities: Readonly<Record<Emotion, number>>,
  options: Partial<EmotionPriorOptions> = {},
  expressionNames: readonly string[] = ICT_EXPRESSION_NAMES,
): EmotionPrior {
  const { baseSigma } = assignDefaults(EMOTION_PRIOR_DEFAULTS, options);
  if (!(baseSigma > 0) || !Number.isFinite(baseSigma)) throw new FaceDetailError('INVALID_OPTION', `baseSigma: expected a positive number, got ${String(baseSigma)}`);
  let sum = 0;
  for (const e of EMOTIONS) {
    const p = probabilities[e];
    if (typeof p !== 'number' || !Number.isFinite(p) || p < 0) {
      throw new FaceDetailError('INVALID_OPTION', `emotion probabilities: ${e} must be a finite number ≥ 0, got ${String(p)}`);
    }
    sum += p;
  }
  const n = expressionNames.length;
  const mean = new Float32Array(n);
  const variance = new Float32Array(n).fill(baseSigma * baseSigma);
  if (!(sum > 0)) return { mean, variance };
  const protos = EMOTIONS.map((e) => emotionPrototype(e, expressionNames));
  const mu = new Float64Array(n);
  EMOTIONS.forEach((e, i) => {
    const p = probabilities[e] / sum, w = protos[i]!;
    for (let k = 0; k < n; k++) mu[k]! += p * w[k]!;
  });
  EMOTIONS.forEach((e, i) => {
    const p = probabilities[e] / sum, w = protos[i]!;
    for (let k = 0; k < n; k++) variance[k]! += p * (w[k]! - mu[k]!) ** 2;
  });
  mean.set(mu);
  return { mean, variance };
}

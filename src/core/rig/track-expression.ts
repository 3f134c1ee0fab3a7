/**
 * Per-frame expression tracking for live puppeteering of an ARKit rig: one video frame's
 * face-mesh landmarks → ICT expression weights and head pose, with the person's identity fixed
 * (the photo reconstruction's), mapped to ARKit's 52 weights and temporally smoothed.
 * Isomorphic (no Node, no DOM): typed arrays in, typed arrays out.
 *
 * How: the fitted identity is baked into the model's neutral once (ICT is linear, so
 * neutral + Σ αᵢ·idᵢ + Σ βₑ·exprₑ is exactly the "person" model with no identity modes), and
 * each frame is {@link fitIct} on that person model with `identityCount: 0`: the same objective
 * (landmarks, moving jaw contour, expression ridge, bounds) and solver as the photo fit, warm-
 * started from the previous frame's pose and expression, with a few Levenberg–Marquardt
 * iterations and no full-vertex output. The first frame (or one after the track is lost) starts
 * cold from `rotation` (the landmarks' head angles, if given) with more iterations.
 *
 * Gaze: with the iris landmarks (478 per frame, the analyser's default) the eyeLook weights are
 * the frame's gaze — the iris centre on the tracked eyeballs (`ict-gaze.ts`), both eyes turned
 * together — instead of the fit's, which only follow the lids (ICT's eyeballs do not turn).
 *
 * Smoothing: a One-Euro filter (Casiez, Roussel, Vogel, CHI 2012) per ARKit weight and on the
 * head rotation's quaternion: a first-order low-pass whose cut-off rises with the signal's
 * speed, so slow drifts and jitter are smoothed while fast moves (a blink, the jaw) keep little
 * lag. Each output is a convex combination of the new sample and the previous output, so a
 * step is followed monotonically, without overshoot.
 *
 * @example
 * const tracker = createExpressionTracker({ data, correspondence: data.correspondence, identity: fit.identity, modelToHead });
 * const f = tracker.track({ landmarks, camera, timeMs: performance.now() });
 * f.weights[ARKIT_BLENDSHAPE_NAMES.indexOf('jawOpen')]; // smoothed, [0, 1]
 * f.headQuaternion; // [x, y, z, w], the rig's root in a y-up viewer frame
 */
import { FaceDetailError } from '../errors.js';
import type { FaceAnalysis } from '../analysis/types.js';
import type { IctModelData } from '../model/ict/ict-cache.js';
import { fitIct, ictShape, type IctFitOptions } from '../model/ict/ict-fit.js';
import { eyeLookWeights } from '../model/gaze.js';
import { createIctGazeReader, ictEyeballs } from '../model/ict/ict-gaze.js';
import { ictCorrespondencePositions } from '../model/ict/ict-correspondence.js';
import { ICT_RIG_GAZE_DEG } from '../model/ict/ict-model.js';
import type { IctCorrespondence } from '../model/ict/ict-types.js';
import { assignDefaults } from '../options.js';
import { now } from '../platform.js';
import type { Camera, Emotion } from '../types.js';
import { ARKIT_BLENDSHAPE_NAMES, arkitMapping, arkitWeights, type ArkitTargetMapping } from './arkit.js';

/** One-Euro filter parameters (Casiez et al. 2012). */
export interface OneEuroOptions {
  /** Cut-off frequency at rest, Hz: lower = smoother, more lag when still. */
  minCutoffHz: number;
  /** Cut-off increase per unit of speed (signal units per second): higher = less lag when moving. */
  beta: number;
  /** Cut-off of the speed estimate, Hz. */
  derivativeCutoffHz: number;
}

/** Options of {@link createExpressionTracker}; defaults in {@link EXPRESSION_TRACKER_DEFAULTS}. */
export interface ExpressionTrackerOptions {
  /** LM iterations on the pose alone per warm-started frame. */
  rigidIterations?: number;
  /** Maximum LM iterations on pose + expression per warm-started frame (it stops earlier when the cost stalls). */
  iterations?: number;
  /** Iterations of a cold start (first frame, or after a lost track): rigid, then pose + expression. */
  coldRigidIterations?: number;
  coldIterations?: number;
  /**
   * Ridge Σ β² toward 0 on the expression weights (the photo fit's `expressionRidge`, whose
   * default is 400). Lower follows the face more fully and is noisier; the smoother takes the
   * noise.
   */
  expressionRidge?: number;
  /** A frame whose RMS landmark error (px) is above this is treated as a lost track: the next one starts cold. */
  lostErrorPx?: number;
  /** A gap between frames longer than this (ms) resets the smoothers (no smoothing across it). */
  resetGapMs?: number;
  /** Smoothing of the ARKit weights; `false`: none. */
  weightSmoothing?: Partial<OneEuroOptions> | false;
  /** Smoothing of the head rotation (on its quaternion); `false`: none. */
  poseSmoothing?: Partial<OneEuroOptions> | false;
  /** Smoothing of the head's offset ({@link TrackedFrame.headOffsetMm}, mm); `false`: none. */
  offsetSmoothing?: Partial<OneEuroOptions> | false;
  /**
   * With iris landmarks (478 per frame), the eyeLook weights are the frame's gaze (`ict-gaze.ts`:
   * the iris on the tracked eyeballs, both eyes together) instead of the fit's, which only
   * follow the lids. Default true.
   */
  gaze?: boolean;
  /** Further options of the per-frame {@link fitIct} (landmark sigma, contour weight…). */
  fit?: Omit<IctFitOptions, 'identityCount' | 'coarseIdentityCount' | 'rigidIterations' | 'iterations' | 'expressionRidge' | 'outputVertices' | 'emotionPrior'>;
}

/** Defaults of {@link ExpressionTrackerOptions}. */
export const EXPRESSION_TRACKER_DEFAULTS = Object.freeze({
  rigidIterations: 1,
  iterations: 6,
  coldRigidIterations: 6,
  coldIterations: 10,
  // A quarter of the photo fit's: a video frame has no detail stage that needs the expression
  // to be conservative, and the smoother averages the noise; measured on the unit test's
  // synthetic frames: jawOpen 0.8 is recovered as 0.77 at 100 vs 0.70 at 400.
  expressionRidge: 100,
  lostErrorPx: 12,
  resetGapMs: 1000,
  weightSmoothing: Object.freeze({ minCutoffHz: 1.5, beta: 2, derivativeCutoffHz: 1 }) as Readonly<OneEuroOptions>,
  poseSmoothing: Object.freeze({ minCutoffHz: 1, beta: 1, derivativeCutoffHz: 1 }) as Readonly<OneEuroOptions>,
  // In mm: a head moving at 100 mm/s raises the cut-off by 2 Hz. The weak-perspective fit's depth
  // (from the face's size in the image) is the noisiest coordinate; this filter takes its jitter.
  offsetSmoothing: Object.freeze({ minCutoffHz: 1, beta: 0.02, derivativeCutoffHz: 1 }) as Readonly<OneEuroOptions>,
});

/** What the tracker needs once: the model and the person (from the photo reconstruction). */
export interface ExpressionTrackerInput {
  data: IctModelData;
  correspondence: IctCorrespondence;
  /** The photo fit's identity weights (its `identityCount`, ≤ the model's). */
  identity: ArrayLike<number>;
  /**
   * Rotation from the ICT model frame to the rig's head frame (row-major 3×3): `Pᵀ·R_fit` with
   * R_fit the photo fit's model → camera rotation and P the reconstruction's head → camera
   * rotation. Default: the identity (the rig in the model frame).
   */
  modelToHead?: ArrayLike<number>;
}

/** One frame's landmarks. */
export interface TrackFrameInput {
  /** Face-mesh landmarks (468 or, with the iris points, 478 × x, y, z; image pixels), as {@link FaceAnalysis.landmarks}. */
  landmarks: Float32Array;
  /** The video camera (e.g. `estimateCamera(640, 480)`). */
  camera: Camera;
  /** Frame time, ms (any monotonic clock). */
  timeMs: number;
  /** Head angles from the landmarks (a cold start's initial pose); default frontal. */
  rotation?: FaceAnalysis['rotation'];
}

/** One tracked frame. */
export interface TrackedFrame {
  /** The 52 ARKit weights, smoothed, [0, 1], {@link ARKIT_BLENDSHAPE_NAMES} order. */
  weights: Float32Array;
  /** The same, unsmoothed (this frame's fit). */
  rawWeights: Float32Array;
  /** This frame's ICT expression weights (53, ICT order), unsmoothed. */
  expression: Float32Array;
  /** This frame's fit: model → camera rotation (row-major) and translation (mm). */
  rotation: Float64Array;
  translation: Float64Array;
  /**
   * The rig's root rotation, smoothed, as a quaternion [x, y, z, w] in a y-up viewer frame that
   * looks at the face from the camera (x right as seen, z toward the viewer): F·R·(modelToHead)ᵀ,
   * F = diag(1, −1, −1). Frontal face = identity. The rig is shown as the camera sees the
   * person (not mirrored).
   */
  headQuaternion: Float64Array;
  /**
   * The rig's root translation, smoothed, mm, in the same viewer frame as {@link headQuaternion}:
   * how far the point between the eyes (the rig's pivot) has moved since the tracker's first
   * frame (so the head starts where the rig is shown and a lost track does not re-centre it).
   */
  headOffsetMm: Float64Array;
  /** RMS landmark error of this frame's fit, px. */
  reprojectionErrorPx: number;
  /** The frame started cold (first frame, lost track, or after a gap). */
  cold: boolean;
  /** LM iterations run. */
  iterations: number;
  /** Wall time of this frame (fit + mapping + smoothing), ms. */
  ms: number;
}

/** A running tracker: feed it frames in time order. */
export interface ExpressionTracker {
  /** ARKit's 52 names (the order of every weight array). */
  readonly names: readonly string[];
  track(frame: TrackFrameInput): TrackedFrame;
  /** Forget the previous frame (the next one starts cold, unsmoothed). */
  reset(): void;
}

const NEUTRAL_EMOTIONS: Record<Emotion, number> = { angry: 0, disgust: 0, fear: 0, happy: 0, sad: 0, surprise: 0, neutral: 1 };

/**
 * A One-Euro filter on a fixed-size vector (see the module comment).
 *
 * @example
 * const f = createOneEuroFilter(52, { minCutoffHz: 1.5, beta: 2, derivativeCutoffHz: 1 });
 * const smoothed = f.filter(raw, performance.now()); // Float64Array(52), reused between calls
 */
export function createOneEuroFilter(size: number, options: OneEuroOptions): { filter(x: ArrayLike<number>, timeMs: number): Float64Array; reset(): void } {
  validateOneEuro(options, 'oneEuro');
  if (!Number.isInteger(size) || size < 1) throw new FaceDetailError('INVALID_OPTION', `oneEuro: size must be a positive integer, got ${String(size)}`);
  const { minCutoffHz, beta, derivativeCutoffHz } = options;
  const xHat = new Float64Array(size), dxHat = new Float64Array(size);
  let tPrev = Number.NaN;
  const alpha = (cutoffHz: number, dt: number): number => 1 / (1 + 1 / (2 * Math.PI * cutoffHz * dt));
  return {
    filter(x, timeMs) {
      if (x.length !== size) throw new FaceDetailError('INVALID_OPTION', `oneEuro: expected ${size} values, got ${x.length}`);
      const dt = (timeMs - tPrev) / 1000;
      if (!(dt > 0)) {
        // First sample (or a non-increasing time): pass through.
        if (Number.isNaN(tPrev)) { for (let i = 0; i < size; i++) { xHat[i] = x[i]!; dxHat[i] = 0; } tPrev = timeMs; }
        return xHat;
      }
      const ad = alpha(derivativeCutoffHz, dt);
      for (let i = 0; i < size; i++) {
        const dx = (x[i]! - xHat[i]!) / dt;
        const d = ad * dx + (1 - ad) * dxHat[i]!;
        dxHat[i] = d;
        const a = alpha(minCutoffHz + beta * Math.abs(d), dt);
        xHat[i] = a * x[i]! + (1 - a) * xHat[i]!;
      }
      tPrev = timeMs;
      return xHat;
    },
    reset() { tPrev = Number.NaN; },
  };
}

function validateOneEuro(o: OneEuroOptions, name: string): void {
  for (const k of ['minCutoffHz', 'derivativeCutoffHz'] as const) {
    if (!(o[k] > 0) || !Number.isFinite(o[k])) throw new FaceDetailError('INVALID_OPTION', `${name}.${k}: expected a positive number of Hz, got ${String(o[k])}`);
  }
  if (!(o.beta >= 0) || !Number.isFinite(o.beta)) throw new FaceDetailError('INVALID_OPTION', `${name}.beta: expected a number ≥ 0, got ${String(o.beta)}`);
}

/**
 * Create a tracker for one person (see the module comment). Throws `INVALID_OPTION` for bad
 * options or inputs.
 *
 * @example
 * // modelToHead = Pᵀ·R_fit (reconstruction head pose P, photo fit rotation R_fit)
 * const tracker = createExpressionTracker({ data, correspondence, identity: fit.identity, modelToHead });
 */
export function createExpressionTracker(input: ExpressionTrackerInput, options: ExpressionTrackerOptions = {}): ExpressionTracker {
  const D = EXPRESSION_TRACKER_DEFAULTS;
  const { weightSmoothing: ws, poseSmoothing: ps, offsetSmoothing: os, fit: _fit, gaze: useGaze = true, ...scalars } = options;
  const { weightSmoothing: _dw, poseSmoothing: _dp, offsetSmoothing: _do, ...scalarDefaults } = D;
  const o = assignDefaults<Record<keyof typeof scalarDefaults, number>>(scalarDefaults, scalars);

  const bad = (msg: string): never => { throw new FaceDetailError('INVALID_OPTION', `createExpressionTracker: ${msg}`); };
  for (const k of ['rigidIterations', 'iterations', 'coldRigidIterations', 'coldIterations'] as const) {
    if (!Number.isInteger(o[k]) || o[k] < 0 || o[k] > 100) bad(`${k}: expected an integer from 0 to 100, got ${String(o[k])}`);
  }
  for (const k of ['expressionRidge', 'lostErrorPx', 'resetGapMs'] as const) {
    if (!(o[k] >= 0) || !Number.isFinite(o[k])) bad(`${k}: expected a number ≥ 0, got ${String(o[k])}`);
  }
  const weightSmoothing = ws === false ? undefined : assignDefaults(D.weightSmoothing, ws);
  const poseSmoothing = ps === false ? undefined : assignDefaults(D.poseSmoothing, ps);
  const offsetSmoothing = os === false ? undefined : assignDefaults(D.offsetSmoothing, os);
  const { data, correspondence, identity } = input;
  if (identity.length > data.identityNames.length) bad(`identity: ${identity.length} weights, the model has ${data.identityNames.length} identity shapes`);
  for (let k = 0; k < identity.length; k++) if (!Number.isFinite(identity[k]!)) bad(`identity[${k}] is not a finite number`);
  const M = input.modelToHead ? Float64Array.from(input.modelToHead) : Float64Array.from([1, 0, 0, 0, 1, 0, 0, 0, 1]);
  if (M.length !== 9 || !M.every(Number.isFinite)) bad('modelToHead: expected a row-major 3×3 rotation (9 finite values)');

  const person = personModel(data, identity);
  const readGaze = useGaze ? createIctGazeReader(person.neutral, ictEyeballs(person)) : undefined;
  const mapping: ArkitTargetMapping[] = arkitMapping(data.expressionNames);
  const weightFilter = weightSmoothing ? createOneEuroFilter(mapping.length, weightSmoothing) : undefined;
  const poseFilter = poseSmoothing ? createOneEuroFilter(4, poseSmoothing) : undefined;
  const offsetFilter = offsetSmoothing ? createOneEuroFilter(3, offsetSmoothing) : undefined;
  const pivot = eyePivot(person, correspondence);
  let anchor: Float64Array | undefined; // the pivot's camera position at the first frame
  const fitOptions: IctFitOptions = { ...(options.fit ?? {}), identityCount: 0, coarseIdentityCount: 0, emotionPrior: 'none', expressionRidge: o.expressionRidge, outputVertices: false };

  let prev: { R: Float64Array; t: Float64Array; expression: Float32Array; timeMs: number } | undefined;
  let prevQuat: Float64Array | undefined;
  const reset = (): void => { prev = undefined; prevQuat = undefined; weightFilter?.reset(); poseFilter?.reset(); offsetFilter?.reset(); };

  return {
    names: ARKIT_BLENDSHAPE_NAMES,
    reset,
    track(frame) {
      const t0 = now();
      const L = frame.landmarks;
      if (!(L instanceof Float32Array) || L.length < 3 * correspondence.count) bad(`landmarks: expected a Float32Array of at least ${3 * correspondence.count} values (${correspondence.count} × x, y, z), got ${L?.length}`);
      if (!Number.isFinite(frame.timeMs)) bad(`timeMs: expected a finite number, got ${String(frame.timeMs)}`);
      if (prev && frame.timeMs - prev.timeMs > o.resetGapMs) reset();
      const cold = prev === undefined;
      const analysis: FaceAnalysis = {
        landmarks: L, landmarkCount: L.length / 3, box: [0, 0, 1, 1], score: 1,
        rotation: frame.rotation ?? { yawDeg: 0, pitchDeg: 0, rollDeg: 0 }, emotions: NEUTRAL_EMOTIONS,
      };
      const fit = fitIct({
        data: person, correspondence, analysis, camera: frame.camera,
        ...(prev ? { start: { rotation: prev.R, translation: prev.t, expression: prev.expression } } : {}),
      }, {
        ...fitOptions,
        rigidIterations: cold ? o.coldRigidIterations : o.rigidIterations,
        iterations: cold ? o.coldIterations : o.iterations,
      });
      const R = Float64Array.from(fit.pose.rotation), t = Float64Array.from(fit.pose.translation);
      const lost = !(fit.reprojectionErrorPx <= o.lostErrorPx);
      prev = lost ? undefined : { R, t, expression: fit.expression, timeMs: frame.timeMs };

      const rawWeights = arkitWeights(fit.expression, mapping);
      const gaze = readGaze?.(L, frame.camera, R, t);
      if (gaze) {
        const look = eyeLookWeights(gaze, ICT_RIG_GAZE_DEG);
        for (const dir of ['In', 'Out', 'Up', 'Down'] as const) {
          rawWeights[ARKIT_BLENDSHAPE_NAMES.indexOf(`eyeLook${dir}Left`)] = look.left[dir];
          rawWeights[ARKIT_BLENDSHAPE_NAMES.indexOf(`eyeLook${dir}Right`)] = look.right[dir];
        }
      }
      const weights = new Float32Array(rawWeights.length);
      if (weightFilter) {
        const s = weightFilter.filter(rawWeights, frame.timeMs);
        for (let i = 0; i < s.length; i++) weights[i] = Math.min(1, Math.max(0, s[i]!));
      } else {
        weights.set(rawWeights);
      }
      // Root rotation F·R·Mᵀ, as a quaternion kept in one hemisphere, then smoothed and normalised.
      const Q = new Float64Array(9);
      for (let r = 0; r < 3; r++) {
        const sign = r === 0 ? 1 : -1;
        for (let c = 0; c < 3; c++) Q[3 * r + c] = sign * (R[3 * r]! * M[3 * c]! + R[3 * r + 1]! * M[3 * c + 1]! + R[3 * r + 2]! * M[3 * c + 2]!);
      }
      const q = quaternionOf(Q);
      if (prevQuat && q[0]! * prevQuat[0]! + q[1]! * prevQuat[1]! + q[2]! * prevQuat[2]! + q[3]! * prevQuat[3]! < 0) for (let i = 0; i < 4; i++) q[i] = -q[i]!;
      const sq = poseFilter ? Float64Array.from(poseFilter.filter(q, frame.timeMs)) : q;
      const n = Math.hypot(sq[0]!, sq[1]!, sq[2]!, sq[3]!) || 1;
      for (let i = 0; i < 4; i++) sq[i] = sq[i]! / n;
      prevQuat = sq;
      // The pivot's move since the first frame, camera → viewer frame (F = diag(1, −1, −1)).
      const p = [0, 1, 2].map((r) => R[3 * r]! * pivot[0]! + R[3 * r + 1]! * pivot[1]! + R[3 * r + 2]! * pivot[2]! + t[r]!);
      if (!lost && anchor === undefined) anchor = Float64Array.from(p);
      const a = anchor ?? p;
      const rawOffset = [p[0]! - a[0]!, a[1]! - p[1]!, a[2]! - p[2]!];
      const offset = Float64Array.from(offsetFilter ? offsetFilter.filter(rawOffset, frame.timeMs) : rawOffset);
      if (lost) { weightFilter?.reset(); poseFilter?.reset(); offsetFilter?.reset(); prevQuat = undefined; }
      return {
        weights, rawWeights, expression: fit.expression,
        rotation: R, translation: t, headQuaternion: sq, headOffsetMm: offset,
        reprojectionErrorPx: fit.reprojectionErrorPx, cold, iterations: fit.iterations, ms: now() - t0,
      };
    },
  };
}

/** Face-mesh eye corners: right outer / inner, left inner / outer. */
const EYE_CORNERS = [33, 133, 362, 263] as const;

/** The rig's pivot in the model frame: the mean of the four eye corners (face-mesh 33, 133, 263, 362) on the person's neutral. */
function eyePivot(person: IctModelData, correspondence: IctCorrespondence): Float64Array {
  const P = ictCorrespondencePositions(person.triangles, correspondence, person.neutral);
  const out = new Float64Array(3);
  for (const i of EYE_CORNERS) for (let k = 0; k < 3; k++) out[k] = out[k]! + P[3 * i + k]! / EYE_CORNERS.length;
  return out;
}

/** The model with the identity baked into its neutral and no identity shapes (exact: ICT is linear). */
function personModel(data: IctModelData, identity: ArrayLike<number>): IctModelData {
  const neutral = Float32Array.from(ictShape(data, Float32Array.from(identity), new Float32Array(data.expressionNames.length)));
  return { ...data, neutral, identityNames: [], identityDeltas: new Float32Array(0) };
}

/** Unit quaternion [x, y, z, w] of a row-major rotation matrix (Shepperd's method). */
function quaternionOf(m: Float64Array): Float64Array {
  const m00 = m[0]!, m01 = m[1]!, m02 = m[2]!, m10 = m[3]!, m11 = m[4]!, m12 = m[5]!, m20 = m[6]!, m21 = m[7]!, m22 = m[8]!;
  const tr = m00 + m11 + m22;
  const q = new Float64Array(4);
  if (tr > 0) {
    const s = 2 * Math.sqrt(tr + 1);
    q[3] = s / 4; q[0] = (m21 - m12) / s; q[1] = (m02 - m20) / s; q[2] = (m10 - m01) / s;
  } else if (m00 > m11 && m00 > m22) {
    const s = 2 * Math.sqrt(1 + m00 - m11 - m22);
    q[3] = (m21 - m12) / s; q[0] = s / 4; q[1] = (m01 + m10) / s; q[2] = (m02 + m20) / s;
  } else if (m11 > m22) {
    const s = 2 * Math.sqrt(1 + m11 - m00 - m22);
    q[3] = (m02 - m20) / s; q[0] = (m01 + m10) / s; q[1] = s / 4; q[2] = (m12 + m21) / s;
  } else {
    const s = 2 * Math.sqrt(1 + m22 - m00 - m11);
    q[3] = (m10 - m01) / s; q[0] = (m02 + m20) / s; q[1] = (m12 + m21) / s; q[2] = s / 4;
  }
  if (q[3]! < 0) for (let i = 0; i < 4; i++) q[i] = -q[i]!;
  return q;
}

/**
 * The Human face analysis shared by the Node and browser adapters (no Node or DOM imports: the
 * adapters load Human and pass it in as a {@link HumanEngine}). The Human library
 * (@vladmandic/human 3.3.6, tfjs wasm backend) finds the faces; its face-mesh and emotion
 * networks are then re-run on our own crops so the landmarks are sub-pixel, with z in the same
 * pixel units as x and y.
 *
 * Why not Human's mesh as is: it truncates x, y (and z) to whole pixels and leaves z in the
 * units of its 192-px crop (`transformRawCoords` in Human's src/face/facemeshutil.ts).
 *
 * Per face: Human's mesh → MediaPipe-style crop (square, 1.5 × the landmarks' extent, rotated
 * so the eye line is horizontal) → our bilinear/box resampling to 192×192 → Human's loaded
 * face-mesh GraphModel → raw 468 × (x, y, z) in crop pixels mapped back through the crop's
 * exact transform; repeated (up to `refinePasses` times, until the landmarks settle), each pass
 * cropping around the previous one.
 * Emotions: Human's emotion network on a tighter crop around the refined landmarks (see
 * {@link EMOTION_CROP_SCALE}).
 *
 * Output conventions (see {@link FaceAnalysis}):
 * - `landmarks`: 468 points (MediaPipe topology), then with `iris` (the default) the 10 iris
 *   points 468–477 in MediaPipe's order (src/human/iris.ts), x, y in continuous image pixels
 *   (top-left corner of the image at (0, 0), pixel centres at +0.5), sub-pixel; z = the
 *   network's relative depth × (crop size / 192), i.e. in the same pixels as x, y, larger =
 *   farther from the camera, 0 near the face's centre plane.
 * - `box`: the refined landmarks' bounding box [x, y, w, h] (x, y only; not clamped). Faces
 *   whose refined boxes overlap by IoU > 0.5 are one face found twice by the detector (it
 *   happens: biden.jpg) and are merged, keeping the best-converged result.
 * - `score`: face-mesh confidence of the final crop (faces under `minConfidence` are dropped).
 * - `rotation`: from our landmarks, degrees, in the core's `Pose` convention: yaw > 0 = face
 *   turned toward the subject's left (image right), pitch > 0 = chin down, roll > 0 = head
 *   tilted toward the subject's right shoulder (counter-clockwise on screen); see
 *   `headRotationFromLandmarks`. (Human's own angles have the opposite yaw and roll signs.)
 * - `emotions`: the 7 probabilities of Human's emotion network (oarriaga, FER-2013 classes)
 *   run on our crop: upright (eye line horizontal), 1.2× the landmarks' extent, 64×64 grey.
 *   (Human's own crop, 1.4× the detector box, unrotated, gets 4 of the 7 faceapi_* photos
 *   right; this one 6.)
 * Faces come largest box first. Deterministic: the same image gives identical output.
 */
import type { Tensor } from '@tensorflow/tfjs-core';
import type { GraphModel } from '@tensorflow/tfjs-converter';
import type { FaceResult, Human } from '@vladmandic/human';
import type { FaceAnalysis, FaceAnalyzer } from '../core/analysis/types.js';
import { FaceDetailError } from '../core/errors.js';
import { now } from '../core/platform.js';
import type { Logger } from '../core/platform.js';
import { EMOTIONS, type Emotion, type Image } from '../core/types.js';
import { humanDetectConfig, type HumanModelName } from './config.js';
import { downscaleToRgb255 } from './downscale.js';
import { cropToImage, cropZToImage, faceCropFromLandmarks, sampleFaceCrop, type FaceCrop } from './face-crop.js';
import { headRotationFromHuman, headRotationFromLandmarks, type HeadRotation } from './head-rotation.js';
import { runIris } from './iris.js';
import { assignDefaults } from '../core/options.js';

/** Number of face-mesh landmarks (the mesh network's; the iris points follow them when `iris` is on). */
const HUMAN_LANDMARK_COUNT = 468;
/** Landmarks with the iris points appended (MediaPipe's `refine_landmarks` layout). */
const IRIS_LANDMARK_COUNT = 478;

/** Side of the face-mesh network's square input, pixels. */
const FACE_MESH_INPUT = 192;

/** Options of the Human face analysers (Node: `createHumanAnalyzer`; browser: `createWebHumanAnalyzer`). */
export interface HumanAnalysisOptions {
  /** At most this many faces per image (the detector's most confident ones). Default 20. */
  maxFaces: number;
  /** Minimum detector and face-mesh confidence in (0, 1). Default 0.2 (Human's default). */
  minConfidence: number;
  /**
   * Most face-mesh passes per face. Each pass runs the network on a crop centred on the
   * previous landmarks (the first on Human's), as MediaPipe's tracker does frame to frame; the
   * change roughly halves from pass to pass (mean shift on the test photos in crop pixels,
   * 1/192 of the crop: ≈1.0, 0.5, 0.25, 0.13), and a poor start (Human's mesh off by 5–25 %
   * of the face, e.g. faceapi_neutral.jpg, biden.jpg) is pulled onto the face. 1–8, default 5.
   */
  refinePasses: number;
  /**
   * Stop refining once a pass moves the landmarks by less than this mean distance, in crop
   * pixels (1/192 of the crop side). Default 0.4 (≈ 0.6 px on a 300-px crop); 0 = always run
   * `refinePasses` passes.
   */
  refineTolerance: number;
  /**
   * Images whose longer side exceeds this (pixels) are area-downscaled to it for Human's
   * detection only; the mesh refinement always samples the full-resolution image. Default 2048.
   */
  detectMaxSize: number;
  /**
   * Append the 10 iris landmarks (468–477: each iris centre and 4 contour points, see
   * src/human/iris.ts), from Human's iris network on our eye crops: one batch of two 64×64 crops
   * per face: ≈15 ms per face on the wasm backend (13–17 ms measured on grace_hopper, obama,
   * faceapi_happy; the face-mesh refinement takes ≈40 ms a pass). Default true.
   */
  iris: boolean;
  /** Receives debug messages (timings). Default: none. */
  logger: Logger | undefined;
}

export const HUMAN_ANALYSIS_DEFAULTS: Readonly<HumanAnalysisOptions> = Object.freeze({
  maxFaces: 20,
  minConfidence: 0.2,
  refinePasses: 5,
  refineTolerance: 0.4,
  detectMaxSize: 2048,
  iris: true,
  logger: undefined,
});

/** What {@link HumanFaceAnalyzer.analyzeDetailed} adds to each face, for tests and benchmarks. @public */
export interface HumanFaceDiagnostics {
  /**
   * Human's own mesh (468 × xyz): x, y as Human returns them (whole pixels of the detection
   * image, scaled to full-image pixels when it was downscaled), z in Human's 192-px crop units.
   */
  humanMesh: Float32Array;
  /** Human's face box [x, y, w, h] (detector square ≈1.4× the face, centred on Human's mesh, clamped to the image). */
  humanBox: [number, number, number, number];
  /** Human's `rotation.angle` converted to our convention (degrees; from its whole-pixel mesh, whose z is not in the units of x, y). */
  humanRotation: HeadRotation;
  /** Mean landmark displacement in image pixels made by each pass run (pass 1 vs Human's mesh, pass k vs pass k−1), x and y only. */
  passShiftPx: number[];
  /** Face-flag confidence of each pass. */
  passScores: number[];
  /** The crop of the last pass. */
  crop: FaceCrop;
}

/** One video frame's face from {@link HumanFaceAnalyzer.trackFace}. @public */
export interface TrackedFaceLandmarks {
  /** 468 (478 with `iris`) × (x, y, z), as {@link FaceAnalysis.landmarks}. */
  landmarks: Float32Array;
  /** Face-mesh confidence. */
  score: number;
  /** Head angles from the landmarks (a cold fit's initial pose). */
  rotation: HeadRotation;
  /** `tracked`: one face-mesh pass on a crop around the previous frame's landmarks; `detected`: the full analysis (detector first). */
  source: 'tracked' | 'detected';
}

/** A {@link FaceAnalyzer} that can also report how it got its answer. */
export interface HumanFaceAnalyzer extends FaceAnalyzer {
  /** As `analyze`, with per-face diagnostics. */
  analyzeDetailed(image: Image): Promise<{ analysis: FaceAnalysis; diagnostics: HumanFaceDiagnostics }[]>;
  /**
   * Video tracking, as MediaPipe's face-mesh tracker: with the previous frame's landmarks, one
   * face-mesh pass on a crop around them (no detector, no emotions; the crop is 1.5× the face,
   * so ordinary head motion between frames stays inside it); without them, or when that pass
   * loses the face (confidence under `minConfidence`), the full analysis of the frame, largest
   * face. Undefined when no face is found.
   */
  trackFace(image: Image, previous?: Float32Array): Promise<TrackedFaceLandmarks | undefined>;
}


/** tfjs-core as Human sees it (Node: the `@tensorflow/tfjs-core` package; browser: `human.tf`, the copy in Human's bundle). */
export type Tfjs = typeof import('@tensorflow/tfjs-core');

/**
 * A loaded Human instance, as the platform adapter hands it over: Node's `acquireHumanRuntime`
 * (src/node/human/human-runtime.ts) or the browser's `loadWebHumanEngine` (src/web/human-engine.ts).
 */
export interface HumanEngine {
  human: Human;
  tf: Tfjs;
  /** The loaded GraphModels this analysis runs, by Human's names. */
  models: Record<HumanModelName, GraphModel>;
  /** Runs `fn` after every earlier call has settled (Human is not re-entrant). */
  run<T>(fn: () => Promise<T>): Promise<T>;
}

/**
 * Wraps a loaded {@link HumanEngine} as a {@link HumanFaceAnalyzer} (see the module comment for
 * what it returns). `release` is called once, by the first `dispose()`.
 *
 * @example
 * const analyzer = createHumanFaceAnalyzer(engine, { maxFaces: 5 }, () => unload(engine));
 * const faces = await analyzer.analyze(photo); // largest first
 */
export function createHumanFaceAnalyzer(
  engine: HumanEngine,
  options: Partial<HumanAnalysisOptions>,
  release: () => Promise<void> | void,
): HumanFaceAnalyzer {
  const opts: HumanAnalysisOptions = assignDefaults(HUMAN_ANALYSIS_DEFAULTS, options);
  validateHumanAnalysisOptions(opts);
  let disposed = false;
  const analyzeDetailed = (image: Image): Promise<{ analysis: FaceAnalysis; diagnostics: HumanFaceDiagnostics }[]> => {
    if (disposed) return Promise.reject(new FaceDetailError('DISPOSED', 'this face analyser was disposed; create a new one'));
    validateImage(image);
    return engine.run(() => analyzeImage(engine, image, opts));
  };
  const trackFace = async (image: Image, previous?: Float32Array): Promise<TrackedFaceLandmarks | undefined> => {
    if (previous && previous.length >= 3 * HUMAN_LANDMARK_COUNT) {
      if (disposed) throw new FaceDetailError('DISPOSED', 'this face analyser was disposed; create a new one');
      validateImage(image);
      const r = await engine.run(async () => {
        const m = runFaceMesh(engine, image, faceCropFromLandmarks(previous, HUMAN_LANDMARK_COUNT));
        return m.score >= opts.minConfidence && opts.iris ? { ...m, landmarks: withIris(engine, image, m.landmarks) } : m;
      });
      if (r.score >= opts.minConfidence) return { landmarks: r.landmarks, score: r.score, rotation: headRotationFromLandmarks(r.landmarks), source: 'tracked' };
    }
    const [face] = await analyzeDetailed(image);
    return face ? { landmarks: face.analysis.landmarks, score: face.analysis.score, rotation: face.analysis.rotation, source: 'detected' } : undefined;
  };
  return {
    analyzeDetailed,
    trackFace,
    analyze: async (image) => (await analyzeDetailed(image)).map((f) => f.analysis),
    dispose: async () => {
      if (disposed) return;
      disposed = true;
      await release();
    },
  };
}

/** Throws `INVALID_OPTION` naming the first bad field of `o`. */
export function validateHumanAnalysisOptions(o: HumanAnalysisOptions): void {
  const bad = (name: string, expected: string, got: unknown): never => {
    throw new FaceDetailError('INVALID_OPTION', `${name}: expected ${expected}, got ${String(got)}`);
  };
  if (!Number.isInteger(o.maxFaces) || o.maxFaces < 1) bad('maxFaces', 'an integer ≥ 1', o.maxFaces);
  if (!(o.minConfidence > 0 && o.minConfidence < 1)) bad('minConfidence', 'a number in (0, 1)', o.minConfidence);
  if (!Number.isInteger(o.refinePasses) || o.refinePasses < 1 || o.refinePasses > 8) bad('refinePasses', 'an integer in 1..8', o.refinePasses);
  if (!(o.refineTolerance >= 0)) bad('refineTolerance', 'a number ≥ 0 (crop pixels)', o.refineTolerance);
  if (!Number.isInteger(o.detectMaxSize) || o.detectMaxSize < 64) bad('detectMaxSize', 'an integer ≥ 64', o.detectMaxSize);
  if (typeof o.iris !== 'boolean') bad('iris', 'a boolean', o.iris);
}

function validateImage(img: Image): void {
  const { width: w, height: h, channels: c, data } = img ?? ({} as Image);
  if (!Number.isInteger(w) || !Number.isInteger(h) || w < 1 || h < 1) {
    throw new FaceDetailError('INVALID_OPTION', `image: expected positive integer width and height, got ${w}×${h}`);
  }
  if (c !== 1 && c !== 3 && c !== 4) throw new FaceDetailError('INVALID_OPTION', `image: expected 1, 3 or 4 channels, got ${c}`);
  if (!(data instanceof Float32Array) || data.length !== w * h * c) {
    throw new FaceDetailError('INVALID_OPTION', `image: expected a Float32Array of ${w * h * c} values, got ${data?.length}`);
  }
}

async function analyzeImage(
  rt: HumanEngine,
  image: Image,
  opts: HumanAnalysisOptions,
): Promise<{ analysis: FaceAnalysis; diagnostics: HumanFaceDiagnostics }[]> {
  const { tf, human } = rt;
  const t0 = now();
  // 1. Human on the (possibly downscaled) image.
  const s = Math.min(1, opts.detectMaxSize / Math.max(image.width, image.height));
  const dw = Math.max(1, Math.round(image.width * s)), dh = Math.max(1, Math.round(image.height * s));
  const sx = image.width / dw, sy = image.height / dh;
  const input = tf.tensor4d(downscaleToRgb255(image, dw, dh), [1, dh, dw, 3], 'float32');
  let faces: FaceResult[];
  try {
    const config = humanDetectConfig(opts.maxFaces, opts.minConfidence);
    const result = await human.detect(input, { ...config, face: { ...config.face, emotion: { enabled: false }, iris: { enabled: false } } });
    if (result.error) throw new FaceDetailError('INTERNAL', `face detection failed: ${result.error}`);
    faces = result.face;
  } finally {
    tf.dispose(input);
  }
  const tDetect = now();

  // 2. Sub-pixel refinement on our own crops of the full-resolution image.
  const out: { analysis: FaceAnalysis; diagnostics: HumanFaceDiagnostics }[] = [];
  for (const face of faces) {
    if (face.tensor) tf.dispose(face.tensor);
    if (!face.mesh || face.mesh.length < HUMAN_LANDMARK_COUNT) continue;
    const humanMesh = new Float32Array(HUMAN_LANDMARK_COUNT * 3);
    for (let i = 0; i < HUMAN_LANDMARK_COUNT; i++) {
      const p = face.mesh[i]!;
      humanMesh[3 * i] = p[0] * sx;
      humanMesh[3 * i + 1] = p[1] * sy;
      humanMesh[3 * i + 2] = p[2] ?? 0;
    }
    let landmarks: Float32Array = humanMesh;
    let crop: FaceCrop | undefined;
    let score = 0;
    const passShiftPx: number[] = [], passScores: number[] = [];
    for (let pass = 0; pass < opts.refinePasses; pass++) {
      crop = faceCropFromLandmarks(landmarks, HUMAN_LANDMARK_COUNT);
      const r = runFaceMesh(rt, image, crop);
      const shift = meanShift(landmarks, r.landmarks);
      passShiftPx.push(shift);
      passScores.push(r.score);
      landmarks = r.landmarks;
      score = r.score;
      if ((shift * FACE_MESH_INPUT) / crop.size < opts.refineTolerance) break;
    }
    if (!crop || !(score >= opts.minConfidence)) continue;
    const all = opts.iris ? withIris(rt, image, landmarks) : landmarks;
    out.push({
      analysis: {
        landmarks: all,
        landmarkCount: all.length / 3,
        box: landmarkBox(landmarks),
        score,
        rotation: headRotationFromLandmarks(landmarks),
        emotions: runEmotion(rt, image, landmarks),
      },
      diagnostics: {
        humanMesh,
        humanBox: [face.box[0] * sx, face.box[1] * sy, face.box[2] * sx, face.box[3] * sy],
        humanRotation: headRotationFromHuman(face.rotation?.angle ?? { yaw: 0, pitch: 0, roll: 0 }),
        passShiftPx,
        passScores,
        crop,
      },
    });
  }
  const merged = mergeDuplicates(out);
  // Largest first; ties (rare) by position so the order is stable.
  merged.sort((a, b) => {
    const [ax, ay, aw, ah] = a.analysis.box, [bx, by, bw, bh] = b.analysis.box;
    return bw * bh - aw * ah || ax - bx || ay - by;
  });
  opts.logger?.debug(
    `human-analyzer: ${merged.length} face(s) in ${image.width}×${image.height}: detect ${(tDetect - t0).toFixed(1)} ms, refine ${(now() - tDetect).toFixed(1)} ms`,
  );
  return merged;
}

/** The 468 face-mesh landmarks with the 10 iris landmarks appended (478 × xyz). */
function withIris(rt: HumanEngine, image: Image, landmarks: Float32Array): Float32Array {
  const all = new Float32Array(3 * IRIS_LANDMARK_COUNT);
  all.set(landmarks.subarray(0, 3 * HUMAN_LANDMARK_COUNT));
  all.set(runIris(rt, image, landmarks), 3 * HUMAN_LANDMARK_COUNT);
  return all;
}

/** Axis-aligned bounding box [x, y, w, h] of the landmarks' x, y. */
function landmarkBox(l: Float32Array): [number, number, number, number] {
  let x0 = Infinity, y0 = Infinity, x1 = -Infinity, y1 = -Infinity;
  for (let i = 0; i < HUMAN_LANDMARK_COUNT; i++) {
    const x = l[3 * i]!, y = l[3 * i + 1]!;
    if (x < x0) x0 = x;
    if (x > x1) x1 = x;
    if (y < y0) y0 = y;
    if (y > y1) y1 = y;
  }
  return [x0, y0, x1 - x0, y1 - y0];
}

/**
 * Drops faces whose refined box overlaps a kept one by IoU > 0.5: the refinement has pulled two
 * detections onto the same face. The kept one made the smallest last refinement step relative
 * to its crop (the best converged; the face flag is ≈ 1 for both and does not tell them apart).
 */
function mergeDuplicates<T extends { analysis: FaceAnalysis; diagnostics: HumanFaceDiagnostics }>(faces: T[]): T[] {
  const last = (f: T): number => (f.diagnostics.passShiftPx[f.diagnostics.passShiftPx.length - 1] ?? 0) / f.diagnostics.crop.size;
  const order = [...faces].sort((a, b) => last(a) - last(b) || b.analysis.score - a.analysis.score);
  const kept: T[] = [];
  for (const f of order) if (kept.every((k) => iou(k.analysis.box, f.analysis.box) <= 0.5)) kept.push(f);
  return kept;
}

function iou(a: [number, number, number, number], b: [number, number, number, number]): number {
  const w = Math.min(a[0] + a[2], b[0] + b[2]) - Math.max(a[0], b[0]);
  const h = Math.min(a[1] + a[3], b[1] + b[3]) - Math.max(a[1], b[1]);
  if (w <= 0 || h <= 0) return 0;
  const inter = w * h;
  return inter / (a[2] * a[3] + b[2] * b[3] - inter);
}

/** One face-mesh pass on `crop`: landmarks in image pixels and the face-flag confidence. */
function runFaceMesh(rt: HumanEngine, image: Image, crop: FaceCrop): { landmarks: Float32Array; score: number } {
  const { tf } = rt;
  const model = rt.models.facemesh;
  const n = model.inputs[0]?.shape?.[1] ?? FACE_MESH_INPUT;
  const input = tf.tensor4d(sampleFaceCrop(image, crop, n), [1, n, n, 3], 'float32');
  let outputs: Tensor[] = [];
  try {
    const r = model.execute(input);
    outputs = Array.isArray(r) ? r : [r as Tensor];
    // Outputs by shape, as Human does: [1, 1404] mesh, [1, 1] face flag (already a sigmoid), [1, 266] contours.
    const meshT = outputs.find((t) => t.shape[t.shape.length - 1] === HUMAN_LANDMARK_COUNT * 3);
    const flagT = outputs.find((t) => t.shape[t.shape.length - 1] === 1);
    if (!meshT || !flagT) throw new FaceDetailError('INTERNAL', `unexpected face-mesh outputs: ${outputs.map((t) => `[${t.shape.join(',')}]`).join(' ')}`);
    const raw = meshT.dataSync();
    const score = flagT.dataSync()[0] ?? 0;
    const landmarks = new Float32Array(HUMAN_LANDMARK_COUNT * 3);
    const p = new Float64Array(2);
    for (let i = 0; i < HUMAN_LANDMARK_COUNT; i++) {
      cropToImage(crop, n, raw[3 * i]!, raw[3 * i + 1]!, p);
      landmarks[3 * i] = p[0]!;
      landmarks[3 * i + 1] = p[1]!;
      landmarks[3 * i + 2] = cropZToImage(crop, n, raw[3 * i + 2]!);
    }
    return { landmarks, score };
  } finally {
    tf.dispose([input, ...outputs]);
  }
}

function meanShift(a: Float32Array, b: Float32Array): number {
  let sum = 0;
  for (let i = 0; i < HUMAN_LANDMARK_COUNT; i++) sum += Math.hypot(a[3 * i]! - b[3 * i]!, a[3 * i + 1]! - b[3 * i + 1]!);
  return sum / HUMAN_LANDMARK_COUNT;
}

/**
 * Crop for the emotion network: `EMOTION_CROP_SCALE` × the landmarks' extent, upright. The
 * network (FER-2013 style) expects a tight face crop; on the 7 faceapi_* photos the top-1 class
 * matches the file name for 3–4 of 7 at scale 1.0, 6 at 1.1 and 1.2, 5 at 1.3, 3–4 at 1.4–1.5
 * (rotated or not alike).
 */
const EMOTION_CROP_SCALE = 1.2;

/** Grey conversion and normalisation of Human's emotion module (src/gear/emotion.ts). */
const GREY = [0.2989, 0.587, 0.114] as const;

/** Emotion probabilities of one face (Human's emotion network on our crop). */
function runEmotion(rt: HumanEngine, image: Image, landmarks: Float32Array): Record<Emotion, number> {
  const { tf } = rt;
  const model = rt.models.emotion;
  const shape = model.inputs[0]?.shape ?? [];
  const n = shape[1] ?? 64;
  if (shape[3] !== 1) throw new FaceDetailError('INTERNAL', `expected Human's grey emotion network, got input shape [${shape.join(',')}]`);
  const crop = faceCropFromLandmarks(landmarks, HUMAN_LANDMARK_COUNT, { scale: EMOTION_CROP_SCALE, rotate: true });
  const rgb = sampleFaceCrop(image, crop, n);
  const grey = new Float32Array(n * n);
  for (let i = 0; i < n * n; i++) grey[i] = (GREY[0] * rgb[3 * i]! + GREY[1] * rgb[3 * i + 1]! + GREY[2] * rgb[3 * i + 2]! - 0.5) * 2;
  const input = tf.tensor4d(grey, [1, n, n, 1], 'float32');
  let output: Tensor | undefined;
  try {
    output = model.execute(input) as Tensor;
    const p = output.dataSync(); // softmax over Human's order: angry, disgust, fear, happy, sad, surprise, neutral
    if (p.length !== EMOTIONS.length) throw new FaceDetailError('INTERNAL', `emotion network returned ${p.length} classes, expected ${EMOTIONS.length}`);
    let total = 0;
    for (let i = 0; i < p.length; i++) total += p[i]!;
    const probs = {} as Record<Emotion, number>;
    EMOTIONS.forEach((e, i) => { probs[e] = total > 0 ? p[i]! / total : 1 / EMOTIONS.length; });
    return probs;
  } finally {
    tf.dispose(output ? [input, output] : [input]);
  }
}

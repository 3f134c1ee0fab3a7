/**
 * Messages between the page (src/web/main.ts) and the pipeline worker (src/web/worker.ts).
 * Everything is structured-cloneable; typed arrays travel as transferables.
 */
import type { DetailMethod, DfdnStats, Emotion, FaceDetailErrorCode, FaceModelName, RigMode, StageName } from '../core/index.js';
import type { WasmThreading } from './wasm-threads.js';

/** Options the page lets the user choose (the rest are the core's defaults). */
export interface WebRunOptions {
  /** Displacement / normal map size (512, 1024 or 2048). */
  detailResolution: number;
  /** Texture / albedo / confidence map size. */
  textureResolution: number;
  /** Multiplier on the synthesized displacement (0 = proxy only). */
  detailStrength: number;
  /** 35 mm-equivalent focal length override (mm); undefined = EXIF, else 50. */
  focalLength35mm: number | undefined;
  /** Detail method: shape from shading, the learned network, or both. */
  detail: DetailMethod;
  /** Face model: the face mesh (default) or the bundled ICT FaceKit model (full head). */
  model?: FaceModelName;
  /** With model `ict`: `arkit` also builds the ARKit blend-shape rig (`rig.glb`), which the webcam animation drives. */
  rig?: RigMode;
}

/**
 * Which faces of the photo to reconstruct: `'ask'` = the only one, or, when there are several,
 * stop after the analysis and report them (`faces`) so that the user picks; a number = that face
 * (index into the analysis, largest first); `'all'` = every face, one `result` each.
 */
export type FaceChoice = 'ask' | 'all' | number;

/** One face found in the photo (image pixels; the analysis order, largest first). */
export interface FoundFace {
  box: [number, number, number, number];
  score: number;
}

export type ToWorker =
  /** `dfdnBaseUrl`: folder of the detail network (dfdn.onnx, dfdn.json), loaded on first use; `ictModelUrl`: the bundled ICT model, loaded on first use. */
  /** `baseUrl`: the app's folder (document.baseURI), whose models/ and wasm/ the worker caches. */
  | { type: 'init'; baseUrl: string; modelBaseUrl: string; wasmBaseUrl: string; dfdnBaseUrl: string; ictModelUrl?: string }
  /**
   * `photoId` names the photo: a second run on the same id reuses the worker's decoded image and
   * analysis (picking a face after `faces` costs no second decode).
   */
  | { type: 'run'; id: number; photoId: number; file: Blob; name: string; options: WebRunOptions; face: FaceChoice }
  /** Debug / test hook: run the detail network on `dfdnProbeInput(size, seed)` (compare with Node, time it). */
  | { type: 'dfdn-probe'; id: number; size: number; seed: number }
  /**
   * Webcam animation of face `face` of run `runId` (its rig): the worker fits the photo's
   * identity once and answers `puppet-ready` (or an `error` with this `id`).
   */
  | { type: 'puppet-start'; id: number; runId: number; face: number }
  /** One video frame (transferred: a WebCodecs VideoFrame where the browser has them, else an ImageBitmap); answered by one `puppet-frame`. `timeMs`: the page's clock when it was grabbed. */
  | { type: 'puppet-frame'; id: number; frame: VideoFrame | ImageBitmap; timeMs: number }
  /** The animation stopped: the worker drops its tracker. */
  | { type: 'puppet-stop'; id: number };

/** One tracked frame (see core `TrackedFrame`), or `found: false` when the frame has no face. */
export interface PuppetFrameResult {
  found: boolean;
  /** The 52 ARKit weights (smoothed), ARKit order; the previous ones when no face was found. */
  weights: Float32Array;
  /** Root rotation [x, y, z, w] (y-up viewer frame, frontal = identity). */
  quaternion: number[];
  /** Root translation, mm, same frame: the head's move since the first tracked frame (core `TrackedFrame.headOffsetMm`). */
  offsetMm: number[];
  /** Face-mesh pass (or detection) and expression fit, ms. */
  meshMs: number;
  fitMs: number;
  /** Reading the frame's pixels in the worker, ms. */
  convertMs: number;
  /** How the landmarks were found: one pass around the last frame's, or a fresh detection. */
  source: 'tracked' | 'detected' | 'none';
  reprojectionErrorPx: number;
  /**
   * Mean luminance (0–255) of the frame's top-left 8×8 pixels: a tag the end-to-end test's video
   * carries (its blocks are marked there) so that it can tell which frame a result is of.
   */
  tag: number;
  width: number;
  height: number;
}

/** Result of a `dfdn-probe`: a sample of the displacement (every `step`-th texel) and its moments. */
export interface DfdnProbeResult {
  step: number;
  sample: Float32Array;
  sum: number;
  sumSq: number;
  patches: number;
  /** Network time (all patches), and the whole inference (tiling, blending), ms. */
  networkMs: number;
  totalMs: number;
}

/** A mesh for the viewer: head frame, millimetres. */
export interface ViewMesh {
  positions: Float32Array;
  indices: Uint32Array;
  uvs: Float32Array;
  normals: Float32Array;
  tangents: Float32Array;
}

/** What the page needs to show one reconstruction. */
export interface ViewData {
  sourceName: string;
  width: number;
  height: number;
  proxy: ViewMesh;
  detailed: ViewMesh;
  /** PNG bytes: albedo, texture (the unwrapped photo), normal (relative to the proxy), residualNormal (relative to the detailed mesh). */
  png: { albedo: Uint8Array; texture: Uint8Array; normal: Uint8Array; residualNormal: Uint8Array };
  camera: { fx: number; fy: number; cx: number; cy: number; focalSource: string; focal35mm: number };
  pose: { rotation: number[]; translation: number[]; yawDeg: number; pitchDeg: number; rollDeg: number };
  mmPerPixel: number;
  analysis: { landmarks: Float32Array; box: [number, number, number, number]; score: number; emotions: Record<Emotion, number> };
  /** Milliseconds per stage (decode … export) and `total`. */
  timings: Record<string, number>;
  warnings: string[];
  detailRmsMm: number | undefined;
  /** The detail method used, and the network's statistics when it ran. */
  detailMethod: DetailMethod;
  dfdn: DfdnStats | undefined;
}

export type FromWorker =
  /** The models are loaded; `wasm`: how the wasm backends run (threads where the page is cross-origin isolated). */
  | { type: 'ready'; ms: number; backend: string; wasm: WasmThreading }
  /** `face`: the face being reconstructed (index into the analysis); absent for decode / analyze. */
  | { type: 'progress'; id: number; stage: StageName; done: boolean; ms?: number; face?: number }
  /** Several faces and `face: 'ask'`: the run stops here; the page asks the user and runs again with a number or `'all'`. */
  | { type: 'faces'; id: number; width: number; height: number; faces: FoundFace[] }
  /** One reconstructed face (`face` of `faceCount` found); `'all'` sends one per face, largest first. */
  | { type: 'result'; id: number; face: number; faceCount: number; files: Record<string, Uint8Array>; view: ViewData }
  /** Sent after each result: the detailed mesh's vertices before displacement (same topology), so that strength s = base + s·(detailed − base). */
  | { type: 'base'; id: number; face: number; positions: Float32Array }
  /** The run has finished (after its last result). */
  | { type: 'done'; id: number }
  | { type: 'dfdn-probe'; id: number; result: DfdnProbeResult }
  /** The tracker is ready: `names` are the 52 ARKit names (the order of every weight array), `weights` the rig's defaults. */
  | { type: 'puppet-ready'; id: number; names: string[]; ms: number }
  | { type: 'puppet-frame'; id: number; result: PuppetFrameResult }
  | { type: 'error'; id: number | undefined; code: FaceDetailErrorCode | 'UNKNOWN'; message: string };

/**
 * Messages to the zip worker (src/web/zip-worker.ts), which builds the download zips off the
 * page's main thread: `entries` maps each name in the zip to its bytes (copied, not transferred:
 * the page keeps its files) and its deflate level (0 = stored, 1 fast, 6 the default).
 */
export interface ToZipWorker {
  id: number;
  entries: Record<string, { bytes: Uint8Array; level: 0 | 1 | 6 }>;
}

export type FromZipWorker = { id: number; bytes: Uint8Array } | { id: number; error: string };

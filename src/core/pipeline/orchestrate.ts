import type { FaceAnalysis, FaceAnalyzer } from '../analysis/types.js';
import { estimateCamera } from '../camera/estimate-camera.js';
import type { DetailNetwork } from '../detail/dfdn.js';
import { FaceDetailError } from '../errors.js';
import type { FaceModel } from '../model/face-model.js';
import { checkOption } from '../options.js';
import type { Image } from '../types.js';
import type { OutputFilesOptions } from './output-files.js';
import { reconstructFace, type ReconstructFaceInput } from './reconstruct-face.js';
import type { FaceJobs } from './face-jobs.js';
import { createStageTimer, type StageTimer } from './stage-timer.js';
import type { FaceReconstruction, ProgressCallback, ReconstructOptions, StageName } from './types.js';

/**
 * The one per-photo orchestrator of facedetail: decoded image → analysis → per-face
 * reconstruction → output files. The Node reconstructor (`src/node/reconstructor.ts`), the
 * CLI and the queue worker (through `src/node/process-photo.ts`) and the browser worker
 * (`src/web/worker.ts`) all run a photo through {@link orchestratePhoto}; the platform parts
 * (decoding, the face analyser, the detail network's runtime, writing files) are injected.
 *
 * Stages, with the names of the progress events and of `result.json`'s timings:
 * `decode` (when a decoder is given) → `analyze` ({@link analyzePhoto}) → per face `camera` …
 * `mesh` ({@link reconstructFaces}, i.e. {@link reconstructFace}) → per face `export`
 * (`buildOutputFiles` of `output-files.ts`, then the caller's `write`).
 */

/** A decoded photo, as the orchestrator needs it (Node's `DecodedImage` and the web's `WebDecodedImage` fit). */
export interface DecodedPhoto {
  /** RGB, float [0, 1], sRGB-encoded, upright. */
  image: Image;
  width: number;
  height: number;
  /** EXIF data: its 35 mm-equivalent focal length, when the photo has one. */
  exif?: { focalLength35mm?: number | undefined } | undefined;
}

/** What {@link orchestratePhoto}'s steps receive: the run's one stage timer and its timings so far. */
export interface PhotoContext {
  /** Times a stage and reports it to the run's progress callback. */
  timed: StageTimer;
  /** Milliseconds per stage so far (decode, analyze; per-face stages summed over the faces). */
  timings: Partial<Record<StageName, number>>;
  onProgress: ProgressCallback | undefined;
}

/** Builds a face's output files: `buildOutputFiles` / `buildOutputFilesAsync` of `output-files.ts`, or a stand-in. */
export type OutputBuilder = (rec: FaceReconstruction, options: OutputFilesOptions) => Record<string, Uint8Array> | Promise<Record<string, Uint8Array>>;

/** The `export` stage of {@link orchestratePhoto}: build each face's files, then hand them to `write`. */
export interface PhotoOutput<T> {
  build: OutputBuilder;
  /** Formats, GLB options, source name, version; `imageTimings` defaults to this run's decode time. */
  options: Omit<OutputFilesOptions, 'imageTimings'> & { imageTimings?: Record<string, number> };
  /** Receives each face's files inside the `export` stage (write them to a folder …); its result is the face's output. */
  write: (rec: FaceReconstruction, files: Record<string, Uint8Array>) => T | Promise<T>;
}

/** The steps of one photo's run (see {@link orchestratePhoto}). */
export interface PhotoSteps<D extends DecodedPhoto, T> {
  /** The decoded photo, or its decoder (then timed as the `decode` stage). */
  decode: D | (() => Promise<D>);
  /**
   * The photo's reconstructed faces, in order: {@link analyzePhoto} then {@link reconstructFaces}
   * (the Node reconstructor, the web worker), or a `Reconstructor`'s `reconstructAll` (the CLI,
   * the queue worker). An async iterable lets each face be exported before the next one starts.
   */
  faces: (decoded: D, ctx: PhotoContext) => Promise<Iterable<FaceReconstruction> | AsyncIterable<FaceReconstruction>> | AsyncIterable<FaceReconstruction>;
  /** The `export` stage per face; none: the faces are only returned. */
  output?: PhotoOutput<T>;
  /** Called after each face's `export` stage (the web worker posts the result to the page). */
  onFace?: (rec: FaceReconstruction, output: T | undefined) => void | Promise<void>;
}

/** The outcome of {@link orchestratePhoto}. */
export interface PhotoRun<D extends DecodedPhoto, T> {
  decoded: D;
  faces: FaceReconstruction[];
  /** What `output.write` returned, one per face. */
  outputs: T[];
  /** Milliseconds per stage of the whole run (per-face stages summed over the faces). */
  timings: Partial<Record<StageName, number>>;
  /** Every face's warnings (`face <i>: …` when there are several faces). */
  warnings: string[];
}

/**
 * Run one photo through the pipeline: decode (when given a decoder), the faces step, and the
 * `export` stage per face, all timed by one stage timer that reports to `onProgress`.
 *
 * @example
 * const run = await orchestratePhoto({
 *   decode: () => decodeImage('photo.jpg'),
 *   faces: async (decoded, ctx) => reconstructFaces(decoded, await analyzePhoto(decoded, analyzer, ctx), deps, resolveOptions(), { imageTimings: ctx.timings }),
 *   output: { build: buildOutputFiles, options: { formats: ['glb'], sourceName: 'photo.jpg', version: '0.1.0' }, write: (rec, files) => files },
 * });
 */
export async function orchestratePhoto<D extends DecodedPhoto, T = never>(steps: PhotoSteps<D, T>, onProgress?: ProgressCallback): Promise<PhotoRun<D, T>> {
  const timings: Partial<Record<StageName, number>> = {};
  const accumulate: ProgressCallback = (ev) => {
    if (ev.done && ev.ms !== undefined) timings[ev.stage] = (timings[ev.stage] ?? 0) + ev.ms;
    onProgress?.(ev);
  };
  const timed = createStageTimer(accumulate);
  const ctx: PhotoContext = { timed, timings, onProgress: accumulate };
  const decoded = typeof steps.decode === 'function' ? await timed('decode', steps.decode) : steps.decode;
  const faces: FaceReconstruction[] = [];
  const outputs: T[] = [];
  for await (const rec of await steps.faces(decoded, ctx)) {
    faces.push(rec);
    const out = steps.output;
    let written: T | undefined;
    if (out) {
      written = await timed('export', async () => {
        const files = await out.build(rec, { ...out.options, imageTimings: out.options.imageTimings ?? { decode: timings.decode ?? 0 } });
        return out.write(rec, files);
      }, rec.faceIndex);
      outputs.push(written);
    }
    await steps.onFace?.(rec, written);
  }
  const warnings = faces.flatMap((rec) => rec.warnings.map((w) => (faces.length > 1 ? `face ${rec.faceIndex}: ${w}` : w)));
  return { decoded, faces, outputs, timings, warnings };
}

/**
 * The `analyze` stage: every face in the photo, largest first (an empty list when there is none).
 *
 * @example
 * const analyses = await analyzePhoto(decoded, analyzer, ctx);
 */
export function analyzePhoto(decoded: DecodedPhoto, analyzer: FaceAnalyzer, ctx: Pick<PhotoContext, 'timed'>): Promise<FaceAnalysis[]> {
  return ctx.timed('analyze', () => analyzer.analyze(decoded.image));
}

/** What {@link reconstructFaces} needs besides the photo: the face model and the detail network. */
export interface FacePipelineDeps {
  /** The face model for these options (the face mesh, or an ICT model for its emotion prior and head parts). */
  faceModel(options: ReconstructOptions): FaceModel | Promise<FaceModel>;
  /** The detail network; asked for only when `options.detail` is `'dfdn'` or `'dfdn+sfs'`. */
  detailNetwork?(): Promise<DetailNetwork>;
  /** Told as each map of a face becomes final (`onMap` of {@link reconstructFace}; e.g. `EarlyPngs.start`). */
  onMap?: ReconstructFaceInput['onMap'];
  /** Where the per-face jobs run (`jobs` of {@link reconstructFace}; default: inline). */
  jobs?: FaceJobs;
}

/** Options of {@link reconstructFaces}. */
export interface ReconstructFacesOptions {
  /** Which faces: `'largest'` (default), `'all'`, or indices into the analyses (largest first). */
  select?: 'largest' | 'all' | readonly number[];
  /** Per-stage progress of every face. */
  onProgress?: ProgressCallback | undefined;
  /** The photo's own timings (decode, analyze), copied into each face's `timings`. */
  imageTimings?: Partial<Record<StageName, number>>;
  /** The message of the `NO_FACE` error (default: a short technical one). */
  noFaceMessage?: string;
}

const NO_FACE_MESSAGE = 'no face found in the image: use a photo where the face is visible, reasonably frontal and at least ~64 px wide';

/**
 * The per-face part of a photo: the camera from the photo's size and EXIF, then
 * {@link reconstructFace} for each selected face, yielded one by one. Throws `NO_FACE` when
 * the analysis found none, `INVALID_OPTION` for a face index out of range.
 *
 * @example
 * for await (const face of reconstructFaces(decoded, analyses, { faceModel: () => createFaceMeshModel() }, resolveOptions({ detail: 'sfs' }))) console.log(face.pose.yawDeg);
 */
export async function* reconstructFaces(
  decoded: DecodedPhoto, analyses: readonly FaceAnalysis[], deps: FacePipelineDeps, options: ReconstructOptions, call: ReconstructFacesOptions = {},
): AsyncGenerator<FaceReconstruction, void, undefined> {
  if (analyses.length === 0) throw new FaceDetailError('NO_FACE', call.noFaceMessage ?? NO_FACE_MESSAGE);
  const select = call.select ?? 'largest';
  const picked = select === 'all' ? analyses.map((_, i) => i) : select === 'largest' ? [0] : [...select];
  const face = { name: 'face', type: 'integer', min: 0, max: analyses.length - 1 } as const;
  for (const i of picked) checkOption(face, i);
  const camera = estimateCamera(decoded.width, decoded.height, { focalLength35mm: options.focalLength35mm, exifFocalLength35mm: decoded.exif?.focalLength35mm });
  const detailNetwork = options.detail === 'sfs' ? undefined : await deps.detailNetwork?.();
  const model = await deps.faceModel(options);
  const shared = { ...call.imageTimings };
  for (const faceIndex of picked) {
    const rec = await reconstructFace({ image: decoded.image, camera, analysis: analyses[faceIndex]!, faceIndex, model, ...(detailNetwork ? { detailNetwork } : {}), ...(deps.onMap ? { onMap: deps.onMap } : {}), ...(deps.jobs ? { jobs: deps.jobs } : {}) }, options, call.onProgress);
    rec.timings = { ...shared, ...rec.timings };
    yield rec;
  }
}

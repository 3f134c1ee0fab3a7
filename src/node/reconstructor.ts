import { setTableStore } from '../core/cache/content-cache.js';
import { defaultTablesDir, fileTableStore } from './table-store.js';
import type { FaceAnalyzer } from '../core/analysis/types.js';
import { FaceDetailError } from '../core/errors.js';
import type { FaceModel } from '../core/model/face-model.js';
import { createFaceMeshModel } from '../core/model/facemesh/facemesh-model.js';
import type { IctModelData } from '../core/model/ict/ict-cache.js';
import { createIctModel } from '../core/model/ict/ict-model.js';
import { resolveOptions } from '../core/pipeline/defaults.js';
import { analyzePhoto, orchestratePhoto, reconstructFaces, type FacePipelineDeps } from '../core/pipeline/orchestrate.js';
import type { Logger } from '../core/platform.js';
import type { FaceReconstruction, ProgressCallback, ReconstructOptions } from '../core/pipeline/types.js';
import { assignDefaults, invalidOption } from '../core/options.js';
import type { DetailNetwork } from '../core/detail/dfdn.js';
import { decodeImage, type DecodedImage } from './decode-image.js';
import { loadDfdnNetwork, type NodeDetailNetwork } from './dfdn-runtime.js';
import { createHumanAnalyzer } from './human-analyzer.js';
import { loadIctModel } from './model-import/load-ict.js';
import { createWorkerFaceJobs } from './face-jobs.js';

/** Options of {@link createReconstructor}: defaults for every reconstruction, plus adapters. */
export interface ReconstructorOptions extends Partial<ReconstructOptions> {
  /** Receives debug/info/warn messages; silent by default. */
  logger?: Logger;
  /** Decompression-bomb guard: largest accepted pixel count (default 50 million). */
  maxPixels?: number;
  /** Largest accepted image file / byte input size (default 256 MiB; see `DECODE_DEFAULTS`). */
  maxBytes?: number;
  /** Photos whose long side exceeds this are downscaled before analysis (default 4096; see `DECODE_DEFAULTS`). */
  maxDimension?: number;
  /** Use another face analyser (e.g. a mock in tests); default: Human on the wasm backend. */
  analyzer?: FaceAnalyzer;
  /**
   * Folder of the DFDN model (`dfdn.onnx` + `dfdn.json`) for `detail: 'dfdn' | 'dfdn+sfs'`.
   * Default: `$FACEDETAIL_DFDN_DIR`, else the package's `models/dfdn/`. Loaded once, when the
   * default `detail` needs it, else on the first call that asks for it.
   */
  dfdnModelDir?: string;
  /**
   * Run the per-face jobs that can go beside the pipeline (the albedo, while the mesh is built) on a
   * worker thread: default true; false runs everything on the calling thread. The result is the
   * same either way, bit for bit.
   */
  workerThread?: boolean;
  /** Use this detail network instead of loading the ONNX model (e.g. a synthetic one in tests; not disposed here). */
  detailNetwork?: DetailNetwork;
  /**
   * Models folder holding the imported ICT FaceKit cache for `model: 'ict'` (default:
   * `$FACEDETAIL_MODELS_DIR`, else `~/.cache/facedetail/models`); without a cache there, the
   * compact model bundled in the package's `models/ict/` is used. Loaded once, when the default
   * `model` is `'ict'`, else on the first call that asks for it.
   */
  modelsDir?: string;
  /** Use this already loaded ICT model data instead of reading the cache. */
  ictModel?: IctModelData;
  /**
   * Folder where the per-face-model tables (UV layouts, masks, GLB split plans) are kept between
   * processes, so a fresh process does not rebuild them (see src/node/table-store.ts). Default:
   * `$FACEDETAIL_TABLES_DIR`, else `~/.cache/facedetail/tables`; `false`: in memory only.
   * Process-wide: the last reconstructor created sets it.
   */
  tablesDir?: string | false;
}

/** Per-call options of {@link Reconstructor.reconstruct}. */
export type ReconstructCallOptions = Partial<ReconstructOptions> & {
  onProgress?: ProgressCallback;
  /** Told as each map of a face becomes final (e.g. `EarlyPngs.start` of `createEarlyPngs`, so the PNGs encode while the later stages run). */
  onMap?: FacePipelineDeps['onMap'];
};

/** A loaded pipeline. Create once, reuse for many photos, then `dispose()`. */
export interface Reconstructor {
  /** The largest face of a photo (path, encoded bytes or a decoded image); throws NO_FACE when none. */
  reconstruct(input: string | Uint8Array | DecodedImage, options?: ReconstructCallOptions): Promise<FaceReconstruction>;
  /** Every face, largest first; throws NO_FACE when none. */
  reconstructAll(input: string | Uint8Array | DecodedImage, options?: ReconstructCallOptions): Promise<FaceReconstruction[]>;
  /** Free the face analyser's models and backend, and the DFDN session. */
  dispose(): Promise<void>;
}

export { VERSION } from './version.js';

/**
 * Load the models and return a {@link Reconstructor}.
 *
 * @example
 * const rec = await createReconstructor({ detailResolution: 1024 });
 * const face = await rec.reconstruct('photo.jpg');
 * console.log(face.pose.yawDeg, face.detailedMesh.positions.length / 3);
 * await rec.dispose();
 */
export async function createReconstructor(options: ReconstructorOptions = {}): Promise<Reconstructor> {
  const { logger, maxPixels, maxBytes, maxDimension, analyzer: given, dfdnModelDir, detailNetwork: givenNetwork, modelsDir, ictModel: givenIct, tablesDir, workerThread, ...defaults } = options;
  const resolved = resolveOptions(defaults); // validate early
  if (tablesDir !== undefined && tablesDir !== false && (typeof tablesDir !== 'string' || tablesDir === '')) {
    throw invalidOption('tablesDir', 'a folder path or false', tablesDir);
  }
  if (workerThread !== undefined && typeof workerThread !== 'boolean') throw invalidOption('workerThread', 'true or false', workerThread);
  const tables = tablesDir === false ? undefined : tablesDir ?? defaultTablesDir();
  setTableStore(tables === undefined ? undefined : fileTableStore(tables));
  // The DFDN session: created once, on first need (at once when the default method needs it).
  let network: Promise<NodeDetailNetwork> | undefined;
  const getNetwork = (): Promise<DetailNetwork> => givenNetwork ? Promise.resolve(givenNetwork)
    : (network ??= loadDfdnNetwork(dfdnModelDir !== undefined ? { modelDir: dfdnModelDir } : {}));
  // Cold start: the worker thread loads its modules and onnxruntime builds its session (native
  // code) while this thread loads the face analyser.
  const jobs = workerThread === false ? undefined : createWorkerFaceJobs();
  jobs?.prestart();
  const networkReady = resolved.detail !== 'sfs' ? getNetwork() : undefined;
  networkReady?.catch(() => undefined); // awaited below, after the analyser
  let analyzer: FaceAnalyzer;
  try {
    analyzer = given ?? (await createHumanAnalyzer(logger ? { logger } : {}));
    await networkReady;
  } catch (e) {
    await jobs?.dispose();
    if (network) await (await network.catch(() => undefined))?.dispose();
    throw e;
  }
  const faceMesh = createFaceMeshModel();
  // The ICT FaceKit model (imported cache, else bundled): loaded once, on first need (at once when the default model is 'ict');
  // one model object per (emotion prior, head parts), sharing the data and the topology.
  let ictData: Promise<IctModelData> | undefined;
  const getIctData = (): Promise<IctModelData> => givenIct ? Promise.resolve(givenIct)
    : (ictData ??= loadIctModel({ ...(modelsDir !== undefined ? { modelsDir } : {}), ...(logger ? { logger } : {}) }).then((d) => {
      logger?.info(`ICT FaceKit model: ${d.origin === 'bundled' ? 'the bundled compact model' : 'the imported full cache'} (${d.identityNames.length} identity modes)`);
      return d;
    }));
  if (resolved.model === 'ict') await getIctData();
  const ictModels = new Map<string, FaceModel>();
  const modelFor = async (o: ReconstructOptions): Promise<FaceModel> => {
    if (o.model === 'facemesh') return faceMesh;
    const data = await getIctData();
    const key = `${o.emotionPrior}/${o.head}`;
    let m = ictModels.get(key);
    if (!m) ictModels.set(key, m = createIctModel(data, data.correspondence, { fit: { emotionPrior: o.emotionPrior }, head: o.head }));
    return m;
  };
  let disposed = false;

  const deps: FacePipelineDeps = { faceModel: modelFor, detailNetwork: getNetwork, ...(jobs ? { jobs } : {}) };
  const decodeOptions = { ...(maxPixels !== undefined ? { maxPixels } : {}), ...(maxBytes !== undefined ? { maxBytes } : {}), ...(maxDimension !== undefined ? { maxDimension } : {}) };

  async function run(input: string | Uint8Array | DecodedImage, call: ReconstructCallOptions, all: boolean): Promise<FaceReconstruction[]> {
    if (disposed) throw new FaceDetailError('DISPOSED', 'this reconstructor was disposed; create a new one');
    checkInput(input);
    if (typeof call !== 'object' || call === null) throw new FaceDetailError('INVALID_OPTION', `options: expected an object, received ${describeValue(call)}.`);
    const { onProgress, onMap, ...rest } = call;
    if (onProgress !== undefined && typeof onProgress !== 'function') throw new FaceDetailError('INVALID_OPTION', `onProgress: expected a function, received ${describeValue(onProgress)}.`);
    if (onMap !== undefined && typeof onMap !== 'function') throw new FaceDetailError('INVALID_OPTION', `onMap: expected a function, received ${describeValue(onMap)}.`);
    const o = resolveOptions(assignDefaults(defaults, rest));
    const photo = await orchestratePhoto({
      decode: isDecoded(input) ? input : () => decodeImage(input, decodeOptions),
      faces: async (decoded, ctx) => reconstructFaces(decoded, await analyzePhoto(decoded, analyzer, ctx), onMap ? { ...deps, onMap } : deps, o, {
        select: all || o.allFaces ? 'all' : 'largest', onProgress: ctx.onProgress, imageTimings: ctx.timings,
      }),
    }, onProgress);
    return photo.faces;
  }

  return {
    async reconstruct(input, call = {}) {
      const r = await run(input, typeof call === 'object' && call !== null ? { ...call, allFaces: false } : call, false);
      return r[0]!;
    },
    reconstructAll: (input, call = {}) => run(input, call, true),
    async dispose() {
      if (disposed) return;
      disposed = true;
      if (!given) await analyzer.dispose();
      if (network) await (await network.catch(() => undefined))?.dispose();
      await jobs?.dispose();
    },
  };
}

function isDecoded(x: unknown): x is DecodedImage {
  return typeof x === 'object' && x !== null && !(x instanceof Uint8Array) && 'image' in x;
}

/**
 * The public entry's input check: a non-empty path, encoded bytes, or a decoded image whose
 * pixel buffer matches its size (`exif` optional). Anything else is `INVALID_INPUT`.
 */
function checkInput(input: unknown): void {
  const bad = (what: string): never => {
    throw new FaceDetailError('INVALID_INPUT', `input: expected a file path, encoded image bytes (Uint8Array) or a decoded image { image: { width, height, channels: 3, data: Float32Array }, width, height, exif? }; ${what}.`);
  };
  if (typeof input === 'string') {
    if (input.length === 0) bad('received an empty string');
    return;
  }
  if (input instanceof Uint8Array) return;
  if (typeof input !== 'object' || input === null || !('image' in input)) bad(`received ${describeValue(input)}`);
  const d = input as { image?: unknown; width?: unknown; height?: unknown; exif?: unknown };
  const img = d.image as { width?: unknown; height?: unknown; channels?: unknown; data?: unknown } | null;
  if (typeof img !== 'object' || img === null) bad('its image is not an object');
  const { width: w, height: h, channels: c, data } = img!;
  if (typeof w !== 'number' || typeof h !== 'number' || !Number.isInteger(w) || !Number.isInteger(h) || w < 1 || h < 1) bad(`its image size is ${String(w)}×${String(h)}`);
  if (c !== 3) bad(`its image has ${String(c)} channels`);
  if (!(data instanceof Float32Array)) bad(`its image data is ${describeValue(data)}, not a Float32Array`);
  if ((data as Float32Array).length !== (w as number) * (h as number) * 3) bad(`its image data holds ${(data as Float32Array).length} values for ${String(w)}×${String(h)}×3`);
  if (d.width !== w || d.height !== h) bad(`its width/height (${String(d.width)}×${String(d.height)}) differ from the image's (${String(w)}×${String(h)})`);
  if (d.exif !== undefined && (typeof d.exif !== 'object' || d.exif === null)) bad(`its exif is ${describeValue(d.exif)}`);
}

function describeValue(v: unknown): string {
  if (v === null) return 'null';
  if (typeof v === 'string') return `"${v}"`;
  if (typeof v !== 'object') return String(v);
  return Array.isArray(v) ? 'an array' : (v.constructor?.name ?? 'an object');
}

import { createRequire } from 'node:module';
import type { FaceAnalyzer } from '../core/analysis/types.js';
import { estimateCamera } from '../core/camera/estimate-camera.js';
import { FaceDetailError } from '../core/errors.js';
import { createFaceMeshModel } from '../core/model/facemesh-model.js';
import { resolveOptions } from '../core/pipeline/defaults.js';
import { reconstructFace } from '../core/pipeline/reconstruct-face.js';
import type { FaceReconstruction, Logger, ProgressCallback, ReconstructOptions, StageName } from '../core/pipeline/types.js';
import { decodeImage, type DecodedImage } from './decode-image.js';
import { createHumanAnalyzer } from './human-analyzer.js';

/** Options of {@link createReconstructor}: defaults for every reconstruction, plus adapters. */
export interface ReconstructorOptions extends Partial<ReconstructOptions> {
  /** Receives debug/info/warn messages; silent by default. */
  logger?: Logger;
  /** Decompression-bomb guard: largest accepted pixel count (default 50 million). */
  maxPixels?: number;
  /** Use another face analyser (e.g. a mock in tests); default: Human on the wasm backend. */
  analyzer?: FaceAnalyzer;
}

/** Per-call options of {@link Reconstructor.reconstruct}. */
export type ReconstructCallOptions = Partial<ReconstructOptions> & { onProgress?: ProgressCallback };

/** A loaded pipeline. Create once, reuse for many photos, then `dispose()`. */
export interface Reconstructor {
  /** The largest face of a photo (path, encoded bytes or a decoded image); throws NO_FACE when none. */
  reconstruct(input: string | Uint8Array | DecodedImage, options?: ReconstructCallOptions): Promise<FaceReconstruction>;
  /** Every face, largest first; throws NO_FACE when none. */
  reconstructAll(input: string | Uint8Array | DecodedImage, options?: ReconstructCallOptions): Promise<FaceReconstruction[]>;
  /** Free the face analyser's models and backend. */
  dispose(): Promise<void>;
}

/** facedetail's version (from package.json). */
export const VERSION: string = (createRequire(import.meta.url)('../../package.json') as { version: string }).version;

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
  const { logger, maxPixels, analyzer: given, ...defaults } = options;
  resolveOptions(defaults); // validate early
  const analyzer = given ?? (await createHumanAnalyzer(logger ? { logger } : {}));
  const model = createFaceMeshModel();
  let disposed = false;

  async function run(input: string | Uint8Array | DecodedImage, call: ReconstructCallOptions, all: boolean): Promise<FaceReconstruction[]> {
    if (disposed) throw new FaceDetailError('DISPOSED', 'this reconstructor was disposed; create a new one');
    const { onProgress, ...rest } = call;
    const o = resolveOptions({ ...defaults, ...rest });
    const shared: Partial<Record<StageName, number>> = {};
    const timed = async <T>(stage: StageName, f: () => Promise<T>): Promise<T> => {
      onProgress?.({ stage, done: false });
      const t0 = performance.now();
      const r = await f();
      shared[stage] = performance.now() - t0;
      onProgress?.({ stage, done: true, ms: shared[stage] });
      return r;
    };
    const decoded = isDecoded(input) ? input : await timed('decode', () => decodeImage(input, maxPixels !== undefined ? { maxPixels } : {}));
    const faces = await timed('analyze', () => analyzer.analyze(decoded.image));
    if (faces.length === 0) throw new FaceDetailError('NO_FACE', 'no face found in the image: use a photo where the face is visible, reasonably frontal and at least ~64 px wide');
    const camera = estimateCamera(decoded.width, decoded.height, { focalLength35mm: o.focalLength35mm, exifFocalLength35mm: decoded.exif.focalLength35mm });
    const selected = all || o.allFaces ? faces : faces.slice(0, 1);
    return selected.map((analysis, faceIndex) => {
      const rec = reconstructFace({ image: decoded.image, camera, analysis, faceIndex, model }, o, onProgress);
      rec.timings = { ...shared, ...rec.timings };
      return rec;
    });
  }

  return {
    async reconstruct(input, call = {}) {
      const r = await run(input, { ...call, allFaces: false }, false);
      return r[0]!;
    },
    reconstructAll: (input, call = {}) => run(input, call, true),
    async dispose() {
      if (disposed) return;
      disposed = true;
      if (!given) await analyzer.dispose();
    },
  };
}

function isDecoded(x: unknown): x is DecodedImage {
  return typeof x === 'object' && x !== null && !(x instanceof Uint8Array) && 'image' in x;
}

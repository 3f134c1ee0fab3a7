/**
 * Reading the ICT FaceKit model in Node: the full cache imported by `facedetail model import ict`
 * when there is one, else the compact model bundled with the package (`models/ict/`).
 *
 * Cache location: `<models dir>/ict-v<version>/{header.json,model.bin}` (currently `ict-v2`), where
 * the models dir is, first match: the `modelsDir` option (CLI `--models-dir`),
 * `$FACEDETAIL_MODELS_DIR`, `$XDG_CACHE_HOME/facedetail/models`, `~/.cache/facedetail/models`.
 */
import { readFile, stat } from 'node:fs/promises';
import { homedir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { FaceDetailError } from '../../core/errors.js';
import { ICT_CACHE_DIRNAME, ICT_CACHE_FILES, ICT_CACHE_VERSION, parseIctCache, type IctModelData } from '../../core/model/ict/ict-cache.js';
import { ICT_COMPACT_FILE, parseIctCompact } from '../../core/model/ict/ict-compact.js';

/** Where {@link loadIctModel} reads the model from. */
const ICT_MODEL_SOURCES = ['auto', 'cache', 'bundled'] as const;
/** `auto`: the imported cache if present, else the bundled model; `cache`: only the cache; `bundled`: only the bundled model. */
type IctModelSource = (typeof ICT_MODEL_SOURCES)[number];

/** Options of {@link loadIctModel}. */
export interface LoadIctOptions {
  /** Models folder (the cache is in its `ict-v2/` sub-folder). Default: {@link defaultModelsDir}. */
  modelsDir?: string;
  /** Which model to read. Default `auto`: the imported full cache if present, else the bundled compact model. */
  source?: IctModelSource;
  /** The bundled compact model file. Default {@link bundledIctModelPath}. */
  bundledPath?: string;
  /** Receives a warning when an older cache is ignored in favour of the bundled model. */
  logger?: { warn(message: string): void };
}

/**
 * The compact ICT model shipped with the package: `models/ict/ict-compact.bin` (three levels
 * above this module, in `src/node/model-import/` and `dist/node/model-import/` alike).
 *
 * @example
 * bundledIctModelPath() // '/…/node_modules/facedetail/models/ict/ict-compact.bin'
 */
export function bundledIctModelPath(): string {
  return join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'models', 'ict', ICT_COMPACT_FILE);
}

/**
 * Read and validate the bundled compact model (`origin: 'bundled'`, 60 identity modes). Throws
 * `MODEL_LOAD_FAILED` when the file is missing and `MODEL_CACHE_INVALID` when it is damaged.
 *
 * @example
 * const data = await loadBundledIctModel();
 */
export async function loadBundledIctModel(path: string = bundledIctModelPath()): Promise<IctModelData> {
  let bytes: Buffer;
  try {
    bytes = await readFile(path);
  } catch (cause) {
    if ((cause as { code?: string }).code === 'ENOENT') {
      throw new FaceDetailError('MODEL_LOAD_FAILED', `the bundled ICT FaceKit model ${path} is missing: reinstall facedetail (npm ci), or import the full model with \`facedetail model import ict <FaceXModel folder>\``, { cause });
    }
    throw new FaceDetailError('IO_ERROR', `cannot read the bundled ICT FaceKit model ${path}: ${(cause as Error).message}`, { cause });
  }
  return parseIctCompact(new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength), path);
}

/**
 * The models folder used when none is given: `$FACEDETAIL_MODELS_DIR`, else
 * `$XDG_CACHE_HOME/facedetail/models`, else `~/.cache/facedetail/models`.
 *
 * @example
 * defaultModelsDir() // '/home/me/.cache/facedetail/models'
 */
export function defaultModelsDir(env: NodeJS.ProcessEnv = process.env): string {
  const explicit = env['FACEDETAIL_MODELS_DIR'];
  if (explicit !== undefined && explicit !== '') return resolve(explicit);
  const xdg = env['XDG_CACHE_HOME'];
  return join(xdg !== undefined && xdg !== '' ? resolve(xdg) : join(homedir(), '.cache'), 'facedetail', 'models');
}

/**
 * The ICT cache folder inside a models folder.
 *
 * @example
 * ictCacheDir('/tmp/models') // '/tmp/models/ict-v2'
 */
export function ictCacheDir(modelsDir: string = defaultModelsDir()): string {
  return join(resolve(modelsDir), ICT_CACHE_DIRNAME);
}

/**
 * Load the ICT model `model: 'ict'` uses: the imported full cache in the models folder when it
 * exists (all 100 identity modes, float32), else the compact model bundled with the package
 * (`source: 'auto'`, the default). A present but damaged cache is not skipped: it throws
 * `MODEL_CACHE_INVALID` (re-import, or remove it). With `source: 'cache'` a missing cache throws
 * `MODEL_LOAD_FAILED` naming the import command, and an older one `MODEL_CACHE_INVALID`.
 *
 * @example
 * const ict = await loadIctModel();                                  // cache if imported, else bundled
 * const full = await loadIctModel({ modelsDir: '/data/models', source: 'cache' });
 * console.log(ict.origin, ict.identityNames.length);                 // 'bundled' 60
 */
export async function loadIctModel(options: LoadIctOptions = {}): Promise<IctModelData> {
  const source = options.source ?? 'auto';
  if (!(ICT_MODEL_SOURCES as readonly string[]).includes(source)) {
    throw new FaceDetailError('INVALID_OPTION', `source must be one of ${ICT_MODEL_SOURCES.map((m) => `'${m}'`).join(', ')}, got ${JSON.stringify(source)}`);
  }
  if (source === 'bundled') return loadBundledIctModel(options.bundledPath);
  const dir = ictCacheDir(options.modelsDir ?? defaultModelsDir());
  if (source === 'auto') {
    const present = await stat(join(dir, ICT_CACHE_FILES.header)).then((s) => s.isFile(), () => false);
    if (!present) {
      const older = await olderCacheVersion(dir);
      if (older !== undefined) {
        options.logger?.warn(`the ICT model cache in ${join(dir, '..', `ict-v${older}`)} is of an older format (version ${older}); using the bundled compact model. Re-run \`facedetail model import ict <FaceXModel folder>\` to use the full model`);
      }
      return loadBundledIctModel(options.bundledPath);
    }
  }
  return loadIctCache(dir, options.modelsDir);
}

/** The imported cache in `dir` (errors as {@link loadIctModel} with `source: 'cache'`). */
async function loadIctCache(dir: string, modelsDirOption: string | undefined): Promise<IctModelData> {
  const options = { modelsDir: modelsDirOption };
  const headerPath = join(dir, ICT_CACHE_FILES.header);
  const blobPath = join(dir, ICT_CACHE_FILES.blob);
  let headerText: string;
  let blob: Buffer;
  try {
    [headerText, blob] = await Promise.all([readFile(headerPath, 'utf8'), readFile(blobPath)]);
  } catch (cause) {
    if ((cause as { code?: string }).code === 'ENOENT') {
      const older = await olderCacheVersion(dir);
      if (older !== undefined) {
        throw new FaceDetailError('MODEL_CACHE_INVALID', `the ICT model cache in ${join(dir, '..', `ict-v${older}`)} is of an older format (version ${older}; this facedetail reads version ${ICT_CACHE_VERSION}, which adds the face-mesh correspondence); re-run \`facedetail model import ict <FaceXModel folder>\`${options.modelsDir === undefined ? '' : ` with --models-dir ${options.modelsDir}`}`, { cause });
      }
      throw new FaceDetailError('MODEL_LOAD_FAILED', `the ICT FaceKit model is not imported (no cache in ${dir}); run \`facedetail model import ict <FaceXModel folder>\` first${options.modelsDir === undefined ? '' : ` with --models-dir ${options.modelsDir}`}`, { cause });
    }
    throw new FaceDetailError('IO_ERROR', `cannot read the ICT model cache in ${dir}: ${(cause as Error).message}`, { cause });
  }
  let header: unknown;
  try {
    header = JSON.parse(headerText);
  } catch (cause) {
    throw new FaceDetailError('MODEL_CACHE_INVALID', `the ICT model cache header ${headerPath} is not valid JSON; re-run \`facedetail model import ict <FaceXModel folder>\``, { cause });
  }
  // A Buffer may share a pooled ArrayBuffer: give the parser its own, aligned one.
  const ab = blob.byteOffset === 0 && blob.byteLength === blob.buffer.byteLength
    ? (blob.buffer as ArrayBuffer)
    : blob.buffer.slice(blob.byteOffset, blob.byteOffset + blob.byteLength) as ArrayBuffer;
  return parseIctCache(header, ab);
}

/** The newest older cache version present beside `dir` (`ict-v<k>`, k < current), if any. */
async function olderCacheVersion(dir: string): Promise<number | undefined> {
  for (let k = ICT_CACHE_VERSION - 1; k >= 1; k--) {
    const old = join(dir, '..', `ict-v${k}`, ICT_CACHE_FILES.header);
    if (await stat(old).then((s) => s.isFile(), () => false)) return k;
  }
  return undefined;
}

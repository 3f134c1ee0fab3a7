/**
 * Reading the ICT FaceKit model cache from disk (written by `facedetail model import ict`).
 *
 * Location: `<models dir>/ict-v<version>/{header.json,model.bin}` (currently `ict-v2`), where the models dir is, first match:
 * the `modelsDir` option (CLI `--models-dir`), `$FACEDETAIL_MODELS_DIR`,
 * `$XDG_CACHE_HOME/facedetail/models`, `~/.cache/facedetail/models`.
 */
import { readFile, stat } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { FaceDetailError } from '../../core/errors.js';
import { ICT_CACHE_DIRNAME, ICT_CACHE_FILES, ICT_CACHE_VERSION, parseIctCache, type IctModelData } from '../../core/model/ict-cache.js';

/** Options of {@link loadIctModel}. */
export interface LoadIctOptions {
  /** Models folder (the cache is in its `ict-v2/` sub-folder). Default: {@link defaultModelsDir}. */
  modelsDir?: string;
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
 * Load and validate the ICT model cache. Throws `MODEL_LOAD_FAILED` when it is missing (with the
 * command that creates it) and `MODEL_CACHE_INVALID` when it is damaged or of another version.
 *
 * @example
 * const ict = await loadIctModel();            // default location
 * const ict2 = await loadIctModel({ modelsDir: '/data/models' });
 */
export async function loadIctModel(options: LoadIctOptions = {}): Promise<IctModelData> {
  const dir = ictCacheDir(options.modelsDir ?? defaultModelsDir());
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

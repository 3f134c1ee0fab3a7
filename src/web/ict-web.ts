/**
 * The ICT FaceKit model in the browser: the compact model bundled with the app
 * (`models/ict/ict-compact.bin`, the package's `models/ict/` copied into the build by
 * web/vite.config.ts; format in src/core/model/ict/ict-compact.ts), fetched once, on first use of
 * `model: 'ict'`, and parsed in the worker. Nothing is fetched from elsewhere.
 */
import { FaceDetailError, parseIctCompact, type IctModelData } from '../core/index.js';

/**
 * Fetch and parse the bundled ICT model. Errors: `MODEL_LOAD_FAILED` when it cannot be
 * downloaded (or this build has none), `MODEL_CACHE_INVALID` when the file is damaged.
 *
 * @example
 * const data = await loadWebIctModel(new URL('models/ict/ict-compact.bin', document.baseURI).href);
 */
export async function loadWebIctModel(url: string): Promise<IctModelData> {
  let res: Response;
  try {
    res = await fetch(url);
  } catch (cause) {
    throw new FaceDetailError('MODEL_LOAD_FAILED', `The ICT face model could not be downloaded (${(cause as Error).message}). Reload the page, or choose the face-mesh model.`, { cause });
  }
  if (!res.ok) {
    throw new FaceDetailError('MODEL_LOAD_FAILED', res.status === 404
      ? 'This build of the app has no ICT face model (models/ict/ict-compact.bin not found). Choose the face-mesh model.'
      : `The ICT face model could not be downloaded (HTTP ${res.status}). Reload the page, or choose the face-mesh model.`);
  }
  return parseIctCompact(new Uint8Array(await res.arrayBuffer()), 'models/ict/ict-compact.bin');
}

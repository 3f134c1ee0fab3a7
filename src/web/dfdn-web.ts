/**
 * The DFDN detail network in the browser: onnxruntime-web's WebAssembly backend inside the
 * pipeline worker, behind the core's {@link DetailNetwork} interface (the tiling, batching and
 * blending are the core's, shared with Node). The model (`models/dfdn/dfdn.onnx` + `dfdn.json`)
 * and onnxruntime's wasm binary are part of the build (web/vite.config.ts): nothing is fetched
 * from elsewhere. onnxruntime-web itself is imported on first use, so a page that never asks for
 * the network does not load it.
 */
import { FaceDetailError, parseDfdnMetadata, type DetailNetwork } from '../core/index.js';
import { wasmThreadCount } from './wasm-threads.js';

/** Where the model is served from (an absolute URL ending in '/'). */
export interface WebDfdnLocation {
  /** Folder of dfdn.onnx and dfdn.json, e.g. `https://host/app/models/dfdn/`. */
  modelBaseUrl: string;
}

async function fetchOk(url: string, what: string): Promise<Response> {
  let res: Response;
  try {
    res = await fetch(url);
  } catch (cause) {
    throw new FaceDetailError('MODEL_LOAD_FAILED', `The detail network's ${what} could not be downloaded (${(cause as Error).message}). Reload the page, or choose the shape-from-shading detail method.`, { cause });
  }
  if (!res.ok) {
    throw new FaceDetailError('MODEL_LOAD_FAILED', res.status === 404
      ? `This build of the app has no detail network (${what} not found). Choose the shape-from-shading detail method.`
      : `The detail network's ${what} could not be downloaded (HTTP ${res.status}). Reload the page, or choose the shape-from-shading detail method.`);
  }
  return res;
}

/**
 * Load the model and create its onnxruntime-web session (wasm backend). Errors:
 * `MODEL_LOAD_FAILED` when the files cannot be fetched, `MODEL_CACHE_INVALID` when they are not a
 * valid facedetail DFDN.
 *
 * @example
 * const net = await loadWebDfdnNetwork({ modelBaseUrl: new URL('models/dfdn/', base).href });
 */
export async function loadWebDfdnNetwork(where: WebDfdnLocation): Promise<DetailNetwork & { dispose(): Promise<void> }> {
  const [metaRes, modelRes] = await Promise.all([fetchOk(`${where.modelBaseUrl}dfdn.json`, 'metadata (dfdn.json)'), fetchOk(`${where.modelBaseUrl}dfdn.onnx`, 'model (dfdn.onnx)')]);
  let json: unknown;
  try {
    json = await metaRes.json();
  } catch (cause) {
    throw new FaceDetailError('MODEL_CACHE_INVALID', 'The detail network\'s metadata (dfdn.json) is not valid JSON: the build is damaged.', { cause });
  }
  const metadata = parseDfdnMetadata(json, 'models/dfdn/dfdn.json');
  const bytes = new Uint8Array(await modelRes.arrayBuffer());
  // The wasm-only bundle finds its binary next to itself (`new URL(…, import.meta.url)`), which
  // Vite emits into the build's assets/: served by the app's own server, no wasmPaths needed.
  const ort = await import('onnxruntime-web/wasm');
  // Threads need SharedArrayBuffer, i.e. a cross-origin-isolated page; otherwise one thread.
  ort.env.wasm.numThreads = wasmThreadCount();
  ort.env.wasm.proxy = false; // already in a worker
  let session: Awaited<ReturnType<typeof ort.InferenceSession.create>>;
  try {
    session = await ort.InferenceSession.create(bytes, { executionProviders: ['wasm'], graphOptimizationLevel: 'all' });
  } catch (cause) {
    throw new FaceDetailError('MODEL_CACHE_INVALID', `The detail network (dfdn.onnx) could not be loaded by onnxruntime-web (${(cause as Error).message}).`, { cause });
  }
  const { channels: C, patchSize: P, inputName, outputName } = metadata;
  if (!session.inputNames.includes(inputName) || !session.outputNames.includes(outputName)) {
    throw new FaceDetailError('MODEL_CACHE_INVALID', `The detail network has inputs [${session.inputNames.join(', ')}] and outputs [${session.outputNames.join(', ')}], but dfdn.json names "${inputName}" → "${outputName}".`);
  }
  return {
    metadata,
    async run(batch, n) {
      const data = batch.length === n * C * P * P ? batch : batch.slice(0, n * C * P * P);
      const out = (await session.run({ [inputName]: new ort.Tensor('float32', data, [n, C, P, P]) }))[outputName];
      if (out?.type !== 'float32') throw new FaceDetailError('MODEL_CACHE_INVALID', `The detail network did not return a float32 "${outputName}".`);
      const d = out.dims;
      if (d.length !== 4 || d[0] !== n || d[1] !== 1 || d[2] !== P || d[3] !== P) {
        throw new FaceDetailError('MODEL_CACHE_INVALID', `The detail network returned shape [${d.join(', ')}], expected [${n}, 1, ${P}, ${P}].`);
      }
      return out.data as Float32Array;
    },
    dispose: () => session.release(),
  };
}

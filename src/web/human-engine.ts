/**
 * The browser face analyser: Human's ESM browser bundle (tfjs inside) on the wasm backend, with
 * the models and wasm binaries served by this app (web/vite.config.ts copies them into the
 * build), handed to the analysis shared with Node (src/human/analyze-faces.ts: detection, our
 * sub-pixel face-mesh refinement, emotions). Works in a page or a worker.
 */
import type { GraphModel } from '@tensorflow/tfjs-converter';
import { Human } from '@vladmandic/human';
import { FaceDetailError, type Logger } from '../core/index.js';
import { createHumanFaceAnalyzer, type HumanAnalysisOptions, type HumanEngine, type HumanFaceAnalyzer, type Tfjs } from '../human/analyze-faces.js';
import { HUMAN_MODELS, humanDetectConfig, type HumanModelName } from '../human/config.js';

/** Where the app serves its runtime files (absolute URLs ending in `/`). */
export interface WebHumanEngineOptions {
  /** Folder URL with `blazeface.json`, `facemesh.json`, `emotion.json` and their weights. */
  modelBaseUrl: string;
  /** Folder URL with `tfjs-backend-wasm*.wasm`. */
  wasmBaseUrl: string;
  logger?: Logger;
}

/**
 * Loads Human on the wasm backend and the three models. Throws `MODEL_LOAD_FAILED` when a model
 * or the wasm backend does not load (Human itself only logs such failures).
 *
 * @example
 * const engine = await loadWebHumanEngine({ modelBaseUrl: new URL('models/', location.href).href, wasmBaseUrl: new URL('wasm/', location.href).href });
 */
export async function loadWebHumanEngine(options: WebHumanEngineOptions): Promise<HumanEngine> {
  const human = new Human({
    backend: 'wasm',
    wasmPath: options.wasmBaseUrl,
    wasmPlatformFetch: true,
    modelBasePath: options.modelBaseUrl,
    cacheModels: false, // the browser's HTTP cache keeps them; no IndexedDB copies
    debug: false,
    warmup: 'none',
    async: false,
    ...humanDetectConfig(1, 0.2), // load() then loads only the three models we run
  });
  try {
    await human.load();
  } catch (cause) {
    throw new FaceDetailError('MODEL_LOAD_FAILED', `the face-analysis models could not be loaded (${String(cause)}); reload the page`, { cause });
  }
  const tf = human.tf as unknown as Tfjs;
  if (tf.getBackend() !== 'wasm') {
    throw new FaceDetailError('MODEL_LOAD_FAILED', `the WebAssembly backend did not start (backend: ${String(tf.getBackend())}); this browser may not support WebAssembly`);
  }
  const models = {} as Record<HumanModelName, GraphModel>;
  for (const name of HUMAN_MODELS) {
    const m = human.models.models[name] as GraphModel | null | undefined;
    if (!m || !(m as unknown as { executor?: unknown }).executor) {
      throw new FaceDetailError('MODEL_LOAD_FAILED', `the face-analysis model ${name} could not be loaded from ${options.modelBaseUrl}; reload the page`);
    }
    models[name] = m;
  }
  options.logger?.debug(`web human: Human ${human.version}, tfjs ${tf.version_core} wasm`);
  let queue: Promise<unknown> = Promise.resolve();
  const run = <T>(fn: () => Promise<T>): Promise<T> => {
    const next = queue.then(fn, fn);
    queue = next.catch(() => undefined);
    return next;
  };
  return { human, tf, models, run };
}

/**
 * The browser {@link HumanFaceAnalyzer}: {@link loadWebHumanEngine} + the shared analysis.
 *
 * @example
 * const analyzer = await createWebHumanAnalyzer({ modelBaseUrl, wasmBaseUrl });
 * const faces = await analyzer.analyze(image); // largest first
 */
export async function createWebHumanAnalyzer(
  options: WebHumanEngineOptions & Partial<HumanAnalysisOptions>,
): Promise<HumanFaceAnalyzer> {
  const { modelBaseUrl, wasmBaseUrl, ...analysis } = options;
  const engine = await loadWebHumanEngine({ modelBaseUrl, wasmBaseUrl, ...(options.logger ? { logger: options.logger } : {}) });
  return createHumanFaceAnalyzer(engine, analysis, () => {
    for (const m of Object.values(engine.models)) m.dispose();
    engine.human.reset();
  });
}

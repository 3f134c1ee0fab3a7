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
import { wasmThreadCount } from './wasm-threads.js';

/** Where the app serves its runtime files (absolute URLs ending in `/`). */
export interface WebHumanEngineOptions {
  /** Folder URL with `blazeface.json`, `facemesh.json`, `emotion.json` and their weights. */
  modelBaseUrl: string;
  /** Folder URL with `tfjs-backend-wasm*.wasm`. */
  wasmBaseUrl: string;
  logger?: Logger;
}

/** tfjs's wasm backend as it started: threads (a cross-origin-isolated page) and SIMD. */
export interface WebTfjsWasm {
  /** `WASM_HAS_MULTITHREAD_SUPPORT`: the threaded SIMD binary (`tfjs-backend-wasm-threaded-simd.wasm`) was used. */
  multithread: boolean;
  /** `WASM_HAS_SIMD_SUPPORT`. */
  simd: boolean;
  /** `getThreadsCount()`: 1 without threads. */
  threads: number;
}

/** A {@link HumanEngine} on tfjs's wasm backend. */
export interface WebHumanEngine extends HumanEngine {
  wasm: WebTfjsWasm;
}

/** tfjs-backend-wasm's thread controls, on the namespace Human's bundle exposes as `human.tf`. */
interface TfjsWasmThreads {
  setThreadsCount(n: number): void;
  getThreadsCount(): number;
}

/**
 * Loads Human on the wasm backend and the four models. tfjs picks the threaded SIMD binary by
 * itself where the page is cross-origin isolated (`WASM_HAS_MULTITHREAD_SUPPORT`); the thread
 * count is set here ({@link wasmThreadCount}), before the backend starts. Throws `MODEL_LOAD_FAILED` when a model
 * or the wasm backend does not load (Human itself only logs such failures).
 *
 * @example
 * const engine = await loadWebHumanEngine({ modelBaseUrl: new URL('models/', location.href).href, wasmBaseUrl: new URL('wasm/', location.href).href });
 */
export async function loadWebHumanEngine(options: WebHumanEngineOptions): Promise<WebHumanEngine> {
  const human = new Human({
    backend: 'wasm',
    wasmPath: options.wasmBaseUrl,
    wasmPlatformFetch: true,
    modelBasePath: options.modelBaseUrl,
    cacheModels: false, // the browser's HTTP cache keeps them; no IndexedDB copies
    debug: false,
    warmup: 'none',
    async: false,
    ...humanDetectConfig(1, 0.2), // load() then loads only the four models we run
  });
  const threads = human.tf as unknown as TfjsWasmThreads;
  // Read once, when the backend starts in load(); tfjs caps it at hardwareConcurrency / 2 itself
  // (so 1 on a 2-core machine), getThreadsCount() below says what it took.
  threads.setThreadsCount(wasmThreadCount());
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
  const wasm: WebTfjsWasm = {
    multithread: (await tf.env().getAsync('WASM_HAS_MULTITHREAD_SUPPORT')) === true,
    simd: (await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT')) === true,
    threads: threads.getThreadsCount(),
  };
  options.logger?.debug(`web human: Human ${human.version}, tfjs ${tf.version_core} wasm (${wasm.simd ? 'simd' : 'no simd'}, ${wasm.multithread ? `${wasm.threads} threads` : 'single-threaded'})`);
  let queue: Promise<unknown> = Promise.resolve();
  const run = <T>(fn: () => Promise<T>): Promise<T> => {
    const next = queue.then(fn, fn);
    queue = next.catch(() => undefined);
    return next;
  };
  return { human, tf, models, run, wasm };
}

/**
 * The browser {@link HumanFaceAnalyzer}: {@link loadWebHumanEngine} + the shared analysis.
 *
 * @example
 * const analyzer = await createWebHumanAnalyzer({ modelBaseUrl, wasmBaseUrl });
 * const faces = await analyzer.analyze(image); // largest first
 * analyzer.wasm.threads; // > 1 where the page is cross-origin isolated
 */
export async function createWebHumanAnalyzer(
  options: WebHumanEngineOptions & Partial<HumanAnalysisOptions>,
): Promise<HumanFaceAnalyzer & { wasm: WebTfjsWasm }> {
  const { modelBaseUrl, wasmBaseUrl, ...analysis } = options;
  const engine = await loadWebHumanEngine({ modelBaseUrl, wasmBaseUrl, ...(options.logger ? { logger: options.logger } : {}) });
  const analyzer = createHumanFaceAnalyzer(engine, analysis, () => {
    for (const m of Object.values(engine.models)) m.dispose();
    engine.human.reset();
  });
  return Object.assign(analyzer, { wasm: engine.wasm });
}

/**
 * How many threads the two WebAssembly backends (tfjs for the face analysis, onnxruntime-web for
 * the detail network) run on. Threads need SharedArrayBuffer, which a page has only when it is
 * cross-origin isolated: served with `Cross-Origin-Opener-Policy: same-origin` and
 * `Cross-Origin-Embedder-Policy: require-corp` (the dev and preview servers send them; README
 * "Hosting the web app"). Without them both backends run single-threaded, a bit slower, same
 * results.
 */

/** What the worker found and chose (reported with `ready`, shown in the page's debug log). */
export interface WasmThreading {
  /** `crossOriginIsolated` of the worker (a dedicated worker inherits the page's). */
  isolated: boolean;
  /** tfjs's `WASM_HAS_MULTITHREAD_SUPPORT` (SharedArrayBuffer + wasm threads available). */
  multithread: boolean;
  /** tfjs's `WASM_HAS_SIMD_SUPPORT`. */
  simd: boolean;
  /** Threads tfjs's wasm backend runs on (`tf.getThreadsCount()`). */
  tfjsThreads: number;
  /** Threads onnxruntime-web is asked for (`env.wasm.numThreads`). */
  ortThreads: number;
}

/** At most this many threads (onnxruntime-web's own default caps at 4 too): the models are small. */
const MAX_THREADS = 4;

/**
 * Threads for a wasm backend here: `min(4, navigator.hardwareConcurrency)` when cross-origin
 * isolated, else 1.
 *
 * @example
 * ort.env.wasm.numThreads = wasmThreadCount(); // 1 on a host without COOP/COEP
 */
export function wasmThreadCount(): number {
  const isolated = (globalThis as { crossOriginIsolated?: boolean }).crossOriginIsolated === true;
  return isolated ? Math.max(1, Math.min(MAX_THREADS, navigator.hardwareConcurrency || 1)) : 1;
}

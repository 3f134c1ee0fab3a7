/**
 * Loading the Human library (@vladmandic/human, wasm build) in Node with every file read from
 * node_modules: model JSON/weights through a tfjs IO router, the wasm binaries through
 * Emscripten's own `fs` reader. One Human instance per process, shared by reference count
 * (Human keeps its loaded models and caches in module-level variables, so two instances would
 * share — and one's disposal would break — the other's models).
 */
import { accessSync, constants as fsConstants, readFileSync, statSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import type { Human } from '@vladmandic/human';
import type { GraphModel } from '@tensorflow/tfjs-converter';
import { FaceDetailError } from '../../core/errors.js';
import type { Logger } from '../../core/platform.js';
import type { HumanEngine, Tfjs } from '../../human/analyze-faces.js';
import { HUMAN_MODELS, humanDetectConfig, type HumanModelName } from '../../human/config.js';

const require = createRequire(import.meta.url);

/** URL scheme of the IO router that reads model files from disk (Node's fetch has no file://). */
const SCHEME = 'facedetail-file://';

/** The Node {@link HumanEngine}: the shared analysis's engine plus the folder its models came from. */
export interface HumanRuntime extends HumanEngine {
  modelDir: string;
}

interface Shared {
  modelDir: string;
  refs: number;
  runtime: Promise<HumanRuntime>;
}

let shared: Shared | undefined;
/** Settles when the last release's teardown is done; a new load waits for it. */
let releasing: Promise<void> = Promise.resolve();
let routerRegistered = false;

/** Folder of the installed @vladmandic/human package. */
function humanPackageDir(): string {
  try {
    // The package's `exports` map exports no './package.json' and its keys lack the './'
    // prefix; resolving the main entry (dist/human.node.js, never loaded) works.
    return dirname(dirname(require.resolve('@vladmandic/human')));
  } catch (cause) {
    throw new FaceDetailError('DEPENDENCY_MISSING', '@vladmandic/human is not installed — run `npm ci`', { cause });
  }
}

/** Default model folder: the models shipped in the @vladmandic/human npm package. */
export function defaultHumanModelDir(): string {
  return join(humanPackageDir(), 'models');
}

/**
 * Checks that every model file (JSON and the weight files its manifest names) exists, is
 * readable, parses and has the byte size the manifest implies, before Human is asked to load
 * them (Human only logs load failures). Throws `MODEL_LOAD_FAILED` naming the file.
 */
function checkHumanModelFiles(modelDir: string, names: readonly string[] = HUMAN_MODELS): void {
  for (const name of names) {
    const jsonPath = join(modelDir, `${name}.json`);
    let manifest: unknown;
    try {
      manifest = (JSON.parse(readFileSync(jsonPath, 'utf8')) as { weightsManifest?: unknown }).weightsManifest;
    } catch (cause) {
      throw modelError(jsonPath, cause);
    }
    if (!Array.isArray(manifest)) throw modelError(jsonPath, new Error('no weightsManifest in the model JSON'));
    for (const group of manifest as { paths?: unknown; weights?: unknown }[]) {
      const paths = (Array.isArray(group.paths) ? group.paths : []).map((p) => join(modelDir, String(p)));
      let bytes = 0;
      for (const weightPath of paths) {
        try {
          accessSync(weightPath, fsConstants.R_OK);
          bytes += statSync(weightPath).size;
        } catch (cause) {
          throw modelError(weightPath, cause);
        }
      }
      const expected = manifestBytes(group.weights);
      if (paths.length > 0 && expected !== undefined && bytes !== expected) {
        throw modelError(paths.join(' + '), new Error(`${bytes} bytes, the model JSON needs ${expected}`));
      }
    }
  }
}

/** Bytes a weights-manifest group's entries occupy, or undefined when a dtype is unknown. */
function manifestBytes(weights: unknown): number | undefined {
  const size: Record<string, number> = { float32: 4, int32: 4, bool: 1, uint8: 1, uint16: 2, float16: 2 };
  let total = 0;
  for (const w of Array.isArray(weights) ? (weights as { shape?: number[]; dtype?: string; quantization?: { dtype?: string } }[]) : []) {
    const per = size[w.quantization?.dtype ?? w.dtype ?? ''];
    if (per === undefined) return undefined;
    total += (w.shape ?? []).reduce((a, b) => a * b, 1) * per;
  }
  return total;
}

function modelError(path: string, cause: unknown): FaceDetailError {
  const why = cause instanceof Error ? cause.message : String(cause);
  return new FaceDetailError(
    'MODEL_LOAD_FAILED',
    `cannot load face-analysis model file ${path} (${why}) — run \`npm ci\` to reinstall @vladmandic/human`,
    { cause },
  );
}

/**
 * Acquires the process-wide Human runtime (loading it on first use). Every successful call
 * must be paired with one {@link releaseHumanRuntime}.
 */
export async function acquireHumanRuntime(modelDir: string, logger?: Logger): Promise<HumanRuntime> {
  const dir = resolve(modelDir);
  checkHumanModelFiles(dir);
  if (shared && shared.modelDir !== dir) {
    throw new FaceDetailError(
      'INVALID_OPTION',
      `modelDir: another face analyser in this process uses ${shared.modelDir}; dispose it before loading models from ${dir}`,
    );
  }
  if (!shared) {
    const entry: Shared = { modelDir: dir, refs: 0, runtime: releasing.then(() => loadRuntime(dir, logger)) };
    shared = entry;
    entry.runtime.catch(() => { if (shared === entry) shared = undefined; });
  }
  const entry = shared;
  entry.refs++;
  try {
    return await entry.runtime;
  } catch (e) {
    entry.refs--;
    throw e;
  }
}

/**
 * Releases one reference. The last one disposes the model weights, resets Human's module
 * state and resets the tfjs engine, which frees the wasm backend's memory (this adapter owns
 * tfjs in the process: Human makes the wasm backend the global one). A later acquire starts
 * afresh.
 */
export async function releaseHumanRuntime(runtime: HumanRuntime): Promise<void> {
  const entry = shared;
  if (!entry || (await entry.runtime.catch(() => undefined)) !== runtime) return;
  entry.refs--;
  if (entry.refs > 0) return;
  shared = undefined;
  releasing = runtime.run(async () => teardown(runtime.human, runtime.tf));
  await releasing;
}

/** Frees the models, Human's module state and the tfjs engine (see {@link releaseHumanRuntime}). */
function teardown(human: Human, tf: Tfjs): void {
  for (const model of Object.values(human.models.models) as (GraphModel | null)[]) {
    // GraphModel.dispose() throws on a model whose load failed (no executor).
    if (model && (model as unknown as { executor?: unknown }).executor) model.dispose();
  }
  human.reset(); // env.initial = true: the next load re-initialises the backend and reloads models
  tf.engine().reset();
}

async function loadRuntime(modelDir: string, logger?: Logger): Promise<HumanRuntime> {
  const humanDir = humanPackageDir();
  const wasmDir = wasmBinaryDir();

  let tf: Tfjs;
  let HumanClass: typeof Human;
  try {
    tf = require('@tensorflow/tfjs-core') as Tfjs;
    // Loaded by file path: the package's exports map has no usable entry for it.
    HumanClass = (require(join(humanDir, 'dist/human.node-wasm.js')) as { Human: typeof Human }).Human;
  } catch (cause) {
    throw new FaceDetailError('DEPENDENCY_MISSING', `cannot load @vladmandic/human / tfjs (${String(cause)}) — run \`npm ci\``, { cause });
  }
  registerFileRouter(tf);

  const human = new HumanClass({
    backend: 'wasm',
    wasmPath: wasmDir + '/',
    wasmPlatformFetch: false, // Emscripten reads the .wasm with fs in Node
    modelBasePath: SCHEME + modelDir + '/',
    cacheModels: false,
    debug: false,
    warmup: 'none',
    async: false,
    ...humanDetectConfig(1, 0.2), // so that load() loads only the four models we run
  });
  const models = {} as Record<HumanModelName, GraphModel>;
  try {
    const before = fileRouterErrors.length;
    await human.load();
    const loadErrors = fileRouterErrors.splice(before);
    if (tf.getBackend() !== 'wasm') {
      throw new FaceDetailError('DEPENDENCY_MISSING', `tfjs wasm backend did not start (backend: ${tf.getBackend()}) — run \`npm ci\``);
    }
    for (const name of HUMAN_MODELS) {
      const m = human.models.models[name] as GraphModel | null | undefined;
      // A GraphModel whose load failed exists but has no executor (Human only logs the error).
      if (!m || !(m as unknown as { executor?: unknown }).executor) {
        throw modelError(join(modelDir, `${name}.json`), new Error(loadErrors.join('; ') || 'Human could not load it'));
      }
      models[name] = m;
    }
  } catch (e) {
    teardown(human, tf);
    throw e;
  }
  logger?.debug(`human-analyzer: Human ${human.version} on tfjs ${tf.version_core} wasm, models from ${modelDir}`);

  let queue: Promise<unknown> = Promise.resolve();
  const run = <T>(fn: () => Promise<T>): Promise<T> => {
    const next = queue.then(fn, fn);
    queue = next.catch(() => undefined);
    return next;
  };
  return { human, tf, modelDir, models, run };
}

function wasmBinaryDir(): string {
  let dir: string;
  try {
    dir = dirname(require.resolve('@tensorflow/tfjs-backend-wasm')); // .../dist/tf-backend-wasm.node.js
  } catch (cause) {
    throw new FaceDetailError('DEPENDENCY_MISSING', '@tensorflow/tfjs-backend-wasm is not installed — run `npm ci`', { cause });
  }
  for (const f of ['tfjs-backend-wasm.wasm', 'tfjs-backend-wasm-simd.wasm']) {
    try {
      accessSync(join(dir, f), fsConstants.R_OK);
    } catch (cause) {
      throw new FaceDetailError('DEPENDENCY_MISSING', `tfjs wasm binary ${join(dir, f)} is missing — run \`npm ci\``, { cause });
    }
  }
  return dir;
}

/** Errors met by the file router since the last look (Human swallows them). */
const fileRouterErrors: string[] = [];

/**
 * Registers (once per process) a tfjs load router for `facedetail-file://<absolute path>.json`
 * URLs that reads the model JSON and its weight files from disk.
 */
function registerFileRouter(tf: Tfjs): void {
  if (routerRegistered) return;
  routerRegistered = true;
  type Router = Parameters<Tfjs['io']['registerLoadRouter']>[0];
  const router = (url: string | string[]): import('@tensorflow/tfjs-core').io.IOHandler | null => {
    if (typeof url !== 'string' || !url.startsWith(SCHEME)) return null;
    const jsonPath = url.slice(SCHEME.length);
    return {
      load: async () => {
        try {
          const json = JSON.parse(await readFile(jsonPath, 'utf8')) as import('@tensorflow/tfjs-core').io.ModelJSON;
          return await tf.io.getModelArtifactsForJSON(json, async (groups) => {
            const specs: import('@tensorflow/tfjs-core').io.WeightsManifestEntry[] = [];
            const buffers: Buffer[] = [];
            for (const g of groups) {
              specs.push(...g.weights);
              for (const p of g.paths) buffers.push(await readFile(join(dirname(jsonPath), p)));
            }
            const all = Buffer.concat(buffers);
            return [specs, all.buffer.slice(all.byteOffset, all.byteOffset + all.byteLength) as ArrayBuffer];
          });
        } catch (e) {
          fileRouterErrors.push(`${jsonPath}: ${e instanceof Error ? e.message : String(e)}`);
          throw e;
        }
      },
    };
  };
  // tfjs's IORouter type omits the `null` every router returns for URLs it does not handle.
  tf.io.registerLoadRouter(router as Router);
}

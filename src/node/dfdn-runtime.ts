/**
 * The DFDN detail network in Node: onnxruntime-node (its bundled CPU build; `.npmrc` sets
 * `onnxruntime-node-install=skip` so installing never downloads anything) behind the core's
 * {@link DetailNetwork} interface. The model ships with the package in `models/dfdn/`
 * (`dfdn.onnx` + `dfdn.json`), found relative to this module so it works from `src/` (tsx),
 * `dist/` and an installed package alike.
 */
import './no-telemetry.js'; // before onnxruntime-node can load (see no-telemetry.ts)
import { readFile, stat } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseDfdnMetadata, type DetailNetwork, type DfdnMetadata } from '../core/detail/dfdn.js';
import { FaceDetailError } from '../core/errors.js';

/** Options of {@link loadDfdnNetwork}. */
export interface DfdnRuntimeOptions {
  /** Folder holding `dfdn.onnx` and `dfdn.json`. Default {@link defaultDfdnModelDir}. @example { modelDir: 'models/dfdn' } */
  modelDir?: string;
  /** Intra-op threads of the ONNX session. Default: the available cores. @example { threads: 2 } */
  threads?: number;
}

/** A loaded network; `dispose()` releases the ONNX session. */
export interface NodeDetailNetwork extends DetailNetwork {
  /** Folder the model was loaded from. */
  readonly modelDir: string;
  dispose(): Promise<void>;
}

/**
 * Where the DFDN model is read from: `$FACEDETAIL_DFDN_DIR` when set, else the package's own
 * `models/dfdn/` (two levels above this module, in `src/node/` and `dist/node/` alike).
 *
 * @example
 * defaultDfdnModelDir() // '/…/node_modules/facedetail/models/dfdn'
 */
export function defaultDfdnModelDir(): string {
  const env = process.env['FACEDETAIL_DFDN_DIR'];
  if (env !== undefined && env !== '') return resolve(env);
  return join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'models', 'dfdn');
}

/**
 * Load the DFDN model and create its ONNX session (once; reuse it for every photo).
 * Errors: `MODEL_LOAD_FAILED` when the files are missing, `MODEL_CACHE_INVALID` when the
 * metadata or the ONNX file is damaged or does not match the contract, `DEPENDENCY_MISSING`
 * when onnxruntime-node is not installed.
 *
 * @example
 * const net = await loadDfdnNetwork({ threads: 2 });
 * const { displacement } = await runDfdn(detailInput, net);
 * await net.dispose();
 */
export async function loadDfdnNetwork(options: DfdnRuntimeOptions = {}): Promise<NodeDetailNetwork> {
  const dir = resolve(options.modelDir ?? defaultDfdnModelDir());
  const onnxPath = join(dir, 'dfdn.onnx'), jsonPath = join(dir, 'dfdn.json');
  for (const f of [jsonPath, onnxPath]) {
    try {
      if (!(await stat(f)).isFile()) throw new Error('not a file');
    } catch (cause) {
      throw new FaceDetailError('MODEL_LOAD_FAILED', `the DFDN detail model is missing: ${f} not found. It ships with facedetail in models/dfdn/ (reinstall the package, or set FACEDETAIL_DFDN_DIR to a folder with dfdn.onnx and dfdn.json); use --detail sfs meanwhile`, { cause });
    }
  }
  let json: unknown;
  try {
    json = JSON.parse(await readFile(jsonPath, 'utf8'));
  } catch (cause) {
    throw new FaceDetailError('MODEL_CACHE_INVALID', `the DFDN model metadata ${jsonPath} is not valid JSON; reinstall facedetail or replace ${dir}`, { cause });
  }
  const metadata = parseDfdnMetadata(json, jsonPath);
  let ort: typeof import('onnxruntime-node');
  try {
    ort = await import('onnxruntime-node');
  } catch (cause) {
    throw new FaceDetailError('DEPENDENCY_MISSING', `detail 'dfdn' needs onnxruntime-node: npm install onnxruntime-node (${(cause as Error).message})`, { cause });
  }
  const threads = options.threads ?? availableParallelism();
  let session: import('onnxruntime-node').InferenceSession;
  try {
    session = await ort.InferenceSession.create(await readFile(onnxPath), {
      intraOpNumThreads: threads, interOpNumThreads: 1, graphOptimizationLevel: 'all', executionMode: 'sequential',
      // No busy-waiting of the pool's threads after a run: they would take the cores from the
      // tiling and blending on the JS thread between network calls.
      extra: { session: { intra_op: { allow_spinning: '0' } } },
    });
  } catch (cause) {
    throw new FaceDetailError('MODEL_CACHE_INVALID', `the DFDN model ${onnxPath} could not be loaded by onnxruntime (${(cause as Error).message}); reinstall facedetail or replace ${dir}`, { cause });
  }
  checkSessionNames(session.inputNames, session.outputNames, metadata, onnxPath);
  return createOrtNetwork(metadata, dir, session, ort.Tensor);
}

/** The graph must have the input and output the metadata names (the web adapter checks the same). */
function checkSessionNames(inputs: readonly string[], outputs: readonly string[], m: DfdnMetadata, source: string): void {
  if (!inputs.includes(m.inputName) || !outputs.includes(m.outputName)) {
    throw new FaceDetailError('MODEL_CACHE_INVALID', `the DFDN model ${source} has inputs [${inputs.join(', ')}] and outputs [${outputs.join(', ')}], but dfdn.json names "${m.inputName}" → "${m.outputName}"; the two files do not belong together`);
  }
}

function createOrtNetwork(
  metadata: DfdnMetadata, modelDir: string, session: import('onnxruntime-node').InferenceSession, Tensor: typeof import('onnxruntime-node').Tensor,
): NodeDetailNetwork {
  const { channels: C, patchSize: P, inputName, outputName } = metadata;
  let disposed = false;
  return {
    metadata,
    modelDir,
    async run(batch, n) {
      if (disposed) throw new FaceDetailError('DISPOSED', 'this DFDN network was disposed; load it again');
      const input = new Tensor('float32', batch.length === n * C * P * P ? batch : batch.subarray(0, n * C * P * P), [n, C, P, P]);
      const out = (await session.run({ [inputName]: input }))[outputName];
      if (out?.type !== 'float32') throw new FaceDetailError('MODEL_CACHE_INVALID', `the DFDN model did not return a float32 "${outputName}"`);
      const dims = out.dims;
      if (dims.length !== 4 || dims[0] !== n || dims[1] !== 1 || dims[2] !== P || dims[3] !== P) {
        throw new FaceDetailError('MODEL_CACHE_INVALID', `the DFDN model returned shape [${dims.join(', ')}], expected [${n}, 1, ${P}, ${P}]`);
      }
      return out.data as Float32Array;
    },
    async dispose() {
      if (disposed) return;
      disposed = true;
      await session.release();
    },
  };
}

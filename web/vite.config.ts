/**
 * Vite configuration of the facedetail web app (`npm run web` serves it, `npm run build:web`
 * writes static files to dist-web/). Everything the app needs at run time is part of the build:
 * Human's four models (blazeface, facemesh, emotion, iris) under `models/`, the tfjs wasm binaries
 * under `wasm/`, copied from node_modules, onnxruntime-web's wasm binary under `assets/` (emitted
 * by Vite itself from the `new URL(…, import.meta.url)` in onnxruntime-web's wasm bundle: copying
 * it as well would ship it twice), and the detail network (DFDN) under
 * `models/dfdn/` from the repository's `models/dfdn/` (or `$FACEDETAIL_DFDN_DIR`; left out, with
 * a warning, when absent: the app then offers only the shape-from-shading detail), and the
 * compact ICT FaceKit model under `models/ict/` from the repository's `models/ict/` — no CDN,
 * nothing fetched from elsewhere.
 *
 * Both servers send {@link ISOLATION_HEADERS}, which make the page cross-origin isolated: the
 * wasm backends (tfjs, onnxruntime-web) then run on several threads (SharedArrayBuffer). A host
 * without them gets the single-threaded fallback (README "Hosting the web app").
 */
import { createHash } from 'node:crypto';
import { createReadStream, existsSync, readFileSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { defineConfig, type Plugin } from 'vite';

const here = dirname(fileURLToPath(import.meta.url));
const repo = resolve(here, '..');
const require = createRequire(join(repo, 'package.json'));
const humanDir = dirname(dirname(require.resolve('@vladmandic/human'))); // .../node_modules/@vladmandic/human
const wasmDir = dirname(require.resolve('@tensorflow/tfjs-backend-wasm')); // .../dist
/** The detail network's folder (dfdn.onnx + dfdn.json). */
const dfdnDir = resolve(process.env['FACEDETAIL_DFDN_DIR'] || join(repo, 'models', 'dfdn'));
/** The bundled compact ICT FaceKit model (models/ict/, made by `npm run build:ict-model`). */
const ictFile = join(repo, 'models', 'ict', 'ict-compact.bin');
const version = (JSON.parse(readFileSync(join(repo, 'package.json'), 'utf8')) as { version: string }).version;

/** The models the analysis runs (src/human/config.ts HUMAN_MODELS). */
const MODELS = ['blazeface', 'facemesh', 'emotion', 'iris'];
const WASM = ['tfjs-backend-wasm.wasm', 'tfjs-backend-wasm-simd.wasm', 'tfjs-backend-wasm-threaded-simd.wasm'];

/** Served path (relative to the app's base) → file on disk. */
function runtimeAssets(): Map<string, string> {
  const out = new Map<string, string>();
  for (const name of MODELS) {
    const json = join(humanDir, 'models', `${name}.json`);
    out.set(`models/${name}.json`, json);
    const manifest = (JSON.parse(readFileSync(json, 'utf8')) as { weightsManifest: { paths: string[] }[] }).weightsManifest;
    for (const group of manifest) for (const p of group.paths) out.set(`models/${p}`, join(humanDir, 'models', p));
  }
  for (const f of WASM) out.set(`wasm/${f}`, join(wasmDir, f));
  if (existsSync(join(dfdnDir, 'dfdn.onnx')) && existsSync(join(dfdnDir, 'dfdn.json'))) {
    for (const f of ['dfdn.onnx', 'dfdn.json']) out.set(`models/dfdn/${f}`, join(dfdnDir, f));
  } else {
    console.warn(`facedetail web build: no detail network in ${dfdnDir} (dfdn.onnx + dfdn.json); the 'dfdn' detail methods will report it`);
  }
  if (existsSync(ictFile)) out.set('models/ict/ict-compact.bin', ictFile);
  else console.warn(`facedetail web build: no bundled ICT model at ${ictFile}; the 'ict' face model will report it`);
  return out;
}

/**
 * Cross-origin isolation (`crossOriginIsolated`, hence SharedArrayBuffer and wasm threads). The
 * app loads nothing from another origin (its workers, models and wasm are its own; downloads and
 * the tfjs thread workers are blob: URLs), so `require-corp` blocks nothing.
 */
const ISOLATION_HEADERS = { 'Cross-Origin-Opener-Policy': 'same-origin', 'Cross-Origin-Embedder-Policy': 'require-corp' } as const;

const MIME: Record<string, string> = { '.json': 'application/json', '.bin': 'application/octet-stream', '.wasm': 'application/wasm', '.onnx': 'application/octet-stream' };

const assets = runtimeAssets();

/**
 * The app's version and a hash of the runtime assets, e.g. `0.1.0+3fa2c1d9`: the worker's model
 * cache (src/web/model-cache.ts) is named after it, so a retrained model or a tfjs update is
 * downloaded again even when the version stays.
 */
function modelsVersion(): string {
  const h = createHash('sha256');
  for (const [path, file] of [...assets].sort(([a], [b]) => a.localeCompare(b))) h.update(path).update('\0').update(readFileSync(file));
  return `${version}+${h.digest('hex').slice(0, 8)}`;
}

/** Serves the runtime assets in dev and emits them into the build. */
function facedetailAssets(): Plugin {
  return {
    name: 'facedetail-assets',
    configureServer(server) {
      server.middlewares.use((req, res, next) => {
        const path = decodeURIComponent((req.url ?? '').split('?')[0] ?? '').replace(/^\/+/, '');
        const file = assets.get(path);
        if (!file) return next();
        for (const [k, v] of Object.entries(ISOLATION_HEADERS)) res.setHeader(k, v); // Vite adds server.headers only to its own responses
        res.setHeader('Content-Type', MIME[file.slice(file.lastIndexOf('.'))] ?? 'application/octet-stream');
        res.setHeader('Content-Length', String(statSync(file).size));
        createReadStream(file).pipe(res);
      });
    },
    generateBundle() {
      for (const [fileName, file] of assets) this.emitFile({ type: 'asset', fileName, source: readFileSync(file) });
    },
  };
}

export default defineConfig({
  root: here,
  base: './', // relocatable: the static build works from any folder or sub-path
  publicDir: false,
  define: { __FACEDETAIL_VERSION__: JSON.stringify(version), __FACEDETAIL_MODELS_VERSION__: JSON.stringify(modelsVersion()) },
  resolve: {
    // Human's exports map has no './'-prefixed keys; name its browser ESM bundle (tfjs inside) directly.
    alias: { '@vladmandic/human': join(humanDir, 'dist/human.esm.js') },
  },
  plugins: [facedetailAssets()],
  worker: { format: 'es', plugins: () => [] },
  // Not pre-bundled in dev: the pre-bundle would lose onnxruntime-web's wasm next to its module.
  optimizeDeps: { exclude: ['onnxruntime-web'] },
  server: { host: '127.0.0.1', port: 5173, fs: { allow: [repo] }, headers: ISOLATION_HEADERS },
  preview: { host: '127.0.0.1', port: 4173, headers: ISOLATION_HEADERS },
  build: {
    outDir: join(repo, 'dist-web'),
    emptyOutDir: true,
    target: 'es2022',
    chunkSizeWarningLimit: 4096, // Human's bundle (tfjs inside) is ~2 MB by itself
  },
});

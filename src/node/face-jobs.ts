/**
 * The per-face jobs (`FaceJobs`) on one Node worker thread, so the proxy's visibility, the
 * texture's membrane fill, the light the proxy blocks and the albedo are computed on the second core while the main thread
 * unwraps the photo, fits the lighting and builds the detailed mesh. One thread per reconstructor,
 * started on first use, unreferenced while idle (a process that forgets `dispose()` still exits),
 * terminated by `dispose()`. The job's arrays are copied to the thread (the pipeline still
 * reads them); the results come back transferred. The results are the inline function's, bit
 * for bit: the same code runs on the same floats.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { FaceDetailError, type FaceDetailErrorCode } from '../core/errors.js';
import type { BlockedShadingJob, FinalAlbedo, FinalAlbedoJob } from '../core/lighting/final-albedo.js';
import type { OcclusionField } from '../core/lighting/visibility.js';
import type { FaceJobs, OcclusionJob } from '../core/pipeline/face-jobs.js';
import type { MembraneJob } from '../core/unwrap/fill.js';
import type { FaceJobMessage, FaceJobReply } from './face-jobs-worker.js';

/** {@link FaceJobs} on a worker thread, with `dispose()`. */
export interface WorkerFaceJobs extends FaceJobs {
  /** Start the thread now (it loads its modules while the caller loads models) instead of on the first job; still unreferenced while idle. */
  prestart(): void;
  dispose(): Promise<void>;
}

/**
 * The worker's entry: the built `face-jobs-worker.js` beside this module (the package), else the
 * TypeScript source run through tsx (development, tests, benches).
 */
function startWorker(): Worker {
  const js = new URL('./face-jobs-worker.js', import.meta.url);
  if (existsSync(fileURLToPath(js))) return new Worker(js);
  const ts = new URL('./face-jobs-worker.ts', import.meta.url);
  // tsx's ESM API (its package's `./esm/api` import export; `import.meta.resolve` is missing under vitest) registers its loader in the thread.
  const pkgFile = createRequire(import.meta.url).resolve('tsx/package.json');
  const pkg = JSON.parse(readFileSync(pkgFile, 'utf8')) as { exports: Record<string, { import: { default: string } }> };
  const api = pathToFileURL(join(dirname(pkgFile), pkg.exports['./esm/api']!.import.default)).href;
  return new Worker(`import(${JSON.stringify(api)}).then((m) => { m.register(); return import(${JSON.stringify(ts.href)}); })`, { eval: true });
}

/**
 * @example
 * const jobs = createWorkerFaceJobs();
 * const albedo = await jobs.finalAlbedo(job); // on the worker thread
 * await jobs.dispose();
 */
export function createWorkerFaceJobs(): WorkerFaceJobs {
  let worker: Worker | undefined;
  let nextId = 0;
  const pending = new Map<number, { resolve: (r: never) => void; reject: (e: Error) => void }>();
  const failAll = (e: Error): void => {
    for (const p of pending.values()) p.reject(e);
    pending.clear();
    worker = undefined;
  };
  const get = (): Worker => {
    if (worker) return worker;
    const w = startWorker();
    w.on('message', (m: FaceJobReply) => {
      const p = pending.get(m.id);
      if (!p) return;
      pending.delete(m.id);
      if (pending.size === 0) w.unref();
      if (m.ok) p.resolve(m.result as never);
      else p.reject(new FaceDetailError((m.code as FaceDetailErrorCode | undefined) ?? 'INTERNAL', m.message));
    });
    w.on('error', (e) => failAll(new FaceDetailError('INTERNAL', `the face-jobs worker thread failed: ${e.message}`)));
    w.on('exit', (code) => { if (worker === w) failAll(new FaceDetailError('INTERNAL', `the face-jobs worker thread exited (code ${code})`)); });
    w.unref();
    return (worker = w);
  };
  const post = <R>(message: Omit<FaceJobMessage, 'id'>): Promise<R> => {
    const w = get();
    const id = nextId++;
    return new Promise<R>((resolve, reject) => {
      pending.set(id, { resolve: resolve as (r: never) => void, reject });
      w.ref();
      w.postMessage({ ...message, id } as FaceJobMessage);
    });
  };
  return {
    occlusion: (job: OcclusionJob) => post<OcclusionField>({ kind: 'occlusion', job }),
    membrane: (job: MembraneJob) => post<Float32Array>({ kind: 'membrane', job }),
    prestart() { get(); },
    blockedShading: (job: BlockedShadingJob) => post<Float32Array>({ kind: 'blockedShading', job }),
    finalAlbedo: (job: FinalAlbedoJob) => post<FinalAlbedo>({ kind: 'finalAlbedo', job }),
    async dispose() {
      const w = worker;
      worker = undefined;
      failAll(new FaceDetailError('DISPOSED', 'the face-jobs worker thread was disposed'));
      if (w) await w.terminate();
    },
  };
}

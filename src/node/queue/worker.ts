/**
 * A facedetail queue worker: loads the models once, then takes reconstruction jobs
 * ({@link ReconstructJobData}) from a BullMQ queue on Redis and writes each result folder
 * atomically, as the CLI does.
 *
 * Faults: a failure with a permanent code ({@link PERMANENT_ERROR_CODES}: bad image, no face,
 * bad option) becomes a BullMQ `UnrecoverableError` and goes to the failed set at once, with
 * `CODE: message` as its reason; any other failure is thrown as a plain error and retried with
 * the job's backoff. A worker killed mid-job (or a Redis restart that loses the job's completion)
 * leaves the job active without a lock: BullMQ's stalled-job check moves it back to waiting and
 * another worker redoes it. Redoing is safe: the output folder is replaced atomically, and the
 * hidden temp folders a killed attempt left beside it are removed first.
 */
import '../no-telemetry.js'; // first: privacy guard (see no-telemetry.ts)
import { readdir, rm } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { hostname } from 'node:os';
import { UnrecoverableError, Worker, type Job } from 'bullmq';
import { FaceDetailError } from '../../core/errors.js';
import { checkOption } from '../../core/options.js';
import type { OutputSink } from '../output-builder.js';
import type { Logger } from '../../core/platform.js';
import { STAGES, type ProgressCallback } from '../../core/pipeline/types.js';
import { glbWriteOptions } from '../draco-encoder.js';
import type { Reconstructor, ReconstructorOptions } from '../reconstructor.js';
import { printableName } from '../output-name.js';
import { processPhoto } from '../process-photo.js';
import {
  checkJobOptions, DEFAULT_QUEUE_NAME, failedReason, isPermanentCode, redisConnection,
  type ReconstructJobData, type ReconstructJobOptions, type ReconstructJobProgress, type ReconstructJobResult,
} from './jobs.js';

/** Defaults of {@link startWorker}. */
export const WORKER_DEFAULTS = Object.freeze({
  queue: DEFAULT_QUEUE_NAME,
  concurrency: 1,
  /**
   * How long a job's lock lives without renewal (ms). The pipeline's stages are CPU-bound and
   * block the event loop (the lock is renewed every half of this); 60 s leaves room for a slow
   * stage on a large image. A killed worker's job is redone after about this long.
   */
  lockDurationMs: 60_000,
  /** How often this worker looks for stalled jobs (ms). */
  stalledIntervalMs: 30_000,
  /**
   * Times a job may stall (its worker killed, its lock lost) before it fails with BullMQ's
   * "stalled more than allowable limit" (`QUEUE_ERROR`): a photo that crashes every worker
   * (out of memory) must not loop forever.
   */
  maxStalledCount: 3,
});

/** Options of {@link startWorker}. */
export interface QueueWorkerOptions {
  /** Redis URL, `redis://host:6379[/db]`. */
  redis: string;
  /** Queue name (default `facedetail`). */
  queue?: string;
  /**
   * Jobs in flight in this process (default 1). The pipeline is CPU-bound on one thread: for
   * more CPU, run more worker processes (one per core); a higher concurrency only overlaps I/O
   * (reading inputs, PNG encoding, writing outputs).
   */
  concurrency?: number;
  /** Folder that relative job inputs and outputs are resolved against (default `process.cwd()`). */
  root?: string;
  /** Worker name stored on each job it takes (`processedBy`); default `<hostname>:<pid>`. */
  name?: string;
  /** See {@link WORKER_DEFAULTS}. */
  lockDurationMs?: number;
  stalledIntervalMs?: number;
  maxStalledCount?: number;
  /** Options of the reconstructor (model folders, default resolutions, logger). */
  reconstructor?: ReconstructorOptions;
  /** Reconstructor factory (tests inject a fake). Default `createReconstructor`. */
  createReconstructor?: (options: ReconstructorOptions) => Promise<Reconstructor>;
  /** Receives one line per finished job and connection errors; silent by default. */
  logger?: Logger;
}

/** A running worker. */
export interface QueueWorker {
  /** The name stored on the jobs it processes. */
  readonly name: string;
  /**
   * Stop taking jobs, let the current ones finish (`force`: abandon them; the stalled-job check
   * gives them to another worker), close the Redis connections and free the models.
   */
  close(force?: boolean): Promise<void>;
  /** Resolves once {@link close} has finished. */
  readonly closed: Promise<void>;
}

/**
 * Load the models and start processing jobs.
 *
 * @example
 * const worker = await startWorker({ redis: 'redis://127.0.0.1:6379' });
 * process.once('SIGTERM', () => void worker.close());
 * await worker.closed;
 */
export async function startWorker(options: QueueWorkerOptions): Promise<QueueWorker> {
  const connection = redisConnection(options.redis);
  const queueName = options.queue ?? WORKER_DEFAULTS.queue;
  const concurrency = options.concurrency ?? WORKER_DEFAULTS.concurrency;
  checkOption({ name: 'concurrency', type: 'integer', min: 1 }, concurrency);
  const root = resolve(options.root ?? process.cwd());
  const name = options.name ?? `${hostname()}:${process.pid}`;
  const log = options.logger;
  const factory = options.createReconstructor ?? (await import('../reconstructor.js')).createReconstructor;
  const reconstructor = await factory(options.reconstructor ?? {});
  const output = (await import('../output-builder.js')).nativeOutputBuilder();

  const worker = new Worker<ReconstructJobData, ReconstructJobResult>(
    queueName,
    async (job) => {
      try {
        return await processJob(job, { reconstructor, output, root });
      } catch (e) {
        const r = failedReason(e);
        throw isPermanentCode(r.code) ? new UnrecoverableError(r.text) : new Error(r.text);
      }
    },
    {
      connection,
      concurrency,
      name,
      autorun: false,
      lockDuration: options.lockDurationMs ?? WORKER_DEFAULTS.lockDurationMs,
      stalledInterval: options.stalledIntervalMs ?? WORKER_DEFAULTS.stalledIntervalMs,
      maxStalledCount: options.maxStalledCount ?? WORKER_DEFAULTS.maxStalledCount,
    },
  );
  // Without a listener an 'error' event (Redis unreachable for a moment) would crash the process.
  worker.on('error', (e) => log?.warn(`redis: ${e.message}`));
  worker.on('completed', (job, r) => log?.info(`${job.id} ${printableName(job.data.input)} → ${r.outputs.map(printableName).join(', ')} (${((r.timingsMs['total'] ?? 0) / 1000).toFixed(1)} s)`));
  worker.on('failed', (job, e) => log?.info(`${job?.id ?? '?'} ${printableName(String(job?.data.input ?? ''))} failed (attempt ${job?.attemptsMade ?? '?'}): ${e.message}`));
  void worker.run().catch((e: unknown) => log?.error(`worker stopped: ${e instanceof Error ? e.message : String(e)}`));
  await worker.waitUntilReady();

  let closing: Promise<void> | undefined;
  let resolveClosed!: () => void;
  const closed = new Promise<void>((r) => { resolveClosed = r; });
  return {
    name,
    closed,
    close(force = false) {
      if (closing !== undefined && !force) return closing;
      const forced = closing !== undefined;
      closing = (async () => {
        try {
          await worker.close(force || forced);
        } finally {
          await reconstructor.dispose().catch((e: unknown) => log?.warn(`disposing the reconstructor failed: ${e instanceof Error ? e.message : String(e)}`));
          resolveClosed();
        }
      })();
      return closing;
    },
  };
}

/** Per-face stages: every stage but the two an image's faces share (decode, analyze). */
const PER_FACE_STAGES = STAGES.length - 2;

/** One job: decode, reconstruct, build and write the output folder(s), as the CLI does (`processPhoto`). */
async function processJob(job: Job<ReconstructJobData, ReconstructJobResult>, ctx: { reconstructor: Reconstructor; output: OutputSink; root: string }): Promise<ReconstructJobResult> {
  const t0 = performance.now();
  const { input, output, options } = checkJobData(job.data);
  const inputPath = resolve(ctx.root, input);
  const outputPath = resolve(ctx.root, output);
  const { formats = ['glb'], compress = 'none', allFaces = false, maxPixels, maxBytes, maxDimension, ...recOptions } = options;
  const decode = { ...(maxPixels !== undefined ? { maxPixels } : {}), ...(maxBytes !== undefined ? { maxBytes } : {}), ...(maxDimension !== undefined ? { maxDimension } : {}) };
  const timings: Record<string, number> = {};
  const done = new Set<string>();
  let faces = 1;
  const onProgress: ProgressCallback = (ev) => {
    if (ev.done && ev.ms !== undefined) timings[ev.stage] = (timings[ev.stage] ?? 0) + ev.ms;
    if (ev.faceIndex !== undefined && ev.faceIndex + 1 > faces) faces = ev.faceIndex + 1;
    if (ev.done) done.add(`${ev.faceIndex ?? 'image'}:${ev.stage}`);
    const p: ReconstructJobProgress = {
      stage: ev.stage, done: ev.done, ...(ev.faceIndex !== undefined ? { faceIndex: ev.faceIndex } : {}),
      stagesDone: done.size, stagesTotal: Math.max(2 + PER_FACE_STAGES * faces, done.size),
    };
    // Progress is best effort: a lost update (Redis restarting) must not fail the job.
    job.updateProgress(p as unknown as object).catch(() => undefined);
  };
  const retried = job.attemptsMade > 0 || job.stalledCounter > 0;
  const r = await processPhoto(ctx.reconstructor, {
    path: inputPath,
    output: outputPath,
    parent: dirname(outputPath),
    allFaces,
    options: recOptions,
    decode,
    formats,
    ...(formats.includes('glb') ? { glb: await glbWriteOptions(compress) } : {}),
    build: ctx.output.build,
    ...(ctx.output.onMap ? { onMap: ctx.output.onMap } : {}),
    ...(retried ? { beforeWrite: removeLeftovers } : {}),
    onProgress,
  });
  const timingsMs: Record<string, number> = {};
  for (const s of STAGES) if (timings[s] !== undefined) timingsMs[s] = Math.round(timings[s]);
  timingsMs['total'] = Math.round(performance.now() - t0);
  return { outputs: r.outputs, faces: r.faces.length, timingsMs, warnings: r.warnings };
}

/**
 * Remove the hidden `.<name>.tmp-*` / `.<name>.old-*` folders that `writeOutputFolder` leaves
 * beside `dir` when its process is killed mid-write (only on a retried job: an earlier attempt
 * of this very job made them). `writeOutputFolder`'s own clean-up (`cleanStaleTemps`) does not
 * cover this case: it runs once per folder per process and skips temp folders younger than the
 * process, and a long-running worker redoes jobs of workers that died after it started.
 */
async function removeLeftovers(dir: string): Promise<void> {
  const parent = dirname(dir);
  const base = basename(dir);
  const entries = await readdir(parent).catch(() => [] as string[]);
  const stale = entries.filter((e) => e.startsWith(`.${base}.tmp-`) || e.startsWith(`.${base}.old-`));
  await Promise.all(stale.map((e) => rm(join(parent, e), { recursive: true, force: true }).catch(() => undefined)));
}

/** Validate a job's data (it comes from Redis: anything can be there). */
function checkJobData(data: unknown): { input: string; output: string; options: ReconstructJobOptions } {
  const bad = (what: string): never => { throw new FaceDetailError('INVALID_OPTION', `job data: ${what}; expected { input: string, output: string, options?: object }.`); };
  if (typeof data !== 'object' || data === null) return bad('not an object');
  const d = data as Record<string, unknown>;
  if (typeof d['input'] !== 'string' || d['input'] === '') return bad('"input" is not a non-empty string');
  if (typeof d['output'] !== 'string' || d['output'] === '') return bad('"output" is not a non-empty string');
  const o = d['options'] ?? {};
  if (typeof o !== 'object' || o === null || Array.isArray(o)) return bad('"options" is not an object');
  const opts = o as ReconstructJobOptions;
  checkJobOptions(opts);
  return { input: d['input'], output: d['output'], options: opts };
}

/**
 * The producer side of the facedetail queue: put reconstruction jobs on a BullMQ queue and read
 * its state. Workers ({@link ./worker.ts}) on any number of machines take the jobs.
 */
import { join, resolve } from 'node:path';
import { Queue } from 'bullmq';
import { FaceDetailError } from '../../core/errors.js';
import { checkOption } from '../../core/options.js';
import { resolveInputs } from '../cli.js';
import {
  checkJobOptions, DEFAULT_QUEUE_NAME, jobIdFor, parseFailedReason, redisConnection,
  type ReconstructJobData, type ReconstructJobOptions, type ReconstructJobResult,
} from './jobs.js';

/** Defaults of {@link enqueueJobs}: how a transient failure is retried. */
export const ENQUEUE_DEFAULTS = Object.freeze({
  /** Tries in all (the first run and 4 retries) before a transient failure is final. */
  attempts: 5,
  /** First retry after this many ms, then doubling (2, 4, 8, 16 s). */
  backoffMs: 2_000,
  /** Completed jobs kept in Redis for `queue status` (the oldest are dropped beyond this). */
  keepCompleted: 100_000,
});

/** Where the queue is. */
export interface QueueConnectionOptions {
  /** Redis URL, `redis://host:6379[/db]`. */
  redis: string;
  /** Queue name (default `facedetail`). */
  queue?: string;
}

/** Options of {@link enqueueJobs}. */
export interface EnqueueJobsOptions extends QueueConnectionOptions {
  /** See {@link ENQUEUE_DEFAULTS}. */
  attempts?: number;
  backoffMs?: number;
}

/** A job put on the queue. */
export interface EnqueuedJob {
  id: string;
  input: string;
  output: string;
}

/**
 * Put jobs on the queue. Each gets a deterministic id ({@link jobIdFor}): enqueueing the same
 * input, output and options again while the job is still in Redis adds nothing.
 *
 * @example
 * await enqueueJobs([{ input: '/data/photos/a.jpg', output: '/data/out/a', options: { formats: ['glb'] } }], { redis: 'redis://10.0.0.5:6379' });
 */
export async function enqueueJobs(jobs: readonly ReconstructJobData[], options: EnqueueJobsOptions): Promise<EnqueuedJob[]> {
  const attempts = options.attempts ?? ENQUEUE_DEFAULTS.attempts;
  const backoffMs = options.backoffMs ?? ENQUEUE_DEFAULTS.backoffMs;
  checkOption({ name: 'attempts', type: 'integer', min: 1 }, attempts);
  checkOption({ name: 'backoffMs', type: 'number', min: 0, max: Number.MAX_VALUE }, backoffMs);
  for (const j of jobs) checkJobOptions(j.options ?? {});
  return withQueue(options, async (queue) => {
    const out: EnqueuedJob[] = [];
    const BATCH = 1000;
    for (let i = 0; i < jobs.length; i += BATCH) {
      const batch = jobs.slice(i, i + BATCH).map((data) => ({
        name: 'reconstruct',
        data,
        opts: {
          jobId: jobIdFor(data),
          attempts,
          backoff: { type: 'exponential', delay: backoffMs },
          removeOnComplete: { count: ENQUEUE_DEFAULTS.keepCompleted },
          removeOnFail: false, // failures are kept: nothing is lost
        },
      }));
      await queue.addBulk(batch);
      for (const b of batch) out.push({ id: b.opts.jobId, input: b.data.input, output: b.data.output });
    }
    return out;
  });
}

/** Options of {@link enqueueReconstructions}. */
export interface EnqueueOptions extends EnqueueJobsOptions {
  /** Image files, folders and glob patterns, as the CLI takes them. */
  inputs: readonly string[];
  /** Output folder: each input gets `<out>/<image name>/`, named as the CLI names them. */
  out: string;
  /** Folder that relative inputs and `out` are resolved against (default `process.cwd()`). */
  cwd?: string;
  /** Recurse into folders. */
  recursive?: boolean;
  /** Options of every job. */
  options?: ReconstructJobOptions;
}

/**
 * Expand inputs (files, folders, globs) exactly as the CLI does and enqueue one job per image,
 * with absolute paths (workers must see the same paths: a shared filesystem).
 *
 * @example
 * const { jobs, unmatched } = await enqueueReconstructions({ inputs: ['photos/'], out: 'out', redis: 'redis://127.0.0.1:6379' });
 */
export async function enqueueReconstructions(options: EnqueueOptions): Promise<{ jobs: EnqueuedJob[]; unmatched: string[] }> {
  const cwd = options.cwd ?? process.cwd();
  const outDir = resolve(cwd, options.out);
  const { files, unmatched } = await resolveInputs(options.inputs, cwd, options.recursive === true);
  const data: ReconstructJobData[] = files.map((f) => ({ input: f.path, output: join(outDir, f.stem), ...(options.options ? { options: options.options } : {}) }));
  const jobs = data.length > 0 ? await enqueueJobs(data, options) : [];
  return { jobs, unmatched };
}

/** One failed job, as {@link queueStatus} reports it. */
export interface FailedJobInfo {
  id: string;
  input: string;
  output: string;
  /** Our error code (`NO_FACE`, `CORRUPT_IMAGE`, …; `QUEUE_ERROR` for BullMQ's own reasons). */
  code: string;
  message: string;
  attemptsMade: number;
}

/** The state of a queue. */
export interface QueueStatus {
  counts: { waiting: number; active: number; delayed: number; completed: number; failed: number };
  /** Failed jobs per error code. */
  failedByCode: Record<string, number>;
  /** The failed jobs, oldest first (at most `failedLimit`). */
  failures: FailedJobInfo[];
}

/**
 * Counts per state, and the failed jobs with their error codes.
 *
 * @example
 * const s = await queueStatus({ redis: 'redis://127.0.0.1:6379' });
 * console.log(s.counts.completed, s.failedByCode['NO_FACE']);
 */
export async function queueStatus(options: QueueConnectionOptions & { failedLimit?: number }): Promise<QueueStatus> {
  const limit = options.failedLimit ?? 1000;
  return withQueue(options, async (queue) => {
    const c = await queue.getJobCounts('waiting', 'prioritized', 'active', 'delayed', 'completed', 'failed');
    const counts = {
      waiting: (c['waiting'] ?? 0) + (c['prioritized'] ?? 0),
      active: c['active'] ?? 0,
      delayed: c['delayed'] ?? 0,
      completed: c['completed'] ?? 0,
      failed: c['failed'] ?? 0,
    };
    const failedByCode: Record<string, number> = {};
    const failures: FailedJobInfo[] = [];
    const PAGE = 1000;
    for (let start = 0; start < counts.failed; start += PAGE) {
      const page = await queue.getFailed(start, start + PAGE - 1);
      if (page.length === 0) break;
      for (const job of page) {
        const { code, message } = parseFailedReason(job.failedReason);
        failedByCode[code] = (failedByCode[code] ?? 0) + 1;
        if (failures.length < limit) {
          const d = job.data as Partial<ReconstructJobData>;
          failures.push({ id: job.id ?? '', input: d.input ?? '', output: d.output ?? '', code, message, attemptsMade: job.attemptsMade });
        }
      }
    }
    return { counts, failedByCode, failures };
  });
}

/** The result of a completed job, or undefined when it is not (or no longer) completed. */
export async function jobResult(id: string, options: QueueConnectionOptions): Promise<ReconstructJobResult | undefined> {
  return withQueue(options, async (queue) => {
    const job = await queue.getJob(id);
    return job !== undefined && (await job.isCompleted()) ? (job.returnvalue as ReconstructJobResult) : undefined;
  });
}

/** Run `f` with a queue handle; a Redis that cannot be reached is an `IO_ERROR` (not a hang). */
async function withQueue<T>(options: QueueConnectionOptions, f: (queue: Queue) => Promise<T>): Promise<T> {
  const connection = {
    ...redisConnection(options.redis),
    // A producer fails fast when Redis is down (a worker instead waits for it to come back).
    maxRetriesPerRequest: 2,
    connectTimeout: 5_000,
    retryStrategy: (times: number) => (times > 3 ? null : 200 * times),
  };
  const queue = new Queue(options.queue ?? DEFAULT_QUEUE_NAME, { connection });
  let lastError: Error | undefined;
  queue.on('error', (e) => { lastError = e; });
  try {
    await queue.waitUntilReady();
    return await f(queue);
  } catch (e) {
    if (e instanceof FaceDetailError) throw e;
    const why = lastError?.message ?? (e instanceof Error ? e.message : String(e));
    throw new FaceDetailError('IO_ERROR', `Cannot use the queue "${options.queue ?? DEFAULT_QUEUE_NAME}" at ${options.redis}: ${why}. Is redis-server running there?`, { cause: e });
  } finally {
    await queue.close().catch(() => undefined);
  }
}

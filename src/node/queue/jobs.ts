/**
 * The job format shared by the queue's producer ({@link ./producer.ts}) and worker
 * ({@link ./worker.ts}), and the rules that map facedetail's typed errors onto BullMQ's retry
 * semantics.
 *
 * A job is one input image: `{ input, output, options }`. `input` is a path on a filesystem every
 * worker sees (absolute, or relative to the worker's `root`: an object key on a shared mount);
 * `output` is the result folder for that input (`<out>/<image name>`, named as the CLI does; with
 * `allFaces` each face goes to `<output>_face<i>`). Jobs are JSON in Redis: only plain options.
 */
import { createHash } from 'node:crypto';
import { FaceDetailError, type FaceDetailErrorCode } from '../../core/errors.js';
import type { GlbCompression } from '../../core/export/glb.js';
import { checkOptions, optionSpecs } from '../../core/pipeline/option-table.js';
import type { ReconstructOptions } from '../../core/pipeline/types.js';
import type { MeshFormat } from '../../core/pipeline/types.js';

/** Default BullMQ queue name. */
export const DEFAULT_QUEUE_NAME = 'facedetail';

/**
 * The options a job may carry: the CLI's, JSON-safe (the `job` rows of the option table,
 * `core/pipeline/option-table.ts`, which checks them).
 */
export interface ReconstructJobOptions extends Partial<Pick<ReconstructOptions,
  'textureResolution' | 'detailResolution' | 'detailStrength' | 'albedoEqualize' | 'detail' | 'model' | 'emotionPrior' | 'head' | 'focalLength35mm'>> {
  /** Mesh formats to write (default `['glb']`, as the CLI's `--format`; any of glb, obj, ply). */
  formats?: MeshFormat[];
  /** face.glb's geometry compression (default `'none'`, as the CLI's `--compress`). */
  compress?: GlbCompression;
  /** Every face of the photo, into `<output>_face<i>/` (default: the largest only, into `<output>/`). */
  allFaces?: boolean;
  /** Decompression-bomb guard (default 50 million pixels). */
  maxPixels?: number;
  /** Largest accepted image file, bytes (default 256 MiB). */
  maxBytes?: number;
  /** Photos whose long side exceeds this are downscaled while decoding (default 4096 px). */
  maxDimension?: number;
}

/**
 * Check a job's options against the option table (the same rules and messages as the CLI's
 * flags); throws `INVALID_OPTION` naming the first bad one.
 *
 * @example
 * checkJobOptions({ detailResolution: 99 }) // throws 'detailResolution must be an integer from 512 to 2048, got 99.'
 */
export function checkJobOptions(options: ReconstructJobOptions): void {
  checkOptions(optionSpecs('job'), options as Readonly<Record<string, unknown>>);
}

/** The data of one reconstruction job. */
export interface ReconstructJobData {
  /** Image path: absolute, or relative to the worker's root folder (an object key on a shared mount). */
  input: string;
  /** Output folder of this input (absolute, or relative to the worker's root). */
  output: string;
  /** Reconstruction options; unset ones take the defaults. */
  options?: ReconstructJobOptions;
}

/** What a completed job returns (its BullMQ `returnvalue`). */
export interface ReconstructJobResult {
  /** Output folders written, absolute. */
  outputs: string[];
  faces: number;
  /** Milliseconds per stage and `total` (the job's processing time in the worker). */
  timingsMs: Record<string, number>;
  warnings: string[];
}

/** The progress a worker reports per stage (BullMQ job progress). */
export interface ReconstructJobProgress {
  /** The stage that just started or finished (`decode`, `analyze`, …, `export`). */
  stage: string;
  done: boolean;
  faceIndex?: number;
  /** Stages finished so far / expected in all (grows with the number of faces). */
  stagesDone: number;
  stagesTotal: number;
}

/**
 * Error codes that no retry can fix: the input, the image or the options are wrong. A job
 * failing with one of them goes straight to the failed set (BullMQ `UnrecoverableError`); every
 * other failure (I/O, a model that failed to load, an internal error, a worker killed, Redis
 * gone) is retried with backoff.
 */
export const PERMANENT_ERROR_CODES: readonly FaceDetailErrorCode[] = Object.freeze([
  'NO_FACE', 'UNSUPPORTED_IMAGE', 'CORRUPT_IMAGE', 'IMAGE_TOO_LARGE', 'IMAGE_TOO_SMALL', 'INVALID_OPTION', 'INVALID_INPUT',
]);

/** True when a failure with this code must not be retried. */
export function isPermanentCode(code: string): boolean {
  return (PERMANENT_ERROR_CODES as readonly string[]).includes(code);
}

/**
 * The message stored as a failed job's reason: `CODE: message`, so `queue status` and any
 * consumer of the failed set can recover the code ({@link parseFailedReason}).
 */
export function failedReason(e: unknown): { code: string; message: string; text: string } {
  const code = e instanceof FaceDetailError ? e.code : 'INTERNAL';
  const message = e instanceof Error ? e.message : String(e);
  return { code, message, text: `${code}: ${message}` };
}

/**
 * The code and message of a failed job's reason. Reasons not written by our worker (BullMQ's own,
 * e.g. "job stalled more than allowable limit") have the code `QUEUE_ERROR`.
 *
 * @example
 * parseFailedReason('NO_FACE: no face found in the image') // { code: 'NO_FACE', message: 'no face found in the image' }
 */
export function parseFailedReason(reason: string | undefined): { code: string; message: string } {
  const m = /^([A-Z][A-Z0-9_]*): ([\s\S]*)$/.exec(reason ?? '');
  return m ? { code: m[1]!, message: m[2]! } : { code: 'QUEUE_ERROR', message: reason ?? '' };
}

/**
 * A deterministic job id: the same input, output and options always give the same id, so
 * enqueueing the same work twice adds it once (BullMQ ignores a job whose id exists).
 */
export function jobIdFor(data: ReconstructJobData): string {
  const canonical = JSON.stringify([data.input, data.output, sortKeys(data.options ?? {})]);
  return `fd-${createHash('sha256').update(canonical).digest('hex').slice(0, 32)}`;
}

function sortKeys(o: object): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(o).sort()) {
    const v = (o as Record<string, unknown>)[k];
    if (v !== undefined) out[k] = v;
  }
  return out;
}

/**
 * Redis connection options for BullMQ from a `redis://[user:password@]host[:port][/db]` URL
 * (`rediss://` for TLS). Throws `INVALID_OPTION` naming the option for anything else.
 *
 * @example
 * redisConnection('redis://127.0.0.1:6379/0') // { host: '127.0.0.1', port: 6379, db: 0 }
 */
export function redisConnection(url: string, optionName = '--redis'): RedisConnectionOptions {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new FaceDetailError('INVALID_OPTION', `${optionName}: expected a URL like redis://host:6379, received "${url}".`);
  }
  if (u.protocol !== 'redis:' && u.protocol !== 'rediss:') {
    throw new FaceDetailError('INVALID_OPTION', `${optionName}: expected a redis:// or rediss:// URL, received "${url}".`);
  }
  const out: RedisConnectionOptions = { host: u.hostname.replace(/^\[|\]$/g, '') || '127.0.0.1', port: u.port === '' ? 6379 : Number(u.port) };
  if (u.username !== '') out.username = decodeURIComponent(u.username);
  if (u.password !== '') out.password = decodeURIComponent(u.password);
  const db = u.pathname.replace(/^\//, '');
  if (db !== '') {
    const n = Number(db);
    if (!Number.isInteger(n) || n < 0) throw new FaceDetailError('INVALID_OPTION', `${optionName}: the database in "${url}" must be a number ≥ 0.`);
    out.db = n;
  }
  if (u.protocol === 'rediss:') out.tls = {};
  return out;
}

/** The subset of ioredis options {@link redisConnection} sets. */
export interface RedisConnectionOptions {
  host: string;
  port: number;
  username?: string;
  password?: string;
  db?: number;
  tls?: Record<string, never>;
}

/**
 * `facedetail/queue`: batch reconstruction as workers of a BullMQ queue on Redis. A separate
 * entry point, so that `import 'facedetail'` never loads BullMQ.
 *
 * @example
 * import { enqueueReconstructions, queueStatus, startWorker } from 'facedetail/queue';
 * const worker = await startWorker({ redis: 'redis://10.0.0.5:6379' });           // on each machine
 * await enqueueReconstructions({ inputs: ['/data/photos'], out: '/data/out', redis: 'redis://10.0.0.5:6379' });
 * console.log((await queueStatus({ redis: 'redis://10.0.0.5:6379' })).counts);
 */
export { startWorker, WORKER_DEFAULTS } from './worker.js';
export type { QueueWorker, QueueWorkerOptions } from './worker.js';
export { enqueueJobs, enqueueReconstructions, jobResult, queueStatus, ENQUEUE_DEFAULTS } from './producer.js';
export type { EnqueuedJob, EnqueueJobsOptions, EnqueueOptions, FailedJobInfo, QueueConnectionOptions, QueueStatus } from './producer.js';
export { DEFAULT_QUEUE_NAME, PERMANENT_ERROR_CODES, isPermanentCode, jobIdFor, parseFailedReason } from './jobs.js';
export type { ReconstructJobData, ReconstructJobOptions, ReconstructJobProgress, ReconstructJobResult } from './jobs.js';

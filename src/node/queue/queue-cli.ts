/**
 * `facedetail worker | enqueue | queue status`: the queue sub-commands, dispatched from
 * `src/node/cli.ts` when `isQueueCommand` (./is-queue-command.ts) says so.
 *
 * Exit codes as in the main CLI: 0 ok, 1 failure (some input matched nothing, Redis unreachable),
 * 2 usage error.
 */
import { Command, CommanderError } from 'commander';
import { FaceDetailError } from '../../core/errors.js';
import { OPTION_TABLE, optionSpecs, type OptionSpec } from '../../core/pipeline/option-table.js';
import type { CliStream } from '../cli.js';
import { addTableOptions, readTableOptions } from '../cli-options.js';
import { printableName } from '../output-name.js';
import type { Reconstructor, ReconstructorOptions } from '../reconstructor.js';
import { DEFAULT_QUEUE_NAME, type ReconstructJobOptions } from './jobs.js';

/** What {@link runQueueCommand} needs; tests inject a fake reconstructor. */
export interface QueueCliIO {
  stdout: CliStream;
  stderr: CliStream;
  cwd: string;
  createReconstructor?: (options: ReconstructorOptions) => Promise<Reconstructor>;
}

interface CommonOpts { redis: string; queue: string }
interface WorkerOpts extends CommonOpts { concurrency: number; root?: string; name?: string; lockDurationMs: number; stalledIntervalMs: number; modelsDir?: string; quiet?: boolean }
interface EnqueueOpts extends CommonOpts { out: string; recursive?: boolean; attempts: number; json?: boolean; quiet?: boolean }
interface StatusOpts extends CommonOpts { json?: boolean }

/** The worker's own flags, checked by the same helper as the option table's. */
const WORKER_FLAGS: readonly OptionSpec[] = [
  { name: 'concurrency', group: 'cli', type: 'integer', min: 1, max: 64, default: 1, flag: '--concurrency <n>', description: 'jobs in flight in this process (CPU-bound: for more CPU run one worker per core)' },
  { name: 'lockDurationMs', group: 'cli', type: 'integer', min: 1000, max: 3_600_000, default: 60_000, flag: '--lock-duration <ms>', description: 'job lock lifetime; a killed worker\'s job is redone after about this long' },
  { name: 'stalledIntervalMs', group: 'cli', type: 'integer', min: 500, max: 3_600_000, default: 30_000, flag: '--stalled-interval <ms>', description: 'how often to look for stalled jobs' },
];
/** `enqueue`'s own flags besides the job options of the table. */
const ENQUEUE_FLAGS: readonly OptionSpec[] = [
  OPTION_TABLE.out,
  OPTION_TABLE.recursive,
  { name: 'attempts', group: 'cli', type: 'integer', min: 1, max: 100, default: 5, flag: '--attempts <n>', description: 'tries in all for a transient failure (permanent ones are never retried)' },
];

/** Run a queue sub-command and resolve with the exit code. */
export async function runQueueCommand(argv: readonly string[], io: QueueCliIO): Promise<number> {
  const { stdout, stderr } = io;
  let action: (() => Promise<number>) | undefined;
  const out = { writeOut: (s: string) => void stdout.write(s), writeErr: (s: string) => void stderr.write(s) };
  const configure = (c: Command): Command => c.helpOption('-h, --help', 'show this help').configureOutput(out).exitOverride();
  const common = (c: Command): Command => c
    .requiredOption('--redis <url>', 'Redis URL, redis://host:6379[/db]')
    .option('--queue <name>', 'queue name', DEFAULT_QUEUE_NAME);
  const program = configure(new Command('facedetail').description('Batch reconstruction on a BullMQ queue (Redis).'));

  const worker = addTableOptions(common(configure(program.command('worker')))
    .description('take reconstruction jobs from the queue until SIGTERM / SIGINT (the current job is finished first; a second signal abandons it to another worker)'), WORKER_FLAGS)
    .option('--root <dir>', 'folder that relative job inputs and outputs are resolved against (default: the current folder)')
    .option('--name <name>', 'worker name stored on its jobs (default <hostname>:<pid>)')
    .option('--models-dir <dir>', 'models folder holding the imported ICT cache (for jobs with model ict)')
    .option('-q, --quiet', 'print errors only')
    .action((o: WorkerOpts) => { action = () => runWorker({ ...o, ...readTableOptions(worker, WORKER_FLAGS) }, io); });

  // The job options are the option table's (the same flags as facedetail's), checked by the same helper.
  const enqueue = addTableOptions(addTableOptions(common(configure(program.command('enqueue')))
    .description('put one reconstruction job per input image on the queue (inputs as for facedetail: files, folders, globs)')
    .argument('<inputs...>', 'image files, folders or quoted glob patterns; workers must see the same paths'), ENQUEUE_FLAGS), optionSpecs('job'))
    .option('--json', 'print one JSON line per job ({ id, input, output }) to stdout')
    .option('-q, --quiet', 'print failures only')
    .action((inputs: string[], o: EnqueueOpts) => {
      action = () => {
        const own = readTableOptions(enqueue, ENQUEUE_FLAGS) as unknown as Pick<EnqueueOpts, 'out' | 'recursive' | 'attempts'>;
        return runEnqueue(inputs, { ...o, ...own }, readTableOptions(enqueue, optionSpecs('job')) as ReconstructJobOptions, io);
      };
    });

  const queue = configure(program.command('queue')).description('inspect the queue');
  common(configure(queue.command('status')))
    .description('waiting / active / delayed (retry backoff) / completed / failed counts, and the failures with their error codes')
    .option('--json', 'print the status as one JSON object')
    .action((o: StatusOpts) => { action = () => runStatus(o, io); });

  try {
    program.parse([...argv], { from: 'node' });
  } catch (e) {
    if (e instanceof CommanderError) return e.exitCode === 0 ? EXIT_OK : EXIT_USAGE;
    throw e;
  }
  if (action === undefined) return EXIT_USAGE;
  try {
    return await action();
  } catch (e) {
    if (e instanceof FaceDetailError) {
      stderr.write(`facedetail: ${e.code}: ${e.message}\n`);
      return e.code === 'INVALID_OPTION' ? EXIT_USAGE : EXIT_FAILED;
    }
    throw e;
  }
}

const EXIT_OK = 0;
const EXIT_FAILED = 1;
const EXIT_USAGE = 2;

async function runWorker(o: WorkerOpts, io: QueueCliIO): Promise<number> {
  const { resolve } = await import('node:path');
  const { startWorker } = await import('./worker.js');
  const say = (s: string): void => void io.stderr.write(`facedetail worker: ${s}\n`);
  const logger = { debug: () => undefined, info: o.quiet === true ? () => undefined : say, warn: say, error: say };
  const worker = await startWorker({
    redis: o.redis,
    queue: o.queue,
    concurrency: o.concurrency,
    root: resolve(io.cwd, o.root ?? '.'),
    ...(o.name !== undefined ? { name: o.name } : {}),
    lockDurationMs: o.lockDurationMs,
    stalledIntervalMs: o.stalledIntervalMs,
    reconstructor: { logger: { ...logger, info: () => undefined }, ...(o.modelsDir !== undefined ? { modelsDir: resolve(io.cwd, o.modelsDir) } : {}) },
    ...(io.createReconstructor ? { createReconstructor: io.createReconstructor } : {}),
    logger,
  });
  logger.info(`${worker.name} ready on queue "${o.queue}" at ${o.redis} (concurrency ${o.concurrency})`);
  const stop = (signal: string): void => {
    logger.info(`${signal}: finishing the current job, then exiting (send it again to abandon the job to another worker)`);
    void worker.close();
    process.once(signal as NodeJS.Signals, () => { logger.info(`${signal} again: abandoning the current job`); void worker.close(true); });
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
  await worker.closed;
  process.removeListener('SIGTERM', stop);
  process.removeListener('SIGINT', stop);
  logger.info('stopped');
  return EXIT_OK;
}

async function runEnqueue(inputs: string[], o: EnqueueOpts, options: ReconstructJobOptions, io: QueueCliIO): Promise<number> {
  const { enqueueReconstructions } = await import('./producer.js');
  const { jobs, unmatched } = await enqueueReconstructions({ inputs, out: o.out, cwd: io.cwd, recursive: o.recursive === true, options, redis: o.redis, queue: o.queue, attempts: o.attempts });
  for (const u of unmatched) io.stderr.write(`facedetail: IO_ERROR: "${printableName(u)}" matches no file, folder or image.\n`);
  if (jobs.length === 0) {
    io.stderr.write('facedetail: no input images: nothing enqueued.\n');
    return EXIT_USAGE;
  }
  if (o.json === true) for (const j of jobs) io.stdout.write(`${JSON.stringify(j)}\n`);
  if (o.quiet !== true) io.stderr.write(`facedetail: ${jobs.length} job${jobs.length === 1 ? '' : 's'} on queue "${o.queue}" at ${o.redis}\n`);
  return unmatched.length > 0 ? EXIT_FAILED : EXIT_OK;
}

async function runStatus(o: StatusOpts, io: QueueCliIO): Promise<number> {
  const { queueStatus } = await import('./producer.js');
  const s = await queueStatus({ redis: o.redis, queue: o.queue });
  if (o.json === true) {
    io.stdout.write(`${JSON.stringify(s)}\n`);
    return EXIT_OK;
  }
  const lines = [`queue "${o.queue}" at ${o.redis}`];
  for (const [k, v] of Object.entries(s.counts)) lines.push(`  ${k.padEnd(10)} ${v}`);
  const codes = Object.entries(s.failedByCode).sort((a, b) => b[1] - a[1]);
  if (codes.length > 0) {
    lines.push('failed by error code:');
    for (const [code, n] of codes) lines.push(`  ${code.padEnd(18)} ${n}`);
    const SHOWN = 20;
    lines.push(`failures${s.failures.length > SHOWN ? ` (first ${SHOWN} of ${s.counts.failed}; --json for all)` : ''}:`);
    for (const f of s.failures.slice(0, SHOWN)) lines.push(`  ${printableName(f.input)}: ${f.code}: ${printableName(f.message)}`);
  }
  io.stdout.write(`${lines.join('\n')}\n`);
  return EXIT_OK;
}

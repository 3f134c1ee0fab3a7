/**
 * `npm run bench:queue`: throughput of the BullMQ queue with 1 and 2 `facedetail worker`
 * processes on this machine, and the queue's per-job overhead against the plain CLI on the same
 * photos (default options: 1024² maps, GLB + maps). A throw-away redis-server on 127.0.0.1
 * (free port, temp folder, AOF on). Writes bench/results/queue.json.
 *
 * - CLI: `facedetail <photos> -o … --json`; per photo its `timingsMs.total`; throughput from
 *   their sum (model loading excluded, as for the workers, which are started and ready first).
 * - Queue, W workers: enqueue all photos, then from the first job's start (`processedOn`) to the
 *   last one's end (`finishedOn`). Overhead per job: the job's span in BullMQ minus its
 *   processing time in the worker (progress updates, completion), plus the median gap between
 *   one job's end and the next one's start on the same worker (fetching the next job).
 *
 * - CPU seconds per photo (Linux: /proc/<pid>/stat of the workers; bash's `times` for the CLI),
 *   which a loaded machine does not distort as it does wall time: a worker's CPU after it is
 *   ready, per job; the CLI's CPU minus a worker's start-up CPU (the same model loading), per photo.
 *
 * Options: --photos N (default 12).
 */
import { execSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile, mkdir } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Queue, type Job } from 'bullmq';
import type { ReconstructJobResult } from '../src/node/queue/jobs.js';
import { findRedisServer, freePort, startProc, startRedisServer, until, type Proc } from '../test/fixtures/redis-server.js';
import { currentCommit, markdownTable, median, SHARED } from './common.js';

const args = process.argv.slice(2);
const arg = (name: string, dflt: number): number => { const i = args.indexOf(name); return i >= 0 ? Number(args[i + 1]) : dflt; };
const N = arg('--photos', 12);
const ROOT = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
const PHOTOS = ['grace_hopper', 'obama', 'person-vlado', 'stock-teen-6', 'ai-face', 'faceapi_angry', 'faceapi_disgusted', 'faceapi_fearful',
  'faceapi_happy', 'faceapi_neutral', 'faceapi_sad', 'faceapi_surprised', 'stock-emotions-a-1', 'stock-emotions-a-2', 'stock-emotions-b-1', 'stock-emotions-b-2']
  .slice(0, N).map((n) => path.join(SHARED, 'photos', `${n}.jpg`));

const redisBin = findRedisServer();
if (redisBin === undefined) throw new Error('redis-server is not installed (Debian: apt-get install redis-server)');
const tmp = await mkdtemp(path.join(os.tmpdir(), 'facedetail-bench-queue-'));
await mkdir(path.join(tmp, 'redis'));
const port = await freePort();
const redisUrl = `redis://127.0.0.1:${port}`;
const redis = await startRedisServer(redisBin, port, path.join(tmp, 'redis'), ROOT);
const cli = (a: string[]): Proc => startProc(process.execPath, ['bin/facedetail.js', ...a], ROOT, { ORT_DISABLE_TELEMETRY: '1' });
const load = (): number => Math.round(os.loadavg()[0]! * 10) / 10;
const CLK_TCK = Number(execSync('getconf CLK_TCK', { encoding: 'utf8' }).trim()) || 100;
/** User + system CPU seconds of a running process (all its threads). */
const cpuS = (pid: number): number => {
  const rest = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(rest[11]) + Number(rest[12])) / CLK_TCK;
};

try {
  // ---- the plain CLI -------------------------------------------------------------------------
  const cliLoad = load();
  const t0 = performance.now();
  // bash's `times` prints the CPU time of its finished children (the CLI) on its last line.
  const c = startProc('bash', ['-c', 'node bin/facedetail.js "$@"; rc=$?; times; exit $rc', 'bash', ...PHOTOS, '-o', path.join(tmp, 'cli'), '--json', '-q'], ROOT, { ORT_DISABLE_TELEMETRY: '1' });
  const cr = await c.exited;
  const cliWallS = (performance.now() - t0) / 1000;
  if (cr.code !== 0) throw new Error(`CLI failed:\n${c.out.text.slice(-3000)}`);
  const cliTotals = c.out.text.split('\n').filter((l) => l.startsWith('{')).map((l) => (JSON.parse(l) as { timingsMs: { total: number } }).timingsMs.total);
  const cliSumS = cliTotals.reduce((a, b) => a + b, 0) / 1000;
  const times = /(\d+)m([\d.]+)s (\d+)m([\d.]+)s\s*$/.exec(c.out.text.trim());
  const cliCpuS = times ? Number(times[1]) * 60 + Number(times[2]) + Number(times[3]) * 60 + Number(times[4]) : NaN;
  const startupCpu: number[] = [];

  // ---- the queue with 1 and 2 workers --------------------------------------------------------
  const queueRuns: Array<Record<string, number>> = [];
  for (const W of [1, 2]) {
    const name = `bench-${W}w`;
    const workers = Array.from({ length: W }, (_, i) => cli(['worker', '--redis', redisUrl, '--queue', name, '--name', `w${i}`]));
    const tReady = performance.now();
    await until('workers ready', async () => (workers.every((w) => w.out.text.includes(' ready on queue')) ? true : undefined), 300_000, workers);
    const readyS = (performance.now() - tReady) / 1000;
    const cpuAtReady = workers.map((w) => cpuS(w.child.pid!));
    startupCpu.push(...cpuAtReady);
    const runLoad = load();
    const e = cli(['enqueue', ...PHOTOS, '-o', path.join(tmp, `q${W}`), '--redis', redisUrl, '--queue', name, '-q']);
    if ((await e.exited).code !== 0) throw new Error(`enqueue failed:\n${e.out.text}`);
    const queue = new Queue(name, { connection: { host: '127.0.0.1', port } });
    const jobs = await until('all jobs completed', async () => {
      const n = await queue.getCompletedCount();
      return n >= PHOTOS.length ? (await queue.getCompleted(0, -1)) as Array<Job<unknown, ReconstructJobResult>> : undefined;
    }, 900_000, workers);
    if ((await queue.getFailedCount()) > 0) throw new Error('some jobs failed');
    const cpuJobsS = workers.reduce((a, w, i) => a + cpuS(w.child.pid!) - cpuAtReady[i]!, 0);
    await queue.close();
    for (const w of workers) w.child.kill('SIGTERM');
    await Promise.all(workers.map((w) => w.exited));
    const start = Math.min(...jobs.map((j) => j.processedOn!));
    const end = Math.max(...jobs.map((j) => j.finishedOn!));
    const spanS = (end - start) / 1000;
    const inJob = jobs.map((j) => j.finishedOn! - j.processedOn! - (j.returnvalue.timingsMs['total'] ?? 0));
    const gaps: number[] = [];
    const byWorker = new Map<string, Array<Job<unknown, ReconstructJobResult>>>();
    for (const j of jobs) byWorker.set(j.processedBy ?? '?', [...(byWorker.get(j.processedBy ?? '?') ?? []), j]);
    for (const list of byWorker.values()) {
      list.sort((a, b) => a.processedOn! - b.processedOn!);
      for (let i = 1; i < list.length; i++) gaps.push(list[i]!.processedOn! - list[i - 1]!.finishedOn!);
    }
    const processingS = jobs.reduce((a, j) => a + (j.returnvalue.timingsMs['total'] ?? 0), 0) / 1000;
    queueRuns.push({
      workers: W, photos: jobs.length, loadAvg1: runLoad, workerStartupS: round(readyS, 1), spanS: round(spanS, 1),
      photosPerMin: round(jobs.length / spanS * 60, 1), meanProcessingS: round(processingS / jobs.length, 2),
      overheadInJobMs: Math.round(median(inJob)), gapBetweenJobsMs: Math.round(median(gaps)),
      cpuPerPhotoS: round(cpuJobsS / jobs.length, 2), workerStartupCpuS: round(median(cpuAtReady), 2),
    });
  }

  const one = queueRuns[0]!;
  const result = {
    commit: currentCommit(),
    date: new Date().toISOString(),
    machine: { cpus: os.cpus().length, model: os.cpus()[0]?.model ?? '', node: process.version },
    options: 'defaults: 1024² maps, glb (+ maps), detail dfdn, facemesh model; redis-server on 127.0.0.1 (AOF, appendfsync always); workers are separate processes on this machine',
    photos: PHOTOS.map((p) => path.basename(p)),
    cli: { loadAvg1: cliLoad, cpuS: round(cliCpuS, 1), cpuPerPhotoS: round((cliCpuS - median(startupCpu)) / cliTotals.length, 2), wallS: round(cliWallS, 1), sumOfPhotoTotalsS: round(cliSumS, 1), meanPerPhotoS: round(cliSumS / cliTotals.length, 2), photosPerMin: round(cliTotals.length / cliSumS * 60, 1) },
    queue: queueRuns,
    overheadPerJobMs: {
      bookkeeping: one['overheadInJobMs']! + one['gapBetweenJobsMs']!,
      vsCliWall: Math.round((one['spanS']! / one['photos']! - cliSumS / cliTotals.length) * 1000),
      vsCliCpu: Math.round((one['cpuPerPhotoS']! - (cliCpuS - median(startupCpu)) / cliTotals.length) * 1000),
    },
  };
  const out = path.join(ROOT, 'bench', 'results', 'queue.json');
  await writeFile(out, `${JSON.stringify(result, null, 2)}\n`);
  console.log(markdownTable(['run', 'photos / min', 'wall s / photo', 'CPU s / photo', 'load avg'], [
    ['CLI (1 process)', result.cli.photosPerMin, result.cli.meanPerPhotoS, result.cli.cpuPerPhotoS, cliLoad],
    ...queueRuns.map((r) => [`queue, ${r['workers']} worker${r['workers'] === 1 ? '' : 's'}`, r['photosPerMin']!, round(r['spanS']! / r['photos']!, 2), r['cpuPerPhotoS']!, r['loadAvg1']!]),
  ]));
  console.log(`queue overhead per job: ${result.overheadPerJobMs.bookkeeping} ms bookkeeping (in-job ${one['overheadInJobMs']} + fetch ${one['gapBetweenJobsMs']}); vs the CLI per photo: ${result.overheadPerJobMs.vsCliWall} ms wall, ${result.overheadPerJobMs.vsCliCpu} ms CPU`);
  console.log(`wrote ${path.relative(ROOT, out)} (commit ${result.commit})`);
} finally {
  redis.child.kill('SIGTERM');
  await redis.exited;
  await rm(tmp, { recursive: true, force: true });
}

function round(x: number, d: number): number {
  const f = 10 ** d;
  return Math.round(x * f) / f;
}

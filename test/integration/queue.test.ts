/**
 * The queue end to end, on a real redis-server (127.0.0.1, a free port, a temp folder; skipped
 * with a printed reason when redis-server or the shared photos are missing):
 * two `facedetail worker` processes, 52 jobs: 50 from `facedetail enqueue` (32 copies of 4 good
 * photos, 10 non-images, 6 truncated JPEGs, 4 photos without a face), one from the library API,
 * and the same 50 enqueued again (a no-op); one worker SIGKILLed in the
 * middle of a job and replaced, then Redis restarted (AOF on, as a deployment should run it).
 * At the end every good job has exactly one complete output folder (no hidden temp folder left),
 * every bad one is in the failed set with its error code after a single attempt, a job whose input
 * appears only after its first attempt (a transient IO_ERROR) is retried with backoff and
 * completes, and the workers stop cleanly on SIGTERM.
 */
import { existsSync, readFileSync } from 'node:fs';
import { copyFile, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Queue } from 'bullmq';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ReconstructJobProgress } from '../../src/node/queue/jobs.js';
import { enqueueJobs, type QueueStatus } from '../../src/node/queue/producer.js';
import { ensureBuilt } from '../fixtures/built.js';
import { findRedisServer, freePort, sleep, startProc, startRedisServer, until, type Proc } from '../fixtures/redis-server.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const SHARED = resolve(process.env['FACEDETAIL_SHARED'] ?? join(ROOT, '..', 'shared'));
const PHOTOS = join(SHARED, 'photos');
const REDIS_SERVER = findRedisServer();
const haveShared = existsSync(join(PHOTOS, 'grace_hopper.jpg'));
if (REDIS_SERVER === undefined) console.warn('queue tests skipped: redis-server is not installed (Debian: apt-get install redis-server; .ci/run installs it)');
if (!haveShared) console.warn(`queue tests skipped: no shared photos at ${PHOTOS} (set FACEDETAIL_SHARED)`);

const GOOD = ['grace_hopper.jpg', 'faceapi_happy.jpg', 'faceapi_neutral.jpg', 'faceapi_sad.jpg'];
const COPIES = 8;
const N_GARBAGE = 10;
const N_TRUNCATED = 6;
const N_NOFACE = 4;
const TOTAL = GOOD.length * COPIES + N_GARBAGE + N_TRUNCATED + N_NOFACE;
const QUEUE = 'facedetail-test';

describe.skipIf(REDIS_SERVER === undefined || !haveShared)('queue: 2 workers, 52 jobs, a worker SIGKILLed, Redis restarted', () => {
  let tmp = '';
  let port = 0;
  let redis: Proc | undefined;
  const workers: Proc[] = [];
  let queue: Queue | undefined;

  const url = (): string => `redis://127.0.0.1:${port}`;
  const cli = (args: string[]): Proc => startProc(process.execPath, ['bin/facedetail.js', ...args], ROOT, { ORT_DISABLE_TELEMETRY: '1' });
  const startWorker = (name: string): Proc => {
    // A shorter lock than the default 60 s, so that the killed worker's job is redone sooner. Not
    // much shorter: the pipeline's CPU-bound stages delay the lock's renewal on a loaded machine.
    const p = cli(['worker', '--redis', url(), '--queue', QUEUE, '--name', name, '--lock-duration', '20000', '--stalled-interval', '2000']);
    workers.push(p);
    return p;
  };
  const startRedis = (): Promise<Proc> => startRedisServer(REDIS_SERVER!, port, join(tmp, 'redis'), ROOT);
  const counts = async (): Promise<Record<string, number>> => queue!.getJobCounts('waiting', 'prioritized', 'active', 'delayed', 'completed', 'failed');

  beforeAll(async () => {
    await ensureBuilt();
    tmp = await mkdtemp(join(tmpdir(), 'facedetail-queue-'));
    await mkdir(join(tmp, 'redis'));
    await mkdir(join(tmp, 'in'));
    port = await freePort();
    redis = await startRedis();
    queue = new Queue(QUEUE, { connection: { host: '127.0.0.1', port, maxRetriesPerRequest: null } });
    queue.on('error', () => undefined); // the restart below
  });

  afterAll(async () => {
    for (const w of workers) if (w.child.exitCode === null && w.child.signalCode === null) w.child.kill('SIGKILL');
    await queue?.close().catch(() => undefined);
    if (redis && redis.child.exitCode === null) { redis.child.kill('SIGKILL'); await redis.exited; }
    if (tmp) await rm(tmp, { recursive: true, force: true });
  });

  it('every good job has exactly one complete output folder, every bad one its error code', async () => {
    // ---- inputs: good photos copied many times, non-images, truncated JPEGs, no face ---------
    const inDir = join(tmp, 'in');
    const goodStems: string[] = [];
    for (let i = 0; i < GOOD.length * COPIES; i++) {
      const stem = `good-${String(i).padStart(2, '0')}`;
      await copyFile(join(PHOTOS, GOOD[i % GOOD.length]!), join(inDir, `${stem}.jpg`));
      goodStems.push(stem);
    }
    const jpeg = await readFile(join(PHOTOS, 'grace_hopper.jpg'));
    for (let i = 0; i < N_GARBAGE; i++) await writeFile(join(inDir, `garbage-${i}.jpg`), Buffer.from(`this is not an image ${i}\n`.repeat(20)));
    for (let i = 0; i < N_TRUNCATED; i++) await writeFile(join(inDir, `truncated-${i}.jpg`), jpeg.subarray(0, 3000 + 500 * i));
    for (let i = 0; i < N_NOFACE; i++) await copyFile(join(PHOTOS, 'non_face.jpg'), join(inDir, `noface-${i}.jpg`));

    // ---- two workers, then the jobs ------------------------------------------------------------
    const a = startWorker('wA');
    const b = startWorker('wB');
    await until('both workers ready', async () => (a.out.text.includes('ready') && b.out.text.includes('ready') ? true : undefined), 120_000, [a, b]);
    const out = join(tmp, 'out');
    const enq = cli(['enqueue', inDir, '-o', out, '--redis', url(), '--queue', QUEUE, '--detail-res', '512', '--texture-res', '512', '-f', 'glb', '--json']);
    expect((await enq.exited).code).toBe(0);
    const enqueued = enq.out.text.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as { id: string; input: string; output: string });
    expect(enqueued).toHaveLength(TOTAL);
    // Enqueueing the same work again adds nothing (deterministic job ids).
    const again = cli(['enqueue', inDir, '-o', out, '--redis', url(), '--queue', QUEUE, '--detail-res', '512', '--texture-res', '512', '-f', 'glb', '-q']);
    expect((await again.exited).code).toBe(0);
    // A transient failure (library API): the input appears only after the first attempt failed.
    const late = join(tmp, 'late', 'late.jpg');
    const [lateJob] = await enqueueJobs([{ input: late, output: join(out, 'late'), options: { detailResolution: 512, textureResolution: 512, formats: ['glb'] } }], { redis: url(), queue: QUEUE, backoffMs: 500 });
    const lateFile = until('the late job to fail once', async () => {
      const j = await queue!.getJob(lateJob!.id);
      if ((j?.attemptsMade ?? 0) < 1) return undefined;
      await mkdir(dirname(late), { recursive: true });
      await copyFile(join(PHOTOS, 'faceapi_happy.jpg'), late);
      return j!.failedReason;
    }, 590_000, workers);
    lateFile.catch(() => undefined); // awaited below

    // ---- SIGKILL worker A in the middle of a good job (past decode and analyze) -------------
    const killed = await until('worker A in the middle of a job', async () => {
      const c = await counts();
      if ((c['completed'] ?? 0) < 4) return undefined;
      const active = await queue!.getActive();
      const j = active.find((x) => {
        const p = x.progress as Partial<ReconstructJobProgress> | number;
        return x.processedBy === 'wA' && typeof p === 'object' && (p.stagesDone ?? 0) >= 2;
      });
      return j?.id;
    }, 300_000, workers);
    a.child.kill('SIGKILL');
    expect((await a.exited).signal).toBe('SIGKILL');
    const a2 = startWorker('wA2');

    // ---- restart Redis mid-run ---------------------------------------------------------------
    await until('20 jobs done', async () => { const c = await counts(); return (c['completed'] ?? 0) + (c['failed'] ?? 0) >= 20 ? true : undefined; }, 300_000, workers);
    const before = await counts();
    expect((before['completed'] ?? 0) + (before['failed'] ?? 0)).toBeLessThan(TOTAL - 5); // the restart is mid-run
    redis!.child.kill('SIGTERM');
    await redis!.exited;
    await sleep(1500);
    redis = await startRedis();

    // ---- all done ---------------------------------------------------------------------------------
    const final = await until('every job finished', async () => {
      const c = await counts();
      const pending = (c['waiting'] ?? 0) + (c['prioritized'] ?? 0) + (c['active'] ?? 0) + (c['delayed'] ?? 0);
      return pending === 0 && (c['completed'] ?? 0) + (c['failed'] ?? 0) === TOTAL + 1 ? c : undefined;
    }, 400_000, workers);
    expect(final['completed']).toBe(GOOD.length * COPIES + 1);
    expect(await lateFile).toMatch(/^IO_ERROR: /);
    const lj = await queue!.getJob(lateJob!.id);
    expect(await lj!.isCompleted()).toBe(true);
    expect(lj!.attemptsMade).toBe(2); // failed once, retried after the backoff
    expect(final['failed']).toBe(N_GARBAGE + N_TRUNCATED + N_NOFACE);

    // The killed job was redone and completed (once in effect: one folder, checked below).
    const kj = await queue!.getJob(killed);
    expect(await kj!.isCompleted()).toBe(true);
    expect(kj!.processedBy).not.toBe('wA'); // redone by another worker
    // Progress per stage: the last update of a completed job is the finished export.
    const p = kj!.progress as unknown as ReconstructJobProgress;
    expect(p.stage).toBe('export');
    expect(p.stagesDone).toBe(p.stagesTotal);

    // ---- `queue status`: counts and the failures' codes, each failure after one attempt ----------
    const st = cli(['queue', 'status', '--redis', url(), '--queue', QUEUE, '--json']);
    expect((await st.exited).code).toBe(0);
    const status = JSON.parse(st.out.text.trim().split('\n').pop()!) as QueueStatus;
    expect(status.counts).toMatchObject({ completed: GOOD.length * COPIES + 1, failed: N_GARBAGE + N_TRUNCATED + N_NOFACE, waiting: 0, active: 0, delayed: 0 });
    expect(status.failedByCode).toEqual({ UNSUPPORTED_IMAGE: N_GARBAGE, CORRUPT_IMAGE: N_TRUNCATED, NO_FACE: N_NOFACE });
    const codeOf = (input: string): string => (input.includes('garbage-') ? 'UNSUPPORTED_IMAGE' : input.includes('truncated-') ? 'CORRUPT_IMAGE' : 'NO_FACE');
    for (const f of status.failures) {
      expect(f.code).toBe(codeOf(f.input));
      expect(f.attemptsMade).toBe(1); // permanent: never retried
      expect(f.message.length).toBeGreaterThan(10);
    }
    const human = cli(['queue', 'status', '--redis', url(), '--queue', QUEUE]);
    await human.exited;
    expect(human.out.text).toMatch(new RegExp(`completed\\s+${GOOD.length * COPIES + 1}\\n`));
    expect(human.out.text).toMatch(new RegExp(`NO_FACE\\s+${N_NOFACE}\\n`));

    // ---- the outputs: exactly one complete folder per good input, nothing else --------------
    const entries = (await readdir(out)).sort();
    expect(entries).toEqual([...goodStems, 'late']); // no hidden .tmp-/.old- folders, no folder for a bad input
    for (const stem of [...goodStems, 'late']) {
      const files = (await readdir(join(out, stem))).sort();
      expect(files).toEqual(['.facedetail', 'albedo.png', 'confidence.png', 'displacement.png', 'face.glb', 'normal.png', 'result.json', 'texture.png']);
      const glb = await readFile(join(out, stem, 'face.glb'));
      expect(glb.subarray(0, 4).toString('latin1')).toBe('glTF');
      expect(glb.readUInt32LE(8)).toBe(glb.length); // complete: the header's length is the file's
      const result = JSON.parse(readFileSync(join(out, stem, 'result.json'), 'utf8')) as { source?: { name?: string } };
      expect(JSON.stringify(result)).toContain(`${stem}.jpg`);
    }

    // ---- graceful stop: SIGTERM, exit code 0 ----------------------------------------------------
    for (const w of [b, a2]) w.child.kill('SIGTERM');
    for (const w of [b, a2]) {
      const r = await w.exited;
      expect(r.code, w.out.text.slice(-2000)).toBe(0);
      expect(w.out.text).toMatch(/stopped/);
    }
  }, 600_000); // about 70 s on an idle 2-core machine; the limit is for a heavily loaded one
});

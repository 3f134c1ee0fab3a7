/**
 * The queue's pure parts and its command line without Redis: job ids, failure reasons, Redis
 * URLs, the permanent / transient split, the sub-command dispatch and its usage errors.
 */
import { describe, expect, it } from 'vitest';
import { FaceDetailError } from '../../src/core/errors.js';
import { run, type CliStream } from '../../src/node/cli.js';
import { failedReason, isPermanentCode, jobIdFor, parseFailedReason, redisConnection } from '../../src/node/queue/jobs.js';
import { isQueueCommand } from '../../src/node/queue/is-queue-command.js';
import { enqueueJobs, queueStatus } from '../../src/node/queue/producer.js';

class Sink implements CliStream {
  text = '';
  write(chunk: string): boolean { this.text += chunk; return true; }
}

describe('queue jobs', () => {
  it('job ids are deterministic and depend on input, output and options (not their key order)', () => {
    const a = jobIdFor({ input: '/p/a.jpg', output: '/o/a', options: { detailResolution: 512, formats: ['glb'] } });
    expect(a).toMatch(/^fd-[0-9a-f]{32}$/);
    expect(jobIdFor({ input: '/p/a.jpg', output: '/o/a', options: { formats: ['glb'], detailResolution: 512 } })).toBe(a);
    expect(jobIdFor({ input: '/p/a.jpg', output: '/o/a', options: { formats: ['glb'], detailResolution: 1024 } })).not.toBe(a);
    expect(jobIdFor({ input: '/p/a.jpg', output: '/o/b', options: { formats: ['glb'], detailResolution: 512 } })).not.toBe(a);
    expect(jobIdFor({ input: '/p/a.jpg', output: '/o/a' })).toBe(jobIdFor({ input: '/p/a.jpg', output: '/o/a', options: {} }));
  });

  it('failure reasons carry the code, and parse back', () => {
    const r = failedReason(new FaceDetailError('NO_FACE', 'no face found'));
    expect(r).toEqual({ code: 'NO_FACE', message: 'no face found', text: 'NO_FACE: no face found' });
    expect(parseFailedReason(r.text)).toEqual({ code: 'NO_FACE', message: 'no face found' });
    expect(failedReason(new Error('boom')).text).toBe('INTERNAL: boom');
    expect(parseFailedReason('job stalled more than allowable limit')).toEqual({ code: 'QUEUE_ERROR', message: 'job stalled more than allowable limit' });
    expect(parseFailedReason(undefined).code).toBe('QUEUE_ERROR');
  });

  it('image, face and option errors are permanent; I/O, model and internal errors are retried', () => {
    for (const c of ['NO_FACE', 'UNSUPPORTED_IMAGE', 'CORRUPT_IMAGE', 'IMAGE_TOO_LARGE', 'IMAGE_TOO_SMALL', 'INVALID_OPTION']) expect(isPermanentCode(c)).toBe(true);
    for (const c of ['IO_ERROR', 'MODEL_LOAD_FAILED', 'INTERNAL', 'QUEUE_ERROR']) expect(isPermanentCode(c)).toBe(false);
  });

  it('parses Redis URLs and rejects anything else, naming the option', () => {
    expect(redisConnection('redis://127.0.0.1:6380')).toEqual({ host: '127.0.0.1', port: 6380 });
    expect(redisConnection('redis://redis.internal')).toEqual({ host: 'redis.internal', port: 6379 });
    expect(redisConnection('rediss://u:p%40ss@h:1/3')).toEqual({ host: 'h', port: 1, username: 'u', password: 'p@ss', db: 3, tls: {} });
    expect(() => redisConnection('http://h:6379')).toThrow('--redis: expected a redis:// or rediss:// URL, received "http://h:6379".');
    expect(() => redisConnection('127.0.0.1:6379')).toThrow('--redis: expected a URL like redis://host:6379, received "127.0.0.1:6379".');
    expect(() => redisConnection('not a url')).toThrow('--redis: expected a URL like redis://host:6379, received "not a url".');
    expect(() => redisConnection('redis://h/x')).toThrow('--redis: the database in "redis://h/x" must be a number ≥ 0.');
  });
});

describe('queue command line (no Redis needed)', () => {
  it('tells the sub-commands apart from inputs named worker / enqueue / queue', () => {
    const a = (...args: string[]): string[] => ['node', 'facedetail', ...args];
    expect(isQueueCommand(a('worker', '--redis', 'redis://h'))).toBe(true);
    expect(isQueueCommand(a('worker', '--redis=redis://h'))).toBe(true);
    expect(isQueueCommand(a('enqueue', 'photos/', '-o', 'out', '--redis', 'redis://h'))).toBe(true);
    expect(isQueueCommand(a('queue', 'status', '--redis', 'redis://h'))).toBe(true);
    expect(isQueueCommand(a('worker'))).toBe(true);
    expect(isQueueCommand(a('worker', '--help'))).toBe(true);
    expect(isQueueCommand(a('worker', '-o', 'out'))).toBe(false);
    expect(isQueueCommand(a('queue', 'other.jpg', '-o', 'out'))).toBe(false);
    expect(isQueueCommand(a('photo.jpg', '-o', 'out'))).toBe(false);
  });

  it('usage errors exit 2 with the option named', async () => {
    const err = new Sink();
    expect(await run(['node', 'facedetail', 'worker', '--redis', 'redis://127.0.0.1:1', '--concurrency', '0'], { stdout: new Sink(), stderr: err })).toBe(2);
    expect(err.text).toMatch(/INVALID_OPTION: --concurrency must be an integer from 1 to 64, got 0\./);
    const err2 = new Sink();
    expect(await run(['node', 'facedetail', 'enqueue', 'x.jpg', '--redis', 'redis://127.0.0.1:1'], { stdout: new Sink(), stderr: err2 })).toBe(2);
    expect(err2.text).toMatch(/required option '-o, --out <dir>'/);
    const err3 = new Sink();
    expect(await run(['node', 'facedetail', 'queue', 'status', '--redis', 'http://h'], { stdout: new Sink(), stderr: err3 })).toBe(2);
    expect(err3.text).toContain('facedetail: INVALID_OPTION: --redis: expected a redis:// or rediss:// URL, received "http://h".');
  });

  it('--help lists the sub-command options', async () => {
    const out = new Sink();
    expect(await run(['node', 'facedetail', 'worker', '--help'], { stdout: out, stderr: new Sink() })).toBe(0);
    expect(out.text).toMatch(/--concurrency <n>/);
    expect(out.text).toMatch(/SIGTERM/);
  });

  it('bad job options are refused before anything is enqueued', async () => {
    await expect(enqueueJobs([{ input: '/a.jpg', output: '/o/a', options: { detailResolution: 99 } }], { redis: 'redis://127.0.0.1:1' }))
      .rejects.toThrow('detailResolution must be an integer from 512 to 2048, got 99');
    await expect(enqueueJobs([{ input: '/a.jpg', output: '/o/a', options: { formats: ['fbx' as 'glb'] } }], { redis: 'redis://127.0.0.1:1' }))
      .rejects.toThrow('formats must be a non-empty list of glb, obj, ply, got ["fbx"].');
  });

  it('a Redis that is not there is an IO_ERROR that says so, not a hang', async () => {
    const e = await queueStatus({ redis: 'redis://127.0.0.1:1' }).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(FaceDetailError);
    expect((e as FaceDetailError).code).toBe('IO_ERROR');
    expect((e as FaceDetailError).message).toMatch(/^Cannot use the queue "facedetail" at redis:\/\/127\.0\.0\.1:1: .*Is redis-server running there\?$/);
  }, 30_000);
});

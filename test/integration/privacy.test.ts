/**
 * Privacy in fact: a real reconstructor (Human on tfjs-wasm + the DFDN onnxruntime session),
 * kept alive for 16 s after reconstructing a photo, opens no network socket. Run under
 * `strace -f -e trace=network` (every thread and child). Before the guard in
 * src/node/no-telemetry.ts, onnxruntime-node's telemetry looked up its host about 10 s after
 * start (a UDP socket to the resolver, then HTTPS) and wrote /tmp/mat-debug-<pid>.log.
 *
 * Skipped with a printed reason when strace or the shared photos are absent (.ci/run installs strace).
 */
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureBuilt, ROOT } from '../fixtures/built.js';

const SHARED = process.env['FACEDETAIL_SHARED'] ?? resolve(ROOT, '..', 'shared');
const PHOTO = join(SHARED, 'photos', 'grace_hopper.jpg');
const strace = ((): string | undefined => {
  try {
    execFileSync('strace', ['-V'], { stdio: 'ignore' });
    return 'strace';
  } catch {
    return undefined;
  }
})();
const skip = strace === undefined ? 'strace is not installed (apt-get install strace)' : !existsSync(PHOTO) ? `${PHOTO} (FACEDETAIL_SHARED) is absent` : undefined;
if (skip !== undefined) console.log(`[privacy.test] skipping the network-silence test: ${skip}`);

/** The syscalls of a trace that reach beyond this machine's local sockets (AF_UNIX, netlink, loopback). */
export function nonLocalNetworkCalls(trace: string): string[] {
  const bad: string[] = [];
  for (const line of trace.split('\n')) {
    const socket = /socket\((AF_[A-Z0-9]+)/.exec(line);
    if (socket && socket[1] !== 'AF_UNIX' && socket[1] !== 'AF_LOCAL' && socket[1] !== 'AF_NETLINK') bad.push(line);
    const addr = /(connect|sendto|sendmsg|bind)\(.*sin6?_addr=inet_(?:addr|pton)\((?:AF_INET6, )?"([^"]+)"/.exec(line);
    if (addr && !/^(127\.|::1$|::ffff:127\.)/.test(addr[2]!)) bad.push(line);
  }
  return [...new Set(bad)];
}

describe.skipIf(skip !== undefined)('no network: a long-running reconstructor under strace', () => {
  let dir = '';
  beforeAll(async () => {
    await ensureBuilt();
    dir = await mkdtemp(join(tmpdir(), 'facedetail-privacy-'));
  });
  afterAll(async () => { if (dir) await rm(dir, { recursive: true, force: true }); });

  it('the parser flags an internet socket and a DNS connect, not local ones', () => {
    const trace = [
      '1 socket(AF_UNIX, SOCK_STREAM|SOCK_CLOEXEC, 0) = 3',
      '2 connect(4, {sa_family=AF_INET, sin_port=htons(8080), sin_addr=inet_addr("127.0.0.1")}, 16) = 0',
      '3 connect(24, {sa_family=AF_INET, sin_port=htons(53), sin_addr=inet_addr("10.255.255.53")}, 16 <unfinished ...>',
      '4 socket(AF_INET6, SOCK_DGRAM, IPPROTO_IP) = 23',
    ].join('\n');
    expect(nonLocalNetworkCalls(trace)).toEqual([trace.split('\n')[2], trace.split('\n')[3]]);
  });

  it('opens no socket other than local ones in 16 s, and writes no telemetry log', async () => {
    const traceFile = join(dir, 'trace.txt');
    const started = Date.now() - 1000;
    const env = { ...process.env };
    delete env['ORT_DISABLE_TELEMETRY']; // the library must set it itself
    const { code, stdout, stderr } = await new Promise<{ code: number | null; stdout: string; stderr: string }>((res) => {
      const child = spawn(strace!, ['-f', '-e', 'trace=network', '-o', traceFile, process.execPath, join(ROOT, 'test', 'fixtures', 'privacy-probe.mjs'), PHOTO], { cwd: ROOT, env: { ...env, PROBE_SECONDS: '16' } });
      let o = '', e = '';
      child.stdout.on('data', (d: Buffer) => { o += d.toString(); });
      child.stderr.on('data', (d: Buffer) => { e += d.toString(); });
      child.on('close', (c) => res({ code: c, stdout: o, stderr: e }));
    });
    expect(code, stderr).toBe(0);
    expect(stdout).toMatch(/probe done/);
    const trace = await readFile(traceFile, 'utf8');
    expect(trace.length).toBeGreaterThan(0);
    expect(nonLocalNetworkCalls(trace)).toEqual([]);
    const pids = new Set([...trace.matchAll(/^(\d+) /gm)].map((m) => m[1]));
    // A log of this run's processes (pids are reused: an older file of the same name is not ours).
    const fresh = (p: string): boolean => existsSync(p) && statSync(p).mtimeMs >= started;
    for (const pid of pids) expect(fresh(`/tmp/mat-debug-${pid}.log`), `telemetry log of pid ${pid}`).toBe(false);
  });
});

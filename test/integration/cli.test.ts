/**
 * The `facedetail` CLI.
 *
 * 1. In-process, through `run()` with a FAKE reconstructor (fast, no models): options, inputs,
 *    output folders, --json, exit codes, progress output.
 * 2. End to end: `node bin/facedetail.js` (dist/ is rebuilt with tsc when older than src/) on
 *    $FACEDETAIL_SHARED/photos (default ../shared beside the project; skipped when absent).
 */
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FaceDetailError } from '../../src/core/errors.js';
import type { FaceReconstruction, ProgressCallback } from '../../src/core/pipeline/types.js';
import { run, type CliIO, type CliStream } from '../../src/node/cli.js';
import type { DecodedImage } from '../../src/node/decode-image.js';
import type { Reconstructor, ReconstructorOptions } from '../../src/node/reconstructor.js';
import { ensureBuilt, node } from '../fixtures/built.js';
import { OUTPUT_MARKER, OUTPUT_LOCK } from '../../src/node/write-output.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const VERSION = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;

class Sink implements CliStream {
  text = '';
  constructor(readonly isTTY = false) {}
  write(chunk: string): boolean { this.text += chunk; return true; }
}

/**
 * A fake reconstructor: the number of faces is decided by the image width
 * (100 px → 1 face, 120 px → none, 140 px → 2 faces, 160 px → throws a plain Error).
 */
function fakeFactory(): { io: Pick<CliIO, 'createReconstructor' | 'buildOutputFiles'>; calls: { created: ReconstructorOptions[]; disposed: number; built: Array<{ formats: string[]; sourceName: string; version: string }>; glb: unknown[] } } {
  const calls = { created: [] as ReconstructorOptions[], disposed: 0, built: [] as Array<{ formats: string[]; sourceName: string; version: string }>, glb: [] as unknown[] };
  const faces = async (input: string | Uint8Array | DecodedImage, options?: { onProgress?: ProgressCallback }): Promise<FaceReconstruction[]> => {
    if (typeof input === 'string' || input instanceof Uint8Array) throw new Error('the CLI should pass a DecodedImage');
    const n = input.width === 100 ? 1 : input.width === 140 ? 2 : input.width === 160 ? -1 : 0;
    if (n < 0) throw new Error('boom');
    options?.onProgress?.({ stage: 'analyze', done: false });
    options?.onProgress?.({ stage: 'analyze', done: true, ms: 1 });
    if (n === 0) throw new FaceDetailError('NO_FACE', 'no face found in the image');
    const out: FaceReconstruction[] = [];
    for (let i = 0; i < n; i++) {
      for (const stage of ['camera', 'proxy', 'unwrap', 'lighting', 'detail', 'mesh'] as const) {
        options?.onProgress?.({ stage, done: false, faceIndex: i });
        options?.onProgress?.({ stage, done: true, faceIndex: i, ms: 2 });
      }
      out.push({ faceIndex: i, warnings: i === 1 ? ['small face'] : [], timings: {} } as unknown as FaceReconstruction);
    }
    return out;
  };
  const io: Pick<CliIO, 'createReconstructor' | 'buildOutputFiles'> = {
    createReconstructor: async (options) => {
      calls.created.push(options);
      const rec: Reconstructor = {
        reconstruct: async (input, o) => (await faces(input, o))[0]!,
        reconstructAll: faces,
        dispose: async () => { calls.disposed++; },
      };
      return rec;
    },
    buildOutputFiles: (rec, o) => {
      calls.built.push({ formats: [...o.formats], sourceName: o.sourceName, version: o.version });
      calls.glb.push(o.glb);
      const files: Record<string, Uint8Array> = { 'result.json': new TextEncoder().encode(JSON.stringify({ faceIndex: rec.faceIndex, source: o.sourceName })) };
      for (const f of o.formats) files[`face.${f}`] = new Uint8Array([1, 2, 3]);
      return files;
    },
  };
  return { io, calls };
}

async function solid(path: string, width: number, height = 100): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  await sharp({ create: { width, height, channels: 3, background: '#a08070' } }).jpeg().toFile(path);
}

let work = '';
beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'facedetail-cli-'));
  await solid(join(work, 'in', 'face.jpg'), 100);
  await solid(join(work, 'in', 'empty.jpg'), 120);
  await solid(join(work, 'in', 'two.jpg'), 140);
  await solid(join(work, 'in', 'notes.txt.jpg'), 100);
  await writeFile(join(work, 'in', 'readme.txt'), 'not an image');
  await solid(join(work, 'in', 'sub', 'deep.png'), 100);
  await solid(join(work, 'other', 'face.png'), 100);
  await solid(join(work, 'crash.jpg'), 160);
  await writeFile(join(work, 'broken.jpg'), (await readFile(join(work, 'in', 'face.jpg'))).subarray(0, 300));
});
afterAll(async () => { if (work) await rm(work, { recursive: true, force: true }); });

async function cli(args: string[], opts: { tty?: boolean; out?: string } = {}): Promise<{ code: number; stdout: string; stderr: string; json: Array<Record<string, unknown>>; calls: ReturnType<typeof fakeFactory>['calls']; out: string }> {
  const { io, calls } = fakeFactory();
  const stdout = new Sink(false), stderr = new Sink(opts.tty === true);
  const out = opts.out ?? (await mkdtemp(join(work, 'out-')));
  const code = await run(['node', 'facedetail', ...args.map((a) => a.replace('$OUT', out))], { ...io, stdout, stderr, cwd: work });
  const json = !args.includes('--json') ? [] : stdout.text.split('\n').filter((l) => l !== '').map((l) => JSON.parse(l) as Record<string, unknown>);
  return { code, stdout: stdout.text, stderr: stderr.text, json, calls, out };
}

/** A folder's entries, sorted, without facedetail's marker file in output folders. */
async function ls(dir: string): Promise<string[]> {
  return existsSync(dir) ? (await readdir(dir)).filter((n) => n !== OUTPUT_MARKER).sort() : [];
}

describe('facedetail CLI (fake reconstructor)', () => {
  it('continues past a failing input: exit 1, JSON per input, folder only for the face, summary on stderr', async () => {
    const r = await cli(['in/face.jpg', 'in/empty.jpg', '-o', '$OUT', '--json', '--format', 'glb,obj,ply']);
    expect(r.code).toBe(1);
    expect(r.json).toHaveLength(2);
    expect(r.json[0]).toMatchObject({ input: 'in/face.jpg', status: 'ok', faces: 1, outputs: [join(r.out, 'face')] });
    expect((r.json[0]!['timingsMs'] as Record<string, number>)['total']).toBeGreaterThanOrEqual(0);
    expect(r.json[1]).toMatchObject({ input: 'in/empty.jpg', status: 'error', error: { code: 'NO_FACE' } });
    expect(await ls(r.out)).toEqual(['face']);
    expect(await ls(join(r.out, 'face'))).toEqual(['face.glb', 'face.obj', 'face.ply', 'result.json']);
    expect(r.stderr).toMatch(/2 inputs: 1 ok, 1 failed/);
    expect(r.stderr).toMatch(/in\/empty\.jpg: NO_FACE: no face found/);
    expect(r.calls.created).toHaveLength(1);
    expect(r.calls.disposed).toBe(1);
    expect(r.calls.built[0]).toEqual({ formats: ['glb', 'obj', 'ply'], sourceName: 'face.jpg', version: VERSION });
  });

  it('exit 0 when all succeed, and forwards the options', async () => {
    const r = await cli(['in/face.jpg', '-o', '$OUT', '--format', 'PLY, glb', '--detail-res', '2048', '--texture-res', '512', '--detail-strength', '0.5', '--focal-35mm', '26', '--max-pixels', '1e7', '--detail', 'dfdn+sfs']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe('');
    expect(r.calls.created[0]).toMatchObject({ detailResolution: 2048, textureResolution: 512, detailStrength: 0.5, focalLength35mm: 26, maxPixels: 1e7, detail: 'dfdn+sfs' });
    expect((await cli(['in/face.jpg', '-o', '$OUT'])).calls.created[0]).toMatchObject({ detail: 'dfdn' });
    const bad = await cli(['in/face.jpg', '-o', '$OUT', '--detail', 'neural']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/INVALID_OPTION: --detail must be one of 'sfs', 'dfdn', 'dfdn\+sfs', got "neural"\./);
    expect(r.calls.built[0]!.formats).toEqual(['ply', 'glb']);
    expect(await ls(join(r.out, 'face'))).toEqual(['face.glb', 'face.ply', 'result.json']);
    expect(r.calls.glb[0]).toEqual({ compress: 'none' });
    // not a TTY: one line per image, then the summary
    expect(r.stderr).toMatch(/\[1\/1\] in\/face\.jpg → .*face \(1 face, /);
    expect(r.stderr).toMatch(/1 input: 1 ok, 0 failed/);
  });

  it('--all-faces writes <name>_face<i> per face and reports warnings', async () => {
    const r = await cli(['in/two.jpg', '-o', '$OUT', '--all-faces', '--json']);
    expect(r.code).toBe(0);
    expect(await ls(r.out)).toEqual(['two_face0', 'two_face1']);
    expect(r.json[0]).toMatchObject({ faces: 2, warnings: ['face 1: small face'] });
    expect(r.stderr).toMatch(/warning: face 1: small face/);
  });

  it('expands folders (non-recursive unless -r) and globs, skipping non-images', async () => {
    const a = await cli(['in', '-o', '$OUT', '--json']);
    expect(a.json.map((j) => j['input'])).toEqual(['in/empty.jpg', 'in/face.jpg', 'in/notes.txt.jpg', 'in/two.jpg']);
    expect(await ls(a.out)).toEqual(['face', 'notes.txt', 'two']);
    const b = await cli(['in', '-r', '-o', '$OUT', '--json']);
    expect(b.json.map((j) => j['input'])).toContain('in/sub/deep.png');
    const c = await cli(['in/*', '-o', '$OUT', '--json']);
    expect(c.json.map((j) => j['input'])).toEqual(['in/empty.jpg', 'in/face.jpg', 'in/notes.txt.jpg', 'in/two.jpg']);
    const d = await cli(['**/face.*', '-o', '$OUT', '--json']);
    expect(d.json.map((j) => j['input']).sort()).toEqual(['in/face.jpg', 'other/face.png']);
    // same stem twice: face and face_2
    expect(await ls(d.out)).toEqual(['face', 'face_2']);
  });

  it('an unmatched input among matched ones is a failure (exit 1); nothing matched at all is a usage error (exit 2)', async () => {
    const a = await cli(['in/face.jpg', 'missing.jpg', '-o', '$OUT', '--json']);
    expect(a.code).toBe(1);
    expect(a.json.find((j) => j['input'] === 'missing.jpg')).toMatchObject({ status: 'error', error: { code: 'IO_ERROR' } });
    const b = await cli(['missing.jpg', 'nothing/*.jpg', '-o', '$OUT', '--json']);
    expect(b.code).toBe(2);
    expect(b.stdout).toBe('');
    expect(b.stderr).toMatch(/no input image matched: "missing\.jpg", "nothing\/\*\.jpg"/);
    expect(b.calls.created).toHaveLength(0);
  });

  it('reports decode failures and unexpected errors per input and goes on', async () => {
    const r = await cli(['broken.jpg', 'crash.jpg', 'in/face.jpg', '-o', '$OUT', '--json']);
    expect(r.code).toBe(1);
    expect(r.json.map((j) => (j['error'] as { code?: string } | undefined)?.code ?? j['status'])).toEqual(['CORRUPT_IMAGE', 'INTERNAL', 'ok']);
    expect(await ls(r.out)).toEqual(['face']);
  });

  it('writes only face.glb by default; --compress picks the GLB compression (draco: with the Node encoder)', async () => {
    const r = await cli(['in/face.jpg', '-o', '$OUT']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.calls.built[0]!.formats).toEqual(['glb']);
    expect(await ls(join(r.out, 'face'))).toEqual(['face.glb', 'result.json']);
    expect((await cli(['in/face.jpg', '-o', '$OUT', '--compress', 'meshopt'])).calls.glb[0]).toEqual({ compress: 'meshopt' });
    const draco = (await cli(['in/face.jpg', '-o', '$OUT', '--compress', 'draco'])).calls.glb[0] as { compress: string; dracoEncoder: unknown };
    expect(draco.compress).toBe('draco');
    expect(typeof draco.dracoEncoder).toBe('object');
    // OBJ only: no GLB options.
    expect((await cli(['in/face.jpg', '-o', '$OUT', '--format', 'obj'])).calls.glb[0]).toBeUndefined();
  });

  it.each([
    [['in/face.jpg', '-o', '$OUT', '--compress', 'zip'], /INVALID_OPTION: --compress must be one of 'none', 'meshopt', 'draco', got "zip"\./],
    [['in/face.jpg'], /required option '-o, --out <dir>'/],
    [['in/face.jpg', '-o', '$OUT', '--format', 'fbx'], /--format must be a non-empty list of glb, obj, ply, got "fbx"\./],
    [['in/face.jpg', '-o', '$OUT', '--format', ','], /--format must be a non-empty list/],
    [['in/face.jpg', '-o', '$OUT', '--detail-res', '4096'], /--detail-res must be an integer from 512 to 2048, got 4096\./],
    [['in/face.jpg', '-o', '$OUT', '--detail-res', '1000.5'], /--detail-res/],
    [['in/face.jpg', '-o', '$OUT', '--texture-res', 'big'], /--texture-res/],
    [['in/face.jpg', '-o', '$OUT', '--detail-strength', '-1'], /--detail-strength must be a number from 0 to 10, got -1\./],
    [['in/face.jpg', '-o', '$OUT', '--focal-35mm', '0'], /--focal-35mm/],
    [['in/face.jpg', '-o', '$OUT', '--max-pixels', '0'], /--max-pixels/],
    [['in/face.jpg', '-o', '$OUT', '--bogus'], /unknown option '--bogus'/],
    [[], /missing required argument 'inputs'|required option/],
    [['in/face.jpg', '-o', 'in/face.jpg'], /exists and is not a folder/],
  ])('usage error %j → exit 2', async (args, message) => {
    const r = await cli(args);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(message);
    expect(r.stderr).toMatch(/facedetail --help/);
    expect(r.stdout).toBe('');
    expect(r.calls.created).toHaveLength(0);
  });

  it('--help and --version print to stdout and exit 0', async () => {
    const h = await cli(['--help']);
    expect(h.code).toBe(0);
    expect(h.stdout).toMatch(/Usage: facedetail/);
    expect(h.stdout).toMatch(/Exit codes:\n\s+0 .*\n\s+1 .*\n\s+2 /);
    const v = await cli(['--version']);
    expect(v.code).toBe(0);
    expect(v.stdout.trim()).toBe(VERSION);
  });

  it('draws a progress bar per image on a TTY, and nothing but failures with --quiet', async () => {
    const t = await cli(['in/face.jpg', 'in/empty.jpg', '-o', '$OUT'], { tty: true });
    expect(t.code).toBe(1);
    expect(t.stderr).toMatch(/\[1\/2\] in\/face\.jpg .*\[=+\] 100% → /);
    expect(t.stderr).toMatch(/\[2\/2\] in\/empty\.jpg .*failed: NO_FACE/);
    const q = await cli(['in/face.jpg', '-o', '$OUT', '--quiet'], { tty: true });
    expect(q.code).toBe(0);
    expect(q.stderr).toBe('');
    const qf = await cli(['in/face.jpg', 'in/empty.jpg', '-o', '$OUT', '-q']);
    expect(qf.code).toBe(1);
    expect(qf.stderr).toMatch(/^facedetail: 2 inputs: 1 ok, 1 failed:\n {2}in\/empty\.jpg: NO_FACE/);
  });

  it('when the reconstructor cannot be created every input fails (exit 1); a bad option there is exit 2', async () => {
    const run1 = async (err: Error): Promise<{ code: number; stdout: string; stderr: string }> => {
      const stdout = new Sink(), stderr = new Sink();
      const out = await mkdtemp(join(work, 'out-'));
      const code = await run(['node', 'facedetail', 'in/face.jpg', 'in/two.jpg', '-o', out, '--json'], {
        stdout, stderr, cwd: work,
        createReconstructor: async () => { throw err; },
      });
      return { code, stdout: stdout.text, stderr: stderr.text };
    };
    const a = await run1(new FaceDetailError('MODEL_LOAD_FAILED', 'cannot load the face models'));
    expect(a.code).toBe(1);
    const lines = a.stdout.trim().split('\n').map((l) => JSON.parse(l) as { error: { code: string } });
    expect(lines.map((l) => l.error.code)).toEqual(['MODEL_LOAD_FAILED', 'MODEL_LOAD_FAILED']);
    expect(a.stderr).toMatch(/2 inputs: 0 ok, 2 failed/);
    const b = await run1(new FaceDetailError('INVALID_OPTION', 'detailResolution must be ...'));
    expect(b.code).toBe(2);
    expect(b.stdout).toBe('');
  });
});

describe('facedetail CLI: any file name is safe (fake reconstructor)', () => {
  it('"..jpg" and "...jpg" never touch the output folder or its parent; odd names become one safe segment', async () => {
    const dir = await mkdtemp(join(work, 'names-'));
    const names = ['..jpg', '...jpg', ' . .jpg', 'evil\u001b[2J\nline.jpg', `${'é'.repeat(120)}.jpg`, 'CON.jpg', 'a:b?.jpg'];
    for (const n of names) await solid(join(dir, 'in', n), 100);
    const parent = join(dir, 'parent');
    const out = join(parent, 'out');
    await mkdir(out, { recursive: true });
    await writeFile(join(parent, 'keep.txt'), 'precious');
    await writeFile(join(out, 'keep.txt'), 'precious');
    const r = await cli([join(dir, 'in'), '-o', out, '--json'], { out });
    expect(r.code, r.stderr).toBe(0);
    expect(await readFile(join(parent, 'keep.txt'), 'utf8')).toBe('precious');
    expect(await readFile(join(out, 'keep.txt'), 'utf8')).toBe('precious');
    const made = (await ls(out)).filter((n) => n !== 'keep.txt');
    expect(made).toHaveLength(names.length);
    for (const m of made) {
      expect(m).not.toMatch(/^\.|[\u0000-\u001f/\\]/);
      expect(Buffer.byteLength(m)).toBeLessThanOrEqual(120);
      expect(await ls(join(out, m))).toEqual(['face.glb', 'result.json']);
    }
    expect(made).toContain('image');
    expect(made).toContain('image_2');
    expect(made).toContain('CON_');
    expect(made).toContain('a_b_');
    // Names are printed escaped: no raw escape sequence or newline reaches the terminal.
    expect(r.stderr).not.toMatch(/\u001b/);
    expect(r.stderr).toMatch(/evil\\x1b\[2J\\x0aline\.jpg/);
  });

  it('a folder the user made is never replaced: an existing non-facedetail folder is a failure, left intact', async () => {
    const dir = await mkdtemp(join(work, 'mine-'));
    await solid(join(dir, 'face.jpg'), 100);
    const out = join(dir, 'out');
    await mkdir(join(out, 'face'), { recursive: true });
    await writeFile(join(out, 'face', 'notes.txt'), 'mine');
    const r = await cli([join(dir, 'face.jpg'), '-o', out, '--json'], { out });
    expect(r.code).toBe(1);
    expect(r.json[0]).toMatchObject({ status: 'error', error: { code: 'IO_ERROR' } });
    expect(String((r.json[0]!['error'] as { message: string }).message)).toMatch(/not written by facedetail/);
    expect(await ls(join(out, 'face'))).toEqual(['notes.txt']);
    // A facedetail result folder is replaced on the next run.
    await rm(join(out, 'face'), { recursive: true });
    expect((await cli([join(dir, 'face.jpg'), '-o', out], { out })).code).toBe(0);
    expect((await cli([join(dir, 'face.jpg'), '-o', out], { out })).code).toBe(0);
    expect(await ls(out)).toEqual(['face']);
  });

  it('takes .gif from folders, follows symlinked images, and a file reached twice (symlink, ** through a link loop) is one input', async () => {
    const dir = await mkdtemp(join(work, 'links-'));
    await mkdir(join(dir, 'in', 'sub'), { recursive: true });
    await sharp({ create: { width: 100, height: 100, channels: 3, background: '#a08070' } }).gif().toFile(join(dir, 'in', 'anim.gif'));
    await solid(join(dir, 'photos', 'real.jpg'), 100);
    const { symlink } = await import('node:fs/promises');
    await symlink(join(dir, 'photos', 'real.jpg'), join(dir, 'in', 'link.jpg'));
    await symlink(join(dir, 'in'), join(dir, 'in', 'sub', 'loop')); // a loop for "**"
    await symlink(join(dir, 'nowhere.jpg'), join(dir, 'in', 'broken.jpg'));
    const a = await cli([join(dir, 'in'), '-o', '$OUT', '--json']);
    expect(a.json.map((j) => String(j['input']).split('/').pop())).toEqual(['anim.gif', 'link.jpg']);
    const b = await cli([`${dir}/in/**/*.{jpg,gif}`, join(dir, 'photos', 'real.jpg'), '-o', '$OUT', '--json']);
    expect(b.json.map((j) => String(j['input']).split('/').pop()).sort()).toEqual(['anim.gif', 'link.jpg']);
  });

  it('a second run into a folder that a live run is writing to is refused (exit 2); a stale lock is taken over; the lock is released', async () => {
    const out = await mkdtemp(join(work, 'lock-'));
    const { spawn: sp } = await import('node:child_process');
    const sleeper = sp(process.execPath, ['-e', 'setTimeout(() => {}, 60000)']);
    try {
      await writeFile(join(out, OUTPUT_LOCK), JSON.stringify({ writer: 'facedetail', pid: sleeper.pid, host: (await import('node:os')).hostname(), started: 'now' }));
      const r = await cli(['in/face.jpg', '-o', out], { out });
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(new RegExp(`Another facedetail run \\(pid ${sleeper.pid}`));
      expect(await ls(out)).toEqual([OUTPUT_LOCK]);
    } finally {
      sleeper.kill('SIGKILL');
    }
    await new Promise((res) => sleeper.once('exit', res));
    const r2 = await cli(['in/face.jpg', '-o', out], { out });
    expect(r2.code, r2.stderr).toBe(0);
    expect(await ls(out)).toEqual(['face']);
  });

  it('leaves no output folder when every input fails and the folder did not exist', async () => {
    const out = join(await mkdtemp(join(work, 'none-')), 'out');
    const r = await cli(['in/empty.jpg', '-o', out], { out });
    expect(r.code).toBe(1);
    expect(existsSync(out)).toBe(false);
  });
});

// ---- end to end ------------------------------------------------------------------------------

const SHARED = resolve(ROOT, process.env['FACEDETAIL_SHARED'] ?? '../shared');
const PHOTOS = join(SHARED, 'photos');
const haveShared = existsSync(join(PHOTOS, 'grace_hopper.jpg')) && existsSync(join(PHOTOS, 'non_face.jpg'));
if (!haveShared) console.log(`[cli.test] skipping the end-to-end CLI tests: ${PHOTOS} (FACEDETAIL_SHARED) has no grace_hopper.jpg / non_face.jpg`);

describe.skipIf(!haveShared)('facedetail CLI end to end (node bin/facedetail.js)', () => {
  let out = '';
  beforeAll(async () => {
    await ensureBuilt();
    out = await mkdtemp(join(tmpdir(), 'facedetail-e2e-'));
  });
  afterAll(async () => { if (out) await rm(out, { recursive: true, force: true }); });

  it('--help works and documents the exit codes', async () => {
    const r = await node(['bin/facedetail.js', '--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/Usage: facedetail/);
    expect(r.stdout).toMatch(/Exit codes/);
  });

  it('--help into a pipe closed early (`| head -1`) exits 0 without an EPIPE trace', async () => {
    const r = await new Promise<{ code: number | null; stderr: string }>((done) => {
      const child = spawn(process.execPath, ['bin/facedetail.js', '--help'], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
      let stderr = '';
      child.stdout.once('data', () => child.stdout.destroy());
      child.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
      child.on('close', (code) => done({ code, stderr }));
    });
    expect(r.stderr).not.toMatch(/EPIPE|Unhandled/);
    expect(r.code).toBe(0);
  });

  it('a bad option exits 2 with a clear message', async () => {
    const r = await node(['bin/facedetail.js', join(PHOTOS, 'grace_hopper.jpg'), '-o', out, '--detail-res', '99']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--detail-res must be an integer from 512 to 2048/);
    expect(r.stdout).toBe('');
  });

  it('grace_hopper + non_face: exit 1, all files for the face, nothing for non_face, JSON lines', async () => {
    const r = await node(['bin/facedetail.js', join(PHOTOS, 'grace_hopper.jpg'), join(PHOTOS, 'non_face.jpg'), '-o', out, '--json']);
    expect(r.code, r.stderr).toBe(1);
    const lines = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatchObject({ status: 'ok', faces: 1, outputs: [join(out, 'grace_hopper')] });
    expect(lines[1]).toMatchObject({ status: 'error', error: { code: 'NO_FACE' } });
    expect(readdirSync(out).sort()).toEqual(['grace_hopper']);
    const files = readdirSync(join(out, 'grace_hopper')).filter((n) => n !== OUTPUT_MARKER).sort();
    expect(files).toEqual(['albedo.png', 'confidence.png', 'displacement.png', 'face.glb', 'normal.png', 'result.json', 'texture.png']);
    for (const f of files) expect(statSync(join(out, 'grace_hopper', f)).size, f).toBeGreaterThan(0);
    const result = JSON.parse(readFileSync(join(out, 'grace_hopper', 'result.json'), 'utf8')) as { version: string; source: string };
    expect(result.version).toBe(VERSION);
    expect(result.source).toBe('grace_hopper.jpg');
    expect(r.stderr).toMatch(/non_face\.jpg: NO_FACE/);
  });
});

import { mkdir, mkdtemp, readdir, readFile, rm, stat, utimes, writeFile } from 'node:fs/promises';
import { spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FaceDetailError, type FaceDetailErrorCode } from '../../src/core/errors.js';
import { cleanStaleTemps, OUTPUT_MARKER, writeFileAtomic, writeOutputFolder } from '../../src/node/write-output.js';

async function expectCode(p: Promise<unknown>, code: FaceDetailErrorCode): Promise<FaceDetailError> {
  let err: unknown;
  try { await p; } catch (e) { err = e; }
  expect(err, 'expected a rejection').toBeInstanceOf(FaceDetailError);
  const e = err as FaceDetailError;
  expect(e.code, e.message).toBe(code);
  return e;
}

async function exists(path: string): Promise<boolean> {
  try { await stat(path); return true; } catch { return false; }
}

/** Every entry of `dir` (a tree listing, sorted), without the output folders' marker files. */
async function tree(dir: string): Promise<string[]> {
  return (await readdir(dir, { recursive: true })).map((p) => p.replaceAll('\\', '/')).filter((p) => !p.endsWith(`/${OUTPUT_MARKER}`) && p !== OUTPUT_MARKER).sort();
}

/** Every entry of `dir`, marker files included. */
async function fullTree(dir: string): Promise<string[]> {
  return (await readdir(dir, { recursive: true })).map((p) => p.replaceAll('\\', '/')).sort();
}

/** A pid that is not running (a child that has exited). */
function deadPid(): number {
  return Number(spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' }).stdout.trim());
}

let root = '';
beforeEach(async () => { root = await mkdtemp(join(tmpdir(), 'facedetail-write-')); });
afterEach(async () => { if (root) await rm(root, { recursive: true, force: true }); });

describe('writeOutputFolder', () => {
  it('writes bytes and text, creating missing parents, and leaves no temp folder', async () => {
    const dir = join(root, 'out', 'face');
    const bytes = new Uint8Array([0, 1, 2, 255]);
    await writeOutputFolder(dir, { 'face.glb': bytes, 'result.json': '{"ok":true}\n', 'maps/normal.png': new Uint8Array([9]) });
    expect(await tree(root)).toEqual(['out', 'out/face', 'out/face/face.glb', 'out/face/maps', 'out/face/maps/normal.png', 'out/face/result.json']);
    expect(new Uint8Array(await readFile(join(dir, 'face.glb')))).toEqual(bytes);
    expect(await readFile(join(dir, 'result.json'), 'utf8')).toBe('{"ok":true}\n');
  });

  it('replaces an existing folder whole (stale files gone) and leaves no .old folder', async () => {
    const dir = join(root, 'face');
    await writeOutputFolder(dir, { 'a.txt': 'old', 'stale.txt': 'stale' });
    await writeOutputFolder(dir, { 'a.txt': 'new' });
    expect(await tree(root)).toEqual(['face', 'face/a.txt']);
    expect(await readFile(join(dir, 'a.txt'), 'utf8')).toBe('new');
  });

  it('with overwrite: false refuses an existing folder and keeps it intact', async () => {
    const dir = join(root, 'face');
    await writeOutputFolder(dir, { 'a.txt': 'old' });
    const e = await expectCode(writeOutputFolder(dir, { 'a.txt': 'new' }, { overwrite: false }), 'IO_ERROR');
    expect(e.message).toContain('already exists');
    expect(await tree(root)).toEqual(['face', 'face/a.txt']);
    expect(await readFile(join(dir, 'a.txt'), 'utf8')).toBe('old');
  });

  it('a failure mid-way (file/folder collision) leaves neither the target nor a temp folder', async () => {
    // 'a' is written as a file, then 'a/b' needs 'a' to be a folder: fails after files were written.
    const dir = join(root, 'face');
    const e = await expectCode(writeOutputFolder(dir, { 'first.txt': '1', a: 'x', 'a/b': 'y' }), 'IO_ERROR');
    expect(e.message).toContain('face');
    expect(e.message).toMatch(/Nothing was written/);
    expect(await tree(root)).toEqual([]);
    // The other order: 'a' exists as a folder when the file 'a' is written.
    await expectCode(writeOutputFolder(dir, { 'a/b': 'y', a: 'x' }), 'IO_ERROR');
    expect(await tree(root)).toEqual([]);
  });

  it('a failure keeps the previous folder intact and removes parents it created', async () => {
    const dir = join(root, 'face');
    await writeOutputFolder(dir, { 'a.txt': 'old' });
    await expectCode(writeOutputFolder(dir, { 'a.txt': 'new', x: '1', 'x/y': '2' }), 'IO_ERROR');
    expect(await tree(root)).toEqual(['face', 'face/a.txt']);
    expect(await readFile(join(dir, 'a.txt'), 'utf8')).toBe('old');

    const deep = join(root, 'new', 'deeper', 'face');
    await expectCode(writeOutputFolder(deep, { x: '1', 'x/y': '2' }), 'IO_ERROR');
    expect(await exists(join(root, 'new'))).toBe(false);
  });

  it('refuses to replace a file with a folder', async () => {
    const path = join(root, 'face');
    await writeFile(path, 'a file');
    const e = await expectCode(writeOutputFolder(path, { 'a.txt': 'x' }), 'IO_ERROR');
    expect(e.message).toMatch(/not a folder/);
    expect(await readFile(path, 'utf8')).toBe('a file');
    expect(await tree(root)).toEqual(['face']);
  });

  it('rejects bad names and values with INVALID_OPTION before touching the disk', async () => {
    const dir = join(root, 'face');
    for (const name of ['../escape.txt', '/abs.txt', 'a/../../x', '', '.']) {
      const e = await expectCode(writeOutputFolder(dir, { [name]: 'x' }), 'INVALID_OPTION');
      expect(e.message).toMatch(/^files/);
    }
    const e = await expectCode(writeOutputFolder(dir, { 'ok.txt': 'x', 'bad.bin': 42 as unknown as string }), 'INVALID_OPTION');
    expect(e.message).toContain('files["bad.bin"]');
    await expectCode(writeOutputFolder('', {}), 'INVALID_OPTION');
    expect(await tree(root)).toEqual([]);
  });
});

describe('writeOutputFolder: never deletes a folder it did not write', () => {
  it('every output folder holds the marker (writer, version, pid)', async () => {
    const dir = join(root, 'face');
    await writeOutputFolder(dir, { 'a.txt': 'x' }, { version: '9.9.9' });
    expect(await fullTree(root)).toEqual(['face', `face/${OUTPUT_MARKER}`, 'face/a.txt']);
    const m = JSON.parse(await readFile(join(dir, OUTPUT_MARKER), 'utf8')) as Record<string, unknown>;
    expect(m).toMatchObject({ writer: 'facedetail', version: '9.9.9', pid: process.pid });
  });

  it('refuses to replace a folder without the marker, leaving it untouched', async () => {
    const dir = join(root, 'photos');
    await mkdir(dir);
    await writeFile(join(dir, 'holiday.jpg'), 'precious');
    const e = await expectCode(writeOutputFolder(dir, { 'a.txt': 'x' }), 'IO_ERROR');
    expect(e.message).toMatch(/was not written by facedetail/);
    expect(await fullTree(root)).toEqual(['photos', 'photos/holiday.jpg']);
  });

  it('replaces a result folder of a facedetail version from before the marker', async () => {
    const dir = join(root, 'face');
    await mkdir(dir);
    await writeFile(join(dir, 'result.json'), JSON.stringify({ version: '0.1.0', source: 'me.jpg', units: {} }));
    await writeOutputFolder(dir, { 'a.txt': 'new' });
    expect(await tree(root)).toEqual(['face', 'face/a.txt']);
  });

  it('with parent: a target outside it ("out/..", "out/.", a grandchild) is INVALID_OPTION and nothing is touched', async () => {
    const out = join(root, 'out');
    await mkdir(out);
    await writeFile(join(root, 'mine.txt'), 'keep');
    await writeFile(join(out, 'other.txt'), 'keep');
    for (const dir of [join(out, '..'), join(out, '.'), join(out, 'a', 'b'), join(root, 'elsewhere')]) {
      const e = await expectCode(writeOutputFolder(dir, { 'a.txt': 'x' }, { parent: out }), 'INVALID_OPTION');
      expect(e.message).toMatch(/not a folder directly inside/);
    }
    expect(await fullTree(root)).toEqual(['mine.txt', 'out', 'out/other.txt']);
    await writeOutputFolder(join(out, 'face'), { 'a.txt': 'x' }, { parent: out });
    expect(await tree(root)).toEqual(['mine.txt', 'out', 'out/face', 'out/face/a.txt', 'out/other.txt']);
  });

  it('the marker name is reserved', async () => {
    await expectCode(writeOutputFolder(join(root, 'face'), { [OUTPUT_MARKER]: 'x' }), 'INVALID_OPTION');
  });
});

describe('cleanStaleTemps: what a killed run left behind', () => {
  const old = new Date(Date.now() - 3600_000);
  async function leftover(name: string, pid: number, files: Record<string, string> = { 'a.txt': 'x' }): Promise<string> {
    const d = join(root, name);
    await mkdir(d);
    await writeFile(join(d, OUTPUT_MARKER), JSON.stringify({ writer: 'facedetail', pid, host: (await import('node:os')).hostname() }));
    for (const [k, v] of Object.entries(files)) await writeFile(join(d, k), v);
    await utimes(d, old, old);
    return d;
  }

  it('deletes stale .tmp folders and temp files, restores an .old folder whose target is missing, deletes one whose target exists', async () => {
    const dead = deadPid();
    await leftover('.face.tmp-0123456789ab', dead);
    await leftover('.kept.old-0123456789ab', dead, { 'a.txt': 'previous' });
    await leftover('.other.old-ba9876543210', dead);
    await mkdir(join(root, 'other'));
    await writeFile(join(root, 'other', OUTPUT_MARKER), '{}');
    await writeFile(join(root, '.summary.json.tmp-aaaaaaaaaaaa'), 'partial');
    await utimes(join(root, '.summary.json.tmp-aaaaaaaaaaaa'), old, old);
    await cleanStaleTemps(root);
    expect(await fullTree(root)).toEqual(['kept', `kept/${OUTPUT_MARKER}`, 'kept/a.txt', 'other', `other/${OUTPUT_MARKER}`]);
    expect(await readFile(join(root, 'kept', 'a.txt'), 'utf8')).toBe('previous');
  });

  it('leaves alone: a live writer\'s temp, a fresh temp, a look-alike folder without the marker', async () => {
    await leftover('.live.tmp-0123456789ab', process.pid); // this process is alive
    const fresh = join(root, '.fresh.tmp-0123456789ab');
    await mkdir(fresh);
    await writeFile(join(fresh, OUTPUT_MARKER), JSON.stringify({ writer: 'facedetail', pid: deadPid(), host: 'x' }));
    const foreign = join(root, '.mine.tmp-0123456789ab');
    await mkdir(foreign);
    await writeFile(join(foreign, 'notes.txt'), 'user data');
    await utimes(foreign, old, old);
    await cleanStaleTemps(root);
    expect((await fullTree(root)).filter((p) => !p.includes('/'))).toEqual(['.fresh.tmp-0123456789ab', '.live.tmp-0123456789ab', '.mine.tmp-0123456789ab']);
  });

  it('runs on the next write into that folder', async () => {
    await leftover('.face.tmp-0123456789ab', deadPid());
    const sub = join(root, 'face');
    await writeOutputFolder(sub, { 'a.txt': 'x' });
    expect(await tree(root)).toEqual(['face', 'face/a.txt']);
  });
});

describe('writeFileAtomic', () => {
  it('writes and replaces a file, leaving no temp file', async () => {
    const path = join(root, 'sub', 'summary.json');
    await writeFileAtomic(path, 'one');
    await writeFileAtomic(path, new Uint8Array([116, 119, 111]));
    expect(await readFile(path, 'utf8')).toBe('two');
    expect(await tree(root)).toEqual(['sub', 'sub/summary.json']);
  });

  it('fails with IO_ERROR and no temp file when the target cannot be written', async () => {
    await mkdir(join(root, 'isdir'));
    await expectCode(writeFileAtomic(join(root, 'isdir'), 'x'), 'IO_ERROR');
    expect(await tree(root)).toEqual(['isdir']);
    await writeFile(join(root, 'file'), 'x');
    await expectCode(writeFileAtomic(join(root, 'file', 'child.txt'), 'x'), 'IO_ERROR');
    expect(await tree(root)).toEqual(['file', 'isdir']);
  });
});

import { mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FaceDetailError, type FaceDetailErrorCode } from '../../src/core/errors.js';
import { writeFileAtomic, writeOutputFolder } from '../../src/node/write-output.js';

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

/** Every entry of `dir` (a tree listing, sorted). */
async function tree(dir: string): Promise<string[]> {
  return (await readdir(dir, { recursive: true })).map((p) => p.replaceAll('\\', '/')).sort();
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

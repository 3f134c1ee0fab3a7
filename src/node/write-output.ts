/**
 * Atomic output writing: a reader (or a crashed run) never sees a half-written result folder.
 *
 * Approach: write everything into a hidden temp folder beside the target, then `rename` it into
 * place (rename is atomic within one file system, which "beside the target" guarantees). No
 * fsync: this protects against failures of facedetail itself (a full disk, a bad file name, an
 * exception), not against power loss.
 */
import { randomBytes } from 'node:crypto';
import { lstat, mkdir, rename, rm, rmdir, unlink, writeFile } from 'node:fs/promises';
import { basename, dirname, isAbsolute, join, normalize, relative, resolve, sep } from 'node:path';
import { FaceDetailError } from '../core/errors.js';

/** Options of {@link writeOutputFolder}. */
export interface WriteOutputOptions {
  /** Replace an existing folder at `dir` (default true). With false, an existing `dir` is an `IO_ERROR`. */
  overwrite?: boolean;
}

/**
 * Write `files` (relative path → bytes or UTF-8 text) as the folder `dir`, atomically.
 *
 * Every file goes to `<parent>/.<name>.tmp-<random>/` first; that folder is then renamed to
 * `dir`. When `dir` exists and `overwrite` is true (the default), the old folder is renamed to
 * `<parent>/.<name>.old-<random>`, the new one renamed in, then the old one deleted. On any
 * failure the temp folder (and any parent folders this call created) is removed, a replaced
 * folder is put back, and an `IO_ERROR` {@link FaceDetailError} is thrown: there is never
 * partial output at `dir`.
 *
 * Names and values are checked before anything touches the disk (`INVALID_OPTION`).
 * File keys may contain `/` for sub-folders (`maps/normal.png`) but must stay inside `dir`
 * (no absolute paths, no `..`). Only a folder is ever replaced: if `dir` is an existing FILE,
 * this throws `IO_ERROR`.
 *
 * Known gap: a run killed between the two renames (SIGKILL, power loss) leaves the hidden
 * `.<name>.old-*` / `.<name>.tmp-*` folder behind and, for that instant, no folder at `dir`.
 *
 * @example
 * await writeOutputFolder('out/grace_hopper', { 'face.glb': glbBytes, 'result.json': JSON.stringify(r) });
 */
export async function writeOutputFolder(dir: string, files: Record<string, Uint8Array | string>, options: WriteOutputOptions = {}): Promise<void> {
  if (typeof dir !== 'string' || dir.length === 0) throw new FaceDetailError('INVALID_OPTION', `dir: expected a non-empty folder path, received ${describe(dir)}.`);
  if (typeof files !== 'object' || files === null || Array.isArray(files)) throw new FaceDetailError('INVALID_OPTION', `files: expected an object mapping file names to Uint8Array or string, received ${describe(files)}.`);
  if (typeof options !== 'object' || options === null) throw new FaceDetailError('INVALID_OPTION', `options: expected an object, received ${describe(options)}.`);
  const overwrite = options.overwrite ?? true;
  if (typeof overwrite !== 'boolean') throw new FaceDetailError('INVALID_OPTION', `overwrite: expected a boolean, received ${describe(overwrite)}.`);
  const entries: Array<[string, Uint8Array | string]> = [];
  for (const name of Object.keys(files)) {
    checkRelativeName(name);
    const data = files[name];
    if (!(data instanceof Uint8Array) && typeof data !== 'string') {
      throw new FaceDetailError('INVALID_OPTION', `files["${name}"]: expected a Uint8Array or a string, received ${describe(data)}.`);
    }
    entries.push([name, data]);
  }

  const target = resolve(dir);
  const parent = dirname(target);
  const base = basename(target);
  if (base === '' || target === parent) throw new FaceDetailError('INVALID_OPTION', `dir: "${dir}" is a root folder; expected a folder path with a name.`);

  const existing = await kindOf(target);
  if (existing === 'other') throw new FaceDetailError('IO_ERROR', `Cannot write output folder "${dir}": a file (not a folder) with that name exists; remove it or choose another output folder.`);
  if (existing === 'dir' && !overwrite) throw new FaceDetailError('IO_ERROR', `Output folder "${dir}" already exists (overwrite is off).`);

  let createdParent: string | undefined;
  const temp = join(parent, `.${base}.tmp-${randomBytes(6).toString('hex')}`);
  let tempMade = false;
  try {
    createdParent = await mkdir(parent, { recursive: true });
    await mkdir(temp);
    tempMade = true;
    for (const [name, data] of entries) {
      const path = join(temp, name);
      const sub = dirname(path);
      if (sub !== temp) await mkdir(sub, { recursive: true });
      await writeFile(path, data, { flag: 'wx' });
    }
    await swapIn(temp, target, overwrite);
    tempMade = false;
  } catch (e) {
    if (tempMade) await rm(temp, { recursive: true, force: true, maxRetries: 3 }).catch(() => undefined);
    if (createdParent !== undefined) await removeEmptyUpTo(parent, createdParent);
    if (e instanceof FaceDetailError && e.code === 'IO_ERROR') throw e;
    throw new FaceDetailError('IO_ERROR', `Cannot write output folder "${dir}": ${errText(e)}. Nothing was written.`, { cause: e });
  }
}

/**
 * Write one file atomically: `<dir>/.<name>.tmp-<random>` then rename over `path` (replacing an
 * existing file). Creates missing parent folders. Throws `IO_ERROR` and leaves no temp file on
 * failure.
 *
 * @example
 * await writeFileAtomic('out/summary.json', JSON.stringify(summary));
 */
export async function writeFileAtomic(path: string, data: Uint8Array | string): Promise<void> {
  if (typeof path !== 'string' || path.length === 0) throw new FaceDetailError('INVALID_OPTION', `path: expected a non-empty file path, received ${describe(path)}.`);
  if (!(data instanceof Uint8Array) && typeof data !== 'string') throw new FaceDetailError('INVALID_OPTION', `data: expected a Uint8Array or a string, received ${describe(data)}.`);
  const target = resolve(path);
  const temp = join(dirname(target), `.${basename(target)}.tmp-${randomBytes(6).toString('hex')}`);
  let made = false;
  try {
    await mkdir(dirname(target), { recursive: true });
    await writeFile(temp, data, { flag: 'wx' });
    made = true;
    await rename(temp, target);
    made = false;
  } catch (e) {
    if (made) await unlink(temp).catch(() => undefined);
    throw new FaceDetailError('IO_ERROR', `Cannot write file "${path}": ${errText(e)}.`, { cause: e });
  }
}

/** Rename `temp` to `target`, moving an existing `target` folder aside first (and back on failure). */
async function swapIn(temp: string, target: string, overwrite: boolean): Promise<void> {
  const existing = await kindOf(target);
  if (existing === 'other') throw new Error(`"${target}" is a file, not a folder`);
  if (existing === 'none') {
    await rename(temp, target);
    return;
  }
  if (!overwrite) throw new Error(`"${target}" already exists (overwrite is off)`);
  const old = join(dirname(target), `.${basename(target)}.old-${randomBytes(6).toString('hex')}`);
  await rename(target, old);
  try {
    await rename(temp, target);
  } catch (e) {
    await rename(old, target).catch(() => undefined); // put the previous result back
    throw e;
  }
  // The new output is in place; failing to delete the old copy is not a failure of this write.
  await rm(old, { recursive: true, force: true, maxRetries: 3 }).catch(() => undefined);
}

async function kindOf(path: string): Promise<'none' | 'dir' | 'other'> {
  try {
    return (await lstat(path)).isDirectory() ? 'dir' : 'other';
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return 'none';
    throw new FaceDetailError('IO_ERROR', `Cannot access "${path}": ${errText(e)}.`, { cause: e });
  }
}

/** Remove `from` and its ancestors up to and including `top` while they are empty. */
async function removeEmptyUpTo(from: string, top: string): Promise<void> {
  let d = from;
  for (;;) {
    try {
      await rmdir(d);
    } catch {
      return; // not empty (someone else wrote there) or gone
    }
    if (d === top) return;
    const up = dirname(d);
    if (up === d || relative(top, up).startsWith('..')) return;
    d = up;
  }
}

function checkRelativeName(name: string): void {
  const norm = normalize(name);
  const bad =
    name.length === 0 ||
    name.includes('\0') ||
    isAbsolute(name) ||
    norm === '.' ||
    norm.split(/[\\/]/).some((s) => s === '..') ||
    norm.endsWith(sep);
  if (bad) throw new FaceDetailError('INVALID_OPTION', `files: "${name}" is not a relative file path inside the output folder.`);
}

function errText(e: unknown): string {
  if (e instanceof Error) {
    const code = (e as NodeJS.ErrnoException).code;
    return code !== undefined && !e.message.startsWith(code) ? `${code}: ${e.message}` : e.message;
  }
  return String(e);
}

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (typeof v === 'string') return `"${v}"`;
  if (typeof v !== 'object') return String(v);
  return Array.isArray(v) ? 'an array' : (v.constructor?.name ?? 'an object');
}

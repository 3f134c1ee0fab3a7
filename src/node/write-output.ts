/**
 * Atomic output writing: a reader (or a crashed run) never sees a half-written result folder.
 *
 * Approach: write everything into a hidden temp folder beside the target, then `rename` it into
 * place (rename is atomic within one file system, which "beside the target" guarantees). No
 * fsync: this protects against failures of facedetail itself (a full disk, a bad file name, an
 * exception), not against power loss.
 */
import { randomBytes } from 'node:crypto';
import { lstat, mkdir, readdir, readFile, rename, rm, rmdir, unlink, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { basename, dirname, isAbsolute, join, normalize, relative, resolve, sep } from 'node:path';
import { FaceDetailError } from '../core/errors.js';

/**
 * The marker file every output folder gets (JSON: writer, version, pid, host, time). A folder is
 * only ever replaced when it holds this marker (or is a result folder of a facedetail version
 * from before the marker: a `result.json` naming its `version` and `source`), so a mistaken
 * target never deletes a user's own folder.
 */
export const OUTPUT_MARKER = '.facedetail';

/** Hidden temp / backup names this module makes beside a target: `.<name>.tmp-<12 hex>`, `.<name>.old-<12 hex>`. */
const TEMP_NAME = /^\.(.+)\.(tmp|old)-[0-9a-f]{12}$/;

/** When this process started (ms since the epoch): temp folders older than this are from earlier runs. */
const PROCESS_START_MS = Date.now() - process.uptime() * 1000;

/** Options of {@link writeOutputFolder}. */
export interface WriteOutputOptions {
  /**
   * Replace an existing folder at `dir` (default true) — only one that facedetail wrote (it holds
   * the {@link OUTPUT_MARKER}); any other existing folder is an `IO_ERROR` and is left untouched.
   * With false, any existing `dir` is an `IO_ERROR`.
   */
  overwrite?: boolean;
  /**
   * The folder `dir` must be a direct child of (the CLI passes its `--out`): `dir` resolving
   * anywhere else (e.g. `out/..`) is an `INVALID_OPTION` before anything touches the disk.
   */
  parent?: string;
  /** facedetail's version, recorded in the marker file (default `'unknown'`). */
  version?: string;
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
 * Safety: an existing `dir` is replaced only when facedetail wrote it (the {@link OUTPUT_MARKER}
 * file inside, written into every output folder), and with `parent` only when it is a direct
 * child of that folder: a mistaken target (`out/..`) is refused, never deleted.
 *
 * Crashes: a run killed mid-write (SIGKILL, power loss) can leave a hidden `.<name>.tmp-*` or
 * `.<name>.old-*` folder behind (and, between the two renames, no folder at `dir`). The next
 * write into the same parent folder cleans those up first ({@link cleanStaleTemps}).
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
  if (options.parent !== undefined && (typeof options.parent !== 'string' || options.parent.length === 0)) throw new FaceDetailError('INVALID_OPTION', `parent: expected a non-empty folder path, received ${describe(options.parent)}.`);
  const entries: Array<[string, Uint8Array | string]> = [];
  for (const name of Object.keys(files)) {
    checkRelativeName(name);
    if (normalize(name) === OUTPUT_MARKER) throw new FaceDetailError('INVALID_OPTION', `files: "${name}" is reserved for facedetail's marker file.`);
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
  if (options.parent !== undefined && resolve(options.parent) !== parent) {
    throw new FaceDetailError('INVALID_OPTION', `dir: "${dir}" is not a folder directly inside "${options.parent}"; refusing to write there.`);
  }
  entries.push([OUTPUT_MARKER, JSON.stringify({ writer: 'facedetail', version: options.version ?? 'unknown', pid: process.pid, host: hostname(), written: new Date().toISOString() }) + '\n']);

  await cleanStaleTemps(parent);
  const existing = await kindOf(target);
  if (existing === 'other') throw new FaceDetailError('IO_ERROR', `Cannot write output folder "${dir}": a file (not a folder) with that name exists; remove it or choose another output folder.`);
  if (existing === 'dir' && !overwrite) throw new FaceDetailError('IO_ERROR', `Output folder "${dir}" already exists (overwrite is off).`);
  if (existing === 'dir' && !(await writtenByFacedetail(target))) {
    throw new FaceDetailError('IO_ERROR', `Refusing to replace "${dir}": the folder exists and was not written by facedetail (it has no ${OUTPUT_MARKER} marker file). Move it away or choose another output folder; nothing was changed.`);
  }

  let createdParent: string | undefined;
  const temp = join(parent, `.${base}.tmp-${randomBytes(6).toString('hex')}`);
  let tempMade = false;
  try {
    createdParent = await mkdir(parent, { recursive: true });
    await mkdir(temp);
    tempMade = true;
    // The marker first (entries ends with it): a temp folder left by a killed run is then recognisable as ours.
    for (const [name, data] of [entries[entries.length - 1]!, ...entries.slice(0, -1)]) {
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

/**
 * Clean what killed runs left in `parent`: hidden `.<name>.tmp-<hex>` / `.<name>.old-<hex>`
 * entries made by this module, last modified before this process started, and not being
 * written by a live facedetail process on this host (the marker's pid). A stale `.old-*`
 * folder whose `<name>` is missing (the run died between its two renames) is put back as
 * `<name>`; every other stale entry is deleted. Folders must hold the marker (or be empty);
 * anything else is left alone. Runs once per parent folder per process; never throws.
 *
 * @example
 * await cleanStaleTemps('out'); // before writing into out/ (writeOutputFolder does this itself)
 */
export async function cleanStaleTemps(parent: string): Promise<void> {
  const dir = resolve(parent);
  if (cleaned.has(dir)) return;
  cleaned.add(dir);
  let names: string[];
  try {
    names = await readdir(dir);
  } catch {
    return; // missing or unreadable: nothing to clean
  }
  for (const name of names) {
    const m = TEMP_NAME.exec(name);
    if (!m) continue;
    const path = join(dir, name);
    try {
      const st = await lstat(path);
      if (st.mtimeMs >= PROCESS_START_MS) continue; // made during this process's life: maybe a live writer's
      if (st.isDirectory()) {
        const marker = await readMarker(path);
        const entries = await readdir(path);
        if (marker === undefined && entries.length > 0) continue; // not ours
        if (marker !== undefined && marker.host === hostname() && typeof marker.pid === 'number' && pidAlive(marker.pid)) continue;
        const original = join(dir, m[1]!);
        if (m[2] === 'old' && (await kindOf(original)) === 'none') await rename(path, original);
        else await rm(path, { recursive: true, force: true, maxRetries: 3 });
      } else if (st.isFile() && m[2] === 'tmp') {
        await unlink(path); // a writeFileAtomic temp file
      }
    } catch {
      // racing another cleaner, or unreadable: leave it
    }
  }
}

const cleaned = new Set<string>();

interface Marker { writer?: unknown; pid?: unknown; host?: unknown }

async function readMarker(folder: string): Promise<Marker | undefined> {
  try {
    const m = JSON.parse(await readFile(join(folder, OUTPUT_MARKER), 'utf8')) as Marker;
    return typeof m === 'object' && m !== null && m.writer === 'facedetail' ? m : undefined;
  } catch {
    return undefined;
  }
}

/** The folder holds the marker, or is a result folder of a facedetail version from before the marker. */
async function writtenByFacedetail(folder: string): Promise<boolean> {
  if ((await readMarker(folder)) !== undefined) return true;
  try {
    const r = JSON.parse(await readFile(join(folder, 'result.json'), 'utf8')) as { version?: unknown; source?: unknown; units?: unknown };
    return typeof r.version === 'string' && typeof r.source === 'string' && typeof r.units === 'object';
  } catch {
    return false;
  }
}

/** True when a process with this pid exists on this host (EPERM: it exists, owned by someone else). */
function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
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

/** The lock file a CLI run holds in its output folder. */
export const OUTPUT_LOCK = '.facedetail.lock';

/**
 * Take the output folder for one run: creates `dir` if needed and the lock file
 * `<dir>/.facedetail.lock` (pid, host, start time) exclusively. A lock held by a live
 * facedetail process on this host is an `IO_ERROR` naming it ("another run is writing here");
 * a stale one (its process is gone) is taken over. Resolves with the release function.
 *
 * @example
 * const unlock = await lockOutputFolder('out');
 * try { ... } finally { await unlock(); }
 */
export async function lockOutputFolder(dir: string): Promise<() => Promise<void>> {
  const path = join(resolve(dir), OUTPUT_LOCK);
  const mine = JSON.stringify({ writer: 'facedetail', pid: process.pid, host: hostname(), started: new Date().toISOString() }) + '\n';
  try {
    await mkdir(resolve(dir), { recursive: true });
  } catch (e) {
    throw new FaceDetailError('IO_ERROR', `Cannot create the output folder "${dir}": ${errText(e)}.`, { cause: e });
  }
  for (let attempt = 0; ; attempt++) {
    try {
      await writeFile(path, mine, { flag: 'wx' });
      break;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST' || attempt > 0) {
        throw new FaceDetailError('IO_ERROR', `Cannot lock the output folder "${dir}": ${errText(e)}.`, { cause: e });
      }
      let other: Marker & { started?: unknown } = {};
      try {
        other = JSON.parse(await readFile(path, 'utf8')) as typeof other;
      } catch {
        // unreadable or half-written: treat as stale
      }
      if (other.host === hostname() && typeof other.pid === 'number' && other.pid !== process.pid && pidAlive(other.pid)) {
        throw new FaceDetailError('IO_ERROR', `Another facedetail run (pid ${other.pid}, started ${String(other.started ?? '?')}) is writing into "${dir}". Wait for it to finish, or choose another output folder (-o).`);
      }
      await unlink(path).catch(() => undefined); // stale: its process is gone
    }
  }
  return async () => {
    try {
      if ((await readFile(path, 'utf8')) === mine) await unlink(path);
    } catch {
      // already gone
    }
  };
}

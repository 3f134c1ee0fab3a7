/**
 * The Node table store: the content caches' tables (UV rasterization layouts, skin / region masks,
 * GLB split plans: work that depends only on the face model and the map size) kept as files, so a
 * fresh process — one CLI run per photo — reads them instead of computing them (≈ 0.7 s of a cold
 * run on the 2-core machine). Folder: `$FACEDETAIL_TABLES_DIR`, else
 * `$XDG_CACHE_HOME/facedetail/tables`, else `~/.cache/facedetail/tables`; `FACEDETAIL_TABLES_DIR=off`
 * keeps them in memory only. Each entry holds its full key (checked exactly on reading), files are
 * written atomically (temporary file + rename), and the folder is kept under
 * {@link TABLE_STORE_MAX_BYTES} by deleting the least recently written files.
 */
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import type { TableStore } from '../core/cache/content-cache.js';

/** The most bytes the tables folder holds (the default 1024² tables of both face models take ≈ 150 MB). */
const TABLE_STORE_MAX_BYTES = 768 * 2 ** 20;

/** The tables folder from the environment, or undefined when `FACEDETAIL_TABLES_DIR=off`. */
export function defaultTablesDir(env: NodeJS.ProcessEnv = process.env): string | undefined {
  const given = env['FACEDETAIL_TABLES_DIR'];
  if (given === 'off') return undefined;
  if (given !== undefined && given !== '') return resolve(given);
  const xdg = env['XDG_CACHE_HOME'];
  return join(xdg !== undefined && xdg !== '' ? resolve(xdg) : join(homedir(), '.cache'), 'facedetail', 'tables');
}

/** A {@link TableStore} on the files of `dir` (created on the first write). */
export function fileTableStore(dir: string, maxBytes = TABLE_STORE_MAX_BYTES): TableStore {
  return {
    read(name) {
      try {
        return readFileSync(join(dir, name));
      } catch {
        return undefined;
      }
    },
    write(name, bytes) {
      mkdirSync(dir, { recursive: true });
      const tmp = join(dir, `.${name}.${process.pid}.tmp`);
      writeFileSync(tmp, bytes);
      renameSync(tmp, join(dir, name));
      prune(dir, maxBytes);
    },
  };
}

/** Delete the oldest files of `dir` until it holds at most `maxBytes`. */
function prune(dir: string, maxBytes: number): void {
  const files = readdirSync(dir).filter((n) => n.endsWith('.bin')).map((n) => {
    const s = statSync(join(dir, n));
    return { n, size: s.size, t: s.mtimeMs };
  }).sort((a, b) => a.t - b.t);
  let total = files.reduce((s, f) => s + f.size, 0);
  for (const f of files) {
    if (total <= maxBytes) break;
    rmSync(join(dir, f.n), { force: true });
    total -= f.size;
  }
}

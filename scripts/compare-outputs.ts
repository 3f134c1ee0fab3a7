/**
 * Compare two facedetail output trees (before / after a change) file by file, with tolerances:
 * `node --import tsx scripts/compare-outputs.ts <before> <after> [--tol-px 1] [--tol-json 1e-6]`.
 *
 * - PNG maps: decoded (sharp), the largest per-sample difference in 8/16-bit units and the
 *   fraction of samples that differ.
 * - result.json: every number compared (relative + absolute tolerance `--tol-json`); timings,
 *   version and the marker file are ignored.
 * - Meshes (GLB, OBJ, PLY): byte-identical, or the number of differing bytes.
 * Prints one row per file and exits 1 when any file is missing or outside its tolerance.
 */
import { readdir, readFile, stat } from 'node:fs/promises';
import { join, relative } from 'node:path';
import sharp from 'sharp';

const args = process.argv.slice(2);
const flag = (name: string, def: number): number => {
  const i = args.indexOf(name);
  return i >= 0 ? Number(args[i + 1]) : def;
};
const positional = args.filter((a, i) => !a.startsWith('--') && !args[i - 1]?.startsWith('--'));
const [A, B] = positional;
if (A === undefined || B === undefined) {
  console.error('usage: compare-outputs <before dir> <after dir> [--tol-px N] [--tol-json X]');
  process.exit(2);
}
const tolPx = flag('--tol-px', 0);
const tolJson = flag('--tol-json', 0);
const IGNORED_KEYS = new Set(['timings', 'timingsMs', 'version', 'ms']);

async function files(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(dir, { withFileTypes: true, recursive: true })) {
    if (e.isFile() && e.name !== '.facedetail' && e.name !== '.facedetail.lock') out.push(relative(dir, join(e.parentPath, e.name)));
  }
  return out.sort();
}

function compareJson(a: unknown, b: unknown, path: string, worst: { d: number; at: string }): void {
  if (typeof a === 'number' && typeof b === 'number') {
    const d = Math.abs(a - b) / Math.max(1, Math.abs(a));
    if (d > worst.d || (Number.isNaN(a) !== Number.isNaN(b))) { worst.d = Number.isNaN(d) ? Infinity : d; worst.at = path; }
    return;
  }
  if (Array.isArray(a) && Array.isArray(b)) {
    if (a.length !== b.length) { worst.d = Infinity; worst.at = `${path} (length)`; return; }
    a.forEach((v, i) => { compareJson(v, b[i], `${path}[${i}]`, worst); });
    return;
  }
  if (a && b && typeof a === 'object' && typeof b === 'object') {
    const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
    for (const k of keys) if (!IGNORED_KEYS.has(k)) compareJson((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k], `${path}.${k}`, worst);
    return;
  }
  if (a !== b) { worst.d = Infinity; worst.at = path; }
}

const rows: string[][] = [];
let bad = 0;
const fa = await files(A), fb = await files(B);
for (const f of [...new Set([...fa, ...fb])].sort()) {
  if (!fa.includes(f) || !fb.includes(f)) { rows.push([f, 'missing in ' + (fa.includes(f) ? 'after' : 'before'), 'FAIL']); bad++; continue; }
  const pa = join(A, f), pb = join(B, f);
  if (f.endsWith('.png')) {
    const [ia, ib] = await Promise.all([pa, pb].map((p) => sharp(p).raw({ depth: 'ushort' }).toBuffer({ resolveWithObject: true })));
    const da = new Uint16Array(ia!.data.buffer, ia!.data.byteOffset, ia!.data.length / 2), db = new Uint16Array(ib!.data.buffer, ib!.data.byteOffset, ib!.data.length / 2);
    if (da.length !== db.length) { rows.push([f, 'size differs', 'FAIL']); bad++; continue; }
    const scale = ia!.info.depth === 'ushort' ? 1 : 257; // 8-bit maps come back ×257
    let max = 0, diff = 0;
    for (let i = 0; i < da.length; i++) { const d = Math.abs(da[i]! - db[i]!) / scale; if (d > 0) diff++; if (d > max) max = d; }
    const ok = max <= tolPx;
    if (!ok) bad++;
    rows.push([f, max === 0 ? 'identical' : `max ${max.toFixed(0)} units, ${(100 * diff / da.length).toFixed(3)} % of samples`, ok ? 'ok' : 'FAIL']);
  } else if (f.endsWith('.json')) {
    const worst = { d: 0, at: '' };
    compareJson(JSON.parse(await readFile(pa, 'utf8')), JSON.parse(await readFile(pb, 'utf8')), '', worst);
    const ok = worst.d <= tolJson;
    if (!ok) bad++;
    rows.push([f, worst.d === 0 ? 'identical (timings ignored)' : `max rel. diff ${worst.d.toExponential(2)} at ${worst.at}`, ok ? 'ok' : 'FAIL']);
  } else {
    const [ba, bb] = await Promise.all([readFile(pa), readFile(pb)]);
    let diff = Math.abs(ba.length - bb.length);
    for (let i = 0; i < Math.min(ba.length, bb.length); i++) if (ba[i] !== bb[i]) diff++;
    if (diff > 0) bad++;
    rows.push([f, diff === 0 ? `identical (${(await stat(pa)).size} bytes)` : `${diff} bytes differ`, diff === 0 ? 'ok' : 'FAIL']);
  }
}
const w = [0, 1, 2].map((c) => Math.max(...rows.map((r) => r[c]!.length), 4));
for (const r of rows) console.log(r.map((x, c) => x.padEnd(w[c]!)).join('  '));
console.log(`\n${rows.length} files, ${bad} outside tolerance (PNG ${tolPx} units, JSON ${tolJson} relative)`);
process.exitCode = bad > 0 ? 1 : 0;

/**
 * Builds the compact ICT FaceKit model that ships in the package, `models/ict/ict-compact.bin`
 * (format: src/core/model/ict/ict-compact.ts), from the original OBJ distribution of ICT-FaceKit
 * (MIT, © 2020 USC Institute for Creative Technologies; https://github.com/ICT-VGL/ICT-FaceKit,
 * the `FaceXModel` folder, or that folder packed as `FaceXModel.tar.xz`).
 *
 * Steps: unpack the tarball into a temp folder (never into the repository) → the same import as
 * `facedetail model import ict` into a temp models folder (vertices, topology, regions, the
 * calibrated face-mesh correspondence, the face's UVs) → {@link encodeIctCompact} (60 identity
 * modes, int16 deltas at 2⁻⁹ mm, sparse expressions, deflate) → read back and compare with the
 * full model: the reconstructed shapes (neutral + identity + expression) of random parameters.
 * Prints a JSON report (sizes, errors in mm); exits 1 when the file exceeds 15 MB or the
 * largest vertex difference exceeds 0.05 mm.
 *
 * Usage:
 *   npm run build:ict-model [-- <FaceXModel folder | FaceXModel.tar.xz>] [--out <file>] [--identity-count <k>] [--check]
 * Default source: $FACEDETAIL_SHARED/models/ict-facekit/FaceXModel.tar.xz (FACEDETAIL_SHARED
 * defaults to ../shared beside the repository). `--check`: build to a temp file and exit 1 when
 * it differs from the committed one (the build is deterministic).
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, statSync } from 'node:fs';
import { mkdtemp, readFile, rm, stat, writeFile, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ICT_COMPACT_DEFAULTS, ICT_COMPACT_FILE, encodeIctCompact, parseIctCompact } from '../src/core/model/ict/ict-compact.js';
import type { IctModelData } from '../src/core/model/ict/ict-cache.js';
import { importIctModel } from '../src/node/model-import/ict.js';
import { loadIctModel } from '../src/node/model-import/load-ict.js';
import { mulberry32 as rng } from '../bench/common.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const flag = (name: string): string | undefined => {
  const i = args.indexOf(name);
  if (i < 0) return undefined;
  const v = args[i + 1];
  args.splice(i, 2);
  return v;
};
const check = args.includes('--check');
if (check) args.splice(args.indexOf('--check'), 1);
const outArg = flag('--out');
const kArg = flag('--identity-count');
const shared = resolve(root, process.env['FACEDETAIL_SHARED'] ?? '../shared');
const source = resolve(args[0] ?? join(shared, 'models', 'ict-facekit', 'FaceXModel.tar.xz'));
const committed = join(root, 'models', 'ict', ICT_COMPACT_FILE);
const outPath = resolve(outArg ?? committed);
const MAX_BYTES = 15e6;
const MAX_ERROR_MM = 0.05;


/** neutral + Σ identity + Σ expression, mm (float64). */
function shape(d: IctModelData, id: Float64Array, ex: Float64Array): Float64Array {
  const n3 = 3 * d.vertexCount;
  const out = Float64Array.from(d.neutral);
  for (let k = 0; k < id.length; k++) if (id[k] !== 0) for (let i = 0; i < n3; i++) out[i]! += id[k]! * d.identityDeltas[k * n3 + i]!;
  for (let e = 0; e < ex.length; e++) if (ex[e] !== 0) for (let i = 0; i < n3; i++) out[i]! += ex[e]! * d.expressionDeltas[e * n3 + i]!;
  return out;
}

/** Max / mean per-vertex distance (mm) between compact and full shapes for random parameters. */
function compare(full: IctModelData, compact: IctModelData, samples: number): { maxMm: number; meanMm: number; meanMaxMm: number; samples: number } {
  const r = rng(20261202), K = compact.identityNames.length, E = compact.expressionNames.length, N = full.vertexCount;
  let max = 0, sum = 0, sumMax = 0;
  for (let s = 0; s < samples; s++) {
    // Identity weights ~ N(0, 1) (ICT's modes are one standard deviation each; Box–Muller),
    // expression weights in [0, 1], each active with probability 0.3; sample 0 is the neutral.
    const id = new Float64Array(K), ex = new Float64Array(E);
    if (s > 0) {
      for (let k = 0; k < K; k++) id[k] = Math.sqrt(-2 * Math.log(1 - r())) * Math.cos(2 * Math.PI * r());
      for (let e = 0; e < E; e++) ex[e] = r() < 0.3 ? r() : 0;
    }
    const a = shape(full, id, ex), b = shape(compact, id, ex);
    let m = 0;
    for (let v = 0; v < N; v++) {
      const d = Math.hypot(a[3 * v]! - b[3 * v]!, a[3 * v + 1]! - b[3 * v + 1]!, a[3 * v + 2]! - b[3 * v + 2]!);
      sum += d;
      if (d > m) m = d;
    }
    max = Math.max(max, m);
    sumMax += m;
  }
  return { maxMm: max, meanMm: sum / (samples * N), meanMaxMm: sumMax / samples, samples };
}

/** Largest per-vertex delta error of each stored shape (mm). */
function shapeErrors(full: IctModelData, compact: IctModelData): { identityMaxMm: number; expressionMaxMm: number } {
  const n3 = 3 * full.vertexCount;
  let identityMaxMm = 0, expressionMaxMm = 0;
  for (let i = 0; i < compact.identityNames.length * n3; i++) identityMaxMm = Math.max(identityMaxMm, Math.abs(full.identityDeltas[i]! - compact.identityDeltas[i]!));
  for (let i = 0; i < compact.expressionNames.length * n3; i++) expressionMaxMm = Math.max(expressionMaxMm, Math.abs(full.expressionDeltas[i]! - compact.expressionDeltas[i]!));
  return { identityMaxMm, expressionMaxMm };
}

async function main(): Promise<number> {
  if (!existsSync(source)) {
    process.stderr.write(`build-ict-compact: ${source} not found: give the FaceXModel folder or FaceXModel.tar.xz of ICT-FaceKit (or set FACEDETAIL_SHARED)\n`);
    return 2;
  }
  const tmp = await mkdtemp(join(tmpdir(), 'facedetail-ict-build-'));
  try {
    const t0 = performance.now();
    let folder = source;
    let sourceInfo: Record<string, string | number> = { file: basename(source) };
    if (statSync(source).isFile()) {
      const bytes = await readFile(source);
      sourceInfo = { file: basename(source), sha256: createHash('sha256').update(bytes).digest('hex'), bytes: bytes.length };
      const untar = spawnSync('tar', ['-xJf', source, '-C', tmp], { encoding: 'utf8' });
      if (untar.status !== 0) throw new Error(`tar -xJf ${source} failed: ${untar.stderr}`);
      folder = join(tmp, 'FaceXModel');
    }
    const modelsDir = join(tmp, 'models');
    await importIctModel(folder, { modelsDir });
    const full = await loadIctModel({ modelsDir });
    const identityCount = kArg === undefined ? ICT_COMPACT_DEFAULTS.identityCount : Number(kArg);
    const bytes = encodeIctCompact(full, { identityCount, source: sourceInfo });
    const t1 = performance.now();
    const compact = parseIctCompact(bytes);
    const parseMs = performance.now() - t1;
    const report = {
      file: outPath,
      bytes: bytes.length,
      fullCacheBytes: (await stat(join(modelsDir, 'ict-v2', 'model.bin'))).size,
      identityModes: compact.identityNames.length,
      expressions: compact.expressionNames.length,
      vertices: compact.vertexCount,
      stepMm: ICT_COMPACT_DEFAULTS.stepMm,
      shapeDeltaError: shapeErrors(full, compact),
      reconstructedShapeError: compare(full, compact, 24),
      parseMs: Math.round(parseMs),
      buildMs: Math.round(t1 - t0),
    };
    process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
    if (bytes.length > MAX_BYTES) { process.stderr.write(`build-ict-compact: ${bytes.length} bytes exceed ${MAX_BYTES}\n`); return 1; }
    if (report.reconstructedShapeError.maxMm > MAX_ERROR_MM) { process.stderr.write(`build-ict-compact: max vertex difference ${report.reconstructedShapeError.maxMm} mm exceeds ${MAX_ERROR_MM} mm\n`); return 1; }
    if (check) {
      const old = existsSync(committed) ? await readFile(committed) : undefined;
      const same = old !== undefined && Buffer.compare(old, Buffer.from(bytes)) === 0;
      process.stderr.write(same ? `build-ict-compact: ${committed} is up to date\n` : `build-ict-compact: ${committed} differs from a fresh build; run npm run build:ict-model\n`);
      return same ? 0 : 1;
    }
    await mkdir(dirname(outPath), { recursive: true });
    await writeFile(outPath, bytes);
    process.stderr.write(`build-ict-compact: wrote ${outPath} (${(bytes.length / 1e6).toFixed(2)} MB)\n`);
    return 0;
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
}

process.exitCode = await main();

/**
 * Hostile-input sweep (`npm run bench:robustness`): generated corrupt, odd and bomb-like images,
 * special files and hostile file names, each through the library's public entries
 * (`decodeImage`, `reconstruct()` input checks, `safeOutputName` + `writeOutputFolder`, the
 * lock), with a 20 s watchdog per case. Prints one row per family (cases, outcomes by error
 * code, crashes = untyped errors, hangs) and writes `bench/results/robustness.json` with the
 * commit. A real face photo from $FACEDETAIL_SHARED/photos is the seed of the corruptions.
 */
import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, readdir, readFile, rm, symlink, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { FaceDetailError } from '../../src/core/errors.js';
import { decodeImage } from '../../src/node/decode-image.js';
import { safeOutputName } from '../../src/node/output-name.js';
import { createReconstructor } from '../../src/node/reconstructor.js';
import { OUTPUT_MARKER, writeOutputFolder } from '../../src/node/write-output.js';
import { currentCommit, markdownTable, mulberry32, SHARED } from '../common.js';

type Outcome = string; // 'ok' | error code | 'CRASH: …' | 'HANG'

async function outcome(f: () => Promise<unknown>, ms = 20_000): Promise<Outcome> {
  let timer: NodeJS.Timeout | undefined;
  const hang = new Promise<Outcome>((res) => { timer = setTimeout(() => res('HANG'), ms); });
  const done = f().then(() => 'ok', (e: unknown) => (e instanceof FaceDetailError ? e.code : `CRASH: ${e instanceof Error ? `${e.name}: ${e.message}` : String(e)}`));
  const r = await Promise.race([done, hang]);
  clearTimeout(timer);
  return r;
}


async function main(): Promise<void> {
  const work = await mkdtemp(join(tmpdir(), 'facedetail-robust-'));
  const families = new Map<string, Outcome[]>();
  const add = (family: string, o: Outcome): void => { const l = families.get(family) ?? []; l.push(o); families.set(family, l); };
  const rand = mulberry32(7);
  try {
    const seedJpeg = await readFile(join(SHARED, 'photos', 'grace_hopper.jpg'));
    const seedPng = await sharp(seedJpeg).png().toBuffer();
    const seedWebp = await sharp(seedJpeg).webp().toBuffer();
    // 1. truncations and bit flips of real JPEG / PNG / WebP data
    for (const [fmt, seed] of [['jpeg', seedJpeg], ['png', seedPng], ['webp', seedWebp]] as const) {
      for (let i = 0; i < 60; i++) add(`truncated ${fmt}`, await outcome(() => decodeImage(seed.subarray(0, Math.floor(rand() * seed.length)))));
      for (let i = 0; i < 60; i++) {
        const b = Buffer.from(seed);
        for (let k = 0; k < 1 + Math.floor(rand() * 20); k++) b[Math.floor(rand() * b.length)] = Math.floor(rand() * 256);
        add(`bit-flipped ${fmt}`, await outcome(() => decodeImage(b)));
      }
    }
    // 2. random bytes, empty, text, headers only
    for (let i = 0; i < 40; i++) add('random bytes', await outcome(() => decodeImage(Buffer.from(Array.from({ length: 1 + Math.floor(rand() * 5000) }, () => Math.floor(rand() * 256))))));
    add('empty / text / SVG', await outcome(() => decodeImage(new Uint8Array(0))));
    add('empty / text / SVG', await outcome(() => decodeImage(Buffer.from('hello, not an image'))));
    add('empty / text / SVG', await outcome(() => decodeImage(Buffer.from('<svg xmlns="http://www.w3.org/2000/svg" width="9000" height="9000"/>'))));
    // 3. bombs: huge announced sizes, huge real sizes, tiny images
    for (const [w, h] of [[20000, 20000], [100000, 10], [65000, 65000]] as const) {
      const ihdr = Buffer.alloc(13); ihdr.writeUInt32BE(w, 0); ihdr.writeUInt32BE(h, 4); ihdr[8] = 8; ihdr[9] = 2;
      const png = await sharp({ create: { width: 16, height: 16, channels: 3, background: '#888' } }).png().toBuffer();
      const forged = Buffer.from(png); ihdr.copy(forged, 16); // IHDR data (CRC now wrong)
      add('pixel bombs (forged headers)', await outcome(() => decodeImage(forged)));
    }
    add('pixel bombs (forged headers)', await outcome(() => sharp({ create: { width: 8000, height: 8000, channels: 3, background: '#888' } }).png({ compressionLevel: 9 }).toBuffer().then((b) => decodeImage(b))));
    for (const s of [1, 16, 63]) add('tiny images', await outcome(async () => decodeImage(await sharp({ create: { width: s, height: s, channels: 3, background: '#888' } }).png().toBuffer())));
    // 4. EXIF orientations 1-8, formats
    for (let o = 1; o <= 8; o++) add('EXIF orientation 1-8', await outcome(async () => decodeImage(await sharp(seedJpeg).withMetadata({ orientation: o }).jpeg().toBuffer())));
    for (const fmt of ['gif', 'tiff', 'avif'] as const) add('GIF / TIFF / AVIF', await outcome(async () => decodeImage(await sharp(seedJpeg).resize(300)[fmt]().toBuffer())));
    // 5. special files
    const fifo = join(work, 'pipe.jpg');
    execFileSync('mkfifo', [fifo]);
    const sparse = join(work, 'huge.jpg');
    await writeFile(sparse, seedJpeg.subarray(0, 1000));
    await truncate(sparse, 1.9e9); // a 1.9 GB (sparse) file
    for (const p of ['/dev/zero', '/dev/urandom', fifo, work, sparse, join(work, 'missing.jpg')]) add('special files (/dev/zero, FIFO, folder, 1.9 GB, missing)', await outcome(() => decodeImage(p)));
    // 6. malformed decoded images and options at the library's entry (no models: a no-face analyser)
    const rec = await createReconstructor({ detail: 'sfs', analyzer: { analyze: async () => [], dispose: () => undefined } });
    const image = { width: 8, height: 8, channels: 3, data: new Float32Array(192) };
    for (const input of [undefined, null, 42, {}, { image }, { image, width: 8, height: 8 }, { image: { ...image, data: [] }, width: 8, height: 8 }]) {
      add('malformed reconstruct() input', await outcome(() => rec.reconstruct(input as never)));
    }
    for (const o of [{ detailStrength: 'x' }, { detailResolution: 7 }, { detail: 'magic' }, { textureResolution: Number.NaN }]) {
      add('bad option values', await outcome(() => rec.reconstruct({ image, width: 8, height: 8 } as never, o as never)));
    }
    await rec.dispose();
    // 7. hostile file names → output folders: the output folder and its parent must survive
    const parent = join(work, 'names'); const out = join(parent, 'out');
    await mkdir(out, { recursive: true });
    await writeFile(join(parent, 'keep.txt'), 'x'); await writeFile(join(out, 'keep.txt'), 'x');
    const names = ['.', '..', '...', '....', ' ', '\u0000', 'a/b', '..\\..\\x', '\u001b[2J', 'line\nbreak', 'CON', 'nul.txt', 'a'.repeat(300), '\u202egpj.exe', '.hidden', '-rf', '*', '~'];
    for (const n of names) {
      add('hostile names → output folder', await outcome(async () => {
        await writeOutputFolder(join(out, safeOutputName(n)), { 'a.txt': 'x' }, { parent: out });
        const left = (await readdir(parent)).sort().join(',');
        if (left !== 'keep.txt,out' || !(await readdir(out)).includes('keep.txt')) throw new Error(`files lost: ${left}`);
      }));
    }
    add('hostile names → output folder', await outcome(() => writeOutputFolder(join(out, '..'), { 'a.txt': 'x' }, { parent: out })));
    await mkdir(join(out, 'users-own')); await writeFile(join(out, 'users-own', 'x'), 'mine');
    add('hostile names → output folder', await outcome(() => writeOutputFolder(join(out, 'users-own'), { 'a.txt': 'x' }, { parent: out })));
    // a symlink loop for folder expansion is covered by the CLI tests; a marker is in every folder written
    const markers = (await readdir(out, { withFileTypes: true })).filter((d) => d.isDirectory() && d.name !== 'users-own').length;
    const withMarker = (await Promise.all((await readdir(out, { withFileTypes: true })).filter((d) => d.isDirectory() && d.name !== 'users-own').map((d) => readdir(join(out, d.name))))).filter((l) => l.includes(OUTPUT_MARKER)).length;
    if (markers !== withMarker) add('hostile names → output folder', 'CRASH: marker missing');
    await symlink(out, join(out, 'loop')).catch(() => undefined);
  } finally {
    await rm(work, { recursive: true, force: true });
  }

  const rows: (string | number)[][] = [];
  const json: Array<Record<string, unknown>> = [];
  let total = 0, crashes = 0, hangs = 0;
  for (const [family, list] of families) {
    const counts = new Map<string, number>();
    for (const o of list) counts.set(o.startsWith('CRASH') ? 'CRASH' : o, (counts.get(o.startsWith('CRASH') ? 'CRASH' : o) ?? 0) + 1);
    const c = list.filter((o) => o.startsWith('CRASH')).length, h = list.filter((o) => o === 'HANG').length;
    total += list.length; crashes += c; hangs += h;
    rows.push([family, list.length, [...counts].map(([k, v]) => `${k} ${v}`).join(', '), c, h]);
    json.push({ family, cases: list.length, outcomes: Object.fromEntries(counts), crashes: c, hangs: h, crashMessages: list.filter((o) => o.startsWith('CRASH')) });
  }
  rows.push(['**all**', total, '', crashes, hangs]);
  console.log(markdownTable(['family', 'cases', 'outcomes', 'crashes (untyped)', 'hangs'], rows));
  const commit = currentCommit();
  await mkdir('bench/results', { recursive: true });
  await writeFile('bench/results/robustness.json', JSON.stringify({ commit, date: new Date().toISOString(), total, crashes, hangs, families: json }, null, 2) + '\n');
  console.log(`\nbench/results/robustness.json written (commit ${commit})`);
}

await main();

/**
 * Independent reference renders (Blender Cycles) of the training renderer's scenes, and the
 * side-by-side comparison of the crease darkening.
 *
 *   node --import tsx bench/cycles/run.ts [--count 60] [--first 0] [--cache <dir>] [--samples 64] [--export] [--render] [--compare] [--tune [--variants <json>] [--detail-scenes] [--out <json>]]
 *
 * `--export` writes per scene (seeds 7101…, 512², no occluders, no camera noise / blur / JPEG) the
 * displaced face (ICT layout, Loop level 2, displaced by the generator's map) and the rest of the
 * head as OBJ in Blender's axes, the albedo PNG, scene.json (camera, key light, environment,
 * skin parameters) and the training renderer's image and ground truth; `--render` runs Blender
 * (`blender -b --factory-startup -noaudio --python bench/cycles/render_cycles.py -- <dir>`) on the
 * scenes without a `cycles.png`; `--compare` measures both images and writes
 * bench/results/cycles.json and docs/cycles-compare.jpg. The cache lives outside git
 * (default `$FACEDETAIL_CYCLES_CACHE`, else `~/.cache/facedetail/cycles`). Blender is optional:
 * without it `--render` prints why and does nothing.
 */
import { existsSync, readdirSync } from 'node:fs';
import { mkdir, readdir, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { loadIctModel } from '../../src/node/model-import/load-ict.js';
import { currentCommit, markdownTable } from '../common.js';
import { SKIN_RENDER_DEFAULTS } from '../../src/core/render/render-skin.js';
import { blenderStatus, exportCyclesScene, renderCyclesScene } from './scene.js';
import { type CachedScene, loadCached, measure } from './compare.js';
import { renderSynthCase, synthAssets, synthCase, type SynthCase } from '../synth/scene.js';

const args = process.argv.slice(2);
const arg = (k: string): string | undefined => { const i = args.indexOf(k); return i >= 0 ? args[i + 1] : undefined; };
const count = Number(arg('--count') ?? 60), first = Number(arg('--first') ?? 0);
const cache = arg('--cache') ?? process.env['FACEDETAIL_CYCLES_CACHE'] ?? path.join(os.homedir(), '.cache', 'facedetail', 'cycles');
const samples = Number(arg('--samples') ?? 64);
const modelsDir = arg('--models-dir');
const PRESETS = ['smile', 'browRaise', 'frown', 'neutral'];

/** The comparison scenes: seeds 7101 + i, ages 45–85, presets cycling, 512². */
function cases(data: Awaited<ReturnType<typeof loadIctModel>>): SynthCase[] {
  return Array.from({ length: count }, (_, k) => {
    const i = first + k;
    const c = synthCase(data, 7101 + i, { age: 45 + ((i * 17) % 41), preset: PRESETS[i % 4]!, size: 512, glasses: false, hair: false });
    return { ...c, blurPx: 0, noise: 0 };
  });
}

async function exportScenes(data: Awaited<ReturnType<typeof loadIctModel>>): Promise<void> {
  for (const c of cases(data)) {
    const dir = path.join(cache, c.id);
    if (existsSync(path.join(dir, 'scene.json'))) continue;
    await exportCyclesScene(data, renderSynthCase(data, c, { levels: 1 }), dir);
    process.stderr.write(`exported ${c.id}\n`);
  }
}

async function renderScenes(): Promise<void> {
  const blender = blenderStatus();
  if (!blender.ok) { process.stderr.write(`${blender.reason}: no Cycles renders\n`); return; }
  for (const d of (await readdir(cache)).sort()) {
    const dir = path.join(cache, d);
    if (!existsSync(path.join(dir, 'scene.json')) || existsSync(path.join(dir, 'cycles.png'))) continue;
    const r = renderCyclesScene(dir, samples);
    process.stderr.write(`${d}: ${r.ok ? 'ok' : `FAILED ${r.error}`} ${r.seconds.toFixed(0)} s\n`);
  }
}

async function compare(): Promise<void> {
  const dirs = (await readdir(cache)).sort().filter((d) => existsSync(path.join(cache, d, 'cycles.png')));
  const rows: Array<Record<string, unknown>> = [];
  const figs: Buffer[] = [];
  for (const d of dirs) {
    const sc = await loadCached(cache, d);
    const { S, cyc, mask, crease } = sc;
    const W = S.width, H = S.height, n = W * H;
    const ours = await sharp(path.join(sc.dir, 'ours.png')).removeAlpha().raw().toBuffer();
    const { co, cc, k, diff, diffK, hpr } = measure(sc, ours);
    rows.push({ id: d, age: S.age, preset: S.preset, creaseContrastOurs: r4(co), creaseContrastCycles: r4(cc), highPassCorrelationNearCreases: r4(hpr), exposureRatio: r4(k), meanAbsDiffSrgb: r4(diff), meanAbsDiffSrgbExposureMatched: r4(diffK), creasePixels: crease.reduce((s, v) => s + v, 0) });
    process.stderr.write(`${d}: crease contrast ours ${co.toFixed(3)} cycles ${cc.toFixed(3)}, exposure ${k.toFixed(3)}, |diff| ${diff.toFixed(3)} (${diffK.toFixed(3)} matched), high-pass r ${hpr.toFixed(3)}\n`);
    if (figs.length < 4) {
      let x0 = W, x1 = 0, y0 = H, y1 = 0;
      for (let y = 0; y < H; y++) for (let x = 0; x < W; x++) if (mask[y * W + x]) { x0 = Math.min(x0, x); x1 = Math.max(x1, x); y0 = Math.min(y0, y); y1 = Math.max(y1, y); }
      const side = Math.min(W, Math.max(x1 - x0, y1 - y0) + 8), left = Math.max(0, Math.min(W - side, Math.round((x0 + x1 - side) / 2))), top = Math.max(0, Math.min(H - side, Math.round((y0 + y1 - side) / 2)));
      const dimg = Buffer.alloc(n * 3);
      for (let i = 0; i < n * 3; i++) dimg[i] = Math.min(255, 4 * Math.abs(ours[i]! - cyc[i]!));
      const ex = { left, top, width: side, height: side };
      const tiles = await Promise.all([ours, cyc, dimg].map((b) => sharp(b, { raw: { width: W, height: H, channels: 3 } }).extract(ex).resize(256, 256).png().toBuffer()));
      figs.push(await sharp({ create: { width: 768, height: 256, channels: 3, background: '#000' } }).composite(tiles.map((input, i) => ({ input, left: 256 * i, top: 0 }))).png().toBuffer());
    }
  }
  const mean = (k: string): number => r4(rows.reduce((s, r) => s + (r[k] as number), 0) / Math.max(1, rows.length));
  const doc = { commit: currentCommit(), date: new Date().toISOString().slice(0, 10), samples, count: rows.length, summary: { creaseContrastOurs: mean('creaseContrastOurs'), creaseContrastCycles: mean('creaseContrastCycles'), highPassCorrelationNearCreases: mean('highPassCorrelationNearCreases'), exposureRatio: mean('exposureRatio'), meanAbsDiffSrgb: mean('meanAbsDiffSrgb'), meanAbsDiffSrgbExposureMatched: mean('meanAbsDiffSrgbExposureMatched') }, scenes: rows };
  await mkdir(path.join('bench', 'results'), { recursive: true });
  await writeFile(path.join('bench', 'results', 'cycles.json'), JSON.stringify(doc, null, 1) + '\n');
  if (figs.length) {
    const cap = Buffer.from(`<svg width="768" height="20"><rect width="100%" height="100%" fill="black"/><text x="4" y="14" font-size="12" font-family="sans-serif" fill="#ddd">training renderer v2 | Blender Cycles (${samples} spp, CPU, no denoiser) | 4 × |difference|</text></svg>`);
    await sharp({ create: { width: 768, height: 256 * figs.length + 20, channels: 3, background: '#000' } })
      .composite([...figs.map((input, i) => ({ input, left: 0, top: 256 * i })), { input: cap, left: 0, top: 256 * figs.length }]).jpeg({ quality: 82 }).toFile(path.join('docs', 'cycles-compare.jpg'));
  }
  process.stdout.write(JSON.stringify(doc.summary) + '\n');
}


/** The default tuning grid of `--tune`: the training renderer's subsurface share and σ scale, and its AO radius. */
const TUNE_GRID = (() => {
  const out: Array<{ name: string; skin: TuneSkin }> = [];
  const base = SKIN_RENDER_DEFAULTS.subsurface.sigmaMm;
  for (const weight of [0.7, 0.5, 0.3]) for (const sigmaScale of [1, 0.6]) for (const aoRadiusMm of [4, 2]) {
    out.push({ name: `sss ${weight} σ×${sigmaScale} ao ${aoRadiusMm}`, skin: { subsurface: { weight, sigmaMm: [base[0] * sigmaScale, base[1] * sigmaScale, base[2] * sigmaScale] }, aoRadiusMm } });
  }
  return out;
})();
type TuneSkin = NonNullable<Parameters<typeof renderSynthCase>[2]>['skin'];

/**
 * The tuning scenes: the comparison scenes (seeds 7101…), or with `--detail-scenes` the detail
 * benchmark's clean Cycles scenes cached in `<cache>/detail` (ids `syn<seed>-a<age>-<preset>-<size>-<size>`).
 */
function tuneScenes(data: Awaited<ReturnType<typeof loadIctModel>>): Array<{ dir: string; id: string; c: SynthCase }> {
  if (!args.includes('--detail-scenes')) return cases(data).map((c) => ({ dir: cache, id: c.id, c }));
  const dir = path.join(cache, 'detail');
  const out: Array<{ dir: string; id: string; c: SynthCase }> = [];
  for (const id of existsSync(dir) ? readdirSync(dir).sort() : []) {
    const m = /^syn(\d+)-a(\d+)-(\w+)-(\d+)-\d+$/.exec(id);
    if (!m) continue;
    const c = synthCase(data, Number(m[1]), { age: Number(m[2]), preset: m[3]!, size: Number(m[4]), glasses: false, hair: false });
    out.push({ dir, id, c: { ...c, blurPx: 0, noise: 0 } });
  }
  return out.slice(first, first + count);
}

/**
 * Luminance of the crease walls relative to the skin 1.5–4 mm beside the creases, in one image:
 * the wall that the detail tilts toward the key light, the one tilted away, and the floor (tilt
 * under 0.03). Splits the crease darkening into shading by the normal and everything else.
 */
function creaseWalls(sc: CachedScene, L: Float32Array, r: ReturnType<typeof renderSynthCase>): { lit: number; dark: number; floor: number } {
  const kd = r.case.key.direction, N = r.render.detailedNormal, S = r.render.smoothNormal;
  const sum = [0, 0, 0, 0], cnt = [0, 0, 0, 0];
  for (let p = 0; p < L.length; p++) {
    if (!sc.mask[p]) continue;
    let k = -1;
    if (sc.crease[p]) {
      const dx = N[3 * p]! - S[3 * p]!, dy = N[3 * p + 1]! - S[3 * p + 1]!, dz = N[3 * p + 2]! - S[3 * p + 2]!;
      k = Math.hypot(dx, dy, dz) < 0.03 ? 3 : dx * kd[0] + dy * kd[1] + dz * kd[2] > 0 ? 1 : 2;
    } else { const d = sc.dist[p]! * sc.S.mmPerPixel; if (d >= 1.5 && d <= 4) k = 0; }
    if (k >= 0) { sum[k]! += L[p]!; cnt[k]!++; }
  }
  const rel = (k: number): number => (cnt[k]! && cnt[0]! ? sum[k]! / cnt[k]! / (sum[0]! / cnt[0]!) : Number.NaN);
  return { lit: rel(1), dark: rel(2), floor: rel(3) };
}

/**
 * `--tune`: re-render the tuning scenes ({@link tuneScenes}) with the training renderer for each
 * variant (`--variants '[{"name": …, "skin": {…renderSkin options}}]'`, default {@link TUNE_GRID})
 * and measure each against the same Cycles images, with the crease walls of both
 * ({@link creaseWalls}); writes bench/results/cycles-tune.json (or `--out`).
 */
async function tune(data: Awaited<ReturnType<typeof loadIctModel>>): Promise<void> {
  const variants = (arg('--variants') ? JSON.parse(arg('--variants')!) : TUNE_GRID) as Array<{ name: string; skin: TuneSkin }>;
  const keys = ['co', 'cc', 'absGap', 'diffK', 'hpr', 'k', 'litOurs', 'litCycles', 'darkOurs', 'darkCycles'] as const;
  const sums = variants.map(() => ({ n: 0, ...Object.fromEntries(keys.map((k) => [k, 0])) }) as { n: number } & Record<(typeof keys)[number], number>);
  for (const { dir, id, c } of tuneScenes(data)) {
    if (!existsSync(path.join(dir, id, 'cycles.png'))) continue;
    const sc = await loadCached(dir, id);
    const assets = synthAssets(data, c.face, Math.min(1024, c.size));
    for (const [i, v] of variants.entries()) {
      const r = renderSynthCase(data, c, { levels: args.includes('--detail-scenes') ? undefined : 1, assets, skin: v.skin });
      const ours = Buffer.from(r.render.image.data.map((x) => Math.round(255 * x)));
      const m = measure(sc, ours);
      const wo = creaseWalls(sc, m.Lo, r), wc = creaseWalls(sc, m.Lc, r);
      const s = sums[i]!;
      const add: Record<(typeof keys)[number], number> = { co: m.co, cc: m.cc, absGap: Math.abs(m.co - m.cc), diffK: m.diffK, hpr: m.hpr, k: m.k, litOurs: wo.lit, litCycles: wc.lit, darkOurs: wo.dark, darkCycles: wc.dark };
      if (keys.some((k) => !Number.isFinite(add[k]))) continue;
      for (const k of keys) s[k] += add[k];
      s.n++;
    }
    process.stderr.write(`tuned ${id}\n`);
  }
  const rows = variants.map((v, i) => {
    const s = sums[i]!, n = Math.max(1, s.n);
    return {
      variant: v.name, scenes: s.n, creaseContrastOurs: r4(s.co / n), creaseContrastCycles: r4(s.cc / n), meanAbsCreaseGap: r4(s.absGap / n),
      litWallOurs: r4(s.litOurs / n), litWallCycles: r4(s.litCycles / n), darkWallOurs: r4(s.darkOurs / n), darkWallCycles: r4(s.darkCycles / n),
      exposureRatio: r4(s.k / n), meanAbsDiffSrgbExposureMatched: r4(s.diffK / n), highPassCorrelationNearCreases: r4(s.hpr / n),
    };
  });
  const best = [...rows].sort((a, b) => a.meanAbsCreaseGap - b.meanAbsCreaseGap)[0];
  const doc = { commit: currentCommit(), date: new Date().toISOString().slice(0, 10), samples, scenes: args.includes('--detail-scenes') ? 'detail' : 'comparison', criterion: 'smallest mean |crease contrast ours − Cycles| per scene', best, variants, rows };
  await writeFile(arg('--out') ?? path.join('bench', 'results', 'cycles-tune.json'), JSON.stringify(doc, null, 1) + '\n');
  const cols = Object.keys(rows[0] ?? {});
  process.stdout.write(markdownTable(cols, rows.map((r) => cols.map((k) => (r as Record<string, number | string>)[k]!))) + '\n');
}

const r4 = (x: number): number => (Number.isFinite(x) ? Math.round(x * 1e4) / 1e4 : x);

if (args.includes('--export')) await exportScenes(await loadIctModel(modelsDir ? { modelsDir } : {}));
if (args.includes('--render')) await renderScenes();
if (args.includes('--compare')) await compare();
if (args.includes('--tune')) await tune(await loadIctModel(modelsDir ? { modelsDir } : {}));

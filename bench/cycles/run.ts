/**
 * Independent reference renders (Blender Cycles) of the training renderer's scenes, and the
 * side-by-side comparison of the crease darkening.
 *
 *   node --import tsx bench/cycles/run.ts [--count 60] [--first 0] [--cache <dir>] [--samples 64] [--export] [--render] [--compare] [--tune]
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
import { existsSync } from 'node:fs';
import { mkdir, readFile, readdir, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { maskedGaussianBlur } from '../../src/core/eval/angular-error.js';
import { luminance } from '../../src/core/image/image.js';
import { distanceTransform, valleyDepth } from '../../src/core/eval/detail-field.js';
import { loadIctModel } from '../../src/node/model-import/load-ict.js';
import { currentCommit, markdownTable } from '../common.js';
import { SKIN_RENDER_DEFAULTS } from '../../src/core/render/render-skin.js';
import { blenderStatus, exportCyclesScene, renderCyclesScene } from './scene.js';
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

/** Rec. 709 luminance of sRGB bytes, linear. */
function lumLinear(buf: Buffer, n: number): Float32Array {
  const lin = (v: number): number => { const c = v / 255; return c <= 0.04045 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4; };
  const out = new Float32Array(n);
  for (let p = 0; p < n; p++) out[p] = luminance(lin(buf[3 * p]!), lin(buf[3 * p + 1]!), lin(buf[3 * p + 2]!));
  return out;
}

/**
 * Crease darkening of an image: 1 − mean luminance on the crease pixels (GT valley depth > 0.2 mm)
 * ÷ mean luminance of the skin 1.5–4 mm from them.
 */
function creaseContrast(L: Float32Array, crease: Uint8Array, dist: Float32Array, mask: Uint8Array, mmPerPixel: number): number {
  let a = 0, na = 0, b = 0, nb = 0;
  for (let p = 0; p < L.length; p++) {
    if (!mask[p]) continue;
    if (crease[p]) { a += L[p]!; na++; } else { const d = dist[p]! * mmPerPixel; if (d >= 1.5 && d <= 4) { b += L[p]!; nb++; } }
  }
  return na && nb ? 1 - a / na / (b / nb) : NaN;
}

/** One scene's cached inputs for the comparison. */
interface CachedScene {
  dir: string;
  S: { width: number; height: number; mmPerPixel: number; age: number; preset: string };
  cyc: Buffer;
  mask: Uint8Array;
  crease: Uint8Array;
  dist: Float32Array;
}

async function loadCached(d: string): Promise<CachedScene> {
  const dir = path.join(cache, d);
  const S = JSON.parse(await readFile(path.join(dir, 'scene.json'), 'utf8')) as CachedScene['S'];
  const W = S.width, H = S.height, n = W * H;
  const cyc = await sharp(path.join(dir, 'cycles.png')).removeAlpha().raw().toBuffer();
  const disp = new Float32Array((await readFile(path.join(dir, 'gt-displacement.f32'))).buffer.slice(0));
  const mask = new Uint8Array(await readFile(path.join(dir, 'mask.u8')));
  const depth = valleyDepth(disp, W, H, mask, 3 / S.mmPerPixel);
  const crease = new Uint8Array(n);
  for (let p = 0; p < n; p++) crease[p] = mask[p] && depth[p]! > 0.2 ? 1 : 0;
  return { dir, S, cyc, mask, crease, dist: distanceTransform(crease, W, H) };
}

/** Our image against the Cycles one: crease darkening of both, exposure ratio, image differences, high-pass correlation near creases. */
function measure(sc: CachedScene, ours: Buffer): { co: number; cc: number; k: number; diff: number; diffK: number; hpr: number } {
  const { S, cyc, mask, crease, dist } = sc;
  const W = S.width, H = S.height, n = W * H;
  const Lo = lumLinear(ours, n), Lc = lumLinear(cyc, n);
  // Exposure: median ratio over the skin.
  const ratios: number[] = [];
  for (let p = 0; p < n; p++) if (mask[p] && Lc[p]! > 1e-4) ratios.push(Lo[p]! / Lc[p]!);
  ratios.sort((a, b) => a - b);
  const k = ratios[ratios.length >> 1] ?? 1;
  let diff = 0, diffK = 0, m = 0;
  for (let p = 0; p < n; p++) {
    if (!mask[p]) continue;
    for (let c = 0; c < 3; c++) {
      const o = ours[3 * p + c]! / 255, y = cyc[3 * p + c]! / 255;
      diff += Math.abs(o - y);
      const yl = y <= 0.04045 ? y / 12.92 : ((y + 0.055) / 1.055) ** 2.4, ys = Math.min(1, yl * k);
      diffK += Math.abs(o - (ys <= 0.0031308 ? 12.92 * ys : 1.055 * ys ** (1 / 2.4) - 0.055));
    }
    m += 3;
  }
  const co = creaseContrast(Lo, crease, dist, mask, S.mmPerPixel), cc = creaseContrast(Lc, crease, dist, mask, S.mmPerPixel);
  // Shading detail agreement: correlation of the two log-luminance high-passes (σ = 2 mm) on the skin near creases (≤ 4 mm).
  const hp = (L: Float32Array): Float32Array => { const lg = L.map((v) => Math.log(1e-3 + v)); const lo = maskedGaussianBlur(lg, 1, W, H, mask, 2 / S.mmPerPixel); return lg.map((v, p) => v - lo[p]!); };
  const ho = hp(Lo), hc = hp(Lc);
  let sab = 0, saa = 0, sbb = 0;
  for (let p = 0; p < n; p++) if (mask[p] && dist[p]! * S.mmPerPixel <= 4) { sab += ho[p]! * hc[p]!; saa += ho[p]! ** 2; sbb += hc[p]! ** 2; }
  return { co, cc, k, diff: diff / m, diffK: diffK / m, hpr: saa > 0 && sbb > 0 ? sab / Math.sqrt(saa * sbb) : NaN };
}

async function compare(): Promise<void> {
  const dirs = (await readdir(cache)).sort().filter((d) => existsSync(path.join(cache, d, 'cycles.png')));
  const rows: Array<Record<string, unknown>> = [];
  const figs: Buffer[] = [];
  for (const d of dirs) {
    const sc = await loadCached(d);
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


/** The tuning grid of `--tune`: the training renderer's subsurface share and σ scale, and its AO radius. */
const TUNE_GRID = (() => {
  const out: Array<{ weight: number; sigmaScale: number; aoRadiusMm: number }> = [];
  for (const weight of [0.7, 0.5, 0.3]) for (const sigmaScale of [1, 0.6]) for (const aoRadiusMm of [4, 2]) out.push({ weight, sigmaScale, aoRadiusMm });
  return out;
})();

/**
 * `--tune`: re-render the cached scenes with the training renderer over {@link TUNE_GRID} and
 * measure each variant against the same Cycles images; writes bench/results/cycles-tune.json.
 */
async function tune(data: Awaited<ReturnType<typeof loadIctModel>>): Promise<void> {
  const sums = TUNE_GRID.map(() => ({ co: 0, cc: 0, absGap: 0, diffK: 0, hpr: 0, n: 0 }));
  for (const c of cases(data)) {
    if (!existsSync(path.join(cache, c.id, 'cycles.png'))) continue;
    const sc = await loadCached(c.id);
    const assets = synthAssets(data, c.face, Math.min(1024, c.size));
    for (const [i, g] of TUNE_GRID.entries()) {
      const base = SKIN_RENDER_DEFAULTS.subsurface.sigmaMm;
      const r = renderSynthCase(data, c, { levels: 1, assets, skin: { subsurface: { weight: g.weight, sigmaMm: [base[0] * g.sigmaScale, base[1] * g.sigmaScale, base[2] * g.sigmaScale] }, aoRadiusMm: g.aoRadiusMm } });
      const m = measure(sc, Buffer.from(r.render.image.data.map((v) => Math.round(255 * v))));
      const s = sums[i]!;
      s.co += m.co; s.cc += m.cc; s.absGap += Math.abs(m.co - m.cc); s.diffK += m.diffK; s.hpr += m.hpr; s.n++;
    }
    process.stderr.write(`tuned ${c.id}\n`);
  }
  const rows = TUNE_GRID.map((g, i) => {
    const s = sums[i]!, n = Math.max(1, s.n);
    return { ...g, scenes: s.n, creaseContrastOurs: r4(s.co / n), creaseContrastCycles: r4(s.cc / n), meanAbsCreaseGap: r4(s.absGap / n), meanAbsDiffSrgbExposureMatched: r4(s.diffK / n), highPassCorrelationNearCreases: r4(s.hpr / n) };
  });
  const best = [...rows].sort((a, b) => a.meanAbsCreaseGap - b.meanAbsCreaseGap)[0];
  const doc = { commit: currentCommit(), date: new Date().toISOString().slice(0, 10), samples, criterion: 'smallest mean |crease contrast ours − Cycles| per scene', best, rows };
  await writeFile(path.join('bench', 'results', 'cycles-tune.json'), JSON.stringify(doc, null, 1) + '\n');
  const keys = Object.keys(rows[0] ?? {});
  process.stdout.write(markdownTable(keys, rows.map((r) => keys.map((k) => (r as Record<string, number>)[k]!))) + '\n');
}

const r4 = (x: number): number => (Number.isFinite(x) ? Math.round(x * 1e4) / 1e4 : x);

if (args.includes('--export')) await exportScenes(await loadIctModel(modelsDir ? { modelsDir } : {}));
if (args.includes('--render')) await renderScenes();
if (args.includes('--compare')) await compare();
if (args.includes('--tune')) await tune(await loadIctModel(modelsDir ? { modelsDir } : {}));

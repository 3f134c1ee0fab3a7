/**
 * `npm run bench:detail [-- --quick] [--no-lps] [--sizes 512,1024] [--ids 8] [--lps-views 12] [--models-dir <dir>] [--out <json>] [--sheet <jpg>]`
 *
 * Detail benchmark v2 (see bench/detail/README.md): held-out synthetic identities (8 × 2 ages × 2
 * expressions × the sizes; seeds 7001–7008, disjoint from the training renders' < 7000) rendered
 * with renderer v2, and the Lee Perry-Smith scan (12 poses × 4 lights), scored for the methods
 * zero / sfs / dfdn / highpass with the detail-field metrics. Writes bench/results/detail.json
 * (with the commit) and a contact sheet (render | GT detail | each method's detail).
 * `--quick`: 2 synthetic scenes and 1 scan view at 512 px. `--occluders`: every synthetic scene with
 * glasses and a hair fringe; `--hands`: every synthetic scene has a hand on a cheek; with either, rows
 * also report `occludedRmsMm` (the displacement under the occluders).
 * `--candidate <name>=<model dir>[@<strength>]` (repeatable): an extra row per DFDN model folder
 * (`dfdn.onnx` + `dfdn.json`) and detail strength (default 1), e.g. `--candidate dfdn-v1=/tmp/dfdn-v1`
 * or `--candidate dfdn@0.5=models/dfdn@0.5`, run on the same scenes.
 * `--renderers v2,cycles`: the synthetic scenes rendered by the training renderer v2 (default) and / or
 * by Blender Cycles (`bench/cycles/scene.ts`: the same geometry, albedo, camera and lights, an
 * independent light transport; cached in `$FACEDETAIL_CYCLES_CACHE/detail`, `--cycles-samples`,
 * default 64). With cycles the synthetic scenes carry no occluders and no camera blur / noise (the
 * export has neither), for both renderers, so their rows compare the same scenes; rows gain `renderer`.
 * With cycles the scan's views are rendered by Cycles too (`exportCyclesScanScene`: the scan mesh with
 * its colour, normal and specular maps, the view's camera and lights; `--cycles-scan-samples`, default 64).
 * `--merge a.json,…`: aggregate the scenes of earlier runs with this one's (same id: the newer wins).
 */
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import sharp from 'sharp';
import { loadIctModel } from '../../src/node/model-import/load-ict.js';
import { createReconstructor } from '../../src/node/reconstructor.js';
import { currentCommit, markdownTable } from '../common.js';
import { loadScan, SCAN_ATTRIBUTION, SCAN_DIR } from '../accuracy/scan.js';
import { normalsToImage } from '../accuracy/images.js';
import type { Image } from '../../src/core/types.js';
import { DETAIL_REGIONS, renderSynthCase, synthCase } from '../synth/scene.js';
import { blenderStatus, exportCyclesScanScene, exportCyclesScene, loadCyclesImage, loadCyclesScanImage, renderCyclesScene } from '../cycles/scene.js';
import os from 'node:os';
import {
  DETAIL_BENCH_METHODS, jpegRoundTrip, lpsScene, lpsViews, methodField, runMethods, scoreField, type DetailBenchMethod, type DetailScene, type MethodField,
} from './evaluate.js';

const args = process.argv.slice(2);
const arg = (k: string): string | undefined => { const i = args.indexOf(k); return i >= 0 ? args[i + 1] : undefined; };
const quick = args.includes('--quick');
const sizes = (arg('--sizes') ?? (quick ? '512' : '512,1024')).split(',').map(Number);
const modelsDir = arg('--models-dir');
const outJson = arg('--out') ?? path.join('bench', 'results', 'detail.json');
const sheetOut = arg('--sheet') ?? (quick ? path.join('bench', 'out', 'detail', 'sheet-quick.jpg') : path.join('docs', 'detail-sheet.jpg'));
const baseMethods = (arg('--methods')?.split(',') ?? [...DETAIL_BENCH_METHODS]) as DetailBenchMethod[];
for (const m of baseMethods) if (!(DETAIL_BENCH_METHODS as readonly string[]).includes(m)) throw new Error(`--methods: unknown method "${m}" (expected ${DETAIL_BENCH_METHODS.join(', ')})`);
/** Extra DFDN models to score: `--candidate name=dir`, repeatable. */
const candidates: Array<{ name: string; dir: string; strength: number }> = [];
for (let i = 0; i < args.length; i++) {
  if (args[i] !== '--candidate') continue;
  const v = args[i + 1] ?? '', eq = v.indexOf('=');
  if (eq <= 0 || eq === v.length - 1) throw new Error(`--candidate expects name=<model dir>, got "${v}"`);
  const name = v.slice(0, eq);
  if ((DETAIL_BENCH_METHODS as readonly string[]).includes(name)) throw new Error(`--candidate: "${name}" is a built-in method name`);
  const rest = v.slice(eq + 1), at = rest.lastIndexOf('@');
  const strength = at > 0 ? Number(rest.slice(at + 1)) : 1;
  if (!(strength > 0)) throw new Error(`--candidate ${name}: strength must be a number > 0, got "${rest.slice(at + 1)}"`);
  candidates.push({ name, dir: at > 0 ? rest.slice(0, at) : rest, strength });
}
/** Every scored row: the built-in methods, then the candidates. */
const methods: string[] = [...baseMethods, ...candidates.map((c) => c.name)];
const withLps = !args.includes('--no-lps') && existsSync(SCAN_DIR);
/** Synthetic identities (default 8) and scan poses (default 12, × 4 lights): smaller runs for a busy machine. */
const nIds = Number(arg('--ids') ?? 8), nLpsViews = Number(arg('--lps-views') ?? 12);
/** Synthetic ages (default 35 and 72): `--ages 72` for a run limited to the older faces. */
const ages = (arg('--ages') ?? '35,72').split(',').map(Number);
/** `--occluders`: every synthetic scene wears glasses and a hair fringe (the occluder cases: displacement RMS under them). */
const forceOccluders = args.includes('--occluders');
/** `--hands`: every synthetic scene has a hand resting on a cheek (an occluder of skin colour; the detail must be 0 under it). */
const withHands = args.includes('--hands');
for (const a of ages) if (a !== 35 && a !== 72) throw new Error(`--ages: each age must be 35 or 72, got ${a}`);
/**
 * `--merge a.json,b.json`: the scenes of earlier runs (their `scenes`) are aggregated with this
 * run's; a later file's scene, and this run's, replaces one of the same id. E.g. a run of the scan
 * alone (`--ids 0`) merged into a run of the synthetic faces.
 */
const mergeFiles = arg('--merge')?.split(',').filter(Boolean) ?? [];
const merged = new Map<string, SceneResult>();
const mergedFrom: Array<{ file: string; commit: string; scenes: number }> = [];
for (const f of mergeFiles) {
  const doc = JSON.parse(readFileSync(f, 'utf8')) as { commit?: string; scenes?: SceneResult[] };
  if (!Array.isArray(doc.scenes)) throw new Error(`--merge ${f}: no "scenes" array (a bench:detail JSON?)`);
  for (const sc of doc.scenes) merged.set(sc.id, sc);
  mergedFrom.push({ file: f, commit: doc.commit ?? 'unknown', scenes: doc.scenes.length });
}
/** Renderers of the synthetic scenes: `v2` (the training renderer) and / or `cycles` (Blender, the independent reference). */
type SynthRenderer = 'v2' | 'cycles';
const renderers = (arg('--renderers') ?? 'v2').split(',') as SynthRenderer[];
for (const r of renderers) if (r !== 'v2' && r !== 'cycles') throw new Error(`--renderers: each must be v2 or cycles, got "${r}"`);
if (renderers.includes('cycles')) {
  const b = blenderStatus();
  if (!b.ok) { process.stderr.write(`${b.reason}: no Cycles scenes\n`); renderers.splice(renderers.indexOf('cycles'), 1); }
}
/** Clean scenes (no occluders, no camera blur / noise) whenever Cycles renders them: the Cycles export has neither. */
const cleanScenes = renderers.includes('cycles');
const cyclesCache = path.join(process.env['FACEDETAIL_CYCLES_CACHE'] ?? path.join(os.homedir(), '.cache', 'facedetail', 'cycles'), 'detail');
const cyclesSamples = Number(arg('--cycles-samples') ?? 64);
/** Samples of the scan's Cycles views (`--cycles-scan-samples`, default 64; Burley subsurface, see `exportCyclesScanScene`). */
const cyclesScanSamples = Number(arg('--cycles-scan-samples') ?? 64);

/** The synthetic scene list: seeds 7001–7008 (7001–7004 tune, 7005–7008 held out), ages 35 / 72, neutral + one expression. */
function syntheticList(): Array<{ seed: number; age: number; preset: string; size: number; split: 'tune' | 'heldout' }> {
  const exprs = ['smile', 'browRaise', 'frown'];
  const out: Array<{ seed: number; age: number; preset: string; size: number; split: 'tune' | 'heldout' }> = [];
  for (let i = 0; i < nIds; i++) {
    const seed = 7001 + i;
    for (const age of ages) for (const preset of ['neutral', exprs[i % 3]!]) for (const size of sizes) out.push({ seed, age, preset, size, split: i < nIds / 2 ? 'tune' : 'heldout' });
  }
  // Order: every identity's first combination, then every identity's second, … (a run cut short still covers every identity).
  const combo = (c: { age: number; preset: string }): number => (c.age === 35 ? 0 : 2) + (c.preset === 'neutral' ? 0 : 1);
  out.sort((a, b) => combo(a) - combo(b) || a.size - b.size || a.seed - b.seed);
  if (!quick) return out;
  return [out.find((c) => c.age === 72 && c.preset === 'smile')!, out.find((c) => c.age === 35 && c.preset !== 'neutral' && c.split === 'heldout')!];
}

interface SceneResult {
  id: string; subject: 'lps' | 'synthetic'; renderer: SynthRenderer | 'scan'; split: 'tune' | 'heldout'; size: number; age?: number; preset?: string;
  methods: Partial<Record<string, { r: number; rWrinkle: number; amplitude: number; creaseF1: number; creasePrecision: number; creaseRecall: number; normalGainDeg: number; coverage: number; occludedRmsMm: number; rNoBrows?: number; normalGainNoBrowsDeg?: number; shift: [number, number]; regions: Record<string, { r: number; creaseF1: number }> }>>;
  ms: number;
}

const round = (x: number, d = 4): number => (Number.isFinite(x) ? Math.round(x * 10 ** d) / 10 ** d : x);

async function main(): Promise<void> {
  const t0 = performance.now();
  const data = await loadIctModel(modelsDir ? { modelsDir } : {});
  const rec = await createReconstructor({});
  const candidateRecs = await Promise.all(candidates.map(async (c) => ({ ...c, rec: await createReconstructor({ dfdnModelDir: c.dir }) })));
  const results: SceneResult[] = [];
  const sheetRows: Image[][] = [];
  const sheetLps = new Set<string>();
  const scenes: Array<() => Promise<DetailScene>> = [];
  const lpsFirst: Array<() => Promise<DetailScene>> = [];
  for (const s of syntheticList()) for (const renderer of renderers) {
    scenes.push(async () => {
      const base = synthCase(data, s.seed, { age: s.age, preset: s.preset, size: s.size, ...(cleanScenes ? { glasses: false, hair: false } : forceOccluders ? { glasses: true, hair: true } : {}), ...(withHands && !cleanScenes ? { hand: true } : {}) });
      const c = cleanScenes ? { ...base, blurPx: 0, noise: 0 } : base;
      const r = renderSynthCase(data, c);
      let photo = r.render.image;
      if (renderer === 'cycles') {
        const dir = path.join(cyclesCache, `${c.id}-${s.size}`);
        if (!existsSync(path.join(dir, 'scene.json'))) await exportCyclesScene(data, r, dir);
        const out = renderCyclesScene(dir, cyclesSamples);
        if (!out.ok) throw new Error(`Cycles render of ${c.id} failed: ${out.error}`);
        if (out.seconds) process.stderr.write(`${c.id}: Cycles ${cyclesSamples} spp in ${out.seconds.toFixed(0)} s\n`);
        photo = await loadCyclesImage(dir);
      }
      const occluded = new Uint8Array(r.render.occluded.length);
      let anyOccluded = false;
      for (let p = 0; p < occluded.length; p++) if (r.render.occluded[p]! > 0.5) { occluded[p] = 1; anyOccluded = true; }
      return {
        id: renderer === 'v2' ? c.id : `${c.id}-${renderer}`, subject: 'synthetic', renderer, split: s.split, size: s.size, age: s.age, preset: s.preset,
        image: await jpegRoundTrip(photo, c.jpegQuality), camera: r.camera, focalLength35mm: c.focalLength35mm, mmPerPixel: r.mmPerPixel,
        mask: r.mask, gtDetailed: r.render.detailedNormal, gtSmooth: r.render.smoothNormal, gtDisplacement: r.render.displacement, regions: r.regions,
        ...(anyOccluded ? { occluded } : {}),
      };
    });
  }
  if (withLps) {
    const scan = await loadScan();
    const views = quick ? lpsViews(1).filter((v) => v.light === 'hard-side').map((v) => ({ ...v, size: 512, id: v.id.replace(/-\d+$/, '-512') })) : lpsViews(nLpsViews);
    // The scan's renderers: the accuracy bench's (`scan`, for `v2`) and / or Cycles (the same view: mesh, maps, camera, lights).
    const lpsRenderers = renderers.map((r) => (r === 'v2' ? 'scan' as const : 'cycles' as const));
    for (const v of views) {
      let base: DetailScene | undefined, uses = 0;
      for (const renderer of lpsRenderers) {
        lpsFirst.push(async () => {
          base ??= lpsScene(scan, v);
          const b = base;
          if (++uses === lpsRenderers.length) base = undefined;
          if (renderer === 'scan') return b;
          const dir = path.join(cyclesCache, `${v.id}`);
          if (!existsSync(path.join(dir, 'scene.json'))) await exportCyclesScanScene(scan, v, dir);
          const out = renderCyclesScene(dir, cyclesScanSamples);
          if (!out.ok) throw new Error(`Cycles render of ${v.id} failed: ${out.error}`);
          if (out.seconds) process.stderr.write(`${v.id}: Cycles ${cyclesScanSamples} spp in ${out.seconds.toFixed(0)} s\n`);
          return { ...b, id: `${v.id}-cycles`, renderer: 'cycles', image: await loadCyclesScanImage(dir) };
        });
      }
    }
  } else process.stderr.write(`scan not found at ${SCAN_DIR} (or --no-lps): synthetic scenes only\n`);
  scenes.unshift(...lpsFirst);
  try {
    for (const make of scenes) {
      const ts = performance.now();
      const scene = await make();
      const fields: Partial<Record<string, MethodField>> = await runMethods(rec, scene, baseMethods);
      for (const c of candidateRecs) fields[c.name] = await methodField(c.rec, scene, { detail: 'dfdn', detailStrength: c.strength });
      const res: SceneResult = { id: scene.id, subject: scene.subject, renderer: scene.renderer ?? 'scan', split: scene.split, size: scene.size, ...(scene.age ? { age: scene.age, preset: scene.preset } : {}), methods: {}, ms: 0 };
      for (const m of methods) {
        const f = fields[m];
        if (!f) continue;
        const s = scoreField(scene, f);
        const regions: Record<string, { r: number; creaseF1: number }> = {};
        for (const [k, v] of Object.entries(s.regions)) regions[DETAIL_REGIONS[Number(k) - 1] ?? `r${k}`] = { r: round(v.r), creaseF1: round(v.creaseF1) };
        res.methods[m] = { r: round(s.r), rWrinkle: round(s.rWrinkle), amplitude: round(s.amplitude), creaseF1: round(s.creaseF1), creasePrecision: round(s.creasePrecision), creaseRecall: round(s.creaseRecall), normalGainDeg: round(s.normalGainDeg), coverage: round(s.coverage), occludedRmsMm: round(s.occludedRmsMm), ...(s.noBrows ? { rNoBrows: round(s.noBrows.r), normalGainNoBrowsDeg: round(s.noBrows.normalGainDeg) } : {}), shift: s.shift, regions };
      }
      res.ms = Math.round(performance.now() - ts);
      results.push(res);
      process.stderr.write(`${scene.id} (${scene.split}, ${res.renderer}, ${res.ms} ms): ${methods.map((m) => { const x = res.methods[m]; return x ? `${m} r=${x.r.toFixed(3)} rW=${x.rWrinkle.toFixed(3)} amp=${x.amplitude.toFixed(2)} F1=${x.creaseF1.toFixed(3)} gain=${x.normalGainDeg.toFixed(3)}°` : `${m} MISS`; }).join(', ')}\n`);
      await writeResults(results, outJson); // after every scene: a run cut short keeps what it measured
      // Sheet: the first scan view of each renderer, then synthetic 512² scenes (age 72 first; any age in --quick).
      const firstLps = scene.subject === 'lps' && !sheetLps.has(res.renderer);
      if (sheetRows.length < (quick ? 3 : 4 + (withLps ? renderers.length : 1)) && (scene.subject === 'lps' ? firstLps : scene.size === 512 && (scene.age === 72 || quick))) {
        if (firstLps) sheetLps.add(res.renderer);
        sheetRows.push(sheetRow(scene, fields));
        await writeSheet(sheetRows, sheetOut);
      }
    }
  } finally {
    await rec.dispose();
    for (const c of candidateRecs) await c.rec.dispose();
  }
  const rows = await writeResults(results, outJson);
  process.stdout.write(markdownTable(['method', 'split', 'subject', 'renderer', 'r', 'rWrinkle', 'amplitude', 'creaseF1', 'normalGainDeg', 'r w/o brows', 'gain w/o brows', 'coverage', 'occludedRmsMm', 'count'],
    rows.map((r) => [r.method, r.split, r.subject, r.renderer, fmt(r.r), fmt(r.rWrinkle), fmt(r.amplitude), fmt(r.creaseF1), fmt(r.normalGainDeg), fmt(r.rNoBrows), fmt(r.normalGainNoBrowsDeg), fmt(r.coverage), fmt(r.occludedRmsMm), r.count])) + '\n');
  process.stdout.write(`wrote ${outJson}${sheetRows.length ? ` and ${sheetOut}` : ''} in ${((performance.now() - t0) / 1000).toFixed(0)} s\n`);
}

/** Write the JSON (rows aggregated over the scenes so far); returns the rows. */
async function writeResults(current: SceneResult[], outJson: string): Promise<ReturnType<typeof aggregate>> {
  const ids = new Set(current.map((r) => r.id));
  const results = [...[...merged.values()].filter((r) => !ids.has(r.id)), ...current];
  const rows = aggregate(results);
  const doc = {
    commit: currentCommit(), date: new Date().toISOString().slice(0, 10), quick, ...(mergedFrom.length ? { mergedFrom } : {}),
    note: 'detail field = detailed − proxy normals (method) vs detailed − smooth normals (ground truth), in the image with the method\'s camera; r: Pearson after σ = 1 px blur at the best shift within ±3 px; rWrinkle: the same on a 1.5–6 mm band; amplitude: RMS of the blurred detail field of the method over that of the truth at that shift (1 = the true strength; r is blind to it); creaseF1: GT valleys > 0.1 mm (closing with a square of half-side 3 mm), 1.5 mm tolerance (not scored on the scan: no GT displacement in the image); normalGainDeg: mean angle to GT of detailed − of proxy normals (negative = the detail helps); rNoBrows / normalGainNoBrowsDeg (scan only): the same without the brows and 5 mm around them, where the scan\'s normal map holds brow hair. Synthetic: renderer v2 (CPU) renders, and with renderer = cycles Blender Cycles renders of the same clean scenes; scan: the accuracy bench\'s renderer with its normal map.',
    rows, byRegion: byGroup(results, (r) => Object.keys(Object.values(r.methods)[0]?.regions ?? {}), 'region'), byAge: aggregateBy(results, (r) => (r.age ? `age${r.age}` : undefined)),
    scenes: results,
  };
  await mkdir(path.dirname(outJson), { recursive: true });
  await writeFile(outJson, JSON.stringify(doc, null, 1) + '\n');
  return rows;
}

const fmt = (x: number): string => (Number.isFinite(x) ? x.toFixed(3) : '—');
const mean = (xs: number[]): number => { const f = xs.filter(Number.isFinite); return f.length ? f.reduce((a, b) => a + b, 0) / f.length : NaN; };

/** Rows of the JSON: method × split × subject, means over scenes. */
function aggregate(rs: SceneResult[]): Array<{ method: string; split: string; subject: string; renderer: string; r: number; rWrinkle: number; amplitude: number; creaseF1: number; normalGainDeg: number; rNoBrows: number; normalGainNoBrowsDeg: number; coverage: number; occludedRmsMm: number; count: number }> {
  const rows = [];
  for (const subject of ['synthetic', 'lps'] as const) for (const renderer of ['v2', 'cycles', 'scan'] as const) for (const split of ['tune', 'heldout'] as const) for (const m of methods) {
    const these = rs.filter((r) => r.subject === subject && r.renderer === renderer && r.split === split);
    const xs = these.map((r) => r.methods[m]).filter((x): x is NonNullable<typeof x> => !!x);
    const count = these.length;
    if (!count) continue;
    rows.push({ method: m, split, subject, renderer, r: round(mean(xs.map((x) => x.r))), rWrinkle: round(mean(xs.map((x) => x.rWrinkle))), amplitude: round(mean(xs.map((x) => x.amplitude))), creaseF1: round(mean(xs.map((x) => x.creaseF1))), normalGainDeg: round(mean(xs.map((x) => x.normalGainDeg))), rNoBrows: round(mean(xs.map((x) => x.rNoBrows ?? NaN))), normalGainNoBrowsDeg: round(mean(xs.map((x) => x.normalGainNoBrowsDeg ?? NaN))), coverage: round(count ? xs.reduce((s, x) => s + x.coverage, 0) / count : NaN), occludedRmsMm: round(mean(xs.map((x) => x.occludedRmsMm))), count });
  }
  return rows;
}

function aggregateBy(rs: SceneResult[], key: (r: SceneResult) => string | undefined): Record<string, Record<string, { r: number; rWrinkle: number; creaseF1: number; count: number }>> {
  const out: Record<string, Record<string, { r: number; rWrinkle: number; creaseF1: number; count: number }>> = {};
  for (const r of rs) {
    const k = key(r);
    if (!k) continue;
    out[k] ??= {};
  }
  for (const k of Object.keys(out)) for (const m of methods) {
    const xs = rs.filter((r) => key(r) === k).map((r) => r.methods[m]).filter((x): x is NonNullable<typeof x> => !!x);
    out[k]![m] = { r: round(mean(xs.map((x) => x.r))), rWrinkle: round(mean(xs.map((x) => x.rWrinkle))), creaseF1: round(mean(xs.map((x) => x.creaseF1))), count: xs.length };
  }
  return out;
}

function byGroup(rs: SceneResult[], _keys: (r: SceneResult) => string[], _name: string): Record<string, Record<string, { r: number; creaseF1: number; count: number }>> {
  const out: Record<string, Record<string, { r: number; creaseF1: number; count: number }>> = {};
  for (const reg of DETAIL_REGIONS) {
    out[reg] = {};
    for (const m of methods) {
      const xs = rs.filter((r) => r.subject === 'synthetic').map((r) => r.methods[m]?.regions[reg]).filter((x): x is NonNullable<typeof x> => !!x);
      out[reg]![m] = { r: round(mean(xs.map((x) => x.r))), creaseF1: round(mean(xs.map((x) => x.creaseF1))), count: xs.length };
    }
  }
  return out;
}

/** Visualise a detail field: normalize((0, 0, −1) + 4·field). */
function fieldImage(f: Float32Array, valid: ArrayLike<number>, W: number, H: number): Image {
  const v = new Float32Array(3 * W * H);
  for (let p = 0; p < W * H; p++) {
    const x = 4 * f[3 * p]!, y = 4 * f[3 * p + 1]!, z = -1 + 4 * f[3 * p + 2]!, l = Math.hypot(x, y, z) || 1;
    v[3 * p] = x / l; v[3 * p + 1] = y / l; v[3 * p + 2] = z / l;
  }
  return normalsToImage(v, valid, W, H);
}

/** One contact-sheet row, cropped to the mask: render | GT detail | each method's detail. */
function sheetRow(scene: DetailScene, fields: Partial<Record<string, MethodField>>): Image[] {
  const W = scene.camera.width, H = scene.camera.height;
  let x0 = W, x1 = 0, y0 = H, y1 = 0;
  for (let y = 0; y < H; y++) for (let x = 0; x < W; x++) if (scene.mask[y * W + x]) { x0 = Math.min(x0, x); x1 = Math.max(x1, x); y0 = Math.min(y0, y); y1 = Math.max(y1, y); }
  const side = Math.min(W, H, Math.max(16, Math.round(Math.max(x1 - x0, y1 - y0) * 1.08)));
  const ox = Math.max(0, Math.min(W - side, Math.round((x0 + x1 - side) / 2))), oy = Math.max(0, Math.min(H - side, Math.round((y0 + y1 - side) / 2)));
  const crop = (img: Image): Image => {
    const out: Image = { width: 256, height: 256, channels: 3, data: new Float32Array(256 * 256 * 3) };
    for (let y = 0; y < 256; y++) for (let x = 0; x < 256; x++) {
      const sx = ox + Math.floor((x * side) / 256), sy = oy + Math.floor((y * side) / 256);
      for (let c = 0; c < 3; c++) out.data[(y * 256 + x) * 3 + c] = img.data[(sy * W + sx) * 3 + c]!;
    }
    return out;
  };
  const gtF = new Float32Array(3 * W * H);
  for (let p = 0; p < W * H; p++) if (scene.mask[p]) for (let c = 0; c < 3; c++) gtF[3 * p + c] = scene.gtDetailed[3 * p + c]! - scene.gtSmooth[3 * p + c]!;
  const blank: Image = { width: W, height: H, channels: 3, data: new Float32Array(3 * W * H).fill(0.12) };
  return [scene.image, fieldImage(gtF, scene.mask, W, H), ...methods.map((m) => { const f = fields[m]; return f ? fieldImage(f.field, f.coverage, W, H) : blank; })].map(crop);
}

async function writeSheet(rows: Image[][], file: string): Promise<void> {
  const tiles: Array<{ input: Buffer; left: number; top: number }> = [];
  for (const [r, row] of rows.entries()) for (const [c, img] of row.entries()) {
    const buf = Buffer.alloc(256 * 256 * 3);
    for (let i = 0; i < buf.length; i++) buf[i] = Math.round(Math.max(0, Math.min(1, img.data[i]!)) * 255);
    tiles.push({ input: await sharp(buf, { raw: { width: 256, height: 256, channels: 3 } }).png().toBuffer(), left: c * 256, top: r * 256 });
  }
  const cols = rows[0]!.length, capH = 22;
  const text = `render | GT detail | ${methods.join(' | ')} (detail fields ×4) — scan rows: ${SCAN_ATTRIBUTION}`;
  tiles.push({ input: Buffer.from(`<svg width="${cols * 256}" height="${capH}"><rect width="100%" height="100%" fill="black"/><text x="4" y="15" font-size="12" font-family="sans-serif" fill="#ddd">${text.replace(/&/g, '&amp;').replace(/</g, '&lt;')}</text></svg>`), left: 0, top: rows.length * 256 });
  await mkdir(path.dirname(file), { recursive: true });
  await sharp({ create: { width: cols * 256, height: rows.length * 256 + capH, channels: 3, background: '#000' } }).composite(tiles).jpeg({ quality: 82 }).toFile(file);
}

await main();

/**
 * `node --import tsx bench/detail/oracle.ts [--views 12] [--no-cycles] [--cycles-samples 64] [--out bench/results/detail-oracle.json]`
 *
 * A ceiling for single-image detail on the Lee Perry-Smith scan: the **shading oracle**. It knows
 * what no method knows (the scan's smooth geometry in the true camera, its albedo at every pixel
 * and the true lights) and inverts the shading exactly where one image allows it: at each pixel the
 * smallest normal change that turns the smooth render's shading into the observed one,
 *
 *     δn = Δs · g_t / |g_t|²,  Δs = Σ_c w_c (I_c − I_smooth,c) / ρ_c,  g = Σ_c w_c ∂s_c/∂n,
 *
 * (linear colours, Rec. 709 luminance weights w, g_t = g's part in the tangent plane; the component
 * of the detail across g is not in the image). Scored like a method (`scoreField`, the detail
 * benchmark's metric and masks) on the benchmark's 512² scan views, for the accuracy bench's
 * renderer (`scan`: its image, and its smooth render without the normal map) and for Blender Cycles
 * (`cycles`: the benchmark's Cycles view, and a Cycles render of the same view without the normal
 * map; the shading gradient is still the analytic one of the lights, without Cycles' shadows and
 * subsurface). If even this r stays low, the scan's detail field is not in its images to be found.
 * `oracle-albedo-blind` knows the albedo only low-passed (σ 2 mm, `--blind-sigma-mm`): what is
 * left when pigment below that scale cannot be told from shading.
 * Writes bench/results/detail-oracle.json with the commit.
 */
import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { renderForEval, meshHeadToCamera } from '../../src/core/eval/render-eval.js';
import { detailField } from '../../src/core/eval/detail-field.js';
import { maskedGaussianBlur } from '../../src/core/eval/angular-error.js';
import { evalSHGradient } from '../../src/core/lighting/sh.js';
import { srgbToLinear } from '../../src/core/image/image.js';
import { GT_SUPERSAMPLE, viewCamera, viewLighting, type BenchView } from '../accuracy/scene.js';
import { loadScan, type Scan } from '../accuracy/scan.js';
import { blenderStatus, exportCyclesScanScene, loadCyclesScanImage, renderCyclesScene } from '../cycles/scene.js';
import { currentCommit, markdownTable } from '../common.js';
import { lpsScene, lpsViews, scoreField, type DetailScene, type MethodField } from './evaluate.js';
import type { Image } from '../../src/core/types.js';

const args = process.argv.slice(2);
const arg = (k: string): string | undefined => { const i = args.indexOf(k); return i >= 0 ? args[i + 1] : undefined; };
const nViews = Number(arg('--views') ?? 12);
const samples = Number(arg('--cycles-samples') ?? 64);
const outJson = arg('--out') ?? path.join('bench', 'results', 'detail-oracle.json');
const cyclesCache = path.join(process.env['FACEDETAIL_CYCLES_CACHE'] ?? path.join(os.homedir(), '.cache', 'facedetail', 'cycles'), 'detail');
const withCycles = !args.includes('--no-cycles') && blenderStatus().ok;
const W_LUM = [0.2126, 0.7152, 0.0722] as const;
/** σ (mm) of the albedo the albedo-blind oracle knows: the true one low-passed (`--blind-sigma-mm`, default 2). */
const BLIND_SIGMA_MM = Number(arg('--blind-sigma-mm') ?? 2);
/** Ridge of the inversion (shading units²): keeps pixels whose shading barely depends on the normal from amplifying noise (`--ridge`). */
const RIDGE = Number(arg('--ridge') ?? 0.05);

/** Linear colours of an sRGB-encoded image. */
const linear = (img: Image): Float32Array => Float32Array.from(img.data, (v) => srgbToLinear(v));

/** The oracle's detailed normals from the observed image and the smooth render (both linear), the albedo and the lights. */
function oracleNormals(view: BenchView, scene: DetailScene, observed: Float32Array, smooth: Float32Array, albedo: Float32Array): Float32Array {
  const light = viewLighting(view).lighting;
  const n0 = scene.gtSmooth, out = new Float32Array(n0.length), g = new Float64Array(3);
  for (let p = 0; p < scene.mask.length; p++) {
    const nx = n0[3 * p]!, ny = n0[3 * p + 1]!, nz = n0[3 * p + 2]!;
    let ds = 0, gx = 0, gy = 0, gz = 0;
    for (let c = 0; c < 3; c++) {
      const rho = Math.max(1e-3, albedo[3 * p + c]!);
      ds += W_LUM[c]! * (observed[3 * p + c]! - smooth[3 * p + c]!) / rho;
      if (light.type === 'sh') evalSHGradient(light.coefficients, c, nx, ny, nz, g);
      else {
        const d = light.direction, l = Math.hypot(...d), col = light.color?.[c] ?? 1;
        const lit = nx * d[0] + ny * d[1] + nz * d[2] > 0 ? col / l : 0;
        g[0] = lit * d[0]; g[1] = lit * d[1]; g[2] = lit * d[2];
      }
      gx += W_LUM[c]! * g[0]!; gy += W_LUM[c]! * g[1]!; gz += W_LUM[c]! * g[2]!;
    }
    const gn = gx * nx + gy * ny + gz * nz;
    gx -= gn * nx; gy -= gn * ny; gz -= gn * nz;
    const g2 = gx * gx + gy * gy + gz * gz;
    let k = ds / (g2 + RIDGE);
    const len = Math.sqrt(g2) * Math.abs(k);
    if (len > 0.5) k *= 0.5 / len; // at most ~27° of tilt
    let mx = nx + k * gx, my = ny + k * gy, mz = nz + k * gz;
    const ml = Math.hypot(mx, my, mz) || 1;
    mx /= ml; my /= ml; mz /= ml;
    out[3 * p] = mx; out[3 * p + 1] = my; out[3 * p + 2] = mz;
  }
  return out;
}

/**
 * The albedo-blind oracle's inputs: it knows the albedo only low-passed (σ = BLIND_SIGMA_MM), as a
 * method that separates albedo from shading at coarse scales but not below them; its prediction of
 * the smooth image is the smooth render with that albedo instead of the true one.
 */
function blindInputs(scene: DetailScene, smooth: Float32Array, albedo: Float32Array): { smooth: Float32Array; albedo: Float32Array } {
  const W = scene.camera.width, H = scene.camera.height;
  const weight = Float32Array.from(scene.mask, (v) => (v ? 1 : 0));
  const low = maskedGaussianBlur(albedo, 3, W, H, weight, BLIND_SIGMA_MM / scene.mmPerPixel);
  const pred = new Float32Array(smooth.length);
  for (let i = 0; i < pred.length; i++) pred[i] = smooth[i]! * Math.max(1e-3, low[i]!) / Math.max(1e-3, albedo[i]!);
  return { smooth: pred, albedo: low };
}

function field(scene: DetailScene, detailed: Float32Array): MethodField {
  const coverage = Float32Array.from(scene.mask, (v) => (v ? 1 : 0));
  return { detailed, proxy: scene.gtSmooth, field: detailField(detailed, scene.gtSmooth, scene.mask), displacement: new Float32Array(scene.mask.length).fill(NaN), coverage };
}

/** Our renderer's smooth render (no normal map) and albedo-only render of a scan view, linear. */
function references(scan: Scan, view: BenchView): { smooth: Float32Array; albedo: Float32Array } {
  const { camera, pose } = viewCamera(view);
  const m = meshHeadToCamera(scan.mesh, pose), light = viewLighting(view);
  const common = { albedo: scan.albedo, supersample: GT_SUPERSAMPLE, output: 'linear' as const };
  const smooth = renderForEval(m, camera, { ...common, lighting: light.lighting, ...(light.specular ? { specular: light.specular } : {}), specularMap: scan.specularMap });
  // Constant shading 1 (the SH constant term alone): the colour is the albedo.
  const one = new Float64Array(27);
  for (let c = 0; c < 3; c++) one[9 * c] = 1 / 0.28209479177387814;
  const albedo = renderForEval(m, camera, { ...common, lighting: { type: 'sh', coefficients: one } });
  return { smooth: smooth.image.data, albedo: albedo.image.data };
}

interface Row { method: 'oracle' | 'oracle-albedo-blind'; renderer: 'scan' | 'cycles'; split: string; id: string; r: number; rWrinkle: number; rNoBrows: number; normalGainDeg: number; amplitude: number }

async function main(): Promise<void> {
  const scan = await loadScan();
  const views = lpsViews(nViews).filter((v) => v.size === 512);
  const rows: Row[] = [];
  for (const v of views) {
    const scene = lpsScene(scan, v);
    const ref = references(scan, v);
    const score = (renderer: Row['renderer'], observed: Float32Array, smooth: Float32Array): void => {
      const blind = blindInputs(scene, smooth, ref.albedo);
      for (const [method, sm, alb] of [['oracle', smooth, ref.albedo], ['oracle-albedo-blind', blind.smooth, blind.albedo]] as const) {
        const s = scoreField(scene, field(scene, oracleNormals(v, scene, observed, sm, alb)));
        rows.push({ method, renderer, split: v.split, id: v.id, r: s.r, rWrinkle: s.rWrinkle, rNoBrows: s.noBrows?.r ?? NaN, normalGainDeg: s.normalGainDeg, amplitude: s.amplitude });
        process.stderr.write(`${v.id} ${renderer}: ${method} r=${s.r.toFixed(3)} rW=${s.rWrinkle.toFixed(3)} r w/o brows=${(s.noBrows?.r ?? NaN).toFixed(3)} gain=${s.normalGainDeg.toFixed(3)}°\n`);
      }
    };
    score('scan', linear(scene.image), ref.smooth);
    if (withCycles) {
      const dir = path.join(cyclesCache, v.id), dirSmooth = path.join(cyclesCache, `${v.id}-smooth`);
      if (!existsSync(path.join(dir, 'scene.json'))) await exportCyclesScanScene(scan, v, dir);
      if (!existsSync(path.join(dirSmooth, 'scene.json'))) await exportCyclesScanScene(scan, v, dirSmooth, undefined, { normalMap: false });
      for (const d of [dir, dirSmooth]) { const o = renderCyclesScene(d, samples); if (!o.ok) throw new Error(`Cycles render of ${d} failed: ${o.error}`); }
      score('cycles', linear(await loadCyclesScanImage(dir)), linear(await loadCyclesScanImage(dirSmooth)));
    }
  }
  const mean = (xs: number[]): number => { const f = xs.filter(Number.isFinite); return f.length ? f.reduce((a, b) => a + b, 0) / f.length : NaN; };
  const summary: Array<Record<string, string | number>> = [];
  for (const method of ['oracle', 'oracle-albedo-blind'] as const) for (const renderer of ['scan', 'cycles'] as const) for (const split of ['tune', 'heldout']) {
    const g = rows.filter((r) => r.method === method && r.renderer === renderer && r.split === split);
    if (g.length) summary.push({ method, renderer, split, r: mean(g.map((x) => x.r)), rWrinkle: mean(g.map((x) => x.rWrinkle)), rNoBrows: mean(g.map((x) => x.rNoBrows)), normalGainDeg: mean(g.map((x) => x.normalGainDeg)), amplitude: mean(g.map((x) => x.amplitude)), count: g.length });
  }
  await mkdir(path.dirname(outJson), { recursive: true });
  await writeFile(outJson, JSON.stringify({
    commit: currentCommit(), date: new Date().toISOString().slice(0, 10), cyclesSamples: withCycles ? samples : null,
    note: 'shading oracle on the Lee Perry-Smith scan (512² views of bench:detail): knows the smooth geometry, albedo and lights; δn = Δs·g_t/|g_t|² per pixel (the one component of the detail the shading sees), ridge-regularised, capped at 0.5; oracle-albedo-blind: the same knowing only the albedo low-passed at σ = ' + BLIND_SIGMA_MM + ' mm; scored with the detail benchmark\'s scoreField in the true camera',
    rows: summary, views: rows,
  }, null, 1) + '\n');
  const f = (x: unknown): string => (typeof x === 'number' ? (Number.isFinite(x) ? x.toFixed(3) : '—') : String(x));
  process.stdout.write(markdownTable(['method', 'renderer', 'split', 'r', 'rWrinkle', 'r w/o brows', 'normalGainDeg', 'amplitude', 'count'], summary.map((s) => [s['method'], s['renderer'], s['split'], s['r'], s['rWrinkle'], s['rNoBrows'], s['normalGainDeg'], s['amplitude'], s['count']].map(f))) + '\n');
}

await main();

/**
 * `npm run bench:albedo`: colour quality of the albedo, before and after the colour-streak fix.
 *
 * 1. Known albedo: the accuracy benchmark's renders of the Lee Perry-Smith scan (6 lights, one of
 *    them coloured; tuning / held-out halves by seed). Each render goes through the pipeline once
 *    (default options, `keepIntermediates`); the albedo is then computed from the same
 *    intermediates with each variant (`before` = per-channel division, the previous default;
 *    `after` = the grid point best on the tuning half — fewest texels with ΔE > 10, then lowest
 *    mean ΔE — which the held-out half and the photos are then scored with; `--no-sweep`:
 *    ALBEDO_DEFAULTS). By default the 24 views at 512 px (`--all-sizes`: all 48). Every
 *    texel seen directly (confidence > 0.5) is projected into the render with our estimated camera
 *    (the correspondence the unwrap used) and compared with the scan's colour map at that pixel
 *    (an unlit render of the scan, linear, 2×2 supersampled), over the face region (eyes and
 *    nostrils excluded). Metric: CIEDE2000 after a global gain per face — `per-channel` (the
 *    light's mean colour goes into the albedo by the pipeline's convention, so the white balance is
 *    not observable: median ratio per channel, then the best common factor) and `scalar` (one
 *    factor minimising the mean ΔE). Reported: mean ΔE, the fraction of texels with ΔE > 10,
 *    and the chroma-outlier fraction.
 * 2. Photos: the largest face of every shared photo; the chroma-outlier fraction of the albedo
 *    over its skin texels (coverage, confidence > 0.5, outside the hair-prone border band and
 *    outside the eye / brow / lip / nostril polygons, undilated): robust Mahalanobis distance of
 *    (a*, b*) > 3 (see `chromaOutlierFraction`).
 *
 * Renders: by default with the key lights' cast shadows and the ambient light's occlusion (the scan
 * against itself: renderView `shadows`), as a photo has them; `--shadow-free` renders every light
 * reaching every point (the renders of the results before the shadowed renders; those result
 * files have no `renders` field), and writes its JSON with a `-shadow-free` suffix.
 *
 * Options: --quick (6 renders at 512 px + 6 photos, JSON to bench/out/), --no-photos,
 * --no-renders, --no-sweep, --all-sizes, --no-write; --equalize (the lightness-equalisation study:
 * bench/results/albedo-equalize.json); --oracle (where the error comes from: the default division
 * redone with the scan's true normals in place of ours, then with the lighting refitted on them:
 * bench/results/albedo-oracle.json); --shadows (the proxy's visibility transfer, `albedoShadows`,
 * against the default, each setting a pass of the pipeline scoring the shipped albedo; `--settings=
 * a/e,…` albedoShadows / albedoEqualize pairs, `--hard` the hard lights only:
 * bench/results/albedo-visibility.json).
 */
import { mkdir, readdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { detailNormals } from '../../src/core/detail/normal-map.js';
import { meshHeadToCamera, renderForEval } from '../../src/core/eval/render-eval.js';
import { srgbToLinear } from '../../src/core/image/image.js';
import { albedoDeltaE, chromaOutlierFraction } from '../../src/core/lighting/albedo-metrics.js';
import { deltaE2000, linearRgbToLab } from '../../src/core/lighting/color.js';
import { ALBEDO_DEFAULTS, computeAlbedo, type AlbedoOptions } from '../../src/core/lighting/albedo.js';
import { LIGHTNESS_EQUALIZE_DEFAULTS, equalizeLightness, type LightnessEqualizeOptions } from '../../src/core/lighting/lightness-equalize.js';
import { fitLighting } from '../../src/core/lighting/fit-lighting.js';
import { borderWeight, buildRegionMask, buildSkinMask } from '../../src/core/lighting/skin-mask.js';
import { faceMeshTopology } from '../../src/core/model/facemesh/facemesh-model.js';
import type { FaceReconstruction } from '../../src/core/pipeline/types.js';
import type { Image } from '../../src/core/types.js';
import { createReconstructor } from '../../src/node/reconstructor.js';
import { SCAN_ATTRIBUTION, loadScan } from '../accuracy/scan.js';
import { benchSet, quickSet, renderView, type BenchView } from '../accuracy/scene.js';
import { SHARED, currentCommit, markdownTable, median } from '../common.js';

const args = process.argv.slice(2);
const sweepOn = !args.includes('--no-sweep');
const allSizes = args.includes('--all-sizes');
const quick = args.includes('--quick');
const log = (s: string): void => { process.stderr.write(s + '\n'); };
/** Which renders the known-albedo part scores (see the file header). */
const RENDERS = args.includes('--shadow-free') ? 'shadow-free' as const : 'shadowed' as const;
const RENDERS_NOTE = RENDERS === 'shadowed'
  ? 'shadowed: cast shadows of the key lights (a 2048² shadow map of the scan per light, per pixel) and ambient occlusion of the ambient light (per vertex, 256 directions); the unshadowed shading elsewhere'
  : 'shadow-free: every light reaches every point (no cast shadows, no ambient occlusion)';
/** A results file: bench/out/<name>-quick.json with --quick, else bench/results/<name>.json (`-shadow-free` suffix for shadow-free renders). */
const resultFile = (name: string, scratch = quick): string => {
  const n = RENDERS === 'shadow-free' ? `${name}-shadow-free` : name;
  return scratch ? path.join('bench', 'out', `${n}-quick.json`) : path.join('bench', 'results', `${n}.json`);
};

/** The albedo variants compared. */
const VARIANTS: Record<string, Variant> = {
  before: { mode: 'per-channel', shadingFloor: 0.05 },
  // The pipeline's albedo: the default division, then the default lightness equalisation (finalAlbedo).
  after: { ...ALBEDO_DEFAULTS, equalize: { ...LIGHTNESS_EQUALIZE_DEFAULTS } },
};
/** Options of `after` without the (large) chromaNormals field, for the JSON. */
const printable = (o: Partial<AlbedoOptions>): Partial<AlbedoOptions> => { const { chromaNormals: _, ...rest } = o; return rest; };
/** The tuning grid (tuning half only): guard × light-colour bound. */
// (A wider grid, F ∈ {0.1, 0.2, 0.3} × bound ∈ {0.15, 0.5, 3} × colour guard ∈ {0.15, 0.5} ×
// fill ∈ {none, median}, was run first: see ALBEDO_DEFAULTS; this one compares the fills.)
const FLOORS = [0.2, 0.3];
const BOUNDS = [3];
const CHROMA_FLOORS = [0.15];
const FILLS = ['median', 'capped'] as const;
/** Texels scored per view (a regular subsample), and per view and grid point in the sweep. */
const MAX_TEXELS = 30000, SWEEP_TEXELS = 4000;

interface Intermediates {
  texture: Image;
  normals: Float32Array;
  proxyNormals: Float32Array;
  coverage: Uint8Array;
  confidence: Float32Array;
  sh: ArrayLike<number>;
  position: Float32Array;
}

function intermediates(face: FaceReconstruction): Intermediates {
  const di = face.intermediates!.detailInput;
  const g = di.geom;
  return {
    texture: di.texture, normals: detailNormals(face.maps.displacement.data as Float32Array, g), proxyNormals: g.normal,
    coverage: g.coverage, confidence: di.confidence, sh: di.sh, position: g.position,
  };
}

/** The intermediates at the listed texels only, as a 1-row map. */
function compactIntermediates(im: Intermediates, pick: number[]): Intermediates {
  const n = pick.length, C = im.texture.channels;
  const tex = new Float32Array(3 * n), nr = new Float32Array(3 * n), pn = new Float32Array(3 * n), pos = new Float32Array(3 * n);
  const cov = new Uint8Array(n).fill(1), conf = new Float32Array(n);
  pick.forEach((k, i) => {
    for (let c = 0; c < 3; c++) {
      tex[3 * i + c] = im.texture.data[k * C + c]!; nr[3 * i + c] = im.normals[3 * k + c]!;
      pn[3 * i + c] = im.proxyNormals[3 * k + c]!; pos[3 * i + c] = im.position[3 * k + c]!;
    }
    conf[i] = im.confidence[k]!;
  });
  return { texture: { width: n, height: 1, channels: 3, data: tex }, normals: nr, proxyNormals: pn, coverage: cov, confidence: conf, sh: im.sh, position: pos };
}

/** An albedo variant: the division's options, optionally followed by the lightness equalisation. */
type Variant = Partial<AlbedoOptions> & { equalize?: LightnessEqualizeOptions; equalizeWeights?: 'skin' };

const skinMasks = new WeakMap<Uint8Array, Float32Array>();
/** The lighting stage's skin mask (face-mesh regions, border band) at the intermediates' size. */
function skinWeights(im: Intermediates): Float32Array {
  let m = skinMasks.get(im.coverage);
  if (!m) {
    const topo = faceMeshTopology();
    m = buildSkinMask(im.texture.width, im.texture.height, topo.uvs, topo.regions, im.coverage);
    skinMasks.set(im.coverage, m);
  }
  return m;
}

function albedoOf(im: Intermediates, opts: Variant): Image {
  const { equalize, equalizeWeights, ...division } = opts;
  const alb = computeAlbedo(im.texture, im.normals, im.coverage, im.sh, { ...division, chromaNormals: im.proxyNormals });
  return equalize ? equalizeLightness(alb, im.coverage, equalize, equalizeWeights === 'skin' ? skinWeights(im) : undefined) : alb;
}

/** The variant name that scores the pipeline's own albedo map instead of recomputing it from the intermediates. */
const SHIPPED = 'shipped';

/** `--equalize`: the lightness-equalisation grid (σ as a fraction of the map, strength), after the default division. */
const EQUALIZE_GRID: Record<string, Variant> = Object.fromEntries([
  // Session 6's grid was σ ∈ {0.015, 0.022, 0.03, 0.045} × strength ∈ {0.6, 0.8, 1} (coverage-weighted; best σ 0.015, s 0.8);
  // session 7's σ ∈ {0.01, 0.015} (best σ 0.01, s 0.8, at the grid's edge; skin-guided σ 0.01 s 0.8 next),
  // so smaller σ and s 1 are added, mostly skin-guided (the coverage-weighted low-pass visibly greys brows and lips on photos).
  ...[0.007, 0.01].flatMap((sigmaFraction) => [0.8, 1].map((strength) => [`eq σ${sigmaFraction} s${strength}`, { ...ALBEDO_DEFAULTS, equalize: { sigmaFraction, strength, clampLog: 0.7 } }])),
  // Skin-guided: the low-pass over the skin mask only (brows, eyes, lips, nostrils and the border band left out).
  ...[0.005, 0.007, 0.01, 0.015].flatMap((sigmaFraction) => [0.6, 0.8, 1].map((strength) => [`skin-eq σ${sigmaFraction} s${strength}`, { ...ALBEDO_DEFAULTS, equalize: { sigmaFraction, strength, clampLog: 0.7 }, equalizeWeights: 'skin' as const }])),
]);

// ------------------------------------------------------------------ known-albedo renders

interface RenderRow { id: string; split: string; light: string; size: number; detected: boolean; texels: number; variants: Record<string, VariantScore> }
interface Score { mean: number; median: number; above10: number; chromaMean: number; chromaAbove10: number }
/** `features`: ΔE on the brows and lips alone (the pigment features an equalisation could flatten), with the whole face's per-channel gain. */
interface VariantScore { perChannel: Score; scalar: Score; chromaOutliers: number; features: { mean: number; above10: number; count: number } }

const featureMasks = new Map<number, Float32Array>();
/** The brow and lip regions of the face-mesh topology (as the detail stage's flat mask, undilated beyond it) at D². */
function featureMask(D: number): Float32Array {
  let m = featureMasks.get(D);
  if (!m) {
    const topo = faceMeshTopology();
    m = buildRegionMask(D, D, topo.uvs, topo.regions.filter((r) => /Brow|lips/.test(r.name)));
    featureMasks.set(D, m);
  }
  return m;
}

/** Mean ΔE₀₀ and the fraction above 10 over `at` (sample indices into `ours` / `truth`), `ours` scaled by `gain` per channel. */
function subsetDeltaE(ours: Float32Array, truth: Float32Array, gain: readonly number[], at: readonly number[]): { mean: number; above10: number; count: number } {
  const a = new Float64Array(3), b = new Float64Array(3);
  let sum = 0, above = 0;
  for (const i of at) {
    linearRgbToLab(ours[3 * i]! * gain[0]!, ours[3 * i + 1]! * gain[1]!, ours[3 * i + 2]! * gain[2]!, a);
    linearRgbToLab(truth[3 * i]!, truth[3 * i + 1]!, truth[3 * i + 2]!, b);
    const e = deltaE2000(a[0]!, a[1]!, a[2]!, b[0]!, b[1]!, b[2]!);
    sum += e; if (e > 10) above++;
  }
  return { mean: at.length ? sum / at.length : NaN, above10: at.length ? above / at.length : NaN, count: at.length };
}
const score = (e: ReturnType<typeof albedoDeltaE>): Score => ({ mean: e.mean, median: e.median, above10: e.fractionAbove, chromaMean: e.chromaMean, chromaAbove10: e.chromaFractionAbove });

async function runRenders(rec: Awaited<ReturnType<typeof createReconstructor>>, views: BenchView[], variants: Record<string, Variant>, doSweep: boolean, oracle = false, reconstructOptions: { albedoShadows?: number; albedoEqualize?: number } = {}, onFace?: (face: FaceReconstruction, ms: number) => void): Promise<{ rows: RenderRow[]; sweep: SweepRow[] }> {
  const scan = await loadScan();
  const rows: RenderRow[] = [];
  const sweepAcc = new Map<string, { opts: Partial<AlbedoOptions>; pc: number[]; pcAbove: number[]; chroma: number[]; chromaAbove: number[] }>();
  // Constant unit shading: the render is the colour map itself (linear).
  const unlit = new Float64Array(27);
  for (let c = 0; c < 3; c++) unlit[c * 9] = 1 / 0.28209479177387814;
  for (const view of views) {
    const t0 = performance.now();
    const r = renderView(scan, view, { shadows: RENDERS === 'shadowed' });
    const row: RenderRow = { id: view.id, split: view.split, light: view.light, size: view.size, detected: false, texels: 0, variants: {} };
    rows.push(row);
    let face: FaceReconstruction;
    const tFace = performance.now();
    try {
      face = await rec.reconstruct(
        { image: r.image, width: r.camera.width, height: r.camera.height, format: 'raw', exif: { focalLength35mm: view.focalLength35mm } },
        { keepIntermediates: true, ...reconstructOptions },
      );
    } catch (e) {
      log(`${view.id}: ${(e as Error).message}`);
      continue;
    }
    row.detected = true;
    onFace?.(face, performance.now() - tFace);
    const truthImg = renderForEval(meshHeadToCamera(scan.mesh, r.pose), r.camera, { lighting: { type: 'sh', coefficients: unlit }, albedo: scan.albedo, supersample: view.size > 512 ? 1 : 2, output: 'linear' }).image;
    const im = intermediates(face);
    // Texels seen directly that land fully inside the face region.
    const cam = face.camera, W = r.camera.width, H = r.camera.height;
    const idx: number[] = [], truth: number[] = [];
    const N = im.coverage.length;
    for (let k = 0; k < N; k++) {
      if (!im.coverage[k] || !(im.confidence[k]! > 0.5)) continue;
      const X = im.position[3 * k]!, Y = im.position[3 * k + 1]!, Z = im.position[3 * k + 2]!;
      if (!(Z > 0)) continue;
      const x = (cam.fx * X) / Z + cam.cx, y = (cam.fy * Y) / Z + cam.cy;
      const px = Math.floor(x), py = Math.floor(y);
      if (px < 1 || py < 1 || px >= W - 1 || py >= H - 1) continue;
      if (!r.mask[py * W + px]) continue;
      idx.push(k);
      const tx = x - 0.5, ty = y - 0.5, x0 = Math.floor(tx), y0 = Math.floor(ty), ax = tx - x0, ay = ty - y0;
      for (let c = 0; c < 3; c++) {
        const at = (xx: number, yy: number): number => truthImg.data[3 * (yy * W + xx) + c]!;
        truth.push((at(x0, y0) * (1 - ax) + at(x0 + 1, y0) * ax) * (1 - ay) + (at(x0, y0 + 1) * (1 - ax) + at(x0 + 1, y0 + 1) * ax) * ay);
      }
    }
    // A regular subsample keeps the ΔE maths affordable (≈ 60 k texels per view).
    const keep = Math.max(1, Math.ceil(idx.length / MAX_TEXELS));
    if (keep > 1) {
      const i2: number[] = [], t2: number[] = [];
      for (let i = 0; i < idx.length; i += keep) { i2.push(idx[i]!); t2.push(truth[3 * i]!, truth[3 * i + 1]!, truth[3 * i + 2]!); }
      idx.length = 0; for (const v of i2) idx.push(v);
      truth.length = 0; for (const v of t2) truth.push(v);
    }
    row.texels = idx.length;
    const mask = new Uint8Array(N);
    for (const k of idx) mask[k] = 1;
    const gather = (alb: Image, stride = 1): Float32Array => {
      const out = new Float32Array(3 * Math.ceil(idx.length / stride));
      for (let i = 0, j = 0; i < idx.length; i += stride, j++) for (let c = 0; c < 3; c++) out[3 * j + c] = alb.data[idx[i]! * alb.channels + c]!;
      return out;
    };
    const subTruth = (stride: number): Float32Array => {
      const out = new Float32Array(3 * Math.ceil(idx.length / stride));
      for (let i = 0, j = 0; i < idx.length; i += stride, j++) for (let c = 0; c < 3; c++) out[3 * j + c] = truth[3 * i + c]!;
      return out;
    };
    const truthArr = Float32Array.from(truth);
    const feat = featureMask(Math.round(Math.sqrt(N)));
    const featAt: number[] = [];
    idx.forEach((k, i) => { if (feat[k]! > 0.5) featAt.push(i); });
    const oracles = oracle ? oracleIntermediates(im, scan, r, cam) : {};
    for (const [name, opts] of [...Object.entries(variants), ...Object.keys(oracles).map((k) => [k, ALBEDO_DEFAULTS] as const)]) {
      // `shipped`: the pipeline's own albedo (sRGB map → linear), e.g. with the proxy's visibility.
      const alb = name === SHIPPED ? { ...face.maps.albedo, data: face.maps.albedo.data.map(srgbToLinear) } : albedoOf(oracles[name] ?? im, opts);
      const ours = gather(alb);
      const pc = albedoDeltaE(ours, truthArr, { gain: 'per-channel' }), sc = albedoDeltaE(ours, truthArr, { gain: 'scalar' });
      row.variants[name] = {
        perChannel: score(pc), scalar: score(sc),
        chromaOutliers: chromaOutlierFraction(alb, mask).fraction,
        features: subsetDeltaE(ours, truthArr, pc.gain, featAt),
      };
    }
    if (doSweep) {
      // The sweep runs on a compact 1-row "image": the scored subsample plus every 8th covered
      // texel (so the albedo's face-wide statistics, the mean shading and the median albedo, are
      // the full map's up to sampling).
      const stride = Math.max(1, Math.floor(idx.length / SWEEP_TEXELS));
      const t = subTruth(stride);
      const pick: number[] = [];
      for (let i = 0; i < idx.length; i += stride) pick.push(idx[i]!);
      const nEval = pick.length;
      for (let k = 0; k < N; k += 8) if (im.coverage[k]) pick.push(k);
      const compact = compactIntermediates(im, pick);
      const grid: Array<{ opts: Partial<AlbedoOptions>; key: string }> = [
        ...[0.05, 0.15].map((f) => ({ opts: { mode: 'per-channel' as const, shadingFloor: f }, key: `per-channel|${f}|–|–|–` })),
        ...FLOORS.flatMap((f) => BOUNDS.flatMap((b) => CHROMA_FLOORS.flatMap((g) => FILLS.map((fill) => ({
          opts: { mode: 'shared' as const, shadingFloor: f, lightChromaBound: b, lightChromaFloor: g, shadowFill: fill },
          key: `shared|${f}|${b}|${g}|${fill}`,
        }))))),
      ];
      for (const { opts, key } of grid) {
        const ours = albedoOf(compact, opts).data.subarray(0, 3 * nEval);
        const pc = albedoDeltaE(ours, t, { gain: 'per-channel', searchIterations: 25 });
        const acc = sweepAcc.get(key) ?? { opts, pc: [], pcAbove: [], chroma: [], chromaAbove: [] };
        acc.pc.push(pc.mean); acc.pcAbove.push(pc.fractionAbove); acc.chroma.push(pc.chromaMean); acc.chromaAbove.push(pc.chromaFractionAbove);
        sweepAcc.set(key, acc);
      }
    }
    const parts = Object.entries(row.variants).map(([k, v]) => `${k} ${v.perChannel.mean.toFixed(2)} / ${(100 * v.perChannel.above10).toFixed(1)} % / ${(100 * v.perChannel.chromaAbove10).toFixed(1)} %`);
    log(`${view.id}: ${idx.length} texels; ΔE (per-channel gain) / >10 / colour >10: ${parts.join(', ')} (${((performance.now() - t0) / 1000).toFixed(1)} s)`);
  }
  const mean = (xs: number[]): number => xs.reduce((s, x) => s + x, 0) / xs.length;
  const sweep: SweepRow[] = [...sweepAcc.values()].map((a) => ({
    options: a.opts, meanDeltaE: mean(a.pc), above10: mean(a.pcAbove), chromaMeanDeltaE: mean(a.chroma), chromaAbove10: mean(a.chromaAbove), views: a.pc.length,
  }));
  return { rows, sweep };
}

interface SweepRow { options: Partial<AlbedoOptions>; meanDeltaE: number; above10: number; chromaMeanDeltaE: number; chromaAbove10: number; views: number }

/**
 * `--oracle`: the intermediates with the scan's TRUE normals, to split the albedo error into
 * geometry and lighting. Each covered texel is projected with our camera (as for the truth colour)
 * and the ground-truth render's normals are read there (bilinear, renormalised; our normal where
 * the render has none):
 * - `oracle fine normals`: the detailed normals the division uses ← the scan's (geometry ⊕ normal
 *   map); the light colour's smooth normals and the fitted lighting stay ours;
 * - `oracle normals`: both ← the scan's (smooth normals = the geometry without the normal map);
 * - `oracle normals + refit`: the same, and the SH lighting refitted on the true smooth normals
 *   (the pipeline's fit, skin mask and weights): what the division gives with perfect geometry;
 * - `oracle light`: our normals, with the lighting fitted on the true ones (is it the light
 *   estimate or the normals the division uses that limits us?);
 * - `refit (control)`: the refit on our own normals (must score as `after`: checks the refit path).
 */
function oracleIntermediates(im: Intermediates, scan: Awaited<ReturnType<typeof loadScan>>, r: ReturnType<typeof renderView>, cam: FaceReconstruction['camera']): Record<string, Intermediates> {
  const W = r.camera.width, H = r.camera.height, N = im.coverage.length, D = Math.round(Math.sqrt(N));
  const smooth = renderForEval(meshHeadToCamera(scan.mesh, r.pose), r.camera, { lighting: { type: 'directional', direction: [0, 0, -1] }, supersample: 2 });
  const sample = (field: Float32Array, cover: Float32Array, fallback: Float32Array): Float32Array => {
    const out = Float32Array.from(fallback);
    for (let k = 0; k < N; k++) {
      if (!im.coverage[k]) continue;
      const X = im.position[3 * k]!, Y = im.position[3 * k + 1]!, Z = im.position[3 * k + 2]!;
      if (!(Z > 0)) continue;
      const tx = (cam.fx * X) / Z + cam.cx - 0.5, ty = (cam.fy * Y) / Z + cam.cy - 0.5, x0 = Math.floor(tx), y0 = Math.floor(ty), ax = tx - x0, ay = ty - y0;
      if (x0 < 0 || y0 < 0 || x0 >= W - 1 || y0 >= H - 1) continue;
      const ps = [y0 * W + x0, y0 * W + x0 + 1, (y0 + 1) * W + x0, (y0 + 1) * W + x0 + 1], ws = [(1 - ax) * (1 - ay), ax * (1 - ay), (1 - ax) * ay, ax * ay];
      if (ps.some((p) => !(cover[p]! >= 1))) continue;
      let nx = 0, ny = 0, nz = 0;
      ps.forEach((p, i) => { nx += ws[i]! * field[3 * p]!; ny += ws[i]! * field[3 * p + 1]!; nz += ws[i]! * field[3 * p + 2]!; });
      const l = Math.hypot(nx, ny, nz);
      if (!(l > 0.5)) continue;
      out[3 * k] = nx / l; out[3 * k + 1] = ny / l; out[3 * k + 2] = nz / l;
    }
    return out;
  };
  const fine = sample(r.gt.normal, r.gt.coverage, im.normals), coarse = sample(smooth.normal, smooth.coverage, im.proxyNormals);
  const topo = faceMeshTopology();
  const skin = buildSkinMask(D, D, topo.uvs, topo.regions, im.coverage);
  const weights = new Float32Array(N);
  for (let k = 0; k < N; k++) weights[k] = skin[k]! * im.confidence[k]!;
  const geom = { width: D, height: D, coverage: im.coverage, position: im.position, normal: coarse } as unknown as Parameters<typeof fitLighting>[1];
  const refit = fitLighting(im.texture, geom, weights).coefficients;
  const control = fitLighting(im.texture, { ...geom, normal: im.proxyNormals }, weights).coefficients;
  return {
    'refit (control)': { ...im, sh: control },
    'oracle light': { ...im, sh: refit },
    'oracle fine normals': { ...im, normals: fine },
    'oracle normals': { ...im, normals: fine, proxyNormals: coarse },
    'oracle normals + refit': { ...im, normals: fine, proxyNormals: coarse, sh: refit },
  };
}

/** `--oracle`: the 512 px views with the default division and the three oracles; writes bench/results/albedo-oracle.json. */
async function oracleStudy(): Promise<void> {
  const rec = await createReconstructor();
  try {
    const all = (quick ? quickSet() : benchSet()).filter((v) => allSizes || quick || v.size === 512);
    const { rows } = await runRenders(rec, all, { after: { ...ALBEDO_DEFAULTS } }, false, true);
    const names = ['after', 'refit (control)', 'oracle light', 'oracle fine normals', 'oracle normals', 'oracle normals + refit'];
    const agg = (rs: RenderRow[], name: string): { views: number; meanDeltaE: number; above10: number; colourAbove10: number } => {
      const xs = rs.filter((r) => r.detected && r.variants[name]).map((r) => r.variants[name]!.perChannel);
      const m = (f: (x: Score) => number): number => xs.reduce((a, x) => a + f(x), 0) / Math.max(1, xs.length);
      return { views: xs.length, meanDeltaE: m((x) => x.mean), above10: m((x) => x.above10), colourAbove10: m((x) => x.chromaAbove10) };
    };
    const table = (['tune', 'heldout'] as const).flatMap((split) => names.map((variant) => ({ variant, split, ...agg(rows.filter((r) => r.split === split), variant) })));
    const byLight = [...new Set(rows.map((r) => r.light))].flatMap((light) => names.map((variant) => ({ light, variant, ...agg(rows.filter((r) => r.light === light), variant) })));
    console.log(markdownTable(['variant', 'split', 'views', 'ΔE', 'ΔE > 10', 'colour ΔE > 10'], table.map((t) => [t.variant, t.split, t.views, f2(t.meanDeltaE), pct(t.above10), pct(t.colourAbove10)])));
    console.log(markdownTable(['light (both halves)', 'variant', 'views', 'ΔE', 'ΔE > 10'], byLight.map((t) => [t.light, t.variant, t.views, f2(t.meanDeltaE), pct(t.above10)])));
    if (!args.includes('--no-write')) {
      const file = resultFile('albedo-oracle');
      await mkdir(path.dirname(file), { recursive: true });
      await writeFile(file, JSON.stringify({ commit: currentCommit(), date: new Date().toISOString(), quick, renders: RENDERS_NOTE, table, byLight }, null, 2) + '\n');
      console.log(`wrote ${file}`);
    }
  } finally {
    await rec.dispose();
  }
}

// ------------------------------------------------------------------ photos

interface PhotoRow { photo: string; detected: boolean; texels: number; outliers: Record<string, number> }

/** Skin texels of a photo's face for the chroma metric (see the file header). */
function photoSkinMask(im: Intermediates, W: number, H: number): Uint8Array {
  const topo = faceMeshTopology();
  const border = borderWeight(W, H, im.coverage);
  const regions = buildRegionMask(W, H, topo.uvs, topo.regions.map((r) => ({ ...r, dilate: 0 })), { feather: 0 });
  const m = new Uint8Array(W * H);
  for (let k = 0; k < W * H; k++) m[k] = im.coverage[k] && im.confidence[k]! > 0.5 && border[k]! >= 0.99 && regions[k]! < 0.5 ? 1 : 0;
  return m;
}

async function runPhotos(rec: Awaited<ReturnType<typeof createReconstructor>>): Promise<PhotoRow[]> {
  const dir = path.join(SHARED, 'photos');
  let files = (await readdir(dir)).filter((f) => /\.(jpe?g|png)$/i.test(f) && !f.startsWith('non_face')).sort();
  if (quick) files = ['two_people.jpg', 'solvay1927.jpg', 'grace_hopper.jpg', 'obama.jpg', 'biden.jpg', 'faceapi_happy.jpg'].filter((f) => files.includes(f));
  const rows: PhotoRow[] = [];
  for (const f of files) {
    const row: PhotoRow = { photo: f, detected: false, texels: 0, outliers: {} };
    rows.push(row);
    let face: FaceReconstruction;
    try {
      face = await rec.reconstruct(path.join(dir, f), { keepIntermediates: true });
    } catch (e) {
      log(`${f}: ${(e as Error).message}`);
      continue;
    }
    row.detected = true;
    const im = intermediates(face);
    const W = im.texture.width, H = im.texture.height;
    const mask = photoSkinMask(im, W, H);
    row.texels = mask.reduce((s, v) => s + v, 0);
    for (const [name, opts] of Object.entries(VARIANTS)) row.outliers[name] = chromaOutlierFraction(albedoOf(im, opts), mask).fraction;
    // The pipeline's own output (sRGB PNG content) must equal the `after` variant.
    const shipped = { ...face.maps.albedo, data: face.maps.albedo.data.map(srgbToLinear) };
    row.outliers.shipped = chromaOutlierFraction(shipped, mask).fraction;
    log(`${f}: ${row.texels} skin texels; chroma outliers before ${(100 * row.outliers.before!).toFixed(2)} %, after ${(100 * row.outliers.after!).toFixed(2)} %`);
  }
  return rows;
}

// ------------------------------------------------------------------ main

const pct = (x: number, d = 2): string => (Number.isFinite(x) ? `${(100 * x).toFixed(d)} %` : '–');
const f2 = (x: number): string => (Number.isFinite(x) ? x.toFixed(2) : '–');

/**
 * `--equalize`: every 512 px view scored with the default division alone (`division only`) and each point of
 * {@link EQUALIZE_GRID}; the best point on the tuning half (fewest ΔE > 10, then mean, among the
 * points whose brows and lips are no worse than the division's: `features`) is reported
 * on the held-out half. Writes bench/results/albedo-equalize.json.
 */
async function equalizeStudy(): Promise<void> {
  const rec = await createReconstructor();
  try {
    const all = (quick ? quickSet() : benchSet()).filter((v) => allSizes || quick || v.size === 512);
    const variants: Record<string, Variant> = { 'division only': { ...ALBEDO_DEFAULTS }, ...EQUALIZE_GRID };
    const { rows } = await runRenders(rec, all, variants, false);
    const table = (['tune', 'heldout'] as const).flatMap((split) => Object.entries(variants).map(([name, v]) => {
      const rs = rows.filter((r) => r.split === split && r.detected && r.variants[name]);
      const m = (f: (x: VariantScore) => number): number => rs.reduce((a, r) => a + f(r.variants[name]!), 0) / Math.max(1, rs.length);
      return { variant: name, split, views: rs.length, equalize: v.equalize ?? null, weights: v.equalizeWeights ?? 'coverage', perChannelMeanDeltaE: m((x) => x.perChannel.mean), perChannelAbove10: m((x) => x.perChannel.above10), colourAbove10: m((x) => x.perChannel.chromaAbove10), chromaOutliers: m((x) => x.chromaOutliers), featuresMeanDeltaE: m((x) => x.features.mean), featuresAbove10: m((x) => x.features.above10) };
    }));
    // The pick: fewest ΔE > 10 on the tuning half (then the lowest mean) among the points that do
    // not make the brows and lips worse than the division alone (mean ΔE there), so the
    // equalisation cannot win by flattening real pigment; `bestSkinGuided` the same among the
    // skin-guided points (the pipeline's weights: the scan's light brows cannot show what the
    // photos do, see bench/albedo/pigment-contrast.ts and LIGHTNESS_EQUALIZE_DEFAULTS).
    const tuneRows = table.filter((t) => t.split === 'tune');
    const ref = tuneRows.find((t) => t.variant === 'division only')!;
    const ranked = tuneRows.filter((t) => t.featuresMeanDeltaE <= ref.featuresMeanDeltaE || t === ref)
      .sort((a, b) => a.perChannelAbove10 - b.perChannelAbove10 || a.perChannelMeanDeltaE - b.perChannelMeanDeltaE);
    const best = ranked[0]!, bestSkinGuided = ranked.find((t) => t.weights === 'skin');
    const byLight = [...new Set(rows.map((r) => r.light))].flatMap((light) => ['division only', best.variant].map((name) => {
      const rs = rows.filter((r) => r.light === light && r.split === 'heldout' && r.detected && r.variants[name]);
      return { light, variant: name, views: rs.length, perChannelAbove10: rs.reduce((a, r) => a + r.variants[name]!.perChannel.above10, 0) / Math.max(1, rs.length) };
    }));
    console.log(markdownTable(['variant', 'split', 'views', 'ΔE', 'ΔE > 10', 'colour ΔE > 10', 'chroma outliers', 'brows+lips ΔE', 'brows+lips ΔE > 10'], table.map((t) => [t.variant, t.split, t.views, f2(t.perChannelMeanDeltaE), pct(t.perChannelAbove10), pct(t.colourAbove10), pct(t.chromaOutliers), f2(t.featuresMeanDeltaE), pct(t.featuresAbove10)])));
    console.log(`best on the tuning half (brows and lips no worse than the division alone): ${best.variant}; skin-guided: ${bestSkinGuided?.variant ?? 'none'}`);
    console.log(markdownTable(['light', 'variant', 'views', 'ΔE > 10 (held out)'], byLight.map((t) => [t.light, t.variant, t.views, pct(t.perChannelAbove10)])));
    if (!args.includes('--no-write')) {
      const file = resultFile('albedo-equalize');
      await mkdir(path.dirname(file), { recursive: true });
      await writeFile(file, JSON.stringify({ commit: currentCommit(), date: new Date().toISOString(), quick, renders: RENDERS_NOTE, selectedOnTune: best.variant, selectedSkinGuided: bestSkinGuided?.variant ?? null, table, byLight }, null, 2) + '\n');
      console.log(`wrote ${file}`);
    }
  } finally {
    await rec.dispose();
  }
}

/** `--shadows`: the pipeline's settings compared (proxy visibility share, equalisation strength); the first is the baseline. */
const SHADOW_SETTINGS: Array<{ albedoShadows: number; albedoEqualize: number }> = (() => {
  const arg = args.find((a) => a.startsWith('--settings='));
  if (arg) return arg.slice('--settings='.length).split(',').map((p) => { const [a, e] = p.split('/').map(Number); return { albedoShadows: a!, albedoEqualize: e! }; });
  return [{ albedoShadows: 0, albedoEqualize: 0.8 }, { albedoShadows: 1, albedoEqualize: 0.8 }, { albedoShadows: 1, albedoEqualize: 0.4 }, { albedoShadows: 0.5, albedoEqualize: 0.8 }, { albedoShadows: 0, albedoEqualize: 0 }, { albedoShadows: 1, albedoEqualize: 0 }];
})();

/**
 * `--shadows`: every 512 px view through the pipeline once per setting of {@link SHADOW_SETTINGS}
 * (`--settings=a/e,a/e`: albedoShadows / albedoEqualize pairs), scoring the shipped albedo; the
 * best setting on the tuning half (fewest ΔE > 10, then mean) is reported on the held-out half, and
 * per light. Also the lighting stage's time per setting (median over views). Writes
 * bench/results/albedo-visibility.json.
 */
async function shadowStudy(): Promise<void> {
  const rec = await createReconstructor();
  try {
    const all = (quick ? quickSet() : benchSet()).filter((v) => allSizes || quick || v.size === 512)
      .filter((v) => !args.includes('--hard') || v.light === 'hard-side' || v.light === 'low-key');
    const results: Array<{ setting: { albedoShadows: number; albedoEqualize: number }; rows: RenderRow[]; lightingMs: number[]; faceMs: number[] }> = [];
    for (const setting of SHADOW_SETTINGS) {
      const lightingMs: number[] = [], faceMs: number[] = [];
      const { rows } = await runRenders(rec, all, { [SHIPPED]: {} }, false, false, setting, (face, ms) => { lightingMs.push(face.timings.lighting ?? NaN); faceMs.push(ms); });
      results.push({ setting, rows, lightingMs, faceMs });
      log(`setting ${JSON.stringify(setting)} done`);
    }
    const name = (s: { albedoShadows: number; albedoEqualize: number }): string => `shadows ${s.albedoShadows}, equalize ${s.albedoEqualize}`;
    const agg = (rs: RenderRow[]): { views: number; perChannelMeanDeltaE: number; perChannelAbove10: number; colourAbove10: number; chromaOutliers: number; featuresMeanDeltaE: number } => {
      const xs = rs.filter((r) => r.detected && r.variants[SHIPPED]).map((r) => r.variants[SHIPPED]!);
      const m = (f: (x: VariantScore) => number): number => xs.reduce((a, x) => a + f(x), 0) / Math.max(1, xs.length);
      return { views: xs.length, perChannelMeanDeltaE: m((x) => x.perChannel.mean), perChannelAbove10: m((x) => x.perChannel.above10), colourAbove10: m((x) => x.perChannel.chromaAbove10), chromaOutliers: m((x) => x.chromaOutliers), featuresMeanDeltaE: m((x) => x.features.mean) };
    };
    const table = (['tune', 'heldout'] as const).flatMap((split) => results.map((r) => ({ variant: name(r.setting), split, ...r.setting, lightingMsMedian: median(r.lightingMs), faceMsMedian: median(r.faceMs), ...agg(r.rows.filter((x) => x.split === split)) })));
    const ranked = table.filter((t) => t.split === 'tune').sort((a, b) => a.perChannelAbove10 - b.perChannelAbove10 || a.perChannelMeanDeltaE - b.perChannelMeanDeltaE);
    const best = ranked[0]!;
    const lights = [...new Set(results[0]!.rows.map((r) => r.light))];
    const byLight = lights.flatMap((light) => results.map((r) => ({ light, variant: name(r.setting), ...agg(r.rows.filter((x) => x.light === light && x.split === 'heldout')) })));
    console.log(markdownTable(['variant', 'split', 'views', 'ΔE', 'ΔE > 10', 'colour ΔE > 10', 'chroma outliers', 'brows+lips ΔE', 'lighting ms', 's per face'], table.map((t) => [t.variant, t.split, t.views, f2(t.perChannelMeanDeltaE), pct(t.perChannelAbove10), pct(t.colourAbove10), pct(t.chromaOutliers), f2(t.featuresMeanDeltaE), f2(t.lightingMsMedian), f2(t.faceMsMedian / 1000)])));
    console.log(`best on the tuning half: ${best.variant}`);
    console.log(markdownTable(['light (held out)', 'variant', 'views', 'ΔE', 'ΔE > 10', 'colour ΔE > 10'], byLight.map((t) => [t.light, t.variant, t.views, f2(t.perChannelMeanDeltaE), pct(t.perChannelAbove10), pct(t.colourAbove10)])));
    if (!args.includes('--no-write')) {
      const file = resultFile('albedo-visibility', quick || args.includes('--hard'));
      await mkdir(path.dirname(file), { recursive: true });
      await writeFile(file, JSON.stringify({ commit: currentCommit(), date: new Date().toISOString(), quick, renders: RENDERS_NOTE, selectedOnTune: best.variant, table, byLight, perView: results.map((r) => ({ setting: r.setting, lightingMs: r.lightingMs, faceMs: r.faceMs, rows: r.rows.map((x) => ({ id: x.id, split: x.split, light: x.light, detected: x.detected, score: x.variants[SHIPPED] ? { mean: x.variants[SHIPPED].perChannel.mean, above10: x.variants[SHIPPED].perChannel.above10 } : null })) })) }, null, 2) + '\n');
      console.log(`wrote ${file}`);
    }
  } finally {
    await rec.dispose();
  }
}

async function main(): Promise<void> {
  const rec = await createReconstructor();
  const out: Record<string, unknown> = { commit: currentCommit(), date: new Date().toISOString(), quick, renders: RENDERS_NOTE };
  try {
    if (!args.includes('--no-renders')) {
      const all = (quick ? quickSet() : benchSet()).filter((v) => allSizes || quick || v.size === 512);
      // Tuning half: before + the parameter grid; the grid point with the fewest ΔE > 10 (then the
      // lowest mean ΔE) becomes `after`; the held-out half is then scored with before / after only.
      const tune = await runRenders(rec, all.filter((v) => v.split === 'tune'), { before: VARIANTS.before! }, sweepOn && !quick);
      let selected: SweepRow | undefined;
      if (tune.sweep.length) {
        tune.sweep.sort((a, b) => a.above10 - b.above10 || a.meanDeltaE - b.meanDeltaE);
        selected = tune.sweep.find((s) => s.options.mode === 'shared');
        // The sweep scores subsampled texels, so it ranks the division alone; the equalisation follows it.
        if (selected) VARIANTS.after = { ...ALBEDO_DEFAULTS, ...selected.options, equalize: { ...LIGHTNESS_EQUALIZE_DEFAULTS } };
        log(`selected on the tuning half: ${JSON.stringify(VARIANTS.after)}`);
      }
      const held = await runRenders(rec, all.filter((v) => v.split === 'heldout'), VARIANTS, false);
      if (!selected) {
        // No sweep: the tuning half is scored with `after` too (a second pass over it).
        const tuneAfter = await runRenders(rec, all.filter((v) => v.split === 'tune'), { after: VARIANTS.after! }, false);
        for (const r of tune.rows) { const t = tuneAfter.rows.find((x) => x.id === r.id); if (t?.variants.after) r.variants.after = t.variants.after; }
      }
      const rows = [...tune.rows, ...held.rows], sweep = tune.sweep;
      const table: Array<Record<string, unknown>> = [];
      for (const split of ['tune', 'heldout'] as const) {
        for (const v of Object.keys(VARIANTS)) {
          const rs = rows.filter((r) => r.split === split && r.detected && r.variants[v]);
          if (!rs.length) {
            if (split === 'tune' && v === 'after' && selected) {
              table.push({ variant: v, split, views: selected.views, perChannelMeanDeltaE: selected.meanDeltaE, perChannelAbove10: selected.above10, colourMeanDeltaE: selected.chromaMeanDeltaE, colourAbove10: selected.chromaAbove10, scalarMeanDeltaE: NaN, scalarAbove10: NaN, chromaOutliers: NaN, worstViewAbove10: NaN, note: `from the tuning grid (${SWEEP_TEXELS} texels per view)` });
            }
            continue;
          }
          const get = (f: (s: VariantScore) => number): number => rs.reduce((s, r) => s + f(r.variants[v]!), 0) / rs.length;
          table.push({
            variant: v, split, views: rs.length,
            perChannelMeanDeltaE: get((s) => s.perChannel.mean), perChannelAbove10: get((s) => s.perChannel.above10),
            colourMeanDeltaE: get((s) => s.perChannel.chromaMean), colourAbove10: get((s) => s.perChannel.chromaAbove10),
            scalarMeanDeltaE: get((s) => s.scalar.mean), scalarAbove10: get((s) => s.scalar.above10),
            chromaOutliers: get((s) => s.chromaOutliers),
            worstViewAbove10: Math.max(...rs.map((r) => r.variants[v]!.perChannel.above10)),
          });
        }
      }
      console.log('Known albedo (renders of the scan; mean over views):');
      console.log(markdownTable(['variant', 'split', 'views', 'ΔE (per-ch. gain)', 'ΔE > 10', 'colour ΔE', 'colour ΔE > 10', 'ΔE (scalar gain)', 'ΔE > 10 (scalar)', 'chroma outliers', 'worst view ΔE > 10'],
        table.map((t) => [t.variant as string, t.split as string, t.views as number, f2(t.perChannelMeanDeltaE as number), pct(t.perChannelAbove10 as number), f2(t.colourMeanDeltaE as number), pct(t.colourAbove10 as number), f2(t.scalarMeanDeltaE as number), pct(t.scalarAbove10 as number), pct(t.chromaOutliers as number), pct(t.worstViewAbove10 as number)])));
      const byLight: Array<Record<string, unknown>> = [];
      for (const light of [...new Set(rows.map((r) => r.light))]) {
        const rs = rows.filter((r) => r.light === light && r.detected && r.split === 'heldout' && r.variants.before && r.variants.after);
        if (!rs.length) continue;
        for (const v of Object.keys(VARIANTS)) {
          const m = (f: (x: VariantScore) => number): number => rs.reduce((s, r) => s + f(r.variants[v]!), 0) / rs.length;
          byLight.push({ light, variant: v, views: rs.length, perChannelMeanDeltaE: m((x) => x.perChannel.mean), perChannelAbove10: m((x) => x.perChannel.above10), colourAbove10: m((x) => x.perChannel.chromaAbove10) });
        }
      }
      console.log('\nHeld-out, by light:');
      console.log(markdownTable(['light', 'variant', 'views', 'ΔE', 'ΔE > 10', 'colour ΔE > 10'], byLight.map((t) => [t.light as string, t.variant as string, t.views as number, f2(t.perChannelMeanDeltaE as number), pct(t.perChannelAbove10 as number), pct(t.colourAbove10 as number)])));
      if (sweep.length) {
        console.log('\nTuning grid (tuning half, per-channel gain, 8k texels per view), best first:');
        const o = (s: SweepRow, k: keyof AlbedoOptions): string => String(s.options[k] ?? '–');
        console.log(markdownTable(['mode', 'floor', 'bound', 'chroma floor', 'fill', 'ΔE', 'ΔE > 10', 'colour ΔE', 'colour ΔE > 10'],
          sweep.slice(0, 16).map((s) => [o(s, 'mode'), o(s, 'shadingFloor'), o(s, 'lightChromaBound'), o(s, 'lightChromaFloor'), o(s, 'shadowFill'), f2(s.meanDeltaE), pct(s.above10), f2(s.chromaMeanDeltaE), pct(s.chromaAbove10)])));
      }
      out.renders = {
        attribution: SCAN_ATTRIBUTION,
        normalisation: 'per-channel: gain_c = median(truth_c / ours_c) over the texels, divided by their mean, then the common factor minimising the mean ΔE (golden section); scalar: one factor minimising the mean ΔE',
        texels: 'texels with confidence > 0.5 whose projection with our camera lands inside the face region of the render (eyes + 3 mm, nostrils excluded)',
        views: allSizes ? 'all 48' : 'the 24 views at 512 px', selectedOnTune: selected ? printable(selected.options) : null,
        table, byLight, sweep, perView: rows,
      };
    }
    if (!args.includes('--no-photos')) {
      const photos = await runPhotos(rec);
      const ok = photos.filter((p) => p.detected);
      const names = [...Object.keys(VARIANTS), 'shipped'];
      const summary = names.map((v) => ({ variant: v, photos: ok.length, mean: ok.reduce((s, p) => s + p.outliers[v]!, 0) / ok.length, median: median(ok.map((p) => p.outliers[v]!)), max: Math.max(...ok.map((p) => p.outliers[v]!)) }));
      console.log('\nShared photos, chroma outliers over skin (Mahalanobis in a*b* > 3, robust):');
      console.log(markdownTable(['variant', 'photos', 'mean', 'median', 'worst'], summary.map((s) => [s.variant, s.photos, pct(s.mean), pct(s.median), pct(s.max)])));
      console.log(markdownTable(['photo', 'before', 'after'], ok.map((p) => [p.photo, pct(p.outliers.before!), pct(p.outliers.after!)])));
      out.photos = {
        definition: 'skin texels = coverage ∧ confidence > 0.5 ∧ border weight ≥ 0.99 ∧ outside the undilated eye/brow/lip/nostril polygons; outlier = robust Mahalanobis distance of (a*, b*) > 3 (concentration steps keeping 75 %, Gaussian consistency factor, σ floor 2)',
        summary, perPhoto: photos,
      };
    }
  } finally {
    await rec.dispose();
  }
  out.variants = Object.fromEntries(Object.entries(VARIANTS).map(([k, v]) => [k, printable(v)]));
  if (!args.includes('--no-write')) {
    const file = resultFile('albedo');
    await mkdir(path.dirname(file), { recursive: true });
    await writeFile(file, JSON.stringify(out, null, 2) + '\n');
    console.log(`wrote ${file}`);
  }
}

if (args.includes('--equalize')) await equalizeStudy();
else if (args.includes('--shadows')) await shadowStudy();
else if (args.includes('--oracle')) await oracleStudy();
else await main();

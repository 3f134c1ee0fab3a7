/**
 * The accuracy benchmark as a function: render the bench set of the scan, run the pipeline on
 * each render, render our meshes' normals from OUR estimated camera and score them against the
 * scan's ground truth over its face mask. `run.ts` is the CLI around {@link runAccuracy}.
 *
 * Assumptions and choices (see also scene.ts, scan.ts, face-mask.ts):
 * - The pipeline gets each render's TRUE 35 mm-equivalent focal length as EXIF
 *   (`exif.focalLength35mm`), i.e. the benchmark assumes a photo with EXIF focal length; errors
 *   of the default-focal guess are not measured here.
 * - `baseline` = Human's face mesh alone: the 468 landmarks back-projected by the pipeline's own
 *   face-mesh fit (`createFaceMeshModel().fit(face.analysis, face.camera, …)`, the proxy before
 *   subdivision) with smooth angle-weighted vertex normals.
 * - `proxy` = `face.proxy` (Loop-subdivided face mesh, its vertex normals).
 * - `sfs`, `dfdn`, `dfdn+sfs` (the pipeline's `detail` methods; `sfs` was called `detail` before
 *   the network existed) = `face.detailedMesh` (displaced, its vertex normals) WITH
 *   `face.maps.residualNormal` applied through the mesh's tangents — exactly what a glTF viewer
 *   shows for our GLB — from one reconstruction per method (the same analysis, camera and proxy:
 *   only the detail stage differs). `baseline` and `proxy` come from the first of them.
 * - Our meshes are moved head → camera with `face.pose` and rendered with `face.camera`, at the
 *   render's size, 2×2 supersampled like the ground truth.
 * - Angles are compared over GT face mask ∧ our surface (coverage ≥ 0.5); mask pixels we do not
 *   cover only lower `coverage`. A render where no face is found counts as coverage 0 and is
 *   left out of the angle means.
 * - Detail-only error: σ = {@link DETAIL_SIGMA_MM} mm on the face (converted to pixels with the
 *   render's mm per pixel at the head's depth: ≈ 3 px at 512 px, ≈ 6 px at 1024 px), see
 *   `detailAngularError` in src/core/eval.
 * - Aggregation over the views of a split: angle columns are the mean of the per-view values
 *   (per-view mean, per-view median, per-view detail mean) over views with a detected face;
 *   coverage is the mean over all views; msPerRender is the median pipeline wall time (decode is
 *   skipped: the render is passed decoded).
 * - Extra diagnostics per row: `detailCorrelation` (correlation of the high-pass normal fields,
 *   0 = our detail is unrelated to the truth) and `detailGain` (amplitude of the true detail
 *   found in ours). The detail angle mixes "wrong detail" and "missing detail"; these separate
 *   them. Note both also suffer from registration: our estimated pose/landmarks put our surface
 *   a pixel or a few off the truth (a shift search on three views found 1 px at 512 px and
 *   ≈ 3 px at 1024 px), which costs any high-frequency detail, right or wrong.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { DetailOptions } from '../../src/core/detail/solve-detail.js';
import { evaluateNormals, type NormalEvaluation } from '../../src/core/eval/evaluate-normals.js';
import { maskedGaussianBlur } from '../../src/core/eval/angular-error.js';
import type { EvalRender } from '../../src/core/eval/render-eval.js';
import { RECONSTRUCT_DEFAULTS } from '../../src/core/pipeline/defaults.js';
import type { FaceReconstruction, ReconstructOptions } from '../../src/core/pipeline/types.js';
import type { Image } from '../../src/core/types.js';
import { DETAIL_METHODS, type DetailMethod } from '../../src/core/detail/synthesize-detail.js';
import { isDetailMethod, METHODS, renderMethod, type Method } from './methods.js';
import { createReconstructor, type Reconstructor } from '../../src/node/reconstructor.js';
import { median } from '../common.js';
import { heatImage, normalsToImage, sideBySide } from './images.js';
import { loadScan, SCAN_ATTRIBUTION, type Scan } from './scan.js';
import { benchSet, quickSet, renderView, type BenchView, type ViewRender } from './scene.js';
import sharp from 'sharp';

export { isDetailMethod, METHODS, renderMethod, type Method } from './methods.js';

/** Splits reported: the tuning half, the held-out half, and the held-out views with |yaw| ≤ 30°. */
export const SPLITS = ['tune', 'heldout', 'heldout-yaw30'] as const;
export type SplitName = (typeof SPLITS)[number];

/** σ of the low-pass removed by the detail-only metric, mm on the face. */
export const DETAIL_SIGMA_MM = 2;

/** One row of the results table (and of bench/results/accuracy.json). */
export interface AccuracyRow {
  method: Method;
  split: SplitName;
  meanAngleDeg: number;
  medianAngleDeg: number;
  detailAngleDeg: number;
  /**
   * Extra diagnostics of the detail (not in the issue's schema): correlation of our high-pass
   * normals with the ground truth's ([−1, 1], 0 = unrelated) and the least-squares gain of the
   * ground truth's high-pass in ours (1 = right amplitude); means over the views.
   */
  detailCorrelation: number;
  detailGain: number;
  /** Fraction of GT face-mask pixels where the method renders a surface (misses count 0). */
  coverage: number;
  /** Views in the split. */
  count: number;
  /** Views where the pipeline found a face. */
  detected: number;
  /** Median pipeline time per render, ms. */
  msPerRender: number;
}

/** Per-view result. */
export interface ViewResult {
  id: string;
  split: 'tune' | 'heldout';
  light: string;
  size: number;
  yawDeg: number;
  pitchDeg: number;
  focalLength35mm: number;
  detected: boolean;
  error?: string;
  /** Pipeline time of the first detail method's run, ms. */
  ms?: number;
  /** Pipeline time per detail method, ms. */
  msByMethod?: Partial<Record<DetailMethod, number>>;
  /** Pose the pipeline estimated (degrees). */
  estimatedYawDeg?: number;
  estimatedPitchDeg?: number;
  maskPixels: number;
  methods: Partial<Record<Method, { meanDeg: number; medianDeg: number; detailDeg: number; detailCorrelation: number; detailGain: number; coverage: number }>>;
  /** Side-by-side figure, when one was written. */
  figure?: string;
}

/** Options of {@link runAccuracy}. */
export interface AccuracyOptions {
  /** Run the 6-view 512-px subset (a smoke test, < 2 min). Default false. */
  quick?: boolean;
  /** Which half to run: 'tune', 'heldout' or 'all' (default). */
  split?: 'tune' | 'heldout' | 'all';
  /** Reconstruction options (defaults of the pipeline otherwise). */
  reconstructOptions?: Partial<ReconstructOptions>;
  /** Detail-solver options, forwarded to every reconstruct call as `sfs` (see DETAIL_DEFAULTS). */
  detailOptions?: DetailOptions;
  /**
   * The pipeline's detail methods to score, one reconstruction each (default all three; the
   * `dfdn` ones need the model in models/dfdn or $FACEDETAIL_DFDN_DIR).
   */
  detailMethods?: readonly DetailMethod[];
  /** Use this reconstructor instead of creating one (not disposed here). */
  reconstructor?: Reconstructor;
  /** Only these view ids (after quick/split selection). */
  ids?: string[];
  /** Write side-by-side PNGs for these view ids (default: a few) into `figureDir`. */
  figureIds?: string[];
  /** Folder of the figures. Default bench/out/accuracy. */
  figureDir?: string;
  /** Progress lines (default: none). */
  log?: (line: string) => void;
}

/** What {@link runAccuracy} returns. */
export interface AccuracyResult {
  rows: AccuracyRow[];
  views: ViewResult[];
  figures: string[];
}

/** Views chosen for figures by default: one per light (4 lights), sizes alternating, moderate poses. */
function defaultFigureIds(views: BenchView[]): string[] {
  const out: string[] = [];
  const lights = [...new Set(views.map((v) => v.light))];
  lights.forEach((light, i) => {
    const ok = views.filter((v) => v.light === light && Math.abs(v.yawDeg) <= 30 && Math.abs(v.pitchDeg) <= 15);
    const pick = ok.find((v) => v.size === (i % 2 ? 1024 : 512)) ?? ok[0];
    if (pick) out.push(pick.id);
  });
  return out.slice(0, 4);
}

/**
 * Run the benchmark and return its rows (method × split), per-view results and figure paths.
 *
 * @example
 * const { rows } = await runAccuracy({ quick: true, reconstructOptions: { detailResolution: 512 } });
 * console.table(rows);
 */
export async function runAccuracy(options: AccuracyOptions = {}): Promise<AccuracyResult> {
  const log = options.log ?? (() => {});
  const scan = await loadScan();
  let views = options.quick ? quickSet() : benchSet();
  const split = options.split ?? 'all';
  if (split !== 'all') views = views.filter((v) => v.split === split);
  if (options.ids) views = views.filter((v) => options.ids!.includes(v.id));
  const figureIds = new Set(options.figureIds ?? (options.quick ? views.map((v) => v.id) : defaultFigureIds(views)));
  const figureDir = options.figureDir ?? path.join('bench', 'out', 'accuracy');
  const ro = options.reconstructOptions ?? {};
  const rec = options.reconstructor ?? (await createReconstructor(ro));
  const interocularMm = ro.interocularMm ?? RECONSTRUCT_DEFAULTS.interocularMm;
  const detailMethods = options.detailMethods ?? DETAIL_METHODS;
  if (detailMethods.length === 0) throw new Error('runAccuracy: detailMethods is empty');
  const methods = METHODS.filter((m) => !isDetailMethod(m) || detailMethods.includes(m));
  const results: ViewResult[] = [];
  const figures: string[] = [];
  try {
    for (const view of views) {
      const r = renderView(scan, view);
      const res: ViewResult = {
        id: view.id, split: view.split, light: view.light, size: view.size, yawDeg: round(view.yawDeg, 2), pitchDeg: round(view.pitchDeg, 2),
        focalLength35mm: view.focalLength35mm, detected: false, maskPixels: r.mask.reduce((s, m) => s + m, 0), methods: {},
      };
      const faces: Partial<Record<DetailMethod, FaceReconstruction>> = {};
      res.msByMethod = {};
      for (const dm of detailMethods) {
        const t0 = performance.now();
        try {
          faces[dm] = await rec.reconstruct(
            { image: r.image, width: r.camera.width, height: r.camera.height, format: 'raw', exif: { focalLength35mm: view.focalLength35mm } },
            { ...ro, detail: dm, ...(options.detailOptions ? { sfs: options.detailOptions } : {}) } as Partial<ReconstructOptions>,
          );
          res.msByMethod[dm] = performance.now() - t0;
        } catch (e) {
          // A missing or broken model is the bench's error, not a miss of this view.
          if ((e as { code?: string }).code?.startsWith('MODEL_') || (e as { code?: string }).code === 'DEPENDENCY_MISSING') throw e;
          res.error ??= (e as Error).message;
        }
      }
      const face = faces[detailMethods[0]!];
      if (face) {
        res.ms = res.msByMethod[detailMethods[0]!];
        res.detected = true;
        res.estimatedYawDeg = round(face.pose.yawDeg, 2);
        res.estimatedPitchDeg = round(face.pose.pitchDeg, 2);
      }
      const sigmaPx = DETAIL_SIGMA_MM / r.mmPerPixel;
      const renders: Partial<Record<Method, { render: EvalRender; ev: NormalEvaluation }>> = {};
      if (face) {
        for (const method of methods) {
          const mf = isDetailMethod(method) ? faces[method] : face;
          if (!mf) continue;
          const render = renderMethod(mf, method, r.camera, interocularMm);
          const ev = evaluateNormals(r.gt, r.mask, render, r.camera.width, r.camera.height, { sigmaPx });
          renders[method] = { render, ev };
          res.methods[method] = {
            meanDeg: round(ev.meanDeg, 3), medianDeg: round(ev.medianDeg, 3), detailDeg: round(ev.detailMeanDeg, 3),
            detailCorrelation: round(ev.detailCorrelation, 4), detailGain: round(ev.detailGain, 4), coverage: round(ev.coverage, 4),
          };
        }
      }
      if (figureIds.has(view.id)) {
        const file = path.join(figureDir, `${view.id}.png`);
        await mkdir(figureDir, { recursive: true });
        await writeFile(file, await viewFigure(r, renders, sigmaPx, detailMethods));
        res.figure = file;
        figures.push(file);
      }
      results.push(res);
      const m = res.methods;
      log(`${view.id} (${view.split}, yaw ${view.yawDeg.toFixed(1)}°, pitch ${view.pitchDeg.toFixed(1)}°): ` + (res.detected
        ? `${(res.ms ?? 0).toFixed(0)} ms; est. yaw ${res.estimatedYawDeg}°; ` + methods.map((k) => `${k} ${m[k]?.meanDeg.toFixed(2)}°/${m[k]?.detailDeg.toFixed(2)}° r=${m[k]?.detailCorrelation.toFixed(2)} cov ${((m[k]?.coverage ?? 0) * 100).toFixed(0)}%`).join(', ')
        : `MISS (${res.error ?? 'no face'})`));
    }
  } finally {
    if (!options.reconstructor) await rec.dispose();
  }
  return { rows: aggregate(results), views: results, figures };
}

/** Rows: method × split, from per-view results. */
export function aggregate(views: ViewResult[]): AccuracyRow[] {
  const rows: AccuracyRow[] = [];
  for (const split of SPLITS) {
    const vs = views.filter((v) => (split === 'heldout-yaw30' ? v.split === 'heldout' && Math.abs(v.yawDeg) <= 30 : v.split === split));
    if (vs.length === 0) continue;
    const det = vs.filter((v) => v.detected);
    for (const method of METHODS) {
      if (!det.some((v) => v.methods[method])) continue; // a method this run did not score
      const ms = det.map((v) => v.methods[method]).filter((m): m is NonNullable<typeof m> => m !== undefined && Number.isFinite(m.meanDeg));
      const times = det.map((v) => (isDetailMethod(method) ? v.msByMethod?.[method] : undefined) ?? v.ms ?? NaN);
      const mean = (xs: number[]) => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : NaN);
      rows.push({
        method, split,
        meanAngleDeg: round(mean(ms.map((m) => m.meanDeg)), 3),
        medianAngleDeg: round(mean(ms.map((m) => m.medianDeg)), 3),
        detailAngleDeg: round(mean(ms.map((m) => m.detailDeg)), 3),
        detailCorrelation: round(mean(ms.map((m) => m.detailCorrelation)), 3),
        detailGain: round(mean(ms.map((m) => m.detailGain)), 3),
        coverage: round(vs.reduce((s, v) => s + (v.methods[method]?.coverage ?? 0), 0) / vs.length, 4),
        count: vs.length,
        detected: det.length,
        msPerRender: Math.round(median(times)),
      });
    }
  }
  return rows;
}

function round(x: number, d: number): number {
  if (!Number.isFinite(x)) return x;
  const s = 10 ** d;
  return Math.round(x * s) / s;
}

/**
 * Figure of one view, cropped to the face: row 1 = render | GT normals | our normals with the
 * first detail method (`sfs` by default) | error heat map (0–30°); row 2 = our proxy normals | GT
 * high-pass normals | that method's high-pass normals | detail-only error heat map (0–10°); then
 * one row per further detail method (`dfdn`, `dfdn+sfs`): its normals | its error (0–30°) | its
 * high-pass normals | its detail-only error (0–10°). High-pass normals are shown as
 * normalize((0, 0, −1) + 4·(n − low-pass n)) so faint detail is visible.
 */
async function viewFigure(
  r: ViewRender, renders: Partial<Record<Method, { render: EvalRender; ev: NormalEvaluation }>>, sigmaPx: number, detailMethods: readonly DetailMethod[],
): Promise<Buffer> {
  const W = r.camera.width, H = r.camera.height;
  // Crop: the mask's bounding box grown by 25 %, square.
  let x0 = W, x1 = 0, y0 = H, y1 = 0;
  for (let y = 0; y < H; y++) for (let x = 0; x < W; x++) if (r.mask[y * W + x]) { x0 = Math.min(x0, x); x1 = Math.max(x1, x); y0 = Math.min(y0, y); y1 = Math.max(y1, y); }
  if (x1 < x0) { x0 = 0; x1 = W - 1; y0 = 0; y1 = H - 1; }
  const side = Math.min(W, H, Math.round(Math.max(x1 - x0, y1 - y0) * 1.25));
  const cx = Math.round((x0 + x1) / 2 - side / 2), cy = Math.round((y0 + y1) / 2 - side / 2);
  const ox = Math.max(0, Math.min(W - side, cx)), oy = Math.max(0, Math.min(H - side, cy));
  const crop = (img: Image): Image => {
    const out: Image = { width: side, height: side, channels: 3, data: new Float32Array(side * side * 3) };
    for (let y = 0; y < side; y++) for (let x = 0; x < side; x++) for (let c = 0; c < 3; c++) out.data[(y * side + x) * 3 + c] = img.data[((y + oy) * W + x + ox) * 3 + c]!;
    return out;
  };
  const blank: Image = { width: W, height: H, channels: 3, data: new Float32Array(W * H * 3).fill(0.12) };
  const gtN = normalsToImage(r.gt.normal, r.gt.coverage, W, H);
  const det = renders[detailMethods[0]!], prox = renders.proxy;
  const hp = (n: Float32Array, cov: Float32Array): Image => {
    const low = maskedGaussianBlur(n, 3, W, H, cov, sigmaPx);
    const v = new Float32Array(W * H * 3);
    for (let p = 0; p < W * H; p++) {
      if (!(cov[p]! >= 0.5)) continue;
      const x = 4 * (n[3 * p]! - low[3 * p]!), y = 4 * (n[3 * p + 1]! - low[3 * p + 1]!), z = -1 + 4 * (n[3 * p + 2]! - low[3 * p + 2]!);
      const l = Math.hypot(x, y, z);
      v[3 * p] = x / l; v[3 * p + 1] = y / l; v[3 * p + 2] = z / l;
    }
    return normalsToImage(v, cov, W, H);
  };
  const row1 = [r.image, gtN, det ? normalsToImage(det.render.normal, det.render.coverage, W, H) : blank, det ? heatImage(det.ev.anglesDeg, W, H, 30, r.mask) : blank];
  const row2 = [
    prox ? normalsToImage(prox.render.normal, prox.render.coverage, W, H) : blank,
    hp(r.gt.normal, r.gt.coverage),
    det ? hp(det.render.normal, det.render.coverage) : blank,
    det ? heatImage(det.ev.detailAnglesDeg, W, H, 10, r.mask) : blank,
  ];
  const rows = [row1, row2];
  for (const m of detailMethods.slice(1)) {
    const x = renders[m];
    rows.push(x
      ? [normalsToImage(x.render.normal, x.render.coverage, W, H), heatImage(x.ev.anglesDeg, W, H, 30, r.mask), hp(x.render.normal, x.render.coverage), heatImage(x.ev.detailAnglesDeg, W, H, 10, r.mask)]
      : [blank, blank, blank, blank]);
  }
  const strips = await Promise.all(rows.map((row) => sideBySide(row.map(crop))));
  const capH = Math.max(18, Math.round(side / 30)), font = Math.round(capH * 0.62);
  const first = detailMethods[0]!, more = detailMethods.slice(1).map((m) => ` / ${m}: normals | error 0–30° | high-pass | detail error 0–10°`).join('');
  const caption = Buffer.from(`<svg width="${side * 4}" height="${capH}"><rect width="100%" height="100%" fill="black"/><text x="4" y="${Math.round(capH * 0.72)}" font-size="${font}" font-family="sans-serif" fill="#ccc">${escapeXml(`${r.view.id} yaw ${r.view.yawDeg.toFixed(1)}° pitch ${r.view.pitchDeg.toFixed(1)}° — render | GT normals | ${first} normals | error 0–30° / proxy | GT high-pass | ${first} high-pass | detail error 0–10°${more} — ${SCAN_ATTRIBUTION}`)}</text></svg>`);
  return sharp({ create: { width: side * 4, height: side * rows.length + capH, channels: 3, background: '#000' } })
    .composite([...strips.map((input, i) => ({ input, left: 0, top: side * i })), { input: caption, left: 0, top: side * rows.length }])
    .png().toBuffer();
}

function escapeXml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

export type { Scan };

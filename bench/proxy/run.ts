/**
 * `npm run bench:proxy`: accuracy of the ICT FaceKit fit (src/core/model/ict/ict-fit.ts) per
 * emotion-prior mode, on ground-truth renders of ICT faces (scene.ts) and on real photos.
 *
 * Renders: ICT faces with identities from the model's prior, neutral / random sparse / each
 * basic emotion's full prototype, yaw ±30°, pitch ±15°, rendered by src/core/render with a
 * per-vertex albedo, analysed by the real Human analyser (landmarks AND emotions come from the
 * network, as in production), then fitted with each mode. Measured per render: face-area
 * (ICT `narrowFace`, 6,706 vertices) vertex error after a similarity alignment (mm), landmark
 * reprojection error (RMS px, the fit's own), expression-weight error (mean |Δβ| over the 53
 * weights). Rows `prior*` / `fixed*` use the TRUE emotion (one-hot) instead of the network's:
 * what the prior could give with a perfect emotion classifier.
 * Photos: `stock-emotions-*` and `faceapi_*` from $FACEDETAIL_SHARED/photos: reprojection error.
 *
 * Splits (scene.ts `proxySplit`, by seed): `tune` (21 renders) is what the fit's defaults were
 * chosen on, `held-out` (21) checks them; the table reports both and all.
 *
 * Options: --quick (fewer renders and photos), --no-write, --models-dir <dir>, --fit '<json>'
 * (IctFitOptions overrides for every fit, for tuning sweeps; bench/proxy/tune.ts sweeps faster),
 * --correspondence cache|calibrated|geometric (default cache: the one stored at import),
 * --modes none,prior (default all three), --no-photos, --fit-model bundled (render the ground truth
 * with the imported full model, fit with the compact model bundled in models/ict/: its accuracy cost).
 * Writes bench/results/proxy.json (--quick: bench/out/proxy-quick.json). Preview renders:
 * `node --import tsx bench/proxy/preview.ts`.
 */
import { readdir } from 'node:fs/promises';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { estimateCamera } from '../../src/core/camera/estimate-camera.js';
import type { FaceAnalysis } from '../../src/core/analysis/types.js';
import { ictRegionVertices } from '../../src/core/model/ict/ict-cache.js';
import { computeIctCorrespondence } from '../../src/core/model/ict/ict-correspondence.js';
import { fitIct, ICT_FIT_DEFAULTS, prepareIctFit, type IctFitOptions, type IctFitResult } from '../../src/core/model/ict/ict-fit.js';
import type { EmotionPriorMode } from '../../src/core/model/ict/ict-types.js';
import { EMOTIONS, type Emotion } from '../../src/core/types.js';
import { decodeImage } from '../../src/node/decode-image.js';
import { createHumanAnalyzer } from '../../src/node/human-analyzer.js';
import { loadIctModel } from '../../src/node/model-import/load-ict.js';
import { currentCommit, markdownTable, median, SHARED } from '../common.js';
import { alignedVertexErrors, mean } from './metrics.js';
import { ictRenderAssets, proxyCases, proxySplit, renderCase, type ProxyGroup, type ProxySplit } from './scene.js';

const args = process.argv.slice(2);
const arg = (name: string): string | undefined => { const i = args.indexOf(name); return i >= 0 ? args[i + 1] : undefined; };
const quick = args.includes('--quick');
const modelsDir = arg('--models-dir');
/** --fit '{"expressionPrior": 4}': option overrides for every fit (tuning sweeps). */
const fitOverrides = JSON.parse(arg('--fit') ?? '{}') as IctFitOptions;
const MODES = (arg('--modes')?.split(',') ?? ['none', 'prior', 'fixed']) as EmotionPriorMode[];
const corrMethod = arg('--correspondence') ?? 'cache';
const photos = !args.includes('--no-photos');
const fitModel = arg('--fit-model') ?? 'same';

interface CaseRow {
  id: string; group: ProxyGroup; split: ProxySplit; emotion?: string; detected: boolean; predicted?: string;
  yawDeg: number; pitchDeg: number;
  fits: Record<string, { vertexMeanMm: number; vertexMedianMm: number; reprojPx: number; exprErr: number; ms: number; ipdMm: number }>;
}

async function main(): Promise<void> {
  const t0 = performance.now();
  const log = (s: string): void => { process.stderr.write(s + '\n'); };
  if (!['same', 'bundled'].includes(fitModel)) throw new Error(`--fit-model: same or bundled, got ${fitModel}`);
  // The ground truth needs the full model (all 100 identity modes): the imported cache.
  const data = await loadIctModel({ ...(modelsDir ? { modelsDir } : {}), source: 'cache' });
  const fitData = fitModel === 'bundled' ? await loadIctModel({ source: 'bundled' }) : data;
  if (!['cache', 'calibrated', 'geometric'].includes(corrMethod)) throw new Error(`--correspondence: cache, calibrated or geometric, got ${corrMethod}`);
  const corr = corrMethod === 'cache' ? fitData.correspondence
    : computeIctCorrespondence(fitData, { method: corrMethod as 'calibrated' | 'geometric', fallback: 'error' });
  const tp = performance.now();
  prepareIctFit(fitData, corr, ICT_FIT_DEFAULTS.identityCount);
  const prepMs = performance.now() - tp;
  const faceV = ictRegionVertices(data, 'narrowFace');
  const assets = ictRenderAssets(data);
  const analyzer = await createHumanAnalyzer();
  const fitTimes: number[] = [];
  const fit = (analysis: FaceAnalysis, camera: ReturnType<typeof estimateCamera>, options: IctFitOptions): IctFitResult => {
    const r = fitIct({ data: fitData, correspondence: corr, analysis, camera }, { ...fitOverrides, ...options });
    fitTimes.push(r.ms);
    return r;
  };

  // ---- renders ------------------------------------------------------------------------------
  const cases = proxyCases(data, quick ? { neutral: 3, random: 4, emotionRepeats: 1 } : { neutral: 8, random: 16, emotionRepeats: 3 });
  const rows: CaseRow[] = [];
  for (const c of cases) {
    const r = renderCase(data, assets, c);
    const [a] = await analyzer.analyze(r.image);
    const row: CaseRow = { id: c.id, group: c.group, split: proxySplit(c), ...(c.emotion ? { emotion: c.emotion } : {}), detected: !!a, yawDeg: c.yawDeg, pitchDeg: c.pitchDeg, fits: {} };
    rows.push(row);
    if (!a) { log(`${c.id}: no face found`); continue; }
    row.predicted = EMOTIONS.reduce((b, e) => (a.emotions[e] > a.emotions[b] ? e : b), 'neutral' as Emotion);
    const variants: Array<[string, IctFitOptions, FaceAnalysis]> = MODES.map((m) => [m, { emotionPrior: m }, a]);
    if (c.emotion) {
      const oneHot = Object.fromEntries(EMOTIONS.map((e) => [e, e === c.emotion ? 1 : 0])) as Record<Emotion, number>;
      const oracle = { ...a, emotions: oneHot };
      for (const m of MODES) if (m !== 'none') variants.push([`${m}*`, { emotionPrior: m }, oracle]);
    }
    for (const [name, opts, an] of variants) {
      const f = fit(an, r.camera, opts);
      const errs = alignedVertexErrors(f.positions, r.positions, faceV);
      let ee = 0;
      for (let k = 0; k < c.expression.length; k++) ee += Math.abs(f.expression[k]! - c.expression[k]!);
      row.fits[name] = {
        vertexMeanMm: mean(errs), vertexMedianMm: median(Array.from(errs)), reprojPx: f.reprojectionErrorPx,
        exprErr: ee / c.expression.length, ms: f.ms, ipdMm: f.interpupillaryMm,
      };
    }
    log(`${c.id} (yaw ${c.yawDeg.toFixed(0)}°, pitch ${c.pitchDeg.toFixed(0)}°, predicted ${row.predicted}): ` +
      Object.entries(row.fits).map(([m, v]) => `${m} ${v.vertexMeanMm.toFixed(2)} mm / ${v.reprojPx.toFixed(2)} px / β ${v.exprErr.toFixed(3)}`).join(' · '));
  }

  const fmt = (x: number, d = 2): string => (Number.isFinite(x) ? x.toFixed(d) : '–');
  const table: (string | number)[][] = [];
  const summary: Array<Record<string, unknown>> = [];
  for (const split of ['tune', 'held-out', 'all'] as const) {
    for (const group of ['neutral', 'random', 'emotion'] as const) {
      const all = rows.filter((r) => r.group === group && (split === 'all' || r.split === split));
      const rs = all.filter((r) => r.detected);
      const names = group === 'emotion' ? [...MODES, ...MODES.filter((m) => m !== 'none').map((m) => `${m}*`)] : MODES;
      for (const m of names) {
        const fs = rs.map((r) => r.fits[m]!).filter(Boolean);
        const s = {
          split, group, mode: m, renders: fs.length, found: `${rs.length}/${all.length}`,
          vertexMeanMm: mean(fs.map((f) => f.vertexMeanMm)), vertexMedianMm: median(fs.map((f) => f.vertexMedianMm)),
          reprojPx: mean(fs.map((f) => f.reprojPx)), exprErr: mean(fs.map((f) => f.exprErr)),
        };
        summary.push(s);
        table.push([split, group, m, s.found, fmt(s.vertexMeanMm), fmt(s.vertexMedianMm), fmt(s.reprojPx), fmt(s.exprErr, 3)]);
      }
    }
  }
  const emo = rows.filter((r) => r.group === 'emotion' && r.detected);
  const emoAcc = emo.filter((r) => r.predicted === r.emotion).length;

  // ---- photos -------------------------------------------------------------------------------
  const dir = path.join(SHARED, 'photos');
  let files = !photos ? [] : (await readdir(dir)).filter((f) => /^(stock-emotions-.*|faceapi_.*)\.jpe?g$/i.test(f)).sort();
  if (quick) files = files.filter((_, i) => i % 4 === 0);
  const photoRows: Array<{ file: string; predicted?: string; fits: Record<string, { reprojPx: number; ipdMm: number; ms: number }> }> = [];
  for (const file of files) {
    const img = await decodeImage(path.join(dir, file));
    const camera = estimateCamera(img.width, img.height, { exifFocalLength35mm: img.exif.focalLength35mm });
    const [a] = await analyzer.analyze(img.image);
    if (!a) { log(`${file}: no face`); continue; }
    const pr = { file, predicted: EMOTIONS.reduce((b, e) => (a.emotions[e] > a.emotions[b] ? e : b), 'neutral' as Emotion), fits: {} as Record<string, { reprojPx: number; ipdMm: number; ms: number }> };
    for (const m of MODES) {
      const f = fit(a, camera, { emotionPrior: m });
      pr.fits[m] = { reprojPx: f.reprojectionErrorPx, ipdMm: f.interpupillaryMm, ms: f.ms };
    }
    photoRows.push(pr);
    log(`${file} (${pr.predicted}): ` + MODES.map((m) => `${m} ${pr.fits[m]!.reprojPx.toFixed(2)} px`).join(' · '));
  }
  await analyzer.dispose();
  const photoTable: (string | number)[][] = [];
  for (const set of ['stock-emotions', 'faceapi'] as const) {
    const ps = photoRows.filter((p) => p.file.startsWith(set));
    for (const m of MODES) {
      photoTable.push([set, m, ps.length, fmt(mean(ps.map((p) => p.fits[m]!.reprojPx))), fmt(median(ps.map((p) => p.fits[m]!.reprojPx)))]);
    }
  }
  const ipdMode = MODES.includes('prior') ? 'prior' : MODES[0]!;
  const ipds = photoRows.map((p) => p.fits[ipdMode]!.ipdMm);
  const warm = fitTimes.slice(3);

  console.log('### ICT fit on ground-truth renders (face-area vertex error after similarity alignment)\n');
  console.log(`correspondence: ${corrMethod}; fit overrides: ${JSON.stringify(fitOverrides)}; fitted model: ${fitData.origin === 'bundled' ? 'bundled compact' : 'imported full'} (${fitData.identityNames.length} identity modes)\n`);
  console.log(markdownTable(['split', 'renders', 'mode', 'found', 'vertex mean mm', 'vertex median mm', 'reproj px (RMS)', 'expr |Δβ|'], table));
  console.log(`\nprior* / fixed*: the true emotion (one-hot) instead of the network's. Emotion network top-1 on the emotion renders: ${emoAcc}/${emo.length}.`);
  if (photos) {
    console.log('\n### Real photos: landmark reprojection error (RMS px over the fitted landmarks)\n');
    console.log(markdownTable(['photos', 'mode', 'faces', 'mean px', 'median px'], photoTable));
  }
  console.log(`\nfit time: median ${fmt(median(warm), 1)} ms, p90 ${fmt(warm.slice().sort((a, b) => a - b)[Math.floor(0.9 * (warm.length - 1))] ?? NaN, 1)} ms over ${warm.length} fits (first 3 excluded: JIT warm-up); one-off preparation (bases, contour lines) ${fmt(prepMs, 0)} ms + moments on the first fit.`);
  if (photoRows.length) console.log(`interpupillary distance of the fits on the photos ('${ipdMode}'): median ${fmt(median(ipds), 1)} mm, range ${fmt(Math.min(...ipds), 1)}–${fmt(Math.max(...ipds), 1)} mm (no IPD constant used).`);
  console.log(`total ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  if (!args.includes('--no-write')) {
    const out = quick ? path.join('bench', 'out', 'proxy-quick.json') : path.join('bench', 'results', 'proxy.json');
    await mkdir(path.dirname(out), { recursive: true });
    await writeFile(out, JSON.stringify({
      commit: currentCommit(), date: new Date().toISOString(),
      settings: { quick, fitDefaults: ICT_FIT_DEFAULTS, fitOverrides, correspondence: corrMethod, modes: MODES, faceVertices: 'narrowFace', fitModel },
      timing: { fitMedianMs: median(warm), fits: warm.length, prepMs },
      summary, emotionTop1: { correct: emoAcc, of: emo.length }, renders: rows, photos: photoRows,
    }, null, 2) + '\n');
    console.log(`wrote ${out}`);
  }
}

await main();

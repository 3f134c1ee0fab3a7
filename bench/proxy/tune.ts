/**
 * Parameter sweeps of the ICT fit on the proxy benchmark's renders, fast: the detector runs once
 * per render and its analyses are kept in bench/out/proxy-analyses.json (keyed by case id and
 * the commit's renderer inputs are not tracked: delete the file after changing scene.ts or the
 * detector), ground truth comes from scene.ts `caseTruth` without rendering.
 *
 * `node --import tsx bench/proxy/tune.ts --grid '{"identityPrior":[10,30],"depthWeight":[0,0.1]}'
 *   [--configs '[{…}, …]'] [--base '{…}'] [--mode none] [--correspondence cache|calibrated|geometric]
 *   [--models-dir <dir>]`
 *
 * Prints, per configuration (the Cartesian product of the grid over ICT_FIT_DEFAULTS), the
 * face-area vertex error (mean over renders of the per-render mean, mm), reprojection error
 * (RMS px) and expression error on the `tune` split and the `held-out` split (scene.ts
 * `proxySplit`), and the median fit time. Choose on `tune`; `held-out` only checks.
 */
import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { FaceAnalysis } from '../../src/core/analysis/types.js';
import { ictRegionVertices } from '../../src/core/model/ict/ict-cache.js';
import { computeIctCorrespondence } from '../../src/core/model/ict/ict-correspondence.js';
import { fitIct, type IctFitOptions } from '../../src/core/model/ict/ict-fit.js';
import type { EmotionPriorMode } from '../../src/core/model/ict/ict-types.js';
import { createHumanAnalyzer } from '../../src/node/human-analyzer.js';
import { loadIctModel } from '../../src/node/model-import/load-ict.js';
import { markdownTable, median } from '../common.js';
import { alignedVertexErrors, mean } from './metrics.js';
import { caseTruth, ictRenderAssets, proxyCases, proxySplit, renderCase } from './scene.js';

const args = process.argv.slice(2);
const arg = (name: string): string | undefined => { const i = args.indexOf(name); return i >= 0 ? args[i + 1] : undefined; };
const CACHE = path.join('bench', 'out', 'proxy-analyses.json');

type StoredAnalysis = Omit<FaceAnalysis, 'landmarks'> & { landmarks: number[] };

async function main(): Promise<void> {
  const modelsDir = arg('--models-dir');
  const data = await loadIctModel(modelsDir ? { modelsDir } : {});
  const method = arg('--correspondence') ?? 'cache';
  const corr = method === 'cache' ? data.correspondence : computeIctCorrespondence(data, { method: method as 'calibrated' | 'geometric', fallback: 'error' });
  const mode = (arg('--mode') ?? 'none') as EmotionPriorMode;
  const grid = JSON.parse(arg('--grid') ?? '{}') as Record<string, unknown[]>;
  const cases = proxyCases(data, { neutral: 8, random: 16, emotionRepeats: 3 });

  // ---- analyses (cached) ----------------------------------------------------------------------
  const stored: Record<string, StoredAnalysis | null> = existsSync(CACHE) ? JSON.parse(await readFile(CACHE, 'utf8')) as Record<string, StoredAnalysis | null> : {};
  const missing = cases.filter((c) => !(c.id in stored));
  if (missing.length > 0) {
    const analyzer = await createHumanAnalyzer();
    const assets = ictRenderAssets(data);
    for (const c of missing) {
      const [a] = await analyzer.analyze(renderCase(data, assets, c).image);
      stored[c.id] = a ? { ...a, landmarks: Array.from(a.landmarks) } : null;
      process.stderr.write(`analysed ${c.id}\n`);
    }
    await analyzer.dispose();
    await mkdir(path.dirname(CACHE), { recursive: true });
    await writeFile(CACHE, JSON.stringify(stored));
  }
  const faceV = ictRegionVertices(data, 'narrowFace');
  const items = cases.flatMap((c) => {
    const s = stored[c.id];
    if (!s) return [];
    const truth = caseTruth(data, c);
    return [{ c, split: proxySplit(c), analysis: { ...s, landmarks: Float32Array.from(s.landmarks) } as FaceAnalysis, truth }];
  });

  // ---- grid -------------------------------------------------------------------------------------
  let configs: IctFitOptions[] = [{}];
  for (const [k, vs] of Object.entries(grid)) configs = configs.flatMap((cfg) => vs.map((v) => ({ ...cfg, [k]: v })));
  // --configs '[{…}, {…}]': an explicit list instead (each merged over --base).
  const base = JSON.parse(arg('--base') ?? '{}') as IctFitOptions;
  if (arg('--configs')) configs = JSON.parse(arg('--configs')!) as IctFitOptions[];
  configs = configs.map((c) => ({ ...base, ...c }));
  const rows: (string | number)[][] = [];
  for (const cfg of configs) {
    const per: Record<string, { v: number[]; r: number[]; e: number[] }> = { tune: { v: [], r: [], e: [] }, 'held-out': { v: [], r: [], e: [] } };
    const ms: number[] = [];
    for (const it of items) {
      const f = fitIct({ data, correspondence: corr, analysis: it.analysis, camera: it.truth.camera }, { emotionPrior: mode, ...cfg });
      ms.push(f.ms);
      let ee = 0;
      for (let k = 0; k < it.c.expression.length; k++) ee += Math.abs(f.expression[k]! - it.c.expression[k]!);
      const p = per[it.split]!;
      p.v.push(mean(alignedVertexErrors(f.positions, it.truth.positions, faceV)));
      p.r.push(f.reprojectionErrorPx);
      p.e.push(ee / it.c.expression.length);
    }
    const t = per.tune!, h = per['held-out']!;
    rows.push([JSON.stringify(cfg), mean(t.v).toFixed(3), mean(t.r).toFixed(2), mean(t.e).toFixed(3), mean(h.v).toFixed(3), mean(h.r).toFixed(2), mean(h.e).toFixed(3), median(ms.slice(3)).toFixed(1)]);
    process.stderr.write(`${rows[rows.length - 1]!.join(' | ')}\n`);
  }
  console.log(`correspondence ${method}, mode ${mode}, ${items.length} renders (tune ${items.filter((i) => i.split === 'tune').length})\n`);
  console.log(markdownTable(['overrides', 'tune mm', 'tune px', 'tune |Δβ|', 'held-out mm', 'held-out px', 'held-out |Δβ|', 'fit ms'], rows));
}

await main();

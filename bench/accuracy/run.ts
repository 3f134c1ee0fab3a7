/**
 * `npm run bench:accuracy`: ground-truth accuracy of our normals on renders of a real head scan
 * (see evaluate.ts). Prints the table (method × split) and writes bench/results/accuracy.json;
 * side-by-side figures go to bench/out/accuracy/ (git-ignored).
 *
 * Options: --quick (6 views at 512 px, a smoke test), --split tune|heldout|all,
 * --res N (detail/texture map resolution of the pipeline, default the pipeline's), --no-write
 * (do not write the JSON), --ids a,b (only these views), --methods sfs,dfdn,dfdn+sfs (the
 * pipeline's detail methods to score; default all three when the DFDN model is installed, else
 * sfs alone, said so), --model facemesh|ict (the proxy model; ict: the imported ICT cache, else the
 * bundled compact model; writes bench/results/accuracy-ict.json).
 */
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { existsSync } from 'node:fs';
import { DETAIL_METHODS, type DetailMethod } from '../../src/core/detail/synthesize-detail.js';
import { defaultDfdnModelDir } from '../../src/node/dfdn-runtime.js';
import { currentCommit, markdownTable } from '../common.js';
import { DETAIL_SIGMA_MM, runAccuracy } from './evaluate.js';
import { SCAN_ATTRIBUTION } from './scan.js';

const args = process.argv.slice(2);
const arg = (name: string): string | undefined => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
};
const quick = args.includes('--quick');
const split = (arg('--split') ?? 'all') as 'tune' | 'heldout' | 'all';
const res = arg('--res') !== undefined ? Number(arg('--res')) : undefined;
const ids = arg('--ids')?.split(',');
const model = (arg('--model') ?? 'facemesh') as 'facemesh' | 'ict';
if (model !== 'facemesh' && model !== 'ict') throw new Error(`--model: expected facemesh or ict, got "${String(model)}"`);
const haveDfdn = existsSync(path.join(defaultDfdnModelDir(), 'dfdn.onnx'));
const methodsArg = arg('--methods')?.split(',');
for (const m of methodsArg ?? []) if (!(DETAIL_METHODS as readonly string[]).includes(m)) throw new Error(`--methods: unknown detail method "${m}" (expected ${DETAIL_METHODS.join(', ')})`);
const detailMethods: readonly DetailMethod[] = (methodsArg as DetailMethod[] | undefined) ?? (haveDfdn ? DETAIL_METHODS : ['sfs']);
if (!methodsArg && !haveDfdn) process.stderr.write(`no DFDN model in ${defaultDfdnModelDir()}: scoring the sfs detail method only\n`);

async function main(): Promise<void> {
  const t0 = performance.now();
  const reconstructOptions = { ...(res !== undefined ? { textureResolution: res, detailResolution: res } : {}), ...(model === 'ict' ? { model } : {}) };
  const result = await runAccuracy({
    quick, split, reconstructOptions, detailMethods, ...(ids ? { ids } : {}),
    log: (line) => process.stderr.write(line + '\n'),
  });
  const fmt = (x: number, d = 2) => (Number.isFinite(x) ? x.toFixed(d) : '–');
  console.log(markdownTable(
    ['method', 'split', 'mean °', 'median °', 'detail °', 'detail r', 'detail gain', 'coverage', 'views (found)', 'ms/render'],
    result.rows.map((r) => [r.method, r.split, fmt(r.meanAngleDeg), fmt(r.medianAngleDeg), fmt(r.detailAngleDeg), fmt(r.detailCorrelation), fmt(r.detailGain), `${fmt(r.coverage * 100, 1)} %`, `${r.count} (${r.detected})`, fmt(r.msPerRender, 0)]),
  ));
  const misses = result.views.filter((v) => !v.detected);
  if (misses.length) console.log(`\nno face found in ${misses.length} view(s): ${misses.map((v) => `${v.id} (yaw ${v.yawDeg}°, pitch ${v.pitchDeg}°)`).join(', ')}`);
  console.log(`\nangles over the scan's face mask where our surface renders; detail ° = angle between high-pass normals (σ = ${DETAIL_SIGMA_MM} mm), detail r / gain = their correlation / the truth's amplitude in ours; coverage = mask pixels our mesh covers (misses count 0).`);
  if (result.figures.length) console.log(`figures: ${result.figures.join(', ')}`);
  console.log(`renders of ${SCAN_ATTRIBUTION}; total ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  if (!args.includes('--no-write')) {
    // --quick is a smoke test: its JSON goes to the git-ignored bench/out/, never over the real results.
    const out = quick ? path.join('bench', 'out', `accuracy${model === 'ict' ? '-ict' : ''}-quick.json`) : path.join('bench', 'results', `accuracy${model === 'ict' ? '-ict' : ''}.json`);
    await mkdir(path.dirname(out), { recursive: true });
    const json = {
      commit: currentCommit(),
      date: new Date().toISOString(),
      settings: { quick, split, reconstructOptions, detailMethods, detailSigmaMm: DETAIL_SIGMA_MM, focal: 'true 35 mm-equivalent focal passed as EXIF' },
      rows: result.rows,
      views: result.views,
    };
    await writeFile(out, JSON.stringify(json, null, 2) + '\n');
    console.log(`wrote ${out}`);
  }
}

await main();

/**
 * Tune the detail solver on the benchmark's TUNING half only:
 *   node --import tsx bench/accuracy/sweep.ts '[{"name":"defaults"}, {"name":"smooth","lambdaSmooth":0.003}]'
 * Each variant is a set of `DetailOptions` (plus `strength`, and `method`: the pipeline's detail
 * method, default `sfs`; `"method": "dfdn+sfs"` tunes the solve around the network's prior),
 * passed as the pipeline's `sfs` options; prints one line per variant with that method's mean /
 * median / detail-only error on the tune split. Never looks at held-out views.
 */
import type { DetailMethod } from '../../src/core/detail/synthesize-detail.js';
import { markdownTable } from '../common.js';
import { createReconstructor } from '../../src/node/reconstructor.js';
import { runAccuracy } from './evaluate.js';

const variants = JSON.parse(process.argv[2] ?? '[{"name":"defaults"}]') as ({ name: string; strength?: number; method?: DetailMethod } & Record<string, number | string>)[];
const ids = process.argv[3]?.split(',');
const rec = await createReconstructor();
const rows: (string | number)[][] = [];
for (const { name, strength, method = 'sfs', ...detail } of variants) {
  const t0 = performance.now();
  const r = await runAccuracy({
    split: 'tune', reconstructor: rec, figureIds: [], detailMethods: [method], ...(ids ? { ids } : {}),
    reconstructOptions: strength !== undefined ? { detailStrength: strength } : {},
    detailOptions: detail as never,
  });
  const get = (m: string) => r.rows.find((x) => x.method === m && x.split === 'tune')!;
  const d = get(method), p = get('proxy');
  rows.push([name, d.meanAngleDeg.toFixed(3), d.medianAngleDeg.toFixed(3), d.detailAngleDeg.toFixed(3), d.detailCorrelation.toFixed(3), d.detailGain.toFixed(3), p.meanAngleDeg.toFixed(3), p.detailAngleDeg.toFixed(3), ((performance.now() - t0) / 1000).toFixed(0)]);
  console.error(`${name}: detail mean ${d.meanAngleDeg.toFixed(3)}° detail-only ${d.detailAngleDeg.toFixed(3)}° (proxy ${p.meanAngleDeg.toFixed(3)}° / ${p.detailAngleDeg.toFixed(3)}°)`);
}
await rec.dispose();
console.log(markdownTable(['variant', 'mean °', 'median °', 'detail °', 'detail r', 'gain', 'proxy mean °', 'proxy detail °', 's'], rows));

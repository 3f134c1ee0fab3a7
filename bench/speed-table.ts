/**
 * The README's speed table, made from `bench/results/speed.json` (what `npm run bench` writes):
 * `npm run bench` rewrites it after a full run, `npm run docs:speed` rewrites it from the JSON that
 * is there, and `test/unit/speed-table.test.ts` checks that the README shows what the JSON says.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { replaceReadmeTable } from '../scripts/readme-table.js';

/** The fields of speed.json that the table shows. */
export interface SpeedResult {
  commit: string; date: string; photos: number; resolution: number; model: string; detail: string;
  stagesMedianMs: Record<string, number>;
  totalMedianMs: number; baselineMedianMs: number; ratio: number; gcShare: number; peakRssMb: number;
  outputMiBMedian: Record<string, number>;
  coldStartMs?: { helpMs: number; importMs: number; modelLoadMs: number; onePhotoMs: number };
  dfdnInference?: { resolution: number; threads: number; patches: number; medianMs: number; networkMedianMs: number };
}

/** The header row that finds the table in the README. */
export const SPEED_TABLE_HEADER = '| measure (`bench/results/speed.json`) | value | target |';

const ms = (x: number): string => `${Math.round(x)} ms`;
const verdict = (ok: boolean): string => (ok ? 'met' : '**not met**');

/** The README's speed table for one speed.json. */
export function speedMarkdownTable(s: SpeedResult): string {
  const rows: string[][] = [
    ['run', `commit \`${s.commit}\`, ${s.date.slice(0, 10)}, ${s.photos} photos, ${s.resolution}² maps, model ${s.model}, detail ${s.detail}`, ''],
    ...Object.entries(s.stagesMedianMs).map(([stage, v]) => [`stage \`${stage}\` (median)`, ms(v), '']),
    ['**total per photo** (decoded image → every default file in memory, median)', `**${ms(s.totalMedianMs)}**`, `≤ 1000 ms: ${verdict(s.totalMedianMs <= 1000)}`],
    ['Human detect + mesh alone (same run, median)', ms(s.baselineMedianMs), ''],
    ['ratio total / Human', `${s.ratio.toFixed(1)}×`, `≤ 20×: ${verdict(s.ratio <= 20)}`],
    ['GC share of the timed loop', `${(100 * s.gcShare).toFixed(1)} %`, ''],
    ['peak RSS', `${Math.round(s.peakRssMb)} MB`, `≤ 1024 MB: ${verdict(s.peakRssMb <= 1024)}`],
  ];
  const c = s.coldStartMs;
  if (c) rows.push(
    ['cold: `facedetail --help` (fresh process)', ms(c.helpMs), `≤ 300 ms: ${verdict(c.helpMs <= 300)}`],
    ['cold: import + load every model (fresh process)', `${Math.round(c.importMs)} + ${Math.round(c.modelLoadMs)} ms`, ''],
    ['cold: one photo through the CLI (fresh process, files written)', ms(c.onePhotoMs), `≤ 2500 ms: ${verdict(c.onePhotoMs <= 2500)}`],
  );
  const d = s.dfdnInference;
  if (d) rows.push([`DFDN alone, ${d.resolution}² map (${d.patches} patches, onnxruntime-node, ${d.threads} threads)`, `${ms(d.medianMs)} (network ${ms(d.networkMedianMs)})`, `≤ 300 ms: ${verdict(d.medianMs <= 300)}`]);
  const files = s.outputMiBMedian;
  if (files['face.glb'] !== undefined && files['(all files)'] !== undefined) rows.push(['files per photo (median): face.glb / all files', `${files['face.glb'].toFixed(2)} / ${files['(all files)'].toFixed(2)} MiB`, `GLB ≤ 6 MB: ${verdict(files['face.glb'] * 2 ** 20 <= 6e6)}`]);
  return [SPEED_TABLE_HEADER, '|---|---|---|', ...rows.map((r) => `| ${r.join(' | ')} |`)].join('\n');
}

/** README.md with its speed table made from `speed`; written unless `check`. Returns whether it changed. */
export async function updateReadmeSpeedTable(speed: SpeedResult, check = false): Promise<boolean> {
  const path = join(import.meta.dirname, '..', 'README.md');
  const readme = await readFile(path, 'utf8');
  const next = replaceReadmeTable(readme, speedMarkdownTable(speed), SPEED_TABLE_HEADER);
  if (next !== readme && !check) await writeFile(path, next);
  return next !== readme;
}


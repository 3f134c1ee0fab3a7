/**
 * The README's speed table, from `bench/results/speed.json` (bench/speed-table.ts): `npm run docs:speed`
 * rewrites it in README.md (`npm run bench` does the same after a full run); `-- --check` exits 1
 * when README.md differs (`test/unit/speed-table.test.ts` checks the same).
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { type SpeedResult, updateReadmeSpeedTable } from '../bench/speed-table.js';

const speed = JSON.parse(await readFile(join(import.meta.dirname, '..', 'bench', 'results', 'speed.json'), 'utf8')) as SpeedResult;
const check = process.argv.includes('--check');
const changed = await updateReadmeSpeedTable(speed, check);
if (check && changed) {
  console.error('README.md: the speed table differs from bench/results/speed.json; run npm run docs:speed');
  process.exitCode = 1;
} else console.log(`README.md: speed table ${changed ? 'updated' : 'up to date'}`);

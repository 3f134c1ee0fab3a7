/**
 * The README's options table, generated from the option table (`src/core/pipeline/option-table.ts`):
 * `npm run docs:options` rewrites it in README.md; `-- --check` exits 1 when README.md differs
 * (`test/unit/option-table.test.ts` checks the same).
 */
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { optionsMarkdownTable } from '../src/core/pipeline/option-table.js';
import { README_TABLE, replaceReadmeTable } from './readme-table.js';

const path = join(import.meta.dirname, '..', 'README.md');
const readme = await readFile(path, 'utf8');
const next = replaceReadmeTable(readme, optionsMarkdownTable());
if (process.argv.includes('--check')) {
  if (next !== readme) {
    console.error(`README.md: the options table (${README_TABLE.header}) differs from src/core/pipeline/option-table.ts; run npm run docs:options`);
    process.exitCode = 1;
  }
} else if (next !== readme) {
  await writeFile(path, next);
  console.log('README.md: options table updated');
} else {
  console.log('README.md: options table up to date');
}

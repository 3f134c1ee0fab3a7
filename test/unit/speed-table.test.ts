/** The README's speed table is what bench/results/speed.json says (npm run docs:speed writes it). */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { SPEED_TABLE_HEADER, type SpeedResult, speedMarkdownTable } from '../../bench/speed-table.js';
import { readmeTable } from '../../scripts/readme-table.js';

const root = join(import.meta.dirname, '..', '..');
const speed = JSON.parse(readFileSync(join(root, 'bench', 'results', 'speed.json'), 'utf8')) as SpeedResult;

describe('speed table', () => {
  it("is the README's speed table", () => {
    const readme = readFileSync(join(root, 'README.md'), 'utf8');
    expect(readmeTable(readme, SPEED_TABLE_HEADER)).toBe(speedMarkdownTable(speed));
  });

  it('shows every stage, the targets and the commit of the run', () => {
    const t = speedMarkdownTable(speed);
    for (const stage of Object.keys(speed.stagesMedianMs)) expect(t).toContain(`stage \`${stage}\``);
    expect(t).toContain(`\`${speed.commit}\``);
    expect(t).toContain(speed.totalMedianMs <= 1000 ? '≤ 1000 ms: met' : '≤ 1000 ms: **not met**');
    const fast = speedMarkdownTable({ ...speed, totalMedianMs: 900, baselineMedianMs: 60, ratio: 15 });
    expect(fast).toContain('≤ 1000 ms: met');
    expect(fast).toContain('15.0×');
  });
});

/**
 * The option table (src/core/pipeline/option-table.ts) against what it feeds: the README's options
 * table, RECONSTRUCT_DEFAULTS / resolveOptions, the decoder's defaults, and the one message style.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { GLB_COMPRESSIONS } from '../../src/core/export/glb.js';
import { assignDefaults, checkOption } from '../../src/core/options.js';
import { RECONSTRUCT_DEFAULTS, resolveOptions } from '../../src/core/pipeline/defaults.js';
import { OPTION_TABLE, optionSpecs, optionsMarkdownTable, parseOptionText } from '../../src/core/pipeline/option-table.js';
import { DECODE_DEFAULTS } from '../../src/node/decode-defaults.js';
import { readmeTable } from '../../scripts/readme-table.js';

describe('option table', () => {
  it("is the README's options table (npm run docs:options writes it)", () => {
    const readme = readFileSync(join(import.meta.dirname, '..', '..', 'README.md'), 'utf8');
    expect(readmeTable(readme)).toBe(optionsMarkdownTable());
  });

  it('gives RECONSTRUCT_DEFAULTS, the decoder defaults and the GLB compressions', () => {
    expect(Object.keys(RECONSTRUCT_DEFAULTS).sort()).toEqual(optionSpecs('reconstruct').map((s) => s.name).sort());
    expect(RECONSTRUCT_DEFAULTS.detailResolution).toBe(1024);
    expect(Object.isFrozen(RECONSTRUCT_DEFAULTS)).toBe(true);
    expect(DECODE_DEFAULTS).toMatchObject({ maxPixels: 50e6, maxBytes: 256 * 1024 * 1024, maxDimension: 4096 });
    expect(OPTION_TABLE.compress.choices).toEqual(GLB_COMPRESSIONS);
  });

  it('one message style: <name> must be <expected>, got <value>.', () => {
    const msg = (f: () => unknown): string => { try { f(); return 'ok'; } catch (e) { return `${(e as { code: string }).code}: ${(e as Error).message}`; } };
    expect(msg(() => resolveOptions({ detailResolution: 99 }))).toBe('INVALID_OPTION: detailResolution must be an integer from 512 to 2048, got 99.');
    expect(msg(() => resolveOptions({ detailStrength: -1 }))).toBe('INVALID_OPTION: detailStrength must be a number from 0 to 10, got -1.');
    expect(msg(() => resolveOptions({ focalLength35mm: 1 }))).toBe('INVALID_OPTION: focalLength35mm must be a number strictly between 1 and 2000 mm, got 1.');
    expect(msg(() => resolveOptions({ model: 'x' as never }))).toBe(`INVALID_OPTION: model must be one of 'facemesh', 'ict', got "x".`);
    expect(msg(() => resolveOptions({ proxyLevels: 3, meshLevels: 2 }))).toBe('INVALID_OPTION: meshLevels must be at least proxyLevels (3), got 2.');
    expect(msg(() => parseOptionText(OPTION_TABLE.detailResolution, '4096'))).toBe('INVALID_OPTION: --detail-res must be an integer from 512 to 2048, got 4096.');
    expect(msg(() => parseOptionText(OPTION_TABLE.textureResolution, 'big'))).toBe('INVALID_OPTION: --texture-res must be an integer from 64 to 4096, got "big".');
    expect(msg(() => parseOptionText(OPTION_TABLE.formats, 'glb,fbx'))).toBe('INVALID_OPTION: --format must be a non-empty list of glb, obj, ply, got "glb,fbx".');
    expect(msg(() => parseOptionText(OPTION_TABLE.maxPixels, '0'))).toBe('INVALID_OPTION: --max-pixels must be an integer ≥ 1, got 0.');
    expect(msg(() => checkOption(OPTION_TABLE.sfs, null))).toBe('INVALID_OPTION: sfs must be an object of detail-solver options, got null.');
    expect(parseOptionText(OPTION_TABLE.formats, ' GLB, obj,glb ')).toEqual(['glb', 'obj']);
    expect(parseOptionText(OPTION_TABLE.detailStrength, '0.5')).toBe(0.5);
  });

  it('undefined never overrides a default', () => {
    expect(assignDefaults({ a: 1, b: 2 }, { a: undefined, b: 3 })).toEqual({ a: 1, b: 3 });
    const o = resolveOptions({ detailResolution: undefined, detail: undefined, model: 'ict', proxyLevels: undefined });
    expect(o).toMatchObject({ detailResolution: 1024, detail: 'dfdn', proxyLevels: 1, meshLevels: 2 });
  });
});

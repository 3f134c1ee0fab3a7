/**
 * The core's layering, checked on its import statements (static, dynamic and type-only, parsed by
 * TypeScript's `preProcessFile`): a folder of `src/core` may import its own layer and the layers
 * below it, never a higher one; and `src/core` imports no Node built-in (STYLE.md: the core is
 * isomorphic, Node and DOM live in `src/node` and `src/web`).
 *
 * A new folder under `src/core` must be given a layer in {@link LAYERS} before this test passes.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const CORE = resolve(dirname(fileURLToPath(import.meta.url)), '../../src/core');

/**
 * Layers, lowest first. `(root)` is the files directly in src/core (types, errors, options,
 * platform) except `index.ts`, the package entry, which sits above everything.
 */
const LAYERS: readonly (readonly string[])[] = [
  ['(root)'],
  ['math', 'numeric', 'cache', 'analysis'],
  ['image', 'raster', 'mesh'],
  ['model', 'camera'],
  ['lighting', 'unwrap', 'detail', 'head'],
  // eval and render serve the benchmarks (`facedetail/eval`); nothing in the pipeline uses them.
  ['export', 'rig', 'eval', 'render'],
  ['pipeline'],
];

const layerOf = new Map<string, number>(LAYERS.flatMap((names, i) => names.map((n) => [n, i] as const)));

/** The top-level unit of a src/core-relative path: its first folder, or `(root)` for a file directly in src/core. */
function unitOf(rel: string): string {
  const parts = rel.split(sep);
  return parts.length === 1 ? '(root)' : parts[0]!;
}

function coreFiles(dir = CORE): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = join(dir, e.name);
    if (e.isDirectory()) return coreFiles(p);
    return e.name.endsWith('.ts') ? [p] : [];
  });
}

interface CoreImport { from: string; spec: string; to?: string }

/** Every import of every src/core file; `to` is the target's src/core-relative path when it is inside src/core. */
function coreImports(): CoreImport[] {
  return coreFiles().flatMap((file) => {
    const from = relative(CORE, file);
    return ts.preProcessFile(readFileSync(file, 'utf8'), true, true).importedFiles.map(({ fileName: spec }) => {
      if (!spec.startsWith('.')) return { from, spec };
      const to = relative(CORE, resolve(dirname(file), spec));
      return to.startsWith('..') ? { from, spec } : { from, spec, to };
    });
  });
}

/** Imports from a lower layer into a higher one, as "from → spec (layer a imports layer b)". */
function layerViolations(imports: readonly CoreImport[]): string[] {
  const out: string[] = [];
  for (const { from, spec, to } of imports) {
    if (to === undefined || from === 'index.ts') continue;
    const a = layerOf.get(unitOf(from)), b = layerOf.get(unitOf(to));
    if (a === undefined || b === undefined) continue; // reported by the "every folder has a layer" check
    if (b > a) out.push(`${from} → ${spec} (${unitOf(from)}, layer ${a}, imports ${unitOf(to)}, layer ${b})`);
  }
  return out;
}

describe('src/core layering', () => {
  const imports = coreImports();

  it('every folder of src/core has a layer', () => {
    const units = new Set(coreFiles().map((f) => unitOf(relative(CORE, f))));
    const missing = [...units].filter((u) => !layerOf.has(u));
    expect(missing, 'add these folders to LAYERS in test/unit/layering.test.ts').toEqual([]);
  });

  it('no folder imports a higher layer', () => {
    expect(imports.length).toBeGreaterThan(100);
    expect(layerViolations(imports)).toEqual([]);
  });

  it('the check catches a lower layer importing a higher one', () => {
    const bad: CoreImport[] = [
      { from: join('model', 'x.ts'), spec: '../pipeline/types.js', to: join('pipeline', 'types.ts') },
      { from: join('pipeline', 'y.ts'), spec: '../model/face-model.js', to: join('model', 'face-model.ts') },
      { from: 'types.ts', spec: './math/vec3.js', to: join('math', 'vec3.ts') },
    ];
    expect(layerViolations(bad)).toEqual([
      `${join('model', 'x.ts')} → ../pipeline/types.js (model, layer 3, imports pipeline, layer 6)`,
      'types.ts → ./math/vec3.js ((root), layer 0, imports math, layer 1)',
    ]);
  });

  it('src/core imports no Node built-in module', () => {
    const builtins = new Set(builtinModules);
    const node = imports.filter(({ spec }) => spec.startsWith('node:') || builtins.has(spec.split('/')[0]!));
    expect(node.map(({ from, spec }) => `${from} → ${spec}`)).toEqual([]);
  });
});

/**
 * Wrinkle maps (generator v2) for DFDN training, in the pipeline's face-mesh UV layout at 1024²:
 *
 *   node --import tsx bench/synth/write-maps.ts [--count 120] [--seed-start 1] [--size 1024] [--out training/data/prep/pool_v2_train.npy]
 *
 * Writes a float32 .npy of shape (count, size, size) (displacement, mm, outward positive; 0 off
 * the face) and a .json beside it with each map's seed, age, expression and primitives. Seeds
 * must stay below 7000: 7001+ are the detail benchmark's held-out identities. The training reads
 * it with `train.py --pool-file pool_v2_train.npy`. Needs the imported ICT cache.
 */
import { mkdir, open, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { loadIctModel } from '../../src/node/model-import/load-ict.js';
import { EXPRESSION_PRESETS, synthFace, synthWrinkleMap } from './faces.js';

const args = process.argv.slice(2);
const arg = (k: string, d: string): string => { const i = args.indexOf(k); return i >= 0 && args[i + 1] ? args[i + 1]! : d; };
const count = Number(arg('--count', '120')), seed0 = Number(arg('--seed-start', '1')), size = Number(arg('--size', '1024'));
const out = arg('--out', path.join('training', 'data', 'prep', 'pool_v2_train.npy'));
const modelsDir = args.includes('--models-dir') ? arg('--models-dir', '') : undefined;
if (seed0 + count > 7001) throw new Error(`--seed-start + --count must stay ≤ 7001 (seeds 7001+ are the benchmark's held-out identities), got ${seed0}…${seed0 + count - 1}`);

/** A NumPy v1.0 header for a little-endian float32 C-order array. */
function npyHeader(shape: number[]): Buffer {
  let h = `{'descr': '<f4', 'fortran_order': False, 'shape': (${shape.join(', ')}${shape.length === 1 ? ',' : ''}), }`;
  const total = 10 + h.length + 1;
  h += ' '.repeat((64 - (total % 64)) % 64) + '\n';
  const b = Buffer.alloc(10 + h.length);
  b.write('\x93NUMPY', 0, 'latin1'); b[6] = 1; b[7] = 0; b.writeUInt16LE(h.length, 8); b.write(h, 10, 'latin1');
  return b;
}

const data = await loadIctModel(modelsDir ? { modelsDir } : {});
await mkdir(path.dirname(out), { recursive: true });
const fh = await open(out, 'w');
await fh.write(npyHeader([count, size, size]));
const meta: Array<Record<string, unknown>> = [];
const presets = Object.keys(EXPRESSION_PRESETS);
for (let i = 0; i < count; i++) {
  const seed = seed0 + i;
  const face = synthFace(data, seed, { age: 22 + ((seed * 37) % 64), preset: presets[seed % presets.length]! });
  const map = synthWrinkleMap(data, face, 'facemesh', size);
  await fh.write(Buffer.from(map.displacement.buffer, map.displacement.byteOffset, map.displacement.byteLength));
  meta.push({ seed, age: face.age, expression: face.wrinkleExpression, primitives: map.primitives.map((p) => ({ kind: p.kind, depthMm: +p.depthMm.toFixed(3), widthMm: +p.widthMm.toFixed(3), lengthMm: +p.lengthMm.toFixed(1) })) });
  if (i % 10 === 0) process.stderr.write(`${i + 1}/${count}\n`);
}
await fh.close();
await writeFile(out.replace(/\.npy$/, '.json'), JSON.stringify(meta));
process.stderr.write(`wrote ${out}\n`);

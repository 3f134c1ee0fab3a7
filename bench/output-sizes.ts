/**
 * `npm run bench:sizes`: bytes of every output file per mesh format and GLB compression, on a few
 * shared photos at the default 1024² maps, with the default face model and (when the shared ICT
 * FaceKit tarball is there) `--model ict`. Writes bench/results/output-sizes.json with the commit
 * and prints Markdown tables. PNGs are encoded natively, as the CLI does.
 *
 * "GLB textures" = the embedded albedo + residual normal PNGs, the same in every variant.
 * Variants of face.glb: `quantized` (the default: KHR_mesh_quantization), `float32` (quantize:
 * false; the hand-written writer before it was float32 with uint32 indices, 10.4 MB on
 * grace_hopper.jpg), `meshopt`, `draco`. "default total" = face.glb + the five maps +
 * result.json (what `facedetail photo.jpg -o out` writes); "all formats" adds OBJ + MTL + PLY.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { readGlb } from '../src/core/export/glb.js';
import { buildOutputFilesAsync } from '../src/core/pipeline/output-files.js';
import type { FaceReconstruction } from '../src/core/pipeline/types.js';
import { loadDracoEncoder } from '../src/node/draco-encoder.js';
import { encodePngNative } from '../src/node/encode-png.js';
import { createReconstructor, VERSION } from '../src/node/reconstructor.js';
import { ictSkipReason, importSharedIct } from '../test/fixtures/ict.js';
import { currentCommit, markdownTable, SHARED } from './common.js';

const PHOTOS = ['grace_hopper.jpg', 'obama.jpg', 'stock-emotions-a-3.jpg'];
const MB = (n: number) => (n / 1e6).toFixed(2);

interface Row { photo: string; model: string; files: Record<string, number>; glb: Record<string, number>; glbTextures: number; vertices: number; defaultTotal: number; allFormatsTotal: number }

async function sizes(face: FaceReconstruction, photo: string, model: string): Promise<Row> {
  const opts = { sourceName: photo, version: VERSION };
  const all = await buildOutputFilesAsync(face, { ...opts, formats: ['glb', 'obj', 'ply'] }, encodePngNative);
  const files = Object.fromEntries(Object.entries(all).map(([k, v]) => [k, v.byteLength]));
  const glbOnly = async (glb: Parameters<typeof buildOutputFilesAsync>[1]['glb']) => (await buildOutputFilesAsync(face, { ...opts, formats: ['glb'], ...(glb ? { glb } : {}) }, encodePngNative))['face.glb']!.byteLength;
  const glb = {
    quantized: files['face.glb']!,
    float32: await glbOnly({ quantize: false }),
    meshopt: await glbOnly({ compress: 'meshopt' }),
    draco: await glbOnly({ compress: 'draco', dracoEncoder: await loadDracoEncoder() }),
  };
  const maps = Object.entries(files).filter(([k]) => k.endsWith('.png') || k === 'result.json').reduce((s, [, v]) => s + v, 0);
  const vertices = face.detailedMesh.positions.length / 3 + (face.extraMeshes ?? []).reduce((s, e) => s + e.mesh.positions.length / 3, 0);
  const glbTextures = readGlb(all['face.glb']!).images.reduce((n, i) => n + i.bytes.byteLength, 0);
  return { photo, model, files, glb, glbTextures, vertices, defaultTotal: maps + glb.quantized, allFormatsTotal: Object.values(files).reduce((s, v) => s + v, 0) };
}

const rows: Row[] = [];
const models: { name: 'facemesh' | 'ict'; modelsDir?: string; cleanup?: () => Promise<void> }[] = [{ name: 'facemesh' }];
if (ictSkipReason) console.log(`[bench:sizes] skipping --model ict: ${ictSkipReason}`);
else { const ict = await importSharedIct('facedetail-sizes-'); models.push({ name: 'ict', modelsDir: ict.modelsDir, cleanup: ict.cleanup }); }
for (const m of models) {
  const rec = await createReconstructor({ model: m.name, ...(m.modelsDir ? { modelsDir: m.modelsDir } : {}) });
  try {
    for (const photo of PHOTOS) {
      const face = await rec.reconstruct(path.join(SHARED, 'photos', photo));
      rows.push(await sizes(face, photo, m.name));
      console.log(`[bench:sizes] ${m.name} ${photo}: ${JSON.stringify(rows.at(-1)!.glb)}`);
    }
  } finally {
    await rec.dispose();
    await m.cleanup?.();
  }
}

const mapNames = ['albedo.png', 'texture.png', 'normal.png', 'displacement.png', 'confidence.png'];
console.log('\nface.glb by variant (MB) and the folder totals\n');
console.log(markdownTable(
  ['photo', 'model', 'vertices', 'GLB textures', 'GLB quantized (default)', 'GLB float32', 'GLB meshopt', 'GLB draco', 'maps + result.json', 'default total', 'OBJ', 'PLY', 'all formats total'],
  rows.map((r) => [r.photo, r.model, r.vertices, MB(r.glbTextures), MB(r.glb['quantized']!), MB(r.glb['float32']!), MB(r.glb['meshopt']!), MB(r.glb['draco']!),
    MB(mapNames.reduce((s, n) => s + (r.files[n] ?? 0), 0) + (r.files['result.json'] ?? 0)), MB(r.defaultTotal), MB(r.files['face.obj']!), MB(r.files['face.ply']!), MB(r.allFormatsTotal)]),
));
const out = { commit: currentCommit(), date: new Date().toISOString(), mapResolution: 1024, units: 'bytes', rows };
await mkdir('bench/results', { recursive: true });
await writeFile('bench/results/output-sizes.json', JSON.stringify(out, null, 2) + '\n');
console.log('\nwrote bench/results/output-sizes.json');

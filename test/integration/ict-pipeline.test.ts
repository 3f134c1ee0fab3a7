/**
 * `model: 'ict'` end to end: a fresh ICT cache in a temp models folder (test/fixtures/ict.ts: the
 * shared FaceXModel tarball, imported as a user would), then `grace_hopper.jpg` through the
 * Node reconstructor with the ICT model: proxy fit, detail, the head extra meshes joined to the
 * detailed face, and valid GLB / OBJ / PLY files. Skipped (with the reason printed) without the
 * shared data.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
// @ts-expect-error: gltf-validator ships no type declarations
import { validateBytes } from 'gltf-validator';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readGlb } from '../../src/core/export/glb.js';
import { luminance } from '../../src/core/image/image.js';
import { readPly } from '../../src/core/export/ply.js';
import { buildOutputFiles } from '../../src/core/pipeline/output-files.js';
import { EXTRA_MESH_COLORS } from '../../src/core/head/extra-meshes.js';
import type { FaceReconstruction } from '../../src/core/pipeline/types.js';
import { createReconstructor, type Reconstructor } from '../../src/node/reconstructor.js';
import { importSharedIct, ictSkipReason, SHARED, type SharedIct } from '../fixtures/ict.js';

const PHOTO = join(SHARED, 'photos', 'grace_hopper.jpg');
const skip = ictSkipReason ?? (!existsSync(PHOTO) ? `${PHOTO} not found` : undefined);
if (skip) console.warn(`[ict-pipeline] skipped: ${skip}`);

describe.skipIf(skip !== undefined)('model: ict end to end', () => {
  let ict: SharedIct | undefined;
  let rec: Reconstructor;
  let face: FaceReconstruction;

  beforeAll(async () => {
    ict = await importSharedIct('facedetail-ict-pipeline-');
    rec = await createReconstructor({ model: 'ict', modelsDir: ict.modelsDir, textureResolution: 512, detailResolution: 512 });
    const t0 = performance.now();
    face = await rec.reconstruct(PHOTO);
    console.log(`[ict-pipeline] import ${(ict.info.ms / 1000).toFixed(1)} s, reconstruct ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  });
  afterAll(async () => {
    await rec?.dispose();
    await ict?.cleanup();
  });

  it('fits the face: finite geometry, frontal pose, small reprojection error', () => {
    expect(face.detailedMesh.positions.every(Number.isFinite)).toBe(true);
    expect(face.proxy.positions.length / 3).toBeGreaterThan(20_000); // 6,706 vertices, one level
    expect(Math.abs(face.pose.yawDeg)).toBeLessThan(20);
    expect(face.mmPerPixel).toBeGreaterThan(0.1);
    expect(face.fitStats?.model).toBe('ict');
    expect(face.fitStats!.reprojectionErrorPx).toBeGreaterThan(0);
    expect(face.fitStats!.reprojectionErrorPx).toBeLessThan(8);
    console.log(`[ict-pipeline] reprojection ${face.fitStats!.reprojectionErrorPx.toFixed(2)} px, yaw ${face.pose.yawDeg.toFixed(1)}°`);
  });

  it('exports the head around the face, joined without a gap', () => {
    const extras = face.extraMeshes ?? [];
    expect(extras.map((e) => e.name)).toEqual(['head', 'sockets', 'mouth', 'teeth', 'eyes', 'irises']);
    for (const e of extras) {
      expect(e.mesh.positions.every(Number.isFinite), e.name).toBe(true);
      expect(e.color?.every((c) => c >= 0 && c <= 1), e.name).toBe(true);
    }
    // The irises are measured in the photo (grace_hopper's eyes are open): not the fallback
    // colour, and darker than the sclera and the skin.
    const iris = extras.find((e) => e.material === 'iris')!.color!, skin = extras[0]!.color!;
    expect(iris).not.toEqual([...EXTRA_MESH_COLORS.iris]);
    const lum = (c: number[]): number => luminance(c[0]!, c[1]!, c[2]!);
    expect(lum(iris)).toBeLessThan(0.5 * lum(skin));
    // Every border vertex of the detailed face has a head / socket vertex at exactly its position.
    const key = (p: Float32Array, v: number): string => `${p[3 * v]},${p[3 * v + 1]},${p[3 * v + 2]}`;
    const shared = new Set<string>();
    for (const e of extras.slice(0, 2)) for (let v = 0; v < e.mesh.positions.length / 3; v++) shared.add(key(e.mesh.positions, v));
    const d = face.detailedMesh;
    const count = new Map<string, number>();
    for (let t = 0; t < d.indices.length; t += 3) {
      for (let c = 0; c < 3; c++) {
        const a = d.indices[t + c]!, b = d.indices[t + ((c + 1) % 3)]!;
        const k = a < b ? `${a}_${b}` : `${b}_${a}`;
        count.set(k, (count.get(k) ?? 0) + 1);
      }
    }
    const border = new Set<number>();
    for (const [k, n] of count) if (n === 1) for (const v of k.split('_')) border.add(Number(v));
    let missing = 0;
    for (const v of border) if (!shared.has(key(d.positions, v))) missing++;
    expect(border.size).toBeGreaterThan(1000);
    expect(missing).toBe(0);
  });

  it('writes a valid GLB (head nodes included), OBJ and PLY', async () => {
    const files = await buildOutputFiles(face, { formats: ['glb', 'obj', 'ply'], sourceName: 'grace_hopper.jpg', version: 'test' });
    const report = await validateBytes(files['face.glb']!);
    expect(report.issues.numErrors, JSON.stringify(report.issues.messages.slice(0, 3))).toBe(0);
    const glb = readGlb(files['face.glb']!);
    expect(glb.json.nodes?.map((n) => n.name)).toEqual(expect.arrayContaining(['face', 'head', 'teeth', 'eyes', 'irises']));
    expect(glb.json.meshes?.length).toBe(7);
    const obj = new TextDecoder().decode(files['face.obj']!);
    expect(obj).toMatch(/^o head$/m);
    expect(new TextDecoder().decode(files['face.mtl']!)).toMatch(/newmtl head\nKa 0 0 0\nKd [\d.]+ [\d.]+ [\d.]+/);
    const ply = readPly(files['face.ply']!);
    const total = face.detailedMesh.positions.length / 3 + (face.extraMeshes ?? []).reduce((k, e) => k + e.mesh.positions.length / 3, 0);
    expect(ply.mesh.positions.length / 3).toBe(total);
    console.log(`[ict-pipeline] GLB ${(files['face.glb']!.byteLength / 1e6).toFixed(1)} MB, face ${face.detailedMesh.positions.length / 3} + head ${total - face.detailedMesh.positions.length / 3} vertices`);
  });
});

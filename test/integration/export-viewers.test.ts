/**
 * The GLB as the viewers read it, on a real reconstruction (grace_hopper.jpg, default face model
 * and maps): three.js's GLTFLoader (parsed in Node on the ArrayBuffer; Node cannot decode the
 * embedded PNGs, so textures are checked by the validator and Blender), and Blender 3.4 headless
 * (scripts/blender-import-check.py; skipped with a printed reason when `blender` is absent) for
 * the default (quantised), float32, meshopt and Draco files, including the tangent frame Blender
 * computes itself (MikkTSpace) against the TANGENT the file carries and the normal map was baked
 * with. The MikkTSpace reference (the `mikktspace` package) is compared to the built-in tangents
 * on the same mesh.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
// @ts-expect-error: gltf-validator ships no type declarations
import { validateBytes } from 'gltf-validator';
import { MeshoptDecoder } from 'meshoptimizer';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readGlb } from '../../src/core/export/glb.js';
import { buildOutputFilesAsync } from '../../src/core/pipeline/output-files.js';
import type { FaceReconstruction } from '../../src/core/pipeline/types.js';
import { loadDracoEncoder } from '../../src/node/draco-encoder.js';
import { encodePngNative } from '../../src/node/encode-png.js';
import { createReconstructor } from '../../src/node/reconstructor.js';
import { mikkTSpaceTangents } from '../fixtures/mikktspace.js';

const SHARED = process.env.FACEDETAIL_SHARED ?? path.resolve('..', 'shared');
const PHOTO = path.join(SHARED, 'photos', 'grace_hopper.jpg');
const havePhoto = existsSync(PHOTO);
if (!havePhoto) console.log(`[skip] export-viewers tests: ${PHOTO} not found (set FACEDETAIL_SHARED)`);
const BLENDER = process.env.FACEDETAIL_BLENDER ?? 'blender';
const haveBlender = spawnSync(BLENDER, ['--version'], { encoding: 'utf8' }).status === 0;
if (!haveBlender) console.log(`[skip] Blender import tests: "${BLENDER}" not found (install the Debian package blender, or set FACEDETAIL_BLENDER)`);

type Variant = 'quantized' | 'float32' | 'meshopt' | 'draco';
interface BlenderImport {
  file: string; ok: boolean; error?: string; meshVertices?: number; meshFaces?: number; cameras?: number;
  normalMap?: boolean; baseColorTexture?: boolean; sceneProps?: Record<string, unknown>; tangents?: number[][];
}

/** Angle in degrees between two 3-vectors. */
function angleDeg(a: ArrayLike<number>, b: ArrayLike<number>): number {
  const d = (a[0]! * b[0]! + a[1]! * b[1]! + a[2]! * b[2]!) / (Math.hypot(a[0]!, a[1]!, a[2]!) * Math.hypot(b[0]!, b[1]!, b[2]!));
  return (Math.acos(Math.min(1, Math.max(-1, d))) * 180) / Math.PI;
}

describe.skipIf(!havePhoto)('face.glb in three.js and Blender', () => {
  let face: FaceReconstruction;
  const glb = {} as Record<Variant, Uint8Array>;
  let tmp: string;
  beforeAll(async () => {
    const rec = await createReconstructor();
    try { face = await rec.reconstruct(PHOTO); } finally { await rec.dispose(); }
    // As the CLI writes them: the native PNG encoder (the browser's pure-JS one writes larger maps).
    const build = async (o: Parameters<typeof buildOutputFilesAsync>[1]['glb']) => (await buildOutputFilesAsync(face, { formats: ['glb'], sourceName: 'grace_hopper.jpg', version: 'test', ...(o ? { glb: o } : {}) }, encodePngNative))['face.glb']!;
    glb.quantized = await build(undefined);
    glb.float32 = await build({ quantize: false });
    glb.meshopt = await build({ compress: 'meshopt' });
    glb.draco = await build({ compress: 'draco', dracoEncoder: await loadDracoEncoder() });
    tmp = await mkdtemp(path.join(tmpdir(), 'facedetail-viewers-'));
    console.log(`[export-viewers] face.glb bytes: ${Object.entries(glb).map(([k, v]) => `${k} ${v.byteLength}`).join(', ')}`);
  });
  afterAll(async () => { if (tmp) await rm(tmp, { recursive: true, force: true }); });

  it('every variant validates with no errors or warnings; the default is ≤ 6 MB with only KHR_mesh_quantization', async () => {
    for (const [name, bytes] of Object.entries(glb)) {
      const report = await validateBytes(bytes, { maxIssues: 20 });
      expect(report.issues.numErrors, `${name}: ${JSON.stringify(report.issues.messages.slice(0, 3))}`).toBe(0);
      expect(report.issues.numWarnings, name).toBe(0);
    }
    expect(glb.quantized.byteLength).toBeLessThanOrEqual(6e6);
    expect(readGlb(glb.quantized).json.extensionsUsed).toEqual(['KHR_mesh_quantization']);
    expect(glb.meshopt.byteLength).toBeLessThan(glb.quantized.byteLength);
  });

  it('three.js GLTFLoader parses the default, float32 and meshopt files with every vertex, camera and extras', async () => {
    (globalThis as { self?: unknown }).self ??= globalThis; // GLTFLoader reads self.URL for embedded images
    const { GLTFLoader } = await import('three/addons/loaders/GLTFLoader.js');
    const faceVertices = face.detailedMesh.positions.length / 3, faceTriangles = face.detailedMesh.indices.length / 3;
    for (const name of ['quantized', 'float32', 'meshopt'] as const) {
      const loader = new GLTFLoader().setMeshoptDecoder(MeshoptDecoder);
      const bytes = glb[name];
      const quiet = console.error;
      console.error = () => undefined; // "Couldn't load texture": Node has no image decoder
      let gltf: Awaited<ReturnType<InstanceType<typeof GLTFLoader>['parseAsync']>>;
      try { gltf = await loader.parseAsync(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer, ''); } finally { console.error = quiet; }
      let vertices = 0, triangles = 0, withTangents = 0;
      gltf.scene.traverse((o) => {
        const m = o as { isMesh?: boolean; geometry?: { attributes: Record<string, { count: number }>; index: { count: number } } };
        if (!m.isMesh || !m.geometry) return;
        vertices += m.geometry.attributes['position']!.count;
        triangles += m.geometry.index.count / 3;
        if (m.geometry.attributes['tangent']) withTangents++;
      });
      expect(triangles, name).toBe(faceTriangles);
      expect(vertices, name).toBeGreaterThanOrEqual(faceVertices);
      expect(vertices, name).toBeLessThan(faceVertices * 1.01); // only the uint16 cut is duplicated
      expect(withTangents, name).toBe(2);
      expect(gltf.cameras.length, name).toBe(1);
      expect(gltf.scene.userData, name).toMatchObject({ units: 'metres', source: 'grace_hopper.jpg' });
      // World-space size in metres (node dequantisation applied): the face is ~14 cm wide.
      const { Box3 } = await import('three');
      const box = new Box3().setFromObject(gltf.scene.getObjectByName('face')!);
      expect(box.max.x - box.min.x, name).toBeGreaterThan(0.1);
      expect(box.max.x - box.min.x, name).toBeLessThan(0.2);
    }
  });

  it('the built-in tangents (baked with, carried by the GLB) match the reference MikkTSpace', () => {
    const m = face.detailedMesh;
    const { tangents, stats } = mikkTSpaceTangents(m.positions, m.normals!, m.uvs!, m.indices);
    expect(stats.splitVertices).toBe(0);
    const n = m.positions.length / 3, angles: number[] = [];
    let flips = 0;
    for (let i = 0; i < n; i++) {
      angles.push(angleDeg(tangents.subarray(4 * i, 4 * i + 3), m.tangents!.subarray(4 * i, 4 * i + 3)));
      if (tangents[4 * i + 3] !== m.tangents![4 * i + 3]) flips++;
    }
    angles.sort((a, b) => a - b);
    const mean = angles.reduce((a, b) => a + b, 0) / n;
    console.log(`[export-viewers] built-in vs MikkTSpace tangents: mean ${mean.toFixed(4)}°, p99 ${angles[Math.floor(0.99 * n)]!.toFixed(4)}°, max ${angles[n - 1]!.toFixed(3)}°, handedness flips ${flips}`);
    expect(flips).toBe(0);
    expect(mean).toBeLessThan(0.05);
    expect(angles[Math.floor(0.99 * n)]!).toBeLessThan(0.2);
  });

  it.skipIf(!haveBlender)('Blender imports the default and float32 files (mesh, camera, textures, extras) and computes the same tangent frame', async () => {
    const files = {} as Record<Variant, string>;
    for (const [name, bytes] of Object.entries(glb) as [Variant, Uint8Array][]) {
      files[name] = path.join(tmp, `${name}.glb`);
      await writeFile(files[name], bytes);
    }
    const script = path.resolve('scripts', 'blender-import-check.py');
    const r = spawnSync(BLENDER, ['-b', '--factory-startup', '-noaudio', '--python', script, '--', '--tangents', '4000', ...Object.values(files)], { encoding: 'utf8', maxBuffer: 64 << 20 });
    const results = r.stdout.split('\n').filter((l) => l.startsWith('FACEDETAIL_IMPORT ')).map((l) => JSON.parse(l.slice(18)) as BlenderImport);
    expect(results.length, r.stderr.slice(-2000)).toBe(4);
    const by = Object.fromEntries(results.map((x) => [path.basename(x.file, '.glb'), x])) as Record<Variant, BlenderImport>;
    const faceTriangles = face.detailedMesh.indices.length / 3;
    for (const name of ['quantized', 'float32'] as const) {
      const x = by[name];
      expect(x.ok, `${name}: ${x.error}`).toBe(true);
      expect(x.meshFaces).toBe(faceTriangles);
      expect(x.cameras).toBe(1);
      expect(x.normalMap).toBe(true);
      expect(x.baseColorTexture).toBe(true);
      expect(x.sceneProps).toMatchObject({ units: 'metres', source: 'grace_hopper.jpg' });
    }
    // Blender 3.4's importer has no EXT_meshopt_compression; Debian's build lacks the Draco library.
    console.log(`[export-viewers] Blender: meshopt ${by.meshopt.ok ? 'ok' : `fails: ${by.meshopt.error}`}; draco ${by.draco.ok ? 'ok' : `fails: ${by.draco.error}`}`);
    if (!by.meshopt.ok) expect(by.meshopt.error).toMatch(/EXT_meshopt_compression/);

    // Blender's own MikkTSpace frame vs the TANGENT in the file, per loop, matched by position.
    const { mesh } = readGlb(glb.quantized);
    const cell = 1e-4, grid = new Map<string, number[]>();
    const key = (x: number, y: number, z: number) => `${Math.round(x / cell)},${Math.round(y / cell)},${Math.round(z / cell)}`;
    for (let i = 0; i < mesh.positions.length / 3; i++) {
      const k = key(mesh.positions[3 * i]!, mesh.positions[3 * i + 1]!, mesh.positions[3 * i + 2]!);
      (grid.get(k) ?? grid.set(k, []).get(k)!).push(i);
    }
    const angles: number[] = [];
    let flips = 0;
    for (const s of by.quantized.tangents ?? []) {
      let best = -1, bestD = Infinity;
      const [cx, cy, cz] = [s[0]! / cell, s[1]! / cell, s[2]! / cell].map(Math.round);
      for (let dx = -1; dx <= 1; dx++) for (let dy = -1; dy <= 1; dy++) for (let dz = -1; dz <= 1; dz++) {
        for (const i of grid.get(`${cx! + dx},${cy! + dy},${cz! + dz}`) ?? []) {
          const d = Math.hypot(mesh.positions[3 * i]! - s[0]!, mesh.positions[3 * i + 1]! - s[1]!, mesh.positions[3 * i + 2]! - s[2]!);
          if (d < bestD) { bestD = d; best = i; }
        }
      }
      expect(bestD).toBeLessThan(1e-6);
      angles.push(angleDeg(s.slice(3, 6), mesh.tangents!.subarray(4 * best, 4 * best + 3)));
      if (s[6] !== mesh.tangents![4 * best + 3]) flips++;
    }
    angles.sort((a, b) => a - b);
    const n = angles.length, mean = angles.reduce((a, b) => a + b, 0) / n;
    console.log(`[export-viewers] Blender MikkTSpace vs the file's TANGENT (${n} loops): mean ${mean.toFixed(3)}°, p99 ${angles[Math.floor(0.99 * n)]!.toFixed(3)}°, max ${angles[n - 1]!.toFixed(3)}°, handedness flips ${flips}`);
    expect(n).toBeGreaterThan(3000);
    expect(flips).toBe(0);
    expect(mean).toBeLessThan(0.5); // int8 normals and tangents: ≤ 0.45° per component step
    expect(angles[Math.floor(0.99 * n)]!).toBeLessThan(2);
  });
});

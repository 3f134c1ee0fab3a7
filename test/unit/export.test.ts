import { describe, expect, it } from 'vitest';
// @ts-expect-error -- gltf-validator ships no type declarations (validateBytes: (bytes, options) => Promise<report>)
import { validateBytes } from 'gltf-validator';
import { FaceDetailError } from '../../src/core/errors.js';
import type { Image, Mesh } from '../../src/core/types.js';
import { decodePng, encodePng, readGlb, readPly, writeGlb, writeObj, writePly } from '../../src/core/export/index.js';

// ---------------------------------------------------------------------------------------------
// Fixtures

/**
 * A UV-mapped, gently curved patch of (nx+1)×(ny+1) vertices, `size` wide, in the glTF frame
 * (+Y up, +Z toward the viewer), UV v pointing down, CCW triangles seen from +Z, with analytic
 * unit normals and tangents along +u (w = +1: cross(n, t) points up the image, toward −v).
 */
function patch(nx: number, ny: number, size = 0.2): Required<Mesh> {
  const n = (nx + 1) * (ny + 1);
  const positions = new Float32Array(3 * n), normals = new Float32Array(3 * n);
  const uvs = new Float32Array(2 * n), tangents = new Float32Array(4 * n);
  const A = 0.1 * size, k = 2 * Math.PI / size;
  for (let j = 0; j <= ny; j++) {
    for (let i = 0; i <= nx; i++) {
      const q = j * (nx + 1) + i;
      const u = i / nx, v = j / ny;
      const x = (u - 0.5) * size, y = (0.5 - v) * size;
      const z = A * Math.cos(k * x) * Math.cos(0.5 * k * y);
      const hx = -A * k * Math.sin(k * x) * Math.cos(0.5 * k * y);
      const hy = -A * 0.5 * k * Math.cos(k * x) * Math.sin(0.5 * k * y);
      positions.set([x, y, z], 3 * q);
      uvs.set([u, v], 2 * q);
      let nl = Math.hypot(hx, hy, 1);
      const N = [-hx / nl, -hy / nl, 1 / nl] as const;
      normals.set(N, 3 * q);
      // Tangent: d(position)/du projected off the normal.
      let tx = 1, ty = 0, tz = hx;
      const d = tx * N[0] + ty * N[1] + tz * N[2];
      tx -= d * N[0]; ty -= d * N[1]; tz -= d * N[2];
      nl = Math.hypot(tx, ty, tz);
      tangents.set([tx / nl, ty / nl, tz / nl, 1], 4 * q);
    }
  }
  const indices = new Uint32Array(6 * nx * ny);
  let o = 0;
  for (let j = 0; j < ny; j++) {
    for (let i = 0; i < nx; i++) {
      const a = j * (nx + 1) + i, b = a + 1, c = a + nx + 1, dd = c + 1;
      indices.set([a, c, b, b, c, dd], o);
      o += 6;
    }
  }
  return { positions, normals, uvs, tangents, indices };
}

function solidImage(w: number, h: number, rgb: number[]): Image {
  const data = new Float32Array(w * h * rgb.length);
  for (let p = 0; p < w * h; p++) data.set(rgb, p * rgb.length);
  return { width: w, height: h, channels: rgb.length, data };
}

/** A deterministic pseudo-random sequence in [0, 1). */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32);
}

interface ValidatorIssue { code: string; message: string; severity: number; pointer?: string }
interface ValidatorReport { issues: { numErrors: number; numWarnings: number; numInfos: number; numHints: number; messages: ValidatorIssue[] } }

async function validate(glb: Uint8Array): Promise<ValidatorReport> {
  return (await validateBytes(glb, { maxIssues: 0, writeTimestamp: false })) as ValidatorReport;
}

/** Expect a FaceDetailError with `code` whose message mentions every string in `mentions`. */
function expectError(f: () => unknown, code: string, ...mentions: string[]): void {
  let caught: unknown;
  try { f(); } catch (e) { caught = e; }
  expect(caught, 'expected a throw').toBeInstanceOf(FaceDetailError);
  const e = caught as FaceDetailError;
  expect(e.code).toBe(code);
  for (const m of mentions) expect(e.message).toContain(m);
}

/** As {@link expectError} for a function returning a promise that must reject. */
async function expectReject(f: () => Promise<unknown>, code: string, ...mentions: string[]): Promise<void> {
  let caught: unknown;
  try { await f(); } catch (e) { caught = e; }
  expect(caught, 'expected a rejection').toBeInstanceOf(FaceDetailError);
  const e = caught as FaceDetailError;
  expect(e.code).toBe(code);
  for (const m of mentions) expect(e.message).toContain(m);
}

/** Largest |a[i] − b[i]| and where, for readable failures. */
function worst(a: ArrayLike<number>, b: ArrayLike<number>): { err: number; at: number } {
  expect(a.length).toBe(b.length);
  let err = 0, at = -1;
  for (let i = 0; i < a.length; i++) {
    const d = Math.abs(a[i]! - b[i]!);
    if (!(d <= err)) { err = d; at = i; }
  }
  return { err, at };
}

function bitsEqual(a: Float32Array | Uint32Array, b: Float32Array | Uint32Array): boolean {
  const x = new Uint8Array(a.buffer, a.byteOffset, a.byteLength), y = new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
  return x.length === y.length && x.every((v, i) => v === y[i]);
}

// ---------------------------------------------------------------------------------------------
// PNG

describe('encodePng / decodePng', () => {
  it('round-trips 8-bit RGB exactly on the 1/255 grid and within half a step elsewhere', () => {
    const r = rng(1);
    const w = 13, h = 7;
    const grid = new Float32Array(w * h * 3).map(() => Math.floor(r() * 256) / 255);
    const img: Image = { width: w, height: h, channels: 3, data: grid };
    const back = decodePng(encodePng(img));
    expect(back.bitDepth).toBe(8);
    expect(back.image.channels).toBe(3);
    expect([back.image.width, back.image.height]).toEqual([w, h]);
    expect(worst(back.image.data, grid).err).toBeLessThanOrEqual(1e-7);

    const any = new Float32Array(w * h * 3).map(() => r());
    const back2 = decodePng(encodePng({ ...img, data: any }));
    expect(worst(back2.image.data, any).err).toBeLessThanOrEqual(0.5 / 255 + 1e-7);
  });

  it('round-trips 16-bit gray exactly to 1/65535 and returns tEXt chunks', () => {
    const r = rng(2);
    const w = 31, h = 17;
    const codes = Uint16Array.from({ length: w * h }, () => Math.floor(r() * 65536));
    codes[0] = 0; codes[1] = 65535;
    const data = Float32Array.from(codes, (c) => c / 65535);
    const text = { 'facedetail:scale_mm': '2.5', 'facedetail:offset_mm': '-1.25', Comment: 'height_mm = offset_mm + scale_mm * sample' };
    const png = encodePng({ width: w, height: h, channels: 1, data }, { bitDepth: 16, text });
    const back = decodePng(png);
    expect(back.bitDepth).toBe(16);
    expect(back.image.channels).toBe(1);
    expect(back.text).toEqual(text);
    for (let i = 0; i < codes.length; i++) {
      if (Math.round(back.image.data[i]! * 65535) !== codes[i]) throw new Error(`sample ${i}: ${back.image.data[i]} vs code ${codes[i]}`);
    }
    expect(worst(back.image.data, data).err).toBeLessThanOrEqual(0.5 / 65535);
  });

  it('round-trips gray+alpha and RGBA, rounds and clamps out-of-range samples', () => {
    const img: Image = { width: 2, height: 1, channels: 4, data: new Float32Array([-0.5, 0.5, 1.7, 1, 0.25, 0.75, 0, 0.001]) };
    const back = decodePng(encodePng(img)).image;
    expect(Array.from(back.data, (v) => Math.round(v * 255))).toEqual([0, 128, 255, 255, 64, 191, 0, 0]);
    const ga: Image = { width: 1, height: 2, channels: 2, data: new Float32Array([0.2, 1, 0.6, 0]) };
    const back2 = decodePng(encodePng(ga, { bitDepth: 16 }));
    expect(back2.image.channels).toBe(2);
    expect(worst(back2.image.data, ga.data).err).toBeLessThanOrEqual(0.5 / 65535);
  });

  it('rejects bad images, options and bytes with typed errors', () => {
    const ok = solidImage(2, 2, [0.5]);
    expectError(() => encodePng({ ...ok, data: new Float32Array(3) }), 'INVALID_OPTION', 'img.data', '4');
    expectError(() => encodePng({ ...ok, channels: 5, data: new Float32Array(20) }), 'INVALID_OPTION', 'img.channels');
    expectError(() => encodePng({ ...ok, data: new Float32Array([0, NaN, 0, 0]) }), 'INVALID_OPTION', 'img.data[1]', 'NaN');
    expectError(() => encodePng(ok, { bitDepth: 12 as 8 }), 'INVALID_OPTION', 'options.bitDepth');
    expectError(() => encodePng(ok, { text: { ['x'.repeat(80)]: 'v' } }), 'INVALID_OPTION', 'options.text', '79');
    expectError(() => encodePng(ok, { text: { 'a\u0001b': 'v' } }), 'INVALID_OPTION', 'options.text');
    expectError(() => encodePng(ok, { text: { key: 'snow ☃' } }), 'INVALID_OPTION', 'options.text["key"]', 'Latin-1');
    expectError(() => decodePng(new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8, 9])), 'CORRUPT_IMAGE');
  });
});

// ---------------------------------------------------------------------------------------------
// GLB

describe('writeGlb', () => {
  const albedo = encodePng(solidImage(16, 16, [0.8, 0.6, 0.5]));
  const normalMap = encodePng(solidImage(16, 16, [0.5, 0.5, 1]));
  const FLOAT32 = { quantize: false } as const;

  it('writes a minimal mesh (positions + indices only) that validates with no errors or warnings', async () => {
    const p = patch(4, 3);
    for (const options of [FLOAT32, {}]) {
      const glb = await writeGlb({ mesh: { positions: p.positions, indices: p.indices } }, options);
      const report = await validate(glb);
      expect(report.issues.messages.filter((m) => m.severity <= 1)).toEqual([]);
      expect(report.issues.numErrors).toBe(0);
      expect(report.issues.numWarnings).toBe(0);
      expect(glb.length % 4).toBe(0);
    }
  });

  it('writes the full asset (textures, tangents, camera, extras) with no errors, warnings or infos', async () => {
    const mesh = patch(8, 6);
    const glb = await writeGlb({
      mesh,
      meshName: 'face mesh',
      nodeName: 'face node',
      baseColorPng: albedo,
      normalPng: normalMap,
      normalScale: 0.8,
      material: { name: 'skin', roughnessFactor: 0.6 },
      camera: { name: 'photo', yfov: 0.7, aspectRatio: 0.75, znear: 0.01, zfar: 10, translation: [0, 0, 0.5], rotation: [0, 0.6, 0, 0.8] },
      generator: 'facedetail 0.1.0',
      copyright: 'test',
      extras: { facedetail: { version: '0.1.0', focalSource: 'exif', fx: 1234.5 } },
    }, FLOAT32);
    const report = await validate(glb);
    expect(report.issues.messages).toEqual([]);

    const { json, mesh: back, images } = readGlb(glb);
    expect(json.asset).toEqual({ version: '2.0', generator: 'facedetail 0.1.0', copyright: 'test' });
    expect(json.extensionsUsed).toBeUndefined();
    expect(json.scenes?.[0]?.extras).toEqual({ facedetail: { version: '0.1.0', focalSource: 'exif', fx: 1234.5 } });
    expect(json.scenes?.[0]?.nodes).toEqual([0, 1]);
    expect(json.nodes?.[0]).toEqual({ name: 'face node', mesh: 0 });
    expect(json.nodes?.[1]).toEqual({ name: 'photo', camera: 0, translation: [0, 0, 0.5], rotation: [0, 0.6, 0, 0.8] });
    expect(json.cameras?.[0]).toEqual({ type: 'perspective', name: 'photo', perspective: { yfov: 0.7, znear: 0.01, zfar: 10, aspectRatio: 0.75 } });
    expect(json.meshes?.[0]?.name).toBe('face mesh');
    expect(json.materials?.[0]).toEqual({
      name: 'skin',
      pbrMetallicRoughness: { baseColorTexture: { index: 0 }, metallicFactor: 0, roughnessFactor: 0.6 },
      normalTexture: { index: 1, scale: 0.8 },
    });
    expect(json.samplers).toEqual([{ magFilter: 9729, minFilter: 9987, wrapS: 33071, wrapT: 33071 }]);
    expect(json.images?.map((i) => i.mimeType)).toEqual(['image/png', 'image/png']);
    // uint16 indices
    expect(json.accessors?.[json.meshes![0]!.primitives[0]!.indices!]?.componentType).toBe(5123);
    // bit-exact arrays and embedded images
    expect(bitsEqual(back.positions, mesh.positions)).toBe(true);
    expect(bitsEqual(back.normals!, mesh.normals)).toBe(true);
    expect(bitsEqual(back.uvs!, mesh.uvs)).toBe(true);
    expect(bitsEqual(back.tangents!, mesh.tangents)).toBe(true);
    expect(bitsEqual(back.indices, mesh.indices)).toBe(true);
    expect(images.map((i) => i.bytes)).toEqual([albedo, normalMap]);
    // every bufferView 4-byte aligned; POSITION bounds match the data
    for (const v of json.bufferViews ?? []) expect((v.byteOffset ?? 0) % 4).toBe(0);
    const posAcc = json.accessors![json.meshes![0]!.primitives[0]!.attributes.POSITION!]!;
    const xs = Array.from(mesh.positions.filter((_, i) => i % 3 === 0));
    expect(posAcc.min?.[0]).toBe(Math.min(...xs));
    expect(posAcc.max?.[0]).toBe(Math.max(...xs));
  });

  it('quantises by default (KHR_mesh_quantization): int16 positions within half a grid step, int8 normals, uint16 UVs; validates clean', async () => {
    const mesh = patch(40, 30, 0.2);
    const input = { mesh, baseColorPng: albedo, normalPng: normalMap, camera: { yfov: 0.7, znear: 0.01 }, extras: { units: 'metres' } };
    const glb = await writeGlb(input);
    const report = await validate(glb);
    expect(report.issues.messages).toEqual([]);
    const { json, mesh: back } = readGlb(glb);
    expect(json.extensionsUsed).toEqual(['KHR_mesh_quantization']);
    expect(json.extensionsRequired).toEqual(['KHR_mesh_quantization']);
    const attrs = json.meshes![0]!.primitives[0]!.attributes;
    const type = (k: string): [number, boolean | undefined] => { const a = json.accessors![attrs[k]!]!; return [a.componentType, a.normalized]; };
    expect(type('POSITION')).toEqual([5122, true]);
    expect(type('NORMAL')).toEqual([5120, true]);
    expect(type('TANGENT')).toEqual([5120, true]);
    expect(type('TEXCOORD_0')).toEqual([5123, true]);
    // Dequantised through the node's translation + uniform scale: back in metres.
    const node = json.nodes![0]!;
    expect(node.scale?.[0]).toBeCloseTo(0.1, 2); // half the 0.2 m extent
    const step = node.scale![0]! / 32767;
    expect(worst(back.positions, mesh.positions).err).toBeLessThanOrEqual(0.51 * step + 1e-9);
    expect(worst(back.normals!, mesh.normals).err).toBeLessThan(0.5 / 127 + 1e-6);
    expect(worst(back.tangents!, mesh.tangents).err).toBeLessThan(0.5 / 127 + 1e-6);
    expect(worst(back.uvs!, mesh.uvs).err).toBeLessThan(0.5 / 65535 + 1e-9);
    expect(Array.from(back.indices)).toEqual(Array.from(mesh.indices));
    // 20 bytes per vertex instead of 48: the quantised file is much smaller than the float one.
    const float = await writeGlb(input, FLOAT32);
    expect(glb.length).toBeLessThan(0.55 * float.length);
  });

  it('splits a mesh above 65535 vertices into uint16 primitives along a plane, copying only the cut vertices', async () => {
    const mesh = patch(300, 220); // 66 521 vertices, 132 000 triangles
    const glb = await writeGlb({ mesh: { positions: mesh.positions, normals: mesh.normals, uvs: mesh.uvs, indices: mesh.indices }, baseColorPng: albedo, textureWrap: 'repeat' }, FLOAT32);
    const report = await validate(glb);
    expect(report.issues.numErrors).toBe(0);
    expect(report.issues.numWarnings).toBe(0);
    const { json, mesh: back } = readGlb(glb);
    const prims = json.meshes![0]!.primitives;
    expect(prims.length).toBe(2);
    for (const p of prims) {
      expect(json.accessors![p.indices!]!.componentType).toBe(5123);
      expect(json.accessors![p.attributes.POSITION!]!.count).toBeLessThanOrEqual(65535);
    }
    expect(json.samplers?.[0]?.wrapS).toBe(10497);
    // The cut runs across the grid along x (the longest axis): at most two columns of 221 copies.
    const copies = back.positions.length / 3 - 66521;
    expect(copies).toBeGreaterThanOrEqual(221);
    expect(copies).toBeLessThanOrEqual(2 * 221);
    // Same triangles (as position triples), in some order.
    const tris = (m: Mesh): string[] => {
      const out: string[] = [];
      for (let t = 0; t < m.indices.length; t += 3) out.push([0, 1, 2].map((c) => Array.from(m.positions.subarray(3 * m.indices[t + c]!, 3 * m.indices[t + c]! + 3)).join(',')).join(' '));
      return out.sort();
    };
    expect(tris(back)).toEqual(tris(mesh));
  });

  it('writes 65535 vertices as one uint16 primitive (max index 65534, below the restart value)', async () => {
    const n = 65535;
    const positions = new Float32Array(3 * n);
    for (let i = 0; i < n; i++) positions.set([i % 256, Math.floor(i / 256), (i % 7) * 0.1], 3 * i);
    const indices = new Uint32Array([0, 1, 256, n - 3, n - 2, n - 1]);
    const glb = await writeGlb({ mesh: { positions, indices } }, FLOAT32);
    const { json, mesh: back } = readGlb(glb);
    expect(json.meshes![0]!.primitives.length).toBe(1);
    expect(json.accessors?.[json.meshes![0]!.primitives[0]!.indices!]?.componentType).toBe(5123);
    expect(Array.from(back.indices)).toEqual(Array.from(indices));
    const report = await validate(glb);
    expect(report.issues.numErrors).toBe(0);
  });

  it('quantises the face and the extra meshes on one grid, so shared border vertices stay identical', async () => {
    const face = patch(10, 10, 0.1);
    // A "head" sharing the face's first row of vertices, three times larger.
    const head = patch(10, 10, 0.3);
    head.positions.set(face.positions.subarray(0, 33), 0);
    const glb = await writeGlb({ mesh: face, extraMeshes: [{ name: 'head', mesh: head, color: [0.6, 0.4, 0.3] }] });
    expect((await validate(glb)).issues.numErrors).toBe(0);
    const { json } = readGlb(glb);
    expect(json.nodes?.map((n) => n.name)).toEqual(['face', 'head']);
    expect(json.nodes?.[0]?.scale).toEqual(json.nodes?.[1]?.scale);
    expect(json.nodes?.[0]?.translation).toEqual(json.nodes?.[1]?.translation);
    expect(json.materials?.[1]).toMatchObject({ name: 'head', pbrMetallicRoughness: { baseColorFactor: [0.6, 0.4, 0.3, 1], metallicFactor: 0, roughnessFactor: 0.6 } });
    expect(Object.keys(json.meshes![1]!.primitives[0]!.attributes).sort()).toEqual(['NORMAL', 'POSITION']);
  });

  it('writes an extra mesh with its own base-colour texture (UVs kept, white factor), valid; a texture without UVs is refused', async () => {
    const face = patch(10, 10, 0.1), head = patch(10, 10, 0.3);
    const tex: Image = { width: 8, height: 4, channels: 3, data: new Float32Array(8 * 4 * 3).fill(0.5) };
    const png = encodePng(tex);
    const glb = await writeGlb({ mesh: face, extraMeshes: [{ name: 'head', mesh: head, color: [0.6, 0.4, 0.3], baseColorPng: png }] });
    const report = await validate(glb);
    expect(report.issues.numErrors, JSON.stringify(report.issues.messages.slice(0, 3))).toBe(0);
    const { json, images } = readGlb(glb);
    const material = json.materials![json.meshes![1]!.primitives[0]!.material!]!;
    expect(material).toMatchObject({ name: 'head', pbrMetallicRoughness: { baseColorTexture: { index: 0 } } });
    expect(Object.keys(json.meshes![1]!.primitives[0]!.attributes).sort()).toEqual(['NORMAL', 'POSITION', 'TEXCOORD_0']);
    expect(decodePng(images[json.textures![0]!.source!]!.bytes).image.width).toBe(8);
    const { uvs: _uvs, ...bare } = head;
    await expectReject(() => writeGlb({ mesh: face, extraMeshes: [{ name: 'head', mesh: bare, color: [0.6, 0.4, 0.3], baseColorPng: png }] }), 'INVALID_OPTION', 'input.extraMeshes[0].mesh.uvs is required');
  });

  it('compresses with meshopt (isomorphic encoder) and Draco (injected encoder), both valid and smaller', async () => {
    const mesh = patch(120, 90, 0.2);
    const input = { mesh, normalPng: normalMap, camera: { yfov: 0.7, znear: 0.01 } };
    const plain = await writeGlb(input);
    const mo = await writeGlb(input, { compress: 'meshopt' });
    const dracoEncoder = await (await import('draco3dgltf')).default.createEncoderModule();
    const dr = await writeGlb(input, { compress: 'draco', dracoEncoder });
    for (const [glb, ext] of [[mo, 'EXT_meshopt_compression'], [dr, 'KHR_draco_mesh_compression']] as const) {
      const report = await validate(glb);
      expect(report.issues.numErrors).toBe(0);
      expect(report.issues.numWarnings).toBe(0);
      expect(glb.length).toBeLessThan(0.6 * plain.length);
      expectError(() => readGlb(glb), 'INVALID_OPTION', 'compressed', ext);
    }
    await expectReject(() => writeGlb(input, { compress: 'draco' }), 'DEPENDENCY_MISSING', 'draco3dgltf');
    await expectReject(() => writeGlb(input, { compress: 'zip' as 'none' }), 'INVALID_OPTION', 'options.compress', "'meshopt'");
  });

  it('reports only the expected validator notes for partial inputs', async () => {
    const m = patch(3, 2);
    // Normal map without tangents: valid, but viewers must generate tangents (one warning).
    let report = await validate(await writeGlb({ mesh: { positions: m.positions, normals: m.normals, uvs: m.uvs, indices: m.indices }, normalPng: normalMap }, FLOAT32));
    expect(report.issues.numErrors).toBe(0);
    expect(report.issues.messages.map((x) => x.code)).toEqual(['MESH_PRIMITIVE_GENERATED_TANGENT_SPACE']);
    // Tangents without a normal map, UVs without a texture: infos only.
    report = await validate(await writeGlb({ mesh: m }, FLOAT32));
    expect(report.issues.numErrors + report.issues.numWarnings).toBe(0);
    expect(report.issues.messages.map((x) => x.code).sort()).toEqual(['UNUSED_MESH_TANGENT', 'UNUSED_OBJECT']);
    // Camera without optional fields.
    report = await validate(await writeGlb({ mesh: { positions: m.positions, indices: m.indices }, camera: { yfov: 0.5, znear: 0.05 } }, FLOAT32));
    expect(report.issues.messages).toEqual([]);
  });

  it('renormalises slightly-off normals instead of writing invalid ones', async () => {
    const mesh = patch(3, 3);
    const normals = mesh.normals.map((v) => v * 1.01);
    const glb = await writeGlb({ mesh: { positions: mesh.positions, normals, indices: mesh.indices } }, FLOAT32);
    expect((await validate(glb)).issues.numErrors).toBe(0);
    const back = readGlb(glb).mesh.normals!;
    expect(worst(back, mesh.normals).err).toBeLessThan(1e-6);
    expect(normals[2]).toBeCloseTo(mesh.normals[2]! * 1.01, 6); // the input is not modified
  });

  it('rejects invalid input with INVALID_OPTION naming the parameter', async () => {
    const m = patch(2, 2);
    const rejects = (input: Parameters<typeof writeGlb>[0], ...mentions: string[]) => expectReject(() => writeGlb(input), 'INVALID_OPTION', ...mentions);
    await rejects({ mesh: { ...m, normals: new Float32Array(5) } }, 'input.mesh.normals', '27');
    await rejects({ mesh: { ...m, uvs: m.uvs.subarray(2) } }, 'input.mesh.uvs');
    const nanPos = m.positions.slice(); nanPos[4] = NaN;
    await rejects({ mesh: { ...m, positions: nanPos } }, 'input.mesh.positions[4]');
    const badIdx = m.indices.slice(); badIdx[5] = 9;
    await rejects({ mesh: { ...m, indices: badIdx } }, 'input.mesh.indices[5]', 'out of range');
    await rejects({ mesh: { ...m, indices: m.indices.subarray(1) } }, 'input.mesh.indices');
    const badW = m.tangents.slice(); badW[3] = 0;
    await rejects({ mesh: { ...m, tangents: badW } }, 'input.mesh.tangents[3]');
    await rejects({ mesh: { positions: m.positions, indices: m.indices }, baseColorPng: albedo }, 'input.mesh.uvs');
    await rejects({ mesh: { positions: m.positions, tangents: m.tangents, indices: m.indices } }, 'input.mesh.tangents', 'input.mesh.normals');
    await rejects({ mesh: m, normalPng: new Uint8Array(10) }, 'input.normalPng');
    await rejects({ mesh: m, camera: { yfov: 4, znear: 0.1 } }, 'input.camera.yfov');
    await rejects({ mesh: m, camera: { yfov: 1, znear: 0.1, zfar: 0.05 } }, 'input.camera.zfar');
    await rejects({ mesh: m, camera: { yfov: 1, znear: 0.1, rotation: [0, 0, 0, 2] } }, 'input.camera.rotation');
    await rejects({ mesh: m, material: { roughnessFactor: 1.5 } }, 'input.material.roughnessFactor');
    await rejects({ mesh: m, extras: { a: NaN } }, 'input.extras');
    await rejects({ mesh: { ...m, positions: Array.from(m.positions) as unknown as Float32Array } }, 'input.mesh.positions', 'Float32Array');
    await expectReject(() => writeGlb({ mesh: m }, { positionBits: 20 }), 'INVALID_OPTION', 'options.positionBits');
    expectError(() => readGlb(new Uint8Array(40)), 'INVALID_OPTION', 'bytes');
  });
});

// ---------------------------------------------------------------------------------------------
// OBJ

interface ParsedObj { v: number[]; vt: number[]; vn: number[]; f: string[][]; mtllib?: string; usemtl?: string }

function parseObj(text: string): ParsedObj {
  const out: ParsedObj = { v: [], vt: [], vn: [], f: [] };
  for (const line of text.split('\n')) {
    const t = line.trim().split(/\s+/);
    switch (t[0]) {
      case 'v': out.v.push(...t.slice(1).map(Number)); break;
      case 'vt': out.vt.push(...t.slice(1).map(Number)); break;
      case 'vn': out.vn.push(...t.slice(1).map(Number)); break;
      case 'f': out.f.push(t.slice(1)); break;
      case 'mtllib': out.mtllib = line.slice(7); break;
      case 'usemtl': out.usemtl = t[1]; break;
    }
  }
  return out;
}

describe('writeObj', () => {
  it('writes a textured extra mesh with its own vt lines (indices after the face\'s) and map_Kd', () => {
    const face = patch(1, 1, 0.1), head = patch(1, 1, 0.3);
    const { obj, mtl } = writeObj(face, {
      mtlFileName: 'face.mtl', materialName: 'face', diffuseMap: 'albedo.png',
      extraMeshes: [{ name: 'head', mesh: head, color: [0.6, 0.4, 0.3], diffuseMap: 'head_albedo.png' }, { name: 'teeth', mesh: head, color: [0.7, 0.7, 0.6] }],
    });
    expect(obj.match(/^vt /gm)).toHaveLength(8); // 4 face + 4 head, none for the teeth
    const headFaces = obj.split('o head\n')[1]!.split('o teeth\n')[0]!.match(/^f .*$/gm)!;
    expect(headFaces[0]).toMatch(/^f [5-8]\/[5-8]\/[5-8] [5-8]\/[5-8]\/[5-8] [5-8]\/[5-8]\/[5-8]$/);
    expect(obj.split('o teeth\n')[1]!.match(/^f .*$/m)![0]).toMatch(/^f 9\/\/9|^f \d+\/\/\d+/);
    expect(mtl).toMatch(/newmtl head\nKa 0 0 0\nKd 1 1 1\n[\s\S]*?map_Kd head_albedo.png/);
    expect(mtl).toMatch(/newmtl teeth\nKa 0 0 0\nKd 0.7000 0.7000 0.6000/);
  });

  it('round-trips positions, flipped UVs, normals and 1-based faces', () => {
    const m = patch(6, 5, 200); // millimetres
    const { obj, mtl } = writeObj(m, {
      mtlFileName: 'my face.mtl', materialName: 'skin', diffuseMap: 'face_albedo.png', normalMap: 'face_normal.png', comment: 'facedetail test\nunits: mm',
    });
    expect(obj.startsWith('# facedetail test\n# units: mm\n')).toBe(true);
    const p = parseObj(obj);
    expect(p.mtllib).toBe('my face.mtl');
    expect(p.usemtl).toBe('skin');
    expect(worst(p.v, m.positions).err).toBeLessThanOrEqual(5e-6 + 1e-5); // 5 decimals + float32 of ~100 mm
    expect(worst(p.vn, m.normals).err).toBeLessThanOrEqual(5e-6 + 1e-7);
    const vFlip = Array.from(m.uvs, (x, i) => (i % 2 ? 1 - x : x));
    expect(worst(p.vt, vFlip).err).toBeLessThanOrEqual(5e-7 + 1e-7);
    // vertex 0 has stored v = 0 (top of the texture) → OBJ v = 1
    expect(p.vt.slice(0, 2)).toEqual([0, 1]);
    expect(p.f.length).toBe(m.indices.length / 3);
    const flat: number[] = [];
    for (const face of p.f) {
      expect(face.length).toBe(3);
      for (const c of face) {
        const [a, b, cc] = c.split('/').map(Number);
        expect(a).toBe(b);
        expect(a).toBe(cc);
        flat.push(a! - 1);
      }
    }
    expect(flat).toEqual(Array.from(m.indices));
    expect(Math.min(...flat.map((x) => x + 1))).toBe(1);
    expect(mtl).toContain('newmtl skin');
    expect(mtl).toContain('Kd 1 1 1');
    expect(mtl).toContain('map_Kd face_albedo.png');
    expect(mtl).toContain('norm face_normal.png');
    expect(mtl).toContain('map_Bump -bm 1 face_normal.png');
  });

  it('writes the face format matching the attributes present and honours normalMapKeywords', () => {
    const m = patch(1, 1, 10);
    expect(parseObj(writeObj({ positions: m.positions, indices: m.indices }, { mtlFileName: 'a.mtl', materialName: 'm' }).obj).f[0]).toEqual(['1', '3', '2']);
    expect(parseObj(writeObj({ positions: m.positions, normals: m.normals, indices: m.indices }, { mtlFileName: 'a.mtl', materialName: 'm' }).obj).f[0]).toEqual(['1//1', '3//3', '2//2']);
    expect(parseObj(writeObj({ positions: m.positions, uvs: m.uvs, indices: m.indices }, { mtlFileName: 'a.mtl', materialName: 'm' }).obj).f[0]).toEqual(['1/1', '3/3', '2/2']);
    const { mtl } = writeObj(m, { mtlFileName: 'a.mtl', materialName: 'm', normalMap: 'n.png', normalMapKeywords: 'map_Bump' });
    expect(mtl).not.toContain('norm ');
    expect(mtl).toContain('map_Bump -bm 1 n.png');
  });

  it('formats numbers compactly: 5 decimals for positions/normals, 6 for UVs, no trailing zeros', () => {
    const positions = new Float32Array([-0.000004, 12.5, 1 / 3, -1.000005, 100, -0.5, 0.00001, -250.123456, 0]);
    const uvs = new Float32Array([0.25, 0.75, 1 / 3, 0, 1, 1]);
    const { obj } = writeObj({ positions, uvs, indices: new Uint32Array([0, 1, 2]) }, { mtlFileName: 'a.mtl', materialName: 'm' });
    const lines = obj.split('\n');
    expect(lines.filter((l) => l.startsWith('v '))).toEqual(['v 0 12.5 0.33333', 'v -1.00001 100 -0.5', 'v 0.00001 -250.12346 0']);
    expect(lines.filter((l) => l.startsWith('vt '))).toEqual(['vt 0.25 0.25', 'vt 0.333333 1', 'vt 1 0']);
  });

  it('handles a 115k-vertex mesh (compact numbers, no exponent notation)', () => {
    const m = patch(400, 287, 200); // 115 538 vertices, mm
    const { obj } = writeObj(m, { mtlFileName: 'a.mtl', materialName: 'm' });
    const lines = obj.split('\n');
    expect(lines.filter((l) => l.startsWith('v ')).length).toBe(m.positions.length / 3);
    expect(lines.filter((l) => l.startsWith('f ')).length).toBe(m.indices.length / 3);
    expect(/e[+-]?\d/.test(obj)).toBe(false);
    const longest = lines.reduce((mx, l) => (l.startsWith('v ') ? Math.max(mx, l.length) : mx), 0);
    expect(longest).toBeLessThanOrEqual(2 + 3 * 11);
  });

  it('rejects invalid input', () => {
    const m = patch(2, 2);
    const nan = m.normals.slice(); nan[0] = NaN;
    expectError(() => writeObj({ ...m, normals: nan }, { mtlFileName: 'a.mtl', materialName: 'm' }), 'INVALID_OPTION', 'mesh.normals[0]');
    const bad = m.indices.slice(); bad[0] = 100;
    expectError(() => writeObj({ ...m, indices: bad }, { mtlFileName: 'a.mtl', materialName: 'm' }), 'INVALID_OPTION', 'mesh.indices[0]');
    expectError(() => writeObj(m, { mtlFileName: 'a\n.mtl', materialName: 'm' }), 'INVALID_OPTION', 'options.mtlFileName');
    expectError(() => writeObj(m, { mtlFileName: 'a.mtl', materialName: 'two words' }), 'INVALID_OPTION', 'options.materialName');
  });
});

// ---------------------------------------------------------------------------------------------
// PLY

describe('writePly / readPly', () => {
  it('round-trips positions, normals, UVs, colours, faces and comments', () => {
    const m = patch(5, 4, 200);
    const n = m.positions.length / 3;
    const colors = Uint8Array.from({ length: 3 * n }, (_, i) => (i * 37) % 256);
    const bytes = writePly(m, { colors, comments: ['facedetail test', 'units: mm'], textureFile: 'face_albedo.png' });
    const head = new TextDecoder('latin1').decode(bytes.subarray(0, 400));
    expect(head.startsWith('ply\nformat binary_little_endian 1.0\n')).toBe(true);
    expect(head).toContain('property float s\nproperty float t\nproperty uchar red');
    expect(head).toContain('property list uchar uint vertex_indices\nend_header\n');
    const back = readPly(bytes);
    expect(back.comments).toEqual(['facedetail test', 'units: mm', 'TextureFile face_albedo.png']);
    expect(bitsEqual(back.mesh.positions, m.positions)).toBe(true);
    expect(bitsEqual(back.mesh.normals!, m.normals)).toBe(true);
    expect(bitsEqual(back.mesh.indices, m.indices)).toBe(true);
    expect(worst(back.mesh.uvs!, m.uvs).err).toBeLessThanOrEqual(1.2e-7); // 1 − (1 − v) in float32
    expect(Array.from(back.colors!)).toEqual(Array.from(colors));
    // stored t is v-up
    const dv = new DataView(bytes.buffer, bytes.byteOffset);
    const body = bytes.indexOf(0x0a, new TextDecoder('latin1').decode(bytes.subarray(0, 600)).indexOf('end_header')) + 1;
    expect(dv.getFloat32(body + 12 + 12 + 4, true)).toBe(1); // vertex 0 has v = 0
  });

  it('writes a positions-only PLY and reads ascii PLY with quads', () => {
    const m = patch(2, 1, 10);
    const back = readPly(writePly({ positions: m.positions, indices: m.indices }));
    expect(back.mesh.normals).toBeUndefined();
    expect(back.mesh.uvs).toBeUndefined();
    expect(back.colors).toBeUndefined();
    expect(bitsEqual(back.mesh.positions, m.positions)).toBe(true);
    const ascii = 'ply\nformat ascii 1.0\nelement vertex 4\nproperty float x\nproperty float y\nproperty float z\nelement face 1\nproperty list uchar int vertex_index\nend_header\n0 0 0\n1 0 0\n1 1 0\n0 1 0\n4 0 1 2 3\n';
    const q = readPly(new TextEncoder().encode(ascii));
    expect(Array.from(q.mesh.indices)).toEqual([0, 1, 2, 0, 2, 3]);
  });

  it('rejects invalid input', () => {
    const m = patch(2, 2);
    expectError(() => writePly(m, { colors: new Uint8Array(5) }), 'INVALID_OPTION', 'options.colors', '27');
    const nan = m.positions.slice(); nan[0] = Infinity;
    expectError(() => writePly({ ...m, positions: nan }), 'INVALID_OPTION', 'mesh.positions[0]');
    const bad = m.indices.slice(); bad[2] = 9;
    expectError(() => writePly({ ...m, indices: bad }), 'INVALID_OPTION', 'mesh.indices[2]');
    expectError(() => writePly(m, { comments: ['two\nlines'] }), 'INVALID_OPTION', 'options.comments[0]');
    expectError(() => readPly(new Uint8Array([1, 2, 3])), 'INVALID_OPTION', 'bytes');
  });
});

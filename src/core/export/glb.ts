/**
 * glTF 2.0 binary (.glb) writer, built with glTF-Transform, and a small reader for our own output.
 *
 * The writer takes data already in glTF's frame and units: metres, +Y up, +Z toward the viewer,
 * counter-clockwise front faces (the caller converts from the internal camera frame). It writes
 * one textured mesh (one PBR material with optional embedded PNG textures), an optional
 * perspective camera node, optional extra meshes (flat-coloured, or with a base-colour texture of
 * their own) and the scene's extras, and the
 * result passes the Khronos glTF-Validator with no errors (see test/unit/export.test.ts).
 *
 * Size (see {@link GlbWriteOptions}): a mesh above 65 535 vertices is split into primitives of at
 * most 65 535 vertices each so that every index is uint16 (the split duplicates the few vertices
 * on the cut: same position, normal, UV and tangent, so it is invisible and MikkTSpace, which
 * welds by value, gives them the same tangent); attributes are quantised with
 * KHR_mesh_quantization by default (positions int16 on one grid shared by every mesh of the
 * scene, so shared border vertices stay identical; normals and tangents int8, UVs uint16): the
 * dequantisation is a translation and uniform scale on each mesh's node, so the scene is still in
 * metres. `compress: 'meshopt'` adds EXT_meshopt_compression, `'draco'` KHR_draco_mesh_compression.
 */
import { Document, Logger, WebIO, type Accessor, type Material, type Scene, type Texture, type TextureInfo } from '@gltf-transform/core';
import { EXTMeshoptCompression, KHRDracoMeshCompression, KHRMeshQuantization } from '@gltf-transform/extensions';
import { ContentCache } from '../cache/content-cache.js';
import { FaceDetailError } from '../errors.js';
import type { Mesh } from '../types.js';
import { checkMesh, checkName, checkNumber, describe, invalid, textDecode } from './validate.js';

/** PBR material parameters (metallic-roughness). */
export interface GlbMaterial {
  /** Material name shown in Blender/three.js. @example 'face' */
  name?: string;
  /** Linear RGBA multiplier of the base colour (texture). @example [1, 1, 1, 1] */
  baseColorFactor?: [number, number, number, number];
  /** 0 = dielectric (skin). @example 0 */
  metallicFactor?: number;
  /** Perceptual roughness in [0, 1]. @example 0.6 */
  roughnessFactor?: number;
  /** Render back faces too. @example false */
  doubleSided?: boolean;
}

/** Defaults of {@link GlbMaterial}. */
export const GLB_MATERIAL_DEFAULTS = Object.freeze({
  name: 'face',
  baseColorFactor: [1, 1, 1, 1] as [number, number, number, number],
  metallicFactor: 0,
  roughnessFactor: 0.6,
  doubleSided: false,
} as const satisfies Required<GlbMaterial>);

/**
 * A perspective camera node. glTF cameras look down their node's −Z with +Y up; give the node
 * pose in the exported frame (metres).
 */
export interface GlbCamera {
  /** Node/camera name. @example 'photo camera' */
  name?: string;
  /** Vertical field of view in radians, in (0, π). @example 2 * Math.atan(0.5 * 1080 / 1400) */
  yfov: number;
  /** Width / height of the viewport; omitted = use the viewer's canvas. @example 1920 / 1080 */
  aspectRatio?: number;
  /** Near clip distance in metres (> 0). @example 0.01 */
  znear: number;
  /** Far clip distance in metres (> znear); omitted = infinite projection. @example 100 */
  zfar?: number;
  /** Node position in metres. @example [0, 0, 0.6] */
  translation?: [number, number, number];
  /** Node orientation as a unit quaternion [x, y, z, w] (normalised here if off by rounding). @example [0, 0, 0, 1] */
  rotation?: [number, number, number, number];
}

/** Everything {@link writeGlb} writes. */
export interface GlbInput {
  /**
   * The mesh in metres, glTF frame. `uvs` (TEXCOORD_0, v down) are required when a texture is
   * given; `tangents` (xyzw, w = ±1, requires `normals`) are written when present. Normals and tangents whose length
   * is off by more than 1e-5 are renormalised in the output (others are written bit-exactly).
   */
  mesh: Mesh;
  /** Mesh name. @example 'face' */
  meshName?: string;
  /** Name of the node holding the mesh. @example 'face' */
  nodeName?: string;
  /** Scene name. @example 'facedetail' */
  sceneName?: string;
  /** Material parameters; see {@link GLB_MATERIAL_DEFAULTS}. */
  material?: GlbMaterial;
  /**
   * PNG bytes of the sRGB base colour (albedo) map, embedded in the GLB. Every PNG of a
   * {@link GlbInput} may also be a promise of its bytes ({@link PngBytes}): the geometry is built
   * and quantised while it is still being encoded (Node encodes maps off the main thread).
   */
  baseColorPng?: PngBytes;
  /**
   * PNG bytes of the tangent-space normal map (glTF convention: red = +X right, green = +Y toward
   * the top of the image, i.e. decreasing stored v). Give `mesh.tangents` with it: without them
   * viewers generate their own tangent space and the validator warns
   * (MESH_PRIMITIVE_GENERATED_TANGENT_SPACE).
   */
  normalPng?: PngBytes;
  /** Strength of the normal map (glTF `normalTexture.scale`). @example 1 */
  normalScale?: number;
  /** Texture wrap mode for both axes. @example 'clamp' */
  textureWrap?: 'clamp' | 'repeat';
  /** Optional perspective camera added as a second node of the scene. */
  camera?: GlbCamera;
  /** `asset.generator`. @example 'facedetail 0.1.0' */
  generator?: string;
  /** `asset.copyright`. @example 'CC-BY-4.0, photo by …' */
  copyright?: string;
  /**
   * JSON-serialisable metadata stored as the scene's `extras` (three.js: `gltf.scene.userData`;
   * Blender: custom properties of the imported scene). Non-finite numbers are rejected.
   * @example { facedetail: { version: '0.1.0', units: 'm', focalSource: 'exif' } }
   */
  extras?: Record<string, unknown>;
  /** Extra meshes added as further nodes of the scene (after the face and the camera), flat-coloured or with their own base-colour texture. */
  extraMeshes?: GlbExtraMesh[];
}

/** An extra mesh written as its own node, mesh and material (e.g. the head around the face). */
export interface GlbExtraMesh {
  /** Node, mesh and material name. @example 'head' */
  name: string;
  /** Positions (metres, glTF frame), optional normals, indices; `uvs` used only with `baseColorPng`. */
  mesh: Mesh;
  /** Linear RGB base colour in [0, 1] (the factor; with a texture it is not applied: the factor is white). */
  color: [number, number, number];
  /** PNG bytes of an sRGB base-colour texture in `mesh.uvs` (v down), embedded in the GLB. */
  baseColorPng?: PngBytes;
}

/** PNG bytes, or a promise of them (an encoder still running). */
export type PngBytes = Uint8Array | PromiseLike<Uint8Array>;

/** A texture whose PNG was still being encoded when the document was built. */
interface PendingImage { texture: Texture; what: string; png: PromiseLike<Uint8Array> }

async function awaitPng(fn: string, p: PendingImage): Promise<Uint8Array> {
  try {
    return await p.png;
  } catch (e) {
    if (e instanceof FaceDetailError) throw e;
    throw new FaceDetailError('INTERNAL', `${fn}: the PNG encoder of ${p.what} failed: ${(e as Error).message}`, { cause: e });
  }
}

function isPending(v: unknown): v is PromiseLike<Uint8Array> {
  return v !== null && typeof v === 'object' && typeof (v as { then?: unknown }).then === 'function';
}

/** Defaults of {@link GlbInput}. */
export const GLB_DEFAULTS = Object.freeze({
  meshName: 'face',
  nodeName: 'face',
  sceneName: 'facedetail',
  normalScale: 1,
  textureWrap: 'clamp',
  generator: 'facedetail',
} as const satisfies Partial<GlbInput>);

/** Mesh compression of the GLB. */
export type GlbCompression = 'none' | 'meshopt' | 'draco';

/**
 * A Draco encoder module as `draco3dgltf.createEncoderModule()` resolves it (Node only: the
 * package is an Emscripten build for Node). Passed in, not imported, so the core stays isomorphic.
 */
export type DracoEncoderModule = object;

/** How {@link writeGlb} stores the geometry. */
export interface GlbWriteOptions {
  /**
   * KHR_mesh_quantization: positions int16 (one grid for the whole scene), normals and tangents
   * int8, UVs uint16; ~2.4× smaller vertices than float32. Blender (3.4+) and three.js read it.
   * Ignored with `compress: 'draco'` (Draco quantises itself). @example true
   */
  quantize?: boolean;
  /**
   * `'meshopt'`: EXT_meshopt_compression (the meshoptimizer encoder, isomorphic; three.js needs
   * `GLTFLoader.setMeshoptDecoder`, Blender 3.4 cannot import it); `'draco'`:
   * KHR_draco_mesh_compression (needs `dracoEncoder`; three.js needs a `DRACOLoader`, Blender
   * imports it). @example 'none'
   */
  compress?: GlbCompression;
  /** Required with `compress: 'draco'`: `await (await import('draco3dgltf')).createEncoderModule()`. */
  dracoEncoder?: DracoEncoderModule;
  /** Position bits (8–16) when quantising; default 16, Draco 14 ({@link GLB_DRACO_POSITION_BITS}). @example 16 */
  positionBits?: number;
}

/** Defaults of {@link GlbWriteOptions} (Draco uses {@link GLB_DRACO_POSITION_BITS}). */
export const GLB_WRITE_DEFAULTS = Object.freeze({
  quantize: true,
  compress: 'none',
  positionBits: 16,
} as const satisfies GlbWriteOptions);

/**
 * Position bits with `compress: 'draco'`: 14 bits over the head's 0.3 m is 18 µm, below the
 * detail's ~0.1 mm relief; 16 bits add 3 % to the file (grace_hopper.jpg: 2.77 → 2.85 MB). With
 * meshopt fewer bits gain nothing (glTF-Transform replicates the high bits into the low ones, so
 * 14 and 16 bits compress alike: 3.41 MB both), so it keeps 16 bits, like the default.
 */
export const GLB_DRACO_POSITION_BITS = 14;

/** The compressions a GLB can be written with. */
export const GLB_COMPRESSIONS: readonly GlbCompression[] = ['none', 'meshopt', 'draco'];

// glTF enums.
const FLOAT = 5126, BYTE = 5120, UNSIGNED_BYTE = 5121, SHORT = 5122, UNSIGNED_SHORT = 5123, UNSIGNED_INT = 5125;
const LINEAR = 9729, LINEAR_MIPMAP_LINEAR = 9987, CLAMP_TO_EDGE = 33071, REPEAT = 10497;
const GLB_MAGIC = 0x46546c67, CHUNK_JSON = 0x4e4f534a, CHUNK_BIN = 0x004e4942;
const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
/** Most vertices one primitive may have for uint16 indices (the largest index stays below the restart value 65535). */
const MAX_UINT16_VERTICES = 65535;

/** The glTF JSON as far as this module writes and reads it. */
export interface GltfJson {
  asset: { version: string; generator?: string; copyright?: string; extras?: unknown };
  scene?: number;
  scenes?: Array<{ name?: string; nodes?: number[]; extras?: unknown }>;
  nodes?: Array<{ name?: string; mesh?: number; camera?: number; translation?: number[]; rotation?: number[]; scale?: number[]; matrix?: number[]; children?: number[] }>;
  meshes?: Array<{ name?: string; primitives: Array<{ attributes: Record<string, number>; indices?: number; material?: number; mode?: number; extensions?: Record<string, unknown> }> }>;
  materials?: Array<Record<string, unknown>>;
  textures?: Array<{ sampler?: number; source?: number }>;
  samplers?: Array<{ magFilter?: number; minFilter?: number; wrapS?: number; wrapT?: number }>;
  images?: Array<{ bufferView?: number; mimeType?: string; uri?: string; name?: string }>;
  cameras?: Array<{ type: string; name?: string; perspective?: { yfov: number; znear: number; zfar?: number; aspectRatio?: number } }>;
  accessors?: Array<{ bufferView?: number; byteOffset?: number; componentType: number; count: number; type: string; normalized?: boolean; min?: number[]; max?: number[]; sparse?: unknown }>;
  bufferViews?: Array<{ buffer: number; byteOffset?: number; byteLength: number; byteStride?: number; target?: number; extensions?: Record<string, unknown> }>;
  buffers?: Array<{ byteLength: number; uri?: string }>;
  extensionsUsed?: string[];
  extensionsRequired?: string[];
  [key: string]: unknown;
}

/** Copy of `src` (stride `dim`, first 3 components renormalised when off by > 1e-5). */
export function unitVectors(src: Float32Array, dim: number): Float32Array {
  let out: Float32Array | undefined;
  const n = src.length / dim;
  for (let i = 0; i < n; i++) {
    const o = i * dim;
    const x = src[o]!, y = src[o + 1]!, z = src[o + 2]!;
    const len = Math.sqrt(x * x + y * y + z * z);
    if (Math.abs(len - 1) > 1e-5) {
      out ??= src.slice();
      out[o] = x / len; out[o + 1] = y / len; out[o + 2] = z / len;
    }
  }
  return out ?? src;
}

export function checkPng(fn: string, name: string, v: unknown): Uint8Array {
  if (!(v instanceof Uint8Array)) invalid(fn, `${name} must be a Uint8Array of PNG bytes, got ${describe(v)}`);
  if (v.length < 8 || PNG_SIGNATURE.some((b, i) => v[i] !== b)) invalid(fn, `${name} is not a PNG (missing PNG signature)`);
  return v;
}

function checkVec(fn: string, name: string, v: unknown, len: number): number[] {
  if (!Array.isArray(v) || v.length !== len) invalid(fn, `${name} must be an array of ${len} numbers, got ${describe(v)}`);
  return v.map((x, i) => checkNumber(fn, `${name}[${i}]`, x));
}

/** JSON-stringify `extras`, rejecting values JSON would silently mangle. */
export function checkExtras(fn: string, extras: unknown): Record<string, unknown> {
  if (extras === null || typeof extras !== 'object' || Array.isArray(extras)) invalid(fn, `input.extras must be a plain object, got ${describe(extras)}`);
  let text: string;
  try {
    text = JSON.stringify(extras, (key, value: unknown) => {
      if (typeof value === 'number' && !Number.isFinite(value)) throw new Error(`extras${key ? `.${key}` : ''} is ${value}, which JSON cannot hold`);
      if (typeof value === 'bigint' || typeof value === 'function' || typeof value === 'symbol') throw new Error(`extras${key ? `.${key}` : ''} is a ${typeof value}, which JSON cannot hold`);
      return value;
    });
  } catch (e) {
    return invalid(fn, `input.extras is not JSON-serialisable: ${(e as Error).message}`);
  }
  return JSON.parse(text) as Record<string, unknown>;
}

/**
 * Add a perspective camera node (`camera.name`, with its translation / rotation) to `scene`: the
 * photo's view, shared by the face GLB and the rig GLB.
 *
 * @example addCameraNode(doc, doc.createScene('scene'), { name: 'photo', yfov: 0.6, znear: 0.01 })
 */
export function addCameraNode(doc: Document, scene: Scene, camera: GlbCamera): void {
  const cam = doc.createCamera(camera.name).setType('perspective').setYFov(camera.yfov).setZNear(camera.znear);
  if (camera.zfar !== undefined) cam.setZFar(camera.zfar);
  if (camera.aspectRatio !== undefined) cam.setAspectRatio(camera.aspectRatio);
  const node = doc.createNode(camera.name).setCamera(cam);
  if (camera.translation) node.setTranslation(camera.translation);
  if (camera.rotation) node.setRotation(camera.rotation);
  scene.addChild(node);
}

/**
 * Split a mesh into pieces of at most `maxVertices` vertices each, so each piece can use uint16
 * indices: triangles sorted by their centroid along the mesh's longest bounding-box axis, then
 * cut into runs, so the cuts are planes and only the vertices on them are copied into both
 * pieces (~0.5 % of the face mesh; in the input's triangle order, 12 %). A mesh that already
 * fits is returned as is.
 *
 * @example
 * const parts = splitMesh(mesh); // 113 088 vertices → 2 parts, each ≤ 65 535 vertices
 */
function splitMesh(mesh: Mesh, maxVertices = MAX_UINT16_VERTICES): Mesh[] {
  return splitMeshWithSources(mesh, maxVertices).map((p) => p.mesh);
}

/**
 * As {@link splitMesh}, with each piece's source vertex per vertex (`sources[i]` = the input
 * vertex that piece vertex i copies), so per-vertex data the mesh does not hold (morph targets)
 * can follow the split.
 *
 * @example
 * for (const { mesh: part, sources } of splitMeshWithSources(mesh)) part.positions.length / 3 === sources.length;
 */
export function splitMeshWithSources(mesh: Mesh, maxVertices = MAX_UINT16_VERTICES): Array<{ mesh: Mesh; sources: Uint32Array }> {
  const nv = mesh.positions.length / 3;
  if (nv <= maxVertices) return [{ mesh, sources: Uint32Array.from({ length: nv }, (_, i) => i) }];
  // With UVs the cut depends on the topology alone (UVs and triangles), so every face of a face
  // model shares one plan; without, on the positions.
  const uvs = mesh.uvs && mesh.uvs.length >= 2 * nv ? mesh.uvs : undefined;
  const plan = uvs
    ? SPLIT_PLANS.get([mesh.indices, uvs, maxVertices], () => planSplit(sortTriangles(mesh.indices, uvs, 2), nv, maxVertices), planBytes)
    : planSplit(sortTriangles(mesh.indices, mesh.positions, 3), nv, maxVertices);
  return plan.map(({ indices, sources }) => {
    const pick = (src: Float32Array, dim: number): Float32Array => {
      const out = new Float32Array(sources.length * dim);
      for (let i = 0; i < sources.length; i++) {
        const v = sources[i]! * dim, o = i * dim;
        for (let c = 0; c < dim; c++) out[o + c] = src[v + c]!;
      }
      return out;
    };
    const part: Mesh = { positions: pick(mesh.positions, 3), indices: indices.slice() };
    if (mesh.normals) part.normals = pick(mesh.normals, 3);
    if (mesh.uvs) part.uvs = pick(mesh.uvs, 2);
    if (mesh.tangents) part.tangents = pick(mesh.tangents, 4);
    return { mesh: part, sources: sources.slice() };
  });
}

/** One piece of a split: its triangles (indices into `sources`) and the input vertex of each of its vertices. */
type SplitPlan = Array<{ indices: Uint32Array; sources: Uint32Array }>;

/** Recent split plans of meshes with UVs (the detailed face of every photo has the same). */
const SPLIT_PLANS = new ContentCache<SplitPlan>(64 * 2 ** 20, 'glb-split-1');

function planBytes(plan: SplitPlan): number {
  return plan.reduce((s, p) => s + p.indices.byteLength + p.sources.byteLength, 0);
}

/** Cut the sorted triangles `idx` into runs that each use at most `maxVertices` vertices. */
function planSplit(idx: Uint32Array, nv: number, maxVertices: number): SplitPlan {
  const local = new Int32Array(nv).fill(-1);
  const plan: SplitPlan = [];
  const order = new Uint32Array(Math.min(nv, maxVertices));
  let start = 0;
  while (start < idx.length) {
    // Grow the piece triangle by triangle until one more could exceed the vertex budget.
    let count = 0, end = start;
    for (; end < idx.length; end += 3) {
      let fresh = 0;
      for (let c = 0; c < 3; c++) if (local[idx[end + c]!] === -1) fresh++;
      if (count + fresh > maxVertices) break;
      for (let c = 0; c < 3; c++) {
        const v = idx[end + c]!;
        if (local[v] === -1) { local[v] = count; order[count++] = v; }
      }
    }
    const indices = new Uint32Array(end - start);
    for (let k = start; k < end; k++) indices[k - start] = local[idx[k]!]!;
    const sources = order.slice(0, count);
    plan.push({ indices, sources });
    for (const v of sources) local[v] = -1;
    start = end;
  }
  return plan;
}

/**
 * `idx` with the triangles sorted by centroid along the longest bounding-box axis of the
 * per-vertex coordinates `p` (`dim` per vertex: positions or UVs).
 */
function sortTriangles(idx: Uint32Array, p: Float32Array, dim: number): Uint32Array {
  const nt = idx.length / 3, nv = Math.floor(p.length / dim);
  const lo = [Infinity, Infinity, Infinity], hi = [-Infinity, -Infinity, -Infinity];
  for (let v = 0; v < nv; v++) {
    for (let c = 0; c < dim; c++) { const x = p[v * dim + c]!; if (x < lo[c]!) lo[c] = x; if (x > hi[c]!) hi[c] = x; }
  }
  const ext = lo.slice(0, dim).map((l, c) => hi[c]! - l);
  const axis = ext.indexOf(Math.max(...ext));
  const key = new Float64Array(nt);
  for (let t = 0; t < nt; t++) key[t] = p[dim * idx[3 * t]! + axis]! + p[dim * idx[3 * t + 1]! + axis]! + p[dim * idx[3 * t + 2]! + axis]!;
  // Order by key, ties by triangle index (a stable argsort), with the engine's native numeric
  // sort instead of a comparator: each triangle goes to the first slot of its key's run in the
  // sorted keys plus the number of earlier triangles with the same key.
  const sorted = key.slice().sort();
  const taken = new Uint32Array(nt);
  const out = new Uint32Array(idx.length);
  for (let t = 0; t < nt; t++) {
    const k = key[t]!;
    let lo = 0, hi = nt;
    while (lo < hi) { const mid = (lo + hi) >>> 1; if (sorted[mid]! < k) lo = mid + 1; else hi = mid; }
    const slot = lo + taken[lo]!++;
    out[3 * slot] = idx[3 * t]!; out[3 * slot + 1] = idx[3 * t + 1]!; out[3 * slot + 2] = idx[3 * t + 2]!;
  }
  return out;
}

/**
 * Write a glTF 2.0 binary (.glb) holding one textured mesh, its material and optionally a
 * camera and flat-coloured extra meshes. Returns the file bytes; no I/O. Quantised
 * (KHR_mesh_quantization) unless `options.quantize` is false; see {@link GlbWriteOptions}.
 *
 * @example
 * const glb = await writeGlb({
 *   mesh: { positions, normals, uvs, tangents, indices }, // metres, +Y up, +Z toward viewer
 *   baseColorPng: encodePng(albedo), normalPng: encodePng(normalMap), normalScale: 1,
 *   material: { roughnessFactor: 0.6 },
 *   camera: { yfov: 0.6, aspectRatio: 0.75, znear: 0.01, translation: [0, 0, 0.5] },
 *   generator: 'facedetail 0.1.0', extras: { focalSource: 'exif' },
 * }, { compress: 'meshopt' });
 */
export async function writeGlb(input: GlbInput, options: GlbWriteOptions = {}): Promise<Uint8Array> {
  const fn = 'writeGlb';
  const opts = checkWriteOptions(fn, options);
  const { doc, pending } = buildDocument(fn, input);
  const io = new WebIO().registerExtensions([KHRMeshQuantization, EXTMeshoptCompression, KHRDracoMeshCompression]);
  // Shared border vertices (face ↔ head) must land on the same grid: one quantisation volume.
  const grid = { quantizationVolume: 'scene' as const, quantizeNormal: 8, quantizeTexcoord: 16 };
  try {
    if (opts.compress === 'meshopt') {
      // glTF-Transform's functions (and meshoptimizer) load only when compressing: they cost a cold start ~0.1 s otherwise.
      const [{ MeshoptEncoder }, { meshopt }] = await Promise.all([import('meshoptimizer'), import('@gltf-transform/functions')]);
      await MeshoptEncoder.ready;
      io.registerDependencies({ 'meshopt.encoder': MeshoptEncoder });
      // reorder + quantise (level 'high': octahedral filters for normals and tangents), compressed on write.
      await doc.transform(meshopt({ encoder: MeshoptEncoder, level: 'high', ...grid, quantizePosition: opts.positionBits }));
    } else if (opts.compress === 'draco') {
      io.registerDependencies({ 'draco3d.encoder': opts.dracoEncoder });
      const { draco } = await import('@gltf-transform/functions');
      await doc.transform(draco({ method: 'edgebreaker', quantizationVolume: 'scene', quantizePosition: opts.positionBits, quantizeNormal: 10, quantizeTexcoord: 14, quantizeGeneric: 10 }));
    } else if (opts.quantize) {
      quantizeScene(doc, opts.positionBits);
    }
    for (const p of pending) p.texture.setImage(checkPng(fn, p.what, await awaitPng(fn, p)));
    return await io.writeBinary(doc);
  } catch (e) {
    if (e instanceof FaceDetailError) throw e;
    throw new FaceDetailError('INTERNAL', `${fn}: glTF-Transform failed to write the GLB (compress '${opts.compress}'): ${(e as Error).message}`);
  }
}

/**
 * KHR_mesh_quantization over the whole scene, as glTF-Transform's `quantize()` with
 * `quantizationVolume: 'scene'`, 8-bit normals and 16-bit UVs does it (the same grid, the same
 * integer mapping), but on the accessors' arrays in one pass each: that transform reads and
 * writes every element through the property graph and then prunes and deduplicates the
 * document, ≈ 60 ms for a 113k-vertex face. Positions: one grid for every mesh (offset = the
 * scene box's centre, scale = its largest half extent) stored as `positionBits` normalised int16,
 * the mesh nodes carrying the inverse (translation + uniform scale; they have no transform of
 * their own); normals and tangents normalised int8; UVs in [0, 1] normalised uint16 (others stay
 * float).
 */
function quantizeScene(doc: Document, positionBits: number): void {
  const root = doc.getRoot();
  const prims = root.listMeshes().flatMap((m) => m.listPrimitives());
  const lo = [Infinity, Infinity, Infinity], hi = [-Infinity, -Infinity, -Infinity];
  for (const prim of prims) {
    const p = prim.getAttribute('POSITION')?.getArray();
    if (!p) continue;
    for (let i = 0; i < p.length; i += 3) {
      for (let c = 0; c < 3; c++) { const v = p[i + c]!; if (v < lo[c]!) lo[c] = v; if (v > hi[c]!) hi[c] = v; }
    }
  }
  if (!(hi[0]! >= lo[0]!)) return;
  const offset = [0, 1, 2].map((c) => lo[c]! + (hi[c]! - lo[c]!) / 2) as [number, number, number];
  const scale = Math.max((hi[0]! - lo[0]!) / 2, (hi[1]! - lo[1]!) / 2, (hi[2]! - lo[2]!) / 2) || 1;
  for (const node of root.listNodes()) {
    if (!node.getMesh()) continue;
    const identity = node.getTranslation().every((v) => v === 0) && node.getScale().every((v) => v === 1) && node.getRotation().every((v, i) => v === (i === 3 ? 1 : 0));
    if (!identity) throw new FaceDetailError('INTERNAL', `writeGlb: mesh node '${node.getName()}' has a transform of its own; the quantisation grid cannot be placed on it`);
    node.setTranslation(offset).setScale([scale, scale, scale]);
  }
  for (const prim of prims) {
    for (const semantic of prim.listSemantics()) {
      const a = prim.getAttribute(semantic)!, src = a.getArray();
      if (!(src instanceof Float32Array)) continue;
      let dst: Int16Array | Int8Array | Uint16Array;
      if (semantic === 'POSITION') {
        // glTF-Transform's mapping of `positionBits` into int16: the magnitude's bits shifted up, its top bits repeated below.
        const qb = positionBits - 1, q = 2 ** qb - 1, up = 15 - qb, down = 2 * qb - 15;
        dst = new Int16Array(src.length);
        for (let i = 0; i < src.length; i += 3) {
          for (let c = 0; c < 3; c++) {
            const m = snorm((src[i + c]! - offset[c]!) / scale, q), a = Math.abs(m);
            const v = (a << up) | (a >> down);
            dst[i + c] = m < 0 ? -v : v;
          }
        }
      } else if (semantic === 'NORMAL' || semantic === 'TANGENT') {
        dst = new Int8Array(src.length);
        for (let i = 0; i < src.length; i++) dst[i] = snorm(src[i]!, 127);
      } else if (semantic === 'TEXCOORD_0') {
        let inside = true;
        for (let i = 0; i < src.length && inside; i++) inside = src[i]! >= 0 && src[i]! <= 1;
        if (!inside) continue;
        dst = new Uint16Array(src.length);
        for (let i = 0; i < src.length; i++) dst[i] = Math.round(src[i]! * 65535);
      } else {
        continue;
      }
      a.setArray(dst).setNormalized(true);
    }
  }
  doc.createExtension(KHRMeshQuantization).setRequired(true);
}

/** A value in [−1, 1] (clamped) as a signed normalised integer of magnitude ≤ q (glTF-Transform's rounding: of |v|, sign restored). */
function snorm(v: number, q: number): number {
  const c = v > 1 ? 1 : v < -1 ? -1 : v;
  const m = Math.round(Math.abs(c) * q);
  return c < 0 ? -m : m;
}

function checkWriteOptions(fn: string, options: GlbWriteOptions): Required<Omit<GlbWriteOptions, 'dracoEncoder'>> & { dracoEncoder?: DracoEncoderModule } {
  if (options === null || typeof options !== 'object') invalid(fn, `options must be a GlbWriteOptions object, got ${describe(options)}`);
  const compress = options.compress ?? GLB_WRITE_DEFAULTS.compress;
  if (!GLB_COMPRESSIONS.includes(compress)) invalid(fn, `options.compress must be one of ${GLB_COMPRESSIONS.map((c) => `'${c}'`).join(', ')}, got ${describe(compress)}`);
  const quantizeOn = options.quantize ?? GLB_WRITE_DEFAULTS.quantize;
  if (typeof quantizeOn !== 'boolean') invalid(fn, `options.quantize must be a boolean, got ${describe(quantizeOn)}`);
  const positionBits = checkNumber(fn, 'options.positionBits', options.positionBits ?? (compress === 'draco' ? GLB_DRACO_POSITION_BITS : GLB_WRITE_DEFAULTS.positionBits), { min: 8, max: 16 });
  if (!Number.isInteger(positionBits)) invalid(fn, `options.positionBits must be an integer in [8, 16], got ${positionBits}`);
  if (compress === 'draco' && (options.dracoEncoder === null || typeof options.dracoEncoder !== 'object')) {
    throw new FaceDetailError('DEPENDENCY_MISSING', `${fn}: compress 'draco' needs options.dracoEncoder — install "draco3dgltf" and pass await (await import('draco3dgltf')).createEncoderModule() (Node only; in a browser use compress 'meshopt')`);
  }
  return { compress, quantize: quantizeOn, positionBits, ...(options.dracoEncoder ? { dracoEncoder: options.dracoEncoder } : {}) };
}

/** Validate `input` and build the glTF-Transform document (float attributes, uint16 indices). */
function buildDocument(fn: string, input: GlbInput): { doc: Document; pending: PendingImage[] } {
  if (input === null || typeof input !== 'object') invalid(fn, `input must be a GlbInput object, got ${describe(input)}`);
  const mesh = input.mesh;
  checkMesh(fn, mesh, 'input.mesh');
  const meshName = checkName(fn, 'input.meshName', input.meshName ?? GLB_DEFAULTS.meshName);
  const nodeName = checkName(fn, 'input.nodeName', input.nodeName ?? GLB_DEFAULTS.nodeName);
  const sceneName = checkName(fn, 'input.sceneName', input.sceneName ?? GLB_DEFAULTS.sceneName);
  const generator = checkName(fn, 'input.generator', input.generator ?? GLB_DEFAULTS.generator);
  const copyright = input.copyright === undefined ? undefined : checkName(fn, 'input.copyright', input.copyright);
  const pngArg = (name: string, v: unknown): PngBytes | undefined => v === undefined ? undefined : isPending(v) ? v : checkPng(fn, name, v);
  const baseColorPng = pngArg('input.baseColorPng', input.baseColorPng);
  const normalPng = pngArg('input.normalPng', input.normalPng);
  if (mesh.tangents && !mesh.normals) invalid(fn, `input.mesh.tangents require input.mesh.normals (glTF viewers ignore tangents without normals)`);
  if ((baseColorPng || normalPng) && !mesh.uvs) invalid(fn, `input.mesh.uvs is required when a texture (baseColorPng/normalPng) is given`);
  const normalScale = checkNumber(fn, 'input.normalScale', input.normalScale ?? GLB_DEFAULTS.normalScale);
  const wrap = input.textureWrap ?? GLB_DEFAULTS.textureWrap;
  if (wrap !== 'clamp' && wrap !== 'repeat') invalid(fn, `input.textureWrap must be 'clamp' or 'repeat', got ${describe(wrap)}`);
  const m = input.material ?? {};
  const mat = {
    name: m.name ?? GLB_MATERIAL_DEFAULTS.name,
    baseColorFactor: m.baseColorFactor ?? GLB_MATERIAL_DEFAULTS.baseColorFactor,
    metallicFactor: m.metallicFactor ?? GLB_MATERIAL_DEFAULTS.metallicFactor,
    roughnessFactor: m.roughnessFactor ?? GLB_MATERIAL_DEFAULTS.roughnessFactor,
    doubleSided: m.doubleSided ?? GLB_MATERIAL_DEFAULTS.doubleSided,
  };
  checkName(fn, 'input.material.name', mat.name);
  const baseColorFactor = checkVec(fn, 'input.material.baseColorFactor', mat.baseColorFactor, 4);
  baseColorFactor.forEach((c, i) => { checkNumber(fn, `input.material.baseColorFactor[${i}]`, c, { min: 0, max: 1 }); });
  checkNumber(fn, 'input.material.metallicFactor', mat.metallicFactor, { min: 0, max: 1 });
  checkNumber(fn, 'input.material.roughnessFactor', mat.roughnessFactor, { min: 0, max: 1 });
  if (typeof mat.doubleSided !== 'boolean') invalid(fn, `input.material.doubleSided must be a boolean, got ${describe(mat.doubleSided)}`);
  const extras = input.extras === undefined ? undefined : checkExtras(fn, input.extras);
  const camera = input.camera === undefined ? undefined : checkCamera(fn, input.camera);
  const extraMeshes = (input.extraMeshes ?? []).map((e, k) => {
    const what = `input.extraMeshes[${k}]`;
    const name = checkName(fn, `${what}.name`, e.name);
    checkMesh(fn, e.mesh, `${what}.mesh`);
    const color = checkVec(fn, `${what}.color`, e.color, 3);
    color.forEach((c, i) => { checkNumber(fn, `${what}.color[${i}]`, c, { min: 0, max: 1 }); });
    if (e.baseColorPng === undefined) return { name, mesh: e.mesh, color };
    const png = pngArg(`${what}.baseColorPng`, e.baseColorPng)!;
    if (!e.mesh.uvs) invalid(fn, `${what}.mesh.uvs is required with ${what}.baseColorPng`);
    return { name, mesh: e.mesh, color, png };
  });

  const doc = new Document();
  doc.setLogger(new Logger(Logger.Verbosity.SILENT));
  const asset = doc.getRoot().getAsset();
  asset.generator = generator;
  if (copyright !== undefined) asset.copyright = copyright;
  const buffer = doc.createBuffer();
  const scene = doc.createScene(sceneName);
  if (extras !== undefined) scene.setExtras(extras);
  doc.getRoot().setDefaultScene(scene);

  // --- the textured mesh
  const material = doc.createMaterial(mat.name)
    .setBaseColorFactor(baseColorFactor as [number, number, number, number])
    .setMetallicFactor(mat.metallicFactor)
    .setRoughnessFactor(mat.roughnessFactor)
    .setDoubleSided(mat.doubleSided);
  const sampler = (info: TextureInfo | null): void => {
    const w = wrap === 'repeat' ? REPEAT : CLAMP_TO_EDGE;
    info?.setMagFilter(LINEAR).setMinFilter(LINEAR_MIPMAP_LINEAR).setWrapS(w).setWrapT(w);
  };
  const pending: PendingImage[] = [];
  const texture = (png: PngBytes, name: string, what: string): Texture => {
    const t = doc.createTexture(name).setMimeType('image/png');
    if (isPending(png)) pending.push({ texture: t, what, png });
    else t.setImage(png);
    return t;
  };
  if (baseColorPng) {
    material.setBaseColorTexture(texture(baseColorPng, `${mat.name}_baseColor`, 'input.baseColorPng'));
    sampler(material.getBaseColorTextureInfo());
  }
  if (normalPng) {
    material.setNormalTexture(texture(normalPng, `${mat.name}_normal`, 'input.normalPng')).setNormalScale(normalScale);
    sampler(material.getNormalTextureInfo());
  }
  const faceMesh = addMesh(doc, buffer, meshName, mesh, material);
  scene.addChild(doc.createNode(nodeName).setMesh(faceMesh));

  // --- camera: the second node
  if (camera) addCameraNode(doc, scene, camera);

  // --- extra meshes: one node, mesh and flat material each
  for (const e of extraMeshes) {
    const m = doc.createMaterial(e.name).setMetallicFactor(0).setRoughnessFactor(0.6);
    const { uvs, tangents: _tangents, ...untextured } = e.mesh;
    if ('png' in e && e.png && uvs) {
      m.setBaseColorTexture(texture(e.png, `${e.name}_baseColor`, `input.extraMeshes[${extraMeshes.indexOf(e)}].baseColorPng`));
      sampler(m.getBaseColorTextureInfo());
      scene.addChild(doc.createNode(e.name).setMesh(addMesh(doc, buffer, e.name, { ...untextured, uvs }, m)));
      continue;
    }
    m.setBaseColorFactor([e.color[0]!, e.color[1]!, e.color[2]!, 1]);
    scene.addChild(doc.createNode(e.name).setMesh(addMesh(doc, buffer, e.name, untextured, m)));
  }
  return { doc, pending };
}

/** A glTF mesh from `mesh` (float32 attributes; split for uint16 indices). */
function addMesh(doc: Document, buffer: ReturnType<Document['createBuffer']>, name: string, mesh: Mesh, material: Material) {
  const out = doc.createMesh(name);
  const attribute = (data: Float32Array, type: 'VEC2' | 'VEC3' | 'VEC4'): Accessor => doc.createAccessor().setType(type).setArray(data).setBuffer(buffer);
  for (const part of splitMesh(mesh)) {
    const prim = doc.createPrimitive().setMaterial(material).setMode(4);
    prim.setAttribute('POSITION', attribute(part.positions, 'VEC3'));
    if (part.normals) prim.setAttribute('NORMAL', attribute(unitVectors(part.normals, 3), 'VEC3'));
    if (part.uvs) prim.setAttribute('TEXCOORD_0', attribute(part.uvs, 'VEC2'));
    if (part.tangents) prim.setAttribute('TANGENT', attribute(unitVectors(part.tangents, 4), 'VEC4'));
    prim.setIndices(doc.createAccessor().setType('SCALAR').setArray(Uint16Array.from(part.indices)).setBuffer(buffer));
    out.addPrimitive(prim);
  }
  return out;
}

export function checkCamera(fn: string, cam: GlbCamera): Required<Pick<GlbCamera, 'name' | 'yfov' | 'znear'>> & GlbCamera {
  if (cam === null || typeof cam !== 'object') invalid(fn, `input.camera must be a GlbCamera object, got ${describe(cam)}`);
  const name = checkName(fn, 'input.camera.name', cam.name ?? 'camera');
  const yfov = checkNumber(fn, 'input.camera.yfov (radians)', cam.yfov, { gt: 0, lt: Math.PI });
  const znear = checkNumber(fn, 'input.camera.znear (metres)', cam.znear, { gt: 0 });
  const out: Required<Pick<GlbCamera, 'name' | 'yfov' | 'znear'>> & GlbCamera = { name, yfov, znear };
  if (cam.zfar !== undefined) out.zfar = checkNumber(fn, 'input.camera.zfar (metres)', cam.zfar, { gt: znear });
  if (cam.aspectRatio !== undefined) out.aspectRatio = checkNumber(fn, 'input.camera.aspectRatio', cam.aspectRatio, { gt: 0 });
  if (cam.translation !== undefined) out.translation = checkVec(fn, 'input.camera.translation', cam.translation, 3) as [number, number, number];
  if (cam.rotation !== undefined) {
    const q = checkVec(fn, 'input.camera.rotation', cam.rotation, 4);
    const len = Math.hypot(q[0]!, q[1]!, q[2]!, q[3]!);
    if (Math.abs(len - 1) > 1e-3) invalid(fn, `input.camera.rotation must be a unit quaternion [x, y, z, w], got length ${len}`);
    out.rotation = q.map((c) => c / len) as [number, number, number, number];
  }
  return out;
}

/** What {@link readGlb} returns. */
export interface GlbContents {
  /** The parsed glTF JSON chunk. */
  json: GltfJson;
  /** First primitive of the first mesh as flat arrays (copies; indices widened to uint32). */
  mesh: Mesh;
  /** Images stored in bufferViews, in `json.images` order (URI images are skipped). */
  images: Array<{ index: number; mimeType: string; name?: string; bytes: Uint8Array }>;
  /** The BIN chunk payload (a view into the input bytes); empty when there is none. */
  bin: Uint8Array;
}

/**
 * Parse a .glb: JSON chunk, BIN chunk, and the first mesh (every primitive, concatenated:
 * POSITION, NORMAL, TEXCOORD_0, TANGENT as float or KHR_mesh_quantization normalised integer
 * accessors, any index type; interleaved views allowed, sparse accessors and compressed
 * (meshopt, Draco) files are not: decode those with glTF-Transform). POSITION is returned in the
 * scene frame: the translation, rotation and scale of the node holding the mesh (the
 * dequantisation transform) are applied; other nodes' transforms are not. Meant for reading our
 * own files back (tests, benchmarks). Throws `INVALID_OPTION` naming `bytes` for anything else.
 *
 * @example
 * const { json, mesh, images } = readGlb(await writeGlb({ mesh }));
 * mesh.positions; // Float32Array, metres (quantised: within half a grid step)
 */
export function readGlb(bytes: Uint8Array): GlbContents {
  const fn = 'readGlb';
  if (!(bytes instanceof Uint8Array)) invalid(fn, `bytes must be a Uint8Array, got ${describe(bytes)}`);
  if (bytes.byteLength < 20) invalid(fn, `bytes is too short to be a GLB (${bytes.byteLength} bytes)`);
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (dv.getUint32(0, true) !== GLB_MAGIC) invalid(fn, `bytes is not a GLB (magic is not "glTF")`);
  const version = dv.getUint32(4, true);
  if (version !== 2) invalid(fn, `bytes is GLB version ${version}; only version 2 is supported`);
  const total = dv.getUint32(8, true);
  if (total > bytes.byteLength) invalid(fn, `bytes is truncated: header says ${total} bytes, got ${bytes.byteLength}`);
  let json: GltfJson | undefined;
  let bin: Uint8Array = new Uint8Array(0);
  let o = 12;
  while (o + 8 <= total) {
    const len = dv.getUint32(o, true), type = dv.getUint32(o + 4, true);
    if (o + 8 + len > total) invalid(fn, `bytes has a chunk running past the end of the file`);
    const payload = bytes.subarray(o + 8, o + 8 + len);
    if (type === CHUNK_JSON && json === undefined) {
      try {
        json = JSON.parse(textDecode(payload)) as GltfJson;
      } catch (e) {
        return invalid(fn, `bytes has an unreadable JSON chunk: ${(e as Error).message}`);
      }
    } else if (type === CHUNK_BIN && bin.byteLength === 0) {
      bin = payload;
    }
    o += 8 + len;
  }
  if (json === undefined || typeof json !== 'object' || json === null) invalid(fn, `bytes has no JSON chunk`);
  const j = json;

  const viewBytes = (viewIndex: number, what: string): { data: Uint8Array; stride?: number } => {
    const v = j.bufferViews?.[viewIndex];
    if (!v) invalid(fn, `bytes: ${what} refers to missing bufferView ${viewIndex}`);
    if (v.buffer !== 0) invalid(fn, `bytes: ${what} uses external buffer ${v.buffer}; only the GLB BIN chunk is supported`);
    const start = v.byteOffset ?? 0;
    if (start + v.byteLength > bin.byteLength) invalid(fn, `bytes: bufferView ${viewIndex} runs past the BIN chunk`);
    return { data: bin.subarray(start, start + v.byteLength), ...(v.byteStride !== undefined ? { stride: v.byteStride } : {}) };
  };
  const SIZES: Record<string, number> = { SCALAR: 1, VEC2: 2, VEC3: 3, VEC4: 4 };
  const COMPONENT_BYTES: Record<number, number> = { [BYTE]: 1, [UNSIGNED_BYTE]: 1, [SHORT]: 2, [UNSIGNED_SHORT]: 2, [UNSIGNED_INT]: 4, [FLOAT]: 4 };
  // KHR_mesh_quantization: normalised integers map to [-1, 1] / [0, 1] (glTF 2.0 §3.11).
  const read = (v: DataView, p: number, type: number, normalized: boolean): number => {
    switch (type) {
      case FLOAT: return v.getFloat32(p, true);
      case BYTE: { const x = v.getInt8(p); return normalized ? Math.max(x / 127, -1) : x; }
      case UNSIGNED_BYTE: { const x = v.getUint8(p); return normalized ? x / 255 : x; }
      case SHORT: { const x = v.getInt16(p, true); return normalized ? Math.max(x / 32767, -1) : x; }
      case UNSIGNED_SHORT: { const x = v.getUint16(p, true); return normalized ? x / 65535 : x; }
      default: return v.getUint32(p, true);
    }
  };
  const readAccessor = (index: number, what: string, float: boolean): Float32Array | Uint32Array => {
    const a = j.accessors?.[index];
    if (!a) invalid(fn, `bytes: ${what} refers to missing accessor ${index}`);
    if (a.sparse !== undefined || a.bufferView === undefined) invalid(fn, `bytes: ${what} accessor ${index} is sparse or has no bufferView (unsupported)`);
    const dim = SIZES[a.type];
    const cb = COMPONENT_BYTES[a.componentType];
    if (dim === undefined || cb === undefined) invalid(fn, `bytes: ${what} accessor ${index} has unsupported type ${a.type}/${a.componentType}`);
    if (float && a.componentType !== FLOAT && !a.normalized && a.componentType !== SHORT && a.componentType !== BYTE) invalid(fn, `bytes: ${what} accessor ${index} is an unnormalised unsigned integer type (unsupported)`);
    if (!float && a.componentType === FLOAT) invalid(fn, `bytes: ${what} accessor ${index} must be an integer type`);
    const { data, stride } = viewBytes(a.bufferView, what);
    const elem = dim * cb;
    const step = stride ?? elem;
    const base = a.byteOffset ?? 0;
    if (a.count > 0 && base + (a.count - 1) * step + elem > data.byteLength) invalid(fn, `bytes: ${what} accessor ${index} runs past its bufferView`);
    const out = float ? new Float32Array(a.count * dim) : new Uint32Array(a.count * dim);
    const v = new DataView(data.buffer, data.byteOffset, data.byteLength);
    for (let i = 0; i < a.count; i++) {
      for (let c = 0; c < dim; c++) {
        const p = base + i * step + c * cb;
        out[i * dim + c] = read(v, p, a.componentType, a.normalized === true);
      }
    }
    return out;
  };

  if (j.extensionsUsed?.includes('EXT_meshopt_compression') || j.extensionsUsed?.includes('KHR_draco_mesh_compression')) {
    invalid(fn, `bytes is compressed (${j.extensionsUsed.join(', ')}): readGlb reads uncompressed files only; decode it with glTF-Transform`);
  }
  const prims = j.meshes?.[0]?.primitives ?? [];
  if (prims.length === 0) invalid(fn, `bytes has no mesh primitive`);
  const parts = prims.map((prim, k) => {
    const attr = prim.attributes ?? {};
    if (attr.POSITION === undefined) invalid(fn, `bytes: primitive ${k} of the first mesh has no POSITION`);
    const positions = readAccessor(attr.POSITION, 'POSITION', true) as Float32Array;
    const part: Mesh = {
      positions,
      indices: prim.indices !== undefined
        ? (readAccessor(prim.indices, 'indices', false) as Uint32Array)
        : Uint32Array.from({ length: positions.length / 3 }, (_, i) => i),
    };
    if (attr.NORMAL !== undefined) part.normals = readAccessor(attr.NORMAL, 'NORMAL', true) as Float32Array;
    if (attr.TEXCOORD_0 !== undefined) part.uvs = readAccessor(attr.TEXCOORD_0, 'TEXCOORD_0', true) as Float32Array;
    if (attr.TANGENT !== undefined) part.tangents = readAccessor(attr.TANGENT, 'TANGENT', true) as Float32Array;
    return part;
  });
  const mesh = concatMeshes(parts);
  const node = j.nodes?.find((n) => n.mesh === 0);
  if (node) applyNodeTransform(mesh.positions, node);

  const images: GlbContents['images'] = [];
  (j.images ?? []).forEach((img, index) => {
    if (img.bufferView === undefined) return;
    images.push({
      index,
      mimeType: img.mimeType ?? 'application/octet-stream',
      ...(img.name !== undefined ? { name: img.name } : {}),
      bytes: viewBytes(img.bufferView, `image ${index}`).data.slice(),
    });
  });
  return { json: j, mesh, images, bin };
}

/** The parts one after another (an attribute is kept only when every part has it). */
function concatMeshes(parts: Mesh[]): Mesh {
  if (parts.length === 1) return parts[0]!;
  const cat = (key: 'positions' | 'uvs' | 'normals' | 'tangents'): Float32Array | undefined => {
    if (!parts.every((p) => p[key])) return undefined;
    const out = new Float32Array(parts.reduce((n, p) => n + p[key]!.length, 0));
    let o = 0;
    for (const p of parts) { out.set(p[key]!, o); o += p[key]!.length; }
    return out;
  };
  const indices = new Uint32Array(parts.reduce((n, p) => n + p.indices.length, 0));
  let base = 0, o = 0;
  for (const p of parts) {
    for (let i = 0; i < p.indices.length; i++) indices[o + i] = p.indices[i]! + base;
    o += p.indices.length;
    base += p.positions.length / 3;
  }
  const out: Mesh = { positions: cat('positions')!, indices };
  const uvs = cat('uvs'), normals = cat('normals'), tangents = cat('tangents');
  if (uvs) out.uvs = uvs;
  if (normals) out.normals = normals;
  if (tangents) out.tangents = tangents;
  return out;
}

/** p ← T · R · S · p for a node's translation, rotation (unit quaternion) and scale, in place. */
function applyNodeTransform(p: Float32Array, node: NonNullable<GltfJson['nodes']>[number]): void {
  const [tx, ty, tz] = node.translation ?? [0, 0, 0];
  const [qx, qy, qz, qw] = node.rotation ?? [0, 0, 0, 1];
  const [sx, sy, sz] = node.scale ?? [1, 1, 1];
  if (tx === 0 && ty === 0 && tz === 0 && qx === 0 && qy === 0 && qz === 0 && sx === 1 && sy === 1 && sz === 1) return;
  for (let i = 0; i < p.length; i += 3) {
    const x = p[i]! * sx!, y = p[i + 1]! * sy!, z = p[i + 2]! * sz!;
    // v + 2w(q × v) + 2 q × (q × v)
    const cx = qy! * z - qz! * y, cy = qz! * x - qx! * z, cz = qx! * y - qy! * x;
    const dx = qy! * cz - qz! * cy, dy = qz! * cx - qx! * cz, dz = qx! * cy - qy! * cx;
    p[i] = x + 2 * (qw! * cx + dx) + tx!;
    p[i + 1] = y + 2 * (qw! * cy + dy) + ty!;
    p[i + 2] = z + 2 * (qw! * cz + dz) + tz!;
  }
}

/**
 * glTF 2.0 binary (.glb) writer and a small reader for our own output.
 *
 * The writer takes data already in glTF's frame and units: metres, +Y up, +Z toward the viewer,
 * counter-clockwise front faces (the caller converts from the internal camera frame). It writes
 * one mesh with one primitive (non-interleaved float attributes, uint16 indices when the vertex
 * count allows, uint32 otherwise), one PBR material with optional embedded PNG textures, an
 * optional perspective camera node, and passes the Khronos glTF-Validator with no errors or
 * warnings (see test/unit/export.test.ts).
 *
 * Layout: every bufferView starts on a 4-byte boundary; the JSON chunk is padded with spaces and
 * the BIN chunk with zeros to a multiple of 4 bytes, as the GLB spec requires.
 */
import { FaceDetailError } from '../errors.js';
import type { Mesh } from '../types.js';
import { checkMesh, checkName, checkNumber, describe, invalid, textDecode, utf8Encode } from './validate.js';

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
export const GLB_MATERIAL_DEFAULTS = {
  name: 'face',
  baseColorFactor: [1, 1, 1, 1] as [number, number, number, number],
  metallicFactor: 0,
  roughnessFactor: 0.6,
  doubleSided: false,
} as const satisfies Required<GlbMaterial>;

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
  /** PNG bytes of the sRGB base colour (albedo) map, embedded in the GLB. */
  baseColorPng?: Uint8Array;
  /**
   * PNG bytes of the tangent-space normal map (glTF convention: red = +X right, green = +Y toward
   * the top of the image, i.e. decreasing stored v). Give `mesh.tangents` with it: without them
   * viewers generate their own tangent space and the validator warns
   * (MESH_PRIMITIVE_GENERATED_TANGENT_SPACE).
   */
  normalPng?: Uint8Array;
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
  /** Untextured meshes added as further nodes of the scene (after the face and the camera). */
  extraMeshes?: GlbExtraMesh[];
}

/** An untextured extra mesh written as its own node, mesh and material (e.g. the head around the face). */
export interface GlbExtraMesh {
  /** Node, mesh and material name. @example 'head' */
  name: string;
  /** Positions (metres, glTF frame), optional normals, indices; no UVs. */
  mesh: Mesh;
  /** Linear RGB base colour in [0, 1]. */
  color: [number, number, number];
}

/** Defaults of {@link GlbInput}. */
export const GLB_DEFAULTS = {
  meshName: 'face',
  nodeName: 'face',
  sceneName: 'facedetail',
  normalScale: 1,
  textureWrap: 'clamp',
  generator: 'facedetail',
} as const satisfies Partial<GlbInput>;

// glTF enums.
const FLOAT = 5126, UNSIGNED_BYTE = 5121, UNSIGNED_SHORT = 5123, UNSIGNED_INT = 5125;
const ARRAY_BUFFER = 34962, ELEMENT_ARRAY_BUFFER = 34963;
const LINEAR = 9729, LINEAR_MIPMAP_LINEAR = 9987, CLAMP_TO_EDGE = 33071, REPEAT = 10497;
const GLB_MAGIC = 0x46546c67, CHUNK_JSON = 0x4e4f534a, CHUNK_BIN = 0x004e4942;
const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

/** The glTF JSON as far as this module writes and reads it. */
export interface GltfJson {
  asset: { version: string; generator?: string; copyright?: string; extras?: unknown };
  scene?: number;
  scenes?: Array<{ name?: string; nodes?: number[]; extras?: unknown }>;
  nodes?: Array<{ name?: string; mesh?: number; camera?: number; translation?: number[]; rotation?: number[]; scale?: number[]; matrix?: number[]; children?: number[] }>;
  meshes?: Array<{ name?: string; primitives: Array<{ attributes: Record<string, number>; indices?: number; material?: number; mode?: number }> }>;
  materials?: Array<Record<string, unknown>>;
  textures?: Array<{ sampler?: number; source?: number }>;
  samplers?: Array<{ magFilter?: number; minFilter?: number; wrapS?: number; wrapT?: number }>;
  images?: Array<{ bufferView?: number; mimeType?: string; uri?: string; name?: string }>;
  cameras?: Array<{ type: string; name?: string; perspective?: { yfov: number; znear: number; zfar?: number; aspectRatio?: number } }>;
  accessors?: Array<{ bufferView?: number; byteOffset?: number; componentType: number; count: number; type: string; normalized?: boolean; min?: number[]; max?: number[]; sparse?: unknown }>;
  bufferViews?: Array<{ buffer: number; byteOffset?: number; byteLength: number; byteStride?: number; target?: number }>;
  buffers?: Array<{ byteLength: number; uri?: string }>;
  extensionsUsed?: string[];
  extensionsRequired?: string[];
  [key: string]: unknown;
}

/** Accumulates the BIN chunk: each piece starts on a 4-byte boundary. */
class BinBuilder {
  readonly parts: Uint8Array[] = [];
  readonly views: NonNullable<GltfJson['bufferViews']> = [];
  length = 0;
  /** Append bytes as a new bufferView and return its index. */
  add(bytes: Uint8Array, target?: number): number {
    const pad = (4 - (this.length % 4)) % 4;
    if (pad) { this.parts.push(new Uint8Array(pad)); this.length += pad; }
    this.parts.push(bytes);
    const view: NonNullable<GltfJson['bufferViews']>[number] = { buffer: 0, byteOffset: this.length, byteLength: bytes.byteLength };
    if (target !== undefined) view.target = target;
    this.views.push(view);
    this.length += bytes.byteLength;
    return this.views.length - 1;
  }
}

/** Bytes of a typed array (platform byte order; every supported platform is little-endian). */
function bytesOf(a: Float32Array | Uint32Array | Uint16Array): Uint8Array {
  return new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
}

const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** Copy of `src` (stride `dim`, first 3 components renormalised when off by > 1e-5). */
function unitVectors(src: Float32Array, dim: number): Float32Array {
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

function checkPng(fn: string, name: string, v: unknown): Uint8Array {
  if (!(v instanceof Uint8Array)) invalid(fn, `${name} must be a Uint8Array of PNG bytes, got ${describe(v)}`);
  if (v.length < 8 || PNG_SIGNATURE.some((b, i) => v[i] !== b)) invalid(fn, `${name} is not a PNG (missing PNG signature)`);
  return v;
}

function checkVec(fn: string, name: string, v: unknown, len: number): number[] {
  if (!Array.isArray(v) || v.length !== len) invalid(fn, `${name} must be an array of ${len} numbers, got ${describe(v)}`);
  return v.map((x, i) => checkNumber(fn, `${name}[${i}]`, x));
}

/** JSON-stringify `extras`, rejecting values JSON would silently mangle. */
function checkExtras(fn: string, extras: unknown): Record<string, unknown> {
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
 * Write a glTF 2.0 binary (.glb) holding one textured mesh, its material and optionally a
 * camera. Returns the file bytes; no I/O.
 *
 * @example
 * const glb = writeGlb({
 *   mesh: { positions, normals, uvs, tangents, indices }, // metres, +Y up, +Z toward viewer
 *   baseColorPng: encodePng(albedo), normalPng: encodePng(normalMap), normalScale: 1,
 *   material: { roughnessFactor: 0.6 },
 *   camera: { yfov: 0.6, aspectRatio: 0.75, znear: 0.01, translation: [0, 0, 0.5] },
 *   generator: 'facedetail 0.1.0', extras: { focalSource: 'exif' },
 * });
 */
export function writeGlb(input: GlbInput): Uint8Array {
  const fn = 'writeGlb';
  if (input === null || typeof input !== 'object') invalid(fn, `input must be a GlbInput object, got ${describe(input)}`);
  if (!LITTLE_ENDIAN) throw new FaceDetailError('INTERNAL', `${fn}: big-endian platforms are not supported`);
  const mesh = input.mesh;
  const { vertexCount } = checkMesh(fn, mesh, 'input.mesh');
  const meshName = checkName(fn, 'input.meshName', input.meshName ?? GLB_DEFAULTS.meshName);
  const nodeName = checkName(fn, 'input.nodeName', input.nodeName ?? GLB_DEFAULTS.nodeName);
  const sceneName = checkName(fn, 'input.sceneName', input.sceneName ?? GLB_DEFAULTS.sceneName);
  const generator = checkName(fn, 'input.generator', input.generator ?? GLB_DEFAULTS.generator);
  const copyright = input.copyright === undefined ? undefined : checkName(fn, 'input.copyright', input.copyright);
  const baseColorPng = input.baseColorPng === undefined ? undefined : checkPng(fn, 'input.baseColorPng', input.baseColorPng);
  const normalPng = input.normalPng === undefined ? undefined : checkPng(fn, 'input.normalPng', input.normalPng);
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
  baseColorFactor.forEach((c, i) => checkNumber(fn, `input.material.baseColorFactor[${i}]`, c, { min: 0, max: 1 }));
  checkNumber(fn, 'input.material.metallicFactor', mat.metallicFactor, { min: 0, max: 1 });
  checkNumber(fn, 'input.material.roughnessFactor', mat.roughnessFactor, { min: 0, max: 1 });
  if (typeof mat.doubleSided !== 'boolean') invalid(fn, `input.material.doubleSided must be a boolean, got ${describe(mat.doubleSided)}`);
  const extras = input.extras === undefined ? undefined : checkExtras(fn, input.extras);

  const json: GltfJson = { asset: { version: '2.0', generator } };
  if (copyright !== undefined) json.asset.copyright = copyright;
  const bin = new BinBuilder();
  const accessors: NonNullable<GltfJson['accessors']> = [];

  // --- vertex attributes
  const pos = mesh.positions;
  const min = [Infinity, Infinity, Infinity], max = [-Infinity, -Infinity, -Infinity];
  for (let i = 0; i < vertexCount; i++) {
    for (let c = 0; c < 3; c++) {
      const v = pos[3 * i + c]!;
      if (v < min[c]!) min[c] = v;
      if (v > max[c]!) max[c] = v;
    }
  }
  const attributes: Record<string, number> = {};
  const addAttribute = (semantic: string, data: Float32Array, type: string, bounds?: { min: number[]; max: number[] }): void => {
    const bufferView = bin.add(bytesOf(data), ARRAY_BUFFER);
    accessors.push({ bufferView, componentType: FLOAT, count: vertexCount, type, ...(bounds ?? {}) });
    attributes[semantic] = accessors.length - 1;
  };
  // Normalise -0 so min/max compare cleanly in every JSON reader.
  addAttribute('POSITION', pos, 'VEC3', { min: min.map((v) => v + 0), max: max.map((v) => v + 0) });
  if (mesh.normals) addAttribute('NORMAL', unitVectors(mesh.normals, 3), 'VEC3');
  if (mesh.uvs) addAttribute('TEXCOORD_0', mesh.uvs, 'VEC2');
  if (mesh.tangents) addAttribute('TANGENT', unitVectors(mesh.tangents, 4), 'VEC4');

  // --- indices: uint16 when every index fits below the primitive-restart value 65535
  const idx = mesh.indices;
  const small = vertexCount <= 65535;
  const idxData = small ? Uint16Array.from(idx) : idx;
  const idxView = bin.add(bytesOf(idxData), ELEMENT_ARRAY_BUFFER);
  accessors.push({ bufferView: idxView, componentType: small ? UNSIGNED_SHORT : UNSIGNED_INT, count: idx.length, type: 'SCALAR' });
  const indicesAccessor = accessors.length - 1;

  // --- textures and material
  const material: Record<string, unknown> = { name: mat.name };
  const pbr: Record<string, unknown> = {};
  if (baseColorFactor.some((c) => c !== 1)) pbr.baseColorFactor = baseColorFactor;
  const images: NonNullable<GltfJson['images']> = [];
  const textures: NonNullable<GltfJson['textures']> = [];
  const addTexture = (png: Uint8Array, name: string): number => {
    images.push({ bufferView: bin.add(png), mimeType: 'image/png', name });
    textures.push({ sampler: 0, source: images.length - 1 });
    return textures.length - 1;
  };
  if (baseColorPng) pbr.baseColorTexture = { index: addTexture(baseColorPng, `${mat.name}_baseColor`) };
  pbr.metallicFactor = mat.metallicFactor;
  pbr.roughnessFactor = mat.roughnessFactor;
  material.pbrMetallicRoughness = pbr;
  if (normalPng) {
    const normalTexture: Record<string, unknown> = { index: addTexture(normalPng, `${mat.name}_normal`) };
    if (normalScale !== 1) normalTexture.scale = normalScale;
    material.normalTexture = normalTexture;
  }
  material.doubleSided = mat.doubleSided;

  // --- nodes, camera, scene
  const nodes: NonNullable<GltfJson['nodes']> = [{ name: nodeName, mesh: 0 }];
  if (input.camera !== undefined) {
    const cam = input.camera;
    if (cam === null || typeof cam !== 'object') invalid(fn, `input.camera must be a GlbCamera object, got ${describe(cam)}`);
    const camName = checkName(fn, 'input.camera.name', cam.name ?? 'camera');
    const perspective: NonNullable<NonNullable<GltfJson['cameras']>[number]['perspective']> = {
      yfov: checkNumber(fn, 'input.camera.yfov (radians)', cam.yfov, { gt: 0, lt: Math.PI }),
      znear: checkNumber(fn, 'input.camera.znear (metres)', cam.znear, { gt: 0 }),
    };
    if (cam.zfar !== undefined) perspective.zfar = checkNumber(fn, 'input.camera.zfar (metres)', cam.zfar, { gt: perspective.znear });
    if (cam.aspectRatio !== undefined) perspective.aspectRatio = checkNumber(fn, 'input.camera.aspectRatio', cam.aspectRatio, { gt: 0 });
    json.cameras = [{ type: 'perspective', name: camName, perspective }];
    const node: NonNullable<GltfJson['nodes']>[number] = { name: camName, camera: 0 };
    if (cam.translation !== undefined) node.translation = checkVec(fn, 'input.camera.translation', cam.translation, 3);
    if (cam.rotation !== undefined) {
      const q = checkVec(fn, 'input.camera.rotation', cam.rotation, 4);
      const len = Math.hypot(q[0]!, q[1]!, q[2]!, q[3]!);
      if (Math.abs(len - 1) > 1e-3) invalid(fn, `input.camera.rotation must be a unit quaternion [x, y, z, w], got length ${len}`);
      node.rotation = q.map((c) => c / len);
    }
    nodes.push(node);
  }
  const scene: NonNullable<GltfJson['scenes']>[number] = { name: sceneName, nodes: nodes.map((_, i) => i) };
  if (extras !== undefined) scene.extras = extras;

  json.meshes = [{ name: meshName, primitives: [{ attributes, indices: indicesAccessor, material: 0, mode: 4 }] }];
  json.materials = [material];
  // --- extra meshes: one node, mesh and flat material each
  (input.extraMeshes ?? []).forEach((e, k) => {
    const what = `input.extraMeshes[${k}]`;
    const name = checkName(fn, `${what}.name`, e.name);
    const { vertexCount: nv } = checkMesh(fn, e.mesh, `${what}.mesh`);
    const color = checkVec(fn, `${what}.color`, e.color, 3);
    color.forEach((c, i) => checkNumber(fn, `${what}.color[${i}]`, c, { min: 0, max: 1 }));
    const p = e.mesh.positions;
    const lo = [Infinity, Infinity, Infinity], hi = [-Infinity, -Infinity, -Infinity];
    for (let i = 0; i < nv; i++) for (let c = 0; c < 3; c++) { const v = p[3 * i + c]!; if (v < lo[c]!) lo[c] = v; if (v > hi[c]!) hi[c] = v; }
    const attrs: Record<string, number> = {};
    accessors.push({ bufferView: bin.add(bytesOf(p), ARRAY_BUFFER), componentType: FLOAT, count: nv, type: 'VEC3', min: lo.map((v) => v + 0), max: hi.map((v) => v + 0) });
    attrs.POSITION = accessors.length - 1;
    if (e.mesh.normals) {
      accessors.push({ bufferView: bin.add(bytesOf(unitVectors(e.mesh.normals, 3)), ARRAY_BUFFER), componentType: FLOAT, count: nv, type: 'VEC3' });
      attrs.NORMAL = accessors.length - 1;
    }
    const ei = e.mesh.indices, eSmall = nv <= 65535;
    accessors.push({ bufferView: bin.add(bytesOf(eSmall ? Uint16Array.from(ei) : ei), ELEMENT_ARRAY_BUFFER), componentType: eSmall ? UNSIGNED_SHORT : UNSIGNED_INT, count: ei.length, type: 'SCALAR' });
    json.materials!.push({ name, pbrMetallicRoughness: { baseColorFactor: [...color, 1], metallicFactor: 0, roughnessFactor: 0.6 }, doubleSided: false });
    json.meshes!.push({ name, primitives: [{ attributes: attrs, indices: accessors.length - 1, material: json.materials!.length - 1, mode: 4 }] });
    nodes.push({ name, mesh: json.meshes!.length - 1 });
  });
  scene.nodes = nodes.map((_, i) => i);

  json.scene = 0;
  json.scenes = [scene];
  json.nodes = nodes;
  if (textures.length) {
    json.textures = textures;
    json.images = images;
    const w = wrap === 'repeat' ? REPEAT : CLAMP_TO_EDGE;
    json.samplers = [{ magFilter: LINEAR, minFilter: LINEAR_MIPMAP_LINEAR, wrapS: w, wrapT: w }];
  }
  json.accessors = accessors;
  json.bufferViews = bin.views;
  const binLength = Math.ceil(bin.length / 4) * 4;
  json.buffers = [{ byteLength: binLength }];

  // --- container
  const jsonBytes = utf8Encode(JSON.stringify(json));
  const jsonLength = Math.ceil(jsonBytes.length / 4) * 4;
  const total = 12 + 8 + jsonLength + 8 + binLength;
  const out = new Uint8Array(total);
  const dv = new DataView(out.buffer);
  dv.setUint32(0, GLB_MAGIC, true);
  dv.setUint32(4, 2, true);
  dv.setUint32(8, total, true);
  dv.setUint32(12, jsonLength, true);
  dv.setUint32(16, CHUNK_JSON, true);
  out.set(jsonBytes, 20);
  out.fill(0x20, 20 + jsonBytes.length, 20 + jsonLength);
  let o = 20 + jsonLength;
  dv.setUint32(o, binLength, true);
  dv.setUint32(o + 4, CHUNK_BIN, true);
  o += 8;
  for (const p of bin.parts) { out.set(p, o); o += p.byteLength; } // zero padding is already there
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
 * Parse a .glb: JSON chunk, BIN chunk, and the first primitive of the first mesh (POSITION,
 * NORMAL, TEXCOORD_0, TANGENT as float accessors, any index type; interleaved views allowed,
 * sparse and quantised accessors are not). Meant for reading our own files back (tests,
 * benchmarks); node transforms are not applied. Throws `INVALID_OPTION` naming `bytes` for
 * anything else.
 *
 * @example
 * const { json, mesh, images } = readGlb(writeGlb({ mesh }));
 * mesh.positions; // Float32Array, metres, as written
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
  const COMPONENT_BYTES: Record<number, number> = { [UNSIGNED_BYTE]: 1, [UNSIGNED_SHORT]: 2, [UNSIGNED_INT]: 4, [FLOAT]: 4 };
  const readAccessor = (index: number, what: string, float: boolean): Float32Array | Uint32Array => {
    const a = j.accessors?.[index];
    if (!a) invalid(fn, `bytes: ${what} refers to missing accessor ${index}`);
    if (a.sparse !== undefined || a.bufferView === undefined) invalid(fn, `bytes: ${what} accessor ${index} is sparse or has no bufferView (unsupported)`);
    const dim = SIZES[a.type];
    const cb = COMPONENT_BYTES[a.componentType];
    if (dim === undefined || cb === undefined) invalid(fn, `bytes: ${what} accessor ${index} has unsupported type ${a.type}/${a.componentType}`);
    if (float && a.componentType !== FLOAT) invalid(fn, `bytes: ${what} accessor ${index} is not FLOAT (quantised attributes are unsupported)`);
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
        out[i * dim + c] = a.componentType === FLOAT ? v.getFloat32(p, true)
          : cb === 4 ? v.getUint32(p, true) : cb === 2 ? v.getUint16(p, true) : v.getUint8(p);
      }
    }
    return out;
  };

  const prim = j.meshes?.[0]?.primitives?.[0];
  if (!prim) invalid(fn, `bytes has no mesh primitive`);
  const attr = prim.attributes ?? {};
  if (attr.POSITION === undefined) invalid(fn, `bytes: the first primitive has no POSITION`);
  const positions = readAccessor(attr.POSITION, 'POSITION', true) as Float32Array;
  const mesh: Mesh = {
    positions,
    indices: prim.indices !== undefined
      ? (readAccessor(prim.indices, 'indices', false) as Uint32Array)
      : Uint32Array.from({ length: positions.length / 3 }, (_, i) => i),
  };
  if (attr.NORMAL !== undefined) mesh.normals = readAccessor(attr.NORMAL, 'NORMAL', true) as Float32Array;
  if (attr.TEXCOORD_0 !== undefined) mesh.uvs = readAccessor(attr.TEXCOORD_0, 'TEXCOORD_0', true) as Float32Array;
  if (attr.TANGENT !== undefined) mesh.tangents = readAccessor(attr.TANGENT, 'TANGENT', true) as Float32Array;

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

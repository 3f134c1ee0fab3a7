/**
 * The ARKit rig as a glTF 2.0 binary (rig.glb), written with glTF-Transform, and a reader for it.
 *
 * One mesh (`head`) holds every part as a primitive — the textured face, the head and neck skin
 * (its own base-colour texture when given), then the flat-coloured sockets, mouth, teeth, eyes,
 * irises — so that viewers show one object with one set of
 * blend shapes (Blender: one object, 52 shape keys; three.js: one `morphTargetDictionary`). Every
 * primitive has the same morph targets, in the order of `mesh.extras.targetNames`; `mesh.weights`
 * holds the default weights. Targets are POSITION deltas only (no NORMAL deltas: they would add
 * ~40 % to the file; Blender recomputes normals, three.js keeps the base normals under a morph).
 *
 * Size: positions and targets are quantised (KHR_mesh_quantization, int16 on one grid:
 * 5 µm steps over the head, see positionGrid), and every target is a sparse accessor (uint16 vertex index + int16
 * xyz: 8 bytes per moved vertex, the same as one dense int16 vertex with its 4-byte padding), so a
 * target costs only the vertices it moves; an empty target (ICT has no `tongueOut`) is an accessor
 * without data (all zeros, 0 bytes). No EXT_meshopt / Draco: Blender 3.4 imports neither with
 * morph targets.
 */
import { Document, Logger, WebIO, type Accessor, type Material, type Primitive } from '@gltf-transform/core';
import { KHRMeshQuantization } from '@gltf-transform/extensions';
import { FaceDetailError } from '../errors.js';
import type { Mesh } from '../types.js';
import { addCameraNode, checkCamera, checkExtras, checkPng, splitMeshWithSources, unitVectors, type GlbCamera } from './glb.js';
import { checkMesh, checkName, checkNumber, describe, invalid } from './validate.js';

/** One morph target of one part: sparse deltas (metres, glTF frame). */
export interface RigGlbTarget {
  /** Vertex indices into the part's mesh. */
  indices: Uint32Array;
  /** xyz per index, metres. */
  deltas: Float32Array;
}

/** One part of the rig mesh (one primitive, or several when above 65,535 vertices). */
export interface RigGlbPart {
  /** Material name. @example 'teeth' */
  name: string;
  /** Neutral base, metres, glTF frame; `uvs` (and `tangents`) for the textured part. */
  mesh: Mesh;
  /** One target per {@link RigGlbInput.targetNames}. */
  targets: readonly RigGlbTarget[];
  /** `true`: the part uses the base-colour and normal textures (needs `mesh.uvs`). */
  textured?: boolean;
  /**
   * PNG bytes of this part's own sRGB base colour (needs `mesh.uvs`; e.g. the head texture): its
   * material gets this texture and no normal map. Ignored when `textured`.
   */
  baseColorPng?: Uint8Array;
  /** Linear RGB of an untextured part. @example [0.9, 0.88, 0.8] */
  color?: [number, number, number];
}

/** What {@link writeRigGlb} writes. */
export interface RigGlbInput {
  parts: readonly RigGlbPart[];
  /** Morph target names (`mesh.extras.targetNames`). @example ARKIT_BLENDSHAPE_NAMES */
  targetNames: readonly string[];
  /** Default morph weights (`mesh.weights`), one per name. */
  weights: ArrayLike<number>;
  /** Mesh and node name. @example 'head' */
  name?: string;
  /** PNG bytes of the sRGB base colour of the textured part. */
  baseColorPng?: Uint8Array;
  /** PNG bytes of the tangent-space normal map of the textured part (give its mesh tangents). */
  normalPng?: Uint8Array;
  /** Optional perspective camera node (as in face.glb). */
  camera?: GlbCamera;
  /** `asset.generator`. @example 'facedetail 0.1.0' */
  generator?: string;
  /** Scene extras (JSON). */
  extras?: Record<string, unknown>;
}

/** How {@link writeRigGlb} stores the geometry. */
export interface RigGlbWriteOptions {
  /** KHR_mesh_quantization of positions, targets, normals, tangents, UVs. @example true */
  quantize?: boolean;
}

/** Defaults of {@link RigGlbInput} and {@link RigGlbWriteOptions}. */
export const RIG_GLB_DEFAULTS = Object.freeze({ name: 'head', generator: 'facedetail', quantize: true });

const LINEAR = 9729, LINEAR_MIPMAP_LINEAR = 9987, CLAMP_TO_EDGE = 33071;

/**
 * Write the rig GLB. Returns the file bytes; no I/O.
 *
 * @example
 * const glb = await writeRigGlb({
 *   parts: [{ name: 'face', mesh, targets, textured: true }],
 *   targetNames: ARKIT_BLENDSHAPE_NAMES, weights, baseColorPng, normalPng,
 * });
 */
export async function writeRigGlb(input: RigGlbInput, options: RigGlbWriteOptions = {}): Promise<Uint8Array> {
  const fn = 'writeRigGlb';
  const q = options.quantize ?? RIG_GLB_DEFAULTS.quantize;
  if (typeof q !== 'boolean') invalid(fn, `options.quantize must be a boolean, got ${describe(q)}`);
  const doc = buildRigDocument(fn, input, q);
  // Silent: the writer would warn on stderr about targets that move most vertices (stored
  // sparsely anyway: 8 bytes per moved vertex, as dense), and the core never logs to the console.
  const io = new WebIO().setLogger(new Logger(Logger.Verbosity.SILENT)).registerExtensions([KHRMeshQuantization]);
  try {
    // Normals, tangents and UVs by glTF-Transform; positions and targets are already int16 (see positionGrid).
    if (q) await doc.transform((await import('@gltf-transform/functions')).quantize({ pattern: /^(NORMAL|TANGENT|TEXCOORD_0)$/, patternTargets: /^$/, quantizeNormal: 8, quantizeTexcoord: 16 }));
    // Every morph target becomes sparse; indices and vertex attributes stay dense
    // (glTF-Transform's sparse() would take any mostly-zero accessor, indices included).
    markTargetsSparse(doc);
    return await io.writeBinary(doc);
  } catch (e) {
    if (e instanceof FaceDetailError) throw e;
    throw new FaceDetailError('INTERNAL', `${fn}: glTF-Transform failed to write the GLB: ${(e as Error).message}`);
  }
}

/** Store each morph-target accessor sparsely unless almost every vertex moves (8 bytes per stored vertex either way). */
function markTargetsSparse(doc: Document): void {
  const el = [0, 0, 0];
  for (const mesh of doc.getRoot().listMeshes()) {
    for (const prim of mesh.listPrimitives()) {
      for (const target of prim.listTargets()) {
        const a = target.getAttribute('POSITION');
        if (!a) continue;
        let moved = 0;
        for (let i = 0; i < a.getCount(); i++) { a.getElement(i, el); if (el[0] !== 0 || el[1] !== 0 || el[2] !== 0) moved++; }
        a.setSparse(moved < 0.99 * a.getCount());
      }
    }
  }
}

/**
 * The int16 grid of the positions and target deltas: origin at the centre of every part's
 * bounding box, one step = the largest half-extent / 32767 (≈ 5 µm over a head). Written as plain
 * (unnormalised) SHORT accessors with the step as the node's scale — KHR_mesh_quantization allows
 * them for POSITION and morph-target POSITION. Not glTF-Transform's quantize(): it stores
 * normalised SHORTs, and its sparse writer truncates normalised values to 0 (the deltas vanish).
 */
function positionGrid(parts: readonly RigGlbPart[]): { origin: [number, number, number]; step: number } {
  const lo = [Infinity, Infinity, Infinity], hi = [-Infinity, -Infinity, -Infinity];
  for (const p of parts) {
    const P = p.mesh.positions;
    for (let i = 0; i < P.length; i++) { const c = i % 3; if (P[i]! < lo[c]!) lo[c] = P[i]!; if (P[i]! > hi[c]!) hi[c] = P[i]!; }
  }
  const origin = [0, 1, 2].map((c) => (lo[c]! + hi[c]!) / 2) as [number, number, number];
  const half = Math.max(...[0, 1, 2].map((c) => (hi[c]! - lo[c]!) / 2), 1e-6);
  return { origin, step: half / 32767 };
}

function toGrid(v: Float32Array, step: number, origin?: readonly number[]): Int16Array {
  const out = new Int16Array(v.length);
  for (let i = 0; i < v.length; i++) out[i] = Math.max(-32767, Math.min(32767, Math.round((v[i]! - (origin ? origin[i % 3]! : 0)) / step)));
  return out;
}

function buildRigDocument(fn: string, input: RigGlbInput, quantized: boolean): Document {
  if (input === null || typeof input !== 'object') invalid(fn, `input must be a RigGlbInput object, got ${describe(input)}`);
  const names = input.targetNames;
  if (!Array.isArray(names) || names.length === 0) invalid(fn, `input.targetNames must be a non-empty array of names, got ${describe(names)}`);
  names.forEach((n, i) => { checkName(fn, `input.targetNames[${i}]`, n); });
  if (new Set(names).size !== names.length) invalid(fn, `input.targetNames must be unique`);
  if (input.weights?.length !== names.length) invalid(fn, `input.weights must have one weight per target name (${names.length}), got ${describe(input.weights)}`);
  const weights = Array.from(input.weights, (w, i) => checkNumber(fn, `input.weights[${i}]`, w));
  if (!Array.isArray(input.parts) || input.parts.length === 0) invalid(fn, `input.parts must be a non-empty array of RigGlbPart, got ${describe(input.parts)}`);
  const name = checkName(fn, 'input.name', input.name ?? RIG_GLB_DEFAULTS.name);
  const baseColorPng = input.baseColorPng === undefined ? undefined : checkPng(fn, 'input.baseColorPng', input.baseColorPng);
  const normalPng = input.normalPng === undefined ? undefined : checkPng(fn, 'input.normalPng', input.normalPng);
  const camera = input.camera === undefined ? undefined : checkCamera(fn, input.camera);
  const extras = input.extras === undefined ? undefined : checkExtras(fn, input.extras);
  input.parts.forEach((p, k) => {
    const what = `input.parts[${k}]`;
    checkName(fn, `${what}.name`, p.name);
    checkMesh(fn, p.mesh, `${what}.mesh`);
    if ((p.textured || p.baseColorPng !== undefined) && !p.mesh.uvs) invalid(fn, `${what}.mesh.uvs is required for a textured part`);
    if (p.baseColorPng !== undefined) checkPng(fn, `${what}.baseColorPng`, p.baseColorPng);
    if (p.targets?.length !== names.length) invalid(fn, `${what}.targets must have one target per name (${names.length}), got ${describe(p.targets)}`);
    const nv = p.mesh.positions.length / 3;
    p.targets.forEach((t: RigGlbTarget, j: number) => {
      if (!(t.indices instanceof Uint32Array) || !(t.deltas instanceof Float32Array) || t.deltas.length !== 3 * t.indices.length) {
        invalid(fn, `${what}.targets[${j}] must be { indices: Uint32Array, deltas: Float32Array of 3 per index }`);
      }
      for (const v of t.indices) if (v >= nv) invalid(fn, `${what}.targets[${j}].indices has vertex ${v}, the mesh has ${nv}`);
      for (const d of t.deltas) if (!Number.isFinite(d)) invalid(fn, `${what}.targets[${j}].deltas has a non-finite value`);
    });
  });

  const doc = new Document();
  doc.setLogger(new Logger(Logger.Verbosity.SILENT));
  doc.getRoot().getAsset().generator = checkName(fn, 'input.generator', input.generator ?? RIG_GLB_DEFAULTS.generator);
  const buffer = doc.createBuffer();
  const scene = doc.createScene('facedetail rig');
  if (extras) scene.setExtras(extras);
  doc.getRoot().setDefaultScene(scene);
  const mesh = doc.createMesh(name).setWeights(weights).setExtras({ targetNames: [...names] });
  const attribute = (data: Float32Array | Int16Array, type: 'VEC2' | 'VEC3' | 'VEC4'): Accessor => doc.createAccessor().setType(type).setArray(data).setBuffer(buffer);
  const grid = quantized ? positionGrid(input.parts) : undefined;
  const position = (p: Float32Array): Float32Array | Int16Array => (grid ? toGrid(p, grid.step, grid.origin) : p);
  const delta = (d: Float32Array): Float32Array | Int16Array => (grid ? toGrid(d, grid.step) : d);

  for (const part of input.parts) {
    const material = partMaterial(doc, part, baseColorPng, normalPng);
    for (const { mesh: piece, sources } of splitMeshWithSources(part.mesh)) {
      const prim = doc.createPrimitive().setMaterial(material).setMode(4);
      prim.setAttribute('POSITION', attribute(position(piece.positions), 'VEC3'));
      if (piece.normals) prim.setAttribute('NORMAL', attribute(unitVectors(piece.normals, 3), 'VEC3'));
      if ((part.textured || part.baseColorPng) && piece.uvs) prim.setAttribute('TEXCOORD_0', attribute(piece.uvs, 'VEC2'));
      if (part.textured && piece.tangents && piece.normals) prim.setAttribute('TANGENT', attribute(unitVectors(piece.tangents, 4), 'VEC4'));
      prim.setIndices(doc.createAccessor().setType('SCALAR').setArray(Uint16Array.from(piece.indices)).setBuffer(buffer));
      addTargets(doc, prim, part, sources, names, (d) => attribute(delta(d), 'VEC3'));
      mesh.addPrimitive(prim);
    }
  }
  const node = doc.createNode(name).setMesh(mesh);
  if (grid) node.setTranslation(grid.origin).setScale([grid.step, grid.step, grid.step]);
  scene.addChild(node);
  if (camera) addCameraNode(doc, scene, camera);
  return doc;
}

function partMaterial(doc: Document, part: RigGlbPart, baseColorPng?: Uint8Array, normalPng?: Uint8Array): Material {
  const m = doc.createMaterial(part.name).setMetallicFactor(0).setRoughnessFactor(0.6);
  const sampler = (info: ReturnType<Material['getBaseColorTextureInfo']>): void => {
    info?.setMagFilter(LINEAR).setMinFilter(LINEAR_MIPMAP_LINEAR).setWrapS(CLAMP_TO_EDGE).setWrapT(CLAMP_TO_EDGE);
  };
  if (!part.textured && part.baseColorPng) {
    m.setBaseColorTexture(doc.createTexture(`${part.name}_baseColor`).setImage(part.baseColorPng).setMimeType('image/png'));
    sampler(m.getBaseColorTextureInfo());
    return m;
  }
  if (!part.textured) {
    const c = part.color ?? [0.5, 0.4, 0.35];
    return m.setBaseColorFactor([c[0], c[1], c[2], 1]);
  }
  if (baseColorPng) { m.setBaseColorTexture(doc.createTexture(`${part.name}_baseColor`).setImage(baseColorPng).setMimeType('image/png')); sampler(m.getBaseColorTextureInfo()); }
  if (normalPng) { m.setNormalTexture(doc.createTexture(`${part.name}_normal`).setImage(normalPng).setMimeType('image/png')); sampler(m.getNormalTextureInfo()); }
  return m;
}

/** The part's targets restricted to one split piece (dense float arrays; sparse() stores them sparsely). */
function addTargets(doc: Document, prim: Primitive, part: RigGlbPart, sources: Uint32Array, names: readonly string[], attribute: (d: Float32Array) => Accessor): void {
  const local = new Int32Array(part.mesh.positions.length / 3).fill(-1);
  sources.forEach((v, i) => { local[v] = i; });
  part.targets.forEach((t, k) => {
    const dense = new Float32Array(3 * sources.length);
    for (let j = 0; j < t.indices.length; j++) {
      const i = local[t.indices[j]!]!;
      if (i < 0) continue;
      dense[3 * i] = t.deltas[3 * j]!; dense[3 * i + 1] = t.deltas[3 * j + 1]!; dense[3 * i + 2] = t.deltas[3 * j + 2]!;
    }
    prim.addTarget(doc.createPrimitiveTarget(names[k]!).setAttribute('POSITION', attribute(dense)));
  });
}

/** What {@link readRigGlb} returns: the rig as a viewer sees it. */
export interface RigGlbContents {
  /** `mesh.extras.targetNames`. */
  targetNames: string[];
  /** `mesh.weights`. */
  weights: number[];
  /** Per primitive: material name, base positions and each target's dense deltas, metres, scene frame. */
  primitives: Array<{ material: string; positions: Float32Array; indices: Uint32Array; targets: Float32Array[] }>;
}

/**
 * Read a rig GLB written by {@link writeRigGlb} (quantised or not, sparse targets) with
 * glTF-Transform: positions with the mesh node's transform applied (the dequantisation), target
 * deltas with its linear part. For tests, benchmarks and tools.
 *
 * @example
 * const rig = await readRigGlb(bytes);
 * const jaw = rig.targetNames.indexOf('jawOpen');
 * rig.primitives[0]!.targets[jaw]; // metres, 3 per vertex
 */
export async function readRigGlb(bytes: Uint8Array): Promise<RigGlbContents> {
  const doc = await new WebIO().setLogger(new Logger(Logger.Verbosity.SILENT)).registerExtensions([KHRMeshQuantization]).readBinary(bytes);
  const node = doc.getRoot().listNodes().find((n) => n.getMesh());
  const mesh = node?.getMesh();
  if (!node || !mesh) invalid('readRigGlb', 'bytes has no mesh node');
  const M = node.getWorldMatrix();
  const apply = (a: Accessor, translate: boolean): Float32Array => {
    const out = new Float32Array(a.getCount() * 3), el = [0, 0, 0];
    for (let i = 0; i < a.getCount(); i++) {
      a.getElement(i, el);
      for (let r = 0; r < 3; r++) out[3 * i + r] = M[r]! * el[0]! + M[4 + r]! * el[1]! + M[8 + r]! * el[2]! + (translate ? M[12 + r]! : 0);
    }
    return out;
  };
  const extras = mesh.getExtras() as { targetNames?: string[] };
  return {
    targetNames: extras.targetNames ?? [],
    weights: mesh.getWeights(),
    primitives: mesh.listPrimitives().map((p) => ({
      material: p.getMaterial()?.getName() ?? '',
      positions: apply(p.getAttribute('POSITION')!, true),
      indices: Uint32Array.from(p.getIndices()!.getArray()!),
      targets: p.listTargets().map((t) => apply(t.getAttribute('POSITION')!, false)),
    })),
  };
}


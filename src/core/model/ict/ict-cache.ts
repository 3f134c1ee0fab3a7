/**
 * The ICT FaceKit morphable model as facedetail caches it: a small JSON header and one binary
 * blob, parsed here into flat typed arrays. Isomorphic (no Node, no DOM): the Node loader
 * (`src/node/model-import/load-ict.ts`) reads the two files, a web build could fetch them.
 *
 * The cache is written by `facedetail model import ict <FaceXModel folder>` from the original
 * OBJ distribution of ICT-FaceKit (MIT, © 2020 USC Institute for Creative Technologies).
 *
 * What the cache holds (all positions in millimetres; ICT's OBJs are in centimetres):
 * - the first {@link ICT_KEPT_VERTEX_COUNT} vertices of the 26,719-vertex ICT topology, which
 *   is everything but the transparent eye-rendering shells (lacrimal fluid, eye blend, eye
 *   occlusion, eyelashes: 2,128 vertices, no use for fitting or export). Vertex order is ICT's,
 *   so the face is the prefix [0, 9409), face + head and neck [0, 11248), the closed skin shell
 *   with mouth and eye sockets [0, 14062); teeth, gums and eyeballs follow (see {@link ICT_REGIONS});
 * - the neutral shape, 100 identity (PCA) shapes and the 53 ARKit-named expression shapes as
 *   float32 deltas from the neutral, shape-major (`deltas[s*3N + 3v + k]`);
 * - the triangulated topology (quads split along their 0–2 diagonal) with per-corner UV indices,
 *   since UV seams make UV index ≠ vertex index, and the UVs (v down, like the rest of facedetail;
 *   ICT's UDIM tiles along u are kept, see {@link IctModelData.uvs});
 * - per-vertex region bit masks, the 68 Multi-PIE landmark vertices, and ICT's fitting and rigid
 *   vertex sets from `vertex_indices.json`;
 * - (version 2) the dense face-mesh → ICT correspondence (`ict-correspondence.ts`): triangle,
 *   barycentric weights and reliability of each of the 468 face-mesh landmarks; and the
 *   pipeline's seam-free UVs of the narrow face (`ict-topology.ts`).
 *
 * @example
 * const data = parseIctCache(JSON.parse(headerText), blobArrayBuffer);
 * const jawOpen = data.expressionNames.indexOf('jawOpen');
 * const d = data.expressionDeltas.subarray(jawOpen * 3 * data.vertexCount, (jawOpen + 1) * 3 * data.vertexCount);
 */
import { FaceDetailError } from '../../errors.js';
import type { IctCorrespondence } from './ict-types.js';

/** Cache format name written in the header. */
export const ICT_CACHE_FORMAT = 'facedetail-ict-cache';
/**
 * Version of the cache layout; a cache of another version is refused (re-import it).
 * 1: model only; 2: + the dense face-mesh correspondence and the narrow face's single-chart UVs.
 */
export const ICT_CACHE_VERSION = 2;
/** Name of the cache folder inside the models folder. */
export const ICT_CACHE_DIRNAME = `ict-v${ICT_CACHE_VERSION}`;
/** File names inside {@link ICT_CACHE_DIRNAME}. */
export const ICT_CACHE_FILES = Object.freeze({ header: 'header.json', blob: 'model.bin' });

/** Vertex count of the ICT FaceKit topology (every OBJ of the distribution). */
export const ICT_SOURCE_VERTEX_COUNT = 26719;
/** Vertices kept in the cache: the prefix [0, 24591) (everything up to the right eyeball). */
export const ICT_KEPT_VERTEX_COUNT = 24591;
/** Centimetres (ICT OBJ units) → millimetres (facedetail units). */
export const ICT_UNIT_SCALE_TO_MM = 10;
/** Number of identity (PCA) shapes in ICT Face Model Light. */
const ICT_IDENTITY_COUNT = 100;

/** The 53 expression shapes, in ICT's order (`vertex_indices.json` → `expressions`). */
export const ICT_EXPRESSION_NAMES: readonly string[] = Object.freeze([
  'browDown_L', 'browDown_R', 'browInnerUp_L', 'browInnerUp_R', 'browOuterUp_L', 'browOuterUp_R',
  'cheekPuff_L', 'cheekPuff_R', 'cheekSquint_L', 'cheekSquint_R', 'eyeBlink_L', 'eyeBlink_R',
  'eyeLookDown_L', 'eyeLookDown_R', 'eyeLookIn_L', 'eyeLookIn_R', 'eyeLookOut_L', 'eyeLookOut_R',
  'eyeLookUp_L', 'eyeLookUp_R', 'eyeSquint_L', 'eyeSquint_R', 'eyeWide_L', 'eyeWide_R',
  'jawForward', 'jawLeft', 'jawOpen', 'jawRight', 'mouthClose', 'mouthDimple_L', 'mouthDimple_R',
  'mouthFrown_L', 'mouthFrown_R', 'mouthFunnel', 'mouthLeft', 'mouthLowerDown_L', 'mouthLowerDown_R',
  'mouthPress_L', 'mouthPress_R', 'mouthPucker', 'mouthRight', 'mouthRollLower', 'mouthRollUpper',
  'mouthShrugLower', 'mouthShrugUpper', 'mouthSmile_L', 'mouthSmile_R', 'mouthStretch_L', 'mouthStretch_R',
  'mouthUpperUp_L', 'mouthUpperUp_R', 'noseSneer_L', 'noseSneer_R',
]);

/** Identity shape names: `identity000` … `identity099` (file names without `.obj`). */
export const ICT_IDENTITY_NAMES: readonly string[] = Object.freeze(
  Array.from({ length: ICT_IDENTITY_COUNT }, (_, i) => `identity${String(i).padStart(3, '0')}`),
);

/**
 * Vertex regions of the ICT topology, from the upstream README (inclusive index ranges). Bit `i`
 * of {@link IctModelData.regionMasks} is set for the vertices of `ICT_REGIONS[i]`.
 */
export const ICT_REGIONS: ReadonlyArray<{ readonly name: string; readonly first: number; readonly last: number }> = Object.freeze([
  { name: 'face', first: 0, last: 9408 },
  { name: 'narrowFace', first: 0, last: 6705 },
  { name: 'headNeck', first: 9409, last: 11247 },
  { name: 'mouthSocket', first: 11248, last: 13293 },
  { name: 'eyeSocketLeft', first: 13294, last: 13677 },
  { name: 'eyeSocketRight', first: 13678, last: 14061 },
  { name: 'gumsTongue', first: 14062, last: 17038 },
  { name: 'teeth', first: 17039, last: 21450 },
  { name: 'eyeballLeft', first: 21451, last: 23020 },
  { name: 'eyeballRight', first: 23021, last: 24590 },
  { name: 'irisLeft', first: 22221, last: 23020 },
  { name: 'irisRight', first: 23791, last: 24590 },
]);

/** Multi-PIE 68-point landmark vertex indices (0-based), from the upstream README. */
export const ICT_LANDMARKS_68: readonly number[] = Object.freeze([
  1225, 1888, 1052, 367, 1719, 1722, 2199, 1447, 966, 3661, 4390, 3927, 3924, 2608, 3272, 4088, 3443,
  268, 493, 1914, 2044, 1401, 3615, 4240, 4114, 2734, 2509, 978, 4527, 4942, 4857, 1140, 2075, 1147,
  4269, 3360, 1507, 1542, 1537, 1528, 1518, 1511, 3742, 3751, 3756, 3721, 3725, 3732, 5708, 5695, 2081,
  0, 4275, 6200, 6213, 6346, 6461, 5518, 5957, 5841, 5702, 5711, 5533, 6216, 6207, 6470, 5517, 5966,
]);

/** The cached model as flat typed arrays (views into the blob: no copy). */
export interface IctModelData {
  /** Layout version of the file it was read from (the cache's, or the bundled model's). */
  version: number;
  /**
   * Where it was read from: `cache`, the full model imported by `facedetail model import ict`;
   * `bundled`, the compact model shipped in the package (`models/ict/`, see `ict-compact.ts`).
   */
  origin?: 'cache' | 'bundled';
  /** Vertex count of the source topology (26,719). */
  sourceVertexCount: number;
  /** Vertices kept (the prefix of the source order), N. */
  vertexCount: number;
  /** Neutral positions, 3N, mm, ICT model frame (y up, z out of the face). */
  neutral: Float32Array;
  identityNames: string[];
  /** Identity deltas from the neutral, shape-major, `identityNames.length` × 3N, mm. */
  identityDeltas: Float32Array;
  expressionNames: string[];
  /** Expression deltas from the neutral, shape-major, `expressionNames.length` × 3N, mm. */
  expressionDeltas: Float32Array;
  /** Triangles, 3T vertex indices (< N), ICT winding. */
  triangles: Uint32Array;
  /** Per-corner UV indices, 3T, into {@link uvs}. */
  triangleUvIndices: Uint32Array;
  /**
   * UVs, 2U, v down (0 = top). ICT lays them out in UDIM tiles along u: `floor(u)` is the tile,
   * 0 face (narrow face fully inside it) and, separately, each eyeball; 1 head, neck, mouth and
   * eye sockets; 2 gums and tongue; 3 teeth. The outer rim of the face area reaches into tile 1.
   */
  uvs: Float32Array;
  /** Region names; bit i of {@link regionMasks} ↔ `regionNames[i]`. */
  regionNames: string[];
  /** Per-vertex region bits, N. */
  regionMasks: Uint16Array;
  /** The 68 Multi-PIE landmark vertex indices. */
  landmarks68: Uint32Array;
  /** ICT's `idx_to_fitting_verts` (vertices its own fitter uses). */
  fittingVertices: Uint32Array;
  /** ICT's `idx_to_rigid_verts` (vertices that barely move with expression). */
  rigidVertices: Uint32Array;
  /**
   * Dense face-mesh landmark → ICT surface correspondence (468 points), computed at import by
   * `computeIctCorrespondence` (since cache version 2).
   */
  correspondence: IctCorrespondence;
  /**
   * The pipeline's single-chart UVs of the narrow face (vertices [0, 6706)), 2 per vertex, v down,
   * computed at import by `computeIctFaceUvs` (since cache version 2).
   */
  faceUvs: Float32Array;
}

/** Element types a blob section may have. */
export type IctSectionType = 'f32' | 'u32' | 'u16';

/** One section of the blob as described in the header. */
export interface IctSection {
  name: string;
  type: IctSectionType;
  /** Byte offset in the blob (multiple of 4). */
  byteOffset: number;
  /** Number of elements. */
  length: number;
}

/** The JSON header of a cache (`header.json`). */
export interface IctCacheHeader {
  format: typeof ICT_CACHE_FORMAT;
  version: number;
  units: 'mm';
  uvOrigin: 'top-left';
  endianness: 'little';
  source: { name: string; license: string; upstream: string; vertexCount: number; uvCount: number; polygonCount: number };
  vertexCount: number;
  triangleCount: number;
  uvCount: number;
  identityNames: string[];
  expressionNames: string[];
  regionNames: string[];
  regions: Array<{ name: string; first: number; last: number }>;
  blobByteLength: number;
  /** FNV-1a 32-bit over the blob's little-endian 32-bit words, 8 hex digits. */
  checksum: string;
  sections: IctSection[];
}

/** Names of the blob sections, in blob order. */
const ICT_SECTION_NAMES = [
  'neutral', 'identityDeltas', 'expressionDeltas', 'triangles', 'triangleUvIndices', 'uvs',
  'regionMasks', 'landmarks68', 'fittingVertices', 'rigidVertices',
  'correspondenceTriangle', 'correspondenceBary', 'correspondenceWeight', 'faceUvs',
] as const;

/** Landmarks covered by the stored correspondence (the 468 face-mesh landmarks). */
export const ICT_CACHE_CORRESPONDENCE_COUNT = 468;

const BYTES: Record<IctSectionType, number> = { f32: 4, u32: 4, u16: 2 };

/**
 * FNV-1a (32-bit) over the little-endian 32-bit words of `bytes` (its length must be a multiple
 * of 4), as 8 hex digits. A word-wise variant: ~4× faster than byte-wise on a 45 MB blob, and it
 * detects any single changed bit or truncation, which is what the cache needs.
 *
 * @example
 * ictChecksum(new Uint8Array(8)) // '117697cd'
 */
export function ictChecksum(bytes: Uint8Array): string {
  if (bytes.byteLength % 4 !== 0) throw new FaceDetailError('INTERNAL', `ictChecksum: length ${bytes.byteLength} is not a multiple of 4`);
  const words = bytes.byteOffset % 4 === 0
    ? new Uint32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 4)
    : new Uint32Array(bytes.slice().buffer);
  let h = 0x811c9dc5;
  for (let i = 0; i < words.length; i++) {
    h = Math.imul(h ^ words[i]!, 0x01000193);
  }
  return (h >>> 0).toString(16).padStart(8, '0');
}

/**
 * Validate a cache header and blob and return typed-array views of the model. Checks the
 * format, version, counts, names, section bounds and the checksum; any mismatch throws
 * `MODEL_CACHE_INVALID` telling the user to re-import.
 *
 * @example
 * const data = parseIctCache(JSON.parse(await readFile(h, 'utf8')), (await readFile(b)).buffer);
 */
export function parseIctCache(header: unknown, blob: ArrayBuffer): IctModelData {
  const bad = (what: string): never => {
    throw new FaceDetailError('MODEL_CACHE_INVALID', `the ICT model cache is invalid (${what}); re-run \`facedetail model import ict <FaceXModel folder>\``);
  };
  if (typeof header !== 'object' || header === null) return bad('header is not a JSON object');
  const h = header as Partial<IctCacheHeader>;
  if (h.format !== ICT_CACHE_FORMAT) return bad(`header format is ${JSON.stringify(h.format)}, expected "${ICT_CACHE_FORMAT}"`);
  if (h.version !== ICT_CACHE_VERSION) return bad(`cache version ${String(h.version)}, this facedetail reads version ${ICT_CACHE_VERSION}`);
  if (h.endianness !== 'little' || new Uint8Array(new Uint16Array([1]).buffer)[0] !== 1) return bad('the cache and this machine must both be little-endian');
  const int = (v: unknown, name: string): number => (typeof v === 'number' && Number.isInteger(v) && v >= 0 ? v : bad(`${name} is ${String(v)}`));
  const names = (v: unknown, name: string): string[] => (Array.isArray(v) && v.every((s) => typeof s === 'string') ? (v as string[]) : bad(`${name} is not a list of names`));
  const n = int(h.vertexCount, 'vertexCount');
  const t = int(h.triangleCount, 'triangleCount');
  const u = int(h.uvCount, 'uvCount');
  const sourceVertexCount = int(h.source?.vertexCount, 'source.vertexCount');
  const identityNames = names(h.identityNames, 'identityNames');
  const expressionNames = names(h.expressionNames, 'expressionNames');
  const regionNames = names(h.regionNames, 'regionNames');
  if (regionNames.length > 16) bad(`${regionNames.length} regions, at most 16 fit the masks`);
  if (n === 0 || n > sourceVertexCount) bad(`vertexCount ${n} with a source of ${sourceVertexCount}`);
  if (int(h.blobByteLength, 'blobByteLength') !== blob.byteLength) bad(`model.bin has ${blob.byteLength} bytes, the header says ${h.blobByteLength} (truncated or replaced file?)`);
  if (blob.byteLength % 4 !== 0) bad('model.bin length is not a multiple of 4');
  if (typeof h.checksum !== 'string' || ictChecksum(new Uint8Array(blob)) !== h.checksum) bad('model.bin checksum mismatch (corrupted file?)');

  const expected: Record<(typeof ICT_SECTION_NAMES)[number], [IctSectionType, number]> = {
    neutral: ['f32', 3 * n],
    identityDeltas: ['f32', identityNames.length * 3 * n],
    expressionDeltas: ['f32', expressionNames.length * 3 * n],
    triangles: ['u32', 3 * t],
    triangleUvIndices: ['u32', 3 * t],
    uvs: ['f32', 2 * u],
    regionMasks: ['u16', n],
    landmarks68: ['u32', 68],
    fittingVertices: ['u32', -1],
    rigidVertices: ['u32', -1],
    correspondenceTriangle: ['u32', ICT_CACHE_CORRESPONDENCE_COUNT],
    correspondenceBary: ['f32', 3 * ICT_CACHE_CORRESPONDENCE_COUNT],
    correspondenceWeight: ['f32', ICT_CACHE_CORRESPONDENCE_COUNT],
    faceUvs: ['f32', -1],
  };
  if (!Array.isArray(h.sections)) return bad('no section table');
  const views = new Map<string, Float32Array | Uint32Array | Uint16Array>();
  for (const s of h.sections as unknown[]) {
    const sec = s as Partial<IctSection>;
    const name = String(sec.name);
    const exp = expected[name as keyof typeof expected];
    if (exp === undefined) return bad(`unknown section "${name}"`);
    if (sec.type !== exp[0]) return bad(`section ${name} has type ${String(sec.type)}, expected ${exp[0]}`);
    const length = int(sec.length, `${name}.length`);
    const offset = int(sec.byteOffset, `${name}.byteOffset`);
    if (exp[1] >= 0 && length !== exp[1]) bad(`section ${name} has ${length} elements, expected ${exp[1]}`);
    if (offset % 4 !== 0 || offset + length * BYTES[exp[0]] > blob.byteLength) bad(`section ${name} lies outside model.bin`);
    views.set(name, exp[0] === 'f32' ? new Float32Array(blob, offset, length) : exp[0] === 'u32' ? new Uint32Array(blob, offset, length) : new Uint16Array(blob, offset, length));
  }
  const get = <T>(name: (typeof ICT_SECTION_NAMES)[number]): T => (views.get(name) as T | undefined) ?? bad(`section ${name} is missing`);

  const data: IctModelData = {
    version: h.version,
    origin: 'cache',
    sourceVertexCount,
    vertexCount: n,
    neutral: get<Float32Array>('neutral'),
    identityNames,
    identityDeltas: get<Float32Array>('identityDeltas'),
    expressionNames,
    expressionDeltas: get<Float32Array>('expressionDeltas'),
    triangles: get<Uint32Array>('triangles'),
    triangleUvIndices: get<Uint32Array>('triangleUvIndices'),
    uvs: get<Float32Array>('uvs'),
    regionNames,
    regionMasks: get<Uint16Array>('regionMasks'),
    landmarks68: get<Uint32Array>('landmarks68'),
    fittingVertices: get<Uint32Array>('fittingVertices'),
    rigidVertices: get<Uint32Array>('rigidVertices'),
    correspondence: {
      count: ICT_CACHE_CORRESPONDENCE_COUNT,
      triangle: get<Uint32Array>('correspondenceTriangle'),
      bary: get<Float32Array>('correspondenceBary'),
      weight: get<Float32Array>('correspondenceWeight'),
    },
    faceUvs: get<Float32Array>('faceUvs'),
  };
  checkIctIndices(data, bad);
  return data;
}

/**
 * The index and correspondence checks shared by the cache and the bundled model's parser: every
 * triangle, UV, landmark and vertex-set index in range, every correspondence point barycentric
 * with a weight in [0, 1]. Calls `bad` (which throws) with what is wrong.
 *
 * @example
 * checkIctIndices(data, (what) => { throw new FaceDetailError('MODEL_CACHE_INVALID', what); });
 */
export function checkIctIndices(data: IctModelData, bad: (what: string) => never): void {
  const n = data.vertexCount, u = data.uvs.length / 2, t = data.triangles.length / 3;
  const checkIndices = (a: Uint32Array, limit: number, name: string): void => {
    for (let i = 0; i < a.length; i++) if (a[i]! >= limit) bad(`${name}[${i}] = ${a[i]} is out of range (< ${limit})`);
  };
  checkIndices(data.triangles, n, 'triangles');
  checkIndices(data.triangleUvIndices, u, 'triangleUvIndices');
  checkIndices(data.landmarks68, n, 'landmarks68');
  checkIndices(data.fittingVertices, n, 'fittingVertices');
  checkIndices(data.rigidVertices, n, 'rigidVertices');
  const { triangle, bary, weight, count } = data.correspondence;
  checkIndices(triangle, t, 'correspondenceTriangle');
  for (let i = 0; i < count; i++) {
    const b0 = bary[3 * i]!, b1 = bary[3 * i + 1]!, b2 = bary[3 * i + 2]!;
    if (!(b0 >= 0 && b1 >= 0 && b2 >= 0 && Math.abs(b0 + b1 + b2 - 1) < 1e-4)) bad(`correspondenceBary of landmark ${i} is not a barycentric point`);
    if (!(weight[i]! >= 0 && weight[i]! <= 1)) bad(`correspondenceWeight[${i}] = ${weight[i]} is outside [0, 1]`);
  }
}

/**
 * Indices of the vertices of a named region (see {@link ICT_REGIONS}).
 *
 * @example
 * const face = ictRegionVertices(data, 'narrowFace'); // Uint32Array of 6,706 indices
 */
export function ictRegionVertices(data: IctModelData, region: string): Uint32Array {
  const bit = data.regionNames.indexOf(region);
  if (bit < 0) throw new FaceDetailError('INVALID_OPTION', `region: unknown ICT region "${region}"; expected one of ${data.regionNames.join(', ')}`);
  const out: number[] = [];
  for (let v = 0; v < data.vertexCount; v++) if ((data.regionMasks[v]! >> bit) & 1) out.push(v);
  return Uint32Array.from(out);
}

/**
 * The compact ICT FaceKit model that ships in the package (`models/ict/ict-compact.bin`, made by
 * `npm run build:ict-model` = `scripts/build-ict-compact.ts` from the original OBJ distribution),
 * so that `model: 'ict'` works without an import, offline, in Node and in the browser. The full
 * imported cache (`ict-cache.ts`) still takes precedence where it exists. Isomorphic.
 *
 * It holds exactly what the pipeline uses, from the same import (same vertices, topology,
 * regions, correspondence and face UVs as the cache):
 * - the neutral shape, float32 (exact);
 * - the first {@link ICT_COMPACT_DEFAULTS}.identityCount identity modes — the ones the fit uses
 *   (`ICT_FIT_DEFAULTS.identityCount`; it found 40–100 modes equally good on bench:proxy) — and
 *   the 53 expression shapes, as deltas rounded to a fixed step (2⁻⁹ mm ≈ 2 µm; error ≤ 1 µm per
 *   coordinate and shape) stored as int16. Expressions are sparse: a vertex whose rounded delta
 *   is zero in all three coordinates is left out (72 % of them in ICT);
 * - the triangles and UV indices as uint16 where they fit.
 * Each int16 block is stored coordinate-planar (all x, then y, then z) and as differences from
 * the previous value, and the section's low and high bytes in two planes, so that the one
 * deflate stream over the whole payload compresses it ~2.5×. Alternatives measured on the real
 * model (identity modes only, 60 × 24,591 vertices): float32 17.7 MB, int16 with a per-shape
 * scale (the full int16 range; ~0.4 µm steps for mode 0) 8.9 MB raw / 5.5 MB deflated, the fixed
 * 2 µm step 3.2 MB deflated (5 µm: 2.6 MB).
 *
 * File layout: 8 bytes `FDICTCMP`, uint32 LE header length H, H bytes of JSON header
 * ({@link IctCompactHeader}), then the raw-deflate payload; the header's checksum (FNV-1a, as the
 * cache's) covers the inflated payload.
 *
 * @example
 * const bytes = encodeIctCompact(fullModel);      // scripts/build-ict-compact.ts
 * const model = parseIctCompact(bytes);           // IctModelData with 60 identity modes
 */
import { deflateSync, inflateSync, strFromU8, strToU8 } from 'fflate';
import { FaceDetailError } from '../../errors.js';
import { checkIctIndices, ICT_CACHE_CORRESPONDENCE_COUNT, ictChecksum, type IctModelData } from './ict-cache.js';
import { ICT_FIT_DEFAULTS } from './ict-fit.js';

/** Format name in the header. */
const ICT_COMPACT_FORMAT = 'facedetail-ict-compact';
/** Layout version; a file of another version is refused. */
const ICT_COMPACT_VERSION = 1;
/** File name of the bundled model (in the package's `models/ict/`, and the web build's). */
export const ICT_COMPACT_FILE = 'ict-compact.bin';
/** The file's first 8 bytes. */
export const ICT_COMPACT_MAGIC = 'FDICTCMP';

/** Options of {@link encodeIctCompact}. */
export interface IctCompactOptions {
  /** Identity modes kept (the first ones; ICT orders them by variance). Default: the fit's default count, 60 (or all, if the model has fewer). */
  identityCount?: number;
  /** Quantisation step of the deltas, mm (the deltas must stay within ±32767 steps). Default 2⁻⁹ mm. */
  stepMm?: number;
  /** Deflate level, 0 (store) … 9. Default 9. */
  level?: number;
  /** Provenance written into the header's `source` (e.g. the distribution's file name and checksum). */
  source?: Record<string, string | number>;
}

/** Defaults of {@link IctCompactOptions}. */
export const ICT_COMPACT_DEFAULTS = Object.freeze({ identityCount: ICT_FIT_DEFAULTS.identityCount, stepMm: 2 ** -9, level: 9 });

type SectionType = 'f32' | 'u32' | 'u16' | 'i16';

/** One payload section: `length` elements at `byteOffset` (a multiple of 4). `i16` sections are delta-coded planes (see the file comment). */
interface IctCompactSection {
  name: string;
  type: SectionType;
  byteOffset: number;
  length: number;
}

/** The JSON header of the compact model. */
export interface IctCompactHeader {
  format: typeof ICT_COMPACT_FORMAT;
  version: number;
  units: 'mm';
  uvOrigin: 'top-left';
  endianness: 'little';
  source: Record<string, string | number>;
  license: string;
  sourceVertexCount: number;
  vertexCount: number;
  triangleCount: number;
  uvCount: number;
  /** The identity modes kept, and how many the source had. */
  identityNames: string[];
  sourceIdentityCount: number;
  expressionNames: string[];
  regionNames: string[];
  /** Quantisation step of every delta, mm. */
  stepMm: number;
  /** Stored (vertex, expression) pairs, of vertexCount × expressions. */
  expressionEntries: number;
  payloadByteLength: number;
  /** FNV-1a over the inflated payload ({@link ictChecksum}). */
  checksum: string;
  sections: IctCompactSection[];
}

const BYTES: Record<SectionType, number> = { f32: 4, u32: 4, u16: 2, i16: 2 };
const LICENSE = 'ICT-FaceKit: MIT, Copyright (c) 2020 USC Institute for Creative Technologies (see models/ict/LICENSE)';

/**
 * Encode a loaded full ICT model (the imported cache) as the compact model. Throws
 * `INVALID_OPTION` for a bad option and `MODEL_CACHE_INVALID` when a delta does not fit the int16
 * range at the chosen step.
 *
 * @example
 * const bytes = encodeIctCompact(await loadIctModel({ modelsDir }), { identityCount: 60 });
 */
export function encodeIctCompact(data: IctModelData, options: IctCompactOptions = {}): Uint8Array {
  const maxId = data.identityNames.length;
  const K = options.identityCount ?? Math.min(ICT_COMPACT_DEFAULTS.identityCount, maxId);
  const step = options.stepMm ?? ICT_COMPACT_DEFAULTS.stepMm;
  const level = options.level ?? ICT_COMPACT_DEFAULTS.level;
  if (!Number.isInteger(K) || K < 0 || K > maxId) throw new FaceDetailError('INVALID_OPTION', `identityCount: expected an integer in [0, ${maxId}], got ${String(K)}`);
  if (!(step > 0 && step <= 1)) throw new FaceDetailError('INVALID_OPTION', `stepMm: expected a number in (0, 1] mm, got ${String(step)}`);
  if (!Number.isInteger(level) || level < 0 || level > 9) throw new FaceDetailError('INVALID_OPTION', `level: expected an integer from 0 to 9, got ${String(level)}`);
  const N = data.vertexCount, n3 = 3 * N, E = data.expressionNames.length;

  const quantize = (x: number, what: string): number => {
    const q = Math.round(x / step);
    if (q < -32767 || q > 32767) throw new FaceDetailError('MODEL_CACHE_INVALID', `${what}: delta ${x.toFixed(3)} mm does not fit int16 at a step of ${step} mm; use a larger stepMm`);
    return q;
  };
  // Identity: dense blocks of 3N.
  const idQ = new Int16Array(K * n3);
  for (let i = 0; i < K * n3; i++) idQ[i] = quantize(data.identityDeltas[i]!, `identity mode ${Math.floor(i / n3)}`);
  // Expressions: per shape, the vertices with a non-zero rounded delta.
  const counts = new Uint32Array(E);
  const gaps: number[] = [];
  const exQ: number[] = [];
  const blocks: number[] = [];
  for (let e = 0; e < E; e++) {
    let prev = -1;
    const start = exQ.length;
    for (let v = 0; v < N; v++) {
      const o = e * n3 + 3 * v;
      const qx = quantize(data.expressionDeltas[o]!, data.expressionNames[e]!), qy = quantize(data.expressionDeltas[o + 1]!, data.expressionNames[e]!), qz = quantize(data.expressionDeltas[o + 2]!, data.expressionNames[e]!);
      if (qx === 0 && qy === 0 && qz === 0) continue;
      exQ.push(qx, qy, qz);
      gaps.push(v - prev);
      prev = v;
      counts[e]!++;
    }
    blocks.push(exQ.length - start);
  }
  const index = (a: Uint32Array, limit: number): Uint16Array | Uint32Array => (limit <= 0xffff ? Uint16Array.from(a) : a);
  const parts: Array<{ name: string; type: SectionType; data: Float32Array | Uint32Array | Uint16Array | Uint8Array; length: number }> = [];
  const add = (name: string, a: Float32Array | Uint32Array | Uint16Array): void => {
    parts.push({ name, type: a instanceof Float32Array ? 'f32' : a instanceof Uint16Array ? 'u16' : 'u32', data: a, length: a.length });
  };
  const addI16 = (name: string, q: Int16Array, blockLengths: number[]): void => {
    parts.push({ name, type: 'i16', data: packInt16(q, blockLengths), length: q.length });
  };
  add('neutral', data.neutral);
  addI16('identityDeltas', idQ, Array.from({ length: K }, () => n3));
  add('expressionVertexCounts', counts);
  add('expressionVertexGaps', index(Uint32Array.from(gaps), N));
  addI16('expressionDeltas', Int16Array.from(exQ), blocks);
  add('triangles', index(data.triangles, N - 1));
  add('triangleUvIndices', index(data.triangleUvIndices, data.uvs.length / 2 - 1));
  add('uvs', data.uvs);
  add('regionMasks', data.regionMasks);
  add('landmarks68', data.landmarks68);
  add('fittingVertices', data.fittingVertices);
  add('rigidVertices', data.rigidVertices);
  add('correspondenceTriangle', data.correspondence.triangle);
  add('correspondenceBary', data.correspondence.bary);
  add('correspondenceWeight', data.correspondence.weight);
  add('faceUvs', data.faceUvs);

  const sections: IctCompactSection[] = [];
  let offset = 0;
  for (const p of parts) {
    sections.push({ name: p.name, type: p.type, byteOffset: offset, length: p.length });
    offset += Math.ceil((p.length * BYTES[p.type]) / 4) * 4;
  }
  const payload = new Uint8Array(offset);
  parts.forEach((p, i) => {
    payload.set(new Uint8Array(p.data.buffer, p.data.byteOffset, p.length * BYTES[p.type]), sections[i]!.byteOffset);
  });
  const header: IctCompactHeader = {
    format: ICT_COMPACT_FORMAT,
    version: ICT_COMPACT_VERSION,
    units: 'mm',
    uvOrigin: 'top-left',
    endianness: 'little',
    source: { name: 'ICT-FaceKit FaceXModel (ICT Face Model Light)', upstream: 'https://github.com/ICT-VGL/ICT-FaceKit', ...options.source },
    license: LICENSE,
    sourceVertexCount: data.sourceVertexCount,
    vertexCount: N,
    triangleCount: data.triangles.length / 3,
    uvCount: data.uvs.length / 2,
    identityNames: data.identityNames.slice(0, K),
    sourceIdentityCount: maxId,
    expressionNames: [...data.expressionNames],
    regionNames: [...data.regionNames],
    stepMm: step,
    expressionEntries: gaps.length,
    payloadByteLength: payload.byteLength,
    checksum: ictChecksum(payload),
    sections,
  };
  const headerBytes = strToU8(JSON.stringify(header));
  const deflated = deflateSync(payload, { level: level as 9 });
  const out = new Uint8Array(12 + headerBytes.length + deflated.length);
  out.set(strToU8(ICT_COMPACT_MAGIC), 0);
  new DataView(out.buffer).setUint32(8, headerBytes.length, true);
  out.set(headerBytes, 12);
  out.set(deflated, 12 + headerBytes.length);
  return out;
}

/**
 * The header of a compact model file, checked (magic, format, version); `name` is used in the
 * error messages (`MODEL_CACHE_INVALID`).
 *
 * @example
 * readIctCompactHeader(bytes).identityNames.length // 60
 */
export function readIctCompactHeader(bytes: Uint8Array, name = ICT_COMPACT_FILE): IctCompactHeader {
  const bad = compactError(name);
  if (bytes.length < 12 || strFromU8(bytes.subarray(0, 8), true) !== ICT_COMPACT_MAGIC) return bad(`it does not start with "${ICT_COMPACT_MAGIC}"`);
  const len = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getUint32(8, true);
  if (12 + len > bytes.length) return bad('truncated header');
  let h: Partial<IctCompactHeader>;
  try {
    h = JSON.parse(strFromU8(bytes.subarray(12, 12 + len))) as Partial<IctCompactHeader>;
  } catch {
    return bad('the header is not valid JSON');
  }
  if (typeof h !== 'object' || h === null || h.format !== ICT_COMPACT_FORMAT) return bad(`format ${JSON.stringify(h?.format)}, expected "${ICT_COMPACT_FORMAT}"`);
  if (h.version !== ICT_COMPACT_VERSION) return bad(`version ${String(h.version)}, this facedetail reads version ${ICT_COMPACT_VERSION}`);
  if (h.endianness !== 'little' || new Uint8Array(new Uint16Array([1]).buffer)[0] !== 1) return bad('the file and this machine must both be little-endian');
  return h as IctCompactHeader;
}

/**
 * Parse a compact model file into the same {@link IctModelData} the full cache gives (dense
 * float32 deltas, `origin: 'bundled'`). Throws `MODEL_CACHE_INVALID` naming `name` when the file
 * is damaged or of another version.
 *
 * @example
 * const data = parseIctCompact(new Uint8Array(await (await fetch('models/ict/ict-compact.bin')).arrayBuffer()));
 */
export function parseIctCompact(bytes: Uint8Array, name = ICT_COMPACT_FILE): IctModelData {
  const bad = compactError(name);
  const h = readIctCompactHeader(bytes, name);
  const int = (v: unknown, what: string): number => (typeof v === 'number' && Number.isInteger(v) && v >= 0 ? v : bad(`${what} is ${String(v)}`));
  const names = (v: unknown, what: string): string[] => (Array.isArray(v) && v.every((s) => typeof s === 'string') ? (v as string[]) : bad(`${what} is not a list of names`));
  const N = int(h.vertexCount, 'vertexCount'), T = int(h.triangleCount, 'triangleCount'), U = int(h.uvCount, 'uvCount');
  const identityNames = names(h.identityNames, 'identityNames'), expressionNames = names(h.expressionNames, 'expressionNames');
  const regionNames = names(h.regionNames, 'regionNames');
  const K = identityNames.length, E = expressionNames.length, nnz = int(h.expressionEntries, 'expressionEntries');
  const step = h.stepMm;
  if (typeof step !== 'number' || !(step > 0)) return bad(`stepMm is ${String(step)}`);
  const rawLength = int(h.payloadByteLength, 'payloadByteLength');
  const start = 12 + new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getUint32(8, true);
  let payload: Uint8Array;
  try {
    payload = inflateSync(bytes.subarray(start), { out: new Uint8Array(rawLength) });
  } catch (cause) {
    return bad(`the payload does not inflate (${(cause as Error).message})`);
  }
  if (payload.byteLength !== rawLength) bad(`the payload inflates to ${payload.byteLength} bytes, the header says ${rawLength} (truncated file?)`);
  if (ictChecksum(payload) !== h.checksum) bad('checksum mismatch (corrupted file?)');

  const expected: Record<string, [SectionType[], number]> = {
    neutral: [['f32'], 3 * N],
    identityDeltas: [['i16'], K * 3 * N],
    expressionVertexCounts: [['u32'], E],
    expressionVertexGaps: [['u16', 'u32'], nnz],
    expressionDeltas: [['i16'], 3 * nnz],
    triangles: [['u16', 'u32'], 3 * T],
    triangleUvIndices: [['u16', 'u32'], 3 * T],
    uvs: [['f32'], 2 * U],
    regionMasks: [['u16'], N],
    landmarks68: [['u32'], 68],
    fittingVertices: [['u32'], -1],
    rigidVertices: [['u32'], -1],
    correspondenceTriangle: [['u32'], ICT_CACHE_CORRESPONDENCE_COUNT],
    correspondenceBary: [['f32'], 3 * ICT_CACHE_CORRESPONDENCE_COUNT],
    correspondenceWeight: [['f32'], ICT_CACHE_CORRESPONDENCE_COUNT],
    faceUvs: [['f32'], -1],
  };
  if (!Array.isArray(h.sections)) return bad('no section table');
  const buf = payload.buffer as ArrayBuffer;
  const views = new Map<string, { type: SectionType; bytes: Uint8Array; length: number }>();
  for (const s of h.sections as unknown[]) {
    const sec = s as Partial<IctCompactSection>;
    const sname = String(sec.name);
    const exp = expected[sname];
    if (exp === undefined) return bad(`unknown section "${sname}"`);
    if (!exp[0].includes(sec.type as SectionType)) return bad(`section ${sname} has type ${String(sec.type)}, expected ${exp[0].join(' or ')}`);
    const type = sec.type as SectionType;
    const length = int(sec.length, `${sname}.length`), offset = int(sec.byteOffset, `${sname}.byteOffset`);
    if (exp[1] >= 0 && length !== exp[1]) bad(`section ${sname} has ${length} elements, expected ${exp[1]}`);
    if (offset % 4 !== 0 || offset + length * BYTES[type] > rawLength) bad(`section ${sname} lies outside the payload`);
    views.set(sname, { type, bytes: new Uint8Array(buf, payload.byteOffset + offset, length * BYTES[type]), length });
  }
  const get = (sname: string): { type: SectionType; bytes: Uint8Array; length: number } => views.get(sname) ?? bad(`section ${sname} is missing`);
  const f32 = (sname: string): Float32Array => { const v = get(sname); return new Float32Array(v.bytes.buffer, v.bytes.byteOffset, v.length); };
  const u32 = (sname: string): Uint32Array => {
    const v = get(sname);
    return v.type === 'u16' ? Uint32Array.from(new Uint16Array(v.bytes.buffer, v.bytes.byteOffset, v.length)) : new Uint32Array(v.bytes.buffer, v.bytes.byteOffset, v.length);
  };

  const n3 = 3 * N;
  const identityDeltas = new Float32Array(K * n3);
  const idQ = unpackInt16(get('identityDeltas').bytes, Array.from({ length: K }, () => n3));
  for (let i = 0; i < idQ.length; i++) identityDeltas[i] = idQ[i]! * step;
  const counts = u32('expressionVertexCounts'), gaps = u32('expressionVertexGaps');
  let total = 0;
  for (let e = 0; e < E; e++) total += counts[e]!;
  if (total !== nnz) bad(`expressionVertexCounts sum to ${total}, expressionEntries is ${nnz}`);
  const exQ = unpackInt16(get('expressionDeltas').bytes, Array.from(counts, (c) => 3 * c));
  const expressionDeltas = new Float32Array(E * n3);
  for (let e = 0, j = 0; e < E; e++) {
    let v = -1;
    for (let k = 0; k < counts[e]!; k++, j++) {
      v += gaps[j]!;
      if (gaps[j]! < 1 || v >= N) bad(`expression ${expressionNames[e]}: vertex ${v} out of range`);
      const o = e * n3 + 3 * v;
      expressionDeltas[o] = exQ[3 * j]! * step;
      expressionDeltas[o + 1] = exQ[3 * j + 1]! * step;
      expressionDeltas[o + 2] = exQ[3 * j + 2]! * step;
    }
  }
  const regionMasksView = get('regionMasks');
  const data: IctModelData = {
    version: h.version,
    origin: 'bundled',
    sourceVertexCount: int(h.sourceVertexCount, 'sourceVertexCount'),
    vertexCount: N,
    neutral: f32('neutral'),
    identityNames,
    identityDeltas,
    expressionNames,
    expressionDeltas,
    triangles: u32('triangles'),
    triangleUvIndices: u32('triangleUvIndices'),
    uvs: f32('uvs'),
    regionNames,
    regionMasks: new Uint16Array(regionMasksView.bytes.buffer, regionMasksView.bytes.byteOffset, N),
    landmarks68: u32('landmarks68'),
    fittingVertices: u32('fittingVertices'),
    rigidVertices: u32('rigidVertices'),
    correspondence: { count: ICT_CACHE_CORRESPONDENCE_COUNT, triangle: u32('correspondenceTriangle'), bary: f32('correspondenceBary'), weight: f32('correspondenceWeight') },
    faceUvs: f32('faceUvs'),
  };
  checkIctIndices(data, bad);
  return data;
}

function compactError(name: string): (what: string) => never {
  return (what) => {
    throw new FaceDetailError('MODEL_CACHE_INVALID', `the bundled ICT model ${name} is invalid (${what}); reinstall facedetail (npm ci), or import the full model with \`facedetail model import ict <FaceXModel folder>\``);
  };
}

/**
 * int16 values in blocks (each a multiple of 3 long, xyz interleaved) → bytes: each block
 * coordinate-planar and delta-coded, then all low bytes followed by all high bytes.
 */
function packInt16(q: Int16Array, blockLengths: readonly number[]): Uint8Array {
  const d = new Int16Array(q.length);
  let o = 0;
  for (const len of blockLengths) {
    const n = len / 3;
    let prev = 0;
    for (let c = 0; c < 3; c++) for (let v = 0; v < n; v++) {
      const x = q[o + 3 * v + c]!;
      d[o + c * n + v] = x - prev; // wraps in int16; undone exactly by the wrapping sum
      prev = x;
    }
    o += len;
  }
  const b = new Uint8Array(d.buffer);
  const out = new Uint8Array(2 * q.length);
  for (let i = 0; i < q.length; i++) { out[i] = b[2 * i]!; out[q.length + i] = b[2 * i + 1]!; }
  return out;
}

/** Inverse of {@link packInt16}. */
function unpackInt16(bytes: Uint8Array, blockLengths: readonly number[]): Int16Array {
  const n = bytes.length / 2;
  const d = new Int16Array(n);
  for (let i = 0; i < n; i++) d[i] = bytes[i]! | (bytes[n + i]! << 8);
  const q = new Int16Array(n);
  let o = 0;
  for (const len of blockLengths) {
    const m = len / 3;
    let prev = 0;
    for (let c = 0; c < 3; c++) for (let v = 0; v < m; v++) {
      prev = (prev + d[o + c * m + v]!) << 16 >> 16;
      q[o + 3 * v + c] = prev;
    }
    o += len;
  }
  if (o !== n) throw new FaceDetailError('MODEL_CACHE_INVALID', `an int16 section has ${n} values, its blocks ${o}`);
  return q;
}

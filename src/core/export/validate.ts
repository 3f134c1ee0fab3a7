/**
 * Boundary checks shared by the exporters (internal: not re-exported from `index.ts`).
 *
 * Every writer validates its input once, here, and then trusts it: a bad mesh fails with a
 * `FaceDetailError('INVALID_OPTION')` whose message names the function, the parameter, what was
 * expected and what was received (the first offending element, by index).
 */
import { FaceDetailError } from '../errors.js';
import type { Mesh } from '../types.js';

/** Throw `INVALID_OPTION` with a message prefixed by the calling function's name. */
export function invalid(fn: string, message: string): never {
  throw new FaceDetailError('INVALID_OPTION', `${fn}: ${message}`);
}

/** Short description of a value for error messages. */
export function describe(v: unknown): string {
  if (v === null) return 'null';
  if (v === undefined) return 'undefined';
  if (ArrayBuffer.isView(v)) return `${v.constructor.name}(${(v as unknown as { length?: number }).length ?? v.byteLength})`;
  if (Array.isArray(v)) return `Array(${v.length})`;
  if (typeof v === 'string') return JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}…` : v);
  if (typeof v === 'object') return 'object';
  return String(v);
}

/** Require a finite number (optionally within [min, max], optionally strictly above `gt`). */
export function checkNumber(
  fn: string,
  name: string,
  v: unknown,
  range: { min?: number; max?: number; gt?: number; lt?: number } = {},
): number {
  if (typeof v !== 'number' || !Number.isFinite(v)) invalid(fn, `${name} must be a finite number, got ${describe(v)}`);
  if (range.min !== undefined && v < range.min) invalid(fn, `${name} must be ≥ ${range.min}, got ${v}`);
  if (range.max !== undefined && v > range.max) invalid(fn, `${name} must be ≤ ${range.max}, got ${v}`);
  if (range.gt !== undefined && !(v > range.gt)) invalid(fn, `${name} must be > ${range.gt}, got ${v}`);
  if (range.lt !== undefined && !(v < range.lt)) invalid(fn, `${name} must be < ${range.lt}, got ${v}`);
  return v;
}

/**
 * Require a single-line name: a non-empty string with no control characters (newline, tab, NUL…)
 * and no leading/trailing white space. Such names survive line-based formats (OBJ/MTL/PLY).
 */
export function checkName(fn: string, name: string, v: unknown): string {
  if (typeof v !== 'string' || v.length === 0) invalid(fn, `${name} must be a non-empty string, got ${describe(v)}`);
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(v)) invalid(fn, `${name} must not contain control characters (newline, tab…), got ${describe(v)}`);
  if (v.trim() !== v) invalid(fn, `${name} must not start or end with white space, got ${describe(v)}`);
  return v;
}

/** Require a `Float32Array` of exactly `length` finite numbers. */
function checkFloatArray(fn: string, name: string, v: unknown, length: number, per: string): Float32Array {
  if (!(v instanceof Float32Array)) invalid(fn, `${name} must be a Float32Array, got ${describe(v)}`);
  if (v.length !== length) invalid(fn, `${name} must have ${length} elements (${per}), got ${v.length}`);
  for (let i = 0; i < length; i++) {
    const x = v[i]!;
    // x - x is 0 for finite x and NaN for ±Infinity and NaN.
    if (x - x !== 0) invalid(fn, `${name}[${i}] must be finite, got ${x}`);
  }
  return v;
}

/** What a validated mesh offers. */
export interface MeshShape {
  vertexCount: number;
  triangleCount: number;
}

/**
 * Validate a {@link Mesh} at a writer's boundary: `positions` a non-empty Float32Array of finite
 * xyz, `indices` a non-empty Uint32Array of whole triangles referencing existing vertices, and
 * the optional `uvs` (2/vertex), `normals` (3/vertex), `tangents` (4/vertex, w = ±1) of matching
 * length and finite. Normals and tangents must not be zero vectors.
 */
export function checkMesh(fn: string, mesh: unknown, name = 'mesh'): MeshShape {
  if (mesh === null || typeof mesh !== 'object') invalid(fn, `${name} must be a Mesh object, got ${describe(mesh)}`);
  const m = mesh as Partial<Mesh>;
  const pos = m.positions;
  if (!(pos instanceof Float32Array)) invalid(fn, `${name}.positions must be a Float32Array, got ${describe(pos)}`);
  if (pos.length === 0 || pos.length % 3 !== 0) {
    invalid(fn, `${name}.positions must hold xyz triples (length a positive multiple of 3), got length ${pos.length}`);
  }
  const n = pos.length / 3;
  checkFloatArray(fn, `${name}.positions`, pos, pos.length, '3 per vertex');
  const idx = m.indices;
  if (!(idx instanceof Uint32Array)) invalid(fn, `${name}.indices must be a Uint32Array, got ${describe(idx)}`);
  if (idx.length === 0 || idx.length % 3 !== 0) {
    invalid(fn, `${name}.indices must hold whole triangles (length a positive multiple of 3), got length ${idx.length}`);
  }
  for (let i = 0; i < idx.length; i++) {
    if (idx[i]! >= n) invalid(fn, `${name}.indices[${i}] = ${idx[i]} is out of range: the mesh has ${n} vertices`);
  }
  if (m.uvs !== undefined) checkFloatArray(fn, `${name}.uvs`, m.uvs, 2 * n, '2 per vertex');
  if (m.normals !== undefined) {
    const nr = checkFloatArray(fn, `${name}.normals`, m.normals, 3 * n, '3 per vertex');
    for (let i = 0; i < n; i++) {
      const x = nr[3 * i]!, y = nr[3 * i + 1]!, z = nr[3 * i + 2]!;
      if (x * x + y * y + z * z < 1e-24) invalid(fn, `${name}.normals of vertex ${i} is a zero vector`);
    }
  }
  if (m.tangents !== undefined) {
    const t = checkFloatArray(fn, `${name}.tangents`, m.tangents, 4 * n, '4 per vertex: xyz + handedness w');
    for (let i = 0; i < n; i++) {
      const x = t[4 * i]!, y = t[4 * i + 1]!, z = t[4 * i + 2]!, w = t[4 * i + 3]!;
      if (x * x + y * y + z * z < 1e-24) invalid(fn, `${name}.tangents of vertex ${i} is a zero vector`);
      if (w !== 1 && w !== -1) invalid(fn, `${name}.tangents[${4 * i + 3}] (handedness of vertex ${i}) must be +1 or -1, got ${w}`);
    }
  }
  return { vertexCount: n, triangleCount: idx.length / 3 };
}

/** Minimal structural type of the platform `TextEncoder`/`TextDecoder` (absent from lib ES2022). */
interface Utf8Codec {
  TextEncoder: new () => { encode(s: string): Uint8Array };
  TextDecoder: new (label?: string, options?: { fatal?: boolean }) => { decode(b: Uint8Array): string };
}

/** UTF-8 bytes of `s` (platform TextEncoder: every supported runtime has one). */
export function utf8Encode(s: string): Uint8Array {
  return new (globalThis as unknown as Utf8Codec).TextEncoder().encode(s);
}

/** Decode UTF-8 (or, with `label`, another encoding such as 'latin1'); throws on malformed UTF-8. */
export function textDecode(b: Uint8Array, label = 'utf-8'): string {
  return new (globalThis as unknown as Utf8Codec).TextDecoder(label, { fatal: label === 'utf-8' }).decode(b);
}

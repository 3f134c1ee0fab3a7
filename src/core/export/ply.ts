/**
 * Stanford PLY writer (binary little-endian) and a minimal reader for round trips.
 */
import { FaceDetailError } from '../errors.js';
import type { Mesh } from '../types.js';
import { checkMesh, checkName, describe, invalid, textDecode } from './validate.js';

/** Options of {@link writePly}. */
export interface PlyOptions {
  /** Per-vertex sRGB colour, 3 bytes (r, g, b) per vertex, written as `uchar red green blue`. */
  colors?: Uint8Array;
  /** Header `comment` lines (single-line each). @example ['facedetail 0.1.0', 'units: mm'] */
  comments?: string[];
  /**
   * Texture file name for the `comment TextureFile <name>` header line MeshLab uses to find the
   * texture of per-vertex `s t` coordinates. @example 'face_albedo.png'
   */
  textureFile?: string;
}

/** The PLY scalar types, their byte sizes and DataView readers. */
const PLY_TYPES: Record<string, { size: number; read: (dv: DataView, o: number, le: boolean) => number }> = {
  char: { size: 1, read: (dv, o) => dv.getInt8(o) },
  uchar: { size: 1, read: (dv, o) => dv.getUint8(o) },
  short: { size: 2, read: (dv, o, le) => dv.getInt16(o, le) },
  ushort: { size: 2, read: (dv, o, le) => dv.getUint16(o, le) },
  int: { size: 4, read: (dv, o, le) => dv.getInt32(o, le) },
  uint: { size: 4, read: (dv, o, le) => dv.getUint32(o, le) },
  float: { size: 4, read: (dv, o, le) => dv.getFloat32(o, le) },
  double: { size: 8, read: (dv, o, le) => dv.getFloat64(o, le) },
};
const TYPE_ALIASES: Record<string, string> = {
  int8: 'char', uint8: 'uchar', int16: 'short', uint16: 'ushort', int32: 'int', uint32: 'uint', float32: 'float', float64: 'double',
};

/**
 * Serialise a mesh as binary little-endian PLY: vertices `float x y z` (as given, normally mm),
 * `float nx ny nz` if normals, `float s t` if UVs, `uchar red green blue` if colours; faces as
 * `property list uchar uint vertex_indices`. UVs are written with t = 1 − v (PLY readers —
 * MeshLab, Blender — use OpenGL's v-up convention; our stored UVs point down). Tangents are not
 * written.
 *
 * @example
 * const bytes = writePly(meshMm, { colors: rgbPerVertex, comments: ['facedetail 0.1.0', 'units: mm'] });
 */
export function writePly(mesh: Mesh, options: PlyOptions = {}): Uint8Array {
  const fn = 'writePly';
  const { vertexCount: n, triangleCount: f } = checkMesh(fn, mesh);
  if (options === null || typeof options !== 'object') invalid(fn, `options must be a PlyOptions object, got ${describe(options)}`);
  const colors = options.colors;
  if (colors !== undefined) {
    if (!(colors instanceof Uint8Array)) invalid(fn, `options.colors must be a Uint8Array (r, g, b per vertex), got ${describe(colors)}`);
    if (colors.length !== 3 * n) invalid(fn, `options.colors must have ${3 * n} elements (3 per vertex), got ${colors.length}`);
  }
  const comments = options.comments ?? [];
  if (!Array.isArray(comments)) invalid(fn, `options.comments must be an array of strings, got ${describe(comments)}`);
  comments.forEach((c, i) => {
    if (typeof c !== 'string' || /[\u0000-\u001f\u007f]/.test(c)) invalid(fn, `options.comments[${i}] must be a single-line string, got ${describe(c)}`);
    for (let k = 0; k < c.length; k++) if (c.charCodeAt(k) > 127) invalid(fn, `options.comments[${i}] must be ASCII, got ${describe(c)}`);
  });
  const textureFile = options.textureFile === undefined ? undefined : checkName(fn, 'options.textureFile', options.textureFile);

  const { positions: p, normals: nr, uvs: t, indices: idx } = mesh;
  const header = ['ply', 'format binary_little_endian 1.0'];
  for (const c of comments) header.push(c.length ? `comment ${c}` : 'comment');
  if (textureFile !== undefined) header.push(`comment TextureFile ${textureFile}`);
  header.push(`element vertex ${n}`, 'property float x', 'property float y', 'property float z');
  if (nr) header.push('property float nx', 'property float ny', 'property float nz');
  if (t) header.push('property float s', 'property float t');
  if (colors) header.push('property uchar red', 'property uchar green', 'property uchar blue');
  header.push(`element face ${f}`, 'property list uchar uint vertex_indices', 'end_header', '');
  const head = header.join('\n');
  for (let k = 0; k < head.length; k++) {
    if (head.charCodeAt(k) > 127) invalid(fn, `options.textureFile must be ASCII, got ${describe(textureFile)}`);
  }

  const vertexBytes = 12 + (nr ? 12 : 0) + (t ? 8 : 0) + (colors ? 3 : 0);
  const total = head.length + n * vertexBytes + f * 13;
  const out = new Uint8Array(total);
  for (let k = 0; k < head.length; k++) out[k] = head.charCodeAt(k);
  const dv = new DataView(out.buffer);
  let o = head.length;
  for (let i = 0; i < n; i++) {
    dv.setFloat32(o, p[3 * i]!, true); dv.setFloat32(o + 4, p[3 * i + 1]!, true); dv.setFloat32(o + 8, p[3 * i + 2]!, true);
    o += 12;
    if (nr) {
      dv.setFloat32(o, nr[3 * i]!, true); dv.setFloat32(o + 4, nr[3 * i + 1]!, true); dv.setFloat32(o + 8, nr[3 * i + 2]!, true);
      o += 12;
    }
    if (t) {
      dv.setFloat32(o, t[2 * i]!, true); dv.setFloat32(o + 4, 1 - t[2 * i + 1]!, true);
      o += 8;
    }
    if (colors) {
      out[o] = colors[3 * i]!; out[o + 1] = colors[3 * i + 1]!; out[o + 2] = colors[3 * i + 2]!;
      o += 3;
    }
  }
  for (let k = 0; k < f; k++) {
    out[o] = 3;
    dv.setUint32(o + 1, idx[3 * k]!, true); dv.setUint32(o + 5, idx[3 * k + 1]!, true); dv.setUint32(o + 9, idx[3 * k + 2]!, true);
    o += 13;
  }
  if (o !== total) throw new FaceDetailError('INTERNAL', `writePly: wrote ${o} bytes, expected ${total}`);
  return out;
}

/** What {@link readPly} returns. */
export interface PlyContents {
  /** Positions, indices (polygons fan-triangulated), and normals/UVs when present (v = 1 − t). */
  mesh: Mesh;
  /** `red green blue` per vertex when present (float colours are scaled by 255). */
  colors?: Uint8Array;
  /** Header `comment` lines, without the keyword. */
  comments: string[];
}

interface PlyProperty { name: string; type: string; countType?: string }
interface PlyElement { name: string; count: number; props: PlyProperty[] }

/**
 * Parse a PLY file (ascii, binary_little_endian or binary_big_endian): vertex `x y z`, optional
 * `nx ny nz`, `s t` (or `u v` / `texture_u texture_v`), `red green blue`; faces from
 * `vertex_indices` (or `vertex_index`) lists, polygons fan-triangulated. Other elements and
 * properties are skipped. Throws `INVALID_OPTION` naming `bytes` on malformed input.
 *
 * @example
 * const { mesh, colors, comments } = readPly(writePly(mesh, { colors }));
 */
export function readPly(bytes: Uint8Array): PlyContents {
  const fn = 'readPly';
  if (!(bytes instanceof Uint8Array)) invalid(fn, `bytes must be a Uint8Array, got ${describe(bytes)}`);
  // Locate the end of the header.
  const marker = 'end_header';
  let headerEnd = -1;
  const limit = Math.min(bytes.length, 1 << 20);
  for (let i = 0; i + marker.length <= limit; i++) {
    let ok = true;
    for (let k = 0; k < marker.length; k++) if (bytes[i + k] !== marker.charCodeAt(k)) { ok = false; break; }
    if (ok) {
      let e = i + marker.length;
      if (bytes[e] === 0x0d) e++;
      if (bytes[e] !== 0x0a) continue;
      headerEnd = e + 1;
      break;
    }
  }
  if (bytes[0] !== 0x70 || bytes[1] !== 0x6c || bytes[2] !== 0x79 || headerEnd < 0) invalid(fn, `bytes is not a PLY file (no "ply" … "end_header" header)`);
  const headerLines = textDecode(bytes.subarray(0, headerEnd), 'latin1').split(/\r?\n/);

  let format = '';
  const comments: string[] = [];
  const elements: PlyElement[] = [];
  for (const raw of headerLines) {
    const line = raw.trim();
    if (line === '' || line === 'ply' || line === 'end_header') continue;
    const tok = line.split(/\s+/);
    switch (tok[0]) {
      case 'format':
        format = tok[1] ?? '';
        break;
      case 'comment':
        comments.push(raw.replace(/^\s*comment\s?/, ''));
        break;
      case 'obj_info':
        break;
      case 'element':
        elements.push({ name: tok[1] ?? '', count: Number(tok[2]), props: [] });
        if (!Number.isInteger(elements.at(-1)!.count) || elements.at(-1)!.count < 0) invalid(fn, `bytes: bad element line "${line}"`);
        break;
      case 'property': {
        const el = elements.at(-1);
        if (!el) invalid(fn, `bytes: property before any element`);
        const norm = (s: string | undefined): string => {
          const ty = TYPE_ALIASES[s ?? ''] ?? s ?? '';
          if (!PLY_TYPES[ty]) invalid(fn, `bytes: unknown property type "${s}" in "${line}"`);
          return ty;
        };
        if (tok[1] === 'list') el.props.push({ name: tok[4] ?? '', countType: norm(tok[2]), type: norm(tok[3]) });
        else el.props.push({ name: tok[2] ?? '', type: norm(tok[1]) });
        break;
      }
      default:
        invalid(fn, `bytes: unexpected header line "${line}"`);
    }
  }
  if (format !== 'ascii' && format !== 'binary_little_endian' && format !== 'binary_big_endian') invalid(fn, `bytes: unsupported PLY format "${format}"`);

  // A value source: binary via DataView, ascii via whitespace-separated tokens.
  let next: (type: string) => number;
  if (format === 'ascii') {
    const tokens = textDecode(bytes.subarray(headerEnd), 'latin1').split(/\s+/).filter((s) => s.length > 0);
    let ti = 0;
    next = () => {
      if (ti >= tokens.length) invalid(fn, `bytes: ascii body ends early`);
      const v = Number(tokens[ti++]);
      if (Number.isNaN(v)) invalid(fn, `bytes: non-numeric value "${tokens[ti - 1]}"`);
      return v;
    };
  } else {
    const le = format === 'binary_little_endian';
    const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    let o = headerEnd;
    next = (type) => {
      const ty = PLY_TYPES[type]!;
      if (o + ty.size > bytes.byteLength) invalid(fn, `bytes: binary body ends early`);
      const v = ty.read(dv, o, le);
      o += ty.size;
      return v;
    };
  }

  let positions: Float32Array | undefined, normals: Float32Array | undefined, uvs: Float32Array | undefined;
  let colors: Uint8Array | undefined;
  const tris: number[] = [];
  let vertexCount = 0;
  for (const el of elements) {
    if (el.name === 'vertex') {
      const n = (vertexCount = el.count);
      const col = (name: string): number => el.props.findIndex((p) => p.name === name && p.countType === undefined);
      const ix = col('x'), iy = col('y'), iz = col('z');
      if (ix < 0 || iy < 0 || iz < 0) invalid(fn, `bytes: vertex element lacks x/y/z`);
      const inx = col('nx'), iny = col('ny'), inz = col('nz');
      let is = col('s'), it = col('t');
      if (is < 0 || it < 0) { is = col('u'); it = col('v'); }
      if (is < 0 || it < 0) { is = col('texture_u'); it = col('texture_v'); }
      const ir = col('red'), ig = col('green'), ib = col('blue');
      positions = new Float32Array(3 * n);
      if (inx >= 0 && iny >= 0 && inz >= 0) normals = new Float32Array(3 * n);
      if (is >= 0 && it >= 0) uvs = new Float32Array(2 * n);
      if (ir >= 0 && ig >= 0 && ib >= 0) colors = new Uint8Array(3 * n);
      const colorScale = (k: number): number => (el.props[k]!.type === 'float' || el.props[k]!.type === 'double' ? 255 : 1);
      const toByte = (v: number): number => (v > 255 ? 255 : v > 0 ? Math.round(v) : 0);
      const vals = new Float64Array(el.props.length);
      for (let i = 0; i < n; i++) {
        for (let k = 0; k < el.props.length; k++) {
          const pr = el.props[k]!;
          if (pr.countType !== undefined) {
            const c = next(pr.countType);
            for (let q = 0; q < c; q++) next(pr.type);
            vals[k] = NaN;
          } else vals[k] = next(pr.type);
        }
        positions[3 * i] = vals[ix]!; positions[3 * i + 1] = vals[iy]!; positions[3 * i + 2] = vals[iz]!;
        if (normals) { normals[3 * i] = vals[inx]!; normals[3 * i + 1] = vals[iny]!; normals[3 * i + 2] = vals[inz]!; }
        if (uvs) { uvs[2 * i] = vals[is]!; uvs[2 * i + 1] = 1 - vals[it]!; }
        if (colors) {
          colors[3 * i] = toByte(vals[ir]! * colorScale(ir));
          colors[3 * i + 1] = toByte(vals[ig]! * colorScale(ig));
          colors[3 * i + 2] = toByte(vals[ib]! * colorScale(ib));
        }
      }
    } else {
      const isFace = el.name === 'face';
      const listIdx = isFace ? el.props.findIndex((p) => p.countType !== undefined && (p.name === 'vertex_indices' || p.name === 'vertex_index')) : -1;
      const poly: number[] = [];
      for (let i = 0; i < el.count; i++) {
        for (let k = 0; k < el.props.length; k++) {
          const pr = el.props[k]!;
          if (pr.countType === undefined) { next(pr.type); continue; }
          const c = next(pr.countType);
          poly.length = 0;
          for (let q = 0; q < c; q++) poly.push(next(pr.type));
          if (k === listIdx) {
            for (let q = 1; q + 1 < c; q++) tris.push(poly[0]!, poly[q]!, poly[q + 1]!);
          }
        }
      }
    }
  }
  if (!positions) invalid(fn, `bytes has no vertex element`);
  for (let i = 0; i < tris.length; i++) {
    const v = tris[i]!;
    if (!Number.isInteger(v) || v < 0 || v >= vertexCount) invalid(fn, `bytes: face index ${v} is out of range (${vertexCount} vertices)`);
  }
  const mesh: Mesh = { positions, indices: Uint32Array.from(tris) };
  if (normals) mesh.normals = normals;
  if (uvs) mesh.uvs = uvs;
  return { mesh, ...(colors ? { colors } : {}), comments };
}

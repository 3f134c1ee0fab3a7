/**
 * Wavefront OBJ + MTL writer. Text in, text out; the caller writes the files next to each other
 * (and the textures next to the MTL, since MTL paths are relative to it).
 */
import type { Mesh } from '../types.js';
import { checkMesh, checkName, describe, invalid, textDecode, utf8Encode } from './validate.js';

/** Options of {@link writeObj}. */
export interface ObjOptions {
  /** File name the OBJ's `mtllib` line points at (relative to the OBJ). @example 'face.mtl' */
  mtlFileName: string;
  /** Material name (`newmtl` / `usemtl`). @example 'face' */
  materialName: string;
  /** Diffuse/albedo texture path relative to the MTL (`map_Kd`). @example 'face_albedo.png' */
  diffuseMap?: string;
  /**
   * Tangent-space normal map path relative to the MTL (OpenGL convention: green = +Y toward the
   * top of the image).
   * Written under the keyword(s) chosen by {@link ObjOptions.normalMapKeywords}.
   * @example 'face_normal.png'
   */
  normalMap?: string;
  /**
   * Which MTL keyword(s) carry the normal map. There is no standard one:
   * - `map_Bump -bm 1`: Blender (3.x/4.x importer, as a Normal Map node of strength `-bm`),
   *   MeshLab, most DCC tools. three.js's MTLLoader reads it as a *bump* (height) map instead.
   * - `norm`: three.js MTLLoader (`normalMap`), some PBR-extended MTL readers; Blender ignores it.
   * `'both'` (default) writes both lines so Blender and three.js each find a normal map, but
   * three.js then also applies the normal map as a bump map; pick `'norm'` for three.js-only use.
   * @example 'map_Bump'
   */
  normalMapKeywords?: 'both' | 'norm' | 'map_Bump';
  /** Object name (`o` line). @example 'face' */
  objectName?: string;
  /** Free text written as `#` comment lines at the top of both files (may span lines). @example 'facedetail 0.1.0, units: mm' */
  comment?: string;
  /**
   * Meshes appended as further objects (`o name`), each with its own material (`Kd` = `color`,
   * linear RGB): e.g. the head around the face. Names must not contain spaces. With `diffuseMap`
   * (a texture path relative to the MTL) and `mesh.uvs`, the object also gets `vt` lines and the
   * material `Kd 1 1 1` with that `map_Kd` (e.g. the head texture).
   */
  extraMeshes?: Array<{ name: string; mesh: Mesh; color: [number, number, number]; diffuseMap?: string }>;
}

/** Defaults of {@link ObjOptions}. */
export const OBJ_DEFAULTS = Object.freeze({
  normalMapKeywords: 'both',
  objectName: 'face',
} as const satisfies Partial<ObjOptions>);

/**
 * Decimal places written: positions (mm) and normals 5 (10 nm / 1e-5), UVs 6 (1/4000 of a texel
 * of a 4096² map). Trailing zeros are dropped.
 */
const POS_DIGITS = 5, NRM_DIGITS = 5, UV_DIGITS = 6;
const POW10 = [1, 10, 100, 1e3, 1e4, 1e5, 1e6];

/**
 * Growable ASCII byte buffer with integer and fixed-point number writers.
 *
 * Contributor note: the first version pushed one template string per line and joined them;
 * 115k vertices + 230k faces took 0.3–0.6 s (most of it string allocation and GC). Writing
 * digits straight into bytes and decoding once at the end is several times faster.
 */
class AsciiWriter {
  private buf = new Uint8Array(1 << 16);
  private len = 0;

  private ensure(extra: number): void {
    if (this.len + extra <= this.buf.length) return;
    const next = new Uint8Array(Math.max(this.buf.length * 2, this.len + extra));
    next.set(this.buf.subarray(0, this.len));
    this.buf = next;
  }

  /** Append text (UTF-8). */
  text(s: string): this {
    const b = utf8Encode(s);
    this.ensure(b.length);
    this.buf.set(b, this.len);
    this.len += b.length;
    return this;
  }

  /** Append one ASCII character code. */
  ch(c: number): this {
    this.ensure(1);
    this.buf[this.len++] = c;
    return this;
  }

  /** Append a non-negative integer below 2^53. */
  int(k: number): this {
    let digits = 1;
    for (let q = k; q >= 10; q = Math.floor(q / 10)) digits++;
    this.ensure(digits);
    for (let i = this.len + digits - 1; i >= this.len; i--) {
      const q = Math.floor(k / 10);
      this.buf[i] = 48 + (k - 10 * q);
      k = q;
    }
    this.len += digits;
    return this;
  }

  /**
   * Append `x` rounded half away from zero to `digits` decimals, shortest plain form:
   * -0.000004 → `0`, 12.5 → `12.5`, 1/3 → `0.33333` (digits = 5).
   */
  fixed(x: number, digits: number): this {
    const scale = POW10[digits]!;
    const neg = x < 0;
    let k = Math.round((neg ? -x : x) * scale);
    if (k === 0) return this.ch(48);
    if (k > 9e15) return this.text(String(x)); // beyond exact integers: not reached for mm/unit data
    if (neg) this.ch(45);
    const ip = Math.floor(k / scale);
    this.int(ip);
    k -= ip * scale;
    if (k === 0) return this;
    let d = digits;
    while (k % 10 === 0) { k /= 10; d--; }
    this.ensure(d + 1);
    this.buf[this.len++] = 46;
    for (let i = this.len + d - 1; i >= this.len; i--) {
      const q = Math.floor(k / 10);
      this.buf[i] = 48 + (k - 10 * q);
      k = q;
    }
    this.len += d;
    return this;
  }

  toString(): string {
    return textDecode(this.buf.subarray(0, this.len));
  }
}

function commentLines(comment: string | undefined): string[] {
  if (comment === undefined) return [];
  return comment.split(/\r\n|\r|\n/).map((l) => (l.length ? `# ${l}` : '#'));
}

/**
 * Serialise a mesh as OBJ text plus its MTL. Writes `v` (positions as given, normally mm),
 * `vt` with v flipped (OBJ's v axis points up; our stored UVs point down, so `vt u (1 − v)`),
 * `vn`, and `f a/a/a …` faces with 1-based indices (one index per corner, shared by position,
 * UV and normal). Missing UVs/normals give `f a//a` / `f a/a` / `f a`. The MTL has a white
 * diffuse colour (`Kd 1 1 1`) so `map_Kd` shows unmodulated.
 *
 * @example
 * const { obj, mtl } = writeObj(meshMm, { mtlFileName: 'face.mtl', materialName: 'face',
 *   diffuseMap: 'face_albedo.png', normalMap: 'face_normal.png' });
 */
export function writeObj(mesh: Mesh, options: ObjOptions): { obj: string; mtl: string } {
  const fn = 'writeObj';
  const { vertexCount: n, triangleCount } = checkMesh(fn, mesh);
  if (options === null || typeof options !== 'object') invalid(fn, `options must be an ObjOptions object, got ${describe(options)}`);
  const mtlFileName = checkName(fn, 'options.mtlFileName', options.mtlFileName);
  const materialName = checkName(fn, 'options.materialName', options.materialName);
  if (/\s/.test(materialName)) invalid(fn, `options.materialName must not contain white space (usemtl/newmtl names are single tokens), got ${describe(materialName)}`);
  const objectName = checkName(fn, 'options.objectName', options.objectName ?? OBJ_DEFAULTS.objectName);
  const diffuseMap = options.diffuseMap === undefined ? undefined : checkName(fn, 'options.diffuseMap', options.diffuseMap);
  const normalMap = options.normalMap === undefined ? undefined : checkName(fn, 'options.normalMap', options.normalMap);
  const keywords = options.normalMapKeywords ?? OBJ_DEFAULTS.normalMapKeywords;
  if (keywords !== 'both' && keywords !== 'norm' && keywords !== 'map_Bump') {
    invalid(fn, `options.normalMapKeywords must be 'both', 'norm' or 'map_Bump', got ${describe(keywords)}`);
  }
  if (options.comment !== undefined && typeof options.comment !== 'string') invalid(fn, `options.comment must be a string, got ${describe(options.comment)}`);

  const { positions: p, uvs: t, normals: nr, indices: idx } = mesh;
  const w = new AsciiWriter();
  const SP = 32, NL = 10, SLASH = 47;
  for (const l of commentLines(options.comment)) w.text(l).ch(NL);
  w.text(`mtllib ${mtlFileName}\no ${objectName}\n`);
  for (let i = 0; i < n; i++) {
    w.ch(118).ch(SP).fixed(p[3 * i]!, POS_DIGITS).ch(SP).fixed(p[3 * i + 1]!, POS_DIGITS).ch(SP).fixed(p[3 * i + 2]!, POS_DIGITS).ch(NL);
  }
  if (t) {
    for (let i = 0; i < n; i++) w.ch(118).ch(116).ch(SP).fixed(t[2 * i]!, UV_DIGITS).ch(SP).fixed(1 - t[2 * i + 1]!, UV_DIGITS).ch(NL);
  }
  if (nr) {
    for (let i = 0; i < n; i++) {
      w.ch(118).ch(110).ch(SP).fixed(nr[3 * i]!, NRM_DIGITS).ch(SP).fixed(nr[3 * i + 1]!, NRM_DIGITS).ch(SP).fixed(nr[3 * i + 2]!, NRM_DIGITS).ch(NL);
    }
  }
  w.text(`usemtl ${materialName}\ns off\n`);
  for (let q = 0; q < 3 * triangleCount; q++) {
    if (q % 3 === 0) w.ch(102);
    const k = idx[q]! + 1;
    w.ch(SP).int(k);
    if (t && nr) w.ch(SLASH).int(k).ch(SLASH).int(k);
    else if (t) w.ch(SLASH).int(k);
    else if (nr) w.ch(SLASH).ch(SLASH).int(k);
    if (q % 3 === 2) w.ch(NL);
  }

  // Extra meshes: own object and material each; `vt` only for a textured one, so faces are
  // `f v/vt/vn`, `f v//vn` (or `f v`).
  let vBase = n, vnBase = nr ? n : 0, vtBase = t ? n : 0;
  const extraMtl: string[] = [];
  (options.extraMeshes ?? []).forEach((e, k) => {
    const name = checkName(fn, `options.extraMeshes[${k}].name`, e.name);
    if (/\s/.test(name)) invalid(fn, `options.extraMeshes[${k}].name must not contain white space, got ${describe(name)}`);
    const { vertexCount: en } = checkMesh(fn, e.mesh);
    const ep = e.mesh.positions, enr = e.mesh.normals;
    const map = e.diffuseMap === undefined ? undefined : checkName(fn, `options.extraMeshes[${k}].diffuseMap`, e.diffuseMap);
    const et = map !== undefined ? e.mesh.uvs : undefined;
    w.text(`o ${name}\n`);
    for (let i = 0; i < en; i++) w.ch(118).ch(SP).fixed(ep[3 * i]!, POS_DIGITS).ch(SP).fixed(ep[3 * i + 1]!, POS_DIGITS).ch(SP).fixed(ep[3 * i + 2]!, POS_DIGITS).ch(NL);
    if (et) for (let i = 0; i < en; i++) w.ch(118).ch(116).ch(SP).fixed(et[2 * i]!, UV_DIGITS).ch(SP).fixed(1 - et[2 * i + 1]!, UV_DIGITS).ch(NL);
    if (enr) for (let i = 0; i < en; i++) w.ch(118).ch(110).ch(SP).fixed(enr[3 * i]!, NRM_DIGITS).ch(SP).fixed(enr[3 * i + 1]!, NRM_DIGITS).ch(SP).fixed(enr[3 * i + 2]!, NRM_DIGITS).ch(NL);
    w.text(`usemtl ${name}\ns off\n`);
    const ei = e.mesh.indices;
    for (let q = 0; q < ei.length; q++) {
      if (q % 3 === 0) w.ch(102);
      w.ch(SP).int(ei[q]! + 1 + vBase);
      if (et) w.ch(SLASH).int(ei[q]! + 1 + vtBase);
      if (enr) (et ? w.ch(SLASH) : w.ch(SLASH).ch(SLASH)).int(ei[q]! + 1 + vnBase);
      if (q % 3 === 2) w.ch(NL);
    }
    vBase += en;
    if (enr) vnBase += en;
    if (et) vtBase += en;
    const c = e.color.map((x) => Math.min(1, Math.max(0, x)).toFixed(4)).join(' ');
    extraMtl.push(`newmtl ${name}`, 'Ka 0 0 0', et ? 'Kd 1 1 1' : `Kd ${c}`, 'Ks 0 0 0', 'Ns 10', 'd 1', 'illum 1', ...(et ? [`map_Kd ${map}`] : []));
  });

  const mtl: string[] = commentLines(options.comment);
  mtl.push(`newmtl ${materialName}`, 'Ka 0 0 0', 'Kd 1 1 1', 'Ks 0 0 0', 'Ns 10', 'd 1', 'illum 1');
  if (diffuseMap !== undefined) mtl.push(`map_Kd ${diffuseMap}`);
  if (normalMap !== undefined) {
    if (keywords !== 'map_Bump') mtl.push(`norm ${normalMap}`);
    if (keywords !== 'norm') mtl.push(`map_Bump -bm 1 ${normalMap}`);
  }
  mtl.push(...extraMtl, '');
  return { obj: w.toString(), mtl: mtl.join('\n') };
}

/**
 * Loop subdivision (Loop 1987) of a triangle mesh and of any per-vertex attributes, with crease
 * rules on boundaries so the eye/mouth holes and the outer border of the face proxy stay where
 * they are (up to the usual B-spline smoothing of the boundary curve, or exactly with
 * `boundary: 'fixed'`).
 *
 * Stencils (every attribute — positions, UVs, extra attributes — uses the same ones, so any
 * attribute that is an affine function of position stays exactly that function):
 * - interior edge (2 triangles) a–b with opposite vertices c, d: 3/8 (a + b) + 1/8 (c + d);
 * - boundary / non-manifold edge: midpoint 1/2 (a + b);
 * - interior vertex of valence n: (1 − nβ) v + β Σ neighbours, with **Loop's original**
 *   β(n) = (1/n) (5/8 − (3/8 + 1/4 cos(2π/n))²) (not Warren's simplification 3/(8n): both are
 *   1/16 at regular valence-6 vertices and 3/16 at valence 3, Loop's shapes the limit surface
 *   better around other irregular vertices; the cost is one table look-up). All weights are
 *   positive, so every new value is a convex combination of old ones (UVs stay in the chart's
 *   hull);
 * - boundary vertex (exactly two boundary edges): 3/4 v + 1/8 (b0 + b1), b0, b1 its boundary
 *   neighbours (the cubic B-spline rule: the boundary converges to a curve that depends only on
 *   the boundary polygon, so the two sides never pull it into the interior);
 * - corner vertex (a convex boundary corner, i.e. a boundary vertex whose incident triangles'
 *   angles there sum to less than `cornerAngleDeg` in the base mesh, any vertex named in
 *   `cornerVertices`, or a vertex with 1 or > 2 boundary / non-manifold edges): kept in place.
 *
 * Concave corners (the tips of the mouth slit, where the surface wraps ~340° around the vertex)
 * deliberately use the smooth boundary rule: pinning them was tried and folds the fine
 * triangles next to the tip over (48 inverted UV triangles at level 4 on the face mesh), while
 * the B-spline rule moves the tip by a third of its neighbours' spacing (~0.5 mm on a face) and
 * gives no fold. The same holds for `boundary: 'fixed'` (45 folds at level 4), which is therefore
 * only suitable for meshes without such slits.
 *
 * Numbering: the V vertices of a level keep their ids in the next level; the vertex inserted on
 * edge e gets id V + e, with edges numbered as in {@link buildEdgeTable}. So landmark indices of
 * the base mesh remain valid at every level. Triangle t becomes triangles 4t … 4t + 3:
 * (a, m_ab, m_ca), (m_ab, b, m_bc), (m_ca, m_bc, c), (m_ab, m_bc, m_ca) — same winding.
 *
 * Counts per level: V' = V + E, E' = 2E + 3T, T' = 4T ({@link loopSubdivisionCounts}). Measured
 * for the 468-vertex MediaPipe face mesh with the triangulation shipped in Human 3.3.6
 * (`faceTriangulation`: 880 triangles, 1348 edges, 2 boundary loops — outer border and mouth;
 * that list closes the eyes). Subdivision time on this machine (2 slow cores, positions + UVs +
 * one extra 2-component attribute), median of 5 runs:
 *
 * | level | vertices | edges | triangles | time |
 * |------:|---------:|------:|----------:|-----:|
 * | 0 | 468 | 1 348 | 880 | — |
 * | 1 | 1 816 | 5 336 | 3 520 | < 1 ms |
 * | 2 | 7 152 | 21 232 | 14 080 | ~2 ms |
 * | 3 | 28 384 | 84 704 | 56 320 | ~6 ms |
 * | 4 | 113 088 | 338 368 | 225 280 | ~20 ms |
 * | 5 | 451 456 | 1 352 576 | 901 120 | ~90 ms |
 *
 * A variant with open eyes (e.g. 898 triangles) changes these by a few percent; call
 * {@link loopSubdivisionCounts} for exact numbers.
 */

import { FaceDetailError } from '../errors.js';
import type { Mesh } from '../types.js';
import { buildEdgeTable } from './edges.js';
import { computeVertexNormals } from './normals.js';
import { computeTangents } from './tangents.js';
import { assignDefaults } from '../options.js';

/** An extra per-vertex attribute to subdivide: `size` numbers per vertex, interleaved. @public */
export interface SubdivisionAttribute {
  data: Float32Array | Float64Array;
  size: number;
}

/** Options of {@link loopSubdivide}. */
export interface LoopSubdivideOptions {
  /**
   * Extra per-vertex attributes, returned subdivided in the same order in `result.attributes`.
   * @example { attributes: [{ data: mirrorUvs, size: 2 }] }
   */
  attributes?: readonly SubdivisionAttribute[];
  /**
   * `'smooth'`: boundary vertices use the 1/8, 3/4, 1/8 crease rule (boundary curves become
   * cubic B-splines of the base polygon). `'fixed'`: boundary vertices never move and boundary
   * edges are split at their midpoints, so every boundary stays exactly on its base polyline.
   * @example { boundary: 'fixed' }
   */
  boundary?: 'smooth' | 'fixed';
  /**
   * Boundary vertices where the base mesh's surface angle (the sum of the incident triangles'
   * angles at the vertex) is below this, in degrees, are convex corners and stay in place: a
   * square's corners (90°) stay; the ~160–200° boundary vertices of the face mesh's outer border
   * and the ~340° mouth-slit tips are smoothed. 0 disables.
   * @example { cornerAngleDeg: 0 } // smooth every boundary vertex
   */
  cornerAngleDeg?: number;
  /**
   * Base-mesh vertex ids to keep in place at every level (e.g. eye and mouth corners).
   * @example { cornerVertices: [33, 133, 362, 263] }
   */
  cornerVertices?: ArrayLike<number>;
}

/** Defaults of {@link LoopSubdivideOptions}. @public */
export const LOOP_SUBDIVIDE_DEFAULTS: Readonly<Required<LoopSubdivideOptions>> = Object.freeze({
  attributes: [],
  boundary: 'smooth',
  cornerAngleDeg: 100,
  cornerVertices: [],
});

/** Element counts of one subdivision level. */
export interface SubdivisionCounts {
  vertices: number;
  edges: number;
  triangles: number;
}

/** Result of {@link loopSubdivide}. */
export interface LoopSubdivisionResult {
  /** The subdivided mesh (positions, indices, and uvs / normals / tangents as described). */
  mesh: Mesh;
  /** The `options.attributes`, subdivided, in the same order. */
  attributes: Float32Array[];
  /** Counts for levels 0 … `levels` (entry 0 is the input). */
  counts: SubdivisionCounts[];
}

/** Largest accepted `levels` (level 8 of a 468-vertex mesh is already ~30 M vertices). */
const MAX_LEVELS = 8;

/**
 * Loop-subdivide `mesh` `levels` times. Positions, `uvs` (if any) and `options.attributes`
 * are all subdivided with the same stencils (see the module comment); the output has normals
 * (angle-weighted, {@link computeVertexNormals}) if the input had normals, and tangents
 * ({@link computeTangents}) if the input had tangents and UVs. Internally computed in float64.
 *
 * @param levels number of subdivision steps, integer 0 … 8 (0 returns copies).
 * @example
 * const { mesh, attributes } = loopSubdivide(proxy, 4, { attributes: [{ data: mirrorUv, size: 2 }] });
 * mesh.positions.length / 3; // vertices at level 4 (see the table above)
 * const mirrorUvFine = attributes[0]!;
 */
export function loopSubdivide(mesh: Mesh, levels: number, options?: LoopSubdivideOptions): LoopSubdivisionResult {
  const o = assignDefaults(LOOP_SUBDIVIDE_DEFAULTS, options);
  const { positions, indices } = mesh;
  if (!Number.isInteger(levels) || levels < 0 || levels > MAX_LEVELS) {
    throw new FaceDetailError('INVALID_OPTION', `loopSubdivide: levels must be an integer in 0…${MAX_LEVELS}, got ${String(levels)}`);
  }
  if (positions.length % 3 !== 0) {
    throw new FaceDetailError('INVALID_OPTION', `loopSubdivide: mesh.positions length must be a multiple of 3, got ${positions.length}`);
  }
  const V0 = positions.length / 3;
  validateIndices('loopSubdivide', indices, V0);
  if (mesh.uvs && mesh.uvs.length !== 2 * V0) {
    throw new FaceDetailError('INVALID_OPTION', `loopSubdivide: mesh.uvs must have 2 numbers per vertex (${2 * V0}), got ${mesh.uvs.length}`);
  }
  o.attributes.forEach((a, k) => {
    if (!Number.isInteger(a.size) || a.size < 1 || a.data.length !== a.size * V0) {
      throw new FaceDetailError('INVALID_OPTION', `loopSubdivide: options.attributes[${k}] must have size ≥ 1 and data.length = size × ${V0}, got size ${a.size} and length ${a.data.length}`);
    }
  });
  if (!(o.cornerAngleDeg >= 0 && o.cornerAngleDeg <= 360)) {
    throw new FaceDetailError('INVALID_OPTION', `loopSubdivide: options.cornerAngleDeg must be in [0, 360], got ${o.cornerAngleDeg}`);
  }

  // Work arrays in float64: positions, uvs, extra attributes.
  const attrs: { data: Float64Array; size: number }[] = [{ data: Float64Array.from(positions), size: 3 }];
  if (mesh.uvs) attrs.push({ data: Float64Array.from(mesh.uvs), size: 2 });
  for (const a of o.attributes) attrs.push({ data: Float64Array.from(a.data), size: a.size });

  let V = V0;
  let idx = indices;
  let corner = new Uint8Array(V0);
  for (let k = 0; k < o.cornerVertices.length; k++) {
    const v = o.cornerVertices[k]!;
    if (!(Number.isInteger(v) && v >= 0 && v < V0)) {
      throw new FaceDetailError('INVALID_OPTION', `loopSubdivide: options.cornerVertices[${k}] must be a vertex id < ${V0}, got ${v}`);
    }
    corner[v] = 1;
  }
  const counts: SubdivisionCounts[] = [];
  for (let level = 0; level < levels; level++) {
    const et = buildEdgeTable(idx, V);
    counts.push({ vertices: V, edges: et.edgeCount, triangles: idx.length / 3 });
    const E = et.edgeCount;
    const kind = classifyVertices(et.vertices, et.faceCount, E, V, corner, idx, attrs[0]!.data,
      level === 0 ? o.cornerAngleDeg : 0, o.boundary === 'fixed');
    const { valence, n0, n1, type } = kind;
    const scratch = new Float64Array(V * maxSize(attrs));
    for (const a of attrs) a.data = subdivideAttribute(a.data, a.size, V, et.vertices, et.faceCount, et.opposite, E, valence, n0, n1, type, scratch);
    idx = splitTriangles(idx, et.sideEdge, V);
    const next = new Uint8Array(V + E);
    next.set(corner);
    corner = next;
    V += E;
  }
  counts.push({ vertices: V, edges: levels > 0 ? 2 * counts[levels - 1]!.edges + 3 * counts[levels - 1]!.triangles : buildEdgeTable(idx, V).edgeCount, triangles: idx.length / 3 });

  const out: Mesh = {
    positions: Float32Array.from(attrs[0]!.data),
    indices: levels > 0 ? idx : indices.slice(),
  };
  const attributes: Float32Array[] = [];
  let k = 1;
  if (mesh.uvs) out.uvs = Float32Array.from(attrs[k++]!.data);
  for (; k < attrs.length; k++) attributes.push(Float32Array.from(attrs[k]!.data));
  const wantTangents = mesh.tangents !== undefined && out.uvs !== undefined;
  if (mesh.normals || wantTangents) {
    const normals = computeVertexNormals(out.positions, out.indices);
    if (mesh.normals) out.normals = normals;
    if (wantTangents) out.tangents = computeTangents(out.positions, normals, out.uvs!, out.indices);
  }
  return { mesh: out, attributes, counts };
}

/**
 * Counts of vertices, edges and triangles of levels 0 … `levels` of Loop subdivision, without
 * subdividing (one edge-table pass over the base mesh, then V' = V + E, E' = 2E + 3T, T' = 4T).
 *
 * @example loopSubdivisionCounts(face.indices, 468, 4)[4]; // { vertices: 113080, edges: …, triangles: 225280 }
 */
export function loopSubdivisionCounts(indices: Uint32Array, vertexCount: number, levels: number): SubdivisionCounts[] {
  validateIndices('loopSubdivisionCounts', indices, vertexCount);
  let c: SubdivisionCounts = { vertices: vertexCount, edges: buildEdgeTable(indices, vertexCount).edgeCount, triangles: indices.length / 3 };
  const res = [c];
  for (let l = 0; l < levels; l++) {
    c = { vertices: c.vertices + c.edges, edges: 2 * c.edges + 3 * c.triangles, triangles: 4 * c.triangles };
    res.push(c);
  }
  return res;
}

/** Loop's original β(n) = (1/n)(5/8 − (3/8 + 1/4·cos(2π/n))²). */
export function loopBeta(n: number): number {
  if (n < 1) return 0;
  const c = 3 / 8 + 0.25 * Math.cos((2 * Math.PI) / n);
  return (5 / 8 - c * c) / n;
}

const BETA_TABLE = Float64Array.from({ length: 64 }, (_, n) => loopBeta(n));

const SMOOTH = 0, CREASE = 1, FIXED = 2;

/** Per-vertex valence, boundary neighbours and stencil type for one level. */
function classifyVertices(
  ev: Uint32Array, faceCount: Uint32Array, E: number, V: number, corner: Uint8Array,
  idx: Uint32Array, P: Float64Array, cornerAngleDeg: number, fixedBoundary: boolean,
): { valence: Uint32Array; n0: Uint32Array; n1: Uint32Array; type: Uint8Array } {
  const valence = new Uint32Array(V);
  const creases = new Uint8Array(V);
  const n0 = new Uint32Array(V), n1 = new Uint32Array(V);
  for (let e = 0; e < E; e++) {
    const a = ev[2 * e]!, b = ev[2 * e + 1]!;
    valence[a]!++; valence[b]!++;
    if (faceCount[e] !== 2) {
      const ca = creases[a]!, cb = creases[b]!;
      if (ca === 0) n0[a] = b; else if (ca === 1) n1[a] = b;
      if (cb === 0) n0[b] = a; else if (cb === 1) n1[b] = a;
      if (ca < 3) creases[a] = ca + 1;
      if (cb < 3) creases[b] = cb + 1;
    }
  }
  const type = new Uint8Array(V);
  for (let v = 0; v < V; v++) {
    const c = creases[v]!;
    if (corner[v] || valence[v] === 0) type[v] = FIXED;
    else if (c === 0) type[v] = SMOOTH;
    else if (c !== 2 || fixedBoundary) type[v] = FIXED;
    else type[v] = CREASE;
  }
  if (cornerAngleDeg > 0) {
    // Surface angle at crease vertices: sum of the incident triangles' interior angles.
    const angle = new Float64Array(V);
    for (let t = 0; t < idx.length; t += 3) {
      const a = idx[t]!, b = idx[t + 1]!, c = idx[t + 2]!;
      if (type[a] === CREASE) angle[a]! += cornerAngle(P, a, b, c);
      if (type[b] === CREASE) angle[b]! += cornerAngle(P, b, c, a);
      if (type[c] === CREASE) angle[c]! += cornerAngle(P, c, a, b);
    }
    const limit = (cornerAngleDeg * Math.PI) / 180;
    for (let v = 0; v < V; v++) {
      if (type[v] === CREASE && angle[v]! < limit) { type[v] = FIXED; corner[v] = 1; }
    }
  }
  return { valence, n0, n1, type };
}

/** Interior angle (rad) at vertex `v` of triangle (v, a, b). */
function cornerAngle(P: Float64Array, v: number, a: number, b: number): number {
  const i = 3 * v, j = 3 * a, k = 3 * b;
  const ax = P[j]! - P[i]!, ay = P[j + 1]! - P[i + 1]!, az = P[j + 2]! - P[i + 2]!;
  const bx = P[k]! - P[i]!, by = P[k + 1]! - P[i + 1]!, bz = P[k + 2]! - P[i + 2]!;
  const cx = ay * bz - az * by, cy = az * bx - ax * bz, cz = ax * by - ay * bx;
  return Math.atan2(Math.sqrt(cx * cx + cy * cy + cz * cz), ax * bx + ay * by + az * bz);
}

/** One Loop step of a `size`-component attribute: returns (V + E)·size values. */
function subdivideAttribute(
  x: Float64Array, s: number, V: number,
  ev: Uint32Array, faceCount: Uint32Array, opp: Uint32Array, E: number,
  valence: Uint32Array, n0: Uint32Array, n1: Uint32Array, type: Uint8Array, acc: Float64Array,
): Float64Array {
  const y = new Float64Array((V + E) * s);
  // Neighbour sums over unique edges.
  acc.fill(0, 0, V * s);
  for (let e = 0; e < E; e++) {
    const a = ev[2 * e]! * s, b = ev[2 * e + 1]! * s;
    for (let c = 0; c < s; c++) { acc[a + c]! += x[b + c]!; acc[b + c]! += x[a + c]!; }
  }
  // Vertex points.
  for (let v = 0; v < V; v++) {
    const i = v * s, t = type[v]!;
    if (t === SMOOTH) {
      const n = valence[v]!;
      const beta = n < 64 ? BETA_TABLE[n]! : loopBeta(n);
      const self = 1 - n * beta;
      for (let c = 0; c < s; c++) y[i + c] = self * x[i + c]! + beta * acc[i + c]!;
    } else if (t === CREASE) {
      const j = n0[v]! * s, k = n1[v]! * s;
      for (let c = 0; c < s; c++) y[i + c] = 0.75 * x[i + c]! + 0.125 * (x[j + c]! + x[k + c]!);
    } else {
      for (let c = 0; c < s; c++) y[i + c] = x[i + c]!;
    }
  }
  // Edge points.
  for (let e = 0; e < E; e++) {
    const a = ev[2 * e]! * s, b = ev[2 * e + 1]! * s, o = (V + e) * s;
    if (faceCount[e] === 2) {
      const p = opp[2 * e]! * s, q = opp[2 * e + 1]! * s;
      for (let c = 0; c < s; c++) y[o + c] = 0.375 * (x[a + c]! + x[b + c]!) + 0.125 * (x[p + c]! + x[q + c]!);
    } else {
      for (let c = 0; c < s; c++) y[o + c] = 0.5 * (x[a + c]! + x[b + c]!);
    }
  }
  return y;
}

/** Split every triangle into four, keeping winding. */
function splitTriangles(idx: Uint32Array, sideEdge: Uint32Array, V: number): Uint32Array {
  const T = idx.length / 3;
  const out = new Uint32Array(12 * T);
  for (let t = 0; t < T; t++) {
    const i = 3 * t, o = 12 * t;
    const a = idx[i]!, b = idx[i + 1]!, c = idx[i + 2]!;
    const mab = V + sideEdge[i]!, mbc = V + sideEdge[i + 1]!, mca = V + sideEdge[i + 2]!;
    out[o] = a; out[o + 1] = mab; out[o + 2] = mca;
    out[o + 3] = mab; out[o + 4] = b; out[o + 5] = mbc;
    out[o + 6] = mca; out[o + 7] = mbc; out[o + 8] = c;
    out[o + 9] = mab; out[o + 10] = mbc; out[o + 11] = mca;
  }
  return out;
}

function maxSize(attrs: readonly { size: number }[]): number {
  let m = 0;
  for (const a of attrs) if (a.size > m) m = a.size;
  return m;
}

function validateIndices(fn: string, indices: Uint32Array, V: number): void {
  if (!(indices instanceof Uint32Array) || indices.length % 3 !== 0) {
    throw new FaceDetailError('INVALID_OPTION', `${fn}: indices must be a Uint32Array with 3 entries per triangle, got length ${indices.length}`);
  }
  if (V >= 0xffffffff) throw new FaceDetailError('INVALID_OPTION', `${fn}: too many vertices (${V})`);
  for (let i = 0; i < indices.length; i++) {
    if (indices[i]! >= V) throw new FaceDetailError('INVALID_OPTION', `${fn}: indices[${i}] = ${indices[i]} is not a vertex id < ${V}`);
  }
}


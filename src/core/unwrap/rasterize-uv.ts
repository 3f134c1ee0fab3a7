/**
 * Rasterization of a mesh in its UV layout: the per-texel surface geometry ({@link UVGeometry})
 * every later stage works on, and interpolation of any per-vertex attribute into texels.
 *
 * Texel (i, j) of a W×H map is sampled at its centre uv = ((i + 0.5)/W, (j + 0.5)/H) (v down), so
 * in "texel coordinates" (s, t) = (u·W, v·H) the shared rasterizer's pixel-centre convention
 * applies unchanged. Inside a triangle the mesh is affine in (s, t), so linear interpolation of
 * positions with the UV barycentrics is exact (no perspective correction in UV space).
 */
import { FaceDetailError } from '../errors.js';
import { computeVertexNormals } from '../mesh/normals.js';
import { ContentCache } from '../cache/content-cache.js';
import { rasterizeTriangles } from '../raster/rasterize.js';
import type { Mesh } from '../types.js';
import type { UVGeometry } from './uv-geometry.js';

/**
 * Rasterize `mesh` in UV space into a `width`×`height` {@link UVGeometry}: per covered texel the
 * triangle id, barycentrics, surface point (mm, camera frame), unit interpolated normal, and the
 * triangle's Jacobian ∂P/∂(one texel step along +u) and ∂P/∂(one texel step along +v, i.e. one
 * row DOWN the map), both in mm per texel.
 *
 * Normals come from `mesh.normals` when present, else from {@link computeVertexNormals} (outward
 * by the winding convention of types.ts). Triangles with zero UV area are skipped. Where two
 * triangles meet, the shared rasterizer's top-left rule gives every texel centre exactly one owner.
 *
 * Cost: one pass over the triangles and their texels: 55–95 ms at 1024² with 57k triangles
 * (850k covered texels) on a shared 2-core machine.
 *
 * @param mesh positions (mm) and per-vertex `uvs` (v down, [0, 1]) required.
 * @param width map width in texels (positive integer).
 * @param height map height in texels (positive integer).
 * @example
 * const geom = rasterizeUV(proxy, 1024, 1024);
 * const k = 512 * 1024 + 512; // texel (512, 512)
 * if (geom.coverage[k]) console.log(geom.position[3 * k + 2]); // its depth in mm
 */
export function rasterizeUV(mesh: Mesh, width: number, height: number): UVGeometry {
  checkSize('rasterizeUV', width, height);
  const uvs = mesh.uvs;
  const { positions: P, indices: I } = mesh;
  const nv = Math.floor(P.length / 3);
  if (!uvs || uvs.length < 2 * nv) {
    throw new FaceDetailError('INVALID_OPTION', `rasterizeUV: mesh.uvs must hold 2 numbers per vertex (${2 * nv}), got ${uvs ? uvs.length : 'none'}`);
  }
  const N = mesh.normals && mesh.normals.length >= 3 * nv ? mesh.normals : computeVertexNormals(P, I);
  const triCount = Math.floor(I.length / 3);
  const n = width * height;

  // Texel-space vertex coordinates for the rasterizer.
  const st = new Float64Array(2 * nv);
  for (let v = 0; v < nv; v++) {
    st[2 * v] = uvs[2 * v]! * width;
    st[2 * v + 1] = uvs[2 * v + 1]! * height;
  }

  // Per-triangle Jacobian [∂P/∂s, ∂P/∂t] = [E1 E2] · [d1 d2]⁻¹ (s = u·W, t = v·H texel coords).
  const jac = new Float32Array(6 * triCount);
  for (let t = 0; t < triCount; t++) {
    const i0 = I[3 * t]!, i1 = I[3 * t + 1]!, i2 = I[3 * t + 2]!;
    const d1s = st[2 * i1]! - st[2 * i0]!, d1t = st[2 * i1 + 1]! - st[2 * i0 + 1]!;
    const d2s = st[2 * i2]! - st[2 * i0]!, d2t = st[2 * i2 + 1]! - st[2 * i0 + 1]!;
    const det = d1s * d2t - d2s * d1t;
    if (det === 0) continue; // never rasterized
    const inv = 1 / det;
    for (let c = 0; c < 3; c++) {
      const p0 = P[3 * i0 + c]!;
      const e1 = P[3 * i1 + c]! - p0, e2 = P[3 * i2 + c]! - p0;
      jac[6 * t + c] = (e1 * d2t - e2 * d1t) * inv;
      jac[6 * t + 3 + c] = (e2 * d1s - e1 * d2s) * inv;
    }
  }

  const layout = uvLayout(uvs, I, width, height);
  const { triangle: tri, bary: b64 } = layout;
  const coverage = layout.coverage.slice();
  const triangle = tri.slice();
  const bary = new Float32Array(b64);
  const position = new Float32Array(3 * n);
  const normal = new Float32Array(3 * n);
  const dPdu = new Float32Array(3 * n);
  const dPdv = new Float32Array(3 * n);
  for (let k = 0; k < n; k++) {
    const t = tri[k]!;
    if (t < 0) continue;
    const o = 3 * k;
    const b0 = b64[o]!, b1 = b64[o + 1]!, b2 = b64[o + 2]!;
    const i0 = 3 * I[3 * t]!, i1 = 3 * I[3 * t + 1]!, i2 = 3 * I[3 * t + 2]!;
    position[o] = b0 * P[i0]! + b1 * P[i1]! + b2 * P[i2]!;
    position[o + 1] = b0 * P[i0 + 1]! + b1 * P[i1 + 1]! + b2 * P[i2 + 1]!;
    position[o + 2] = b0 * P[i0 + 2]! + b1 * P[i1 + 2]! + b2 * P[i2 + 2]!;
    unitNormalInto(N, i0, i1, i2, b0, b1, b2, normal, o);
    const j = 6 * t;
    dPdu[o] = jac[j]!; dPdu[o + 1] = jac[j + 1]!; dPdu[o + 2] = jac[j + 2]!;
    dPdv[o] = jac[j + 3]!; dPdv[o + 1] = jac[j + 4]!; dPdv[o + 2] = jac[j + 5]!;
  }

  return { width, height, coverage, triangle, position, normal, dPdu, dPdv, bary };
}

/**
 * Which triangle covers each texel centre of a `width`×`height` map, and where: what a UV
 * rasterization depends on besides the vertex positions. It depends on the UVs, the triangles and
 * the map size only, so it is the same for every face of a face model: {@link uvLayout} keeps the
 * recent ones.
 */
interface UVLayout {
  width: number;
  height: number;
  /** 1 where a texel centre lies inside a triangle with non-zero UV area. */
  coverage: Uint8Array;
  /** Covering triangle per texel, −1 where none. */
  triangle: Int32Array;
  /** Barycentrics (b0, b1, b2) of each covered texel centre, float64 as the rasterizer computes them; 0 elsewhere. */
  bary: Float64Array;
}

/** Recent UV layouts (proxy and detailed mesh at the map sizes in use): 29 B per texel each, ≤ 256 MB. */
const LAYOUTS = new ContentCache<UVLayout>(256 * 2 ** 20, 'uv-layout-1');

/**
 * The {@link UVLayout} of triangles `indices` with per-vertex `uvs` (v down, [0, 1]) at
 * `width`×`height`: from a small cache keyed by the arrays' content (an exact comparison, not a
 * hash alone), else rasterized (the shared rasterizer, top-left rule: every texel centre has at
 * most one owner). The result is shared: do not modify it.
 *
 * @example
 * const layout = uvLayout(mesh.uvs!, mesh.indices, 1024, 1024); // the second face of a batch: no rasterization
 */
function uvLayout(uvs: Float32Array, indices: Uint32Array, width: number, height: number): UVLayout {
  checkSize('uvLayout', width, height);
  return LAYOUTS.get([uvs, indices, width, height], () => rasterizeLayout(uvs, indices, width, height), (l) => l.coverage.byteLength + l.triangle.byteLength + l.bary.byteLength);
}

/** Drop the cached UV layouts (frees their memory; the next rasterization recomputes them). */
export function clearUVLayoutCache(): void {
  LAYOUTS.clear();
}

/** Hits and misses of the UV layout cache (tests, benchmarks). */
export function uvLayoutCacheStats(): { hits: number; misses: number } {
  return { ...LAYOUTS.stats };
}

/**
 * The tangent frame of `mesh` per texel (what a tangent-space normal map is encoded against): the
 * unit interpolated vertex normal (as {@link rasterizeUV} computes it) and the interpolated
 * `mesh.tangents` (xyzw, not renormalised, as {@link rasterizeAttribute}), on the cached
 * {@link uvLayout}, without the positions and Jacobians a full {@link rasterizeUV} computes.
 * `coverage` is the shared layout's: do not modify it.
 *
 * @example
 * const frame = uvFrame(detailed, 1024, 1024);
 * const residual = encodeTangentNormalMap(normals, frame, frame.coverage);
 */
export function uvFrame(mesh: Mesh, width: number, height: number): { coverage: Uint8Array; normal: Float32Array; tangent: Float32Array } {
  const { positions: P, indices: I, uvs, tangents } = mesh;
  const nv = Math.floor(P.length / 3);
  if (!uvs || uvs.length < 2 * nv) throw new FaceDetailError('INVALID_OPTION', `uvFrame: mesh.uvs must hold 2 numbers per vertex (${2 * nv}), got ${uvs ? uvs.length : 'none'}`);
  if (!tangents || tangents.length < 4 * nv) throw new FaceDetailError('INVALID_OPTION', `uvFrame: mesh.tangents must hold 4 numbers per vertex (${4 * nv}), got ${tangents ? tangents.length : 'none'}`);
  const N = mesh.normals && mesh.normals.length >= 3 * nv ? mesh.normals : computeVertexNormals(P, I);
  const layout = uvLayout(uvs, I, width, height);
  const { triangle: tri, bary: b64 } = layout;
  const n = width * height;
  const normal = new Float32Array(3 * n);
  const tangent = new Float32Array(4 * n);
  for (let k = 0; k < n; k++) {
    const t = tri[k]!;
    if (t < 0) continue;
    const o = 3 * k;
    const v0 = I[3 * t]!, v1 = I[3 * t + 1]!, v2 = I[3 * t + 2]!;
    const b0 = b64[o]!, b1 = b64[o + 1]!, b2 = b64[o + 2]!;
    const i0 = 3 * v0, i1 = 3 * v1, i2 = 3 * v2;
    unitNormalInto(N, i0, i1, i2, b0, b1, b2, normal, o);
    // As rasterizeAttribute: the barycentrics rounded to float32 (UVGeometry.bary).
    const f0 = Math.fround(b0), f1 = Math.fround(b1), f2 = Math.fround(b2);
    const a0 = 4 * v0, a1 = 4 * v1, a2 = 4 * v2, q = 4 * k;
    for (let c = 0; c < 4; c++) tangent[q + c] = f0 * tangents[a0 + c]! + f1 * tangents[a1 + c]! + f2 * tangents[a2 + c]!;
  }
  return { coverage: layout.coverage, normal, tangent };
}

/** The unit barycentric interpolation of the normals at offsets i0, i1, i2 of `N`, written at `out[o..o+3)` (0 for a zero sum). */
function unitNormalInto(N: Float32Array, i0: number, i1: number, i2: number, b0: number, b1: number, b2: number, out: Float32Array, o: number): void {
  const nx = b0 * N[i0]! + b1 * N[i1]! + b2 * N[i2]!;
  const ny = b0 * N[i0 + 1]! + b1 * N[i1 + 1]! + b2 * N[i2 + 1]!;
  const nz = b0 * N[i0 + 2]! + b1 * N[i1 + 2]! + b2 * N[i2 + 2]!;
  const len = Math.sqrt(nx * nx + ny * ny + nz * nz);
  const il = len > 0 ? 1 / len : 0;
  out[o] = nx * il; out[o + 1] = ny * il; out[o + 2] = nz * il;
}

function rasterizeLayout(uvs: Float32Array, indices: Uint32Array, width: number, height: number): UVLayout {
  const nv = Math.floor(uvs.length / 2), n = width * height;
  const st = new Float64Array(2 * nv);
  for (let v = 0; v < nv; v++) {
    st[2 * v] = uvs[2 * v]! * width;
    st[2 * v + 1] = uvs[2 * v + 1]! * height;
  }
  const coverage = new Uint8Array(n);
  const triangle = new Int32Array(n).fill(-1);
  const bary = new Float64Array(3 * n);
  rasterizeTriangles(width, height, st, indices, (x, y, t, b0, b1, b2) => {
    const k = y * width + x;
    coverage[k] = 1;
    triangle[k] = t;
    bary[3 * k] = b0; bary[3 * k + 1] = b1; bary[3 * k + 2] = b2;
  });
  return { width, height, coverage, triangle, bary };
}

/**
 * Interpolate a per-vertex attribute (`size` numbers per vertex) into the texels of `geom`, using
 * each texel's triangle and barycentrics (`geom.bary`, or recomputed from `mesh.uvs` if absent).
 * Uncovered texels are set to `fill`. The result is not renormalised (tangents: normalise yourself).
 *
 * @param geom the UV rasterization of `mesh` (same topology and UVs).
 * @param attribute `size` numbers per vertex, e.g. tangents xyzw (size 4) or a mirror UV (size 2).
 * @param out optional destination of length `width*height*size`.
 * @param fill value written to uncovered texels (default 0; pass NaN to mark them unknown).
 * @returns `out` (allocated when not given).
 * @example
 * const tangent = rasterizeAttribute(geom, mesh, mesh.tangents!, 4);
 * const mirror = rasterizeAttribute(geom, mesh, vertexMirrorUV, 2, undefined, NaN);
 */
export function rasterizeAttribute(
  geom: UVGeometry,
  mesh: Mesh,
  attribute: Float32Array,
  size: number,
  out?: Float32Array,
  fill = 0,
): Float32Array {
  const { width: W, height: H, triangle } = geom;
  const n = W * H;
  if (!Number.isInteger(size) || size < 1) {
    throw new FaceDetailError('INVALID_OPTION', `rasterizeAttribute: size must be a positive integer, got ${size}`);
  }
  const nv = Math.floor(mesh.positions.length / 3);
  if (attribute.length < size * nv) {
    throw new FaceDetailError('INVALID_OPTION', `rasterizeAttribute: attribute must hold ${size} numbers per vertex (${size * nv}), got ${attribute.length}`);
  }
  const dst = out ?? new Float32Array(n * size);
  if (dst.length < n * size) {
    throw new FaceDetailError('INVALID_OPTION', `rasterizeAttribute: out must have length ${n * size}, got ${dst.length}`);
  }
  const I = mesh.indices;
  const bary = geom.bary ?? recomputeBary(geom, mesh);
  for (let k = 0; k < n; k++) {
    const t = triangle[k]!;
    const o = k * size;
    if (t < 0) {
      for (let c = 0; c < size; c++) dst[o + c] = fill;
      continue;
    }
    const a0 = size * I[3 * t]!, a1 = size * I[3 * t + 1]!, a2 = size * I[3 * t + 2]!;
    const b0 = bary[3 * k]!, b1 = bary[3 * k + 1]!, b2 = bary[3 * k + 2]!;
    for (let c = 0; c < size; c++) dst[o + c] = b0 * attribute[a0 + c]! + b1 * attribute[a1 + c]! + b2 * attribute[a2 + c]!;
  }
  return dst;
}

/** Barycentrics of every covered texel centre in its triangle, from the mesh UVs. */
function recomputeBary(geom: UVGeometry, mesh: Mesh): Float32Array {
  const { width: W, height: H, triangle } = geom;
  const uvs = mesh.uvs;
  if (!uvs) throw new FaceDetailError('INVALID_OPTION', 'rasterizeAttribute: geom has no bary, so mesh.uvs are required');
  const I = mesh.indices;
  const bary = new Float32Array(3 * W * H);
  for (let y = 0; y < H; y++) {
    for (let x = 0; x < W; x++) {
      const k = y * W + x;
      const t = triangle[k]!;
      if (t < 0) continue;
      const i0 = I[3 * t]!, i1 = I[3 * t + 1]!, i2 = I[3 * t + 2]!;
      const s0 = uvs[2 * i0]! * W, t0 = uvs[2 * i0 + 1]! * H;
      const d1s = uvs[2 * i1]! * W - s0, d1t = uvs[2 * i1 + 1]! * H - t0;
      const d2s = uvs[2 * i2]! * W - s0, d2t = uvs[2 * i2 + 1]! * H - t0;
      const ps = x + 0.5 - s0, pt = y + 0.5 - t0;
      const inv = 1 / (d1s * d2t - d2s * d1t);
      const b1 = (ps * d2t - pt * d2s) * inv, b2 = (d1s * pt - d1t * ps) * inv;
      bary[3 * k] = 1 - b1 - b2; bary[3 * k + 1] = b1; bary[3 * k + 2] = b2;
    }
  }
  return bary;
}

function checkSize(fn: string, width: number, height: number): void {
  if (!Number.isInteger(width) || width < 1 || !Number.isInteger(height) || height < 1) {
    throw new FaceDetailError('INVALID_OPTION', `${fn}: width and height must be positive integers, got ${width}×${height}`);
  }
}

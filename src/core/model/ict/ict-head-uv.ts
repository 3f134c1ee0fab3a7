/**
 * UVs of the ICT head and neck skin (the `head` extra mesh) from ICT's own UV layout, packed into
 * one texture. Isomorphic.
 *
 * ICT lays its UVs out in UDIM-like tiles along u (see `IctModelData.uvs`): the head's triangles
 * lie in tile 0 (the face's outer rim, around the narrow face the detailed face covers) and tile 1
 * (scalp, ears, neck); no head triangle crosses a tile border. {@link ICT_HEAD_UV_LAYOUT} puts the
 * two tiles side by side in one W × H = 2:1 texture: u' = u / 2, v' = v. The narrow face's part of
 * tile 0 stays unused (it is in the face's own albedo map); a tighter packing was not needed at
 * 1024 × 512 (≈ 0.5 texel per mm on the scalp).
 *
 * The head mesh is ICT's triangles Loop-subdivided (`loopSubdivide`, children of triangle t are
 * 4t … 4t + 3); its UVs are ICT's per-corner UVs interpolated linearly over each base triangle
 * ({@link subdivideCornerUvs}), and the vertices on UV seams are split ({@link splitUvSeams}).
 */
import { FaceDetailError } from '../../errors.js';
import type { Mesh } from '../../types.js';
import type { IctModelData } from './ict-cache.js';

/** How the ICT UV tiles used by the head are packed into one texture. */
export const ICT_HEAD_UV_LAYOUT = Object.freeze({
  /** Tiles packed side by side, left to right (tile `k` covers u ∈ [k, k + 1) in ICT's layout). */
  tiles: 2,
  /** Default head texture size, texels (2:1, one 512² square per tile). */
  width: 1024,
  height: 512,
});

/**
 * Per-corner UVs (6 per triangle, packed layout, v down) of ICT triangles `tris`:
 * u' = u / {@link ICT_HEAD_UV_LAYOUT}.tiles, v' = v. Throws `INVALID_INPUT` for a triangle outside the packed tiles.
 *
 * @example
 * const corners = ictHeadCornerUvs(data, headTriangles); // corners.length === 6 * headTriangles.length
 */
export function ictHeadCornerUvs(data: IctModelData, tris: readonly number[]): Float32Array {
  const out = new Float32Array(6 * tris.length);
  const k = ICT_HEAD_UV_LAYOUT.tiles;
  tris.forEach((t, i) => {
    for (let c = 0; c < 3; c++) {
      const uv = data.triangleUvIndices[3 * t + c]!;
      const u = data.uvs[2 * uv]!, v = data.uvs[2 * uv + 1]!;
      if (!(u >= 0 && u < k)) throw new FaceDetailError('INVALID_INPUT', `ictHeadCornerUvs: triangle ${t} has u = ${u}, outside the ${k} packed UV tiles`);
      out[6 * i + 2 * c] = u / k;
      out[6 * i + 2 * c + 1] = v;
    }
  });
  return out;
}

/**
 * Per-corner UVs of a triangle list after `levels` Loop subdivisions, interpolated linearly
 * (midpoints) inside each base triangle, in `loopSubdivide`'s triangle order: triangle t with
 * corners (a, b, c) becomes 4t … 4t + 3 = (a, ab, ca), (ab, b, bc), (ca, bc, c), (ab, bc, ca).
 *
 * @param corners 6 numbers per triangle (u, v of its 3 corners).
 * @example
 * const fine = subdivideCornerUvs(corners, 2); // fine.length === 16 * corners.length
 */
export function subdivideCornerUvs(corners: Float32Array, levels: number): Float32Array {
  let cur = corners;
  for (let l = 0; l < levels; l++) {
    const T = cur.length / 6, next = new Float32Array(24 * T);
    for (let t = 0; t < T; t++) {
      const o = 6 * t;
      const au = cur[o]!, av = cur[o + 1]!, bu = cur[o + 2]!, bv = cur[o + 3]!, cu = cur[o + 4]!, cv = cur[o + 5]!;
      const abu = (au + bu) / 2, abv = (av + bv) / 2, bcu = (bu + cu) / 2, bcv = (bv + cv) / 2, cau = (cu + au) / 2, cav = (cv + av) / 2;
      next.set([au, av, abu, abv, cau, cav, abu, abv, bu, bv, bcu, bcv, cau, cav, bcu, bcv, cu, cv, abu, abv, bcu, bcv, cau, cav], 24 * t);
    }
    cur = next;
  }
  return cur;
}

/** What {@link splitUvSeams} returns. */
export interface UvSeamSplit {
  /** The mesh with one UV per vertex (`uvs`), positions and normals copied to the split vertices. */
  mesh: Mesh;
  /** Per output vertex, the input vertex it copies (for attributes the mesh does not hold). */
  sources: Uint32Array;
}

/**
 * Give every vertex of `mesh` one UV from per-corner UVs: a vertex whose corners carry different
 * UVs (a seam) is split into one copy per distinct UV (same position and normal, so the surface
 * is unchanged). Corners whose UVs agree to 1e-7 share a vertex.
 *
 * @param corners 6 numbers per triangle of `mesh.indices`.
 * @example
 * const { mesh: head, sources } = splitUvSeams(fine, subdivideCornerUvs(corners, 2));
 */
export function splitUvSeams(mesh: Mesh, corners: Float32Array): UvSeamSplit {
  const I = mesh.indices, nc = I.length;
  if (corners.length !== 2 * nc) throw new FaceDetailError('INVALID_INPUT', `splitUvSeams: corners must hold 2 numbers per triangle corner (${2 * nc}), got ${corners.length}`);
  // Per input vertex, a chain of the output vertices made for it so far (first[v], then next[id]).
  const first = new Int32Array(mesh.positions.length / 3).fill(-1);
  const next: number[] = [];
  const indices = new Uint32Array(nc);
  const src: number[] = [], uv: number[] = [];
  for (let k = 0; k < nc; k++) {
    const v = I[k]!, u0 = corners[2 * k]!, v0 = corners[2 * k + 1]!;
    let id = first[v]!;
    while (id >= 0 && !(Math.abs(uv[2 * id]! - u0) <= 1e-7 && Math.abs(uv[2 * id + 1]! - v0) <= 1e-7)) id = next[id]!;
    if (id < 0) { id = src.length; next.push(first[v]!); first[v] = id; src.push(v); uv.push(u0, v0); }
    indices[k] = id;
  }
  const sources = Uint32Array.from(src);
  const copy = (a: Float32Array, size: number): Float32Array => {
    const out = new Float32Array(sources.length * size);
    sources.forEach((v, i) => { for (let c = 0; c < size; c++) out[i * size + c] = a[v * size + c]!; });
    return out;
  };
  const out: Mesh = { positions: copy(mesh.positions, 3), indices, uvs: Float32Array.from(uv) };
  if (mesh.normals) out.normals = copy(mesh.normals, 3);
  return { mesh: out, sources };
}

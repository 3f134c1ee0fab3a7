/**
 * Undirected edge table of a triangle mesh, built over flat typed arrays (CSR buckets keyed by
 * the lower vertex id, no hashing). Shared by Loop subdivision and mesh statistics.
 */

/** Marker for "no vertex" in {@link EdgeTable.opposite}. */
export const NO_VERTEX = 0xffffffff;

/** The unique undirected edges of a triangle list. */
export interface EdgeTable {
  /** Number of unique undirected edges E. */
  edgeCount: number;
  /** Endpoints per edge, `[lo, hi]` with lo ≤ hi (2·E). Edges are numbered in order of `lo`. */
  vertices: Uint32Array;
  /** Number of triangles that use each edge (E): 1 = boundary, 2 = interior, > 2 = non-manifold. */
  faceCount: Uint32Array;
  /**
   * The vertex opposite the edge in its first and second incident triangle (2·E), in triangle
   * order; {@link NO_VERTEX} where the edge has fewer triangles.
   */
  opposite: Uint32Array;
  /**
   * Edge id of each triangle side (3·T): entry `3t + k` is the edge from corner k to corner
   * (k + 1) mod 3 of triangle t.
   */
  sideEdge: Uint32Array;
}

/**
 * Build the edge table of `indices` (3 per triangle) over `vertexCount` vertices.
 * Runs in O(T) time with O(V + T) typed-array memory; indices must be < `vertexCount`.
 *
 * @example
 * const et = buildEdgeTable(new Uint32Array([0, 1, 2, 0, 2, 3]), 4);
 * et.edgeCount; // 5 — the diagonal 0–2 has faceCount 2, the rest 1
 */
export function buildEdgeTable(indices: Uint32Array, vertexCount: number): EdgeTable {
  const sides = indices.length - (indices.length % 3);
  // Bucket every triangle side by its lower endpoint (counting sort = CSR).
  const start = new Uint32Array(vertexCount + 1);
  for (let t = 0; t < sides; t += 3) {
    const a = indices[t]!, b = indices[t + 1]!, c = indices[t + 2]!;
    start[(a < b ? a : b) + 1]!++;
    start[(b < c ? b : c) + 1]!++;
    start[(c < a ? c : a) + 1]!++;
  }
  for (let v = 0; v < vertexCount; v++) start[v + 1]! += start[v]!;
  const cursor = start.slice(0, vertexCount);
  const slotSide = new Uint32Array(sides); // side id (3t + k) per slot
  const slotHi = new Uint32Array(sides); // higher endpoint per slot
  for (let s = 0; s < sides; s++) {
    const a = indices[s]!, b = indices[s % 3 === 2 ? s - 2 : s + 1]!;
    const lo = a < b ? a : b, hi = a < b ? b : a;
    const at = cursor[lo]!++;
    slotSide[at] = s;
    slotHi[at] = hi;
  }
  // Within each bucket, sides with the same `hi` are the same edge (buckets hold ~6 sides).
  const sideEdge = new Uint32Array(sides);
  const slotEdge = new Uint32Array(sides);
  let edgeCount = 0;
  for (let v = 0; v < vertexCount; v++) {
    const s0 = start[v]!, s1 = start[v + 1]!;
    for (let i = s0; i < s1; i++) {
      const hi = slotHi[i]!;
      let e = -1;
      for (let j = s0; j < i; j++) if (slotHi[j] === hi) { e = slotEdge[j]!; break; }
      if (e < 0) e = edgeCount++;
      slotEdge[i] = e;
      sideEdge[slotSide[i]!] = e;
    }
  }
  const verts = new Uint32Array(2 * edgeCount);
  const faceCount = new Uint32Array(edgeCount);
  const opposite = new Uint32Array(2 * edgeCount).fill(NO_VERTEX);
  for (let v = 0; v < vertexCount; v++) {
    for (let i = start[v]!, s1 = start[v + 1]!; i < s1; i++) {
      const e = slotEdge[i]!, s = slotSide[i]!;
      const n = faceCount[e]!++;
      if (n === 0) { verts[2 * e] = v; verts[2 * e + 1] = slotHi[i]!; }
      if (n < 2) {
        // Side k runs corner k → k+1; the opposite corner is k+2 (mod 3).
        opposite[2 * e + n] = indices[s % 3 === 0 ? s + 2 : s - 1]!;
      }
    }
  }
  return { edgeCount, vertices: verts, faceCount, opposite, sideEdge };
}

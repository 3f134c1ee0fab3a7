/**
 * Per-vertex normals of a triangle mesh.
 *
 * Direction follows the winding: the face normal of triangle (a, b, c) is ∝ (b − a) × (c − a),
 * i.e. it points toward the side from which a → b → c appears counter-clockwise in a
 * right-handed frame. The face mesh is counter-clockwise seen from outside in the export frame,
 * so its normals point out of the face; the internal camera frame is the export frame rotated
 * 180° about X (a proper rotation, not a mirror), so the same indices give outward normals there
 * too (negative z for a face looking at the camera).
 */

/** How face normals are weighted when summed at a vertex. @public */
export type NormalWeighting = 'angle' | 'area';

/** Options of {@link computeVertexNormals}. */
export interface VertexNormalsOptions {
  /**
   * `'angle'`: each face normal (unit) is weighted by the triangle's interior angle at the vertex
   * (Thürmer & Wüthrich 1998) — independent of how the neighbourhood is triangulated, the
   * default. `'area'`: weighted by triangle area (cheaper, biased toward large triangles).
   * @example { weighting: 'area' }
   */
  weighting?: NormalWeighting;
}

/** Defaults of {@link VertexNormalsOptions}. @public */
export const VERTEX_NORMALS_DEFAULTS: Readonly<Required<VertexNormalsOptions>> = Object.freeze({
  weighting: 'angle',
});

/**
 * Unit per-vertex normals (xyz interleaved) of the triangles `indices` over `positions`
 * (xyz interleaved, any length unit). Degenerate triangles (zero area) contribute nothing;
 * a vertex with no non-degenerate triangle gets the fallback normal (0, 0, 1).
 *
 * @param out optional destination of length `positions.length` (overwritten); allocated if absent.
 * @returns `out`
 * @example
 * const n = computeVertexNormals(mesh.positions, mesh.indices); // angle-weighted, unit length
 */
export function computeVertexNormals(
  positions: Float32Array | Float64Array,
  indices: Uint32Array,
  out?: Float32Array,
  options?: VertexNormalsOptions,
): Float32Array {
  const weighting = options?.weighting ?? VERTEX_NORMALS_DEFAULTS.weighting;
  const nv = Math.floor(positions.length / 3);
  const n = out ?? new Float32Array(nv * 3);
  n.fill(0);
  const P = positions;
  const byArea = weighting === 'area';
  for (let t = 0, T = indices.length - (indices.length % 3); t < T; t += 3) {
    const i0 = 3 * indices[t]!, i1 = 3 * indices[t + 1]!, i2 = 3 * indices[t + 2]!;
    const x0 = P[i0]!, y0 = P[i0 + 1]!, z0 = P[i0 + 2]!;
    const ax = P[i1]! - x0, ay = P[i1 + 1]! - y0, az = P[i1 + 2]! - z0; // e01
    const bx = P[i2]! - x0, by = P[i2 + 1]! - y0, bz = P[i2 + 2]! - z0; // e02
    const cx = ay * bz - az * by, cy = az * bx - ax * bz, cz = ax * by - ay * bx;
    const len = Math.sqrt(cx * cx + cy * cy + cz * cz); // 2 · area
    if (!(len > 0)) continue;
    if (byArea) {
      // The unnormalised cross product is the unit normal times 2·area.
      n[i0]! += cx; n[i0 + 1]! += cy; n[i0 + 2]! += cz;
      n[i1]! += cx; n[i1 + 1]! += cy; n[i1 + 2]! += cz;
      n[i2]! += cx; n[i2 + 1]! += cy; n[i2 + 2]! += cz;
      continue;
    }
    // Interior angles via atan2(|u×v|, u·v); |u×v| = 2·area for every corner.
    const dx = bx - ax, dy = by - ay, dz = bz - az; // e12
    const w0 = Math.atan2(len, ax * bx + ay * by + az * bz);
    const w1 = Math.atan2(len, -(ax * dx + ay * dy + az * dz));
    const w2 = Math.atan2(len, bx * dx + by * dy + bz * dz);
    const ux = cx / len, uy = cy / len, uz = cz / len;
    n[i0]! += ux * w0; n[i0 + 1]! += uy * w0; n[i0 + 2]! += uz * w0;
    n[i1]! += ux * w1; n[i1 + 1]! += uy * w1; n[i1 + 2]! += uz * w1;
    n[i2]! += ux * w2; n[i2 + 1]! += uy * w2; n[i2 + 2]! += uz * w2;
  }
  for (let i = 0; i < nv * 3; i += 3) {
    const x = n[i]!, y = n[i + 1]!, z = n[i + 2]!;
    const l = Math.sqrt(x * x + y * y + z * z);
    if (l > 0) { n[i] = x / l; n[i + 1] = y / l; n[i + 2] = z / l; }
    else { n[i] = 0; n[i + 1] = 0; n[i + 2] = 1; }
  }
  return n;
}

/**
 * Per-vertex tangent frames for tangent-space normal maps, MikkTSpace-style, and the per-texel
 * frame reconstruction that the normal-map baker and any glTF renderer must share.
 *
 * CONVENTION (the whole pipeline relies on it):
 * - Stored UVs have u to the right and v DOWN the image (glTF).
 * - Tangent-space normal maps follow glTF / OpenGL: +X = tangent T = direction of increasing u;
 *   +Y = bitangent B = direction of DECREASING stored v (i.e. "up" in the texture image);
 *   +Z = the surface normal N.
 * - Stored tangents are xyzw: `xyz` = unit T orthogonal to the vertex normal, `w` = ±1 handedness,
 *   and B = cross(N, T) · w (the glTF rule). So per triangle we aim for T ∥ ∂P/∂u and
 *   B ∥ −∂P/∂v, and w = sign(dot(cross(N, T), −∂P/∂v)): +1 for an ordinary layout, −1 where
 *   the UV layout is mirrored relative to the winding.
 */

/** Options of {@link computeTangents}. */
export interface TangentsOptions {
  /**
   * UV-space determinant below which a triangle is ignored as UV-degenerate (|du1·dv2 − du2·dv1|,
   * in UV² units).
   * @example { minUvArea: 1e-14 }
   */
  minUvArea?: number;
}

/** Defaults of {@link TangentsOptions}. @public */
export const TANGENTS_DEFAULTS: Readonly<Required<TangentsOptions>> = Object.freeze({
  minUvArea: 1e-14,
});

/**
 * Per-vertex tangents (xyzw interleaved, 4 per vertex) from positions (xyz), unit vertex
 * normals (xyz), UVs (uv, v down) and triangles.
 *
 * Per triangle, ∂P/∂u and ∂P/∂v are solved from the UV differences of its edges. At each corner
 * both are projected onto the plane of that vertex's normal, normalised and summed with the
 * triangle's interior angle as weight (as MikkTSpace does). Finally T is Gram–Schmidt
 * orthonormalised against N and w = sign(dot(cross(N, T), Σ −∂P/∂v)). Vertices with no
 * usable triangle get T from the accumulated bitangent (T = B × N) or, failing that, any unit
 * vector perpendicular to N, with w = +1.
 *
 * Unlike MikkTSpace, vertices are never split: where mirrored and unmirrored triangles meet at
 * one vertex (a UV mirror seam) the larger angle sum decides w. The face chart has no seams.
 *
 * @param out optional destination of length 4·V (overwritten).
 * @returns `out`
 * @example
 * const tan = computeTangents(mesh.positions, mesh.normals!, mesh.uvs!, mesh.indices);
 * // tan[4i..4i+2] = unit T (toward +u), tan[4i+3] = ±1; B = cross(N, T)·w points toward −v.
 */
export function computeTangents(
  positions: Float32Array | Float64Array,
  normals: Float32Array | Float64Array,
  uvs: Float32Array | Float64Array,
  indices: Uint32Array,
  out?: Float32Array,
  options?: TangentsOptions,
): Float32Array {
  const minDet = options?.minUvArea ?? TANGENTS_DEFAULTS.minUvArea;
  const nv = Math.floor(positions.length / 3);
  const res = out ?? new Float32Array(4 * nv);
  const tacc = new Float64Array(3 * nv);
  const bacc = new Float64Array(3 * nv);
  const P = positions, N = normals, UV = uvs;
  for (let t = 0, T = indices.length - (indices.length % 3); t < T; t += 3) {
    const a = indices[t]!, b = indices[t + 1]!, c = indices[t + 2]!;
    const i0 = 3 * a, i1 = 3 * b, i2 = 3 * c;
    const e1x = P[i1]! - P[i0]!, e1y = P[i1 + 1]! - P[i0 + 1]!, e1z = P[i1 + 2]! - P[i0 + 2]!;
    const e2x = P[i2]! - P[i0]!, e2y = P[i2 + 1]! - P[i0 + 1]!, e2z = P[i2 + 2]! - P[i0 + 2]!;
    const u0 = UV[2 * a]!, v0 = UV[2 * a + 1]!;
    const du1 = UV[2 * b]! - u0, dv1 = UV[2 * b + 1]! - v0;
    const du2 = UV[2 * c]! - u0, dv2 = UV[2 * c + 1]! - v0;
    const det = du1 * dv2 - du2 * dv1;
    if (!(Math.abs(det) > minDet)) continue;
    const r = 1 / det;
    // ∂P/∂u and the target bitangent −∂P/∂v.
    const tx = (e1x * dv2 - e2x * dv1) * r, ty = (e1y * dv2 - e2y * dv1) * r, tz = (e1z * dv2 - e2z * dv1) * r;
    const bx = -(e2x * du1 - e1x * du2) * r, by = -(e2y * du1 - e1y * du2) * r, bz = -(e2z * du1 - e1z * du2) * r;
    // Interior angles (geometric) as corner weights.
    const cx = e1y * e2z - e1z * e2y, cy = e1z * e2x - e1x * e2z, cz = e1x * e2y - e1y * e2x;
    const len = Math.sqrt(cx * cx + cy * cy + cz * cz);
    if (!(len > 0) || !Number.isFinite(tx + ty + tz + bx + by + bz)) continue;
    const dx = e2x - e1x, dy = e2y - e1y, dz = e2z - e1z;
    const w0 = Math.atan2(len, e1x * e2x + e1y * e2y + e1z * e2z);
    const w1 = Math.atan2(len, -(e1x * dx + e1y * dy + e1z * dz));
    const w2 = Math.atan2(len, e2x * dx + e2y * dy + e2z * dz);
    addProjected(tacc, bacc, N, i0, w0, tx, ty, tz, bx, by, bz);
    addProjected(tacc, bacc, N, i1, w1, tx, ty, tz, bx, by, bz);
    addProjected(tacc, bacc, N, i2, w2, tx, ty, tz, bx, by, bz);
  }
  for (let v = 0; v < nv; v++) {
    const i = 3 * v;
    let nx = N[i]!, ny = N[i + 1]!, nz = N[i + 2]!;
    const nl = Math.sqrt(nx * nx + ny * ny + nz * nz);
    if (nl > 0) { nx /= nl; ny /= nl; nz /= nl; } else { nx = 0; ny = 0; nz = 1; }
    let tx = tacc[i]!, ty = tacc[i + 1]!, tz = tacc[i + 2]!;
    const bx = bacc[i]!, by = bacc[i + 1]!, bz = bacc[i + 2]!;
    let d = nx * tx + ny * ty + nz * tz;
    tx -= nx * d; ty -= ny * d; tz -= nz * d;
    let tl = Math.sqrt(tx * tx + ty * ty + tz * tz);
    if (!(tl > 1e-12)) {
      // From the bitangent: T = B × N (exact for w = +1).
      tx = by * nz - bz * ny; ty = bz * nx - bx * nz; tz = bx * ny - by * nx;
      d = nx * tx + ny * ty + nz * tz;
      tx -= nx * d; ty -= ny * d; tz -= nz * d;
      tl = Math.sqrt(tx * tx + ty * ty + tz * tz);
      if (!(tl > 1e-12)) {
        // Any perpendicular: cross N with the axis it is least aligned with.
        if (Math.abs(nx) < 0.9) { tx = 0; ty = nz; tz = -ny; } else { tx = -nz; ty = 0; tz = nx; }
        tl = Math.sqrt(tx * tx + ty * ty + tz * tz);
      }
    }
    tx /= tl; ty /= tl; tz /= tl;
    // Handedness: does cross(N, T) agree with the accumulated −∂P/∂v?
    const hx = ny * tz - nz * ty, hy = nz * tx - nx * tz, hz = nx * ty - ny * tx;
    const o = 4 * v;
    res[o] = tx; res[o + 1] = ty; res[o + 2] = tz;
    res[o + 3] = hx * bx + hy * by + hz * bz < 0 ? -1 : 1;
  }
  return res;
}

/** Add unit projections of t and b onto the plane ⟂ N[i..i+2], weighted by w. */
function addProjected(
  tacc: Float64Array, bacc: Float64Array, N: Float32Array | Float64Array, i: number, w: number,
  tx: number, ty: number, tz: number, bx: number, by: number, bz: number,
): void {
  const nx = N[i]!, ny = N[i + 1]!, nz = N[i + 2]!;
  let d = nx * tx + ny * ty + nz * tz;
  let px = tx - nx * d, py = ty - ny * d, pz = tz - nz * d;
  let l = Math.sqrt(px * px + py * py + pz * pz);
  if (l > 0) { l = w / l; tacc[i]! += px * l; tacc[i + 1]! += py * l; tacc[i + 2]! += pz * l; }
  d = nx * bx + ny * by + nz * bz;
  px = bx - nx * d; py = by - ny * d; pz = bz - nz * d;
  l = Math.sqrt(px * px + py * py + pz * pz);
  if (l > 0) { l = w / l; bacc[i]! += px * l; bacc[i + 1]! += py * l; bacc[i + 2]! += pz * l; }
}

/**
 * The tangent frame at a point inside triangle (i0, i1, i2) with barycentric weights
 * (b0, b1, b2), reconstructed exactly as MikkTSpace prescribes per pixel and as a glTF renderer
 * does: the vertex normals and tangent xyz are interpolated linearly and NOT normalised,
 * w = sign of the interpolated handedness (constant across a triangle in practice), and
 * B = cross(N, T) · w. Writes `[Tx, Ty, Tz, Bx, By, Bz, Nx, Ny, Nz]` to `out` (9 numbers).
 *
 * A tangent-space normal (x, y, z) then means the object-space direction
 * normalize(x·T + y·B + z·N) ({@link tangentToObject}); the baker must encode with the exact
 * inverse, {@link objectToTangent}, on the same frame so that decode(encode(n)) = n.
 *
 * @example
 * const f = new Float64Array(9);
 * tangentFrameAt(mesh.normals!, mesh.tangents!, a, b, c, w0, w1, w2, f);
 * objectToTangent(f, nx, ny, nz, tn); // tn → RGB = tn·0.5 + 0.5
 */
export function tangentFrameAt(
  normals: Float32Array | Float64Array,
  tangents: Float32Array | Float64Array,
  i0: number, i1: number, i2: number,
  b0: number, b1: number, b2: number,
  out: Float32Array | Float64Array,
): void {
  const n0 = 3 * i0, n1 = 3 * i1, n2 = 3 * i2;
  const t0 = 4 * i0, t1 = 4 * i1, t2 = 4 * i2;
  const nx = b0 * normals[n0]! + b1 * normals[n1]! + b2 * normals[n2]!;
  const ny = b0 * normals[n0 + 1]! + b1 * normals[n1 + 1]! + b2 * normals[n2 + 1]!;
  const nz = b0 * normals[n0 + 2]! + b1 * normals[n1 + 2]! + b2 * normals[n2 + 2]!;
  const tx = b0 * tangents[t0]! + b1 * tangents[t1]! + b2 * tangents[t2]!;
  const ty = b0 * tangents[t0 + 1]! + b1 * tangents[t1 + 1]! + b2 * tangents[t2 + 1]!;
  const tz = b0 * tangents[t0 + 2]! + b1 * tangents[t1 + 2]! + b2 * tangents[t2 + 2]!;
  const w = b0 * tangents[t0 + 3]! + b1 * tangents[t1 + 3]! + b2 * tangents[t2 + 3]! < 0 ? -1 : 1;
  out[0] = tx; out[1] = ty; out[2] = tz;
  out[3] = w * (ny * tz - nz * ty); out[4] = w * (nz * tx - nx * tz); out[5] = w * (nx * ty - ny * tx);
  out[6] = nx; out[7] = ny; out[8] = nz;
}

/**
 * Decode a tangent-space normal (x, y, z) with `frame` from {@link tangentFrameAt}:
 * `out` = normalize(x·T + y·B + z·N) (unit, object space). Writes (0, 0, 0) if that is zero.
 *
 * @example tangentToObject(frame, 0, 0, 1, n); // the interpolated surface normal, normalised
 */
export function tangentToObject(
  frame: Float32Array | Float64Array, x: number, y: number, z: number, out: Float32Array | Float64Array,
): void {
  const ox = x * frame[0]! + y * frame[3]! + z * frame[6]!;
  const oy = x * frame[1]! + y * frame[4]! + z * frame[7]!;
  const oz = x * frame[2]! + y * frame[5]! + z * frame[8]!;
  const l = Math.sqrt(ox * ox + oy * oy + oz * oz);
  const s = l > 0 ? 1 / l : 0;
  out[0] = ox * s; out[1] = oy * s; out[2] = oz * s;
}

/**
 * Encode an object-space direction (nx, ny, nz) in tangent space for `frame` from
 * {@link tangentFrameAt}: `out` = normalize(M⁻¹ n) with M = [T B N] as columns, the exact
 * inverse of {@link tangentToObject} (so decoding `out` gives back normalize(n)). For a
 * degenerate frame writes (0, 0, 1).
 *
 * @example objectToTangent(frame, n[0], n[1], n[2], tn); // tn[2] > 0 for n near the surface normal
 */
export function objectToTangent(
  frame: Float32Array | Float64Array, nx: number, ny: number, nz: number, out: Float32Array | Float64Array,
): void {
  const Tx = frame[0]!, Ty = frame[1]!, Tz = frame[2]!;
  const Bx = frame[3]!, By = frame[4]!, Bz = frame[5]!;
  const Nx = frame[6]!, Ny = frame[7]!, Nz = frame[8]!;
  // Rows of the inverse (up to 1/det): B×N, N×T, T×B.
  const r0x = By * Nz - Bz * Ny, r0y = Bz * Nx - Bx * Nz, r0z = Bx * Ny - By * Nx;
  const r1x = Ny * Tz - Nz * Ty, r1y = Nz * Tx - Nx * Tz, r1z = Nx * Ty - Ny * Tx;
  const r2x = Ty * Bz - Tz * By, r2y = Tz * Bx - Tx * Bz, r2z = Tx * By - Ty * Bx;
  const det = Tx * r0x + Ty * r0y + Tz * r0z;
  const x = (r0x * nx + r0y * ny + r0z * nz) * Math.sign(det);
  const y = (r1x * nx + r1y * ny + r1z * nz) * Math.sign(det);
  const z = (r2x * nx + r2y * ny + r2z * nz) * Math.sign(det);
  const l = Math.sqrt(x * x + y * y + z * z);
  if (!(Math.abs(det) > 1e-30) || !(l > 0)) { out[0] = 0; out[1] = 0; out[2] = 1; return; }
  out[0] = x / l; out[1] = y / l; out[2] = z / l;
}

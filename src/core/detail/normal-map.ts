import { FaceDetailError } from '../errors.js';
import type { Image } from '../types.js';
import type { UVGeometry } from '../unwrap/uv-geometry.js';

/**
 * Unit normals of the displaced surface P + d·n0 per texel, camera frame.
 *
 * `n = normalize(n0 − g)` with `g = [a b] G⁻¹ [Δu d, Δv d]ᵀ` the surface gradient of d
 * (a = dPdu, b = dPdv, G = [[a·a, a·b], [a·b, b·b]]), from FORWARD texel differences
 * `Δu d = d[i+1, j] − d[i, j]`, `Δv d = d[i, j+1] − d[i, j]` — exactly the discretisation the
 * detail solver fits to the photo, so these normals reproduce its fitted shading. Where the forward
 * neighbour is not covered the backward difference is used (0 if neither is covered). Being
 * forward differences, the normal of texel (i, j) is the slope between texel centres, i.e. half a
 * texel toward +u / +v. Normals are written only where `geom.coverage` is 1 (0 elsewhere).
 *
 * @param d displacement along n0 per texel, mm (W·H)
 * @param out optional destination (W·H·3)
 * @returns `out`
 * @example
 * const n = detailNormals(result.displacement, geom); // n[3k..3k+2], unit, camera frame
 */
export function detailNormals(d: Float32Array, geom: UVGeometry, out?: Float32Array): Float32Array {
  const { width: W, height: H, coverage: cov, normal: N0, dPdu, dPdv } = geom;
  const o = out ?? new Float32Array(W * H * 3);
  for (let j = 0; j < H; j++) {
    for (let i = 0; i < W; i++) {
      const k = j * W + i;
      if (cov[k] === 0) { o[3 * k] = 0; o[3 * k + 1] = 0; o[3 * k + 2] = 0; continue; }
      let gu = 0, gv = 0;
      if (i + 1 < W && cov[k + 1] === 1) gu = d[k + 1]! - d[k]!;
      else if (i > 0 && cov[k - 1] === 1) gu = d[k]! - d[k - 1]!;
      if (j + 1 < H && cov[k + W] === 1) gv = d[k + W]! - d[k]!;
      else if (j > 0 && cov[k - W] === 1) gv = d[k]! - d[k - W]!;
      surfaceNormal(N0, dPdu, dPdv, k, gu, gv, o);
    }
  }
  return o;
}

/**
 * normalize(n0 − gu·A − gv·B) at texel k with (A, B) the dual basis of (dPdu, dPdv), written to
 * out[3k..3k+2]. Falls back to n0 where the metric is degenerate.
 */
function surfaceNormal(N0: Float32Array, Pu: Float32Array, Pv: Float32Array, k: number, gu: number, gv: number, o: Float32Array): void {
  const k3 = 3 * k;
  const ax = Pu[k3]!, ay = Pu[k3 + 1]!, az = Pu[k3 + 2]!;
  const bx = Pv[k3]!, by = Pv[k3 + 1]!, bz = Pv[k3 + 2]!;
  const aa = ax * ax + ay * ay + az * az, ab = ax * bx + ay * by + az * bz, bb = bx * bx + by * by + bz * bz;
  const det = aa * bb - ab * ab;
  let mx = N0[k3]!, my = N0[k3 + 1]!, mz = N0[k3 + 2]!;
  if (det > 1e-20 * aa * bb && (gu !== 0 || gv !== 0)) {
    // g = gu·A + gv·B, A = (bb·a − ab·b)/det, B = (aa·b − ab·a)/det.
    const cu = (gu * bb - gv * ab) / det, cv = (gv * aa - gu * ab) / det;
    mx -= cu * ax + cv * bx; my -= cu * ay + cv * by; mz -= cu * az + cv * bz;
  }
  const len = Math.sqrt(mx * mx + my * my + mz * mz);
  const inv = len > 0 ? 1 / len : 0;
  o[k3] = mx * inv; o[k3 + 1] = my * inv; o[k3 + 2] = mz * inv;
}

/** The interpolated tangent frame per texel that a tangent-space normal map is relative to. */
export interface TangentFrame {
  /** Per texel xyzw (w = ±1 handedness), interpolated from the mesh's vertex tangents, not normalised. */
  tangent: Float32Array;
  /** Per texel xyz, interpolated vertex normal (normalised here). */
  normal: Float32Array;
}

/**
 * Encode camera-frame unit normals as a tangent-space normal map (3 channels, values in [0, 1],
 * linear — normal maps are not sRGB-encoded).
 *
 * Convention (glTF 2.0 / OpenGL "Y+", MikkTSpace-style tangents): per texel
 * `N = normalize(frame.normal)`, `T = normalize(t − (t·N)N)` with t = frame.tangent.xyz,
 * `B = cross(N, T) · w`; the stored value is `0.5 + 0.5·(n·T, n·B, n·N)`. +X is the direction of
 * increasing u; +Y is UP in the texture image, i.e. the direction of DECREASING stored v (the
 * tangent module chooses w so that B points toward −v); +Z is the interpolated normal. A normal
 * equal to the frame normal encodes (0.5, 0.5, 1); texels outside `coverage` (or with a degenerate
 * frame) are written flat (0.5, 0.5, 1).
 *
 * @param normals camera-frame unit normals per texel (W·H·3), e.g. from {@link detailNormals}
 * @param coverage 1 where the texel is on the surface (W·H)
 * @param out optional destination image (W×H×3, W·H = coverage.length); required when the map is
 *   not square (without it the map is taken to be √n × √n)
 * @example
 * const map = encodeTangentNormalMap(detail.normals, { tangent: rasterizedTangents, normal: geom.normal }, geom.coverage);
 */
export function encodeTangentNormalMap(normals: Float32Array, frame: TangentFrame, coverage: Uint8Array, out?: Image): Image {
  const n = coverage.length;
  let img: Image;
  if (out) {
    if (out.width * out.height !== n || out.channels !== 3 || out.data.length !== 3 * n) {
      throw new FaceDetailError('INVALID_OPTION', `encodeTangentNormalMap: out must be a 3-channel image with ${n} texels, got ${out.width}×${out.height}×${out.channels}`);
    }
    img = out;
  } else {
    const W = Math.round(Math.sqrt(n));
    if (W * W !== n) throw new FaceDetailError('INVALID_OPTION', `encodeTangentNormalMap: pass \`out\` for a non-square map (coverage has ${n} texels)`);
    img = { width: W, height: W, channels: 3, data: new Float32Array(n * 3) };
  }
  if (normals.length < 3 * n || frame.normal.length < 3 * n || frame.tangent.length < 4 * n) {
    throw new FaceDetailError('INVALID_OPTION', `encodeTangentNormalMap: expected normals/frame.normal of length ${3 * n} and frame.tangent of length ${4 * n}, got ${normals.length}, ${frame.normal.length}, ${frame.tangent.length}`);
  }
  const o = img.data, tg = frame.tangent, nm = frame.normal;
  for (let k = 0; k < n; k++) {
    const k3 = 3 * k;
    o[k3] = 0.5; o[k3 + 1] = 0.5; o[k3 + 2] = 1;
    if (coverage[k] === 0) continue;
    let Nx = nm[k3]!, Ny = nm[k3 + 1]!, Nz = nm[k3 + 2]!;
    const nl = Math.sqrt(Nx * Nx + Ny * Ny + Nz * Nz);
    if (!(nl > 1e-12)) continue;
    Nx /= nl; Ny /= nl; Nz /= nl;
    let Tx = tg[4 * k]!, Ty = tg[4 * k + 1]!, Tz = tg[4 * k + 2]!;
    const w = tg[4 * k + 3]! < 0 ? -1 : 1;
    const tn = Tx * Nx + Ty * Ny + Tz * Nz;
    Tx -= tn * Nx; Ty -= tn * Ny; Tz -= tn * Nz;
    const tl = Math.sqrt(Tx * Tx + Ty * Ty + Tz * Tz);
    if (!(tl > 1e-12)) continue;
    Tx /= tl; Ty /= tl; Tz /= tl;
    const Bx = (Ny * Tz - Nz * Ty) * w, By = (Nz * Tx - Nx * Tz) * w, Bz = (Nx * Ty - Ny * Tx) * w;
    const px = normals[k3]!, py = normals[k3 + 1]!, pz = normals[k3 + 2]!;
    let x = px * Tx + py * Ty + pz * Tz, y = px * Bx + py * By + pz * Bz, z = px * Nx + py * Ny + pz * Nz;
    const l = Math.sqrt(x * x + y * y + z * z);
    if (!(l > 1e-12)) continue;
    x /= l; y /= l; z /= l;
    o[k3] = 0.5 + 0.5 * x; o[k3 + 1] = 0.5 + 0.5 * y; o[k3 + 2] = 0.5 + 0.5 * z;
  }
  return img;
}

/**
 * Unwrapping: resample the photo into the UV layout of the proxy mesh, with a per-texel
 * confidence that says how well the photo saw that bit of surface, then complete the unseen part
 * (mirror + membrane fill, see fill.ts).
 */
import { FaceDetailError } from '../errors.js';
import { renderDepth, type DepthBuffer } from '../raster/depth.js';
import type { Camera, Image, Mesh } from '../types.js';
import { FILL_SOURCE, fillTexture, type FillOptions } from './fill.js';
import type { UVGeometry } from './uv-geometry.js';

/** Options of {@link unwrapTexture}. */
export interface UnwrapOptions {
  /**
   * Grazing ramp: with cosθ = n · (−view direction) (1 = facing the camera), a texel's grazing
   * weight is 0 for cosθ ≤ grazingLow, 1 for cosθ ≥ grazingHigh, smoothstep in between.
   * Foreshortened surface is blurred and mixes in the background near silhouettes.
   * @example { grazingLow: 0.15, grazingHigh: 0.4 }
   */
  grazingLow: number;
  /** Upper end of the grazing ramp (cosθ), see {@link UnwrapOptions.grazingLow}. */
  grazingHigh: number;
  /**
   * Constant part of the depth-test tolerance as a fraction of the face size (the diagonal of
   * the mesh's bounding box): a texel at depth z is occluded when a depth-buffer pixel of its
   * sample's footprint is nearer than z − tolerance. 0.02 ≈ 5 mm for a face; an occluded cheek
   * lies tens of mm behind the nose that hides it.
   */
  depthToleranceRel: number;
  /** Constant part of the tolerance in mm; overrides `depthToleranceRel` when set. @example { depthToleranceMm: 3 } */
  depthToleranceMm: number | undefined;
  /**
   * Slope-aware part of the tolerance, in photo pixels: the surface's own depth changes by |∇z|
   * mm per photo pixel (from its triangle's plane; large at grazing angles), and the test
   * compares with the depth at each of the 2×2 photo pixels of the bilinear footprint (up to √2
   * px away), so `slopePixels · |∇z|` is added (plus 0.71/scale px when the depth buffer is
   * reduced, for the offset of a photo pixel within its buffer pixel).
   */
  slopePixels: number;
  /** Longest side of the depth buffer in px; bigger photos are z-buffered at reduced scale. */
  depthMaxSize: number;
  /** A precomputed depth buffer of this mesh and camera (skips rendering one). */
  depth: DepthBuffer | undefined;
  /**
   * Per texel (u, v) of the symmetric surface point (v down), NaN where unknown, e.g.
   * `rasterizeAttribute(geom, mesh, vertexMirrorUV, 2, undefined, NaN)`. Enables the mirror fill.
   */
  mirrorUV: Float32Array | undefined;
  /** Options of the completion ({@link fillTexture}), or `false` to return the raw unwrap. */
  fill: Partial<FillOptions> | false;
}

/** Defaults of {@link UnwrapOptions}. */
export const UNWRAP_DEFAULTS: Readonly<UnwrapOptions> = Object.freeze({
  grazingLow: 0.1,
  grazingHigh: 0.35,
  depthToleranceRel: 0.02,
  depthToleranceMm: undefined,
  slopePixels: 1.5,
  depthMaxSize: 2048,
  depth: undefined,
  mirrorUV: undefined,
  fill: {},
});

/** Output of {@link unwrapTexture}. */
export interface UnwrapResult {
  /**
   * The texture, RGB (sRGB like the photo), same size as the UV geometry. Completed unless
   * `fill: false`; then the photo sample where the texel was seen (confidence > 0), else 0.
   */
  texture: Image;
  /**
   * 1 channel in [0, 1]. Raw (`fill: false`): visibility × grazing weight × silhouette cover
   * (0 outside the photo, occluded, back-facing, off the chart). Filled: as documented in
   * fill.ts — direct texels keep their weight c, mirror-filled ones get c + 0.5·w_m, inpainted
   * and padding texels 0.
   */
  confidence: Image;
  /** 1 where the photo saw the texel directly (raw confidence > 0; below `knownThreshold` the filled texture still inpaints it). */
  observed: Uint8Array;
  /** How each texel was obtained: {@link FILL_SOURCE} codes. */
  source: Uint8Array;
}

/** Hermite smoothstep of t clamped to [0, 1]. */
function smoothstep01(t: number): number {
  if (t <= 0) return 0;
  if (t >= 1) return 1;
  return t * t * (3 - 2 * t);
}

/**
 * Unwrap `photo` onto the UV layout of `mesh` (camera-frame positions, mm): for every covered
 * texel of `geom`, project its surface point with `camera`, sample the photo bilinearly, and
 * weight it: confidence = visibility (0/1: depth test against the mesh's own z-buffer, see
 * {@link UnwrapOptions.depthToleranceRel} and {@link UnwrapOptions.slopePixels}) × the grazing
 * ramp × silhouette cover × inside-the-photo (0/1). The depth test looks up, for each of the
 * 2×2 photo pixels of the sample's bilinear footprint, the depth buffer at that pixel's centre:
 * any nearer than z − tolerance makes the texel occluded; those within ±tolerance of z show
 * this surface, and the colour is the bilinear mean over them only, so background behind a
 * silhouette (the mesh's outer boundary, or the cheek beside the nose's edge) does not bleed
 * in; the silhouette cover is their share of the bilinear weight (< 1 only within a pixel of a
 * silhouette). Then complete it with {@link fillTexture} (mirror fill when `mirrorUV` is given,
 * membrane inpainting, padding) unless `fill: false`.
 *
 * @param photo sRGB image with ≥ 3 channels in [0, 1] (extra channels ignored).
 * @param geom `rasterizeUV(mesh, W, H)`.
 * @example
 * const geom = rasterizeUV(mesh, 1024, 1024);
 * const mirrorUV = rasterizeAttribute(geom, mesh, vertexMirrorUV, 2, undefined, NaN);
 * const { texture, confidence } = unwrapTexture(photo, camera, mesh, geom, { mirrorUV });
 */
export function unwrapTexture(
  photo: Image,
  camera: Camera,
  mesh: Mesh,
  geom: UVGeometry,
  options: Partial<UnwrapOptions> = {},
): UnwrapResult {
  const o = resolveUnwrapOptions(options);
  if (photo.channels < 3 || photo.data.length !== photo.width * photo.height * photo.channels) {
    throw new FaceDetailError('INVALID_OPTION', `unwrapTexture: photo must be an RGB(A) image with width*height*channels values, got ${photo.width}×${photo.height}×${photo.channels} with ${photo.data.length}`);
  }
  const { width: W, height: H } = geom;
  const n = W * H;
  if (o.mirrorUV && o.mirrorUV.length !== 2 * n) {
    throw new FaceDetailError('INVALID_OPTION', `unwrapTexture: mirrorUV must hold 2 numbers per texel (${2 * n}), got ${o.mirrorUV.length}`);
  }

  // Depth buffer, at reduced scale for big photos.
  let zb = o.depth;
  if (!zb) {
    const big = Math.max(camera.width, camera.height);
    const s = big > o.depthMaxSize ? o.depthMaxSize / big : 1;
    zb = renderDepth(mesh, camera, Math.max(1, Math.round(camera.width * s)), Math.max(1, Math.round(camera.height * s)));
  }
  const zbW = zb.width, zbH = zb.height, Z = zb.depth;
  const sx = zbW / camera.width, sy = zbH / camera.height;
  // Reach of the depth comparison, photo px: the footprint pixels are ≤ √2 px from the point,
  // and a reduced buffer adds up to half a buffer pixel's diagonal (0.71/scale photo px).
  const slopeReach = o.slopePixels + (sx < 1 || sy < 1 ? 0.71 / Math.min(sx, sy) : 0);
  const pd = photo.data, PC = photo.channels;

  const tolAbs = o.depthToleranceMm ?? o.depthToleranceRel * boundingDiagonal(mesh.positions);
  const lo = o.grazingLow, span = Math.max(1e-6, o.grazingHigh - o.grazingLow);
  const { fx, fy, cx, cy } = camera;
  const PW = photo.width, PH = photo.height;

  const texture: Image = { width: W, height: H, channels: 3, data: new Float32Array(3 * n) };
  const conf = new Float32Array(n);
  const observed = new Uint8Array(n);
  const { coverage, position: pos, normal: nrm, dPdu, dPdv } = geom;
  const tex = texture.data;

  for (let k = 0; k < n; k++) {
    if (!coverage[k]) continue;
    const o3 = 3 * k;
    const X = pos[o3]!, Y = pos[o3 + 1]!, Zp = pos[o3 + 2]!;
    if (!(Zp > 0)) continue;
    const x = (fx * X) / Zp + cx, y = (fy * Y) / Zp + cy;
    if (!(x >= 0 && x <= PW && y >= 0 && y <= PH)) continue;

    // Grazing weight from the interpolated normal.
    const dist = Math.sqrt(X * X + Y * Y + Zp * Zp);
    const cosT = -(nrm[o3]! * X + nrm[o3 + 1]! * Y + nrm[o3 + 2]! * Zp) / dist;
    const g = smoothstep01((cosT - lo) / span);
    if (g <= 0) continue;

    // Depth tolerance: constant + slope part. The triangle's own depth seen through photo pixel
    // q is z(q) = (m·P)/(m·r(q)) for its plane normal m, so |∇z| = Z² · |(m_x/fx, m_y/fy)| / |m·P|
    // mm per photo pixel (|m·P| floored at 0.1·|P| to keep it bounded at grazing angles).
    const ax = dPdu[o3]!, ay = dPdu[o3 + 1]!, az = dPdu[o3 + 2]!;
    const bxv = dPdv[o3]!, byv = dPdv[o3 + 1]!, bzv = dPdv[o3 + 2]!;
    let mx = ay * bzv - az * byv, my = az * bxv - ax * bzv, mz = ax * byv - ay * bxv;
    const ml = Math.sqrt(mx * mx + my * my + mz * mz);
    let slope = 0;
    if (ml > 0) {
      mx /= ml; my /= ml; mz /= ml;
      const mP = Math.max(Math.abs(mx * X + my * Y + mz * Zp), 0.1 * dist);
      slope = ((Zp * Zp) / mP) * Math.sqrt((mx / fx) ** 2 + (my / fy) ** 2);
    }
    const tol = tolAbs + slopeReach * slope;

    // The 2×2 photo pixels of the bilinear footprint, each classified by the depth-buffer pixel
    // holding its centre: nearer than z − tol: an occluder → the texel is not visible; within
    // ±tol: this surface; farther or empty: what lies behind a silhouette. The colour is the
    // bilinear mean over this surface's pixels only, and "cover" their share of the weight.
    const fxp = x - 0.5, fyp = y - 0.5;
    const px0 = Math.floor(fxp), py0 = Math.floor(fyp);
    const wx1 = fxp - px0, wy1 = fyp - py0;
    let occluded = false, drawn = 0, r = 0, gch = 0, bch = 0;
    for (let dy = 0; dy < 2; dy++) {
      const wy = dy ? wy1 : 1 - wy1;
      if (wy === 0) continue;
      let py = py0 + dy;
      if (py < 0) py = 0; else if (py > PH - 1) py = PH - 1;
      let zy = Math.floor((py + 0.5) * sy);
      if (zy > zbH - 1) zy = zbH - 1;
      for (let dx = 0; dx < 2; dx++) {
        const w = (dx ? wx1 : 1 - wx1) * wy;
        if (w === 0) continue;
        let px = px0 + dx;
        if (px < 0) px = 0; else if (px > PW - 1) px = PW - 1;
        let zx = Math.floor((px + 0.5) * sx);
        if (zx > zbW - 1) zx = zbW - 1;
        const z = Z[zy * zbW + zx]!;
        if (z < Zp - tol) { occluded = true; break; }
        if (z > Zp + tol) continue;
        drawn += w;
        const q = (py * PW + px) * PC;
        r += w * pd[q]!; gch += w * pd[q + 1]!; bch += w * pd[q + 2]!;
      }
      if (occluded) break;
    }
    if (occluded || !(drawn > 0)) continue;
    const inv = 1 / drawn;
    tex[o3] = r * inv; tex[o3 + 1] = gch * inv; tex[o3 + 2] = bch * inv;
    conf[k] = g * drawn; // the bilinear weights sum to 1
    observed[k] = 1;
  }

  const confidence: Image = { width: W, height: H, channels: 1, data: conf };
  if (o.fill === false) {
    const source = new Uint8Array(n);
    for (let k = 0; k < n; k++) source[k] = observed[k] ? FILL_SOURCE.direct : coverage[k] ? FILL_SOURCE.inpainted : FILL_SOURCE.outside;
    return { texture, confidence, observed, source };
  }
  const filled = fillTexture(texture, conf, coverage, o.mirrorUV, o.fill);
  return { texture: filled.texture, confidence: filled.confidence, observed, source: filled.source };
}

/** Diagonal of the axis-aligned bounding box of xyz-interleaved points (0 when empty). */
function boundingDiagonal(p: Float32Array): number {
  let x0 = Infinity, y0 = Infinity, z0 = Infinity, x1 = -Infinity, y1 = -Infinity, z1 = -Infinity;
  for (let i = 0; i + 2 < p.length; i += 3) {
    const x = p[i]!, y = p[i + 1]!, z = p[i + 2]!;
    if (x < x0) x0 = x; if (x > x1) x1 = x;
    if (y < y0) y0 = y; if (y > y1) y1 = y;
    if (z < z0) z0 = z; if (z > z1) z1 = z;
  }
  return x1 >= x0 ? Math.hypot(x1 - x0, y1 - y0, z1 - z0) : 0;
}

/** Merge and validate {@link UnwrapOptions} (public boundary). */
function resolveUnwrapOptions(options: Partial<UnwrapOptions>): UnwrapOptions {
  const o: UnwrapOptions = { ...UNWRAP_DEFAULTS };
  for (const [k, v] of Object.entries(options)) if (v !== undefined) (o as unknown as Record<string, unknown>)[k] = v;
  const num = (name: string, v: unknown, lo: number, hi: number): void => {
    if (typeof v !== 'number' || !(v >= lo && v <= hi)) {
      throw new FaceDetailError('INVALID_OPTION', `unwrap option ${name} must be a number from ${lo} to ${hi}, got ${String(v)}`);
    }
  };
  num('grazingLow', o.grazingLow, -1, 1);
  num('grazingHigh', o.grazingHigh, o.grazingLow, 1);
  num('depthToleranceRel', o.depthToleranceRel, 0, 1);
  if (o.depthToleranceMm !== undefined) num('depthToleranceMm', o.depthToleranceMm, 0, 1e6);
  num('slopePixels', o.slopePixels, 0, 100);
  num('depthMaxSize', o.depthMaxSize, 16, 1 << 15);
  return o;
}

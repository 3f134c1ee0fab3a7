/**
 * Image-space depth buffer of a mesh seen by the pinhole camera, used for visibility tests
 * (unwrapping) and previews.
 */
import { FaceDetailError } from '../errors.js';
import type { Camera, Mesh } from '../types.js';
import { rasterizeTriangles } from './rasterize.js';

/** A z-buffer: camera-frame depth z (mm) per buffer pixel, `+Infinity` where nothing was drawn. */
export interface DepthBuffer {
  width: number;
  height: number;
  /**
   * Buffer pixels per photo pixel along x (`width / camera.width`): photo coordinate x maps to
   * buffer coordinate `x·scale` (pixel centres at +0.5 in both). Along y the factor is
   * `height / camera.height`, which equals `scale` whenever the aspect ratio is kept.
   */
  scale: number;
  /** Row-major `width*height` depths, mm (camera z, not distance), `+Infinity` where empty. */
  depth: Float32Array;
}

/** Triangles with any vertex closer than this to the camera plane (z, mm) are not drawn. */
const DEPTH_NEAR_MM = 1;

/**
 * Render the z-buffer of `mesh` (positions in the camera frame, mm) through `camera`, keeping the
 * nearest surface per pixel centre. Depth is interpolated perspective-correctly: 1/z is affine
 * in screen space, so `z = 1 / (b0/z0 + b1/z1 + b2/z2)` with the screen barycentrics — exact for
 * planar triangles. Both windings are drawn (no back-face culling). Triangles reaching behind
 * {@link DEPTH_NEAR_MM} are skipped (not clipped): a face is hundreds of mm from the camera.
 *
 * @param width buffer width in px; default `camera.width` (full resolution). Pass less for big
 *   photos: a 1536-px-wide buffer of a 6000-px photo has `scale` 0.256.
 * @param height buffer height in px; default keeps the photo's aspect ratio.
 * @example
 * const zb = renderDepth(mesh, camera, 1024);          // ≤ 1024 px wide
 * const z = zb.depth[Math.floor(y * zb.scale) * zb.width + Math.floor(x * zb.scale)];
 */
export function renderDepth(mesh: Mesh, camera: Camera, width?: number, height?: number): DepthBuffer {
  const W = width ?? camera.width;
  const H = height ?? Math.max(1, Math.round((camera.height * W) / camera.width));
  if (!Number.isInteger(W) || W < 1 || !Number.isInteger(H) || H < 1) {
    throw new FaceDetailError('INVALID_OPTION', `renderDepth: width and height must be positive integers, got ${W}×${H}`);
  }
  if (!(camera.width > 0 && camera.height > 0 && camera.fx > 0 && camera.fy > 0)) {
    throw new FaceDetailError('INVALID_OPTION', `renderDepth: camera needs positive width, height, fx, fy, got ${camera.width}×${camera.height}, fx ${camera.fx}, fy ${camera.fy}`);
  }
  const sx = W / camera.width, sy = H / camera.height;
  const P = mesh.positions;
  const nv = Math.floor(P.length / 3);
  const xy = new Float64Array(2 * nv);
  const invZ = new Float64Array(nv);
  const fx = camera.fx * sx, cx = camera.cx * sx, fy = camera.fy * sy, cy = camera.cy * sy;
  for (let v = 0; v < nv; v++) {
    const z = P[3 * v + 2]!;
    if (z >= DEPTH_NEAR_MM) {
      const iz = 1 / z;
      invZ[v] = iz;
      xy[2 * v] = fx * P[3 * v]! * iz + cx;
      xy[2 * v + 1] = fy * P[3 * v + 1]! * iz + cy;
    } else {
      invZ[v] = NaN; // rasterizeOne skips triangles with a non-finite vertex
      xy[2 * v] = NaN;
      xy[2 * v + 1] = NaN;
    }
  }
  const depth = new Float32Array(W * H).fill(Infinity);
  const I = mesh.indices;
  rasterizeTriangles(W, H, xy, I, (x, y, t, b0, b1, b2) => {
    const iz = b0 * invZ[I[3 * t]!]! + b1 * invZ[I[3 * t + 1]!]! + b2 * invZ[I[3 * t + 2]!]!;
    const z = 1 / iz;
    const k = y * W + x;
    if (z < depth[k]!) depth[k] = z;
  });
  return { width: W, height: H, scale: sx, depth };
}

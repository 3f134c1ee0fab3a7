/**
 * Supersampled rendering for evaluation: colour, per-pixel camera-frame normal, depth, surface
 * coverage and an optional per-pixel region mask, all at the output resolution. Wraps
 * {@link renderMesh} (the project's deterministic CPU renderer) at `supersample`× the resolution
 * and box-filters down, so normal-map detail finer than a pixel is averaged the way a camera
 * averages it (no aliasing in the ground truth), and silhouettes get fractional coverage.
 */
import { renderMesh, type RenderOptions } from '../render/render-mesh.js';
import type { Camera, Image, Mesh, Pose } from '../types.js';
import { mat3MulVec3, mat3TransformPoint } from '../math/index.js';

/** Options of {@link renderForEval}: those of renderMesh plus sampling and a region mask. */
export interface RenderEvalOptions extends RenderOptions {
  /** Samples per pixel along each axis (1–4). Default 2. @example { supersample: 2 } */
  supersample?: number;
  /**
   * Region test per rendered sample (e.g. "is this point of the scan in the face region?"):
   * called with the triangle index and its perspective-correct barycentric weights (of the
   * triangle's three vertices, in index order); returns 1 inside, 0 outside (or a fraction).
   */
  region?: (triangle: number, b0: number, b1: number, b2: number) => number;
}

/** Defaults of {@link RenderEvalOptions} (the ones not in renderMesh). */
export const RENDER_EVAL_DEFAULTS = Object.freeze({ supersample: 2 } as const);

/** What {@link renderForEval} returns; every per-pixel array is at the camera's resolution. */
export interface EvalRender {
  width: number;
  height: number;
  /** Box-filtered colour (sRGB unless `output: 'linear'`). */
  image: Image;
  /** Mean camera-frame normal of the covered samples, renormalised (0 where uncovered). */
  normal: Float32Array;
  /** Mean camera z of the covered samples, mm (+Infinity where uncovered). */
  depth: Float32Array;
  /** Fraction of the pixel's samples that hit the mesh, [0, 1]. */
  coverage: Float32Array;
  /** Mean of `region` over the pixel's samples (uncovered samples count 0); all 0 without `region`. */
  region: Float32Array;
}

/**
 * Render `mesh` (camera frame, mm) with `camera` at `supersample`² samples per pixel.
 *
 * @example
 * const r = renderForEval(meshInCam, camera, { lighting: { type: 'sh', coefficients }, normalMap, supersample: 2 });
 * r.normal; // ground-truth normals, camera frame
 */
export function renderForEval(mesh: Mesh, camera: Camera, options: RenderEvalOptions): EvalRender {
  const s = options.supersample ?? RENDER_EVAL_DEFAULTS.supersample;
  if (!(Number.isInteger(s) && s >= 1 && s <= 4)) throw new RangeError(`renderForEval: supersample must be an integer from 1 to 4, got ${s}`);
  const W = camera.width, H = camera.height;
  // Pixel (x, y) of the big image has centre (x + 0.5)/s in output pixels: scale f and c by s.
  const big: Camera = { ...camera, width: W * s, height: H * s, fx: camera.fx * s, fy: camera.fy * s, cx: camera.cx * s, cy: camera.cy * s };
  const r = renderMesh(mesh, big, options);
  const BW = W * s;
  const image: Image = { width: W, height: H, channels: 3, data: new Float32Array(W * H * 3) };
  const normal = new Float32Array(W * H * 3);
  const depth = new Float32Array(W * H).fill(Infinity);
  const coverage = new Float32Array(W * H);
  const region = new Float32Array(W * H);
  const inv = 1 / (s * s);
  for (let y = 0; y < H; y++) {
    for (let x = 0; x < W; x++) {
      let hits = 0, nx = 0, ny = 0, nz = 0, z = 0, reg = 0, cr = 0, cg = 0, cb = 0;
      for (let j = 0; j < s; j++) {
        for (let i = 0; i < s; i++) {
          const q = (y * s + j) * BW + x * s + i;
          cr += r.image.data[3 * q]!; cg += r.image.data[3 * q + 1]!; cb += r.image.data[3 * q + 2]!;
          const t = r.triangle[q]!;
          if (t < 0) continue;
          hits++;
          nx += r.normal[3 * q]!; ny += r.normal[3 * q + 1]!; nz += r.normal[3 * q + 2]!;
          z += r.depth[q]!;
          if (options.region) {
            const b0 = r.barycentric[2 * q]!, b1 = r.barycentric[2 * q + 1]!;
            reg += options.region(t, b0, b1, 1 - b0 - b1);
          }
        }
      }
      const p = y * W + x;
      image.data[3 * p] = cr * inv; image.data[3 * p + 1] = cg * inv; image.data[3 * p + 2] = cb * inv;
      coverage[p] = hits * inv;
      region[p] = reg * inv;
      if (hits > 0) {
        const l = Math.hypot(nx, ny, nz) || 1;
        normal[3 * p] = nx / l; normal[3 * p + 1] = ny / l; normal[3 * p + 2] = nz / l;
        depth[p] = z / hits;
      }
    }
  }
  return { width: W, height: H, image, normal, depth, coverage, region };
}

/**
 * A head-frame mesh moved into the camera frame with `pose` (p_cam = R p_head + t): positions,
 * normals (R n) and tangents (R t, handedness w kept) — what a renderer needs to draw a
 * {@link FaceReconstruction}'s meshes from its estimated camera.
 *
 * @example
 * const inCam = meshHeadToCamera(face.detailedMesh, face.pose);
 */
export function meshHeadToCamera(mesh: Mesh, pose: Pose): Mesh {
  const R = pose.rotation, t = pose.translation;
  const rot = (src: Float32Array, stride: number, translate: boolean): Float32Array => {
    const out = new Float32Array(src.length), v = new Float64Array(3);
    for (let i = 0; i < src.length; i += stride) {
      v[0] = src[i]!; v[1] = src[i + 1]!; v[2] = src[i + 2]!;
      if (translate) mat3TransformPoint(v, R, t, v);
      else mat3MulVec3(v, R, v);
      out[i] = v[0]!; out[i + 1] = v[1]!; out[i + 2] = v[2]!;
      for (let k = 3; k < stride; k++) out[i + k] = src[i + k]!;
    }
    return out;
  };
  const res: Mesh = { positions: rot(mesh.positions, 3, true), indices: mesh.indices };
  if (mesh.uvs) res.uvs = mesh.uvs;
  if (mesh.normals) res.normals = rot(mesh.normals, 3, false);
  if (mesh.tangents) res.tangents = rot(mesh.tangents, 4, false);
  return res;
}

import { FaceDetailError } from '../errors.js';
import type { DenseProxy } from '../model/build-proxy.js';
import type { Camera, Image } from '../types.js';
import { rasterizeAttribute, rasterizeUV } from './rasterize-uv.js';
import { unwrapTexture, type UnwrapResult } from './unwrap-texture.js';
import type { UVGeometry } from './uv-geometry.js';

/** The photo unwrapped at one resolution, with the UV geometry it was unwrapped on. */
export interface FaceUnwrap extends UnwrapResult {
  geom: UVGeometry;
}

/** The dense proxy rasterized in UV space at one map size: its UV geometry and each texel's mirror (u, v). */
export interface FaceCharts {
  geom: UVGeometry;
  mirrorUV: Float32Array;
}

/**
 * The first half of the `unwrap` stage: rasterize the dense proxy in UV space (`res` × `res`)
 * and its per-vertex mirror UVs (what the visibility and the texture both need).
 *
 * @example
 * const charts = rasterizeFace(proxy, 1024);
 */
export function rasterizeFace(proxy: DenseProxy, res: number): FaceCharts {
  const geom = rasterizeUV(proxy.mesh, res, res);
  return { geom, mirrorUV: rasterizeAttribute(geom, proxy.mesh, proxy.mirrorUV, 2) };
}

/**
 * The `unwrap` stage at one map size: rasterize the dense proxy in UV space (`res` × `res`),
 * then resample the photo into it; unseen texels take their mirror texel, then the fill.
 *
 * `charts`: this proxy's {@link rasterizeFace} at `res` when already made.
 *
 * @example
 * const tex = unwrapFace(image, camera, proxy, 1024);
 */
export function unwrapFace(image: Image, camera: Camera, proxy: DenseProxy, res: number, charts: FaceCharts = rasterizeFace(proxy, res)): FaceUnwrap {
  const { geom, mirrorUV } = charts;
  if (geom.width !== res || geom.height !== res) throw new FaceDetailError('INTERNAL', `unwrapFace: charts of ${geom.width}×${geom.height} for a ${res}² map`);
  const unwrapped = unwrapTexture(image, camera, proxy.mesh, geom, { mirrorUV });
  return { geom, ...unwrapped };
}

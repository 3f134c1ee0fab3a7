import type { DenseProxy } from '../model/build-proxy.js';
import type { Camera, Image } from '../types.js';
import { rasterizeAttribute, rasterizeUV } from './rasterize-uv.js';
import { unwrapTexture, type UnwrapResult } from './unwrap-texture.js';
import type { UVGeometry } from './uv-geometry.js';

/** The photo unwrapped at one resolution, with the UV geometry it was unwrapped on. */
export interface FaceUnwrap extends UnwrapResult {
  geom: UVGeometry;
}

/**
 * The `unwrap` stage at one map size: rasterize the dense proxy in UV space (`res` × `res`),
 * then resample the photo into it; unseen texels take their mirror texel, then the fill.
 *
 * @example
 * const tex = unwrapFace(image, camera, proxy, 1024);
 */
export function unwrapFace(image: Image, camera: Camera, proxy: DenseProxy, res: number): FaceUnwrap {
  const geom = rasterizeUV(proxy.mesh, res, res);
  const mirrorUV = rasterizeAttribute(geom, proxy.mesh, proxy.mirrorUV, 2);
  const unwrapped = unwrapTexture(image, camera, proxy.mesh, geom, { mirrorUV });
  return { geom, ...unwrapped };
}

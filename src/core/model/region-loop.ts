/** Region loops of the face models, built from vertex sets in UV. Isomorphic. */
import { convexHull } from '../math/index.js';

/**
 * Convex hull (in UV) of a set of vertex indices, as a closed loop ({@link convexHull}): the
 * region loops of the face models (`FaceRegion.loop`).
 *
 * @example
 * hullLoop(uvs, [33, 133, 159, 145]) // the vertex indices on the hull, in order
 */
export function hullLoop(uvs: Float32Array, idx: readonly number[]): Uint32Array {
  return Uint32Array.from(convexHull(uvs, [...new Set(idx)]));
}

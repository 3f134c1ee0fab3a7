/** Region loops of the face models, built from vertex sets in UV. Isomorphic. */

/**
 * Convex hull (in UV) of a set of vertex indices, as a closed loop (Andrew's monotone chain): the
 * region loops of the face models (`FaceRegion.loop`).
 *
 * @example
 * hullLoop(uvs, [33, 133, 159, 145]) // the vertex indices on the hull, in order
 */
export function hullLoop(uvs: Float32Array, idx: readonly number[]): Uint32Array {
  const pts = [...new Set(idx)].sort((a, b) => uvs[2 * a]! - uvs[2 * b]! || uvs[2 * a + 1]! - uvs[2 * b + 1]!);
  const cross = (o: number, a: number, b: number): number =>
    (uvs[2 * a]! - uvs[2 * o]!) * (uvs[2 * b + 1]! - uvs[2 * o + 1]!) - (uvs[2 * a + 1]! - uvs[2 * o + 1]!) * (uvs[2 * b]! - uvs[2 * o]!);
  const lower: number[] = [];
  for (const p of pts) {
    while (lower.length >= 2 && cross(lower[lower.length - 2]!, lower[lower.length - 1]!, p) <= 0) lower.pop();
    lower.push(p);
  }
  const upper: number[] = [];
  for (let k = pts.length - 1; k >= 0; k--) {
    const p = pts[k]!;
    while (upper.length >= 2 && cross(upper[upper.length - 2]!, upper[upper.length - 1]!, p) <= 0) upper.pop();
    upper.push(p);
  }
  return Uint32Array.from([...lower.slice(0, -1), ...upper.slice(0, -1)]);
}

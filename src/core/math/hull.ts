/** Planar convex hull. */

/**
 * Convex hull of a set of 2D points by Andrew's monotone chain: the indices (into `xy`, xy
 * interleaved) of the hull vertices, counter-clockwise in a y-up frame (clockwise on screen,
 * y down), starting from the point with the smallest x (then smallest y). Points on a hull
 * edge are left out; ties in the sort keep the order of `indices` (a stable sort).
 *
 * @param xy point coordinates, 2 per point.
 * @param indices the points to take, each once; all of them when omitted.
 * @example
 * convexHull(Float64Array.of(0, 0, 1, 0, 1, 1, 0, 1, 0.5, 0.5)) // [0, 1, 2, 3]
 */
export function convexHull(xy: ArrayLike<number>, indices?: readonly number[]): number[] {
  const pts = indices ? [...indices] : Array.from({ length: xy.length >> 1 }, (_, i) => i);
  pts.sort((a, b) => xy[2 * a]! - xy[2 * b]! || xy[2 * a + 1]! - xy[2 * b + 1]!);
  // z of (a − o) × (b − o): > 0 when o → a → b turns counter-clockwise (y up).
  const cross = (o: number, a: number, b: number): number =>
    (xy[2 * a]! - xy[2 * o]!) * (xy[2 * b + 1]! - xy[2 * o + 1]!) - (xy[2 * a + 1]! - xy[2 * o + 1]!) * (xy[2 * b]! - xy[2 * o]!);
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
  return [...lower.slice(0, -1), ...upper.slice(0, -1)];
}

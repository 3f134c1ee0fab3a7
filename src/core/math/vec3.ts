/**
 * 3-vector helpers: a vector is any indexable triple (`Float64Array`, `Float32Array`, a
 * `number[]`, or 3 consecutive entries read through `subarray`). Results go to an `out`
 * argument; nothing is allocated.
 */

/** A writable 3-vector. */
export type Vec3Out = { [index: number]: number };

/**
 * out ← a × b. `out` may not be `a` or `b`.
 *
 * @example
 * vec3Cross(z, [1, 0, 0], [0, 1, 0]); // z = (0, 0, 1)
 */
export function vec3Cross<T extends Vec3Out>(out: T, a: ArrayLike<number>, b: ArrayLike<number>): T {
  const ax = a[0]!, ay = a[1]!, az = a[2]!, bx = b[0]!, by = b[1]!, bz = b[2]!;
  out[0] = ay * bz - az * by;
  out[1] = az * bx - ax * bz;
  out[2] = ax * by - ay * bx;
  return out;
}

/**
 * a · b.
 *
 * @example vec3Dot([1, 2, 3], [4, 5, 6]) // 32
 */
export function vec3Dot(a: ArrayLike<number>, b: ArrayLike<number>): number {
  return a[0]! * b[0]! + a[1]! * b[1]! + a[2]! * b[2]!;
}

/**
 * out ← v / |v| (v itself, unchanged, when |v| = 0). `out` may be `v`.
 *
 * @example vec3Normalize(n, [3, 0, 4]) // n = (0.6, 0, 0.8)
 */
export function vec3Normalize<T extends Vec3Out>(out: T, v: ArrayLike<number>): T {
  const x = v[0]!, y = v[1]!, z = v[2]!;
  const n = Math.hypot(x, y, z) || 1;
  out[0] = x / n; out[1] = y / n; out[2] = z / n;
  return out;
}

/**
 * 3×3 matrix helpers for rotations and small linear maps.
 *
 * Layout: **row-major**, 9 numbers: `m[3·r + c]` is row r, column c (so `m[0..2]` is the first
 * row). Every function writes its result to an `out` argument and allocates nothing, so it can
 * run in an inner loop; `out` may not alias an input unless the function says so. Each sum is
 * evaluated left to right over the column index (m[3r]·v[0] + m[3r+1]·v[1] + m[3r+2]·v[2]), the
 * order the fits were written in, so replacing an inlined product by a call gives the same bits.
 */
import type { Vec3Out } from './vec3.js';

/** A writable 3×3 matrix (row-major). */
export type Mat3Out = { [index: number]: number };

/**
 * out ← m·v. `out` may be `v`.
 *
 * @example
 * const q = new Float64Array(3);
 * mat3MulVec3(q, R, X); // X rotated into the camera frame
 */
export function mat3MulVec3<T extends Vec3Out>(out: T, m: ArrayLike<number>, v: ArrayLike<number>): T {
  const x = v[0]!, y = v[1]!, z = v[2]!;
  out[0] = m[0]! * x + m[1]! * y + m[2]! * z;
  out[1] = m[3]! * x + m[4]! * y + m[5]! * z;
  out[2] = m[6]! * x + m[7]! * y + m[8]! * z;
  return out;
}

/**
 * out ← m·v + t: a point moved by the rigid (or affine) map (m, t). `out` may be `v`.
 *
 * @example
 * const p = new Float64Array(3);
 * mat3TransformPoint(p, pose.rotation, pose.translation, X); // model → camera frame
 */
export function mat3TransformPoint<T extends Vec3Out>(out: T, m: ArrayLike<number>, t: ArrayLike<number>, v: ArrayLike<number>): T {
  const x = v[0]!, y = v[1]!, z = v[2]!;
  out[0] = m[0]! * x + m[1]! * y + m[2]! * z + t[0]!;
  out[1] = m[3]! * x + m[4]! * y + m[5]! * z + t[1]!;
  out[2] = m[6]! * x + m[7]! * y + m[8]! * z + t[2]!;
  return out;
}

/**
 * out ← mᵀ·v (for a rotation: the inverse rotation; for a Jacobian: a gradient pulled back).
 * `out` may be `v`.
 *
 * @example
 * mat3TransposeMulVec3(g, R, a); // camera-frame gradient a → model frame
 */
export function mat3TransposeMulVec3<T extends Vec3Out>(out: T, m: ArrayLike<number>, v: ArrayLike<number>): T {
  const x = v[0]!, y = v[1]!, z = v[2]!;
  out[0] = m[0]! * x + m[3]! * y + m[6]! * z;
  out[1] = m[1]! * x + m[4]! * y + m[7]! * z;
  out[2] = m[2]! * x + m[5]! * y + m[8]! * z;
  return out;
}

/**
 * out ← a·b. `out` must not be `a` or `b`.
 *
 * @example
 * mat3Multiply(R, mat3FromAxisAngle(E, 0, 0.1, 0), R0); // R = exp([δ]×)·R0
 */
export function mat3Multiply<T extends Mat3Out>(out: T, a: ArrayLike<number>, b: ArrayLike<number>): T {
  for (let r = 0; r < 3; r++) {
    const a0 = a[3 * r]!, a1 = a[3 * r + 1]!, a2 = a[3 * r + 2]!;
    for (let c = 0; c < 3; c++) out[3 * r + c] = a0 * b[c]! + a1 * b[3 + c]! + a2 * b[6 + c]!;
  }
  return out;
}

/**
 * out ← exp([w]×), the rotation by the angle |w| (radians) about the axis w/|w| (Rodrigues'
 * formula); the identity when |w| ≤ 1e-12. Right-handed: a positive angle turns +x toward +y
 * about +z.
 *
 * @example
 * const R = mat3FromAxisAngle(new Float64Array(9), 0, 0, Math.PI / 2); // x → y
 */
export function mat3FromAxisAngle<T extends Mat3Out>(out: T, wx: number, wy: number, wz: number): T {
  const th = Math.hypot(wx, wy, wz);
  if (!(th > 1e-12)) {
    out[0] = 1; out[1] = 0; out[2] = 0;
    out[3] = 0; out[4] = 1; out[5] = 0;
    out[6] = 0; out[7] = 0; out[8] = 1;
    return out;
  }
  const kx = wx / th, ky = wy / th, kz = wz / th, c = Math.cos(th), s = Math.sin(th), v = 1 - c;
  out[0] = c + kx * kx * v; out[1] = kx * ky * v - kz * s; out[2] = kx * kz * v + ky * s;
  out[3] = ky * kx * v + kz * s; out[4] = c + ky * ky * v; out[5] = ky * kz * v - kx * s;
  out[6] = kz * kx * v - ky * s; out[7] = kz * ky * v + kx * s; out[8] = c + kz * kz * v;
  return out;
}

/**
 * Metrics of the proxy benchmark: vertex error after a similarity alignment (Umeyama / Horn,
 * closed form with scale), and small statistics helpers.
 */

/**
 * Per-vertex distances (mm) between `a` and `b` (xyz interleaved, same vertex order) over the
 * vertices `idx`, after the similarity transform (rotation, translation, scale) that best maps
 * `a` onto `b` in the least-squares sense (Horn 1987, quaternion form; Umeyama 1991 scale).
 *
 * @example const e = alignedVertexErrors(fit.positions, truth.positions, faceVertices);
 */
export function alignedVertexErrors(a: ArrayLike<number>, b: ArrayLike<number>, idx: ArrayLike<number>): Float64Array {
  const n = idx.length;
  const ca = [0, 0, 0], cb = [0, 0, 0];
  for (let i = 0; i < n; i++) {
    const v = idx[i]!;
    for (let k = 0; k < 3; k++) { ca[k]! += a[3 * v + k]!; cb[k]! += b[3 * v + k]!; }
  }
  for (let k = 0; k < 3; k++) { ca[k]! /= n; cb[k]! /= n; }
  const S = new Array<number>(9).fill(0);
  let va = 0;
  for (let i = 0; i < n; i++) {
    const v = idx[i]!;
    const x = [a[3 * v]! - ca[0]!, a[3 * v + 1]! - ca[1]!, a[3 * v + 2]! - ca[2]!];
    const y = [b[3 * v]! - cb[0]!, b[3 * v + 1]! - cb[1]!, b[3 * v + 2]! - cb[2]!];
    for (let r = 0; r < 3; r++) for (let c = 0; c < 3; c++) S[3 * r + c]! += x[r]! * y[c]!;
    va += x[0]! ** 2 + x[1]! ** 2 + x[2]! ** 2;
  }
  const [Sxx, Sxy, Sxz, Syx, Syy, Syz, Szx, Szy, Szz] = S as [number, number, number, number, number, number, number, number, number];
  const N = [
    Sxx + Syy + Szz, Syz - Szy, Szx - Sxz, Sxy - Syx,
    Syz - Szy, Sxx - Syy - Szz, Sxy + Syx, Szx + Sxz,
    Szx - Sxz, Sxy + Syx, -Sxx + Syy - Szz, Syz + Szy,
    Sxy - Syx, Szx + Sxz, Syz + Szy, -Sxx - Syy + Szz,
  ];
  const q = topEigenvector4(N);
  const [w, x, y, z] = q as [number, number, number, number];
  const R = [
    w * w + x * x - y * y - z * z, 2 * (x * y - w * z), 2 * (x * z + w * y),
    2 * (x * y + w * z), w * w - x * x + y * y - z * z, 2 * (y * z - w * x),
    2 * (x * z - w * y), 2 * (y * z + w * x), w * w - x * x - y * y + z * z,
  ];
  // Scale: Σ yᵀ R x / Σ |x|².
  let num = 0;
  for (let r = 0; r < 3; r++) for (let c = 0; c < 3; c++) num += R[3 * r + c]! * S[3 * c + r]!;
  const s = num / va;
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const v = idx[i]!;
    const x0 = a[3 * v]! - ca[0]!, x1 = a[3 * v + 1]! - ca[1]!, x2 = a[3 * v + 2]! - ca[2]!;
    let d = 0;
    for (let r = 0; r < 3; r++) {
      const p = s * (R[3 * r]! * x0 + R[3 * r + 1]! * x1 + R[3 * r + 2]! * x2) + cb[r]!;
      d += (p - b[3 * v + r]!) ** 2;
    }
    out[i] = Math.sqrt(d);
  }
  return out;
}

/** Eigenvector of the largest eigenvalue of a symmetric 4×4 matrix (cyclic Jacobi). */
function topEigenvector4(A0: number[]): number[] {
  const A = A0.slice(), V = [1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1];
  for (let sweep = 0; sweep < 50; sweep++) {
    let off = 0;
    for (let p = 0; p < 4; p++) for (let q = p + 1; q < 4; q++) off += A[4 * p + q]! ** 2;
    if (off < 1e-22) break;
    for (let p = 0; p < 4; p++) for (let q = p + 1; q < 4; q++) {
      const apq = A[4 * p + q]!;
      if (Math.abs(apq) < 1e-300) continue;
      const theta = (A[4 * q + q]! - A[4 * p + p]!) / (2 * apq);
      const t = Math.sign(theta || 1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
      const c = 1 / Math.sqrt(t * t + 1), s = t * c;
      for (let k = 0; k < 4; k++) {
        const akp = A[4 * k + p]!, akq = A[4 * k + q]!;
        A[4 * k + p] = c * akp - s * akq; A[4 * k + q] = s * akp + c * akq;
      }
      for (let k = 0; k < 4; k++) {
        const apk = A[4 * p + k]!, aqk = A[4 * q + k]!;
        A[4 * p + k] = c * apk - s * aqk; A[4 * q + k] = s * apk + c * aqk;
      }
      for (let k = 0; k < 4; k++) {
        const vkp = V[4 * k + p]!, vkq = V[4 * k + q]!;
        V[4 * k + p] = c * vkp - s * vkq; V[4 * k + q] = s * vkp + c * vkq;
      }
    }
  }
  let best = 0;
  for (let i = 1; i < 4; i++) if (A[5 * i]! > A[5 * best]!) best = i;
  return [V[best]!, V[4 + best]!, V[8 + best]!, V[12 + best]!];
}

export function mean(xs: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < xs.length; i++) s += xs[i]!;
  return xs.length ? s / xs.length : NaN;
}

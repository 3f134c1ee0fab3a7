/**
 * Dense LU solve with partial pivoting, for the small square systems that are not positive
 * definite (so {@link choleskyFactor} does not apply): a thin-plate spline's saddle-point system
 * (kernel block plus the affine constraints, with a zero diagonal block).
 *
 * Layout: row-major; A is m×m, the right-hand sides B are m×k (k columns solved together).
 */

/**
 * Solve A·X = B by Gaussian elimination with partial pivoting (row swaps), then back
 * substitution. A and B are not modified; returns X (m×k, row-major), or `undefined` when a
 * pivot's magnitude is below `minPivot` (A singular to working precision).
 *
 * @example
 * const X = luSolve(Float64Array.of(0, 1, 1, 0), Float64Array.of(2, 3), 2, 1); // [3, 2]
 */
export function luSolve(A: Float64Array, B: Float64Array, m: number, k: number, minPivot = 1e-12): Float64Array | undefined {
  const a = A.slice(), b = B.slice();
  for (let col = 0; col < m; col++) {
    let piv = col;
    for (let r = col + 1; r < m; r++) if (Math.abs(a[r * m + col]!) > Math.abs(a[piv * m + col]!)) piv = r;
    if (Math.abs(a[piv * m + col]!) < minPivot) return undefined;
    if (piv !== col) {
      for (let c = 0; c < m; c++) { const t = a[col * m + c]!; a[col * m + c] = a[piv * m + c]!; a[piv * m + c] = t; }
      for (let c = 0; c < k; c++) { const t = b[col * k + c]!; b[col * k + c] = b[piv * k + c]!; b[piv * k + c] = t; }
    }
    const d = a[col * m + col]!;
    for (let r = col + 1; r < m; r++) {
      const f = a[r * m + col]! / d;
      if (f === 0) continue;
      for (let c = col; c < m; c++) a[r * m + c]! -= f * a[col * m + c]!;
      for (let c = 0; c < k; c++) b[r * k + c]! -= f * b[col * k + c]!;
    }
  }
  for (let row = m - 1; row >= 0; row--) {
    for (let c = 0; c < k; c++) {
      let s = b[row * k + c]!;
      for (let j = row + 1; j < m; j++) s -= a[row * m + j]! * b[j * k + c]!;
      b[row * k + c] = s / a[row * m + row]!;
    }
  }
  return b;
}

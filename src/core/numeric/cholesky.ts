/**
 * Dense Cholesky factorisation A = L·Lᵀ and solves, for the small symmetric positive-definite
 * systems of the fits (Gauss–Newton normal equations, the multigrid's coarsest grid, lighting
 * and albedo least squares).
 *
 * Layout: row-major n×n `Float64Array`; the factor L is written into the lower triangle of the
 * same array (the strict upper triangle is left as it was). Crout order: column j's pivot, then
 * the rows below it, each inner sum in increasing k: every caller gets the same bits.
 */

/** What {@link choleskyFactor} does with a pivot that is not safely positive. */
export interface CholeskyOptions {
  /**
   * `fail` (default): return false at the first pivot d ≤ `minPivot`.
   * `clamp`: use max(d, relativeFloor·|Aⱼⱼ| + 1e-300) instead, so the factor always exists (a
   * preconditioner's coarse solve, where a near-singular pivot must not stop the solver).
   */
  onBadPivot?: 'fail' | 'clamp';
  /** With `fail`: pivots at or below this fail. Default 0. */
  minPivot?: number;
  /** With `clamp`: the floor relative to the original diagonal entry. Default 1e-12. */
  relativeFloor?: number;
}

/**
 * Factor the row-major n×n SPD matrix `A` in place (lower triangle ← L). Returns false when a
 * pivot fails (with `onBadPivot: 'fail'`); `A` is then partly overwritten.
 *
 * @example
 * const A = Float64Array.of(4, 2, 2, 3);
 * choleskyFactor(A, 2);          // A's lower triangle is now L = [[2, 0], [1, √2]]
 * const x = Float64Array.of(2, 1);
 * choleskySolve(A, 2, x);        // x ← A⁻¹·[2, 1]
 */
export function choleskyFactor(A: Float64Array, n: number, options: CholeskyOptions = {}): boolean {
  const clamp = options.onBadPivot === 'clamp';
  const minPivot = options.minPivot ?? 0;
  const relativeFloor = options.relativeFloor ?? 1e-12;
  for (let j = 0; j < n; j++) {
    const rj = j * n;
    let d = A[rj + j]!;
    for (let k = 0; k < j; k++) d -= A[rj + k]! * A[rj + k]!;
    let l: number;
    if (clamp) {
      const floor = relativeFloor * Math.abs(A[rj + j]!) + 1e-300;
      l = Math.sqrt(d > floor ? d : floor);
    } else {
      if (!(d > minPivot)) return false;
      l = Math.sqrt(d);
    }
    A[rj + j] = l;
    for (let i = j + 1; i < n; i++) {
      const ri = i * n;
      let v = A[ri + j]!;
      for (let k = 0; k < j; k++) v -= A[ri + k]! * A[rj + k]!;
      A[ri + j] = v / l;
    }
  }
  return true;
}

/**
 * Solve L·Lᵀ·x = b with the factor from {@link choleskyFactor} (lower triangle of `L`).
 * `x` may be `b` (in place). `bOffset` / `xOffset` select a vector inside a larger array (e.g.
 * one colour channel's right-hand side).
 *
 * @example
 * choleskySolve(L, 9, rhs, coeffs, 9 * c, 9 * c); // channel c of a 3×9 stack
 */
export function choleskySolve(L: Float64Array, n: number, b: Float64Array, x: Float64Array = b, bOffset = 0, xOffset = 0): void {
  for (let i = 0; i < n; i++) {
    let v = b[bOffset + i]!;
    const ri = i * n;
    for (let k = 0; k < i; k++) v -= L[ri + k]! * x[xOffset + k]!;
    x[xOffset + i] = v / L[ri + i]!;
  }
  for (let i = n - 1; i >= 0; i--) {
    let v = x[xOffset + i]!;
    for (let k = i + 1; k < n; k++) v -= L[k * n + i]! * x[xOffset + k]!;
    x[xOffset + i] = v / L[i * n + i]!;
  }
}

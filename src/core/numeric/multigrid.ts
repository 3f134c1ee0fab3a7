/**
 * The geometric-multigrid V-cycle, over a hierarchy given as callbacks: the smoother, the
 * residual restriction, the prolongation and the coarsest solve are the problem's (a 13-point
 * stencil in double for the detail solve, a masked 5-point Laplacian in float for the texture
 * fill), the cycle is this one. Level 0 is the finest grid, `levels − 1` the coarsest.
 *
 * One cycle on level l for A_l·x = b: (x ← 0 unless the start is given), pre-smoothing,
 * b_{l+1} ← R(b − A_l·x), the same cycle on level l + 1 from zero, x += P·x_{l+1},
 * post-smoothing; on the coarsest level x ← 0 and the coarsest solve.
 */

/** A multigrid hierarchy for {@link multigridVCycle}; `V` its vectors, `B` what a level-0 right-hand side may be (e.g. `null` for b = 0). */
export interface MultigridCycle<V extends { fill(value: number): unknown }, B = V> {
  /** Number of levels (≥ 1). */
  levels: number;
  /** Right-hand-side work vector per level (index 0 unused). */
  rhs: readonly V[];
  /** Iterate work vector per level (index 0 unused). */
  iterate: readonly V[];
  /** Relax A_l·x = b on `level` (not the coarsest), before (`pre`) or after (`post`) the coarse correction. */
  smooth(level: number, b: V | B, x: V, phase: 'pre' | 'post'): void;
  /** bc ← R(b − A_l·x): the right-hand side of level `level + 1`. */
  restrictResidual(level: number, b: V | B, x: V, bc: V): void;
  /** x += P·xc, xc on level `level + 1`. */
  prolongAdd(level: number, xc: V, x: V): void;
  /** x ≈ A⁻¹·b on the coarsest level; x is 0 on entry. */
  solveCoarsest(b: V | B, x: V): void;
}

/**
 * One V-cycle on `level` for A·x = b: from x = 0 (`start: 'zero'`, the preconditioner form: a
 * fixed linear map of b) or from the given x (`'given'`, an iteration on the error equation).
 *
 * @example
 * multigridVCycle(hierarchy, 0, r, z);                 // z ≈ A⁻¹ r (a PCG preconditioner)
 * multigridVCycle(hierarchy, 0, null, x, 'given');     // improve x for A·x = 0 with fixed data
 */
export function multigridVCycle<V extends { fill(value: number): unknown }, B = V>(
  h: MultigridCycle<V, B>, level: number, b: V | B, x: V, start: 'zero' | 'given' = 'zero',
): void {
  if (start === 'zero') x.fill(0);
  if (level === h.levels - 1) {
    h.solveCoarsest(b, x);
    return;
  }
  h.smooth(level, b, x, 'pre');
  const bc = h.rhs[level + 1]!, xc = h.iterate[level + 1]!;
  h.restrictResidual(level, b, x, bc);
  multigridVCycle(h, level + 1, bc, xc);
  h.prolongAdd(level, xc, x);
  h.smooth(level, b, x, 'post');
}

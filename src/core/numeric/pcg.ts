/**
 * Preconditioned conjugate gradients for a symmetric positive-definite operator given as
 * callbacks, so a stencil grid (the detail solve), a sparse row list (the UV unwrap's
 * parameterisation) or anything else shares one iteration.
 */

/** The operator and its preconditioner, on vectors of length `size`. */
export interface PcgOperator {
  size: number;
  /** dst ← A·src. */
  apply(src: Float64Array, dst: Float64Array): void;
  /** dst ← M⁻¹·src (an SPD approximation of A⁻¹; identity when absent). */
  precondition?(src: Float64Array, dst: Float64Array): void;
  /** r ← b − A·x, when the operator has a fused (faster) form; else apply + subtract. */
  residual?(b: Float64Array, x: Float64Array, r: Float64Array): void;
}

/** Stopping rule of {@link pcg}. */
export interface PcgOptions {
  /** Most iterations. */
  maxIterations: number;
  /** Stop once ‖r‖² ≤ max(relativeTolerance² · ‖r₀‖², absoluteFloor · ‖b‖²). Default 0 (absolute floor only). */
  relativeTolerance?: number;
  /** See `relativeTolerance`; also the "already converged" test at the start. Default 1e-28. */
  absoluteFloor?: number;
}

/** Outcome of {@link pcg}. */
export interface PcgResult {
  iterations: number;
  /** Final ‖b − A·x‖ / ‖b‖ (0 when b = 0). */
  relativeResidual: number;
}

/** Work vectors of {@link pcg}; reuse them across calls of the same size. */
export interface PcgWork {
  r: Float64Array;
  z: Float64Array;
  p: Float64Array;
  q: Float64Array;
}

/** Allocate work vectors for {@link pcg}. */
export function createPcgWork(size: number): PcgWork {
  return { r: new Float64Array(size), z: new Float64Array(size), p: new Float64Array(size), q: new Float64Array(size) };
}

/**
 * Solve A·x = b by PCG, starting from the given `x` (warm start), which is overwritten.
 * b = 0 gives x = 0. The iteration stops early when pᵀAp ≤ 0 (A not positive definite there).
 *
 * @example
 * const op = { size: n, apply: (s, d) => laplacian(s, d), precondition: (s, d) => jacobi(s, d) };
 * const { iterations } = pcg(op, b, x, { maxIterations: 500, relativeTolerance: 1e-6 });
 */
export function pcg(op: PcgOperator, b: Float64Array, x: Float64Array, options: PcgOptions, work: PcgWork = createPcgWork(op.size)): PcgResult {
  const n = op.size;
  const { r, z, p, q } = work;
  const tol = options.relativeTolerance ?? 0;
  const floor = options.absoluteFloor ?? 1e-28;
  let bb = 0;
  for (let k = 0; k < n; k++) bb += b[k]! * b[k]!;
  if (bb === 0) {
    x.fill(0);
    return { iterations: 0, relativeResidual: 0 };
  }
  if (op.residual) op.residual(b, x, r);
  else {
    op.apply(x, q);
    for (let k = 0; k < n; k++) r[k] = b[k]! - q[k]!;
  }
  let rr = 0;
  for (let k = 0; k < n; k++) rr += r[k]! * r[k]!;
  const stop2 = Math.max(tol * tol * rr, floor * bb);
  if (rr <= floor * bb) return { iterations: 0, relativeResidual: Math.sqrt(rr / bb) };
  const precondition = (src: Float64Array, dst: Float64Array): void => {
    if (op.precondition) op.precondition(src, dst);
    else dst.set(src);
  };
  precondition(r, z);
  p.set(z);
  let rz = 0;
  for (let k = 0; k < n; k++) rz += r[k]! * z[k]!;
  let it = 0;
  while (it < options.maxIterations) {
    op.apply(p, q);
    let pq = 0;
    for (let k = 0; k < n; k++) pq += p[k]! * q[k]!;
    if (!(pq > 0)) break;
    const alpha = rz / pq;
    rr = 0;
    for (let k = 0; k < n; k++) {
      x[k] = x[k]! + alpha * p[k]!;
      const rk = r[k]! - alpha * q[k]!;
      r[k] = rk;
      rr += rk * rk;
    }
    it++;
    if (rr <= stop2 || it >= options.maxIterations) break;
    precondition(r, z);
    let rzNew = 0;
    for (let k = 0; k < n; k++) rzNew += r[k]! * z[k]!;
    const beta = rzNew / rz;
    rz = rzNew;
    for (let k = 0; k < n; k++) p[k] = z[k]! + beta * p[k]!;
  }
  return { iterations: it, relativeResidual: Math.sqrt(rr / bb) };
}

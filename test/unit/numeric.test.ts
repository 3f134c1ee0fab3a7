/** core/numeric: dense Cholesky and PCG against known answers. */
import { describe, expect, it } from 'vitest';
import { choleskyFactor, choleskySolve } from '../../src/core/numeric/cholesky.js';
import { pcg, type PcgOperator } from '../../src/core/numeric/pcg.js';

function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => { s = (s * 1664525 + 1013904223) >>> 0; return s / 4294967296 - 0.5; };
}

/** A random SPD matrix MᵀM + n·I (row-major) and a random vector. */
function spd(n: number, seed: number): { A: Float64Array; x: Float64Array } {
  const r = rng(seed);
  const M = Float64Array.from({ length: n * n }, r);
  const A = new Float64Array(n * n);
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) {
    let s = i === j ? n : 0;
    for (let k = 0; k < n; k++) s += M[k * n + i]! * M[k * n + j]!;
    A[i * n + j] = s;
  }
  return { A, x: Float64Array.from({ length: n }, r) };
}

function mul(A: Float64Array, n: number, x: Float64Array): Float64Array {
  const y = new Float64Array(n);
  for (let i = 0; i < n; i++) for (let k = 0; k < n; k++) y[i]! += A[i * n + k]! * x[k]!;
  return y;
}

function maxDiff(a: Float64Array, b: Float64Array): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}

describe('choleskyFactor / choleskySolve', () => {
  it.each([1, 4, 9, 40])('solves a random n = %i SPD system to round-off', (n) => {
    const { A, x } = spd(n, n);
    const b = mul(A, n, x);
    const L = A.slice();
    expect(choleskyFactor(L, n)).toBe(true);
    const y = b.slice();
    choleskySolve(L, n, y);
    expect(maxDiff(y, x)).toBeLessThan(1e-12);
    // L·Lᵀ reproduces A (lower triangle of L)
    for (let i = 0; i < n; i++) for (let j = 0; j <= i; j++) {
      let s = 0;
      for (let k = 0; k <= j; k++) s += L[i * n + k]! * L[j * n + k]!;
      expect(Math.abs(s - A[i * n + j]!)).toBeLessThan(1e-10 * n);
    }
  });

  it('a known 2×2 factor, offsets into a stacked right-hand side', () => {
    const A = Float64Array.of(4, 2, 2, 3);
    choleskyFactor(A, 2);
    expect(A[0]).toBe(2); expect(A[2]).toBe(1); expect(A[3]).toBeCloseTo(Math.SQRT2, 15);
    const b = Float64Array.of(9, 9, 8, 7), x = new Float64Array(4);
    choleskySolve(A, 2, b, x, 2, 2); // solve [[4,2],[2,3]] x = [8, 7] → x = [1.25, 1.5]
    expect(Array.from(x.subarray(0, 2))).toEqual([0, 0]);
    expect(x[2]).toBeCloseTo(1.25, 14); expect(x[3]).toBeCloseTo(1.5, 14);
  });

  it('fails on a matrix that is not positive definite; clamp mode always factors', () => {
    const A = Float64Array.of(1, 2, 2, 1); // eigenvalues 3, −1
    expect(choleskyFactor(A.slice(), 2)).toBe(false);
    expect(choleskyFactor(Float64Array.of(1e-3, 0, 0, 1), 2, { minPivot: 1e-2 })).toBe(false);
    const C = A.slice();
    expect(choleskyFactor(C, 2, { onBadPivot: 'clamp' })).toBe(true);
    expect(Number.isFinite(C[3]!)).toBe(true);
  });
});

describe('pcg', () => {
  const n = 30;
  const { A, x } = spd(n, 7);
  const b = mul(A, n, x);
  const op: PcgOperator = { size: n, apply: (s, d) => d.set(mul(A, n, s)) };

  it('converges to the direct solution, with and without a Jacobi preconditioner', () => {
    for (const precondition of [undefined, (s: Float64Array, d: Float64Array) => { for (let i = 0; i < n; i++) d[i] = s[i]! / A[i * n + i]!; }]) {
      const y = new Float64Array(n);
      const r = pcg(precondition ? { ...op, precondition } : op, b, y, { maxIterations: 200, absoluteFloor: 1e-26 });
      expect(maxDiff(y, x)).toBeLessThan(1e-9);
      expect(r.iterations).toBeGreaterThan(0);
      expect(r.iterations).toBeLessThanOrEqual(n + 5);
      expect(r.relativeResidual).toBeLessThan(1e-12);
    }
  });

  it('b = 0 gives x = 0; a converged warm start takes no iteration; maxIterations and the relative tolerance stop it', () => {
    const y = Float64Array.from({ length: n }, () => 1);
    expect(pcg(op, new Float64Array(n), y, { maxIterations: 10 })).toEqual({ iterations: 0, relativeResidual: 0 });
    expect(Array.from(y).every((v) => v === 0)).toBe(true);
    expect(pcg(op, b, x.slice(), { maxIterations: 10, absoluteFloor: 1e-20 }).iterations).toBe(0);
    expect(pcg(op, b, new Float64Array(n), { maxIterations: 3 }).iterations).toBe(3);
    const loose = pcg(op, b, new Float64Array(n), { maxIterations: 200, relativeTolerance: 1e-2 });
    expect(loose.iterations).toBeLessThan(pcg(op, b, new Float64Array(n), { maxIterations: 200 }).iterations);
  });

  it('a fused residual callback is used for r₀ when given', () => {
    let used = 0;
    const y = new Float64Array(n);
    pcg({ ...op, residual: (bb, xx, r) => { used++; const ax = mul(A, n, xx); for (let i = 0; i < n; i++) r[i] = bb[i]! - ax[i]!; } }, b, y, { maxIterations: 100 });
    expect(used).toBe(1);
    expect(maxDiff(y, x)).toBeLessThan(1e-9);
  });
});

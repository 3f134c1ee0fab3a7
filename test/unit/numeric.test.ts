/** core/numeric: dense Cholesky and PCG against known answers. */
import { describe, expect, it } from 'vitest';
import { choleskyFactor, choleskySolve } from '../../src/core/numeric/cholesky.js';
import { luSolve } from '../../src/core/numeric/lu.js';
import { multigridVCycle, type MultigridCycle } from '../../src/core/numeric/multigrid.js';
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

describe('multigridVCycle', () => {
  it('runs pre-smoothing, restriction, the coarser cycle, prolongation and post-smoothing in that order', () => {
    const calls: string[] = [];
    const v = (): Float64Array => new Float64Array(1);
    const h: MultigridCycle<Float64Array> = {
      levels: 3, rhs: [v(), v(), v()], iterate: [v(), v(), v()],
      smooth: (l, _b, _x, phase) => { calls.push(`${phase}${l}`); },
      restrictResidual: (l) => { calls.push(`R${l}`); },
      prolongAdd: (l) => { calls.push(`P${l}`); },
      solveCoarsest: (_b, x) => { calls.push(`coarse(x=${x[0]})`); },
    };
    const x = Float64Array.of(5);
    multigridVCycle(h, 0, v(), x, 'given');
    expect(x[0]).toBe(5); // a given start is kept
    h.iterate[2]![0] = 7;
    multigridVCycle(h, 0, v(), x);
    expect(x[0]).toBe(0); // a zero start is zeroed
    expect(calls.slice(0, 7)).toEqual(['pre0', 'R0', 'pre1', 'R1', 'coarse(x=0)', 'P1', 'post1']);
    expect(calls.slice(7, 9)).toEqual(['P0', 'post0']);
  });

  it('cuts the error of a 1D Poisson problem by ≥ 5× per cycle (Gauss–Seidel, full weighting, linear interpolation)', () => {
    // −u'' = f on 2^k − 1 interior points per level (vertex-centred, h = 1/(n + 1)), u = 0 at the ends.
    const sizes = [63, 31, 15, 7, 3, 1];
    const at = (u: Float64Array, i: number): number => (i < 0 || i >= u.length ? 0 : u[i]!);
    const gs = (l: number, b: Float64Array, u: Float64Array, forward: boolean): void => {
      const n = sizes[l]!, h2 = 1 / ((n + 1) * (n + 1));
      for (let k = 0; k < n; k++) { const i = forward ? k : n - 1 - k; u[i] = 0.5 * (at(u, i - 1) + at(u, i + 1) + h2 * b[i]!); }
    };
    const h: MultigridCycle<Float64Array> = {
      levels: sizes.length, rhs: sizes.map((n) => new Float64Array(n)), iterate: sizes.map((n) => new Float64Array(n)),
      smooth: (l, b, u, phase) => gs(l, b, u, phase === 'pre'),
      restrictResidual: (l, b, u, bc) => {
        const n = sizes[l]!, ih2 = (n + 1) * (n + 1);
        const r = (i: number): number => b[i]! - ih2 * (2 * u[i]! - at(u, i - 1) - at(u, i + 1));
        for (let j = 0; j < bc.length; j++) bc[j] = 0.25 * r(2 * j) + 0.5 * r(2 * j + 1) + 0.25 * r(2 * j + 2);
      },
      prolongAdd: (_l, uc, u) => { for (let i = 0; i < u.length; i++) u[i]! += i & 1 ? uc[(i - 1) >> 1]! : 0.5 * (at(uc, (i >> 1) - 1) + at(uc, i >> 1)); },
      solveCoarsest: (b, u) => { u[0] = b[0]! / 8; }, // 1 point: 2·(n+1)²·u = b with n = 1
    };
    const n = sizes[0]!, truth = Float64Array.from({ length: n }, (_, i) => Math.sin(Math.PI * (i + 1) / (n + 1)) + 0.3 * Math.sin(9 * Math.PI * (i + 1) / (n + 1)));
    const b = Float64Array.from({ length: n }, (_, i) => (n + 1) ** 2 * (2 * truth[i]! - at(truth, i - 1) - at(truth, i + 1)));
    const u = new Float64Array(n);
    let err = maxDiff(u, truth);
    for (let c = 0; c < 6; c++) {
      multigridVCycle(h, 0, b, u, 'given');
      const e = maxDiff(u, truth);
      expect(e, `cycle ${c}`).toBeLessThan(err / 5);
      err = e;
    }
    expect(err).toBeLessThan(1e-4);
  });
});

describe('luSolve', () => {
  it('solves a random square system with two right-hand sides, leaving A and B as they were', () => {
    const n = 12, r = rng(21);
    const A = Float64Array.from({ length: n * n }, r), X = Float64Array.from({ length: 2 * n }, r);
    const B = new Float64Array(2 * n);
    for (let i = 0; i < n; i++) for (let c = 0; c < 2; c++) for (let k = 0; k < n; k++) B[2 * i + c]! += A[i * n + k]! * X[2 * k + c]!;
    const A0 = A.slice(), B0 = B.slice();
    const got = luSolve(A, B, n, 2);
    expect(got).toBeDefined();
    expect(maxDiff(got!, X)).toBeLessThan(1e-10);
    expect(Array.from(A)).toEqual(Array.from(A0));
    expect(Array.from(B)).toEqual(Array.from(B0));
  });

  it('pivots through a zero diagonal (a saddle-point system) and reports a singular one', () => {
    // [[0, 1], [1, 2]]·x = [2, 4] → x = [0, 2]: the first pivot is 0 without the row swap;
    // [[2, 1], [1, 0]] (zero diagonal block) → x = [1, 2].
    const x = luSolve(Float64Array.of(0, 1, 1, 2), Float64Array.of(2, 4), 2, 1);
    expect(Array.from(x!)).toEqual([0, 2]);
    expect(maxDiff(luSolve(Float64Array.of(2, 1, 1, 0), Float64Array.of(4, 1), 2, 1)!, Float64Array.of(1, 2))).toBeLessThan(1e-15);
    expect(luSolve(Float64Array.of(1, 2, 2, 4), Float64Array.of(1, 1), 2, 1)).toBeUndefined();
  });
});

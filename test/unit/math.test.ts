/** core/math: vector / matrix / rotation helpers and the convex hull against direct answers. */
import { selectKth } from '../../src/core/math/select.js';
import { describe, expect, it } from 'vitest';
import { convexHull } from '../../src/core/math/hull.js';
import { mat3FromAxisAngle, mat3Multiply, mat3MulVec3, mat3TransformPoint, mat3TransposeMulVec3 } from '../../src/core/math/mat3.js';
import { vec3Cross, vec3Dot, vec3Normalize } from '../../src/core/math/vec3.js';

function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => { s = (s * 1664525 + 1013904223) >>> 0; return s / 4294967296 - 0.5; };
}

/** Largest |a − b| over the entries, with where it is. */
function worst(a: ArrayLike<number>, b: ArrayLike<number>): { d: number; at: number } {
  let d = 0, at = -1;
  for (let i = 0; i < a.length; i++) { const e = Math.abs(a[i]! - b[i]!); if (e > d) { d = e; at = i; } }
  return { d, at };
}

describe('vec3', () => {
  it('cross, dot and normalize', () => {
    expect(Array.from(vec3Cross(new Float64Array(3), [1, 0, 0], [0, 1, 0]))).toEqual([0, 0, 1]);
    expect(Array.from(vec3Cross([0, 0, 0], [0, 1, 0], [1, 0, 0]))).toEqual([0, 0, -1]);
    expect(vec3Dot([1, 2, 3], [4, 5, 6])).toBe(32);
    expect(Array.from(vec3Normalize(new Float64Array(3), [3, 0, 4]))).toEqual([0.6, 0, 0.8]);
    expect(Array.from(vec3Normalize(new Float64Array(3), [0, 0, 0]))).toEqual([0, 0, 0]);
    const v = Float64Array.of(0, 2, 0);
    expect(Array.from(vec3Normalize(v, v))).toEqual([0, 1, 0]); // in place
  });
});

describe('mat3 (row-major)', () => {
  const r = rng(7);
  const A = Float64Array.from({ length: 9 }, r), B = Float64Array.from({ length: 9 }, r);
  const v = Float64Array.from({ length: 3 }, r), t = Float64Array.from({ length: 3 }, r);
  const entry = (m: ArrayLike<number>, row: number, col: number): number => m[3 * row + col]!;

  it('m·v, m·v + t and mᵀ·v follow the row-major layout', () => {
    const mv = [0, 1, 2].map((i) => entry(A, i, 0) * v[0]! + entry(A, i, 1) * v[1]! + entry(A, i, 2) * v[2]!);
    const mtv = [0, 1, 2].map((i) => entry(A, 0, i) * v[0]! + entry(A, 1, i) * v[1]! + entry(A, 2, i) * v[2]!);
    expect(Array.from(mat3MulVec3(new Float64Array(3), A, v))).toEqual(mv);
    expect(Array.from(mat3TransformPoint(new Float64Array(3), A, t, v))).toEqual(mv.map((x, i) => x + t[i]!));
    expect(Array.from(mat3TransposeMulVec3(new Float64Array(3), A, v))).toEqual(mtv);
    // Documented aliasing: out = v.
    const w = Float64Array.from(v);
    expect(Array.from(mat3TransformPoint(w, A, t, w))).toEqual(mv.map((x, i) => x + t[i]!));
    const u = Float64Array.from(v);
    expect(Array.from(mat3TransposeMulVec3(u, A, u))).toEqual(mtv);
    const m = Float64Array.from(v);
    expect(Array.from(mat3MulVec3(m, A, m))).toEqual(mv);
  });

  it('a·b agrees with applying b then a', () => {
    const AB = mat3Multiply(new Float64Array(9), A, B);
    const direct = mat3MulVec3(new Float64Array(3), AB, v);
    const twice = mat3MulVec3(new Float64Array(3), A, mat3MulVec3(new Float64Array(3), B, v));
    const { d, at } = worst(direct, twice);
    expect(d, `worst at ${at}`).toBeLessThan(1e-15);
  });
});

describe('mat3FromAxisAngle', () => {
  it('is the identity at zero and a quarter turn about z maps x to y', () => {
    expect(Array.from(mat3FromAxisAngle(new Float64Array(9), 0, 0, 0))).toEqual([1, 0, 0, 0, 1, 0, 0, 0, 1]);
    const R = mat3FromAxisAngle(new Float64Array(9), 0, 0, Math.PI / 2);
    const { d } = worst(mat3MulVec3(new Float64Array(3), R, [1, 0, 0]), [0, 1, 0]);
    expect(d).toBeLessThan(1e-15);
  });

  it('is a rotation (RᵀR = I, det 1) that keeps its axis', () => {
    const r = rng(11);
    for (let trial = 0; trial < 20; trial++) {
      const w = [2 * r(), 2 * r(), 2 * r()];
      const R = mat3FromAxisAngle(new Float64Array(9), w[0]!, w[1]!, w[2]!);
      const RtR = new Float64Array(9);
      for (let i = 0; i < 3; i++) for (let j = 0; j < 3; j++) RtR[3 * i + j] = R[i]! * R[j]! + R[3 + i]! * R[3 + j]! + R[6 + i]! * R[6 + j]!;
      expect(worst(RtR, [1, 0, 0, 0, 1, 0, 0, 0, 1]).d).toBeLessThan(1e-14);
      const c0 = [R[0]!, R[3]!, R[6]!], c1 = [R[1]!, R[4]!, R[7]!], c2 = [R[2]!, R[5]!, R[8]!];
      expect(vec3Dot(vec3Cross([0, 0, 0], c0, c1), c2)).toBeCloseTo(1, 14);
      expect(worst(mat3MulVec3(new Float64Array(3), R, w), w).d).toBeLessThan(1e-14);
    }
  });

  it('has derivative [w]× at 0 (central differences: d/dε exp(ε[w]×)·v = w × v)', () => {
    const w = [0.3, -0.7, 0.2], v = [1.5, 0.4, -2], h = 1e-6;
    const plus = mat3MulVec3(new Float64Array(3), mat3FromAxisAngle(new Float64Array(9), h * w[0]!, h * w[1]!, h * w[2]!), v);
    const minus = mat3MulVec3(new Float64Array(3), mat3FromAxisAngle(new Float64Array(9), -h * w[0]!, -h * w[1]!, -h * w[2]!), v);
    const fd = [0, 1, 2].map((i) => (plus[i]! - minus[i]!) / (2 * h));
    const { d, at } = worst(fd, vec3Cross([0, 0, 0], w, v));
    expect(d, `worst at ${at}`).toBeLessThan(1e-8);
  });
});

describe('convexHull', () => {
  it('drops interior and edge points, counter-clockwise from the lowest x', () => {
    // Square corners 0..3, centre 4, edge midpoint 5.
    const xy = Float64Array.of(0, 0, 1, 0, 1, 1, 0, 1, 0.5, 0.5, 0.5, 0);
    expect(convexHull(xy)).toEqual([0, 1, 2, 3]);
    expect(convexHull(xy, [4, 2, 5, 0])).toEqual([0, 5, 2]); // 4 lies on the edge 0–2
    expect(convexHull(xy, [2, 1, 4, 3])).toEqual([3, 1, 2]);
  });

  it('contains every input point (random sets)', () => {
    const r = rng(3);
    for (let trial = 0; trial < 10; trial++) {
      const n = 40, xy = Float64Array.from({ length: 2 * n }, r);
      const hull = convexHull(xy);
      for (let k = 0; k < hull.length; k++) {
        const a = hull[k]!, b = hull[(k + 1) % hull.length]!;
        for (let p = 0; p < n; p++) {
          const c = (xy[2 * b]! - xy[2 * a]!) * (xy[2 * p + 1]! - xy[2 * a + 1]!) - (xy[2 * b + 1]! - xy[2 * a + 1]!) * (xy[2 * p]! - xy[2 * a]!);
          expect(c).toBeGreaterThanOrEqual(-1e-15); // left of (or on) every counter-clockwise edge
        }
      }
    }
  });
});

describe('selectKth', () => {
  it('returns exactly what a full sort puts at k, and partitions around it (random, duplicates, sorted, reversed)', () => {
    let seed = 12345;
    const rnd = () => { seed = (Math.imul(seed, 1103515245) + 12345) >>> 0; return seed / 2 ** 32; };
    const cases: Float64Array[] = [];
    for (const n of [1, 2, 3, 17, 100, 1001, 20000]) {
      cases.push(Float64Array.from({ length: n }, () => rnd() * 10 - 5));
      cases.push(Float64Array.from({ length: n }, () => Math.floor(rnd() * 4))); // many ties
      cases.push(Float64Array.from({ length: n }, (_, i) => i));
      cases.push(Float64Array.from({ length: n }, (_, i) => n - i));
    }
    for (const c of cases) {
      const sorted = c.slice().sort();
      for (const k of new Set([0, c.length >> 1, c.length - 1, Math.floor(rnd() * c.length)])) {
        const a = c.slice();
        const v = selectKth(a, k);
        expect(v).toBe(sorted[k]);
        expect(a[k]).toBe(sorted[k]);
        let partitioned = true;
        for (let i = 0; i < a.length; i++) if (i < k ? a[i]! > v : i > k && a[i]! < v) partitioned = false;
        expect(partitioned).toBe(true);
        const perm = a.slice().sort(); // a permutation of the input
        expect(perm.every((x, i) => x === sorted[i])).toBe(true);
      }
    }
    const f32 = Float32Array.from({ length: 999 }, () => rnd());
    expect(selectKth(f32.slice(), 499)).toBe(f32.slice().sort()[499]);
    expect(() => selectKth(new Float64Array(3), 3)).toThrow(RangeError);
  });
});

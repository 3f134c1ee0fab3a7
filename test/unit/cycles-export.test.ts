import { describe, expect, it } from 'vitest';
import { objText } from '../../bench/cycles/scene.js';
import type { Mesh } from '../../src/core/types.js';

/** The face normal (by winding) of an OBJ's first face, from its `v` lines. */
function firstFaceNormal(obj: string): [number, number, number] {
  const v = obj.split('\n').filter((l) => l.startsWith('v ')).map((l) => l.split(' ').slice(1).map(Number));
  const f = obj.split('\n').find((l) => l.startsWith('f '))!.split(' ').slice(1).map((t) => Number(t.split('/')[0]) - 1);
  const [a, b, c] = f.map((i) => v[i]!);
  const u = [b![0]! - a![0]!, b![1]! - a![1]!, b![2]! - a![2]!], w = [c![0]! - a![0]!, c![1]! - a![1]!, c![2]! - a![2]!];
  return [u[1]! * w[2]! - u[2]! * w[1]!, u[2]! * w[0]! - u[0]! * w[2]!, u[0]! * w[1]! - u[1]! * w[0]!];
}

describe('Cycles export (bench/cycles/scene.ts objText)', () => {
  // A triangle 500 mm in front of the camera (OpenCV frame: +z forward, +y down) whose winding
  // normal points back at the camera (−z).
  const tri: Mesh = { positions: new Float32Array([0, 0, 500, 0, 10, 500, 10, 0, 500]), indices: new Uint32Array([0, 1, 2]), uvs: new Float32Array([0, 0, 0, 1, 1, 0]) };
  it('the winding normal faces the camera in the test triangle (OpenCV frame)', () => {
    const P = tri.positions;
    const u = [P[3]! - P[0]!, P[4]! - P[1]!, P[5]! - P[2]!], w = [P[6]! - P[0]!, P[7]! - P[1]!, P[8]! - P[2]!];
    expect(u[0]! * w[1]! - u[1]! * w[0]!).toBeLessThan(0);
  });
  it('with reverseWinding false (the scan) the face still looks at the camera in Blender\'s frame (+z)', () => {
    const n = firstFaceNormal(objText(tri, true, false));
    expect(n[2]).toBeGreaterThan(0);
  });
  it('reverses it when asked (the synthetic scenes\' exports): the face is seen from behind', () => {
    const n = firstFaceNormal(objText(tri, true));
    expect(n[2]).toBeLessThan(0);
  });
  it('writes v-up texture coordinates (Blender\'s convention) from the v-down ones', () => {
    const vt = objText(tri, true, false).split('\n').filter((l) => l.startsWith('vt ')).map((l) => l.split(' ').slice(1).map(Number));
    expect(vt[1]).toEqual([0, 0]);
    expect(vt[0]).toEqual([0, 1]);
  });
});

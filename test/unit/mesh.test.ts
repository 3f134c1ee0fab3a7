import { describe, expect, it } from 'vitest';
import { isFaceDetailError } from '../../src/core/errors.js';
import type { Image, Mesh } from '../../src/core/types.js';
import { buildEdgeTable, NO_VERTEX } from '../../src/core/mesh/edges.js';
import { computeVertexNormals } from '../../src/core/mesh/normals.js';
import { computeTangents, objectToTangent, tangentFrameAt, tangentToObject } from '../../src/core/mesh/tangents.js';
import { loopBeta, loopSubdivide, loopSubdivisionCounts } from '../../src/core/mesh/subdivide.js';
import { displaceMesh } from '../../src/core/mesh/displace.js';
import { computeBounds, flipWinding, meshStats, transformPositions } from '../../src/core/mesh/mesh-utils.js';

// ---------------------------------------------------------------------------------------------
// Fixtures

/** Regular icosahedron of circumradius 1, outward CCW winding. */
function icosahedron(): Mesh {
  const p = (1 + Math.sqrt(5)) / 2;
  const v = [
    [-1, p, 0], [1, p, 0], [-1, -p, 0], [1, -p, 0],
    [0, -1, p], [0, 1, p], [0, -1, -p], [0, 1, -p],
    [p, 0, -1], [p, 0, 1], [-p, 0, -1], [-p, 0, 1],
  ];
  const f = [
    0, 11, 5, 0, 5, 1, 0, 1, 7, 0, 7, 10, 0, 10, 11,
    1, 5, 9, 5, 11, 4, 11, 10, 2, 10, 7, 6, 7, 1, 8,
    3, 9, 4, 3, 4, 2, 3, 2, 6, 3, 6, 8, 3, 8, 9,
    4, 9, 5, 2, 4, 11, 6, 2, 10, 8, 6, 7, 9, 8, 1,
  ];
  const r = Math.hypot(1, p);
  return { positions: Float32Array.from(v.flat(), (x) => x / r), indices: Uint32Array.from(f) };
}

/**
 * (n+1)×(n+1) grid on [0,1]² in the plane z = 0, CCW seen from +z, alternating diagonals,
 * interior vertices jittered by up to `jitter` cells (deterministic).
 */
function grid(n: number, jitter = 0): Mesh {
  const pos: number[] = [];
  let seed = 12345;
  const rnd = () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648) * 2 - 1;
  for (let j = 0; j <= n; j++) {
    for (let i = 0; i <= n; i++) {
      const inner = i > 0 && i < n && j > 0 && j < n;
      pos.push((i + (inner ? jitter * rnd() : 0)) / n, (j + (inner ? jitter * rnd() : 0)) / n, 0);
    }
  }
  const idx: number[] = [];
  const id = (i: number, j: number) => j * (n + 1) + i;
  for (let j = 0; j < n; j++) {
    for (let i = 0; i < n; i++) {
      const a = id(i, j), b = id(i + 1, j), c = id(i + 1, j + 1), d = id(i, j + 1);
      if ((i + j) % 2 === 0) idx.push(a, b, c, a, c, d);
      else idx.push(a, b, d, b, c, d);
    }
  }
  return { positions: Float32Array.from(pos), indices: Uint32Array.from(idx) };
}

/** Worst |a_i − b_i| with its index, for readable failures. */
function worst(a: ArrayLike<number>, b: ArrayLike<number>): { err: number; at: number } {
  let err = 0, at = -1;
  for (let i = 0; i < a.length; i++) {
    const e = Math.abs(a[i]! - b[i]!);
    if (!(e <= err)) { err = e; at = i; }
  }
  return { err, at };
}

function radii(P: Float32Array): { min: number; max: number } {
  let min = Infinity, max = 0;
  for (let i = 0; i < P.length; i += 3) {
    const r = Math.hypot(P[i]!, P[i + 1]!, P[i + 2]!);
    min = Math.min(min, r); max = Math.max(max, r);
  }
  return { min, max };
}

/** Largest angle (rad) between the face normals of two triangles sharing an edge. */
function maxDihedral(m: Mesh): number {
  const V = m.positions.length / 3, et = buildEdgeTable(m.indices, V);
  const T = m.indices.length / 3, fn = new Float64Array(3 * T), P = m.positions, I = m.indices;
  for (let t = 0; t < T; t++) {
    const a = 3 * I[3 * t]!, b = 3 * I[3 * t + 1]!, c = 3 * I[3 * t + 2]!;
    const ux = P[b]! - P[a]!, uy = P[b + 1]! - P[a + 1]!, uz = P[b + 2]! - P[a + 2]!;
    const vx = P[c]! - P[a]!, vy = P[c + 1]! - P[a + 1]!, vz = P[c + 2]! - P[a + 2]!;
    const nx = uy * vz - uz * vy, ny = uz * vx - ux * vz, nz = ux * vy - uy * vx, l = Math.hypot(nx, ny, nz);
    fn[3 * t] = nx / l; fn[3 * t + 1] = ny / l; fn[3 * t + 2] = nz / l;
  }
  const firstTri = new Int32Array(et.edgeCount).fill(-1);
  let worstAngle = 0;
  for (let s = 0; s < 3 * T; s++) {
    const e = et.sideEdge[s]!, t = Math.floor(s / 3);
    if (firstTri[e]! < 0) { firstTri[e] = t; continue; }
    const u = firstTri[e]!;
    const d = fn[3 * t]! * fn[3 * u]! + fn[3 * t + 1]! * fn[3 * u + 1]! + fn[3 * t + 2]! * fn[3 * u + 2]!;
    worstAngle = Math.max(worstAngle, Math.acos(Math.min(1, d)));
  }
  return worstAngle;
}

function boundaryVertices(m: Mesh): number[] {
  const V = m.positions.length / 3, et = buildEdgeTable(m.indices, V), on = new Set<number>();
  for (let e = 0; e < et.edgeCount; e++) {
    if (et.faceCount[e] === 1) { on.add(et.vertices[2 * e]!); on.add(et.vertices[2 * e + 1]!); }
  }
  return [...on];
}

// ---------------------------------------------------------------------------------------------

describe('buildEdgeTable', () => {
  it('finds the unique edges, their triangle counts and opposite vertices', () => {
    const et = buildEdgeTable(new Uint32Array([0, 1, 2, 0, 2, 3]), 4);
    expect(et.edgeCount).toBe(5);
    const diag = et.sideEdge[2]!; // side 2→0 of triangle 0
    expect(et.sideEdge[3]).toBe(diag); // side 0→2 of triangle 1
    expect([et.vertices[2 * diag], et.vertices[2 * diag + 1]]).toEqual([0, 2]);
    expect(et.faceCount[diag]).toBe(2);
    expect([et.opposite[2 * diag], et.opposite[2 * diag + 1]]).toEqual([1, 3]);
    const e01 = et.sideEdge[0]!;
    expect(et.faceCount[e01]).toBe(1);
    expect([et.opposite[2 * e01], et.opposite[2 * e01 + 1]]).toEqual([2, NO_VERTEX]);
  });

  it('gives every triangle side its third vertex as an opposite vertex', () => {
    const g = grid(3, 0.2);
    const et = buildEdgeTable(g.indices, 16);
    for (let s = 0; s < g.indices.length; s++) {
      const t = s - (s % 3), k = s % 3, e = et.sideEdge[s]!;
      const a = g.indices[s]!, b = g.indices[t + ((k + 1) % 3)]!, c = g.indices[t + ((k + 2) % 3)]!;
      expect([et.vertices[2 * e], et.vertices[2 * e + 1]]).toEqual([Math.min(a, b), Math.max(a, b)]);
      expect([et.opposite[2 * e], et.opposite[2 * e + 1]]).toContain(c);
    }
  });
});

describe('loopSubdivide', () => {
  it('turns an icosahedron into a smooth sphere-like closed surface', () => {
    const ico = icosahedron();
    let prevDihedral = maxDihedral(ico);
    for (let L = 1; L <= 4; L++) {
      const { mesh, counts } = loopSubdivide(ico, L);
      const s = meshStats(mesh);
      // Closed stays closed; Euler characteristic of a sphere preserved.
      expect(s.boundaryEdgeCount).toBe(0);
      expect(s.nonManifoldEdgeCount).toBe(0);
      expect(s.eulerCharacteristic).toBe(2);
      // Counts: V = 10·4^L + 2, E = 30·4^L, T = 20·4^L.
      expect(counts[L]).toEqual({ vertices: 10 * 4 ** L + 2, edges: 30 * 4 ** L, triangles: 20 * 4 ** L });
      expect(s.vertexCount).toBe(10 * 4 ** L + 2);
      expect(s.edgeCount).toBe(30 * 4 ** L);
      // Smoother every level: the sharpest crease roughly halves.
      const d = maxDihedral(mesh);
      expect(d).toBeLessThan(0.6 * prevDihedral);
      prevDihedral = d;
      if (L === 4) {
        // Loop's limit of the icosahedron is a near-sphere: radius spread within 2 %.
        const { min, max } = radii(mesh.positions);
        expect((max - min) / max).toBeLessThan(0.02);
        expect(d).toBeLessThan((4.5 * Math.PI) / 180); // 5120 faces: edges span ~3°
      }
    }
  });

  it('keeps a flat grid flat and its boundary on the original boundary polyline', () => {
    const g = grid(6, 0.3);
    for (const boundary of ['smooth', 'fixed'] as const) {
      const { mesh } = loopSubdivide(g, 3, { boundary });
      let maxZ = 0;
      for (let i = 2; i < mesh.positions.length; i += 3) maxZ = Math.max(maxZ, Math.abs(mesh.positions[i]!));
      expect(maxZ).toBe(0);
      const bv = boundaryVertices(mesh);
      expect(bv.length).toBe(4 * 6 * 8); // 24 base boundary edges, each split into 8
      for (const v of bv) {
        const x = mesh.positions[3 * v]!, y = mesh.positions[3 * v + 1]!;
        const dSide = Math.min(Math.abs(x), Math.abs(1 - x), Math.abs(y), Math.abs(1 - y));
        expect(dSide).toBeLessThan(1e-6);
        expect(Math.min(x, y)).toBeGreaterThan(-1e-6);
        expect(Math.max(x, y)).toBeLessThan(1 + 1e-6);
      }
      // The square's corners (90°) are kept.
      for (const c of [0, 6, 42, 48]) {
        expect(mesh.positions[3 * c]).toBe(g.positions[3 * c]);
        expect(mesh.positions[3 * c + 1]).toBe(g.positions[3 * c + 1]);
      }
      expect(meshStats(mesh).boundaryLoopCount).toBe(1);
    }
    // Without the corner rule the B-spline boundary cuts the corners.
    const cut = loopSubdivide(g, 1, { cornerAngleDeg: 0 }).mesh;
    expect(cut.positions[0]).toBeCloseTo(1 / 6 / 8, 6); // 3/4·0 + 1/8·(1/6) + 1/8·0
  });

  it('reproduces affine functions exactly: UVs and extra attributes stay affine in position', () => {
    const g = grid(5, 0.35);
    // Tilt the plane into 3D, then define uv and two extra attributes as affine maps of position.
    const R = [0.8, 0, 0.6, 0, 1, 0, -0.6, 0, 0.8];
    const P = transformPositions(g.positions, R, [10, -5, 300], 80);
    const V = P.length / 3;
    const uvOf = (x: number, y: number, z: number, out: number[]) => {
      out[0] = 0.002 * x + 0.001 * y - 0.0005 * z + 0.3;
      out[1] = -0.001 * x + 0.003 * y + 0.0002 * z + 0.1;
    };
    const f = (x: number, y: number, z: number) => 0.5 * x - 0.25 * y + 2 * z - 7;
    const uvs = new Float32Array(2 * V), a1 = new Float32Array(V), a3 = new Float32Array(3 * V);
    const tmp = [0, 0];
    for (let v = 0; v < V; v++) {
      const x = P[3 * v]!, y = P[3 * v + 1]!, z = P[3 * v + 2]!;
      uvOf(x, y, z, tmp); uvs[2 * v] = tmp[0]!; uvs[2 * v + 1] = tmp[1]!;
      a1[v] = f(x, y, z);
      a3[3 * v] = z; a3[3 * v + 1] = -x; a3[3 * v + 2] = 1;
    }
    const src: Mesh = { positions: P, indices: g.indices, uvs };
    const before = { P: P.slice(), uvs: uvs.slice(), a1: a1.slice() };
    const { mesh, attributes } = loopSubdivide(src, 3, { attributes: [{ data: a1, size: 1 }, { data: a3, size: 3 }] });
    expect(attributes.length).toBe(2);
    const W = mesh.positions.length / 3;
    expect(attributes[0]!.length).toBe(W);
    expect(attributes[1]!.length).toBe(3 * W);
    const expUv = new Float32Array(2 * W), expA1 = new Float32Array(W), expA3 = new Float32Array(3 * W);
    for (let v = 0; v < W; v++) {
      const x = mesh.positions[3 * v]!, y = mesh.positions[3 * v + 1]!, z = mesh.positions[3 * v + 2]!;
      uvOf(x, y, z, tmp); expUv[2 * v] = tmp[0]!; expUv[2 * v + 1] = tmp[1]!;
      expA1[v] = f(x, y, z);
      expA3[3 * v] = z; expA3[3 * v + 1] = -x; expA3[3 * v + 2] = 1;
    }
    // float32 output of values ~300: ~3e-5 absolute rounding.
    expect(worst(mesh.uvs!, expUv).err).toBeLessThan(1e-6);
    expect(worst(attributes[0]!, expA1).err).toBeLessThan(2e-4);
    expect(worst(attributes[1]!, expA3).err).toBeLessThan(1e-4);
    // Inputs untouched.
    expect(P).toEqual(before.P);
    expect(uvs).toEqual(before.uvs);
    expect(a1).toEqual(before.a1);
  });

  it('keeps triangle winding and base vertex ids', () => {
    const g = grid(4, 0.2);
    const { mesh } = loopSubdivide(g, 2, { boundary: 'fixed' });
    const n = computeVertexNormals(mesh.positions, mesh.indices);
    for (let i = 2; i < n.length; i += 3) expect(n[i]).toBeCloseTo(1, 6);
    // Boundary vertices of the base keep their ids (and, with 'fixed', their positions).
    for (const v of boundaryVertices(g)) {
      expect(mesh.positions[3 * v]).toBe(g.positions[3 * v]);
      expect(mesh.positions[3 * v + 1]).toBe(g.positions[3 * v + 1]);
    }
  });

  it('matches the count formulas and recomputes normals/tangents only when the input had them', () => {
    const g = grid(3);
    const c = loopSubdivisionCounts(g.indices, 16, 3);
    expect(c[0]).toEqual({ vertices: 16, edges: 33, triangles: 18 });
    for (let l = 1; l <= 3; l++) {
      expect(c[l]).toEqual({ vertices: c[l - 1]!.vertices + c[l - 1]!.edges, edges: 2 * c[l - 1]!.edges + 3 * c[l - 1]!.triangles, triangles: 4 * c[l - 1]!.triangles });
    }
    const r = loopSubdivide(g, 3);
    expect(r.counts).toEqual(c);
    expect(r.mesh.normals).toBeUndefined();
    expect(r.mesh.uvs).toBeUndefined();
    const uvs = new Float32Array(32).map((_, i) => g.positions[3 * (i >> 1) + (i & 1)]!);
    const withN = loopSubdivide({ ...g, uvs, normals: new Float32Array(48), tangents: new Float32Array(64) }, 1).mesh;
    expect(withN.normals!.length).toBe(3 * c[1]!.vertices);
    expect(withN.tangents!.length).toBe(4 * c[1]!.vertices);
    expect(loopSubdivide(g, 0).mesh.positions).toEqual(g.positions);
  });

  it('uses Loop\'s original β', () => {
    expect(loopBeta(3)).toBeCloseTo(3 / 16, 12);
    expect(loopBeta(6)).toBeCloseTo(1 / 16, 12);
    expect(loopBeta(5)).toBeCloseTo((5 / 8 - (3 / 8 + Math.cos((2 * Math.PI) / 5) / 4) ** 2) / 5, 12);
  });

  it('rejects bad arguments with INVALID_OPTION', () => {
    const g = grid(2);
    const code = (f: () => unknown) => { try { f(); return 'ok'; } catch (e) { return isFaceDetailError(e, 'INVALID_OPTION') ? 'INVALID_OPTION' : String(e); } };
    expect(code(() => loopSubdivide(g, -1))).toBe('INVALID_OPTION');
    expect(code(() => loopSubdivide(g, 1.5))).toBe('INVALID_OPTION');
    expect(code(() => loopSubdivide({ ...g, indices: new Uint32Array([0, 1, 99]) }, 1))).toBe('INVALID_OPTION');
    expect(code(() => loopSubdivide(g, 1, { attributes: [{ data: new Float32Array(5), size: 2 }] }))).toBe('INVALID_OPTION');
  });

  it('subdivides the real MediaPipe face mesh (Human triangulation), keeping its boundary loops', async () => {
    // Human's exports map has no './'-prefixed subpaths, so load the file by URL (pure JS, ~0.1 s).
    const url = new URL('../../node_modules/@vladmandic/human/dist/human.node-wasm.js', import.meta.url).href;
    const mod = (await import(/* @vite-ignore */ url)) as unknown as { Human: new (c: object) => { faceTriangulation: number[]; faceUVMap: number[][] } };
    const human = new mod.Human({ debug: false });
    const indices = Uint32Array.from(human.faceTriangulation);
    const uvm = human.faceUVMap;
    const V = uvm.length;
    expect(V).toBe(468);
    const positions = new Float32Array(3 * V), uvs = new Float32Array(2 * V);
    for (let i = 0; i < V; i++) {
      const u = uvm[i]![0]!, v = uvm[i]![1]!;
      // A dome-shaped fake face, 150 mm wide, y down, z away from the camera.
      positions[3 * i] = (u - 0.5) * 150; positions[3 * i + 1] = (v - 0.5) * 150;
      positions[3 * i + 2] = 500 - 40 * Math.cos((u - 0.5) * 2.5) * Math.cos((v - 0.5) * 2);
      uvs[2 * i] = u; uvs[2 * i + 1] = v;
    }
    const base: Mesh = { positions, indices, uvs };
    const s0 = meshStats(base);
    const { mesh, counts } = loopSubdivide(base, 4, { attributes: [{ data: uvs, size: 2 }] });
    expect(counts).toEqual(loopSubdivisionCounts(indices, V, 4));
    expect(counts[4]!.vertices).toBe(113088);
    const s4 = meshStats(mesh);
    expect(s4.boundaryLoopCount).toBe(s0.boundaryLoopCount);
    expect(s4.eulerCharacteristic).toBe(s0.eulerCharacteristic);
    expect(s4.nonManifoldEdgeCount).toBe(0);
    let minU = Infinity, maxU = -Infinity;
    for (const x of mesh.uvs!) { minU = Math.min(minU, x); maxU = Math.max(maxU, x); }
    expect(minU).toBeGreaterThanOrEqual(0);
    expect(maxU).toBeLessThanOrEqual(1);
    // No fold anywhere, in particular at the mouth-slit tips (~340° surface angle): every UV
    // triangle keeps the base orientation (clockwise in u-right/v-down coordinates).
    let folds = 0;
    const U = mesh.uvs!, I = mesh.indices;
    for (let t = 0; t < I.length; t += 3) {
      const a = I[t]!, b = I[t + 1]!, c = I[t + 2]!;
      const area = (U[2 * b]! - U[2 * a]!) * (U[2 * c + 1]! - U[2 * a + 1]!) - (U[2 * c]! - U[2 * a]!) * (U[2 * b + 1]! - U[2 * a + 1]!);
      if (!(area < 0)) folds++;
    }
    expect(folds).toBe(0);
    // Outward normals (toward the camera, −z) everywhere on the dome.
    const n = computeVertexNormals(mesh.positions, mesh.indices);
    let bad = 0;
    for (let i = 2; i < n.length; i += 3) if (n[i]! >= 0) bad++;
    expect(bad).toBe(0);
  });
});

describe('computeVertexNormals', () => {
  it('matches radial directions on a subdivided sphere', () => {
    const { mesh } = loopSubdivide(icosahedron(), 3);
    const P = mesh.positions;
    for (let i = 0; i < P.length; i += 3) {
      const r = Math.hypot(P[i]!, P[i + 1]!, P[i + 2]!);
      P[i]! /= r; P[i + 1]! /= r; P[i + 2]! /= r;
    }
    for (const weighting of ['angle', 'area'] as const) {
      const n = computeVertexNormals(P, mesh.indices, undefined, { weighting });
      let worstDeg = 0;
      for (let i = 0; i < P.length; i += 3) {
        expect(Math.hypot(n[i]!, n[i + 1]!, n[i + 2]!)).toBeCloseTo(1, 6);
        const d = n[i]! * P[i]! + n[i + 1]! * P[i + 1]! + n[i + 2]! * P[i + 2]!;
        worstDeg = Math.max(worstDeg, (Math.acos(Math.min(1, d)) * 180) / Math.PI);
      }
      expect(worstDeg).toBeLessThan(0.5);
    }
  });

  it('is angle-weighted (independent of the triangulation) and follows winding', () => {
    // Corner of the unit cube at the origin: the faces z = 0, x = 0, y = 0 (outward normals −z,
    // −x, −y), triangulated differently: 2, 2 and 2 triangles at the corner, of unequal areas.
    const P = new Float32Array([0, 0, 0, 1, 0, 0, 1, 1, 0, 0, 1, 0, 0, 1, 1, 0, 0, 1, 1, 0, 1, 0.5, 0, 1]);
    const I = new Uint32Array([
      0, 2, 1, 0, 3, 2, // z = 0: areas 0.5 + 0.5 at the corner
      0, 4, 3, 0, 5, 4, // x = 0: 0.5 + 0.5
      0, 1, 7, 1, 6, 7, 0, 7, 5, // y = 0: 0.5 + 0.25 at the corner (1–6–7 does not touch it)
    ]);
    const n = computeVertexNormals(P, I);
    const k = -1 / Math.sqrt(3);
    expect(worst(n.subarray(0, 3), [k, k, k]).err).toBeLessThan(1e-6);
    const f = computeVertexNormals(P, flipWinding(I));
    expect(worst(f.subarray(0, 3), [-k, -k, -k]).err).toBeLessThan(1e-6);
    // Area weighting is not triangulation-invariant here.
    const a = computeVertexNormals(P, I, undefined, { weighting: 'area' });
    expect(worst(a.subarray(0, 3), [k, k, k]).err).toBeGreaterThan(0.01);
  });
});

describe('computeTangents', () => {
  /** Plane z = 0 (normal +z) with uv = (±x, −y)·0.8 + offsets: v grows downward = toward −y. */
  function uvPlane(mirror: boolean): Mesh {
    const g = grid(4, 0.25);
    const V = g.positions.length / 3;
    const uvs = new Float32Array(2 * V);
    for (let v = 0; v < V; v++) {
      const x = g.positions[3 * v]!, y = g.positions[3 * v + 1]!;
      uvs[2 * v] = mirror ? 0.9 - 0.8 * x : 0.1 + 0.8 * x;
      uvs[2 * v + 1] = 0.9 - 0.8 * y;
    }
    return { ...g, uvs, normals: computeVertexNormals(g.positions, g.indices) };
  }

  for (const mirror of [false, true]) {
    it(`points T along +u and B = cross(N, T)·w along −v (${mirror ? 'mirrored, w = −1' : 'w = +1'})`, () => {
      const m = uvPlane(mirror);
      const t = computeTangents(m.positions, m.normals!, m.uvs!, m.indices);
      const V = m.positions.length / 3;
      const tx = mirror ? -1 : 1, w = mirror ? -1 : 1;
      for (let v = 0; v < V; v++) {
        expect(worst(t.subarray(4 * v, 4 * v + 4), [tx, 0, 0, w]).err).toBeLessThan(1e-6);
        // B = cross(N, T)·w with N = +z.
        const bx = -t[4 * v + 1]! * t[4 * v + 3]!, by = t[4 * v]! * t[4 * v + 3]!;
        // Direction of decreasing stored v is +y on this plane.
        expect(bx).toBeCloseTo(0, 6);
        expect(by).toBeCloseTo(1, 6);
      }
    });
  }

  it('gives unit tangents orthogonal to the normal on a curved UV-mapped surface', () => {
    // Cylinder patch: x = sin θ, z = −cos θ, y; u = θ, v = −y (v down).
    const g = grid(8, 0.2);
    const V = g.positions.length / 3;
    const P = new Float32Array(3 * V), uvs = new Float32Array(2 * V);
    for (let v = 0; v < V; v++) {
      const th = g.positions[3 * v]! - 0.5, y = g.positions[3 * v + 1]!;
      P[3 * v] = Math.sin(th); P[3 * v + 1] = y; P[3 * v + 2] = -Math.cos(th);
      uvs[2 * v] = th + 0.5; uvs[2 * v + 1] = 1 - y;
    }
    const n = computeVertexNormals(P, g.indices);
    const t = computeTangents(P, n, uvs, g.indices);
    for (let v = 0; v < V; v++) {
      const T = t.subarray(4 * v, 4 * v + 3), N = n.subarray(3 * v, 3 * v + 3);
      expect(Math.hypot(T[0]!, T[1]!, T[2]!)).toBeCloseTo(1, 6);
      expect(T[0]! * N[0]! + T[1]! * N[1]! + T[2]! * N[2]!).toBeCloseTo(0, 6);
      // ∂P/∂u = (cos θ, 0, sin θ); T follows it within a few degrees (discretisation).
      const th = uvs[2 * v]! - 0.5;
      expect(T[0]! * Math.cos(th) + T[2]! * Math.sin(th)).toBeGreaterThan(0.995);
      expect(t[4 * v + 3]).toBe(1);
    }
  });

  it('encodes and decodes tangent-space normals through the same per-texel frame', () => {
    for (const mirror of [false, true]) {
      const m = uvPlane(mirror);
      const t = computeTangents(m.positions, m.normals!, m.uvs!, m.indices);
      const frame = new Float64Array(9), tn = new Float64Array(3), back = new Float64Array(3);
      const [a, b, c] = [m.indices[0]!, m.indices[1]!, m.indices[2]!];
      tangentFrameAt(m.normals!, t, a, b, c, 0.2, 0.3, 0.5, frame);
      // The surface normal itself is (0, 0, 1) in tangent space.
      objectToTangent(frame, 0, 0, 1, tn);
      expect(worst(tn, [0, 0, 1]).err).toBeLessThan(1e-6);
      // +y on the plane (image "up") is +Y in tangent space in both layouts.
      objectToTangent(frame, 0, 1, 0, tn);
      expect(worst(tn, [0, 1, 0]).err).toBeLessThan(1e-6);
      objectToTangent(frame, 1, 0, 0, tn);
      expect(worst(tn, [mirror ? -1 : 1, 0, 0]).err).toBeLessThan(1e-6);
      const n = [0.3, -0.2, 0.9];
      const l = Math.hypot(...n);
      objectToTangent(frame, n[0]!, n[1]!, n[2]!, tn);
      tangentToObject(frame, tn[0]!, tn[1]!, tn[2]!, back);
      expect(worst(back, n.map((x) => x / l)).err).toBeLessThan(1e-6);
    }
  });
});

describe('displaceMesh', () => {
  it('moves each vertex along its normal by exactly the map value at its UV', () => {
    // 5×5 vertex plane at z = 0 whose UVs hit the centres of even texels of a 10×10 map.
    const n = 4, W = 10;
    const g = grid(n);
    const V = g.positions.length / 3;
    const uvs = new Float32Array(2 * V);
    for (let v = 0; v < V; v++) {
      const i = Math.round(g.positions[3 * v]! * n), j = Math.round(g.positions[3 * v + 1]! * n);
      uvs[2 * v] = (2 * i + 0.5) / W; uvs[2 * v + 1] = (2 * j + 0.5) / W;
    }
    const map: Image = { width: W, height: W, channels: 1, data: new Float32Array(W * W) };
    for (let k = 0; k < W * W; k++) map.data[k] = 0.01 * ((k * 37) % 23) - 0.1;
    const src: Mesh = { ...g, uvs, normals: computeVertexNormals(g.positions, g.indices) };
    const pBefore = g.positions.slice();
    const out = displaceMesh(src, map, { strength: 2, scale: 1.5, offset: 0.05 });
    for (let v = 0; v < V; v++) {
      const i = Math.round(g.positions[3 * v]! * n), j = Math.round(g.positions[3 * v + 1]! * n);
      const m = map.data[2 * j * W + 2 * i]!;
      expect(out.positions[3 * v + 2]).toBeCloseTo(2 * (1.5 * m + 0.05), 6);
      expect(out.positions[3 * v]).toBe(g.positions[3 * v]);
      expect(out.positions[3 * v + 1]).toBe(g.positions[3 * v + 1]);
    }
    expect(g.positions).toEqual(pBefore);
    expect(out.normals!.length).toBe(3 * V);
    expect(out.tangents).toBeUndefined();
    // A constant map shifts the plane: normals stay +z; tangents recomputed when present.
    const flat: Image = { width: 2, height: 2, channels: 1, data: new Float32Array(4).fill(0.7) };
    const shifted = displaceMesh({ ...src, tangents: new Float32Array(4 * V) }, flat);
    for (let v = 0; v < V; v++) {
      expect(shifted.positions[3 * v + 2]).toBeCloseTo(0.7, 6);
      expect(shifted.normals![3 * v + 2]).toBeCloseTo(1, 6);
      expect(shifted.tangents![4 * v]).toBeCloseTo(1, 6);
    }
  });

  it('displaces along curved normals (sphere grows by the map value)', () => {
    const { mesh } = loopSubdivide(icosahedron(), 2);
    const P = mesh.positions;
    for (let i = 0; i < P.length; i += 3) {
      const r = Math.hypot(P[i]!, P[i + 1]!, P[i + 2]!);
      P[i]! /= r; P[i + 1]! /= r; P[i + 2]! /= r;
    }
    const V = P.length / 3;
    const sphere: Mesh = { ...mesh, uvs: new Float32Array(2 * V).fill(0.5), normals: computeVertexNormals(P, mesh.indices) };
    const out = displaceMesh(sphere, { width: 1, height: 1, channels: 1, data: new Float32Array([0.25]) });
    const { min, max } = radii(out.positions);
    // Vertex normals deviate < 0.5° from radial, so the radius changes by 0.25·cos(<0.5°).
    expect(min).toBeGreaterThan(1.25 - 1e-4);
    expect(max).toBeLessThan(1.25 + 1e-4);
  });
});

describe('mesh utils', () => {
  it('transforms, bounds and flips', () => {
    const P = new Float32Array([1, 0, 0, 0, 2, 0]);
    const R = [0, -1, 0, 1, 0, 0, 0, 0, 1]; // +90° about z
    const out = transformPositions(P, R, [10, 20, 30], 2);
    expect(Array.from(out)).toEqual([10, 22, 30, 6, 20, 30]);
    expect(Array.from(computeBounds(out))).toEqual([6, 20, 30, 10, 22, 30]);
    expect(Array.from(flipWinding(new Uint32Array([0, 1, 2, 3, 4, 5])))).toEqual([0, 2, 1, 3, 5, 4]);
  });

  it('reports topology', () => {
    const s = meshStats(grid(3));
    expect(s).toMatchObject({ vertexCount: 16, triangleCount: 18, edgeCount: 33, boundaryEdgeCount: 12, boundaryLoopCount: 1, eulerCharacteristic: 1, nonManifoldEdgeCount: 0, unusedVertexCount: 0 });
    expect(s.surfaceArea).toBeCloseTo(1, 6);
  });
});

import { describe, expect, it } from 'vitest';
import { fitLighting } from '../../src/core/lighting/fit-lighting.js';
import { directionalSH, evalSH, shBasis } from '../../src/core/lighting/sh.js';
import { computeOcclusion, pointOcclusion } from '../../src/core/lighting/visibility.js';
import type { UVGeometry } from '../../src/core/unwrap/uv-geometry.js';

/** A square of side 2h at height z (normal ±z), two triangles. */
function square(h: number, z: number): { positions: number[]; indices: number[] } {
  return { positions: [-h, -h, z, h, -h, z, h, h, z, -h, h, z], indices: [0, 1, 2, 0, 2, 3] };
}

/** A closed axis-aligned box [x0,x1]×[y0,y1]×[z0,z1]. */
function box(x0: number, x1: number, y0: number, y1: number, z0: number, z1: number, base = 0): { positions: number[]; indices: number[] } {
  const p: number[] = [];
  for (let i = 0; i < 8; i++) p.push(i & 1 ? x1 : x0, i & 2 ? y1 : y0, i & 4 ? z1 : z0);
  const f = [[0, 1, 3, 2], [4, 6, 7, 5], [0, 4, 5, 1], [2, 3, 7, 6], [0, 2, 6, 4], [1, 5, 7, 3]];
  const idx: number[] = [];
  for (const [a, b, c, d] of f) idx.push(base + a!, base + b!, base + c!, base + a!, base + c!, base + d!);
  return { positions: p, indices: idx };
}

function merge(...ms: Array<{ positions: number[]; indices: number[] }>): { positions: Float32Array; indices: Uint32Array } {
  const pos: number[] = [], idx: number[] = [];
  for (const m of ms) { const o = pos.length / 3; pos.push(...m.positions); idx.push(...m.indices.map((i) => i + o)); }
  return { positions: Float32Array.from(pos), indices: Uint32Array.from(idx) };
}

describe('pointOcclusion', () => {
  it('an unoccluded point (a point above a plane facing away from it) has no blocked transfer: T = Y(n) exactly', () => {
    const plane = merge(square(100, 0));
    const r = pointOcclusion(plane, [3, -2, -1], [0, 0, -1]);
    for (let k = 0; k < 9; k++) expect(r.blocked[k]).toBe(0);
    expect(r.visibility[0]).toBe(1);
  });

  it('a point under a square roof of half-width a at height H: ambient occlusion matches the closed form', () => {
    // Floor point at the origin, normal +z; an opaque square of half-width a at height H above it
    // (a "ceiling"). Cosine-weighted visible fraction = 1 − (form factor of the square), and the
    // form factor of a square of side 2a centred above the point at distance H is
    // (4/π)·[a/√(a²+H²)]·atan(a/√(a²+H²)) … (the closed form for a rectangle, parallel, centred).
    const a = 30, H = 30;
    const occ = merge(square(a, H));
    const r = pointOcclusion(occ, [0, 0, 0], [0, 0, 1], { directions: 1024, mapSize: 256 });
    const s = a / Math.sqrt(a * a + H * H);
    const ff = (4 / Math.PI) * s * Math.atan(s);
    expect(r.visibility[0]).toBeCloseTo(1 - ff, 1);
    expect(Math.abs(r.visibility[0]! - (1 - ff))).toBeLessThan(0.03);
  });

  it('a point beside a tall box is occluded on the box side only: the blocked band-1 points toward the box', () => {
    const occ = merge(square(200, 0), box(10, 40, -100, 100, 0, 200));
    const r = pointOcclusion(occ, [0, 0, 0.5], [0, 0, 1], { directions: 1024, mapSize: 256 });
    // Y11 ∝ x: the blocked light comes from +x.
    expect(r.blocked[3]!).toBeGreaterThan(0.1);
    expect(Math.abs(r.blocked[1]!)).toBeLessThan(0.05 * r.blocked[3]!);
    expect(r.visibility[0]!).toBeGreaterThan(0.5);
    expect(r.visibility[0]!).toBeLessThan(0.9);
  });

  it('checks its options with the project wording', () => {
    expect(() => pointOcclusion(merge(square(1, 0)), [0, 0, 0], [0, 0, 1], { directions: 0 })).toThrow('directions: expected an integer ≥ 1, received 0');
    expect(() => pointOcclusion(merge(square(1, 0)), [0, 0, 0], [0, 0], {})).toThrow('normals: expected length 3 (3 per point), received 2');
  });
});

/** A plane z = 0 (normal toward the camera: −z) with a wall along x = 0 rising toward the camera (z < 0) on its +x side, as a UV geometry of G² texels over x, y ∈ [−50, 50]. */
function occludedPlaneGeometry(G: number): { geom: UVGeometry; occluder: { positions: Float32Array; indices: Uint32Array } } {
  const n = G * G;
  const position = new Float32Array(3 * n), normal = new Float32Array(3 * n), coverage = new Uint8Array(n).fill(1);
  for (let j = 0; j < G; j++) for (let i = 0; i < G; i++) {
    const k = j * G + i;
    position[3 * k] = -50 + (100 * (i + 0.5)) / G; position[3 * k + 1] = -50 + (100 * (j + 0.5)) / G; position[3 * k + 2] = 0;
    normal[3 * k + 2] = -1;
  }
  const floor = { positions: [-60, -60, 0, 60, -60, 0, 60, 60, 0, -60, 60, 0], indices: [0, 1, 2, 0, 2, 3] };
  const wall = box(55, 60, -60, 60, -80, 0);
  const geom = { width: G, height: G, coverage, position, normal, triangle: new Int32Array(n), dPdu: new Float32Array(3 * n), dPdv: new Float32Array(3 * n) } as UVGeometry;
  return { geom, occluder: merge(floor, wall) };
}

describe('computeOcclusion and the lighting fit through the transfer', () => {
  it('recovers a known light from an image rendered with the same transfer (the shading at the normals, not the raw coefficients)', () => {
    const G = 48;
    const { geom, occluder } = occludedPlaneGeometry(G);
    // The same plane, but with normals tilted over a cap so that the SH is observable.
    for (let j = 0; j < G; j++) for (let i = 0; i < G; i++) {
      const k = j * G + i, x = (i + 0.5) / G - 0.5, y = (j + 0.5) / G - 0.5;
      const l = Math.hypot(1.4 * x, 1.4 * y, 1);
      geom.normal[3 * k] = (1.4 * x) / l; geom.normal[3 * k + 1] = (1.4 * y) / l; geom.normal[3 * k + 2] = -1 / l;
    }
    const occ = computeOcclusion(geom, occluder, { gridSize: 24, directions: 256 });
    expect(occ.meanVisibility).toBeLessThan(1);
    const truth = directionalSH(0.6, -0.3, -0.74, [0.9, 0.8, 0.7], 0.25);
    const W = G, tex = new Float32Array(3 * W * W), b = new Float64Array(9);
    const fitOnGrid = (i: number, j: number, out: Float64Array): void => {
      const fx = ((i + 0.5) * occ.size) / W - 0.5, fy = ((j + 0.5) * occ.size) / W - 0.5;
      const ix = Math.max(0, Math.min(occ.size - 2, Math.floor(fx))), iy = Math.max(0, Math.min(occ.size - 2, Math.floor(fy)));
      const ax = Math.min(1, Math.max(0, fx - ix)), ay = Math.min(1, Math.max(0, fy - iy));
      out.fill(0);
      for (const [dx, dy, w] of [[0, 0, (1 - ax) * (1 - ay)], [1, 0, ax * (1 - ay)], [0, 1, (1 - ax) * ay], [1, 1, ax * ay]] as const) {
        const c = (iy + dy) * occ.size + ix + dx;
        for (let q = 0; q < 9; q++) out[q]! += w * occ.blocked[9 * c + q]!;
      }
    };
    const bl = new Float64Array(9);
    for (let k = 0; k < W * W; k++) {
      const i = k % W, j = Math.floor(k / W);
      shBasis(geom.normal[3 * k]!, geom.normal[3 * k + 1]!, geom.normal[3 * k + 2]!, b);
      fitOnGrid(i, j, bl);
      for (let c = 0; c < 3; c++) {
        let s = 0;
        for (let q = 0; q < 9; q++) s += truth[c * 9 + q]! * (b[q]! - bl[q]!);
        tex[3 * k + c] = 0.5 * s;
      }
    }
    const weights = new Float32Array(W * W).fill(1);
    const img = { width: W, height: W, channels: 3, data: tex };
    const withT = fitLighting(img, geom, weights, { occlusion: occ, stride: 1, loss: 'none' });
    const without = fitLighting(img, geom, weights, { stride: 1, loss: 'none' });
    // Predicted texture (albedo · shadowed shading) against the image, relative RMS.
    const err = (fit: typeof withT, useT: boolean): number => {
      let e = 0, m = 0;
      for (let k = 0; k < W * W; k++) {
        const i = k % W, j = Math.floor(k / W);
        fitOnGrid(i, j, bl);
        shBasis(geom.normal[3 * k]!, geom.normal[3 * k + 1]!, geom.normal[3 * k + 2]!, b);
        for (let c = 0; c < 3; c++) {
          let s = evalSH(fit.coefficients, c, geom.normal[3 * k]!, geom.normal[3 * k + 1]!, geom.normal[3 * k + 2]!);
          if (useT) for (let q = 0; q < 9; q++) s -= fit.coefficients[c * 9 + q]! * bl[q]!;
          e += (fit.meanSkinAlbedo[c]! * s - tex[3 * k + c]!) ** 2; m += tex[3 * k + c]! ** 2;
        }
      }
      return Math.sqrt(e / m);
    };
    expect(err(withT, true)).toBeLessThan(0.02);
    expect(err(without, false)).toBeGreaterThan(2 * err(withT, true));
  });
});

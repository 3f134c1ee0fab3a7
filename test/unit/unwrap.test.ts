import { describe, expect, it } from 'vitest';
import { createImage, srgbImageToLinear, srgbImageToLinearInto } from '../../src/core/image/image.js';
import { renderDepth } from '../../src/core/raster/depth.js';
import { rasterizeTriangles } from '../../src/core/raster/rasterize.js';
import type { Camera, Image, Mesh } from '../../src/core/types.js';
import { FILL_SOURCE, fillTexture, membraneFill, prepareFill, runMembrane } from '../../src/core/unwrap/fill.js';
import { clearUVLayoutCache, rasterizeAttribute, rasterizeUV, uvFrame, uvLayoutCacheStats } from '../../src/core/unwrap/rasterize-uv.js';
import { unwrapTexture } from '../../src/core/unwrap/unwrap-texture.js';

// ---------------------------------------------------------------------------------------------
// Procedural fixtures

type Vec3 = [number, number, number];

/**
 * A (ns+1)×(nt+1)-vertex grid patch: parameter (s, t) ∈ [0,1]² maps to the surface point
 * `surf(s, t)`, normal `norm(s, t)` and UV `uv0 + (uv1 − uv0)·(s, t)`.
 */
function gridMesh(
  ns: number, nt: number,
  uv0: [number, number], uv1: [number, number],
  surf: (s: number, t: number) => Vec3,
  norm: (s: number, t: number) => Vec3,
): Mesh {
  const nv = (ns + 1) * (nt + 1);
  const positions = new Float32Array(3 * nv), normals = new Float32Array(3 * nv), uvs = new Float32Array(2 * nv);
  for (let j = 0; j <= nt; j++) {
    for (let i = 0; i <= ns; i++) {
      const v = j * (ns + 1) + i, s = i / ns, t = j / nt;
      positions.set(surf(s, t), 3 * v);
      normals.set(norm(s, t), 3 * v);
      uvs[2 * v] = uv0[0] + (uv1[0] - uv0[0]) * s;
      uvs[2 * v + 1] = uv0[1] + (uv1[1] - uv0[1]) * t;
    }
  }
  const idx: number[] = [];
  for (let j = 0; j < nt; j++) {
    for (let i = 0; i < ns; i++) {
      const a = j * (ns + 1) + i, b = a + 1, c = a + ns + 1, d = c + 1;
      idx.push(a, b, d, a, d, c);
    }
  }
  return { positions, normals, uvs, indices: new Uint32Array(idx) };
}

function mergeMeshes(...ms: Mesh[]): Mesh {
  let nv = 0, ni = 0;
  for (const m of ms) { nv += m.positions.length / 3; ni += m.indices.length; }
  const positions = new Float32Array(3 * nv), normals = new Float32Array(3 * nv), uvs = new Float32Array(2 * nv);
  const indices = new Uint32Array(ni);
  let ov = 0, oi = 0;
  for (const m of ms) {
    positions.set(m.positions, 3 * ov); normals.set(m.normals!, 3 * ov); uvs.set(m.uvs!, 2 * ov);
    for (let k = 0; k < m.indices.length; k++) indices[oi + k] = m.indices[k]! + ov;
    ov += m.positions.length / 3; oi += m.indices.length;
  }
  return { positions, normals, uvs, indices };
}

const normalize = (v: Vec3): Vec3 => { const l = Math.hypot(...v); return [v[0] / l, v[1] / l, v[2] / l]; };

/** Smooth colour as a function of the surface point (mm). */
function colourAt(x: number, y: number, z: number): Vec3 {
  return [
    0.5 + 0.3 * Math.sin(x / 9),
    0.5 + 0.3 * Math.cos(y / 11),
    0.5 + 0.2 * Math.sin((x + y) / 13 + z / 7),
  ];
}

/** Render `mesh` with a z-buffer, colouring each pixel centre by `colour` of its surface point. */
function renderPhoto(mesh: Mesh, cam: Camera, colour: (x: number, y: number, z: number) => Vec3 = colourAt): Image {
  const img = createImage(cam.width, cam.height, 3);
  const zbuf = new Float64Array(cam.width * cam.height).fill(Infinity);
  const P = mesh.positions, nv = P.length / 3;
  const xy = new Float64Array(2 * nv);
  for (let v = 0; v < nv; v++) {
    xy[2 * v] = (cam.fx * P[3 * v]!) / P[3 * v + 2]! + cam.cx;
    xy[2 * v + 1] = (cam.fy * P[3 * v + 1]!) / P[3 * v + 2]! + cam.cy;
  }
  const I = mesh.indices;
  rasterizeTriangles(cam.width, cam.height, xy, I, (x, y, t, b0, b1, b2) => {
    const i0 = I[3 * t]!, i1 = I[3 * t + 1]!, i2 = I[3 * t + 2]!;
    const w0 = b0 / P[3 * i0 + 2]!, w1 = b1 / P[3 * i1 + 2]!, w2 = b2 / P[3 * i2 + 2]!;
    const s = w0 + w1 + w2;
    const q = [0, 1, 2].map((c) => (w0 * P[3 * i0 + c]! + w1 * P[3 * i1 + c]! + w2 * P[3 * i2 + c]!) / s) as Vec3;
    const k = y * cam.width + x;
    if (q[2] >= zbuf[k]!) return;
    zbuf[k] = q[2];
    img.data.set(colour(...q), 3 * k);
  });
  return img;
}

const CAM: Camera = { width: 640, height: 480, fx: 700, fy: 700, cx: 320, cy: 240, focalSource: 'user' };

/** Gnomonic sphere cap facing the camera: centre (0,0,500) mm, R 70 mm, directions ((2s−1)k, (2t−1)k, −1). */
const SPHERE = { c: [0, 0, 500] as Vec3, r: 70, k: 3 };
function sphereCap(ns: number, uv0: [number, number], uv1: [number, number]): Mesh {
  const dir = (s: number, t: number): Vec3 => normalize([(2 * s - 1) * SPHERE.k, (2 * t - 1) * SPHERE.k, -1]);
  return gridMesh(ns, ns, uv0, uv1, (s, t) => {
    const d = dir(s, t);
    return [SPHERE.c[0] + SPHERE.r * d[0], SPHERE.c[1] + SPHERE.r * d[1], SPHERE.c[2] + SPHERE.r * d[2]];
  }, dir);
}

/** Worst offender helper: returns [max, index]. */
function worst(values: ArrayLike<number>): [number, number] {
  let m = -Infinity, at = -1;
  for (let i = 0; i < values.length; i++) if (values[i]! > m) { m = values[i]!; at = i; }
  return [m, at];
}

// ---------------------------------------------------------------------------------------------

describe('UV layout cache', () => {
  const curved = (bend: number) => gridMesh(12, 9, [0.05, 0.1], [0.95, 0.9],
    (u, v) => [80 * u, 60 * v, 500 + bend * Math.sin(3 * u + v)],
    (u) => normalize([-bend * 3 * Math.cos(3 * u), 0, -1]));

  it('a second face with the same UVs and triangles reuses the layout and gives what a cold rasterization gives', () => {
    clearUVLayoutCache();
    const a = curved(5), b = curved(11);
    rasterizeUV(a, 96, 80);
    const before = uvLayoutCacheStats();
    const warm = rasterizeUV({ ...b, uvs: b.uvs!.slice(), indices: b.indices.slice() }, 96, 80);
    expect(uvLayoutCacheStats().hits).toBe(before.hits + 1);
    clearUVLayoutCache();
    const cold = rasterizeUV(b, 96, 80);
    expect(uvLayoutCacheStats()).toEqual({ hits: 0, misses: 1, stored: 0 });
    for (const k of ['coverage', 'triangle', 'position', 'normal', 'dPdu', 'dPdv', 'bary'] as const) expect(warm[k]).toEqual(cold[k]);
  });

  it('other UVs or another size miss; a caller changing its result does not change the next one', () => {
    clearUVLayoutCache();
    const m = curved(5);
    const first = rasterizeUV(m, 64, 64);
    first.coverage.fill(0);
    first.triangle.fill(-1);
    const again = rasterizeUV(m, 64, 64);
    expect(again.coverage.some((c) => c === 1)).toBe(true);
    const shifted = { ...m, uvs: m.uvs!.map((x, i) => (i % 2 === 0 ? x * 0.9 : x)) };
    const misses = uvLayoutCacheStats().misses;
    rasterizeUV(shifted, 64, 64);
    rasterizeUV(m, 64, 48);
    expect(uvLayoutCacheStats().misses).toBe(misses + 2);
  });

  it('uvFrame gives exactly rasterizeUV’s normals and rasterizeAttribute’s tangents', () => {
    const m = curved(8);
    const tangents = new Float32Array((m.positions.length / 3) * 4).map((_, i) => Math.sin(i * 0.37));
    const mesh = { ...m, tangents };
    const g = rasterizeUV(mesh, 70, 50);
    const f = uvFrame(mesh, 70, 50);
    expect(f.coverage).toEqual(g.coverage);
    expect(f.normal).toEqual(g.normal);
    expect(f.tangent).toEqual(rasterizeAttribute(g, mesh, tangents, 4));
  });
});

describe('rasterizeUV', () => {
  it('reproduces a plane patch exactly: positions, normals, Jacobian (v down), coverage', () => {
    const W = 64, H = 48;
    const O: Vec3 = [-30, 20, 520], A: Vec3 = [80, 10, 25], B: Vec3 = [-15, 60, 30];
    const n = normalize([A[1] * B[2] - A[2] * B[1], A[2] * B[0] - A[0] * B[2], A[0] * B[1] - A[1] * B[0]]);
    const mesh = gridMesh(5, 4, [0.1, 0.1], [0.9, 0.9],
      (s, t) => [O[0] + A[0] * s + B[0] * t, O[1] + A[1] * s + B[1] * t, O[2] + A[2] * s + B[2] * t], () => n);
    const g = rasterizeUV(mesh, W, H);
    // Texel centres strictly inside [0.1, 0.9]² are covered: x+0.5 ∈ (6.4, 57.6), y+0.5 ∈ (4.8, 43.2): 52 × 38.
    let count = 0;
    for (let k = 0; k < W * H; k++) count += g.coverage[k]!;
    expect(count).toBe(52 * 38);
    const mmPerTexel = Math.hypot(...A) / (0.8 * W);
    const errs: number[] = [];
    for (let j = 0; j < H; j++) {
      for (let i = 0; i < W; i++) {
        const k = j * W + i;
        const inside = (i + 0.5) / W > 0.1 && (i + 0.5) / W < 0.9 && (j + 0.5) / H > 0.1 && (j + 0.5) / H < 0.9;
        expect(g.coverage[k]).toBe(inside ? 1 : 0);
        if (!inside) { expect(g.triangle[k]).toBe(-1); continue; }
        const s = ((i + 0.5) / W - 0.1) / 0.8, t = ((j + 0.5) / H - 0.1) / 0.8;
        let e = 0;
        for (let c = 0; c < 3; c++) e = Math.max(e, Math.abs(g.position[3 * k + c]! - (O[c]! + A[c]! * s + B[c]! * t)));
        errs.push(e);
        for (let c = 0; c < 3; c++) {
          expect(g.normal[3 * k + c]).toBeCloseTo(n[c]!, 5);
          expect(g.dPdu[3 * k + c]!).toBeCloseTo(A[c]! / (0.8 * W), 5);
          expect(g.dPdv[3 * k + c]!).toBeCloseTo(B[c]! / (0.8 * H), 5); // +v = one row down
        }
        const b = g.bary!;
        expect(b[3 * k]! + b[3 * k + 1]! + b[3 * k + 2]!).toBeCloseTo(1, 5);
      }
    }
    const [e] = worst(errs);
    expect(e).toBeLessThan(0.01 * mmPerTexel); // vertices snap to 1/256 texel
  });

  it('matches a cylinder patch within the chord error; ∂P/∂u matches finite differences', () => {
    const W = 128, H = 64, R = 60, span = 2, ns = 40;
    const phi = (s: number) => (s - 0.5) * span;
    const mesh = gridMesh(ns, 2, [0.05, 0.1], [0.95, 0.9],
      (s, t) => [R * Math.sin(phi(s)), -50 + 100 * t, 500 - R * Math.cos(phi(s))],
      (s) => [Math.sin(phi(s)), 0, -Math.cos(phi(s))]);
    const g = rasterizeUV(mesh, W, H);
    const dphi = span / ns;
    const sag = R * (1 - Math.cos(dphi / 2));
    let posErr = 0, nErr = 0, jacErr = 0, fdErr = 0, fdCount = 0;
    for (let j = 0; j < H; j++) {
      for (let i = 0; i < W; i++) {
        const k = j * W + i;
        if (!g.coverage[k]) continue;
        const s = ((i + 0.5) / W - 0.05) / 0.9, t = ((j + 0.5) / H - 0.1) / 0.8;
        const p = phi(s);
        const P: Vec3 = [R * Math.sin(p), -50 + 100 * t, 500 - R * Math.cos(p)];
        const N: Vec3 = [Math.sin(p), 0, -Math.cos(p)];
        posErr = Math.max(posErr, Math.hypot(g.position[3 * k]! - P[0], g.position[3 * k + 1]! - P[1], g.position[3 * k + 2]! - P[2]));
        nErr = Math.max(nErr, Math.acos(Math.min(1, g.normal[3 * k]! * N[0] + g.normal[3 * k + 1]! * N[1] + g.normal[3 * k + 2]! * N[2])));
        // Analytic ∂P/∂(texel step in u) = ∂P/∂s · (1 / (0.9 W)).
        const du = (R * span) / (0.9 * W);
        const dU: Vec3 = [du * Math.cos(p), 0, du * Math.sin(p)];
        jacErr = Math.max(jacErr, Math.hypot(g.dPdu[3 * k]! - dU[0], g.dPdu[3 * k + 1]!, g.dPdu[3 * k + 2]! - dU[2]) / du);
        expect(g.dPdv[3 * k + 1]!).toBeCloseTo(100 / (0.8 * H), 4);
        // Central finite difference of the rasterized positions within one triangle.
        if (i > 0 && i < W - 1 && g.triangle[k - 1] === g.triangle[k] && g.triangle[k + 1] === g.triangle[k]) {
          for (let c = 0; c < 3; c++) {
            const fd = (g.position[3 * (k + 1) + c]! - g.position[3 * (k - 1) + c]!) / 2;
            fdErr = Math.max(fdErr, Math.abs(fd - g.dPdu[3 * k + c]!));
          }
          fdCount++;
        }
      }
    }
    expect(posErr).toBeLessThan(sag + 0.01);
    expect(nErr).toBeLessThan(1e-3); // normalised lerp of unit normals: O(Δφ³)
    expect(jacErr).toBeLessThan(dphi / 2 + 1e-3); // chord direction vs tangent
    expect(fdCount).toBeGreaterThan(300);
    expect(fdErr).toBeLessThan(0.01 * (R * span) / (0.9 * W)); // float32 + 1/256-texel snapping
  });

  it('rasterizeAttribute interpolates per-vertex data with stored or recomputed barycentrics', () => {
    const W = 40, H = 40;
    const mesh = gridMesh(3, 3, [0, 0], [1, 1], (s, t) => [s * 50, t * 50, 500], () => [0, 0, -1]);
    const nv = mesh.positions.length / 3;
    const attr = new Float32Array(2 * nv);
    for (let v = 0; v < nv; v++) { attr[2 * v] = 3 * mesh.uvs![2 * v]! + 1; attr[2 * v + 1] = -2 * mesh.uvs![2 * v + 1]!; }
    const g = rasterizeUV(mesh, W, H);
    const a = rasterizeAttribute(g, mesh, attr, 2);
    const { bary: _drop, ...noBary } = g;
    const b = rasterizeAttribute(noBary, mesh, attr, 2);
    for (let j = 0; j < H; j++) {
      for (let i = 0; i < W; i++) {
        const k = j * W + i;
        expect(g.coverage[k]).toBe(1);
        expect(a[2 * k]!).toBeCloseTo(3 * (i + 0.5) / W + 1, 3); // 1/256-texel vertex snapping
        expect(a[2 * k + 1]!).toBeCloseTo(-2 * (j + 0.5) / H, 3);
        expect(b[2 * k]!).toBeCloseTo(a[2 * k]!, 3); // exact vs snapped barycentrics
        expect(b[2 * k + 1]!).toBeCloseTo(a[2 * k + 1]!, 3);
      }
    }
    // Uncovered texels get the fill value.
    const half = gridMesh(1, 1, [0, 0], [0.5, 1], (s, t) => [s, t, 500], () => [0, 0, -1]);
    const gh = rasterizeUV(half, 8, 8);
    const m = rasterizeAttribute(gh, half, new Float32Array(8).fill(0.25), 2, undefined, NaN);
    expect(m[0]).toBeCloseTo(0.25, 6);
    expect(Number.isNaN(m[2 * 7])).toBe(true);
  });
});

describe('renderDepth', () => {
  const cam: Camera = { width: 320, height: 240, fx: 300, fy: 300, cx: 160, cy: 120, focalSource: 'user' };

  it('is exact for a fronto-parallel plane, +Infinity elsewhere, at full and half scale', () => {
    const mesh = gridMesh(3, 3, [0, 0], [1, 1], (s, t) => [-100 + 200 * s, -80 + 160 * t, 600], () => [0, 0, -1]);
    for (const w of [undefined, 160]) {
      const zb = renderDepth(mesh, cam, w);
      const sc = w ? 0.5 : 1;
      expect(zb.scale).toBe(sc);
      expect(zb.width).toBe(320 * sc);
      expect(zb.height).toBe(240 * sc);
      for (let y = 0; y < zb.height; y++) {
        for (let x = 0; x < zb.width; x++) {
          const px = (x + 0.5) / sc, py = (y + 0.5) / sc; // photo coordinates of the buffer pixel centre
          const X = ((px - cam.cx) * 600) / cam.fx, Y = ((py - cam.cy) * 600) / cam.fy;
          const inside = Math.abs(X) < 99.5 && Math.abs(Y) < 79.5, outside = Math.abs(X) > 100.5 || Math.abs(Y) > 80.5;
          const z = zb.depth[y * zb.width + x]!;
          if (inside) expect(Math.abs(z - 600)).toBeLessThan(1e-3);
          if (outside) expect(z).toBe(Infinity);
        }
      }
    }
  });

  it('interpolates depth perspective-correctly on a tilted plane and keeps the nearest surface', () => {
    // Plane z = 600 + 0.5·x (coarse triangles: affine z interpolation would be visibly wrong),
    // and a small square at z = 400 in front of part of it.
    const tilted = gridMesh(1, 1, [0, 0], [1, 1], (s, t) => { const x = -150 + 300 * s; return [x, -110 + 220 * t, 600 + 0.5 * x]; }, () => [0, 0, -1]);
    const front = gridMesh(1, 1, [0, 0], [1, 1], (s, t) => [-20 + 40 * s, -20 + 40 * t, 400], () => [0, 0, -1]);
    const zb = renderDepth(mergeMeshes(tilted, front), cam);
    let checked = 0, worstRel = 0;
    for (let y = 0; y < 240; y++) {
      for (let x = 0; x < 320; x++) {
        const rx = (x + 0.5 - cam.cx) / cam.fx, ry = (y + 0.5 - cam.cy) / cam.fy;
        const z = zb.depth[y * 320 + x]!;
        const inFront = Math.abs(rx * 400) < 19.5 && Math.abs(ry * 400) < 19.5;
        if (inFront) { expect(Math.abs(z - 400)).toBeLessThan(1e-3); continue; }
        const zPlane = 600 / (1 - 0.5 * rx);
        const X = rx * zPlane, Y = ry * zPlane;
        if (Math.abs(X) < 149 && Math.abs(Y) < 109 && !(Math.abs(rx * 400) < 21 && Math.abs(ry * 400) < 21)) {
          worstRel = Math.max(worstRel, Math.abs(z - zPlane) / zPlane);
          checked++;
        }
      }
    }
    expect(checked).toBeGreaterThan(12000);
    expect(worstRel).toBeLessThan(1e-5); // affine z would be off by ~1e-2 here
  });
});

describe('unwrapTexture', () => {
  // Scene: a sphere cap (UV [0.02,0.48]²) in front of a big plane at z = 650 (UV right half) that
  // extends beyond the top and bottom of the photo, and a plane facing away (UV bottom left).
  const cap = sphereCap(40, [0.02, 0.02], [0.48, 0.48]);
  const back = gridMesh(8, 16, [0.52, 0.02], [0.98, 0.98], (s, t) => [-140 + 280 * s, -260 + 520 * t, 650], () => [0, 0, -1]);
  const away = gridMesh(4, 4, [0.02, 0.52], [0.48, 0.98], (s, t) => [116 + 64 * s, -40 + 80 * t, 450], () => [0, 0, 1]);
  const scene = mergeMeshes(cap, back, away);
  const photo = renderPhoto(scene, CAM);
  const W = 128;
  const geom = rasterizeUV(scene, W, W);
  const raw = unwrapTexture(photo, CAM, scene, geom, { fill: false });

  it('recovers the surface colour on visible texels, with grazing-ramped confidence', () => {
    let wErr = 0, wSum = 0, maxErr = 0, n = 0;
    for (let j = 0; j < W; j++) {
      for (let i = 0; i < W; i++) {
        const k = j * W + i;
        const u = (i + 0.5) / W, v = (j + 0.5) / W;
        if (!geom.coverage[k] || !(u < 0.5 && v < 0.5)) continue;
        const P = [geom.position[3 * k]!, geom.position[3 * k + 1]!, geom.position[3 * k + 2]!] as Vec3;
        const N = [geom.normal[3 * k]!, geom.normal[3 * k + 1]!, geom.normal[3 * k + 2]!];
        const cosT = -(N[0]! * P[0] + N[1]! * P[1] + N[2]! * P[2]) / Math.hypot(...P);
        const c = raw.confidence.data[k]!;
        if (cosT > 0.12) expect(c).toBeGreaterThan(0); // no false occlusion, even near grazing
        if (cosT < 0.1) expect(c).toBe(0);
        if (cosT > 0.35) expect(c).toBe(1);
        if (c === 0) continue;
        const f = colourAt(...P);
        const e = Math.max(...[0, 1, 2].map((ch) => Math.abs(raw.texture.data[3 * k + ch]! - f[ch]!)));
        wErr += c * e; wSum += c; n++;
        if (c > 0.5) maxErr = Math.max(maxErr, e);
      }
    }
    expect(n).toBeGreaterThan(1500);
    expect(wErr / wSum).toBeLessThan(1 / 255);
    expect(maxErr).toBeLessThan(4 / 255);
  });

  it('gives occluded, back-facing and out-of-photo texels confidence 0', () => {
    let occluded = 0, visible = 0, outside = 0;
    for (let j = 0; j < W; j++) {
      for (let i = 0; i < W; i++) {
        const k = j * W + i;
        if (!geom.coverage[k]) continue;
        const u = (i + 0.5) / W, v = (j + 0.5) / W;
        const c = raw.confidence.data[k]!;
        if (u < 0.5 && v > 0.5) { expect(c).toBe(0); expect(raw.observed[k]).toBe(0); continue; } // facing away
        if (u < 0.5) continue;
        // Back plane point Q: does the ray from the camera hit the cap?
        const Q = [geom.position[3 * k]!, geom.position[3 * k + 1]!, geom.position[3 * k + 2]!] as Vec3;
        const py = (CAM.fy * Q[1]) / Q[2] + CAM.cy;
        if (py < 0 || py > CAM.height) { expect(c).toBe(0); outside++; continue; }
        const d = normalize(Q);
        const b = d[0] * SPHERE.c[0] + d[1] * SPHERE.c[1] + d[2] * SPHERE.c[2];
        const disc = b * b - (Math.hypot(...SPHERE.c) ** 2 - SPHERE.r ** 2);
        const rayDist = Math.sqrt(Math.max(0, Math.hypot(...SPHERE.c) ** 2 - b * b));
        if (disc > 0) {
          const tHit = b - Math.sqrt(disc);
          const h = [(d[0] * tHit - SPHERE.c[0]) / SPHERE.r, (d[1] * tHit - SPHERE.c[1]) / SPHERE.r, (d[2] * tHit - SPHERE.c[2]) / SPHERE.r];
          const s = (h[0]! / -h[2]! / SPHERE.k + 1) / 2, t = (h[1]! / -h[2]! / SPHERE.k + 1) / 2;
          if (s > 0.1 && s < 0.9 && t > 0.1 && t < 0.9) { expect(c).toBe(0); occluded++; }
        }
        if (rayDist > SPHERE.r + 3) {
          expect(c).toBe(1);
          const f = colourAt(...Q);
          for (let ch = 0; ch < 3; ch++) expect(Math.abs(raw.texture.data[3 * k + ch]! - f[ch]!)).toBeLessThan(3 / 255);
          visible++;
        }
      }
    }
    expect(occluded).toBeGreaterThan(300);
    expect(visible).toBeGreaterThan(1500);
    expect(outside).toBeGreaterThan(300);
  });

  it('completes the texture by default: seen texels kept, the rest filled, confidence encoded', () => {
    const full = unwrapTexture(photo, CAM, scene, geom);
    const n = W * W;
    for (let k = 0; k < n; k++) {
      if (raw.confidence.data[k]! >= 0.02) {
        expect(full.source[k]).toBe(FILL_SOURCE.direct);
        expect(full.confidence.data[k]).toBe(raw.confidence.data[k]);
        for (let ch = 0; ch < 3; ch++) expect(full.texture.data[3 * k + ch]).toBe(raw.texture.data[3 * k + ch]);
      } else if (geom.coverage[k]) {
        expect(full.source[k]).toBe(FILL_SOURCE.inpainted);
        expect(full.confidence.data[k]).toBe(0);
      }
      for (let ch = 0; ch < 3; ch++) {
        const x = full.texture.data[3 * k + ch]!;
        expect(x >= 0 && x <= 1).toBe(true);
      }
    }
  });
});

describe('unwrapTexture mirror fill, end to end', () => {
  it('fills the side turned away from the camera from its mirror image', () => {
    // A cylinder patch φ ∈ [−80°, 80°] (u = 0.05 … 0.95, mirror u ↔ 1 − u), turned 50° about the
    // vertical axis so the φ > 0 side runs past the silhouette. Colour symmetric in φ.
    const R = 60, zc = 500, yaw = (50 * Math.PI) / 180, span = (160 * Math.PI) / 180;
    const cy = Math.cos(yaw), sy = Math.sin(yaw);
    const phiOf = (s: number) => (s - 0.5) * span;
    const toCam = (lx: number, ly: number, lz: number): Vec3 => [cy * lx + sy * lz, ly, zc - sy * lx + cy * lz];
    const mesh = gridMesh(64, 8, [0.05, 0.1], [0.95, 0.9],
      (s, t) => toCam(R * Math.sin(phiOf(s)), -40 + 80 * t, -R * Math.cos(phiOf(s))),
      (s) => { const n = toCam(Math.sin(phiOf(s)), 0, -Math.cos(phiOf(s))); return [n[0], n[1], n[2] - zc]; });
    const albedo = (x: number, y: number, z: number): Vec3 => {
      const lx = cy * x - sy * (z - zc), lz = sy * x + cy * (z - zc); // back to the object frame
      const phi = Math.abs(Math.atan2(lx, -lz));
      return [0.3 + 0.5 * phi / 1.4, 0.5 + 0.3 * Math.sin(y / 9), 0.6 - 0.2 * phi * phi];
    };
    const photo = renderPhoto(mesh, CAM, albedo);
    const W = 128;
    const geom = rasterizeUV(mesh, W, W);
    const nv = mesh.positions.length / 3;
    const vMirror = new Float32Array(2 * nv);
    for (let v = 0; v < nv; v++) { vMirror[2 * v] = 1 - mesh.uvs![2 * v]!; vMirror[2 * v + 1] = mesh.uvs![2 * v + 1]!; }
    const mirrorUV = rasterizeAttribute(geom, mesh, vMirror, 2, undefined, NaN);
    const r = unwrapTexture(photo, CAM, mesh, geom, { mirrorUV });
    const raw = unwrapTexture(photo, CAM, mesh, geom, { fill: false });
    let hidden = 0, errSum = 0, errMax = 0;
    for (let k = 0; k < W * W; k++) {
      if (!geom.coverage[k] || r.observed[k]) continue;
      // Mirror texel centre: (W − 1 − i, j), an exact texel centre, so c_m is its raw confidence.
      const i = k % W, km = k - i + (W - 1 - i);
      const cm = raw.confidence.data[km]!;
      if (cm < 0.02) continue; // mirror not seen well enough: inpainted
      hidden++;
      expect(r.source[k]).toBe(FILL_SOURCE.mirror);
      expect(r.confidence.data[k]!).toBeCloseTo(0.5 * cm, 2); // mirror UV off the centre by ≤ 1/256 texel
      const f = albedo(geom.position[3 * k]!, geom.position[3 * k + 1]!, geom.position[3 * k + 2]!);
      const e = Math.max(...[0, 1, 2].map((ch) => Math.abs(r.texture.data[3 * k + ch]! - f[ch]!)));
      errSum += e; errMax = Math.max(errMax, e);
    }
    expect(hidden).toBeGreaterThan(1000);
    expect(errSum / hidden).toBeLessThan(2 / 255);
    expect(errMax).toBeLessThan(8 / 255);
  });
});

describe('membraneFill', () => {
  const W = 96, H = 80;
  const ramp = (x: number, y: number, ch: number) => 0.2 + (0.004 + 0.001 * ch) * x + (0.003 - 0.002 * ch) * y;

  function rampWithHoles(): { values: Float32Array; fixed: Uint8Array } {
    const values = new Float32Array(W * H * 3), fixed = new Uint8Array(W * H);
    for (let y = 0; y < H; y++) {
      for (let x = 0; x < W; x++) {
        const k = y * W + x;
        const hole = Math.hypot(x - 35, y - 40) < 22 || (x >= 62 && x <= 90 && y >= 6 && y <= 30);
        fixed[k] = hole ? 0 : 1;
        for (let ch = 0; ch < 3; ch++) values[3 * k + ch] = hole ? 7 : ramp(x + 0.5, y + 0.5, ch);
      }
    }
    return { values, fixed };
  }

  it('reproduces a linear ramp across holes and leaves known texels bit-exact', () => {
    const { values, fixed } = rampWithHoles();
    const out = membraneFill(values, W, H, 3, fixed);
    const errs = new Float64Array(W * H);
    for (let k = 0; k < W * H; k++) {
      const x = k % W, y = Math.floor(k / W);
      for (let ch = 0; ch < 3; ch++) {
        if (fixed[k]) expect(out[3 * k + ch]).toBe(values[3 * k + ch]);
        else errs[k] = Math.max(errs[k]!, Math.abs(out[3 * k + ch]! - ramp(x + 0.5, y + 0.5, ch)));
      }
    }
    const [e, at] = worst(errs);
    expect(e, `worst at texel (${at % W}, ${Math.floor(at / W)})`).toBeLessThan(2e-3);
  });

  it('fills a hole smoothly from an arbitrary border (discrete Laplacian ≈ 0 inside)', () => {
    const values = new Float32Array(W * H), fixed = new Uint8Array(W * H);
    for (let y = 0; y < H; y++) {
      for (let x = 0; x < W; x++) {
        const k = y * W + x;
        const hole = Math.hypot(x - 48, y - 40) < 30;
        fixed[k] = hole ? 0 : 1;
        values[k] = hole ? 0 : 0.5 + 0.4 * Math.sin(x / 5) * Math.cos(y / 7); // rough border data
      }
    }
    const out = membraneFill(values, W, H, 1, fixed);
    let maxLap = 0;
    for (let y = 1; y < H - 1; y++) {
      for (let x = 1; x < W - 1; x++) {
        const k = y * W + x;
        if (fixed[k]) continue;
        const lap = out[k - 1]! + out[k + 1]! + out[k - W]! + out[k + W]! - 4 * out[k]!;
        maxLap = Math.max(maxLap, Math.abs(lap));
        expect(out[k]!).toBeGreaterThanOrEqual(0.1 - 1e-3); // maximum principle
        expect(out[k]!).toBeLessThanOrEqual(0.9 + 1e-3);
      }
    }
    expect(maxLap).toBeLessThan(2e-3);
  });
});

describe('fillTexture', () => {
  it('pads beyond the chart and inpaints a hole in it, confidence 0 there', () => {
    const W = 64, n = W * W;
    const tex = createImage(W, W, 3);
    const conf = new Float32Array(n), cov = new Uint8Array(n);
    for (let y = 0; y < W; y++) {
      for (let x = 0; x < W; x++) {
        const k = y * W + x;
        if (Math.hypot(x - 32, y - 32) > 24) continue;
        cov[k] = 1;
        const hole = Math.hypot(x - 28, y - 30) < 8;
        conf[k] = hole ? 0 : 0.9;
        tex.data.set(hole ? [1, 0, 1] : [0.2 + 0.005 * x, 0.6, 0.9 - 0.004 * y], 3 * k);
      }
    }
    const r = fillTexture(tex, conf, cov, undefined, { padTexels: 4 });
    for (let y = 0; y < W; y++) {
      for (let x = 0; x < W; x++) {
        const k = y * W + x;
        const expected = [0.2 + 0.005 * x, 0.6, 0.9 - 0.004 * y];
        const d = Math.hypot(x - 32, y - 32);
        if (cov[k] && conf[k]! > 0) {
          expect(r.source[k]).toBe(FILL_SOURCE.direct);
          expect(r.confidence.data[k]).toBeCloseTo(0.9, 6);
          for (let ch = 0; ch < 3; ch++) expect(r.texture.data[3 * k + ch]).toBe(tex.data[3 * k + ch]);
        } else if (cov[k]) {
          expect(r.source[k]).toBe(FILL_SOURCE.inpainted);
          expect(r.confidence.data[k]).toBe(0);
          for (let ch = 0; ch < 3; ch++) expect(Math.abs(r.texture.data[3 * k + ch]! - expected[ch]!)).toBeLessThan(2e-3);
        } else {
          expect(r.confidence.data[k]).toBe(0);
          if (d < 26) {
            // Just beyond the chart: padding close to the border colour, never black.
            expect(r.source[k]).toBe(FILL_SOURCE.padding);
            for (let ch = 0; ch < 3; ch++) expect(Math.abs(r.texture.data[3 * k + ch]! - expected[ch]!)).toBeLessThan(0.02);
          }
          for (let ch = 0; ch < 3; ch++) expect(r.texture.data[3 * k + ch]!).toBeGreaterThan(0.15);
        }
      }
    }
  });

  // Symmetric colour f(u, v) = f(1 − u, v); the right half is seen in full light, the strip
  // u ∈ [0.3, 0.5) is seen at 0.8× the light, and u < 0.3 is hidden.
  const W = 64, n = W * W;
  const f = (u: number, v: number): Vec3 => [0.4 + 0.3 * Math.cos(6 * (u - 0.5)), 0.5 + 0.2 * Math.sin(5 * v), 0.3 + 0.4 * (u - 0.5) ** 2];
  const tex = createImage(W, W, 3);
  const conf = new Float32Array(n), cov = new Uint8Array(n).fill(1), mirrorUV = new Float32Array(2 * n);
  for (let y = 0; y < W; y++) {
    for (let x = 0; x < W; x++) {
      const k = y * W + x, u = (x + 0.5) / W, v = (y + 0.5) / W;
      mirrorUV[2 * k] = 1 - u; mirrorUV[2 * k + 1] = v;
      const c = f(u, v);
      if (u >= 0.5) { conf[k] = 1; tex.data.set(c, 3 * k); }
      else if (u >= 0.3) { conf[k] = 1; tex.data.set(c.map((a) => 0.8 * a), 3 * k); }
      else { conf[k] = 0; tex.data.set([1, 0, 1], 3 * k); }
    }
  }

  it('mirror-fills the hidden side with the symmetric colour, matched to this side\'s lighting', () => {
    const r = fillTexture(tex, conf, cov, mirrorUV);
    let maxErr = 0;
    for (let y = 0; y < W; y++) {
      for (let x = 0; x < W; x++) {
        const k = y * W + x, u = (x + 0.5) / W, v = (y + 0.5) / W;
        if (u >= 0.3) {
          expect(r.source[k]).toBe(FILL_SOURCE.direct);
          expect(r.confidence.data[k]).toBe(1);
          for (let ch = 0; ch < 3; ch++) expect(r.texture.data[3 * k + ch]).toBe(tex.data[3 * k + ch]);
        } else {
          expect(r.source[k]).toBe(FILL_SOURCE.mirror);
          expect(r.confidence.data[k]).toBeCloseTo(0.5, 6); // 0.5 × mirror weight 1
          const e = f(u, v);
          for (let ch = 0; ch < 3; ch++) maxErr = Math.max(maxErr, Math.abs(r.texture.data[3 * k + ch]! - 0.8 * e[ch]!));
        }
      }
    }
    expect(maxErr).toBeLessThan(0.01);
  });

  it('copies the mirrored colour as is without gain matching, and blends by confidence', () => {
    const conf2 = conf.slice();
    for (let k = 0; k < n; k++) if ((k % W + 0.5) / W < 0.1) conf2[k] = 0.25; // weakly seen band
    const r = fillTexture(tex, conf2, cov, mirrorUV, { mirrorGain: false });
    for (let y = 0; y < W; y++) {
      for (let x = 0; x < W; x++) {
        const k = y * W + x, u = (x + 0.5) / W, v = (y + 0.5) / W;
        if (u >= 0.3) continue;
        const m = f(u, v), own = tex.data.subarray(3 * k, 3 * k + 3);
        // own c, mirror weight w_m = 1·(1 − c/0.5): colour = (c·own + w_m·mirror)/(c + w_m).
        const c = conf2[k]!, wm = 1 - c / 0.5;
        for (let ch = 0; ch < 3; ch++) expect(r.texture.data[3 * k + ch]!).toBeCloseTo((c * own[ch]! + wm * m[ch]!) / (c + wm), 5);
        expect(r.confidence.data[k]!).toBeCloseTo(c + 0.5 * wm, 6);
        expect(r.source[k]).toBe(c >= wm ? FILL_SOURCE.direct : FILL_SOURCE.mirror);
      }
    }
  });

  it('prepareFill is final wherever its confidence is > 0, and its membrane completes it to fillTexture exactly', () => {
    // The hidden strip's mirror is unknown in a band (NaN): those texels are inpainted, the rest mirror-filled.
    const mirror2 = mirrorUV.slice();
    for (let k = 0; k < n; k++) if (Math.floor(k / W) >= 40 && Math.floor(k / W) < 48) { mirror2[2 * k] = NaN; mirror2[2 * k + 1] = NaN; }
    const cov2 = cov.slice();
    for (let k = 0; k < n; k++) if (k % W >= 60) cov2[k] = 0; // a padding band beyond the chart
    const full = fillTexture(tex, conf, cov2, mirror2);
    const p = prepareFill(tex, conf, cov2, mirror2);
    expect(Array.from(p.confidence.data)).toEqual(Array.from(full.confidence.data));
    expect(Array.from(p.source)).toEqual(Array.from(full.source));
    let inpainted = 0;
    for (let k = 0; k < n; k++) {
      if (p.confidence.data[k]! > 0) {
        expect(p.membrane.fixed[k]).toBe(1);
        for (let ch = 0; ch < 3; ch++) expect(p.blended.data[3 * k + ch]).toBe(full.texture.data[3 * k + ch]);
      } else if (full.source[k] === FILL_SOURCE.inpainted) inpainted++;
    }
    expect(inpainted).toBeGreaterThan(100);
    // The job is plain data: a structured clone (another thread) gives the same fill.
    expect(Array.from(runMembrane(structuredClone(p.membrane)))).toEqual(Array.from(full.texture.data));
  });
});

describe('srgbImageToLinearInto', () => {
  it('gives srgbImageToLinear\'s values at the unmasked pixels and leaves the masked ones', () => {
    const a = createImage(7, 5, 3), b = createImage(7, 5, 3);
    for (let i = 0; i < a.data.length; i++) { a.data[i] = ((i * 37) % 23) / 20 - 0.05; b.data[i] = ((i * 11) % 17) / 16; } // includes < 0 and > 1
    const out = srgbImageToLinear(a), skip = new Uint8Array(35);
    for (let p = 0; p < 35; p += 3) skip[p] = 1;
    srgbImageToLinearInto(b, out, skip);
    const ref = srgbImageToLinear(b), before = srgbImageToLinear(a);
    for (let p = 0; p < 35; p++) for (let c = 0; c < 3; c++) expect(out.data[3 * p + c]).toBe((skip[p] ? before : ref).data[3 * p + c]);
    srgbImageToLinearInto(b, out);
    expect(Array.from(out.data)).toEqual(Array.from(ref.data));
    expect(() => srgbImageToLinearInto(b, createImage(5, 7, 3))).toThrow(/7×5×3 into 5×7×3/);
  });
});

import { describe, expect, it } from 'vitest';
import { FaceDetailError } from '../../src/core/errors.js';
import { directionalSH, evalSH } from '../../src/core/lighting/sh.js';
import type { Image } from '../../src/core/types.js';
import type { UVGeometry } from '../../src/core/unwrap/uv-geometry.js';
import { boxSum } from '../../src/core/detail/box-filter.js';
import { detailNormals, encodeTangentNormalMap, solveDetail } from '../../src/core/detail/index.js';
import {
  applyStencil, assembleStencil, buildMultigrid, cellIndex, createStencilGrid, solvePCG, type StencilGrid,
} from '../../src/core/detail/multigrid.js';

// ---------------------------------------------------------------------------------------------
// Procedural fixtures: a flat patch or a spherical cap facing the camera, 0.2 mm per texel.
// Camera frame: +X right, +Y down, +Z forward; the surface normal points to the camera (−Z).
// ---------------------------------------------------------------------------------------------

const H_MM = 0.2;

function makeGeom(W: number, H: number, h: number, shape: 'flat' | 'sphere', R = 60): UVGeometry {
  const N = W * H, z0 = 500;
  const g: UVGeometry = {
    width: W, height: H, coverage: new Uint8Array(N).fill(1), triangle: new Int32Array(N),
    position: new Float32Array(3 * N), normal: new Float32Array(3 * N), dPdu: new Float32Array(3 * N), dPdv: new Float32Array(3 * N),
  };
  for (let j = 0; j < H; j++) {
    for (let i = 0; i < W; i++) {
      const k = 3 * (j * W + i), x = (i + 0.5 - W / 2) * h, y = (j + 0.5 - H / 2) * h;
      if (shape === 'flat') {
        g.position.set([x, y, z0], k); g.normal.set([0, 0, -1], k);
        g.dPdu.set([h, 0, 0], k); g.dPdv.set([0, h, 0], k);
      } else {
        // Height-field parametrisation of a sphere of radius R whose nearest point is at z0.
        const q = Math.sqrt(R * R - x * x - y * y);
        g.position.set([x, y, z0 + R - q], k); g.normal.set([x / R, y / R, -q / R], k);
        g.dPdu.set([h, 0, h * x / q], k); g.dPdv.set([0, h, h * y / q], k);
      }
    }
  }
  return g;
}

const texelXY = (W: number, H: number, i: number, j: number): [number, number] => [(i + 0.5 - W / 2) * H_MM, (j + 0.5 - H / 2) * H_MM];

/** Wrinkle-like grooves (negative displacement) and bumps, mm, as a function of (x, y) mm. */
const GROOVES = [
  { cx: 0, cy: -9, angle: 0.1, depth: 0.6, sigma: 0.6, half: 12 },
  { cx: -3, cy: 2, angle: -0.6, depth: 0.4, sigma: 0.45, half: 9 },
  { cx: 9, cy: 3, angle: 1.35, depth: 0.8, sigma: 0.9, half: 10 },
];
const BUMPS = [{ cx: -10, cy: -2, height: 0.3, sigma: 0.8 }, { cx: 5, cy: 13, height: 0.25, sigma: 1.0 }];
const MAX_DEPTH = 0.8;
function dTrue(x: number, y: number): number {
  let d = 0;
  for (const g of GROOVES) {
    const tx = Math.cos(g.angle), ty = Math.sin(g.angle), dx = x - g.cx, dy = y - g.cy;
    const s = (dx * tx + dy * ty) / g.half, n = -dx * ty + dy * tx;
    d -= g.depth * Math.exp(-(n * n) / (2 * g.sigma * g.sigma)) * Math.exp(-(s ** 6));
  }
  for (const b of BUMPS) d += b.height * Math.exp(-((x - b.cx) ** 2 + (y - b.cy) ** 2) / (2 * b.sigma * b.sigma));
  return d;
}
const zero = (): number => 0;

/**
 * Normals of P + d(x, y)·n0 at texel centres from the analytic gradient (central differences,
 * ε = 1e-4 mm); ∂/∂x is taken at x + ou and ∂/∂y at y + ov (mm).
 */
function analyticNormals(geom: UVGeometry, f: (x: number, y: number) => number, ou = 0, ov = 0): Float32Array {
  const { width: W, height: H, dPdu: a, dPdv: b, normal: n0 } = geom;
  const out = new Float32Array(3 * W * H), e = 1e-4;
  for (let j = 0; j < H; j++) {
    for (let i = 0; i < W; i++) {
      const k3 = 3 * (j * W + i), [x, y] = texelXY(W, H, i, j);
      const du = H_MM * (f(x + ou + e, y) - f(x + ou - e, y)) / (2 * e), dv = H_MM * (f(x, y + ov + e) - f(x, y + ov - e)) / (2 * e);
      const aa = a[k3]! ** 2 + a[k3 + 1]! ** 2 + a[k3 + 2]! ** 2, bb = b[k3]! ** 2 + b[k3 + 1]! ** 2 + b[k3 + 2]! ** 2;
      const ab = a[k3]! * b[k3]! + a[k3 + 1]! * b[k3 + 1]! + a[k3 + 2]! * b[k3 + 2]!;
      const det = aa * bb - ab * ab, cu = (du * bb - dv * ab) / det, cv = (dv * aa - du * ab) / det;
      const m = [0, 1, 2].map((t) => n0[k3 + t]! - cu * a[k3 + t]! - cv * b[k3 + t]!);
      const l = Math.hypot(m[0]!, m[1]!, m[2]!);
      out[k3] = m[0]! / l; out[k3 + 1] = m[1]! / l; out[k3 + 2] = m[2]! / l;
    }
  }
  return out;
}

/** Oblique light from the upper left, in front of the face, plus ambient. */
const LIGHT = (() => {
  const d = [-0.5, -0.6, -0.62], l = Math.hypot(d[0]!, d[1]!, d[2]!);
  return directionalSH(d[0]! / l, d[1]! / l, d[2]! / l, [1.0, 0.96, 0.9], 0.35);
})();
/** A dark, more saturated "freckle" and a dark "brow" (the brow gets the flat mask, as in the pipeline). */
const FRECKLE = { cx: -13, cy: 13, sigma: 1.3 };
const BROW = { cx: -3, cy: 15, sx: 3.5, sy: 1.0 };
function albedoAt(x: number, y: number, spots: boolean): [number, number, number] {
  const g = 1 + 0.15 * x / 25 + 0.08 * y / 25; // smooth skin-tone gradient
  let r = 0.62 * g, gg = 0.42 * g, b = 0.34 * g;
  if (spots) {
    const wf = Math.exp(-((x - FRECKLE.cx) ** 2 + (y - FRECKLE.cy) ** 2) / (2 * FRECKLE.sigma ** 2));
    r = r * (1 - wf) + 0.34 * wf; gg = gg * (1 - wf) + 0.17 * wf; b = b * (1 - wf) + 0.09 * wf;
    const ex = (x - BROW.cx) / BROW.sx, ey = (y - BROW.cy) / BROW.sy;
    const we = Math.exp(-0.5 * (ex ** 4 + ey * ey));
    r = r * (1 - we) + 0.22 * we; gg = gg * (1 - we) + 0.14 * we; b = b * (1 - we) + 0.10 * we;
  }
  return [r, gg, b];
}
function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => { s = (s * 1664525 + 1013904223) >>> 0; return s / 4294967296; };
}

interface Scene { geom: UVGeometry; texture: Image; confidence: Float32Array; flatMask: Float32Array }
function scene(W: number, shape: 'flat' | 'sphere', d: (x: number, y: number) => number, spots: boolean, noise: number): Scene {
  const geom = makeGeom(W, W, H_MM, shape);
  const n = analyticNormals(geom, d);
  const texture: Image = { width: W, height: W, channels: 3, data: new Float32Array(3 * W * W) };
  const rnd = lcg(7);
  const gauss = () => Math.sqrt(-2 * Math.log(rnd() + 1e-12)) * Math.cos(2 * Math.PI * rnd());
  const flatMask = new Float32Array(W * W);
  for (let j = 0; j < W; j++) {
    for (let i = 0; i < W; i++) {
      const k = j * W + i, [x, y] = texelXY(W, W, i, j), alb = albedoAt(x, y, spots);
      for (let c = 0; c < 3; c++) texture.data[3 * k + c] = alb[c]! * evalSH(LIGHT, c, n[3 * k]!, n[3 * k + 1]!, n[3 * k + 2]!) + noise * gauss();
      const ex = (x - BROW.cx) / (BROW.sx + 1.5), ey = (y - BROW.cy) / (BROW.sy + 1.5);
      if (spots && ex * ex + ey * ey < 1) flatMask[k] = 1;
    }
  }
  return { geom, texture, confidence: new Float32Array(W * W).fill(1), flatMask };
}

interface Metrics { corr: number; rmsErr: number; rmsSig: number; freckleMax: number; browMax: number; maxAbs: number; rms: number }
function metrics(W: number, disp: Float32Array, d: (x: number, y: number) => number): Metrics {
  let n = 0, sx = 0, sy = 0, sxx = 0, syy = 0, sxy = 0, se = 0, freckleMax = 0, browMax = 0, maxAbs = 0, s2 = 0;
  for (let j = 4; j < W - 4; j++) {
    for (let i = 4; i < W - 4; i++) {
      const [x, y] = texelXY(W, W, i, j), t = d(x, y), e = disp[j * W + i]!;
      maxAbs = Math.max(maxAbs, Math.abs(e)); s2 += e * e;
      if ((x - FRECKLE.cx) ** 2 + (y - FRECKLE.cy) ** 2 < (3 * FRECKLE.sigma) ** 2) freckleMax = Math.max(freckleMax, Math.abs(e));
      if (((x - BROW.cx) / BROW.sx) ** 2 + ((y - BROW.cy) / BROW.sy) ** 2 < 2.5) browMax = Math.max(browMax, Math.abs(e));
      if (Math.abs(t) > 0.05) { n++; sx += t; sy += e; sxx += t * t; syy += e * e; sxy += t * e; se += (t - e) ** 2; }
    }
  }
  const cov = sxy / n - (sx / n) * (sy / n);
  const corr = n > 0 ? cov / Math.sqrt((sxx / n - (sx / n) ** 2) * (syy / n - (sy / n) ** 2)) : 0;
  return { corr, rmsErr: Math.sqrt(se / n), rmsSig: Math.sqrt(sxx / n), freckleMax, browMax, maxAbs, rms: Math.sqrt(s2 / ((W - 8) ** 2)) };
}

const SIZE = 256;


/**
 * The solver's physically faithful settings (full strength, light regularisation), under which it
 * must recover synthetic relief. The shipped DETAIL_DEFAULTS are more conservative: they were
 * chosen on the scan benchmark's tuning half (see solve-detail.ts).
 */
const FAITHFUL = { strength: 1, lambdaSmooth: 0.001, lambdaMagnitude: 0.005, minShading: 0.1, highPassMm: 12 } as const;

describe('solveDetail', () => {
  it('recovers grooves and bumps on a curved patch; the freckle and the masked brow stay flat', () => {
    const s = scene(SIZE, 'sphere', dTrue, true, 0.004);
    const res = solveDetail({ geom: s.geom, texture: s.texture, confidence: s.confidence, sh: LIGHT, flatMask: s.flatMask }, FAITHFUL);
    const m = metrics(SIZE, res.displacement, dTrue);
    // Measured with the defaults: corr 0.93, RMS error 0.145 mm vs signal 0.36 mm, freckle 0.07 mm, brow 0.03 mm.
    expect(m.corr).toBeGreaterThan(0.9);
    expect(m.rmsErr).toBeLessThan(0.5 * m.rmsSig);
    expect(m.freckleMax).toBeLessThan(0.2 * MAX_DEPTH);
    expect(m.browMax).toBeLessThan(0.2 * MAX_DEPTH);
    expect(res.stats.energyEnd).toBeLessThan(0.2 * res.stats.energyStart);
    expect(res.stats.cgIterations).toBeGreaterThan(0);
    // Outputs are well-formed: unit normals, albedo of the right size, |d| within the clamp.
    let worst = 0;
    for (let k = 0; k < SIZE * SIZE; k++) worst = Math.max(worst, Math.abs(Math.hypot(res.normals[3 * k]!, res.normals[3 * k + 1]!, res.normals[3 * k + 2]!) - 1));
    expect(worst).toBeLessThan(1e-5);
    expect(res.albedo.data.length).toBe(3 * SIZE * SIZE);
    expect(res.stats.maxAbsMm).toBeLessThanOrEqual(3);
  });

  it('recovers the same scene on a flat patch (correlation > 0.88, measured 0.91)', () => {
    const s = scene(SIZE, 'flat', dTrue, true, 0.004);
    const res = solveDetail({ geom: s.geom, texture: s.texture, confidence: s.confidence, sh: LIGHT, flatMask: s.flatMask }, FAITHFUL);
    const m = metrics(SIZE, res.displacement, dTrue);
    expect(m.corr).toBeGreaterThan(0.88);
    expect(m.rmsErr).toBeLessThan(0.5 * m.rmsSig);
  });

  it('returns ~0 for a render of the flat proxy (no detail)', () => {
    // Noise-free, smooth albedo: measured max |d| 0.002 mm.
    const clean = scene(SIZE, 'flat', zero, false, 0);
    const r0 = solveDetail({ geom: clean.geom, texture: clean.texture, confidence: clean.confidence, sh: LIGHT });
    expect(metrics(SIZE, r0.displacement, zero).maxAbs).toBeLessThan(0.01);
    // With noise and the freckle (no mask): measured max 0.04 mm, RMS 0.006 mm.
    const noisy = scene(SIZE, 'flat', zero, true, 0.004);
    const r1 = solveDetail({ geom: noisy.geom, texture: noisy.texture, confidence: noisy.confidence, sh: LIGHT, flatMask: noisy.flatMask }, FAITHFUL);
    const m1 = metrics(SIZE, r1.displacement, zero);
    expect(m1.maxAbs).toBeLessThan(0.15 * MAX_DEPTH);
    expect(m1.rms).toBeLessThan(0.03);
  });

  it('applies strength and maxDepthMm, and zeroes uncovered texels', () => {
    const s = scene(128, 'flat', dTrue, false, 0);
    for (let k = 0; k < 128 * 20; k++) s.geom.coverage[k] = 0; // top rows off the surface
    const a = solveDetail({ geom: s.geom, texture: s.texture, confidence: s.confidence, sh: LIGHT }, FAITHFUL);
    const b = solveDetail({ geom: s.geom, texture: s.texture, confidence: s.confidence, sh: LIGHT }, { ...FAITHFUL, strength: 2, maxDepthMm: 0.3 });
    let worst = 0;
    for (let k = 0; k < 128 * 128; k++) {
      if (k < 128 * 20) { expect(a.displacement[k]).toBe(0); expect(a.normals[3 * k + 2]).toBe(0); continue; }
      const want = Math.max(-0.3, Math.min(0.3, 2 * a.displacement[k]!));
      worst = Math.max(worst, Math.abs(b.displacement[k]! - want));
    }
    expect(worst).toBeLessThan(1e-6);
  });

  it('rejects inputs of the wrong size with INVALID_OPTION', () => {
    const s = scene(32, 'flat', zero, false, 0);
    const bad = () => solveDetail({ geom: s.geom, texture: s.texture, confidence: new Float32Array(10), sh: LIGHT });
    expect(bad).toThrow(FaceDetailError);
    expect(bad).toThrow(/confidence/);
    expect(() => solveDetail({ geom: s.geom, texture: s.texture, confidence: s.confidence, sh: LIGHT }, { lambdaSmooth: -1 })).toThrow(/lambdaSmooth/);
  });
});

describe('multigrid operator and PCG', () => {
  /** A system like one Gauss–Newton step: rank-1 photometric tensor along the light, thin plate, mass, with holes. */
  function system(W: number): StencilGrid {
    const g = createStencilGrid(W, W);
    const rnd = lcg(5), h = H_MM, area = h * h;
    for (let j = 0; j < W; j++) {
      for (let i = 0; i < W; i++) {
        const dx = i + 0.5 - W / 2, dy = j + 0.5 - W / 2;
        if (dx * dx + dy * dy > (0.48 * W) ** 2) continue; // round chart, Dirichlet outside
        const p = cellIndex(g, i, j);
        g.mask[p] = 1;
        const q = 0.36 * (0.5 + rnd()) * (rnd() < 0.05 ? 0 : 1), lu = -0.5, lv = -0.6;
        g.quu[p] = q * lu * lu; g.quv[p] = q * lu * lv; g.qvv[p] = q * lv * lv;
        g.lapU[p] = 1 / (h * h); g.lapV[p] = 1 / (h * h); g.lapW[p] = 0.001 * area; g.mass[p] = 0.005 * area;
      }
    }
    return g;
  }
  /** The quadratic form of the energy evaluated directly from the fields (no stencil). */
  function energy(g: StencilGrid, x: Float64Array): number {
    const s = g.stride;
    let e = 0;
    for (let j = 0; j < g.height; j++) {
      for (let i = 0; i < g.width; i++) {
        const p = cellIndex(g, i, j);
        if (!g.mask[p]) continue;
        const gu = x[p + 1]! - x[p]!, gv = x[p + s]! - x[p]!;
        e += g.quu[p]! * gu * gu + 2 * g.quv[p]! * gu * gv + g.qvv[p]! * gv * gv;
        const l = g.lapU[p]! * (x[p + 1]! - 2 * x[p]! + x[p - 1]!) + g.lapV[p]! * (x[p + s]! - 2 * x[p]! + x[p - s]!);
        e += g.lapW[p]! * l * l + g.mass[p]! * x[p]! * x[p]!;
      }
    }
    return e;
  }
  const randomField = (g: StencilGrid, seed: number) => {
    const r = lcg(seed), x = new Float64Array(g.size);
    for (let k = 0; k < g.size; k++) if (g.mask[k]) x[k] = r() - 0.5;
    return x;
  };
  const dot = (a: Float64Array, b: Float64Array) => { let s = 0; for (let k = 0; k < a.length; k++) s += a[k]! * b[k]!; return s; };

  it('the assembled 13-point stencil is the symmetric matrix of the energy', () => {
    const g = system(48);
    assembleStencil(g);
    const x = randomField(g, 1), y = randomField(g, 2), ax = new Float64Array(g.size), ay = new Float64Array(g.size);
    applyStencil(g, x, ax);
    applyStencil(g, y, ay);
    const ex = energy(g, x);
    expect(Math.abs(dot(x, ax) - ex) / ex).toBeLessThan(1e-5); // float32 coefficients
    expect(Math.abs(dot(x, ay) - dot(y, ax)) / Math.abs(dot(x, ay))).toBeLessThan(1e-5);
    for (let k = 0; k < g.size; k++) if (!g.mask[k]) expect(ax[k]).toBe(0);
  });

  it('multigrid-preconditioned CG needs far fewer iterations than plain CG', () => {
    const g = system(128);
    const mg = buildMultigrid(g);
    const b = randomField(g, 3);
    const run = (preconditioner: 'multigrid' | 'jacobi' | 'none') => {
      const x = new Float64Array(g.size);
      const r = solvePCG(mg, b, x, { tolerance: 1e-6, maxIterations: 5000, preconditioner });
      return r;
    };
    const mgRes = run('multigrid'), cgRes = run('none'), jRes = run('jacobi');
    // Measured at 128²: multigrid 30, Jacobi 670, plain CG 687 iterations.
    expect(mgRes.relativeResidual).toBeLessThan(1e-6);
    expect(cgRes.relativeResidual).toBeLessThan(1e-6);
    expect(mgRes.iterations * 8).toBeLessThan(cgRes.iterations);
    expect(mgRes.iterations * 8).toBeLessThan(jRes.iterations);
  });
});

describe('detailNormals', () => {
  it('matches the analytic normals of a smooth bump on a sphere', () => {
    const W = 96, geom = makeGeom(W, W, H_MM, 'sphere');
    const bump = (x: number, y: number) => 0.5 * Math.exp(-(x * x + y * y) / (2 * 2 * 2));
    const d = new Float32Array(W * W);
    for (let j = 0; j < W; j++) for (let i = 0; i < W; i++) { const [x, y] = texelXY(W, W, i, j); d[j * W + i] = bump(x, y); }
    const n = detailNormals(d, geom);
    // Forward differences give ∂u half a texel toward +u and ∂v half a texel toward +v: compare
    // with the analytic normal built from those (tight: only the O(h²) error of a centred
    // difference remains), and at the texel centre (an O(h·curvature) discretisation error).
    const staggered = analyticNormals(geom, bump, H_MM / 2, H_MM / 2);
    const centred = analyticNormals(geom, bump);
    let worstS = 0, worstC = 0, tiltMax = 0;
    for (let j = 0; j < W - 1; j++) {
      for (let i = 0; i < W - 1; i++) {
        const k3 = 3 * (j * W + i);
        const dS = n[k3]! * staggered[k3]! + n[k3 + 1]! * staggered[k3 + 1]! + n[k3 + 2]! * staggered[k3 + 2]!;
        const dC = n[k3]! * centred[k3]! + n[k3 + 1]! * centred[k3 + 1]! + n[k3 + 2]! * centred[k3 + 2]!;
        const d0 = n[k3]! * geom.normal[k3]! + n[k3 + 1]! * geom.normal[k3 + 1]! + n[k3 + 2]! * geom.normal[k3 + 2]!;
        worstS = Math.max(worstS, Math.acos(Math.min(1, dS)));
        worstC = Math.max(worstC, Math.acos(Math.min(1, dC)));
        tiltMax = Math.max(tiltMax, Math.acos(Math.min(1, d0)));
      }
    }
    const deg = 180 / Math.PI;
    expect(tiltMax * deg).toBeGreaterThan(8); // the bump tilts normals by up to ~9°
    expect(worstS * deg).toBeLessThan(0.05); // measured 0.02°
    expect(worstC * deg).toBeLessThan(1.5); // measured 1.0° (0.2 mm texels, σ = 2 mm bump)
  });
});

describe('encodeTangentNormalMap', () => {
  const W = 16;
  const geom = makeGeom(W, W, H_MM, 'flat');
  // Flat patch facing the camera: T = +X (= +u), and with w = +1, B = cross(N, T) = −Y (image up = −v).
  const frame = { tangent: new Float32Array(4 * W * W), normal: geom.normal };
  for (let k = 0; k < W * W; k++) frame.tangent.set([2, 0, 0.3, 1], 4 * k); // unnormalised, not ⟂ N

  const encode = (d: (i: number, j: number) => number) => {
    const disp = new Float32Array(W * W);
    for (let j = 0; j < W; j++) for (let i = 0; i < W; i++) disp[j * W + i] = d(i, j);
    return encodeTangentNormalMap(detailNormals(disp, geom), frame, geom.coverage);
  };
  const at = (img: Image, i: number, j: number) => Array.from(img.data.subarray(3 * (j * W + i), 3 * (j * W + i) + 3));

  it('encodes the flat proxy as (0.5, 0.5, 1) and uncovered texels flat', () => {
    const img = encode(() => 0);
    expect(img.width).toBe(W);
    for (let k = 0; k < W * W; k++) {
      expect(img.data[3 * k]).toBeCloseTo(0.5, 6);
      expect(img.data[3 * k + 1]).toBeCloseTo(0.5, 6);
      expect(img.data[3 * k + 2]).toBeCloseTo(1, 6);
    }
    const cov = new Uint8Array(W * W);
    const n = new Float32Array(3 * W * W).fill(0.577);
    const off = encodeTangentNormalMap(n, frame, cov);
    expect(at(off, 3, 3)).toEqual([0.5, 0.5, 1]);
  });

  it('tilts X toward +u and Y toward image-up (decreasing v), OpenGL / glTF convention', () => {
    // Height rising along +u (toward the viewer): the surface faces −u, so X < 0.5.
    const up = at(encode((i) => 0.05 * i), 8, 8);
    expect(up[0]!).toBeLessThan(0.45);
    expect(up[1]!).toBeCloseTo(0.5, 5);
    // Height falling along +u: the surface faces +u, X > 0.5.
    expect(at(encode((i) => -0.05 * i), 8, 8)[0]!).toBeGreaterThan(0.55);
    // Height rising along +v (down the image): the surface faces image-up (−v), so Y > 0.5.
    const facingUp = at(encode((_i, j) => 0.05 * j), 8, 8);
    expect(facingUp[1]!).toBeGreaterThan(0.55);
    expect(facingUp[0]!).toBeCloseTo(0.5, 5);
    // Height rising toward image-up (−v): the surface faces down, Y < 0.5.
    expect(at(encode((_i, j) => -0.05 * j), 8, 8)[1]!).toBeLessThan(0.45);
    // Unit length after decoding.
    const v = facingUp.map((c) => 2 * c - 1);
    expect(Math.hypot(v[0]!, v[1]!, v[2]!)).toBeCloseTo(1, 5);
  });

  it('flips Y with the handedness w = −1 (mirrored UVs)', () => {
    const mirrored = { tangent: new Float32Array(frame.tangent), normal: frame.normal };
    for (let k = 0; k < W * W; k++) mirrored.tangent[4 * k + 3] = -1;
    const disp = new Float32Array(W * W);
    for (let j = 0; j < W; j++) for (let i = 0; i < W; i++) disp[j * W + i] = 0.05 * j;
    const img = encodeTangentNormalMap(detailNormals(disp, geom), mirrored, geom.coverage);
    expect(at(img, 8, 8)[1]!).toBeLessThan(0.45);
  });
});

describe('darkIsDeep', () => {
  it('turns a thin dark line into a groove and ignores broad darkening and masked texels', async () => {
    const { darkIsDeep } = await import('../../src/core/detail/dark-is-deep.js');
    const W = 128, H = 128, N = W * H, texelMm = 0.2;
    const tex = new Float32Array(3 * N), alb = new Float32Array(3 * N).fill(0.5), sh = new Float32Array(3 * N).fill(1);
    const weight = new Float32Array(N).fill(1);
    for (let j = 0; j < H; j++) for (let i = 0; i < W; i++) {
      const k = j * W + i;
      // Broad left-to-right darkening (wider than the band) plus a 1 mm-wide dark line at i = 64.
      let v = 0.5 * (1 - 0.3 * (i / W));
      if (Math.abs(i - 64) <= 2) v *= 0.75;
      tex[3 * k] = tex[3 * k + 1] = tex[3 * k + 2] = v;
      if (j < 16) weight[k] = 0; // masked band (e.g. a brow)
    }
    const d = darkIsDeep(tex, alb, sh, weight, W, H, texelMm, { gainMm: 1, bandMm: 2.5, smoothMm: 0.25 });
    const at = (i: number, j: number) => d[j * W + i]!;
    expect(at(64, 64)).toBeLessThan(-0.1);           // groove, inward
    expect(Math.abs(at(20, 64))).toBeLessThan(0.02); // broad darkening is not relief
    expect(at(64, 8)).toBe(0);                       // masked texels untouched
    const off = darkIsDeep(tex, alb, sh, weight, W, H, texelMm, { gainMm: 0, bandMm: 2.5, smoothMm: 0.25 });
    expect(off.every((v) => v === 0)).toBe(true);
  });
});

describe('boxSum', () => {
  it('is the window sum with zeros outside the grid, for radii below, at and above the grid size', () => {
    for (const [W, H, r] of [[7, 5, 1], [7, 5, 3], [4, 9, 4], [5, 3, 8], [1, 1, 2], [12, 10, 5]] as const) {
      const src = Float64Array.from({ length: W * H }, (_, i) => ((i * 37) % 11) - 5 + 0.25 * i);
      const bytes = Uint8Array.from({ length: W * H }, (_, i) => (i * 7) % 3);
      for (const s of [src, bytes]) {
        const out = boxSum(s, W, H, r, new Float64Array(W * H));
        let worst = 0;
        for (let y = 0; y < H; y++) {
          for (let x = 0; x < W; x++) {
            let sum = 0;
            for (let yy = Math.max(0, y - r); yy <= Math.min(H - 1, y + r); yy++) for (let xx = Math.max(0, x - r); xx <= Math.min(W - 1, x + r); xx++) sum += s[yy * W + xx]!;
            worst = Math.max(worst, Math.abs(out[y * W + x]! - sum));
          }
        }
        expect(worst).toBeLessThan(1e-9);
      }
    }
  });
});

import { existsSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { makePose } from '../../src/core/camera/pose.js';
import { angleBetween, angularError, detailAngularError, highPassCorrelation, highPassNormals, maskedGaussianBlur } from '../../src/core/eval/angular-error.js';
import { evaluateNormals } from '../../src/core/eval/evaluate-normals.js';
import { meshHeadToCamera, renderForEval } from '../../src/core/eval/render-eval.js';
import { computeTangents } from '../../src/core/mesh/tangents.js';
import type { FaceReconstruction } from '../../src/core/pipeline/types.js';
import { renderMesh } from '../../src/core/render/render-mesh.js';
import type { Camera, Image, Mesh } from '../../src/core/types.js';
import { renderMethod } from '../../bench/accuracy/methods.js';
import { uvSphere, worst } from '../fixtures/meshes.js';

const camera: Camera = { width: 160, height: 120, fx: 200, fy: 200, cx: 80, cy: 60, focalSource: 'user' };
const C: [number, number, number] = [5, -3, 400], R = 80;
const light = { type: 'directional' as const, direction: [0, 0, -1] as [number, number, number] };

function sphereWithTangents(): Mesh {
  const m = uvSphere(C, R);
  m.tangents = computeTangents(m.positions, m.normals!, m.uvs!, m.indices);
  return m;
}

function uniformMap(rgb: [number, number, number], size = 8): Image {
  const data = new Float32Array(size * size * 3);
  for (let i = 0; i < size * size; i++) data.set(rgb, 3 * i);
  return { width: size, height: size, channels: 3, data };
}

/** Analytic sphere frame at pixel (x, y), or undefined off the sphere / near its rim or poles. */
function sphereFrame(x: number, y: number): { n: number[]; t: number[]; b: number[] } | undefined {
  const d = [(x + 0.5 - camera.cx) / camera.fx, (y + 0.5 - camera.cy) / camera.fy, 1];
  const dl = Math.hypot(d[0]!, d[1]!, d[2]!);
  const u = d.map((v) => v / dl);
  const bb = u[0]! * C[0] + u[1]! * C[1] + u[2]! * C[2];
  const disc = bb * bb - (C[0] ** 2 + C[1] ** 2 + C[2] ** 2 - R * R);
  if (disc < 1500) return undefined; // stay away from the polygonal rim
  const tt = bb - Math.sqrt(disc);
  const n = [0, 1, 2].map((k) => (tt * u[k]! - C[k]!) / R);
  // uvSphere: n = (sinθ cosφ, cosθ, sinθ sinφ), u = φ / 2π, v = θ / π.
  const th = Math.acos(Math.max(-1, Math.min(1, n[1]!))), ph = Math.atan2(n[2]!, n[0]!);
  if (Math.sin(th) < 0.3) return undefined; // avoid the poles
  const t = [-Math.sin(ph), 0, Math.cos(ph)]; // ∂P/∂u direction
  const b = [-Math.cos(th) * Math.cos(ph), Math.sin(th), -Math.cos(th) * Math.sin(ph)]; // −∂P/∂v direction
  return { n, t, b };
}

describe('renderMesh normal map (evaluation renderer)', () => {
  it('a flat normal map (0.5, 0.5, 1) leaves the normals unchanged', () => {
    const mesh = sphereWithTangents();
    const plain = renderMesh(mesh, camera, { lighting: light });
    const mapped = renderMesh(mesh, camera, { lighting: light, normalMap: uniformMap([0.5, 0.5, 1]) });
    const e = angularError(plain.normal, mapped.normal, { mask: Array.from(plain.triangle, (t) => (t >= 0 ? 1 : 0)) });
    expect(e.count).toBeGreaterThan(5000);
    expect(e.maxDeg).toBeLessThan(1e-3);
  });

  it('a tilted normal map tilts the normals toward +T (red) and toward −v (green)', () => {
    const mesh = sphereWithTangents();
    const a = (20 * Math.PI) / 180;
    for (const axis of ['t', 'b'] as const) {
      const rgb: [number, number, number] = axis === 't'
        ? [0.5 + 0.5 * Math.sin(a), 0.5, 0.5 + 0.5 * Math.cos(a)]
        : [0.5, 0.5 + 0.5 * Math.sin(a), 0.5 + 0.5 * Math.cos(a)];
      const r = renderMesh(mesh, camera, { lighting: light, normalMap: uniformMap(rgb) });
      const errs: number[] = [];
      let wrongWay = 0;
      for (let y = 0; y < camera.height; y++) for (let x = 0; x < camera.width; x++) {
        const f = sphereFrame(x, y);
        const p = y * camera.width + x;
        if (!f || r.triangle[p]! < 0) continue;
        const dir = axis === 't' ? f.t : f.b;
        const want = [0, 1, 2].map((k) => Math.sin(a) * dir[k]! + Math.cos(a) * f.n[k]!);
        const got = [r.normal[3 * p]!, r.normal[3 * p + 1]!, r.normal[3 * p + 2]!];
        errs.push(angleBetween(want[0]!, want[1]!, want[2]!, got[0]!, got[1]!, got[2]!));
        // The tilt must go the right way: toward `dir`, not away from it.
        if (got[0]! * dir[0]! + got[1]! * dir[1]! + got[2]! * dir[2]! < 0) wrongWay++;
      }
      expect(errs.length).toBeGreaterThan(3000);
      const w = worst(errs);
      expect(w.mean, `${axis}: mean error`).toBeLessThan(0.3);
      expect(w.max, `${axis}: worst error at #${w.at}`).toBeLessThan(2);
      expect(wrongWay).toBe(0);
    }
  });

  it('returns barycentric weights that reproduce the depth', () => {
    const mesh = uvSphere(C, R, 24, 48);
    const r = renderMesh(mesh, camera, { lighting: light });
    const I = mesh.indices, P = mesh.positions;
    let checked = 0;
    for (let p = 0; p < camera.width * camera.height; p += 7) {
      const t = r.triangle[p]!;
      if (t < 0) continue;
      const b0 = r.barycentric[2 * p]!, b1 = r.barycentric[2 * p + 1]!;
      const z = b0 * P[3 * I[3 * t]! + 2]! + b1 * P[3 * I[3 * t + 1]! + 2]! + (1 - b0 - b1) * P[3 * I[3 * t + 2]! + 2]!;
      expect(Math.abs(z - r.depth[p]!)).toBeLessThan(1e-3);
      checked++;
    }
    expect(checked).toBeGreaterThan(100);
  });
});

describe('normal-field metrics', () => {
  it('angularError is 0 for a field against itself and matches a known rotation', () => {
    const n = new Float32Array([0, 0, -1, 0.6, 0, -0.8, 0, 1, 0]);
    expect(angularError(n, n).maxDeg).toBe(0);
    const rot = new Float32Array([Math.sin(0.1), 0, -Math.cos(0.1)]);
    const e = angularError(new Float32Array([0, 0, -1]), rot);
    expect(Math.abs(e.meanDeg - (0.1 * 180) / Math.PI)).toBeLessThan(1e-4);
    expect(angularError(n, n, { mask: [1, 0, 0] }).count).toBe(1);
  });

  it('maskedGaussianBlur keeps a constant field constant inside an irregular mask and ignores values outside', () => {
    const W = 40, H = 30;
    const f = new Float32Array(W * H * 2), w = new Float32Array(W * H);
    for (let p = 0; p < W * H; p++) {
      const inside = Math.hypot((p % W) - 20, Math.floor(p / W) - 15) < 12;
      w[p] = inside ? 1 : 0;
      f[2 * p] = inside ? 3 : 1000; f[2 * p + 1] = inside ? -2 : 1000;
    }
    const out = maskedGaussianBlur(f, 2, W, H, w, 3);
    for (let p = 0; p < W * H; p++) if (w[p]) { expect(out[2 * p]).toBeCloseTo(3, 5); expect(out[2 * p + 1]).toBeCloseTo(-2, 5); }
  });

  it('the detail metric is ≈ 0 for two smooth fields that differ only in low frequency, and sees real detail', () => {
    const W = 128, H = 128, sigmaPx = 2;
    const a = new Float32Array(W * H * 3), b = new Float32Array(W * H * 3), c = new Float32Array(W * H * 3);
    const mask = new Uint8Array(W * H), support = new Uint8Array(W * H).fill(1);
    const put = (arr: Float32Array, p: number, x: number, y: number, z: number) => {
      const l = Math.hypot(x, y, z);
      arr[3 * p] = x / l; arr[3 * p + 1] = y / l; arr[3 * p + 2] = z / l;
    };
    for (let y = 0; y < H; y++) for (let x = 0; x < W; x++) {
      const p = y * W + x;
      // Compare away from the image border (the masked blur is one-sided there).
      mask[p] = x >= 3 * sigmaPx && y >= 3 * sigmaPx && x < W - 3 * sigmaPx && y < H - 3 * sigmaPx ? 1 : 0;
      put(a, p, 0.3 * Math.sin((2 * Math.PI * x) / 256), 0.2 * Math.cos((2 * Math.PI * y) / 256), -1);
      put(b, p, 0.1 + 0.15 * (x / W), -0.2 + 0.1 * Math.sin((2 * Math.PI * (x + y)) / 300), -1);
      // c = a plus a fine bump pattern (period 6 px, ≈ 5° tilt).
      put(c, p, 0.3 * Math.sin((2 * Math.PI * x) / 256) + 0.09 * Math.sin((2 * Math.PI * x) / 6), 0.2 * Math.cos((2 * Math.PI * y) / 256), -1);
    }
    // Whole-field errors are large, the detail-only error is ~0.
    expect(angularError(a, b, { mask }).meanDeg).toBeGreaterThan(5);
    const d = detailAngularError(a, b, W, H, { sigmaPx, mask, supportA: support, supportB: support });
    expect(d.count).toBeGreaterThan(10000);
    expect(d.maxDeg).toBeLessThan(0.05);
    // The same fine detail on two different smooth bases: still ≈ 0 (up to the normalisation's non-linearity).
    const c2 = new Float32Array(W * H * 3);
    for (let p = 0; p < W * H; p++) {
      const x = p % W;
      const l = Math.hypot(b[3 * p]! / b[3 * p + 2]! * -1 + 0.09 * Math.sin((2 * Math.PI * x) / 6), b[3 * p + 1]! / b[3 * p + 2]! * -1, -1);
      c2[3 * p] = (-b[3 * p]! / b[3 * p + 2]! + 0.09 * Math.sin((2 * Math.PI * x) / 6)) / l;
      c2[3 * p + 1] = -b[3 * p + 1]! / b[3 * p + 2]! / l;
      c2[3 * p + 2] = -1 / l;
    }
    expect(detailAngularError(c, c2, W, H, { sigmaPx, mask, supportA: support, supportB: support }).meanDeg).toBeLessThan(0.3);
    // Missing detail: the error is the detail's own magnitude (≈ 5° peak, ≈ 3° mean).
    const miss = detailAngularError(c, a, W, H, { sigmaPx, mask, supportA: support, supportB: support });
    expect(miss.meanDeg).toBeGreaterThan(2);
    // Correlation of the high-pass parts: 1 for the same detail, −1 inverted, NaN for none.
    const hc = highPassNormals(c, W, H, support, sigmaPx), hc2 = highPassNormals(c2, W, H, support, sigmaPx);
    const inv = { low: hc.low, residual: hc.residual.map((v) => -v) };
    expect(highPassCorrelation(hc.residual, hc2.residual, mask).correlation).toBeGreaterThan(0.99);
    expect(highPassCorrelation(hc.residual, hc2.residual, mask).gain).toBeCloseTo(1, 1);
    expect(highPassCorrelation(hc.residual, inv.residual, mask).correlation).toBeCloseTo(-1, 6);
  });
});

describe('evaluation path', () => {
  // A "scan": a sphere with a bumpy normal map, in a head frame, posed in front of the camera.
  const bumps: Image = { width: 64, height: 64, channels: 3, data: new Float32Array(64 * 64 * 3) };
  for (let j = 0; j < 64; j++) for (let i = 0; i < 64; i++) {
    const x = 0.25 * Math.sin(i * 0.9), y = 0.25 * Math.cos(j * 1.3), z = Math.sqrt(1 - x * x - y * y);
    bumps.data.set([0.5 + 0.5 * x, 0.5 + 0.5 * y, 0.5 + 0.5 * z], 3 * (j * 64 + i));
  }
  const head = uvSphere([0, 0, 0], 70, 48, 96);
  head.tangents = computeTangents(head.positions, head.normals!, head.uvs!, head.indices);
  const pose = makePose(new Float64Array([0.96, 0, 0.28, 0, -1, 0, 0.28, 0, -0.96]), new Float64Array([4, -2, 420]));
  const gt = renderForEval(meshHeadToCamera(head, pose), camera, { lighting: light, normalMap: bumps, supersample: 2, region: () => 1 });
  const mask = Array.from(gt.region, (r) => (r >= 1 ? 1 : 0));

  it('scores the ground truth against itself as 0° with full coverage', () => {
    const e = evaluateNormals(gt, mask, gt, camera.width, camera.height, { sigmaPx: 2 });
    expect(e.count).toBeGreaterThan(3000);
    expect(e.meanDeg).toBe(0);
    expect(e.detailMeanDeg).toBeLessThan(1e-4);
    expect(e.coverage).toBe(1);
  });

  it('renders the ground-truth mesh through the benchmark path (head → camera with the pose, normal map via tangents) with 0° error', () => {
    const face = { camera, pose, detailedMesh: head, proxy: head, maps: { residualNormal: bumps } } as unknown as FaceReconstruction;
    const ours = renderMethod(face, 'sfs', camera, 63);
    const e = evaluateNormals(gt, mask, ours, camera.width, camera.height, { sigmaPx: 2 });
    expect(e.coverage).toBe(1);
    expect(e.meanDeg).toBeLessThan(1e-3);
    expect(e.detailMeanDeg).toBeLessThan(1e-3);
    // Without the normal map (the proxy path) the detail is missing and the metric sees it.
    const proxy = evaluateNormals(gt, mask, renderMethod(face, 'proxy', camera, 63), camera.width, camera.height, { sigmaPx: 2 });
    expect(proxy.detailMeanDeg).toBeGreaterThan(3);
  });

  const shared = process.env.FACEDETAIL_SHARED ?? path.resolve('..', 'shared');
  const haveScan = existsSync(path.join(shared, 'scans', 'lee-perry-smith', 'LeePerrySmith.glb'));
  if (!haveScan) console.warn(`eval.test: skipping the scan test, ${shared}/scans/lee-perry-smith is absent`);
  it.skipIf(!haveScan)('renders the scan bench view and scores the scan through the evaluation path as 0°', async () => {
    const { loadScan } = await import('../../bench/accuracy/scan.js');
    const { benchSet, renderView } = await import('../../bench/accuracy/scene.js');
    const scan = await loadScan();
    const view = { ...benchSet()[1]!, size: 256 };
    const r = renderView(scan, view);
    const maskPixels = r.mask.reduce((s, m) => s + m, 0);
    expect(maskPixels).toBeGreaterThan(0.05 * 256 * 256);
    const face = { camera: r.camera, pose: r.pose, detailedMesh: scan.mesh, proxy: scan.mesh, maps: { residualNormal: scan.normalMap } } as unknown as FaceReconstruction;
    const e = evaluateNormals(r.gt, r.mask, renderMethod(face, 'sfs', r.camera, 63), 256, 256, { sigmaPx: 2 });
    expect(e.coverage).toBe(1);
    expect(e.meanDeg).toBeLessThan(1e-3);
    // The same renders twice are identical (seeded and deterministic).
    expect(renderView(scan, view).image.data).toEqual(r.image.data);
  });
});

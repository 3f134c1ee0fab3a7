import { describe, expect, it } from 'vitest';
import { renderMesh } from '../../src/core/render/render-mesh.js';
import type { Camera } from '../../src/core/types.js';
import { uvSphere, worst } from '../fixtures/meshes.js';

const camera: Camera = { width: 160, height: 120, fx: 200, fy: 200, cx: 80, cy: 60, focalSource: 'user' };

describe('renderMesh', () => {
  it('renders per-pixel normals of a sphere that match the analytic normals', () => {
    const C: [number, number, number] = [5, -3, 400], R = 80;
    const r = renderMesh(uvSphere(C, R), camera, { lighting: { type: 'directional', direction: [0, 0, -1] } });
    const errs: number[] = [];
    let covered = 0, expected = 0;
    for (let y = 0; y < camera.height; y++) for (let x = 0; x < camera.width; x++) {
      // Ray through the pixel centre; intersect with the sphere analytically.
      const d = [(x + 0.5 - camera.cx) / camera.fx, (y + 0.5 - camera.cy) / camera.fy, 1];
      const dl = Math.hypot(d[0]!, d[1]!, d[2]!);
      const u = d.map((v) => v / dl);
      const b = u[0]! * C[0] + u[1]! * C[1] + u[2]! * C[2];
      const disc = b * b - (C[0] ** 2 + C[1] ** 2 + C[2] ** 2 - R * R);
      const p = y * camera.width + x;
      if (disc > 400) { // well inside the silhouette (avoid the polygonal rim)
        expected++;
        if (r.triangle[p]! >= 0) covered++;
        const t = b - Math.sqrt(disc);
        const n = [0, 1, 2].map((k) => (t * u[k]! - C[k]!) / R);
        const dot = n[0]! * r.normal[3 * p]! + n[1]! * r.normal[3 * p + 1]! + n[2]! * r.normal[3 * p + 2]!;
        errs.push((Math.acos(Math.min(1, dot)) * 180) / Math.PI);
        expect(Math.abs(r.depth[p]! - t * u[2]!)).toBeLessThan(0.5);
      } else if (disc < -400) {
        expect(r.triangle[p]).toBe(-1);
      }
    }
    expect(covered).toBe(expected);
    const w = worst(errs);
    expect(w.mean).toBeLessThan(0.2);
    expect(w.max).toBeLessThan(1.0);
  });

  it('is deterministic and shades a frontal light brighter at the centre than at the rim', () => {
    const mesh = uvSphere([0, 0, 400], 80, 32, 64);
    const opts = { lighting: { type: 'directional' as const, direction: [0, 0, -1] as [number, number, number], ambient: 0 } };
    const a = renderMesh(mesh, camera, opts), b = renderMesh(mesh, camera, opts);
    expect(a.image.data).toEqual(b.image.data);
    const centre = a.image.data[3 * (60 * 160 + 80)]!;
    const rim = a.image.data[3 * (60 * 160 + 80 + 38)]!;
    expect(centre).toBeGreaterThan(rim);
  });

  it('interpolates per-vertex colours (linear RGB) when no texture is given', () => {
    const mesh = uvSphere([0, 0, 400], 80, 16, 32);
    const nv = mesh.positions.length / 3;
    const colors = new Float32Array(3 * nv);
    // Red on the left half (x < 0), blue on the right.
    for (let v = 0; v < nv; v++) colors[3 * v + (mesh.positions[3 * v]! < 0 ? 0 : 2)] = 0.8;
    const r = renderMesh(mesh, camera, { lighting: { type: 'directional', direction: [0, 0, -1], ambient: 0 }, vertexColors: colors, output: 'linear' });
    const left = 3 * (60 * 160 + 60), right = 3 * (60 * 160 + 100);
    expect(r.image.data[left]!).toBeGreaterThan(0.5);
    expect(r.image.data[left + 2]!).toBeLessThan(0.05);
    expect(r.image.data[right + 2]!).toBeGreaterThan(0.5);
    expect(r.image.data[right]!).toBeLessThan(0.05);
    expect(() => renderMesh(mesh, camera, { lighting: { type: 'directional', direction: [0, 0, -1] }, vertexColors: new Float32Array(3) })).toThrow(/vertexColors/);
  });
});

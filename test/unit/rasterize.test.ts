import { describe, expect, it } from 'vitest';
import { rasterizeTriangles } from '../../src/core/raster/rasterize.js';

describe('rasterizeTriangles', () => {
  it('covers every pixel of a square split into two triangles exactly once', () => {
    const W = 17, H = 13;
    const xy = new Float32Array([0, 0, W, 0, W, H, 0, H]);
    for (const idx of [[0, 1, 2, 0, 2, 3], [0, 2, 1, 0, 3, 2]]) {
      const count = new Uint8Array(W * H);
      rasterizeTriangles(W, H, xy, new Uint32Array(idx), (x, y) => { count[y * W + x]!++; });
      expect(Array.from(count).every((c) => c === 1)).toBe(true);
    }
  });

  it('tiles a fan of triangles through pixel centres with no gaps or overlaps', () => {
    const W = 32, H = 32;
    // Fan around a vertex placed exactly on a pixel centre, edges through many centres.
    const xy = [16.5, 16.5];
    const n = 12;
    for (let k = 0; k < n; k++) {
      const a = (2 * Math.PI * k) / n;
      xy.push(16.5 + 40 * Math.cos(a), 16.5 + 40 * Math.sin(a));
    }
    xy.push(0.5, 16.5); // unused vertex
    const idx: number[] = [];
    for (let k = 0; k < n; k++) idx.push(0, 1 + k, 1 + ((k + 1) % n));
    const count = new Uint8Array(W * H);
    rasterizeTriangles(W, H, new Float64Array(xy), idx, (x, y) => { count[y * W + x]!++; });
    expect(Array.from(count).every((c) => c === 1)).toBe(true);
  });

  it('returns barycentrics that reproduce the pixel centre', () => {
    const xy = new Float32Array([1.2, 0.7, 9.9, 2.3, 4.1, 8.8]);
    let worst = 0;
    rasterizeTriangles(12, 12, xy, [0, 2, 1], (x, y, _t, b0, b1, b2) => {
      const px = b0 * xy[0]! + b1 * xy[4]! + b2 * xy[2]!;
      const py = b0 * xy[1]! + b1 * xy[5]! + b2 * xy[3]!;
      expect(b0 + b1 + b2).toBeCloseTo(1, 9);
      worst = Math.max(worst, Math.hypot(px - (x + 0.5), py - (y + 0.5)));
    });
    expect(worst).toBeLessThan(3 / 256); // vertices snap to 1/256 px
  });
});

import { describe, expect, it } from 'vitest';
import { distanceTransform, evaluateDetailField, valleyDepth, creaseScores, type DetailFieldInputs } from '../../src/core/eval/detail-field.js';

const W = 160, H = 120, MM = 0.25;

/** A height field (mm) with grooves of known depth and a few bumps, its normals (camera frame: −z toward the camera), a flat proxy. */
function scene(shift = 0): { disp: Float32Array; detailed: Float32Array; smooth: Float32Array; mask: Uint8Array } {
  const disp = new Float32Array(W * H);
  for (let y = 0; y < H; y++) for (let x = 0; x < W; x++) {
    const X = x - shift;
    let d = 0;
    for (const [cx, depth, sig] of [[40, 0.5, 3], [80, 0.3, 2], [120, 0.8, 4]] as const) d -= depth * Math.exp(-((X - cx) ** 2) / (2 * sig * sig)) * (0.6 + 0.4 * Math.sin(y / 9));
    d += 0.2 * Math.exp(-((X - 60) ** 2 + (y - 60) ** 2) / 50);
    disp[y * W + x] = d;
  }
  const detailed = new Float32Array(3 * W * H), smooth = new Float32Array(3 * W * H), mask = new Uint8Array(W * H);
  for (let y = 1; y < H - 1; y++) for (let x = 1; x < W - 1; x++) {
    const p = y * W + x;
    const gx = (disp[p + 1]! - disp[p - 1]!) / (2 * MM), gy = (disp[p + W]! - disp[p - W]!) / (2 * MM);
    // Camera frame, surface facing the camera (normal −z); height d toward the camera.
    const l = Math.hypot(gx, gy, 1);
    detailed[3 * p] = gx / l; detailed[3 * p + 1] = gy / l; detailed[3 * p + 2] = -1 / l;
    smooth[3 * p + 2] = -1;
    if (x > 8 && x < W - 8 && y > 8 && y < H - 8) mask[p] = 1;
  }
  return { disp, detailed, smooth, mask };
}

function inputs(gt: ReturnType<typeof scene>, ours: { detailed: Float32Array; proxy: Float32Array; disp?: Float32Array }): DetailFieldInputs {
  const field = (a: Float32Array, b: Float32Array) => a.map((v, i) => v - b[i]!);
  return {
    width: W, height: H, mmPerPixel: MM, mask: gt.mask,
    gtField: field(gt.detailed, gt.smooth), gtDetailed: gt.detailed, gtDisplacement: gt.disp,
    field: field(ours.detailed, ours.proxy), detailed: ours.detailed, proxy: ours.proxy, ...(ours.disp ? { displacement: ours.disp } : {}),
  };
}

describe('detail-field metrics', () => {
  it('the ground truth fed to itself scores r = 1, rWrinkle = 1, crease F1 = 1, at shift 0, and improves the normal error', () => {
    const gt = scene();
    const s = evaluateDetailField(inputs(gt, { detailed: gt.detailed, proxy: gt.smooth, disp: gt.disp }));
    expect(s.r).toBeCloseTo(1, 6);
    expect(s.rWrinkle).toBeCloseTo(1, 6);
    expect(s.shift).toEqual([0, 0]);
    expect(s.creaseF1).toBeCloseTo(1, 6);
    expect(s.amplitude).toBeCloseTo(1, 6);
    expect(s.normalGainDeg).toBeLessThan(-1);
  });

  it('zero detail scores r = 0, rWrinkle = 0, F1 = 0 and a normal gain of exactly 0 (by construction)', () => {
    const gt = scene();
    const s = evaluateDetailField(inputs(gt, { detailed: gt.smooth, proxy: gt.smooth, disp: new Float32Array(W * H) }));
    expect(s.r).toBe(0);
    expect(s.rWrinkle).toBe(0);
    expect(s.creaseF1).toBe(0);
    expect(s.amplitude).toBe(0);
    expect(s.normalGainDeg).toBe(0);
  });

  it('recovers a known 2 px shift and scores the shifted detail as right', () => {
    const gt = scene(), moved = scene(2);
    const s = evaluateDetailField(inputs(gt, { detailed: moved.detailed, proxy: moved.smooth, disp: moved.disp }));
    expect(s.shift).toEqual([2, 0]);
    expect(s.r).toBeGreaterThan(0.99);
    // 2 px = 0.5 mm < the 1.5 mm tolerance.
    expect(s.creaseF1).toBeGreaterThan(0.95);
  });

  it('a gain does not change r but the amplitude reads it; inverted detail scores low', () => {
    const gt = scene();
    const half = gt.detailed.map((v, i) => gt.smooth[i]! + 0.3 * (v - gt.smooth[i]!));
    const s = evaluateDetailField(inputs(gt, { detailed: half, proxy: gt.smooth }));
    expect(s.r).toBeCloseTo(1, 5);
    expect(s.amplitude).toBeCloseTo(0.3, 5);
    const inv = gt.detailed.map((v, i) => gt.smooth[i]! - (v - gt.smooth[i]!));
    expect(evaluateDetailField(inputs(gt, { detailed: inv, proxy: gt.smooth })).r).toBeLessThan(0.5);
  });

  it('valley depth recovers a groove depth; the distance transform is exact on a known case', () => {
    const gt = scene();
    const d = valleyDepth(gt.disp, W, H, gt.mask, 3 / MM);
    // Groove at x = 120 (0.8 mm × (0.6 + 0.4 sin(y/9))): at y = 14 sin ≈ 1 → 0.8 mm.
    const y = 14, ampl = 0.8 * (0.6 + 0.4 * Math.sin(y / 9));
    expect(d[y * W + 120]).toBeCloseTo(ampl, 1);
    const seed = new Uint8Array(25); seed[12] = 1; // 5×5, centre
    const dt = distanceTransform(seed, 5, 5);
    expect(dt[0]).toBeCloseTo(Math.SQRT2 * 2, 6);
    expect(dt[2]).toBeCloseTo(2, 6);
    const c = creaseScores(seed, new Uint8Array(25), 5, 5, new Uint8Array(25).fill(1), 1);
    expect(c).toMatchObject({ precision: 0, recall: 0, f1: 0 });
  });
});

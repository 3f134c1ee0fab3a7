import { describe, expect, it } from 'vitest';
import { albedoDeltaE, chromaOutlierFraction, deltaE2000, linearRgbToLab } from '../../src/core/lighting/index.js';
import { srgbToLinearExact } from '../../src/core/image/image.js';

/** Sharma, Wu & Dalal (2005), Table 1: the 34 CIEDE2000 reference pairs (L1 a1 b1 L2 a2 b2 ΔE00). */
const SHARMA: ReadonlyArray<readonly [number, number, number, number, number, number, number]> = [
  [50.0, 2.6772, -79.7751, 50.0, 0.0, -82.7485, 2.0425],
  [50.0, 3.1571, -77.2803, 50.0, 0.0, -82.7485, 2.8615],
  [50.0, 2.8361, -74.02, 50.0, 0.0, -82.7485, 3.4412],
  [50.0, -1.3802, -84.2814, 50.0, 0.0, -82.7485, 1.0],
  [50.0, -1.1848, -84.8006, 50.0, 0.0, -82.7485, 1.0],
  [50.0, -0.9009, -85.5211, 50.0, 0.0, -82.7485, 1.0],
  [50.0, 0.0, 0.0, 50.0, -1.0, 2.0, 2.3669],
  [50.0, -1.0, 2.0, 50.0, 0.0, 0.0, 2.3669],
  [50.0, 2.49, -0.001, 50.0, -2.49, 0.0009, 7.1792],
  [50.0, 2.49, -0.001, 50.0, -2.49, 0.001, 7.1792],
  [50.0, 2.49, -0.001, 50.0, -2.49, 0.0011, 7.2195],
  [50.0, 2.49, -0.001, 50.0, -2.49, 0.0012, 7.2195],
  [50.0, -0.001, 2.49, 50.0, 0.0009, -2.49, 4.8045],
  [50.0, -0.001, 2.49, 50.0, 0.001, -2.49, 4.8045],
  [50.0, -0.001, 2.49, 50.0, 0.0011, -2.49, 4.7461],
  [50.0, 2.5, 0.0, 50.0, 0.0, -2.5, 4.3065],
  [50.0, 2.5, 0.0, 73.0, 25.0, -18.0, 27.1492],
  [50.0, 2.5, 0.0, 61.0, -5.0, 29.0, 22.8977],
  [50.0, 2.5, 0.0, 56.0, -27.0, -3.0, 31.903],
  [50.0, 2.5, 0.0, 58.0, 24.0, 15.0, 19.4535],
  [50.0, 2.5, 0.0, 50.0, 3.1736, 0.5854, 1.0],
  [50.0, 2.5, 0.0, 50.0, 3.2972, 0.0, 1.0],
  [50.0, 2.5, 0.0, 50.0, 1.8634, 0.5757, 1.0],
  [50.0, 2.5, 0.0, 50.0, 3.2592, 0.335, 1.0],
  [60.2574, -34.0099, 36.2677, 60.4626, -34.1751, 39.4387, 1.2644],
  [63.0109, -31.0961, -5.8663, 62.8187, -29.7946, -4.0864, 1.263],
  [61.2901, 3.7196, -5.3901, 61.4292, 2.248, -4.962, 1.8731],
  [35.0831, -44.1164, 3.7933, 35.0232, -40.0716, 1.5901, 1.8645],
  [22.7233, 20.0904, -46.694, 23.0331, 14.973, -42.5619, 2.0373],
  [36.4612, 47.858, 18.3852, 36.2715, 50.5065, 21.2231, 1.4146],
  [90.8027, -2.0831, 1.441, 91.1528, -1.6435, 0.0447, 1.4441],
  [90.9257, -0.5406, -0.9208, 88.6381, -0.8985, -0.7239, 1.5381],
  [6.7747, -0.2908, -2.4247, 5.8714, -0.0985, -2.2286, 0.6377],
  [2.0776, 0.0795, -1.135, 0.9033, -0.0636, -0.5514, 0.9082],
];

describe('deltaE2000', () => {
  it('matches the 34 Sharma et al. (2005) reference pairs, both orders, to 1e-4', () => {
    let worst = { i: -1, err: 0 };
    SHARMA.forEach(([L1, a1, b1, L2, a2, b2, want], i) => {
      for (const got of [deltaE2000(L1, a1, b1, L2, a2, b2), deltaE2000(L2, a2, b2, L1, a1, b1)]) {
        const err = Math.abs(got - want);
        if (err > worst.err) worst = { i, err };
      }
    });
    expect(worst.err, `worst pair #${worst.i + 1}`).toBeLessThan(1e-4);
  });

  it('is zero for identical colours', () => {
    expect(deltaE2000(40, 12, -7, 40, 12, -7)).toBe(0);
    expect(deltaE2000(0, 0, 0, 0, 0, 0)).toBe(0);
  });
});

describe('linearRgbToLab', () => {
  it('maps white to L* 100 and the sRGB primaries to their published CIELAB values', () => {
    const lab = new Float64Array(3);
    linearRgbToLab(1, 1, 1, lab);
    expect(lab[0]).toBeCloseTo(100, 3);
    expect(Math.abs(lab[1]!) + Math.abs(lab[2]!)).toBeLessThan(0.01);
    // sRGB red (255, 0, 0) = Lab (53.24, 80.09, 67.20); mid grey sRGB 0.5 = L* 53.39.
    linearRgbToLab(1, 0, 0, lab);
    expect(lab[0]).toBeCloseTo(53.24, 1);
    expect(lab[1]).toBeCloseTo(80.09, 1);
    expect(lab[2]).toBeCloseTo(67.2, 1);
    const g = srgbToLinearExact(0.5);
    linearRgbToLab(g, g, g, lab);
    expect(lab[0]).toBeCloseTo(53.39, 1);
  });
});

function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 4294967296;
  };
}

describe('albedoDeltaE', () => {
  const r = rng(3);
  const n = 2000;
  const truth = new Float32Array(3 * n);
  for (let i = 0; i < n; i++) { truth[3 * i] = 0.3 + 0.3 * r(); truth[3 * i + 1] = 0.2 + 0.2 * r(); truth[3 * i + 2] = 0.1 + 0.2 * r(); }

  it('is ≈ 0 for a uniformly scaled estimate with a scalar gain, and finds the gain', () => {
    const ours = truth.map((v) => v * 0.4);
    const e = albedoDeltaE(ours, truth, { gain: 'scalar' });
    expect(e.mean).toBeLessThan(0.01);
    expect(e.fractionAbove).toBe(0);
    expect(e.gain[0]).toBeCloseTo(2.5, 2);
  });

  it('absorbs a white-balance error only with the per-channel gain', () => {
    const ours = truth.map((v, i) => v * [0.5, 0.6, 0.9][i % 3]!);
    expect(albedoDeltaE(ours, truth, { gain: 'per-channel' }).mean).toBeLessThan(0.01);
    expect(albedoDeltaE(ours, truth, { gain: 'scalar' }).mean).toBeGreaterThan(2);
  });

  it('counts the fraction of samples above the threshold (here: a green streak on 5 %)', () => {
    const ours = Float32Array.from(truth);
    for (let i = 0; i < n / 20; i++) { ours[3 * i] = 0.1; ours[3 * i + 1] = 0.5; ours[3 * i + 2] = 0.1; }
    const e = albedoDeltaE(ours, truth, { gain: 'scalar' });
    expect(e.fractionAbove).toBeCloseTo(0.05, 3);
    expect(e.chromaFractionAbove).toBeCloseTo(0.05, 3);
  });
});

describe('chromaOutlierFraction', () => {
  it('flags a green streak on a skin-coloured face and little else', () => {
    const W = 100, H = 100, r = rng(11);
    const data = new Float32Array(W * H * 3);
    const mask = new Uint8Array(W * H).fill(1);
    const gauss = (): number => Math.sqrt(-2 * Math.log(r() + 1e-12)) * Math.cos(2 * Math.PI * r());
    for (let k = 0; k < W * H; k++) {
      const y = 0.35 * (1 + 0.1 * gauss());
      data[3 * k] = y * (1.45 + 0.05 * gauss()); data[3 * k + 1] = y; data[3 * k + 2] = y * (0.8 + 0.04 * gauss());
    }
    // A 5 % streak: rows 0..4 green-white.
    for (let k = 0; k < 5 * W; k++) { data[3 * k] = 0.5; data[3 * k + 1] = 0.7; data[3 * k + 2] = 0.45; }
    mask[W * H - 1] = 0; // unmasked texels are ignored
    const res = chromaOutlierFraction({ width: W, height: H, channels: 3, data }, mask);
    let streak = 0;
    for (let k = 0; k < 5 * W; k++) streak += res.outliers[k]!;
    expect(streak).toBe(5 * W);
    expect(res.fraction).toBeGreaterThan(0.05);
    expect(res.fraction).toBeLessThan(0.075); // the streak + the Gaussian tail beyond d = 3 (≈ 1 %)
    expect(res.count).toBe(W * H - 1);
  });
});

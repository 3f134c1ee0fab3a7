/**
 * The prior displacement of solveDetail ('dfdn+sfs'): absent or zero it changes nothing; with a
 * heavy magnitude weight the result follows the prior; the data term still corrects it.
 */
import { describe, expect, it } from 'vitest';
import { solveDetail } from '../../src/core/detail/solve-detail.js';
import { directionalSH, evalSH } from '../../src/core/lighting/sh.js';
import type { UVGeometry } from '../../src/core/unwrap/uv-geometry.js';

/** A flat disc chart (0.2 mm texels) whose texture shows the shading of a groove. */
function scene(D: number) {
  const N = D * D, h = 0.2;
  const geom: UVGeometry = {
    width: D, height: D, coverage: new Uint8Array(N), triangle: new Int32Array(N),
    position: new Float32Array(3 * N), normal: new Float32Array(3 * N), dPdu: new Float32Array(3 * N), dPdv: new Float32Array(3 * N),
  };
  const tex = new Float32Array(3 * N), groove = new Float32Array(N);
  const sh = directionalSH(0.5, -0.2, -0.84, [1, 1, 1], 0.3);
  for (let k = 0; k < N; k++) {
    const x = k % D, y = Math.floor(k / D);
    geom.coverage[k] = (x - D / 2) ** 2 + (y - D / 2) ** 2 < (0.45 * D) ** 2 ? 1 : 0;
    geom.normal.set([0, 0, -1], 3 * k); geom.dPdu.set([h, 0, 0], 3 * k); geom.dPdv.set([0, h, 0], 3 * k);
    // A groove along y: d = −0.5·exp(−x²/2σ²), σ = 1 mm; its slope tilts the normal along x.
    // The solver's normal: n = normalize(n0 − ∂d/∂x · x̂), shaded by the same SH.
    const xm = (x - D / 2) * h, slope = 0.5 * xm * Math.exp(-(xm * xm) / 2);
    groove[k] = -0.5 * Math.exp(-(xm * xm) / 2);
    const l = Math.hypot(slope, 1), nx = -slope / l, nz = -1 / l;
    tex.set([0.5 * evalSH(sh, 0, nx, 0, nz), 0.4 * evalSH(sh, 1, nx, 0, nz), 0.3 * evalSH(sh, 2, nx, 0, nz)], 3 * k);
  }
  return { input: { geom, texture: { width: D, height: D, channels: 3, data: tex }, confidence: new Float32Array(N).fill(1), sh }, groove };
}

describe('solveDetail with a prior displacement', () => {
  const { input, groove } = scene(160);
  const N = 160 * 160;

  it('a zero prior gives exactly the plain solve', () => {
    const plain = solveDetail(input, { coarsestSize: 64 });
    const zero = solveDetail({ ...input, prior: new Float32Array(N) }, { coarsestSize: 64 });
    expect(zero.displacement).toEqual(plain.displacement);
    expect(zero.normals).toEqual(plain.normals);
  });

  it('follows the prior under a heavy magnitude weight, scaled by priorStrength', () => {
    const prior = new Float32Array(N);
    for (let k = 0; k < N; k++) prior[k] = input.geom.coverage[k] ? 0.3 * Math.sin(k / 37) : 0;
    const r = solveDetail({ ...input, prior }, { coarsestSize: 64, lambdaMagnitude: 1e4, lambdaFlat: 0, darkGainMm: 0, priorStrength: 2 });
    let worst = 0;
    for (let k = 0; k < N; k++) if (input.geom.coverage[k]) worst = Math.max(worst, Math.abs(r.displacement[k]! - 2 * prior[k]!));
    expect(worst).toBeLessThan(0.01);
    expect(() => solveDetail({ ...input, prior: new Float32Array(10) })).toThrow(/prior must have 25600 entries/);
  });

  it('the data term corrects a flat prior toward the groove the shading shows', () => {
    const opts = { coarsestSize: 64, strength: 1, darkGainMm: 0, highPassMm: 0 };
    const halfGroove = groove.map((g) => 0.5 * g);
    const withPrior = solveDetail({ ...input, prior: halfGroove }, opts);
    // Error of the prior alone vs of prior + correction, inside the chart, at the groove.
    let ePrior = 0, eSolved = 0, n = 0;
    for (let k = 0; k < N; k++) {
      const x = k % 160;
      if (!input.geom.coverage[k] || Math.abs(x - 80) > 15) continue;
      ePrior += (halfGroove[k]! - groove[k]!) ** 2;
      eSolved += (withPrior.displacement[k]! - groove[k]!) ** 2;
      n++;
    }
    expect(Math.sqrt(eSolved / n)).toBeLessThan(0.8 * Math.sqrt(ePrior / n));
  });
});

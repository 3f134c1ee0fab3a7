/**
 * ICT model building blocks on the real ICT FaceKit (test/fixtures/ict.ts imports the shared
 * tarball into a temp folder; skipped without it): the dense face-mesh correspondence and the
 * pipeline topology (single-chart UVs, winding, mirror, regions). The correspondence: the
 * detector-calibrated table (default) and the geometric method (its fallback).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  computeIctCorrespondence, ictCalibratedSpread, ictCorrespondencePositions, ictCorrespondenceResiduals, ICT_FACE_VERTEX_END,
  ICT_FACEMESH_PAIRS, faceMeshBoundaryLoops,
} from '../../src/core/model/ict/ict-correspondence.js';
import { ICT_CALIBRATION_INFO } from '../../src/core/model/ict/generated/ict-correspondence-calibrated.js';
import type { IctCorrespondence } from '../../src/core/model/ict/ict-types.js';
import { ictTopology, ICT_TOPOLOGY_VERTEX_COUNT, uvMapStats } from '../../src/core/model/ict/ict-topology.js';
import { importSharedIct, ictSkipReason, type SharedIct } from '../fixtures/ict.js';

if (ictSkipReason) console.warn(`[ict-model] skipped: ${ictSkipReason}`);

describe.skipIf(ictSkipReason !== undefined)('ICT correspondence and topology', () => {
  let ict: SharedIct;
  beforeAll(async () => { ict = await importSharedIct('facedetail-ict-unit-'); });
  afterAll(async () => { await ict?.cleanup(); });

  const checkValid = (data: SharedIct['data'], corr: IctCorrespondence, name: string): void => {
    expect(corr.count).toBe(468);
    for (let i = 0; i < corr.count; i++) {
      const t = corr.triangle[i]!;
      for (let c = 0; c < 3; c++) expect(data.triangles[3 * t + c]!, `${name} landmark ${i}: triangle ${t} outside the face area`).toBeLessThan(ICT_FACE_VERTEX_END);
      const b = [corr.bary[3 * i]!, corr.bary[3 * i + 1]!, corr.bary[3 * i + 2]!];
      expect(Math.min(...b), `${name} landmark ${i}`).toBeGreaterThanOrEqual(0);
      expect(Math.abs(b[0]! + b[1]! + b[2]! - 1), `${name} landmark ${i}`).toBeLessThan(1e-5);
      expect(corr.weight[i]!).toBeGreaterThanOrEqual(0);
      expect(corr.weight[i]!).toBeLessThanOrEqual(1);
    }
  };

  it('calibrated correspondence (default): valid points on face-area triangles, stored = recomputed, oval = geometric', () => {
    const { data } = ict;
    const corr = data.correspondence;
    checkValid(data, corr, 'stored');
    expect(ICT_CALIBRATION_INFO.triangleCount).toBe(data.triangles.length / 3);
    // Deterministic, and what the import stored.
    const again = computeIctCorrespondence(data, { fallback: 'error' });
    expect(Array.from(again.triangle)).toEqual(Array.from(corr.triangle));
    expect(Array.from(again.bary)).toEqual(Array.from(corr.bary));
    expect(Array.from(again.weight)).toEqual(Array.from(corr.weight));
    expect(Array.from(computeIctCorrespondence(data).bary)).toEqual(Array.from(again.bary));
    // The face oval is the geometric correspondence with weight 0; the inner lips at most 0.5;
    // spread −1 exactly where not calibrated, and weight = min(1, s₀ / spread) elsewhere (monotone).
    const geo = computeIctCorrespondence(data, { method: 'geometric' });
    const { contour, mouth } = faceMeshBoundaryLoops();
    const spread = ictCalibratedSpread()!;
    for (const v of contour) {
      expect(corr.weight[v]).toBe(0);
      expect(corr.triangle[v]).toBe(geo.triangle[v]);
      expect(spread[v]).toBe(-1);
    }
    for (const v of mouth) expect(corr.weight[v]!).toBeLessThanOrEqual(0.5);
    const isOval = new Set(contour), isMouth = new Set(mouth);
    const calibrated = Array.from({ length: 468 }, (_, i) => i).filter((i) => !isOval.has(i) && !isMouth.has(i) && spread[i]! >= 0);
    expect(calibrated.length).toBeGreaterThan(400);
    const bySpread = calibrated.slice().sort((i, j) => spread[i]! - spread[j]!);
    const rising = bySpread.filter((i, k) => k > 0 && corr.weight[i]! > corr.weight[bySpread[k - 1]!]!);
    expect(rising, 'weights must not rise with the spread').toEqual([]);
    // Close to the geometric correspondence (the detector is off by a few mm, not by a feature).
    const a = ictCorrespondencePositions(data.triangles, corr, data.neutral), b = ictCorrespondencePositions(data.triangles, geo, data.neutral);
    const d = calibrated.map((i) => Math.hypot(a[3 * i]! - b[3 * i]!, a[3 * i + 1]! - b[3 * i + 1]!, a[3 * i + 2]! - b[3 * i + 2]!)).sort((x, y) => x - y);
    console.log(`[ict-model] calibrated vs geometric: median ${d[d.length >> 1]!.toFixed(2)} mm, max ${d[d.length - 1]!.toFixed(2)} mm`);
    expect(d[d.length >> 1]!).toBeLessThan(6);
  });

  it('calibrated correspondence: falls back to the geometric one (warning) or throws on another mesh', () => {
    const { data } = ict;
    const other = { ...data, triangles: data.triangles.subarray(0, data.triangles.length - 3) };
    const warnings: string[] = [];
    const corr = computeIctCorrespondence(other, { logger: { warn: (m) => warnings.push(m) } });
    expect(warnings.length).toBe(1);
    expect(warnings[0]).toMatch(/calibrate:ict/);
    expect(Array.from(corr.triangle)).toEqual(Array.from(computeIctCorrespondence(data, { method: 'geometric' }).triangle));
    expect(() => computeIctCorrespondence(other, { fallback: 'error' })).toThrow(/does not fit this model/);
  });

  it('geometric correspondence: valid barycentric points on face-area triangles; deterministic; weights', () => {
    const { data } = ict;
    const corr = computeIctCorrespondence(data, { method: 'geometric' });
    checkValid(data, corr, 'geometric');
    const again = computeIctCorrespondence(data, { method: 'geometric' });
    expect(Array.from(again.triangle)).toEqual(Array.from(corr.triangle));
    expect(Array.from(again.bary)).toEqual(Array.from(corr.bary));
    // contour weight 0, inner lips reduced, the rest 1
    const { contour, mouth } = faceMeshBoundaryLoops();
    expect(contour.length).toBe(36);
    expect(mouth.length).toBe(20);
    for (const v of contour) expect(corr.weight[v]).toBe(0);
    for (const v of mouth) expect(corr.weight[v]).toBe(0.5);
    expect(corr.weight[1]).toBe(1);
  });

  it('correspondence: semantic pairs land on their ICT landmark (fit ≤ 1.5 mm; leave-one-out median ≤ 2 mm)', () => {
    const { data } = ict;
    const r = ictCorrespondenceResiduals(data, computeIctCorrespondence(data, { method: 'geometric' }));
    const worst = r.reduce((k, v, i) => (v > r[k]! ? i : k), 0);
    expect(r[worst]!, `worst pair ${JSON.stringify(ICT_FACEMESH_PAIRS[worst])}`).toBeLessThan(1.5);
    const loo: number[] = [];
    ICT_FACEMESH_PAIRS.forEach((p, k) => {
      if (p[0] === 8) return; // the chin anchors the lower face: without it the warp extrapolates
      const pairs = ICT_FACEMESH_PAIRS.filter((_, j) => j !== k);
      loo.push(ictCorrespondenceResiduals(data, computeIctCorrespondence(data, { method: 'geometric', pairs }), [p])[0]!);
    });
    loo.sort((a, b) => a - b);
    const median = loo[loo.length >> 1]!;
    console.log(`[ict-model] leave-one-out residual: median ${median.toFixed(2)} mm, max ${loo[loo.length - 1]!.toFixed(2)} mm`);
    expect(median).toBeLessThan(2);
  });

  it('topology: outward winding, one fold-free chart in [0.01, 0.99]², sane mirror and regions', () => {
    const { data } = ict;
    const topo = ictTopology(data);
    expect(topo.vertexCount).toBe(ICT_TOPOLOGY_VERTEX_COUNT);
    const s = uvMapStats(data.neutral, topo.indices, topo.uvs);
    console.log(`[ict-model] UV map: ${JSON.stringify(s)}`);
    expect(s.flipped).toBe(0);
    expect(s.degenerate).toBe(0);
    for (let i = 0; i < topo.uvs.length; i++) { expect(topo.uvs[i]!).toBeGreaterThanOrEqual(0.0099); expect(topo.uvs[i]!).toBeLessThanOrEqual(0.9901); }
    // Outward: (b−a)×(c−a) has +z (ICT frame: out of the face) summed over the face; and in UV
    // (v down) the same orientation as the face-mesh topology: negative signed area.
    let nz = 0, uvSign = 0;
    const P = data.neutral, U = topo.uvs, I = topo.indices;
    for (let k = 0; k < I.length; k += 3) {
      const a = I[k]!, b = I[k + 1]!, c = I[k + 2]!;
      nz += (P[3 * b]! - P[3 * a]!) * (P[3 * c + 1]! - P[3 * a + 1]!) - (P[3 * b + 1]! - P[3 * a + 1]!) * (P[3 * c]! - P[3 * a]!);
      uvSign += Math.sign((U[2 * b]! - U[2 * a]!) * (U[2 * c + 1]! - U[2 * a + 1]!) - (U[2 * c]! - U[2 * a]!) * (U[2 * b + 1]! - U[2 * a + 1]!));
    }
    expect(nz).toBeGreaterThan(0);
    expect(uvSign).toBe(-I.length / 3);
    // Mirror: an involution onto the reflected vertex (ICT's neutral is symmetric about x = 0).
    let worst = 0;
    for (let v = 0; v < topo.vertexCount; v++) {
      const m = topo.mirror[v]!;
      expect(topo.mirror[m]).toBe(v);
      worst = Math.max(worst, Math.hypot(P[3 * m]! + P[3 * v]!, P[3 * m + 1]! - P[3 * v + 1]!, P[3 * m + 2]! - P[3 * v + 2]!));
    }
    expect(worst).toBeLessThan(0.5);
    expect(topo.regions.map((r) => r.name)).toEqual(['rightEye', 'leftEye', 'rightBrow', 'leftBrow', 'lips', 'nostrils']);
    expect(topo.outerLoop.length).toBe(138);
    expect([topo.holeLoops.rightEye.length, topo.holeLoops.leftEye.length, topo.holeLoops.mouth.length]).toEqual([42, 42, 74]);
    // subject's right eye hole at x < 0
    expect(P[3 * topo.holeLoops.rightEye[0]!]!).toBeLessThan(0);
  });
});

/**
 * DFDN inference plumbing with synthetic networks (no ONNX): metadata validation, tiling,
 * Gaussian blending exactness, coverage masking, batching, resampling to the network's UV
 * resolution. Works for any model honouring the contract, because it never loads one.
 */
import { describe, expect, it } from 'vitest';
import {
  blendWeights, DFDN_FORMAT, inferDisplacement, parseDfdnMetadata, patchOrigins, resampleMasked, runDfdn,
  type DetailNetwork, type DfdnMetadata,
} from '../../src/core/detail/dfdn.js';
import { DFDN_CHANNELS, dfdnFeatures } from '../../src/core/detail/dfdn-features.js';
import { FaceDetailError } from '../../src/core/errors.js';
import { directionalSH } from '../../src/core/lighting/sh.js';
import type { UVGeometry } from '../../src/core/unwrap/uv-geometry.js';
import { worst } from '../fixtures/meshes.js';
import { mulberry32 } from '../../bench/accuracy/scene.js';

const META = (o: Partial<DfdnMetadata> = {}): DfdnMetadata => ({
  format: DFDN_FORMAT, version: 1, inputName: 'features', outputName: 'displacement', channels: 6,
  patchSize: 16, patchStride: 12, blendSigma: 4, uvResolution: 64, training: {}, ...o,
});

/** A network computing `f(features at that texel)` independently per texel, counting its calls. */
function pointwise(meta: DfdnMetadata, f: (v: Float32Array) => number): DetailNetwork & { calls: number[] } {
  const C = meta.channels, PP = meta.patchSize ** 2;
  const calls: number[] = [];
  return {
    metadata: meta, calls,
    async run(batch, n) {
      calls.push(n);
      expect(batch.length).toBeGreaterThanOrEqual(n * C * PP);
      const out = new Float32Array(n * PP), v = new Float32Array(C);
      for (let k = 0; k < n; k++) for (let p = 0; p < PP; p++) {
        for (let c = 0; c < C; c++) v[c] = batch[(k * C + c) * PP + p]!;
        out[k * PP + p] = f(v);
      }
      return out;
    },
  };
}

/** A non-local network: 5×5 box blur of channel 0 inside the patch (zero outside it), squared. */
function blurNet(meta: DfdnMetadata): DetailNetwork {
  const P = meta.patchSize, C = meta.channels, PP = P * P;
  return {
    metadata: meta,
    async run(batch, n) {
      const out = new Float32Array(n * PP);
      for (let k = 0; k < n; k++) for (let y = 0; y < P; y++) for (let x = 0; x < P; x++) {
        let s = 0;
        for (let dy = -2; dy <= 2; dy++) for (let dx = -2; dx <= 2; dx++) {
          const yy = y + dy, xx = x + dx;
          if (yy >= 0 && yy < P && xx >= 0 && xx < P) s += batch[k * C * PP + yy * P + xx]!;
        }
        out[k * PP + y * P + x] = (s / 25) ** 2;
      }
      return out;
    },
  };
}

function randomFeatures(W: number, H: number, seed: number): Float32Array {
  const r = mulberry32(seed), d = new Float32Array(DFDN_CHANNELS * W * H);
  for (let i = 0; i < d.length; i++) d[i] = r() * 2;
  return d;
}

/** A disc of coverage in a W×H map. */
function disc(W: number, H: number, cx: number, cy: number, r: number): Uint8Array {
  const m = new Uint8Array(W * H);
  for (let y = 0; y < H; y++) for (let x = 0; x < W; x++) m[y * W + x] = (x - cx) ** 2 + (y - cy) ** 2 <= r * r ? 1 : 0;
  return m;
}

describe('parseDfdnMetadata', () => {
  it('accepts the contract and rejects each broken field with MODEL_CACHE_INVALID naming it', () => {
    const good = { ...META({ patchSize: 256, patchStride: 192, blendSigma: 64, uvResolution: 1024 }), training: { epochs: 3 } };
    expect(parseDfdnMetadata(JSON.parse(JSON.stringify(good)))).toEqual(good);
    expect(parseDfdnMetadata({ ...good, outputScale: 1.5 }).outputScale).toBe(1.5);
    const cases: [Record<string, unknown>, RegExp][] = [
      [{ format: 'onnx' }, /format must be "facedetail-dfdn"/],
      [{ version: 2 }, /version 2 is not supported/],
      [{ inputName: '' }, /inputName must be a non-empty string/],
      [{ channels: 5 }, /channels must be 6/],
      [{ patchStride: 300 }, /patchStride must be an integer from 1 to 256/],
      [{ blendSigma: 0 }, /blendSigma must be a number > 0/],
      [{ uvResolution: 100 }, /uvResolution must be an integer from 256/],
      [{ training: [] }, /training must be an object/],
      [{ outputScale: 0 }, /outputScale must be a number > 0/],
      [{ outputScale: '1.5' }, /outputScale must be a number > 0/],
    ];
    for (const [patch, msg] of cases) {
      let err: unknown;
      try { parseDfdnMetadata({ ...good, ...patch }, 'x/dfdn.json'); } catch (e) { err = e; }
      expect(err, JSON.stringify(patch)).toBeInstanceOf(FaceDetailError);
      expect((err as FaceDetailError).code).toBe('MODEL_CACHE_INVALID');
      expect((err as FaceDetailError).message).toMatch(msg);
      expect((err as FaceDetailError).message).toMatch(/x\/dfdn\.json/);
    }
    expect(() => parseDfdnMetadata('nope')).toThrow(/not a JSON object/);
  });
});

describe('tiling and weights', () => {
  it('patch origins cover the axis, stride apart, last one flush', () => {
    expect(patchOrigins(1024, 256, 192)).toEqual([0, 192, 384, 576, 768]);
    expect(patchOrigins(1024, 256, 256)).toEqual([0, 256, 512, 768]);
    expect(patchOrigins(256, 256, 64)).toEqual([0]);
    expect(patchOrigins(100, 256, 64)).toEqual([0]);
    for (const [size, P, S] of [[1000, 256, 200], [64, 16, 12], [17, 16, 1]] as const) {
      const o = patchOrigins(size, P, S);
      expect(o[0]).toBe(0);
      expect(o[o.length - 1]).toBe(size - P);
      for (let i = 1; i < o.length; i++) expect(o[i]! - o[i - 1]!).toBeLessThanOrEqual(S);
    }
  });

  it('Gaussian weights: separable, symmetric, peak at the centre', () => {
    const w = blendWeights(8, 2);
    expect(w[3 * 8 + 3]).toBeCloseTo(Math.exp(-0.25 / 4), 12);
    for (let y = 0; y < 8; y++) for (let x = 0; x < 8; x++) {
      expect(w[y * 8 + x]).toBeCloseTo(w[x * 8 + y]!, 14);
      expect(w[y * 8 + x]).toBeCloseTo(w[(7 - y) * 8 + 7 - x]!, 14);
    }
  });
});

describe('inferDisplacement (synthetic runners)', () => {
  const W = 64, H = 64;
  const cov = disc(W, H, 30, 34, 26);

  it('a constant network blends to exactly that constant on every covered texel, 0 elsewhere', async () => {
    const net = pointwise(META(), () => 0.375);
    const { displacement } = await inferDisplacement({ width: W, height: H, channels: 6, data: randomFeatures(W, H, 1) }, cov, net);
    for (let p = 0; p < W * H; p++) expect(displacement[p]).toBe(cov[p] ? 0.375 : 0);
  });

  it('a pointwise network gives the pointwise result whatever the tiling (blend normalised exactly)', async () => {
    const data = randomFeatures(W, H, 2);
    const f = (v: Float32Array) => 0.3 * v[0]! - 0.2 * v[3]! * v[3]! + 0.1 * v[5]!;
    const expected = new Float32Array(W * H), v = new Float32Array(6);
    for (let p = 0; p < W * H; p++) {
      if (!cov[p]) continue;
      for (let c = 0; c < 6; c++) v[c] = data[c * W * H + p]!;
      expected[p] = f(v);
    }
    for (const meta of [META(), META({ patchStride: 5, blendSigma: 1.5 }), META({ patchSize: 64, patchStride: 64 }), META({ patchSize: 20, patchStride: 20 })]) {
      const { displacement } = await inferDisplacement({ width: W, height: H, channels: 6, data }, cov, pointwise(meta, f));
      const diff = Array.from(displacement, (d, p) => Math.abs(d - expected[p]!));
      expect(worst(diff).max, `stride ${meta.patchStride} size ${meta.patchSize}`).toBeLessThan(1e-6);
    }
  });

  it('skips patches with no coverage and batches the rest', async () => {
    const small = disc(W, H, 8, 8, 6); // only the top-left corner
    const net = pointwise(META({ patchStride: 12 }), () => 1);
    const r = await inferDisplacement({ width: W, height: H, channels: 6, data: randomFeatures(W, H, 3) }, small, net, { batchSize: 3 });
    // Origins 0, 12, 24, 36, 48 per axis (25 patches); the disc (x, y ≤ 14) touches origins 0 and 12.
    expect(r.patches).toBe(4);
    expect(r.skipped).toBe(21);
    expect(net.calls).toEqual([3, 1]);
    expect(r.batches).toBe(2);
  });

  it('is shift-equivariant by the stride for a non-local network (interior texels), and deterministic', async () => {
    // 64 = 16 + 4·12: every origin is on the stride grid, so a shift by 12 maps patches to patches.
    const meta = META({ patchSize: 16, patchStride: 12 });
    const Wb = 64, S = 12;
    const full = new Uint8Array(Wb * Wb).fill(1);
    const data = randomFeatures(Wb, Wb, 4);
    const shifted = new Float32Array(data.length);
    for (let c = 0; c < 6; c++) for (let y = 0; y < Wb; y++) for (let x = S; x < Wb; x++) shifted[c * Wb * Wb + y * Wb + x] = data[c * Wb * Wb + y * Wb + x - S]!;
    const a = await inferDisplacement({ width: Wb, height: Wb, channels: 6, data }, full, blurNet(meta));
    const b = await inferDisplacement({ width: Wb, height: Wb, channels: 6, data: shifted }, full, blurNet(meta));
    const again = await inferDisplacement({ width: Wb, height: Wb, channels: 6, data }, full, blurNet(meta));
    expect(again.displacement).toEqual(a.displacement);
    // Texels x ∈ [S, Wb − 16): every patch holding x in b is the shift of one holding x − S in a.
    let maxDiff = 0, nonTrivial = 0;
    for (let y = 0; y < Wb; y++) for (let x = 2 * S; x < Wb - 16; x++) {
      maxDiff = Math.max(maxDiff, Math.abs(b.displacement[y * Wb + x]! - a.displacement[y * Wb + x - S]!));
      if (Math.abs(a.displacement[y * Wb + x - S]! - a.displacement[y * Wb + x]!) > 1e-3) nonTrivial++;
    }
    expect(maxDiff).toBeLessThan(1e-6);
    expect(nonTrivial).toBeGreaterThan(100); // the test is not vacuous
  });

  it('rejects a network whose output has the wrong size or non-finite values', async () => {
    const meta = META();
    const data = { width: W, height: H, channels: 6, data: randomFeatures(W, H, 5) };
    await expect(inferDisplacement(data, cov, { metadata: meta, run: async (_b, n) => new Float32Array(n * 10) })).rejects.toMatchObject({ code: 'MODEL_CACHE_INVALID' });
    await expect(inferDisplacement(data, cov, { metadata: meta, run: async (_b, n) => new Float32Array(n * 256).fill(NaN) })).rejects.toThrow(/non-finite/);
    await expect(inferDisplacement(data, cov, pointwise(meta, () => 0), { batchSize: 0 })).rejects.toMatchObject({ code: 'INVALID_OPTION' });
  });
});

describe('resampleMasked', () => {
  it('keeps constants on the covered area (ramps away from its border), never bleeds uncovered zeros', () => {
    const W = 40, H = 40;
    const cov = disc(W, H, 20, 20, 15);
    const data = new Float32Array(2 * W * H);
    for (let y = 0; y < H; y++) for (let x = 0; x < W; x++) {
      if (!cov[y * W + x]) continue; // 0 outside: must not pull the result down
      data[y * W + x] = 2.5;
      data[W * H + y * W + x] = (x + 0.5) / W;
    }
    for (const S of [80, 20, 40]) {
      const covS = disc(S, S, S / 2, S / 2, (15 * S) / 40 - 1.5 * Math.max(1, 40 / S));
      const r = resampleMasked({ width: W, height: H, channels: 2, data }, cov, S, S, covS);
      // The filter's taps reach 2 source texels: inside that margin a linear ramp is exact
      // (mask-normalised filtering shifts the centroid only where the taps are cut).
      const inner = disc(S, S, S / 2, S / 2, ((15 - 3) * S) / 40);
      for (let q = 0; q < S * S; q++) {
        if (!covS[q]) { expect(r.data[q]).toBe(0); continue; }
        expect(r.data[q]).toBeCloseTo(2.5, 5);
        if (inner[q]) expect(r.data[S * S + q]).toBeCloseTo(((q % S) + 0.5) / S, 5);
      }
    }
  });
});

describe('runDfdn', () => {
  /** A flat 512² chart in the middle of the map, lit from the front, 0.2 mm texels. */
  function scene(D: number) {
    const N = D * D, h = (0.2 * 512) / D;
    const geom: UVGeometry = {
      width: D, height: D, coverage: disc(D, D, D / 2, D / 2, 0.4 * D), triangle: new Int32Array(N),
      position: new Float32Array(3 * N), normal: new Float32Array(3 * N), dPdu: new Float32Array(3 * N), dPdv: new Float32Array(3 * N),
    };
    const tex = new Float32Array(3 * N);
    for (let k = 0; k < N; k++) {
      geom.normal.set([0, 0, -1], 3 * k); geom.dPdu.set([h, 0, 0], 3 * k); geom.dPdv.set([0, h, 0], 3 * k);
      const x = k % D;
      tex.set([0.4, 0.3 + 0.1 * Math.sin((x / D) * 6), 0.2], 3 * k);
    }
    return { geom, texture: { width: D, height: D, channels: 3, data: tex }, confidence: new Float32Array(N).fill(1), sh: directionalSH(0, 0, -1, [1, 1, 1], 0.3) };
  }

  it('runs at the network resolution: same result as inferring the features directly; resamples other sizes', async () => {
    const meta = META({ patchSize: 64, patchStride: 48, blendSigma: 16, uvResolution: 256 });
    const green = (v: Float32Array) => v[1]! - 1; // a pointwise function of the green feature
    const s = scene(256);
    const direct = dfdnFeatures(s);
    const ref = await inferDisplacement({ width: 256, height: 256, channels: 6, data: direct.data }, s.geom.coverage, pointwise(meta, green));
    const r = await runDfdn(s, pointwise(meta, green));
    expect(r.displacement).toEqual(ref.displacement);
    expect(r.stats.uvResolution).toBe(256);
    expect(r.stats.rmsMm).toBeGreaterThan(0);
    // The same scene at 512² texels: features resampled to 256², output back; the green ramp
    // stays a smooth ramp (tolerance: one 256² texel of the sine's slope).
    const s2 = scene(512);
    const r2 = await runDfdn(s2, pointwise(meta, green));
    const f2 = dfdnFeatures(s2);
    let maxErr = 0;
    for (let p = 0; p < 512 * 512; p++) {
      if (!s2.geom.coverage[p]) { expect(r2.displacement[p]).toBe(0); continue; }
      const y = Math.floor(p / 512), x = p % 512;
      if ((x - 256) ** 2 + (y - 256) ** 2 > (0.4 * 512 - 4) ** 2) continue; // border texels: fewer samples
      maxErr = Math.max(maxErr, Math.abs(r2.displacement[p]! - (f2.data[512 * 512 + p]! - 1)));
    }
    expect(maxErr).toBeLessThan(0.01);
  });

  it('the detail stage multiplies the network\'s displacement by dfdn.json\'s outputScale, then by the strength', async () => {
    const { synthesizeDetail } = await import('../../src/core/detail/synthesize-detail.js');
    const s = scene(64);
    const green = (v: Float32Array) => v[1]! - 1;
    const one = await synthesizeDetail(s, { method: 'dfdn', strength: 1, sfs: {} }, pointwise(META(), green));
    const scaled = await synthesizeDetail(s, { method: 'dfdn', strength: 2, sfs: {} }, pointwise(META({ outputScale: 1.5 }), green));
    let worstErr = 0, any = 0;
    for (let p = 0; p < one.displacement.length; p++) {
      worstErr = Math.max(worstErr, Math.abs(scaled.displacement[p]! - 3 * one.displacement[p]!));
      any = Math.max(any, Math.abs(one.displacement[p]!));
    }
    expect(any).toBeGreaterThan(0);
    expect(worstErr).toBeLessThan(1e-6);
    expect(scaled.stats['rmsMm']).toBeCloseTo(3 * (one.stats['rmsMm'] as number), 6);
  });
});

describe('pipeline options', () => {
  it("'dfdn' without an injected network fails with DEPENDENCY_MISSING; detail must be a method, sfs the solver options", async () => {
    const { reconstructFace } = await import('../../src/core/pipeline/reconstruct-face.js');
    const { resolveOptions, RECONSTRUCT_DEFAULTS } = await import('../../src/core/pipeline/defaults.js');
    expect(RECONSTRUCT_DEFAULTS.detail).toBe('dfdn');
    expect(resolveOptions({ detail: 'dfdn+sfs', sfs: { lambdaSmooth: 0.01 } })).toMatchObject({ detail: 'dfdn+sfs', sfs: { lambdaSmooth: 0.01 } });
    expect(() => resolveOptions({ detail: 'neural' as never })).toThrow(/detail must be one of 'sfs', 'dfdn', 'dfdn\+sfs', got "neural"/);
    expect(() => resolveOptions({ detail: { strength: 1 } as never })).toThrow(/pass the solver parameters as sfs/);
    expect(() => resolveOptions({ sfs: null as never })).toThrow(/sfs must be an object/);
    await expect(reconstructFace({} as never, resolveOptions({ detail: 'dfdn' }))).rejects.toMatchObject({ code: 'DEPENDENCY_MISSING', message: expect.stringMatching(/needs the DFDN detail network/) });
  });
});

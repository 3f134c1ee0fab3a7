/**
 * The DFDN detail network in Node (onnxruntime-node): loading and its errors, the real model's
 * contract when `models/dfdn/` is present, and the `detail: 'dfdn' | 'dfdn+sfs'` pipeline options.
 * Without the real model the pipeline tests run on the test fixture (test/fixtures/dfdn-model.ts,
 * one fixed convolution); everything here holds for any model honouring the contract.
 */
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path, { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DFDN_FORMAT, runDfdn } from '../../src/core/detail/dfdn.js';
import { decodeImage } from '../../src/node/decode-image.js';
import { defaultDfdnModelDir, loadDfdnNetwork } from '../../src/node/dfdn-runtime.js';
import { createHumanAnalyzer, type HumanFaceAnalyzer } from '../../src/node/human-analyzer.js';
import { createReconstructor, type Reconstructor } from '../../src/node/reconstructor.js';
import { fixtureDfdnMetadata, fixtureWeights, writeFixtureDfdnModel } from '../fixtures/dfdn-model.js';

const SHARED = process.env.FACEDETAIL_SHARED ?? path.resolve('..', 'shared');
const GRACE = path.join(SHARED, 'photos', 'grace_hopper.jpg');
const REAL_DIR = defaultDfdnModelDir();
const haveReal = existsSync(join(REAL_DIR, 'dfdn.onnx'));
if (!haveReal) console.log(`[note] no DFDN model at ${REAL_DIR}: the pipeline tests use the test fixture model`);
const tmp = mkdtempSync(join(tmpdir(), 'facedetail-dfdn-'));
const FIXTURE_DIR = writeFixtureDfdnModel(join(tmp, 'fixture'));
const MODEL_DIR = haveReal ? REAL_DIR : FIXTURE_DIR;

describe('loadDfdnNetwork', () => {
  it('runs the fixture model: the convolution it encodes, batch of 2, deterministic', async () => {
    const net = await loadDfdnNetwork({ modelDir: FIXTURE_DIR, threads: 2 });
    try {
      expect(net.metadata).toEqual(fixtureDfdnMetadata());
      const P = 256, x = new Float32Array(2 * 6 * P * P);
      for (let i = 0; i < x.length; i++) x[i] = ((i * 2654435761) % 1000) / 500;
      const out = await net.run(x, 2);
      expect(out.length).toBe(2 * P * P);
      const w = fixtureWeights();
      for (const [k, y, xx] of [[0, 10, 10], [1, 100, 200], [0, 0, 0], [1, 255, 255]] as const) {
        let s = 0.01;
        for (let c = 0; c < 6; c++) for (let dy = -1; dy <= 1; dy++) for (let dx = -1; dx <= 1; dx++) {
          const yy = y + dy, xq = xx + dx;
          if (yy >= 0 && yy < P && xq >= 0 && xq < P) s += w[c * 9 + (dy + 1) * 3 + dx + 1]! * x[((k * 6 + c) * P + yy) * P + xq]!;
        }
        expect(out[k * P * P + y * P + xx]).toBeCloseTo(Math.tanh(s), 5);
      }
      expect(await net.run(x, 2)).toEqual(out);
    } finally {
      await net.dispose();
    }
    await expect(net.run(new Float32Array(6 * 256 * 256), 1)).rejects.toMatchObject({ code: 'DISPOSED' });
  });

  it('says what to do when the model is missing, damaged or mismatched', async () => {
    await expect(loadDfdnNetwork({ modelDir: join(tmp, 'nope') })).rejects.toMatchObject({ code: 'MODEL_LOAD_FAILED', message: expect.stringMatching(/dfdn\.json not found.*FACEDETAIL_DFDN_DIR.*--detail sfs/) });
    const bad = join(tmp, 'bad');
    writeFixtureDfdnModel(bad);
    writeFileSync(join(bad, 'dfdn.json'), '{ "format": ');
    await expect(loadDfdnNetwork({ modelDir: bad })).rejects.toMatchObject({ code: 'MODEL_CACHE_INVALID', message: expect.stringMatching(/not valid JSON/) });
    writeFileSync(join(bad, 'dfdn.json'), JSON.stringify({ ...fixtureDfdnMetadata(), version: 7 }));
    await expect(loadDfdnNetwork({ modelDir: bad })).rejects.toMatchObject({ code: 'MODEL_CACHE_INVALID', message: expect.stringMatching(/version 7 is not supported/) });
    writeFileSync(join(bad, 'dfdn.json'), JSON.stringify({ ...fixtureDfdnMetadata(), inputName: 'x' }));
    await expect(loadDfdnNetwork({ modelDir: bad })).rejects.toMatchObject({ code: 'MODEL_CACHE_INVALID', message: expect.stringMatching(/do not belong together/) });
    writeFileSync(join(bad, 'dfdn.json'), JSON.stringify(fixtureDfdnMetadata()));
    writeFileSync(join(bad, 'dfdn.onnx'), new Uint8Array(100).fill(7));
    await expect(loadDfdnNetwork({ modelDir: bad })).rejects.toMatchObject({ code: 'MODEL_CACHE_INVALID', message: expect.stringMatching(/could not be loaded by onnxruntime/) });
  });

  it.skipIf(!haveReal)('the shipped model honours the contract: metadata, output shape, finite, deterministic', async () => {
    const net = await loadDfdnNetwork();
    try {
      const m = net.metadata;
      expect(m.format).toBe(DFDN_FORMAT);
      const P = m.patchSize, x = new Float32Array(2 * 6 * P * P);
      for (let i = 0; i < x.length; i++) x[i] = ((i * 40503) % 997) / 400;
      const a = await net.run(x, 2), b = await net.run(x, 2);
      expect(a.length).toBe(2 * P * P);
      expect(a.every(Number.isFinite)).toBe(true);
      expect(b).toEqual(a);
    } finally {
      await net.dispose();
    }
  });
});

describe.skipIf(!existsSync(GRACE))('detail methods in the pipeline (grace_hopper.jpg)', () => {
  let analyzer: HumanFaceAnalyzer;
  let rec: Reconstructor;
  beforeAll(async () => {
    analyzer = await createHumanAnalyzer();
    rec = await createReconstructor({ analyzer, dfdnModelDir: MODEL_DIR, textureResolution: 512, meshLevels: 3, proxyLevels: 2 });
  });
  afterAll(async () => {
    await rec?.dispose();
    await analyzer?.dispose();
  });

  it("'dfdn' = the network on the detail stage's inputs, scaled by detailStrength; 'sfs' is unchanged by the option", async () => {
    const decoded = await decodeImage(GRACE);
    const face = await rec.reconstruct(decoded, { detail: 'dfdn', keepIntermediates: true });
    const d = face.maps.displacement.data as Float32Array;
    expect(face.detailStats['method']).toBe('dfdn');
    expect(d.every(Number.isFinite)).toBe(true);
    expect(face.detailStats['rmsMm']).toBeGreaterThan(0);
    // Same as running the network directly on the kept intermediates (deterministic).
    const net = await loadDfdnNetwork({ modelDir: MODEL_DIR });
    try {
      // The model's own calibration (dfdn.json outputScale) is applied by the detail stage.
      const scale = net.metadata.outputScale ?? 1;
      const direct = await runDfdn(face.intermediates!.detailInput, net);
      expect(direct.displacement.length).toBe(d.length);
      // A max-difference, not toEqual: a failing toEqual on a 1M-element array makes the
      // reporter diff it for minutes.
      let off = 0;
      for (let k = 0; k < d.length; k++) off = Math.max(off, Math.abs(scale * direct.displacement[k]! - d[k]!));
      expect(off).toBeLessThan(1e-6);
    } finally {
      await net.dispose();
    }
    const half = await rec.reconstruct(decoded, { detail: 'dfdn', detailStrength: 0.5 });
    let worst = 0;
    for (let k = 0; k < d.length; k++) worst = Math.max(worst, Math.abs((half.maps.displacement.data[k] ?? 0) - 0.5 * d[k]!));
    expect(worst).toBeLessThan(1e-6);
    const sfs = await rec.reconstruct(decoded, { detail: 'sfs' });
    expect(sfs.detailStats['method']).toBe('sfs');
    // The default method is the network (chosen by the accuracy benchmark).
    const byDefault = await rec.reconstruct(decoded);
    expect(byDefault.detailStats['method']).toBe('dfdn');
  });

  it("'dfdn+sfs' refines the network's displacement: close to it, not equal; runs at another detail resolution", async () => {
    const decoded = await decodeImage(GRACE);
    const net = await rec.reconstruct(decoded, { detail: 'dfdn' });
    const both = await rec.reconstruct(decoded, { detail: 'dfdn+sfs' });
    expect(both.detailStats['method']).toBe('dfdn+sfs');
    const sfs = await rec.reconstruct(decoded, { detail: 'sfs' });
    // The correction (dfdn+sfs − dfdn) is a shading correction of the same order as the plain
    // solve's displacement, whatever the network predicts.
    const a = net.maps.displacement.data, b = both.maps.displacement.data, c = sfs.maps.displacement.data;
    let diff2 = 0, sfs2 = 0;
    for (let k = 0; k < a.length; k++) { diff2 += (a[k]! - b[k]!) ** 2; sfs2 += c[k]! ** 2; }
    expect(diff2).toBeGreaterThan(0);
    expect(Math.sqrt(diff2 / a.length)).toBeLessThan(2 * Math.sqrt(sfs2 / a.length) + 0.05);
    const small = await rec.reconstruct(decoded, { detail: 'dfdn', detailResolution: 512 });
    expect(small.maps.displacement.width).toBe(512);
    expect((small.detailStats['dfdn'] as { uvResolution: number }).uvResolution).toBe(1024);
    expect(small.maps.displacement.data.every(Number.isFinite)).toBe(true);
  });

  it('fails early and clearly when the model is missing', async () => {
    await expect(createReconstructor({ analyzer, detail: 'dfdn', dfdnModelDir: join(tmp, 'missing') })).rejects.toMatchObject({ code: 'MODEL_LOAD_FAILED' });
    await expect(createReconstructor({ analyzer, detail: { lambdaSmooth: 1 } as never })).rejects.toMatchObject({ code: 'INVALID_OPTION', message: expect.stringMatching(/sfs: \{…\}/) });
  });
});

/**
 * The compact ICT model format (src/core/model/ict/ict-compact.ts) on a small procedural model:
 * round trip (exact where stored as float, within step / 2 where quantised, sparse expressions
 * exactly zero where left out), identity truncation, and the refusals of a damaged file.
 * The real bundled model is checked against the full import in test/integration/ict-bundled.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { FaceDetailError } from '../../src/core/errors.js';
import { ICT_CACHE_CORRESPONDENCE_COUNT, type IctModelData } from '../../src/core/model/ict/ict-cache.js';
import { encodeIctCompact, ICT_COMPACT_MAGIC, parseIctCompact, readIctCompactHeader } from '../../src/core/model/ict/ict-compact.js';

function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => { s = (Math.imul(s, 1664525) + 1013904223) >>> 0; return s / 4294967296; };
}

/** A 20×20 grid with smooth dense identity deltas and local (sparse) expression bumps. */
function model(nId = 6, nExpr = 5): IctModelData {
  const G = 20, N = G * G, r = rng(3);
  const neutral = new Float32Array(3 * N);
  for (let j = 0; j < G; j++) for (let i = 0; i < G; i++) {
    const v = j * G + i;
    neutral[3 * v] = 4 * i - 40; neutral[3 * v + 1] = 5 * j - 50; neutral[3 * v + 2] = 30 * Math.cos((i - 10) / 8) * Math.cos((j - 10) / 8);
  }
  const identityDeltas = new Float32Array(nId * 3 * N), expressionDeltas = new Float32Array(nExpr * 3 * N);
  for (let s = 0; s < nId; s++) for (let k = 0; k < 3 * N; k++) identityDeltas[s * 3 * N + k] = (10 / (1 + s)) * Math.sin(0.01 * k * (s + 1) + r());
  for (let e = 0; e < nExpr; e++) {
    const cx = 40 * r() - 20, cy = 50 * r() - 25;
    for (let v = 0; v < N; v++) {
      const w = 6 * Math.exp(-((neutral[3 * v]! - cx) ** 2 + (neutral[3 * v + 1]! - cy) ** 2) / 50);
      for (let c = 0; c < 3; c++) expressionDeltas[e * 3 * N + 3 * v + c] = w * (c - 1 + 0.3);
    }
  }
  const tris: number[] = [];
  for (let j = 0; j + 1 < G; j++) for (let i = 0; i + 1 < G; i++) { const a = j * G + i; tris.push(a, a + 1, a + G + 1, a, a + G + 1, a + G); }
  const C = ICT_CACHE_CORRESPONDENCE_COUNT;
  const bary = new Float32Array(3 * C);
  for (let i = 0; i < C; i++) { bary[3 * i] = 0.5; bary[3 * i + 1] = 0.25; bary[3 * i + 2] = 0.25; }
  return {
    version: 2, origin: 'cache', sourceVertexCount: N + 10, vertexCount: N, neutral,
    identityNames: Array.from({ length: nId }, (_, i) => `identity${i}`), identityDeltas,
    expressionNames: Array.from({ length: nExpr }, (_, i) => `e${i}`), expressionDeltas,
    triangles: Uint32Array.from(tris), triangleUvIndices: Uint32Array.from(tris), uvs: Float32Array.from({ length: 2 * N }, (_, k) => (k % 97) / 97),
    regionNames: ['face', 'narrowFace'], regionMasks: new Uint16Array(N).fill(3), landmarks68: Uint32Array.from({ length: 68 }, (_, i) => 5 * i),
    fittingVertices: Uint32Array.from([1, 2, 3]), rigidVertices: Uint32Array.from([7, 8]),
    correspondence: { count: C, triangle: Uint32Array.from({ length: C }, (_, i) => i % (tris.length / 3)), bary, weight: new Float32Array(C).fill(0.5) },
    faceUvs: Float32Array.from({ length: 2 * N }, (_, k) => (k % 13) / 13),
  };
}

const maxAbsDiff = (a: ArrayLike<number>, b: ArrayLike<number>, n = a.length): { max: number; at: number } => {
  let max = 0, at = -1;
  for (let i = 0; i < n; i++) { const d = Math.abs(a[i]! - b[i]!); if (d > max) { max = d; at = i; } }
  return { max, at };
};

describe('compact ICT model', () => {
  const full = model();
  const step = 2 ** -9;

  it('round-trips: floats exact, deltas within step / 2, expressions zero where left out', () => {
    const bytes = encodeIctCompact(full, { identityCount: 4 });
    const c = parseIctCompact(bytes);
    expect(c.origin).toBe('bundled');
    expect(c.vertexCount).toBe(full.vertexCount);
    expect(c.sourceVertexCount).toBe(full.sourceVertexCount);
    expect(c.identityNames).toEqual(['identity0', 'identity1', 'identity2', 'identity3']);
    expect(c.expressionNames).toEqual(full.expressionNames);
    for (const k of ['neutral', 'triangles', 'triangleUvIndices', 'uvs', 'regionMasks', 'landmarks68', 'fittingVertices', 'rigidVertices', 'faceUvs'] as const) {
      expect(Array.from(c[k]), k).toEqual(Array.from(full[k]));
    }
    expect(c.triangles).toBeInstanceOf(Uint32Array);
    expect(Array.from(c.correspondence.bary)).toEqual(Array.from(full.correspondence.bary));
    expect(Array.from(c.correspondence.triangle)).toEqual(Array.from(full.correspondence.triangle));
    const id = maxAbsDiff(c.identityDeltas, full.identityDeltas, c.identityDeltas.length);
    expect(c.identityDeltas.length).toBe(4 * 3 * full.vertexCount);
    expect(id.max, `identity worst at ${id.at}`).toBeLessThanOrEqual(step / 2 + 1e-7);
    const ex = maxAbsDiff(c.expressionDeltas, full.expressionDeltas);
    expect(ex.max, `expression worst at ${ex.at}`).toBeLessThanOrEqual(step / 2 + 1e-7);
    // Left-out vertices are exactly zero, and only those whose deltas all round to zero.
    const h = readIctCompactHeader(bytes);
    let zero = 0;
    for (let v = 0; v < full.expressionDeltas.length / 3; v++) {
      const stored = [0, 1, 2].some((k) => Math.round(full.expressionDeltas[3 * v + k]! / step) !== 0);
      if (!stored) { zero++; for (let k = 0; k < 3; k++) expect(c.expressionDeltas[3 * v + k]).toBe(0); }
    }
    expect(zero).toBeGreaterThan(0);
    expect(h.expressionEntries).toBe(full.expressionDeltas.length / 3 - zero);
    expect(h.identityNames.length).toBe(4);
    expect(h.sourceIdentityCount).toBe(6);
  });

  it('is deterministic and smaller than float32', () => {
    const a = encodeIctCompact(full), b = encodeIctCompact(full);
    expect(Buffer.compare(Buffer.from(a), Buffer.from(b))).toBe(0);
    const floatBytes = (full.identityDeltas.length + full.expressionDeltas.length) * 4;
    expect(a.length).toBeLessThan(floatBytes / 2);
    expect(new TextDecoder().decode(a.subarray(0, 8))).toBe(ICT_COMPACT_MAGIC);
  });

  it('rejects bad options and deltas outside the int16 range', () => {
    expect(() => encodeIctCompact(full, { identityCount: 7 })).toThrow('identityCount: expected an integer in [0, 6], got 7');
    expect(() => encodeIctCompact(full, { stepMm: 0 })).toThrow('stepMm: expected a number in (0, 1] mm, got 0');
    expect(() => encodeIctCompact(full, { stepMm: 1e-4 })).toThrow(/does not fit int16 at a step of 0.0001 mm/);
  });

  it('refuses a damaged file with MODEL_CACHE_INVALID naming it', () => {
    const bytes = encodeIctCompact(full);
    const expectInvalid = (b: Uint8Array, pattern: RegExp): void => {
      try {
        parseIctCompact(b, 'models/ict/ict-compact.bin');
        expect.unreachable('parsed');
      } catch (e) {
        expect(e).toBeInstanceOf(FaceDetailError);
        expect((e as FaceDetailError).code).toBe('MODEL_CACHE_INVALID');
        expect((e as FaceDetailError).message).toMatch(/^the bundled ICT model models\/ict\/ict-compact\.bin is invalid/);
        expect((e as FaceDetailError).message).toMatch(pattern);
      }
    };
    expectInvalid(new Uint8Array(4), /does not start with "FDICTCMP"/);
    expectInvalid(bytes.subarray(0, bytes.length - 100), /does not inflate|truncated|checksum/);
    const flipped = bytes.slice();
    flipped[flipped.length - 50]! ^= 0x10;
    expectInvalid(flipped, /does not inflate|checksum mismatch|inflates to/);
    // Another version in the header.
    const len = new DataView(bytes.buffer).getUint32(8, true);
    const text = new TextDecoder().decode(bytes.subarray(12, 12 + len)).replace('"version":1', '"version":9');
    const hb = new TextEncoder().encode(text);
    const v9 = new Uint8Array(12 + hb.length + bytes.length - 12 - len);
    v9.set(bytes.subarray(0, 12)); new DataView(v9.buffer).setUint32(8, hb.length, true); v9.set(hb, 12); v9.set(bytes.subarray(12 + len), 12 + hb.length);
    expectInvalid(v9, /version 9, this facedetail reads version 1/);
  });
});

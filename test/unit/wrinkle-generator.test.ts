import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  FACE_CYLINDER_RADIUS_MM, FOLD_KINDS, WRINKLE_RANGES, cylinderAxisZ, generateWrinkles, wrinklePrimitives, type FaceAnchors, type WrinkleSurface,
} from '../../bench/synth/wrinkles.js';
import { importSharedIct, ictSkipReason, type SharedIct } from '../fixtures/ict.js';
import { synthFace, synthWrinkleMap } from '../../bench/synth/faces.js';

/** Anchors of an average adult face (head frame, mm; x subject's left, y up, z out). */
const ANCHORS: FaceAnchors = {
  eyeOuterR: [-45, 0, 60], eyeInnerR: [-15, 0, 66], eyeInnerL: [15, 0, 66], eyeOuterL: [45, 0, 60],
  browOuterR: [-50, 12, 66], browInnerR: [-12, 15, 72], browInnerL: [12, 15, 72], browOuterL: [50, 12, 66],
  noseTip: [0, -35, 98], alaR: [-17, -40, 80], alaL: [17, -40, 80],
  mouthCornerR: [-25, -65, 72], mouthCornerL: [25, -65, 72], upperLipTop: [0, -57, 85], lowerLipBottom: [0, -73, 82], chin: [0, -110, 78],
};

/** A flat frontal "face" surface (z = 70 mm) sampled at 0.25 mm: the face plane is then ≈ the head frame's x, y. */
function flatSurface(size = 640, mmPerTexel = 0.25, y0 = 60): WrinkleSurface {
  const position = new Float32Array(3 * size * size), coverage = new Uint8Array(size * size).fill(1);
  for (let j = 0; j < size; j++) for (let i = 0; i < size; i++) {
    const p = j * size + i;
    position[3 * p] = (i + 0.5 - size / 2) * mmPerTexel; position[3 * p + 1] = y0 - (j + 0.5) * mmPerTexel; position[3 * p + 2] = 70;
  }
  return { width: size, height: size, coverage, position };
}

describe('wrinkle generator v2', () => {
  it('every primitive is within the documented depth and width ranges, at every age and expression', () => {
    let n = 0;
    for (let seed = 1; seed <= 20; seed++) {
      for (const age of [25, 45, 65, 85]) {
        for (const expression of [{}, { browRaise: 1 }, { smile: 1 }, { frown: 1 }]) {
          const { primitives, bags } = wrinklePrimitives(ANCHORS, { seed, age, expression });
          for (const p of primitives) {
            const [lo, hi] = FOLD_KINDS.includes(p.kind) ? WRINKLE_RANGES.foldDepthMm : WRINKLE_RANGES.wrinkleDepthMm;
            expect(p.depthMm, `${p.kind} depth`).toBeGreaterThanOrEqual(lo);
            expect(p.depthMm, `${p.kind} depth`).toBeLessThanOrEqual(hi);
            expect(p.widthMm).toBeGreaterThanOrEqual(WRINKLE_RANGES.widthMm[0]);
            expect(p.widthMm).toBeLessThanOrEqual(WRINKLE_RANGES.widthMm[1]);
            n++;
          }
          for (const b of bags) {
            expect(b.heightMm).toBeGreaterThanOrEqual(WRINKLE_RANGES.bagHeightMm[0]);
            expect(b.heightMm).toBeLessThanOrEqual(WRINKLE_RANGES.bagHeightMm[1]);
          }
        }
      }
    }
    expect(n).toBeGreaterThan(1000);
  });

  it('the drawn map has the primitives depths and widths (a measured cross-section of the deepest fold)', () => {
    const s = flatSurface(640, 0.25);
    const map = generateWrinkles(s, ANCHORS, { seed: 3, age: 75, pores: false });
    const fold = map.primitives.filter((p) => p.kind === 'nasolabial').sort((a, b) => b.depthMm - a.depthMm)[0]!;
    expect(fold).toBeDefined();
    // Folds overlap other creases a little: the map's deepest point is at least the deepest primitive, not much more.
    const minD = map.displacement.reduce((a, b) => Math.min(a, b), 0);
    const deepest = Math.max(...map.primitives.map((p) => p.depthMm));
    expect(-minD).toBeGreaterThanOrEqual(deepest * 0.98);
    expect(-minD).toBeLessThanOrEqual(WRINKLE_RANGES.foldDepthMm[1] + 0.5);
    // Cross-section through the fold's middle, perpendicular to it: FWHM ≈ its width.
    const c = fold.curve, k = Math.floor(c.length / 4) * 2;
    const mx = c[k]!, my = c[k + 1]!, tx = c[k + 2]! - c[k - 2]!, ty = c[k + 3]! - c[k - 1]!, tl = Math.hypot(tx, ty);
    const nx = -ty / tl, ny = tx / tl;
    const at = (t: number): number => {
      // Face plane → head frame on the flat surface z = 70: x = (z − z₀)·tan(q/R).
      const x = (70 - cylinderAxisZ(ANCHORS)) * Math.tan((mx + nx * t) / FACE_CYLINDER_RADIUS_MM), y = my + ny * t;
      const i = Math.round(x / 0.25 + 320 - 0.5), j = Math.round((60 - y) / 0.25 - 0.5);
      return map.displacement[j * 640 + i]!;
    };
    const centre = at(0);
    expect(-centre).toBeGreaterThan(fold.depthMm * 0.9);
    let half = 0;
    for (let t = 0; t < 6; t += 0.05) if (at(t) > centre / 2 && at(-t) > centre / 2) { half = t; break; }
    expect(2 * half).toBeGreaterThan(fold.widthMm * 0.6);
    expect(2 * half).toBeLessThan(fold.widthMm * 1.6);
  });

  it('is deterministic and seed-dependent', () => {
    const s = flatSurface(200, 1);
    const a = generateWrinkles(s, ANCHORS, { seed: 11, age: 60 });
    const b = generateWrinkles(s, ANCHORS, { seed: 11, age: 60 });
    const c = generateWrinkles(s, ANCHORS, { seed: 12, age: 60 });
    expect(Buffer.from(a.displacement.buffer).equals(Buffer.from(b.displacement.buffer))).toBe(true);
    expect(Buffer.from(a.displacement.buffer).equals(Buffer.from(c.displacement.buffer))).toBe(false);
  });

  it('age adds wrinkles (count, depth, length); expressions deepen their own wrinkles', () => {
    const stat = (age: number, expression = {}) => {
      let count = 0, depth = 0, len = 0;
      const byKind: Record<string, number> = {};
      for (let seed = 1; seed <= 30; seed++) {
        for (const p of wrinklePrimitives(ANCHORS, { seed, age, expression }).primitives) {
          count++; depth += p.depthMm; if (p.kind === 'forehead' || p.kind === 'crowsFeet') len += p.lengthMm; byKind[p.kind] = (byKind[p.kind] ?? 0) + p.depthMm;
        }
      }
      return { count, depth: depth / count, len, byKind };
    };
    const y = stat(30), o = stat(75);
    expect(o.count).toBeGreaterThan(2 * y.count);
    expect(o.depth).toBeGreaterThan(y.depth);
    expect(o.len).toBeGreaterThan(y.len * 1.5); // total forehead + crow's-feet length
    const n = stat(50), raise = stat(50, { browRaise: 1 }), smile = stat(50, { smile: 1 }), frown = stat(50, { frown: 1 });
    expect(raise.byKind['forehead']!).toBeGreaterThan(1.4 * n.byKind['forehead']!);
    expect(smile.byKind['crowsFeet']!).toBeGreaterThan(1.4 * n.byKind['crowsFeet']!);
    expect(frown.byKind['glabellar']!).toBeGreaterThan(1.4 * n.byKind['glabellar']!);
    expect(raise.byKind['glabellar']).toBeCloseTo(n.byKind['glabellar']!, 6);
  });

  it('leaves texels off the surface at 0 and keeps pores within range', () => {
    const s = flatSurface(160, 0.25, -0);
    (s.coverage as Uint8Array).fill(0, 0, 160 * 40);
    const m = generateWrinkles(s, ANCHORS, { seed: 5, age: 20 });
    for (let p = 0; p < 160 * 40; p++) expect(m.displacement[p]).toBe(0);
    // Cheek patch of a 20-year-old: pores and roughness only, within their ranges.
    const lo = m.displacement.reduce((a, b) => Math.min(a, b), 0);
    expect(-lo).toBeLessThanOrEqual(WRINKLE_RANGES.poreDepthMm[1] + WRINKLE_RANGES.roughnessMm[1] + 1e-6);
    expect(-lo).toBeGreaterThan(WRINKLE_RANGES.poreDepthMm[0] * 0.5);
  });
});

describe.skipIf(ictSkipReason)('wrinkle maps on ICT faces (both layouts)', () => {
  let ict: SharedIct;
  beforeAll(async () => { ict = await importSharedIct('facedetail-wrinkle-'); });
  afterAll(() => ict?.cleanup());
  it('draws every anatomical kind inside the ICT and face-mesh layouts', () => {
    const face = synthFace(ict.data, 77, { age: 78, preset: 'smile' });
    for (const layout of ['ict', 'facemesh'] as const) {
      const map = synthWrinkleMap(ict.data, face, layout, 256, { pores: false });
      const kinds = new Set(map.primitives.map((p) => p.kind));
      for (const k of ['forehead', 'glabellar', 'crowsFeet', 'nasolabial', 'marionette', 'perioral', 'mentalCrease']) expect(kinds.has(k as never), `${layout} ${k}`).toBe(true);
      const lo = map.displacement.reduce((a, b) => Math.min(a, b), 0);
      expect(-lo, layout).toBeGreaterThan(1.0);
      expect(-lo, layout).toBeLessThan(3.2);
      // A crease-depth texel count: wrinkles visible on a good share of the face.
      const deep = map.creaseDepth.reduce((s, v) => s + (v > 0.1 ? 1 : 0), 0);
      expect(deep, layout).toBeGreaterThan(200);
    }
  });
});

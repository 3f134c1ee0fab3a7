import { describe, expect, it } from 'vitest';
import { linearToSrgb } from '../../src/core/image/image.js';
import type { ExtraMesh } from '../../src/core/model/face-model.js';
import { colorExtraMeshes, estimateIrisColor, EXTRA_MESH_COLORS, medianAlbedo } from '../../src/core/head/extra-meshes.js';
import { FACEMESH_LANDMARKS } from '../../src/core/model/facemesh/facemesh-landmarks.js';
import type { Image } from '../../src/core/types.js';

const W = 200, H = 120;
const SKIN = [0.45, 0.3, 0.22] as const, SCLERA = [0.7, 0.68, 0.66] as const, IRIS = [0.04, 0.08, 0.16] as const, PUPIL = [0.005, 0.005, 0.005] as const;

/**
 * A synthetic photo with two eye openings: ellipses of half-axes (rx, ry) around (cx, 60) holding
 * sclera, an iris disc of radius 9 px with a pupil of 3 px, on skin; and face-mesh landmarks whose
 * eye contours (FACEMESH_LANDMARKS) trace the ellipses (all other landmarks at the origin).
 */
function eyesPhoto(ry: number): { image: Image; landmarks: Float32Array } {
  const rx = 24, centres = [60, 140];
  const data = new Float32Array(W * H * 3);
  for (let y = 0; y < H; y++) {
    for (let x = 0; x < W; x++) {
      let c: readonly number[] = SKIN;
      for (const cx of centres) {
        const px = x + 0.5 - cx, py = y + 0.5 - 60;
        if ((px / rx) ** 2 + (py / Math.max(ry, 1e-6)) ** 2 > 1) continue;
        const r = Math.hypot(px, py);
        c = r < 3 ? PUPIL : r < 9 ? IRIS : SCLERA;
      }
      for (let k = 0; k < 3; k++) data[(y * W + x) * 3 + k] = linearToSrgb(c[k]!);
    }
  }
  const landmarks = new Float32Array(468 * 3);
  centres.forEach((cx, e) => {
    const loop = e === 0 ? FACEMESH_LANDMARKS.rightEye : FACEMESH_LANDMARKS.leftEye;
    loop.forEach((idx, k) => {
      const a = (2 * Math.PI * k) / loop.length;
      landmarks[3 * idx] = cx + rx * Math.cos(a);
      landmarks[3 * idx + 1] = 60 + ry * Math.sin(a);
    });
  });
  return { image: { width: W, height: H, channels: 3, data }, landmarks };
}

describe('estimateIrisColor', () => {
  it('measures the iris inside open eyes, not the sclera, pupil or skin', () => {
    const { image, landmarks } = eyesPhoto(11);
    const c = estimateIrisColor(image, landmarks);
    expect(c).not.toBeNull();
    for (let k = 0; k < 3; k++) expect(c![k]).toBeCloseTo(IRIS[k]!, 2);
  });

  it('returns null when the eyes are closed (too few pixels inside the lids)', () => {
    const { image, landmarks } = eyesPhoto(0.3);
    expect(estimateIrisColor(image, landmarks)).toBeNull();
  });

  it('ignores eye contours outside the image', () => {
    const { image, landmarks } = eyesPhoto(11);
    for (let i = 0; i < landmarks.length; i += 3) landmarks[i] = landmarks[i]! + 1000;
    expect(estimateIrisColor(image, landmarks)).toBeNull();
  });
});

describe('colorExtraMeshes', () => {
  const mesh = (material: ExtraMesh['material']): ExtraMesh => ({ name: material, material, mesh: { positions: new Float32Array(0), indices: new Uint32Array(0) } });

  it('uses the measured iris colour when given, the fixed one otherwise', () => {
    const extras = [mesh('iris'), mesh('skin'), mesh('teeth')];
    colorExtraMeshes(extras, [0.4, 0.3, 0.2], { iris: [0.1, 0.2, 0.3] });
    expect(extras.map((e) => e.color)).toEqual([[0.1, 0.2, 0.3], [0.4, 0.3, 0.2], [...EXTRA_MESH_COLORS.teeth]]);
    colorExtraMeshes(extras, [0.4, 0.3, 0.2]);
    expect(extras[0]!.color).toEqual([...EXTRA_MESH_COLORS.iris]);
    const mouth = [mesh('teeth'), mesh('mouth'), mesh('eye')];
    colorExtraMeshes(mouth, [0.4, 0.3, 0.2], { teeth: [0.6, 0.55, 0.45], mouth: [0.02, 0.01, 0.01] });
    expect(mouth.map((e) => e.color)).toEqual([[0.6, 0.55, 0.45], [0.02, 0.01, 0.01], [...EXTRA_MESH_COLORS.eye]]);
  });

  it('medianAlbedo takes the per-channel median over covered texels only', () => {
    const img: Image = { width: 3, height: 1, channels: 3, data: new Float32Array([0.1, 0.2, 0.3, 0.5, 0.6, 0.7, 0.9, 0.9, 0.9]) };
    const m = medianAlbedo(img, new Uint8Array([1, 1, 0]));
    expect(m.map((v) => +v.toFixed(4))).toEqual([0.5, 0.6, 0.7]);
  });
});

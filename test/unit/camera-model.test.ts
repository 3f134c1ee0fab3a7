import { describe, expect, it } from 'vitest';
import type { FaceAnalysis } from '../../src/core/analysis/types.js';
import { estimateCamera, focalLength35mmOf, project } from '../../src/core/camera/estimate-camera.js';
import { cameraToHead, headToCamera, poseFromAxes } from '../../src/core/camera/pose.js';
import { FaceDetailError } from '../../src/core/errors.js';
import { computeVertexNormals } from '../../src/core/mesh/normals.js';
import { FACEMESH_LANDMARKS as LM } from '../../src/core/model/facemesh/facemesh-landmarks.js';
import { createFaceMeshModel, FACEMESH_VERTEX_COUNT } from '../../src/core/model/facemesh/facemesh-model.js';

describe('estimateCamera', () => {
  it('maps a 35 mm-equivalent focal length over the image diagonal and back', () => {
    const c = estimateCamera(4032, 3024, { exifFocalLength35mm: 26 });
    expect(c.fx).toBeCloseTo((26 * Math.hypot(4032, 3024)) / Math.hypot(36, 24), 6);
    expect(c.cx).toBe(2016);
    expect(c.focalSource).toBe('exif');
    expect(focalLength35mmOf(c)).toBeCloseTo(26, 9);
  });
  it('prefers the user value, falls back to 50 mm, and rejects nonsense', () => {
    expect(estimateCamera(100, 100, { focalLength35mm: 85, exifFocalLength35mm: 26 }).focalSource).toBe('user');
    expect(focalLength35mmOf(estimateCamera(640, 480))).toBeCloseTo(50, 9);
    expect(estimateCamera(640, 480, { exifFocalLength35mm: 0 }).focalSource).toBe('default');
    expect(() => estimateCamera(640, 480, { focalLength35mm: -3 })).toThrow(FaceDetailError);
  });
});

describe('pose', () => {
  it('frontal axes give zero angles and head↔camera transforms invert each other', () => {
    const p = poseFromAxes([1, 0, 0], [0, -1, 0], [10, 20, 600]);
    expect(Math.abs(p.yawDeg) + Math.abs(p.pitchDeg) + Math.abs(p.rollDeg)).toBeLessThan(1e-9);
    const pts = new Float32Array([1, 2, 3, -40, 5, 60]);
    const back = cameraToHead(p, headToCamera(p, pts));
    for (let i = 0; i < pts.length; i++) expect(back[i]).toBeCloseTo(pts[i]!, 4);
  });
  it('signs: face turned to its left = positive yaw, chin down = positive pitch', () => {
    const a = (20 * Math.PI) / 180;
    // Yaw: the head's +Z (toward the camera = −Z_cam when frontal) rotates toward the subject's left (+X).
    const yawed = poseFromAxes([Math.cos(a), 0, Math.sin(a)], [0, -1, 0], [0, 0, 600]);
    expect(yawed.yawDeg).toBeCloseTo(20, 6);
    // Pitch (chin down): the head's up axis tilts toward the camera (−Z_cam).
    const pitched = poseFromAxes([1, 0, 0], [0, -Math.cos(a), -Math.sin(a)], [0, 0, 600]);
    expect(pitched.pitchDeg).toBeCloseTo(20, 6);
  });
});

/** A synthetic analysis: a dome-shaped face-mesh laid out from the UV map, seen frontally. */
function syntheticAnalysis(cx: number, cy: number, sizePx: number): FaceAnalysis {
  const model = createFaceMeshModel();
  const uv = model.topology.uvs;
  const L = new Float32Array(FACEMESH_VERTEX_COUNT * 3);
  for (let i = 0; i < FACEMESH_VERTEX_COUNT; i++) {
    const u = uv[2 * i]! - 0.5, v = uv[2 * i + 1]! - 0.53;
    L[3 * i] = cx + u * sizePx;
    L[3 * i + 1] = cy + v * sizePx;
    L[3 * i + 2] = -0.5 * sizePx * Math.sqrt(Math.max(0, 0.36 - u * u - v * v)); // nearer in the middle
  }
  return {
    landmarks: L, landmarkCount: 468, box: [cx - sizePx / 2, cy - sizePx / 2, sizePx, sizePx], score: 1,
    rotation: { yawDeg: 0, pitchDeg: 0, rollDeg: 0 },
    emotions: { angry: 0, disgust: 0, fear: 0, happy: 0, sad: 0, surprise: 0, neutral: 1 },
  };
}

describe('face-mesh model', () => {
  const model = createFaceMeshModel();
  it('has an outward-wound, symmetric topology with mask regions', () => {
    const t = model.topology;
    expect(t.indices.length / 3).toBe(880);
    // Mirror is an involution for (nearly) every vertex and fixes the mid-line.
    let inv = 0;
    for (let i = 0; i < t.vertexCount; i++) if (t.mirror[t.mirror[i]!] === i) inv++;
    expect(inv / t.vertexCount).toBeGreaterThan(0.95);
    expect(t.mirror[LM.noseTip]).toBe(LM.noseTip);
    expect(t.mirror[LM.leftEye[0]]).toBe(LM.rightEye[0]); // 263 ↔ 33
    expect(t.regions.map((r) => r.name).sort()).toEqual(['leftBrow', 'leftEye', 'lips', 'nostrils', 'rightBrow', 'rightEye']);
  });
  it('back-projects landmarks exactly, at metric scale, with outward normals', () => {
    const a = syntheticAnalysis(320, 260, 240);
    const cam = estimateCamera(640, 480);
    const fit = model.fit(a, cam, { interocularMm: 63 });
    const px = [0, 0];
    let worst = 0;
    for (let i = 0; i < FACEMESH_VERTEX_COUNT; i++) {
      project(cam, fit.positions[3 * i]!, fit.positions[3 * i + 1]!, fit.positions[3 * i + 2]!, px);
      worst = Math.max(worst, Math.hypot(px[0]! - a.landmarks[3 * i]!, px[1]! - a.landmarks[3 * i + 1]!));
    }
    expect(worst).toBeLessThan(1e-3);
    // Eye-centre distance is the prior, in mm.
    const c = (idx: readonly number[]) => [0, 1, 2].map((k) => idx.reduce((s, i) => s + fit.positions[3 * i + k]!, 0) / idx.length);
    const eL = c(LM.leftEye), eR = c(LM.rightEye);
    expect(Math.hypot(eL[0]! - eR[0]!, eL[1]! - eR[1]!, eL[2]! - eR[2]!)).toBeCloseTo(63, 0);
    expect(Math.abs(fit.pose.yawDeg)).toBeLessThan(1);
    // Normals point toward the camera (negative z) on average.
    const n = computeVertexNormals(fit.positions, model.topology.indices);
    let nz = 0;
    for (let i = 0; i < FACEMESH_VERTEX_COUNT; i++) nz += n[3 * i + 2]!;
    expect(nz / FACEMESH_VERTEX_COUNT).toBeLessThan(-0.5);
  });
  it('rejects an analysis without the 468 landmarks', () => {
    const a = { ...syntheticAnalysis(100, 100, 80), landmarkCount: 68, landmarks: new Float32Array(68 * 3) };
    expect(() => model.fit(a, estimateCamera(200, 200), { interocularMm: 63 })).toThrow(FaceDetailError);
  });
});

/**
 * Gaze from the iris (src/core/model/gaze.ts) on synthetic eyes with known answers: an eyeball
 * placed in front of a pinhole camera, its iris centre turned by a known yaw and pitch and
 * projected, then recovered; the eyeLook weights checked against the morph they drive; the lid
 * compensation (ict-gaze.ts) on a tiny model with known answers.
 */
import { describe, expect, it } from 'vitest';
import { estimateGaze, eyeGaze, eyeLookWeights, eyeRotation, IRIS_LANDMARKS, type EyeballGeometry, type Gaze } from '../../src/core/model/gaze.js';
import { poseFromAxes } from '../../src/core/camera/pose.js';
import { compensateLids } from '../../src/core/model/ict/ict-gaze.js';
import type { Camera } from '../../src/core/types.js';

const camera: Camera = { width: 640, height: 480, fx: 900, fy: 900, cx: 320, cy: 240, focalSource: 'default' };
const norm = (v: number[]): number[] => { const n = Math.hypot(...v); return v.map((x) => x / n); };
/** ICT's rest axis: the cornea apex 0.42 mm out, 0.05 mm down, 12.06 mm forward of the left eyeball's centroid. */
const AXIS_L = norm([0.42, -0.05, 12.06]);
const AXIS_R = norm([-0.42, -0.05, 12.06]);

/** Head rotation: yaw about y, then pitch about x (head → camera, OpenCV axes: the head frame's +y up is −y, +z forward is −z). */
function headRotation(yawDeg: number, pitchDeg: number): Float64Array {
  const y = (yawDeg * Math.PI) / 180, p = (pitchDeg * Math.PI) / 180;
  // A face looking into the camera shows its left (head +x) on the image's right (camera +x).
  const right = [Math.cos(y), 0, Math.sin(y)]; // head +x in camera axes before pitch
  const up = [Math.sin(y) * Math.sin(p), -Math.cos(p), -Math.cos(y) * Math.sin(p)];
  return poseFromAxes(right, up, [0, 0, 500]).rotation;
}

/** The pixel where an eyeball turned by (yaw, pitch) from rest shows its iris centre. */
function projectIris(eye: EyeballGeometry, R: ArrayLike<number>, yawDeg: number, pitchDeg: number): [number, number] {
  const M = eyeRotation({ yawDeg, pitchDeg }, eye.axis);
  const a = eye.axis, h = [0, 1, 2].map((i) => M[3 * i]! * a[0]! + M[3 * i + 1]! * a[1]! + M[3 * i + 2]! * a[2]!);
  const g = [0, 1, 2].map((i) => R[3 * i]! * h[0]! + R[3 * i + 1]! * h[1]! + R[3 * i + 2]! * h[2]!);
  const X = [0, 1, 2].map((k) => eye.centre[k]! + eye.irisDistanceMm * g[k]!);
  return [camera.fx * X[0]! / X[2]! + camera.cx, camera.fy * X[1]! / X[2]! + camera.cy];
}

describe('eyeGaze: iris centre on the fitted eyeball → yaw and pitch', () => {
  it('recovers known eyeball rotations under several head poses (worst error < 1e-6°)', () => {
    let worst = 0;
    for (const [hy, hp] of [[0, 0], [25, -10], [-35, 15]] as const) {
      const R = headRotation(hy, hp);
      const eye: EyeballGeometry = { centre: [32, -35, 480], axis: AXIS_L, irisDistanceMm: 11.3 };
      for (const [yaw, pitch] of [[0, 0], [12, -8], [-25, 20], [30, 0], [0, -30]] as const) {
        const [u, v] = projectIris(eye, R, yaw, pitch);
        const g = eyeGaze(u, v, camera, R, eye);
        expect(g.source).toBe('iris');
        worst = Math.max(worst, Math.abs(g.yawDeg - yaw), Math.abs(g.pitchDeg - pitch));
      }
    }
    expect(worst).toBeLessThan(1e-6);
  });

  it('reads a look into the lens as 0° off camera, and flags an iris beyond the silhouette as clamped', () => {
    const R = headRotation(10, 5);
    const eye: EyeballGeometry = { centre: [20, -10, 450], axis: AXIS_L, irisDistanceMm: 11.3 };
    // The iris on the line from the centre to the camera projects onto the centre's own pixel.
    const u = camera.fx * 20 / 450 + camera.cx, v = camera.fy * -10 / 450 + camera.cy;
    const g = eyeGaze(u, v, camera, R, eye);
    expect(g.offCameraDeg).toBeLessThan(1e-6);
    // Head turned 10° to its left, eye looking at the camera: the eye turns ≈ 10° to the subject's right relative to the head.
    expect(g.yawDeg).toBeLessThan(-8);
    const far = eyeGaze(u + 40, v, camera, R, eye); // 20 mm at 450 mm: past the 11.3 mm sphere
    expect(far.source).toBe('clamped');
    // Perpendicular to the ray: ≈ 90° off the camera (less the ray's 2.5° angle to the line of sight).
    expect(far.offCameraDeg).toBeGreaterThan(85);
  });
});

describe('estimateGaze: landmarks → both eyes', () => {
  const R = headRotation(0, 0);
  const left: EyeballGeometry = { centre: [32, -35, 480], axis: AXIS_L, irisDistanceMm: 11.3 };
  const right: EyeballGeometry = { centre: [-32, -35, 480], axis: AXIS_R, irisDistanceMm: 11.3 };
  /** 478 landmarks: eye corners and lids around each eyeball's projection, the iris at the given gaze. */
  const landmarks = (gazeL: [number, number], gazeR: [number, number], openingL = 0.3): Float32Array => {
    const L = new Float32Array(3 * IRIS_LANDMARKS.count);
    const put = (i: number, x: number, y: number): void => { L[3 * i] = x; L[3 * i + 1] = y; };
    for (const [eye, g, outer, inner, upper, lower, iris, opening] of [
      [left, gazeL, 263, 362, 386, 374, IRIS_LANDMARKS.leftCentre, openingL],
      [right, gazeR, 33, 133, 159, 145, IRIS_LANDMARKS.rightCentre, 0.3],
    ] as const) {
      const cx = camera.fx * eye.centre[0]! / eye.centre[2]! + camera.cx, cy = camera.fy * eye.centre[1]! / eye.centre[2]! + camera.cy;
      put(outer, cx - 30, cy); put(inner, cx + 30, cy); put(upper, cx, cy - 30 * opening); put(lower, cx, cy + 30 * opening);
      const [u, v] = projectIris(eye, R, g[0], g[1]);
      put(iris, u, v);
    }
    return L;
  };

  it('measures each eye (binocular: false), copies the open eye\'s angles to a closed one, and needs the iris points', () => {
    const input = { landmarks: landmarks([5, -3], [8, -1]), camera, rotation: R, left, right };
    const g = estimateGaze(input, { binocular: false })!;
    // Float32 landmarks: 1e-5° of rounding.
    expect(g.left.yawDeg).toBeCloseTo(5, 3);
    expect(g.right.yawDeg).toBeCloseTo(8, 3);
    expect(g.left.pitchDeg).toBeCloseTo(-3, 3);
    const closed = estimateGaze({ ...input, landmarks: landmarks([5, -3], [8, -1], 0.05) }, { binocular: false })!;
    expect(closed.left.source).toBe('other');
    expect(closed.left.measured).toBeUndefined();
    expect(closed.left.yawDeg).toBeCloseTo(8, 3);
    expect(estimateGaze({ ...input, landmarks: input.landmarks.subarray(0, 468 * 3) })).toBeUndefined();
  });

  it('binocular (default): one offset from looking into the lens, each eye keeping its vergence toward the camera', () => {
    const input = { landmarks: landmarks([5, -3], [8, -1]), camera, rotation: R, left, right };
    const g = estimateGaze(input)!;
    // yaw_L = camL + Δ, yaw_R = camR + Δ, Δ = mean(measured − cam): the sum is the measured sum.
    expect(g.left.yawDeg + g.right.yawDeg).toBeCloseTo(13, 3);
    expect(g.left.pitchDeg + g.right.pitchDeg).toBeCloseTo(-4, 3);
    expect(g.left.measured!.yawDeg).toBeCloseTo(5, 3);
    // Eyes that look into the lens stay so: both 0° off camera, converging.
    const atCamera = (eye: EyeballGeometry): [number, number] => [camera.fx * eye.centre[0]! / eye.centre[2]! + camera.cx, camera.fy * eye.centre[1]! / eye.centre[2]! + camera.cy];
    const L = landmarks([0, 0], [0, 0]);
    [L[3 * IRIS_LANDMARKS.leftCentre], L[3 * IRIS_LANDMARKS.leftCentre + 1]] = atCamera(left);
    [L[3 * IRIS_LANDMARKS.rightCentre], L[3 * IRIS_LANDMARKS.rightCentre + 1]] = atCamera(right);
    const c = estimateGaze({ ...input, landmarks: L })!;
    expect(c.left.offCameraDeg).toBeLessThan(1e-3);
    expect(c.right.offCameraDeg).toBeLessThan(1e-3);
    expect(c.left.yawDeg).toBeLessThan(-3); // the left eye turns in (toward the subject's right) by ≈ atan(32 / 480) + 2° of ICT's rest axis
    expect(c.right.yawDeg).toBeGreaterThan(3);
  });
});

describe('eyeLookWeights: gaze → ARKit eyeLook weights', () => {
  const max = { In: 30, Out: 30, Up: 25, Down: 30 };
  const eye = (yawDeg: number, pitchDeg: number): Gaze['left'] => ({ yawDeg, pitchDeg, offCameraDeg: 0, source: 'iris' });

  it('names the directions in ARKit\'s convention (in = toward the nose) and is 0 at rest', () => {
    const w = eyeLookWeights({ left: eye(10, 5), right: eye(10, -5) }, max);
    expect(w.left.Out).toBeGreaterThan(0); expect(w.left.In).toBe(0); // the left eye turning to the subject's left looks out
    expect(w.right.In).toBeGreaterThan(0); expect(w.right.Out).toBe(0);
    expect(w.left.Up).toBeGreaterThan(0); expect(w.right.Down).toBeGreaterThan(0);
    const rest = eyeLookWeights({ left: eye(0, 0), right: eye(0, 0) }, max);
    expect(Object.values(rest.left).concat(Object.values(rest.right)).every((x) => x === 0)).toBe(true);
    expect(eyeLookWeights({ left: eye(45, 0), right: eye(0, 0) }, max).left.Out).toBe(1);
  });

  it('gives the weight at which the linear morph of a θ rotation points the iris at the gaze angle (worst < 1e-9°)', () => {
    let worst = 0;
    for (const phi of [1, 5, 10, 15, 20, 29]) {
      const w = eyeLookWeights({ left: eye(phi, 0), right: eye(0, 0) }, max).left.Out;
      // A point at radius 1 on +z turned by θ = 30° about y, morphed at weight w.
      const th = (30 * Math.PI) / 180, x = w * Math.sin(th), z = 1 - w * (1 - Math.cos(th));
      worst = Math.max(worst, Math.abs((Math.atan2(x, z) * 180) / Math.PI - phi));
    }
    expect(worst).toBeLessThan(1e-9);
  });
});

describe('compensateLids: the lid shapes take back the lid motion of new eyeLook weights', () => {
  // 3 vertices; eyeLookDown_L lowers vertex 0 by 7 mm, eyeWide_L raises it by 3.5 mm, eyeBlink_L lowers vertices 0 and 1.
  const names = ['eyeLookDown_L', 'eyeWide_L', 'eyeBlink_L', 'eyeSquint_L', 'eyeLookDown_R', 'eyeWide_R', 'eyeBlink_R', 'eyeSquint_R', 'jawOpen'];
  const N = 3, E = new Float32Array(names.length * 3 * N);
  const set = (shape: string, v: number, dy: number): void => { E[names.indexOf(shape) * 3 * N + 3 * v + 1] = dy; };
  set('eyeLookDown_L', 0, -7); set('eyeWide_L', 0, 3.5); set('eyeBlink_L', 0, -5); set('eyeBlink_L', 1, -5); set('jawOpen', 2, -10);
  const data = { vertexCount: N, expressionNames: names, expressionDeltas: E };

  it('cancels what the lid shapes can (eyeWide +0.2 for eyeLookDown +0.1) within [0, 1], and reports the lid motion before and after', () => {
    const fitted = new Float32Array(names.length);
    fitted[names.indexOf('jawOpen')] = 0.4;
    const weights = Float32Array.from(fitted);
    weights[names.indexOf('eyeLookDown_L')] = 0.1;
    const c = compensateLids(data, fitted, weights, N);
    expect(c.weights[names.indexOf('eyeWide_L')]).toBeCloseTo(0.2, 6);
    expect(c.weights[names.indexOf('eyeBlink_L')]).toBeCloseTo(0, 6);
    expect(c.weights[names.indexOf('jawOpen')]).toBe(fitted[names.indexOf('jawOpen')]);
    expect(c.weights[names.indexOf('eyeLookDown_L')]).toBeCloseTo(0.1, 6);
    expect(c.maxBeforeMm).toBeCloseTo(0.7, 5);
    expect(c.maxAfterMm).toBeLessThan(1e-5);
    // Past eyeWide's range: clamped at 1, the rest left over.
    weights[names.indexOf('eyeLookDown_L')] = 0.75;
    const d = compensateLids(data, fitted, weights, N);
    expect(d.weights[names.indexOf('eyeWide_L')]).toBe(1);
    expect(d.maxAfterMm).toBeCloseTo(7 * 0.75 - 3.5, 4);
  });
});

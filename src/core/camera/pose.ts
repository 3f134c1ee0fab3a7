import { mat3TransformPoint, mat3TransposeMulVec3, vec3Cross, vec3Dot, vec3Normalize } from '../math/index.js';
import type { Pose } from '../types.js';

const DEG = 180 / Math.PI;

/**
 * A head pose from the head frame's axes expressed in the camera frame.
 * Head frame: +X toward the subject's left, +Y up, +Z out of the face (glTF-like, right-handed).
 * Camera frame: OpenCV (+X right, +Y down, +Z forward). `origin` is the head origin in camera mm.
 *
 * Euler angles are those of R_rel = F·R with F = diag(1, −1, −1) (the frontal pose), decomposed as
 * R_rel = Ry(yaw)·Rx(pitch)·Rz(roll): yaw > 0 turns the face toward the subject's left (image
 * right), pitch > 0 tilts the chin down, roll > 0 tilts the head toward the subject's right
 * shoulder (counter-clockwise in the image).
 *
 * @example poseFromAxes([1,0,0], [0,-1,0], [0,0,600]).yawDeg // 0: frontal, 600 mm away
 */
export function poseFromAxes(xAxis: ArrayLike<number>, yAxisHint: ArrayLike<number>, origin: ArrayLike<number>): Pose {
  const x = vec3Normalize(new Float64Array(3), xAxis);
  const yh = [yAxisHint[0]!, yAxisHint[1]!, yAxisHint[2]!];
  const d = vec3Dot(x, yh);
  const y = vec3Normalize(new Float64Array(3), [yh[0]! - d * x[0]!, yh[1]! - d * x[1]!, yh[2]! - d * x[2]!]);
  const z = vec3Cross(new Float64Array(3), x, y);
  // Columns of R are the head axes in camera coordinates.
  const R = new Float64Array([x[0]!, y[0]!, z[0]!, x[1]!, y[1]!, z[1]!, x[2]!, y[2]!, z[2]!]);
  return makePose(R, new Float64Array([origin[0]!, origin[1]!, origin[2]!]));
}

/** Build a {@link Pose} (with Euler angles) from a row-major rotation and translation. */
export function makePose(R: Float64Array, t: Float64Array): Pose {
  // R_rel = F·R, F = diag(1,-1,-1): rows 1 and 2 negated.
  const r02 = R[2]!, r22 = -R[8]!, r12 = -R[5]!, r10 = -R[3]!, r11 = -R[4]!;
  const yaw = Math.atan2(r02, r22);
  const pitch = Math.asin(Math.max(-1, Math.min(1, -r12)));
  const roll = Math.atan2(r10, r11);
  return { rotation: R, translation: t, yawDeg: yaw * DEG, pitchDeg: pitch * DEG, rollDeg: roll * DEG };
}

/** Head-frame positions (xyz, mm) from camera-frame ones: p_h = Rᵀ (p_c − t). */
export function cameraToHead(pose: Pose, positions: Float32Array, out = new Float32Array(positions.length)): Float32Array {
  const R = pose.rotation, t = pose.translation, v = new Float64Array(3);
  for (let i = 0; i < positions.length; i += 3) {
    v[0] = positions[i]! - t[0]!; v[1] = positions[i + 1]! - t[1]!; v[2] = positions[i + 2]! - t[2]!;
    mat3TransposeMulVec3(v, R, v);
    out[i] = v[0]!; out[i + 1] = v[1]!; out[i + 2] = v[2]!;
  }
  return out;
}

/** Rotate direction vectors (e.g. normals) from the camera frame into the head frame: Rᵀ v. */
export function rotateToHead(pose: Pose, vectors: Float32Array, stride = 3, out = new Float32Array(vectors.length)): Float32Array {
  const R = pose.rotation, v = new Float64Array(3);
  for (let i = 0; i < vectors.length; i += stride) {
    v[0] = vectors[i]!; v[1] = vectors[i + 1]!; v[2] = vectors[i + 2]!;
    mat3TransposeMulVec3(v, R, v);
    out[i] = v[0]!; out[i + 1] = v[1]!; out[i + 2] = v[2]!;
    for (let k = 3; k < stride; k++) out[i + k] = vectors[i + k]!;
  }
  return out;
}

/** Camera-frame positions from head-frame ones: p_c = R p_h + t. */
export function headToCamera(pose: Pose, positions: Float32Array, out = new Float32Array(positions.length)): Float32Array {
  const R = pose.rotation, t = pose.translation, v = new Float64Array(3);
  for (let i = 0; i < positions.length; i += 3) {
    v[0] = positions[i]!; v[1] = positions[i + 1]!; v[2] = positions[i + 2]!;
    mat3TransformPoint(v, R, t, v);
    out[i] = v[0]!; out[i + 1] = v[1]!; out[i + 2] = v[2]!;
  }
  return out;
}

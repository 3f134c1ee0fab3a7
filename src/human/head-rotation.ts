/**
 * Head rotation (yaw, pitch, roll) from face-mesh landmarks, in the project's pose convention
 * (`poseFromAxes` in src/core/camera/pose.ts) and with the head axes the face-mesh model uses
 * (src/core/model/facemesh/facemesh-model.ts), so the analyser's angles and the fitted pose agree.
 */
import { poseFromAxes } from '../core/camera/pose.js';
import { FACEMESH_LANDMARKS as LM } from '../core/model/facemesh/facemesh-landmarks.js';

/** Euler angles in degrees; see {@link headRotationFromLandmarks} for the signs. */
export interface HeadRotation {
  yawDeg: number;
  pitchDeg: number;
  rollDeg: number;
}

/**
 * Head rotation from 468 face-mesh landmarks (xyz interleaved, x right, y down, z away from the
 * camera, all in the same unit — an orthographic view of the mesh).
 *
 * Head axes: +X from the subject's right eye centre to the left one (mean of each eye's ring
 * of landmarks), +Y from the chin (152) to the forehead top (10), made orthogonal to X, +Z
 * out of the face. Angles as in the core's `Pose` (R_rel = Ry(yaw)·Rx(pitch)·Rz(roll) relative
 * to the frontal pose):
 * - yaw > 0: the face turns toward the subject's left, i.e. toward the image's right;
 * - pitch > 0: the chin goes down (face tilted down);
 * - roll > 0: the head tilts toward the subject's right shoulder, counter-clockwise on screen.
 * Mirroring the image left-right negates yaw and roll and keeps pitch. Human's own
 * `rotation.angle` has the opposite yaw and roll signs.
 *
 * @example
 * const { yawDeg, pitchDeg, rollDeg } = headRotationFromLandmarks(analysis.landmarks);
 */
export function headRotationFromLandmarks(landmarks: ArrayLike<number>): HeadRotation {
  const eyeR = centroid(landmarks, LM.rightEye);
  const eyeL = centroid(landmarks, LM.leftEye);
  const top = LM.foreheadTop, chin = LM.chin;
  const pose = poseFromAxes(
    [eyeL[0] - eyeR[0], eyeL[1] - eyeR[1], eyeL[2] - eyeR[2]],
    [landmarks[3 * top]! - landmarks[3 * chin]!, landmarks[3 * top + 1]! - landmarks[3 * chin + 1]!, landmarks[3 * top + 2]! - landmarks[3 * chin + 2]!],
    [0, 0, 0],
  );
  return { yawDeg: pose.yawDeg, pitchDeg: pose.pitchDeg, rollDeg: pose.rollDeg };
}

/**
 * Human's `rotation.angle` (radians; yaw > 0 toward the image's left, roll > 0 clockwise on
 * screen, pitch > 0 chin down) in our convention, degrees.
 */
export function headRotationFromHuman(angle: { yaw: number; pitch: number; roll: number }): HeadRotation {
  const deg = 180 / Math.PI;
  return { yawDeg: -angle.yaw * deg, pitchDeg: angle.pitch * deg, rollDeg: -angle.roll * deg };
}

function centroid(xyz: ArrayLike<number>, idx: readonly number[]): [number, number, number] {
  let x = 0, y = 0, z = 0;
  for (const i of idx) { x += xyz[3 * i]!; y += xyz[3 * i + 1]!; z += xyz[3 * i + 2]!; }
  return [x / idx.length, y / idx.length, z / idx.length];
}

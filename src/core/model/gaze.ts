/**
 * Gaze from the photo: each eye's direction from where its iris centre (the face analyser's
 * iris landmarks, MediaPipe 468 / 473) lies on the fitted eyeball. Isomorphic.
 *
 * Per eye: the camera ray through the iris centre pixel meets the sphere of radius
 * `irisDistanceMm` about the fitted eyeball's centre of rotation (the sphere the iris centre
 * moves on as the eye turns); the gaze is the direction from the centre to that point. It is
 * measured against the eyeball's rest axis in the head frame, as yaw (about the head's +y:
 * > 0 toward the subject's left, +x) and pitch (> 0 up, +y): the eyeball rotation that puts
 * the model's iris where the photo's is. Where the ray misses the sphere (an iris detected
 * beyond the fitted eyeball's silhouette) the nearest point of the sphere is taken and the eye
 * is flagged `clamped`.
 *
 * Why on the fitted eyeball and not a 2D ratio (iris centre between the eye corners): the ratio
 * at rest differs between people and with the head's turn (the far eye's corners foreshorten),
 * and it needs a per-person calibration the single photo does not give; the fit already places
 * ICT's eyeball inside the fitted lids, so the rest position is the model's average anatomy.
 * The error is that of the fit's eyeball position: 1 mm sideways ≈ 5° at the 11 mm radius.
 */
import { mat3Multiply, mat3TransposeMulVec3 } from '../math/index.js';
import { assignDefaults } from '../options.js';
import type { Camera } from '../types.js';

/** The iris landmarks appended after the 468 face-mesh points (MediaPipe `refine_landmarks`): centre, then 4 contour points. */
export const IRIS_LANDMARKS = Object.freeze({ rightCentre: 468, leftCentre: 473, count: 478 });

/** Eye corners, lid midpoints and iris centre (landmark indices) of one eye. */
interface EyeLandmarks { outer: number; inner: number; upper: number; lower: number; iris: number }

/** Eye corners and lid midpoints (face-mesh indices) of the subject's right and left eye. */
const EYE_LIDS: Readonly<Record<'left' | 'right', EyeLandmarks>> = Object.freeze({
  right: { outer: 33, inner: 133, upper: 159, lower: 145, iris: IRIS_LANDMARKS.rightCentre },
  left: { outer: 263, inner: 362, upper: 386, lower: 374, iris: IRIS_LANDMARKS.leftCentre },
});

/** One fitted eyeball. */
export interface EyeballGeometry {
  /** Centre of rotation, camera frame (OpenCV axes), mm. */
  centre: ArrayLike<number>;
  /** Rest direction of the eye (centre → iris), head frame, unit. */
  axis: ArrayLike<number>;
  /** Distance from the centre of rotation to the visible iris's centre, mm. */
  irisDistanceMm: number;
}

/** Options of {@link estimateGaze}. */
export interface GazeOptions {
  /**
   * An eye whose lid opening (upper to lower lid midpoint) is under this fraction of its corner
   * distance counts as closed; it takes the other eye's angles (both closed: no gaze). The face
   * mesh seldom reports less than 0.13 even for shut eyes: on the 31 single-face shared photos
   * open eyes measure 0.2–0.5, stock-emotions-b-1's shut ones 0.14 / 0.17, b-4's 0.15 / 0.22
   * (that one passes: a limit). Default 0.18.
   */
  minOpening: number;
  /**
   * Turn both eyes together: one conjugate offset from "looking into the lens" (the mean of the
   * open eyes' measured offsets), each eye keeping its own vergence toward the camera. The eyes
   * measured apart disagree more than real eyes do: over 31 shared photos the vergence left
   * after fixating the camera distance has an SD of 11° (yaw; pitch difference SD 7°), i.e.
   * ≈ 8° of noise per eye (the fitted eyeball's placement and the iris point), which left as
   * is makes heads look cross- or wall-eyed. `false`: each eye as measured. Default true.
   */
  binocular: boolean;
}

/** Defaults of {@link GazeOptions}. */
export const GAZE_DEFAULTS: Readonly<GazeOptions> = Object.freeze({ minOpening: 0.18, binocular: true });

/** One eye's gaze relative to its rest axis, head frame. */
export interface EyeGaze {
  /** Degrees, > 0 toward the subject's left (head +x). */
  yawDeg: number;
  /** Degrees, > 0 up (head +y). */
  pitchDeg: number;
  /** Angle between the gaze and the direction from the eye to the camera, degrees (≈ 0: looking into the lens). */
  offCameraDeg: number;
  /** How the eye was measured: `iris` from its iris; `clamped` the iris lay beyond the eyeball's silhouette; `other` not at all (closed: from the other eye). */
  source: 'iris' | 'clamped' | 'other';
  /** The eye's own measured angles before `binocular` combined the eyes (absent for `other`). */
  measured?: { yawDeg: number; pitchDeg: number };
}

/** Both eyes' gaze (the SUBJECT's left and right). */
export interface Gaze {
  left: EyeGaze;
  right: EyeGaze;
}

/** What {@link estimateGaze} needs. */
export interface GazeInput {
  /** Landmarks with the iris points (478 × xyz, image pixels), as the face analyser returns them. */
  landmarks: ArrayLike<number>;
  camera: Camera;
  /** Head rotation: camera-frame direction = R · head-frame direction (row-major 3×3). */
  rotation: ArrayLike<number>;
  left: EyeballGeometry;
  right: EyeballGeometry;
}

const DEG = 180 / Math.PI;

/**
 * Each eye's gaze (see the module comment; by default both eyes turned together, see
 * {@link GazeOptions.binocular}); `undefined` without iris landmarks or with both eyes closed.
 *
 * @example
 * const gaze = estimateGaze({ landmarks: analysis.landmarks, camera, rotation: pose.rotation, left, right });
 * gaze?.left.yawDeg; // e.g. 4.2: the left eye looks 4° toward the subject's left
 */
export function estimateGaze(input: GazeInput, options: Partial<GazeOptions> = {}): Gaze | undefined {
  const { minOpening, binocular } = assignDefaults(GAZE_DEFAULTS, options);
  const L = input.landmarks;
  if (L.length < 3 * IRIS_LANDMARKS.count) return undefined;
  const open = (e: EyeLandmarks): boolean => {
    const w = Math.hypot(L[3 * e.inner]! - L[3 * e.outer]!, L[3 * e.inner + 1]! - L[3 * e.outer + 1]!);
    const h = Math.hypot(L[3 * e.upper]! - L[3 * e.lower]!, L[3 * e.upper + 1]! - L[3 * e.lower + 1]!);
    return w > 0 && h / w >= minOpening;
  };
  const measure = (e: EyeLandmarks, eye: EyeballGeometry): EyeGaze =>
    eyeGaze(L[3 * e.iris]!, L[3 * e.iris + 1]!, input.camera, input.rotation, eye);
  const okL = open(EYE_LIDS.left), okR = open(EYE_LIDS.right);
  if (!okL && !okR) return undefined;
  const left = okL ? measure(EYE_LIDS.left, input.left) : undefined;
  const right = okR ? measure(EYE_LIDS.right, input.right) : undefined;
  const R = input.rotation;
  const finish = (yawDeg: number, pitchDeg: number, eye: EyeballGeometry, own: EyeGaze | undefined): EyeGaze => ({
    yawDeg, pitchDeg, offCameraDeg: offCamera(gazeDirection({ yawDeg, pitchDeg }, eye.axis, R), eye.centre),
    source: own?.source ?? 'other', ...(own ? { measured: { yawDeg: own.yawDeg, pitchDeg: own.pitchDeg } } : {}),
  });
  if (!binocular) {
    const l = left ?? right!, r = right ?? left!;
    return { left: finish(l.yawDeg, l.pitchDeg, input.left, left), right: finish(r.yawDeg, r.pitchDeg, input.right, right) };
  }
  // One offset from looking into the lens, from the measured eyes (an unclamped one over a clamped one).
  const camL = cameraAngles(input.left, R), camR = cameraAngles(input.right, R);
  let used = [left && { g: left, cam: camL }, right && { g: right, cam: camR }].filter((x) => x !== undefined);
  if (used.some((u) => u.g.source === 'iris')) used = used.filter((u) => u.g.source === 'iris');
  let dy = 0, dp = 0;
  for (const u of used) { dy += (u.g.yawDeg - u.cam.yawDeg) / used.length; dp += (u.g.pitchDeg - u.cam.pitchDeg) / used.length; }
  return { left: finish(camL.yawDeg + dy, camL.pitchDeg + dp, input.left, left), right: finish(camR.yawDeg + dy, camR.pitchDeg + dp, input.right, right) };
}

/** Yaw and pitch (degrees, as {@link EyeGaze}) of the eye looking into the lens: along the direction from its centre to the camera. */
function cameraAngles(eye: EyeballGeometry, R: ArrayLike<number>): { yawDeg: number; pitchDeg: number } {
  const C = eye.centre, n = Math.hypot(C[0]!, C[1]!, C[2]!);
  return headAngles(mat3TransposeMulVec3([0, 0, 0], R, [-C[0]! / n, -C[1]! / n, -C[2]! / n]), eye.axis);
}

/** Yaw and pitch (degrees) of the head-frame direction `h` relative to the rest axis `a`. */
function headAngles(h: ArrayLike<number>, a: ArrayLike<number>): { yawDeg: number; pitchDeg: number } {
  return {
    yawDeg: (Math.atan2(h[0]!, h[2]!) - Math.atan2(a[0]!, a[2]!)) * DEG,
    pitchDeg: (Math.atan2(h[1]!, Math.hypot(h[0]!, h[2]!)) - Math.atan2(a[1]!, Math.hypot(a[0]!, a[2]!))) * DEG,
  };
}

/**
 * The gaze of one eye whose iris centre is seen at pixel (u, v) (continuous pixel coordinates,
 * as the landmarks).
 *
 * @example
 * const g = eyeGaze(312.4, 188.0, camera, pose.rotation, leftEyeball); // { yawDeg, pitchDeg, offCameraDeg, source }
 */
export function eyeGaze(u: number, v: number, camera: Camera, rotation: ArrayLike<number>, eye: EyeballGeometry): EyeGaze {
  const C = eye.centre, d = eye.irisDistanceMm;
  const rx = (u - camera.cx) / camera.fx, ry = (v - camera.cy) / camera.fy, rn = Math.hypot(rx, ry, 1);
  const r = [rx / rn, ry / rn, 1 / rn];
  const rc = r[0]! * C[0]! + r[1]! * C[1]! + r[2]! * C[2]!;
  const cc = C[0]! ** 2 + C[1]! ** 2 + C[2]! ** 2;
  const disc = rc * rc - cc + d * d;
  // Nearest intersection of the ray with the sphere; past the silhouette, the closest point on the ray.
  const s = disc >= 0 ? rc - Math.sqrt(disc) : rc;
  const g = [s * r[0]! - C[0]!, s * r[1]! - C[1]!, s * r[2]! - C[2]!];
  const gn = Math.hypot(g[0]!, g[1]!, g[2]!);
  for (let k = 0; k < 3; k++) g[k] = g[k]! / gn;
  return {
    ...headAngles(mat3TransposeMulVec3([0, 0, 0], rotation, g), eye.axis),
    offCameraDeg: offCamera(g, C),
    source: disc >= 0 ? 'iris' : 'clamped',
  };
}

/** Angle (degrees) between the camera-frame direction `g` and the direction from `centre` to the camera. */
function offCamera(g: ArrayLike<number>, centre: ArrayLike<number>): number {
  const n = Math.hypot(centre[0]!, centre[1]!, centre[2]!);
  const c = -(g[0]! * centre[0]! + g[1]! * centre[1]! + g[2]! * centre[2]!) / n;
  return Math.acos(Math.max(-1, Math.min(1, c))) * DEG;
}

/** Camera-frame direction of a gaze: the rest axis turned by {@link eyeRotation}, then by the head rotation. */
function gazeDirection(g: Pick<EyeGaze, 'yawDeg' | 'pitchDeg'>, axis: ArrayLike<number>, rotation: ArrayLike<number>): number[] {
  const M = eyeRotation(g, axis), a = axis, h = [0, 0, 0], out = [0, 0, 0];
  for (let i = 0; i < 3; i++) h[i] = M[3 * i]! * a[0]! + M[3 * i + 1]! * a[1]! + M[3 * i + 2]! * a[2]!;
  for (let i = 0; i < 3; i++) out[i] = rotation[3 * i]! * h[0]! + rotation[3 * i + 1]! * h[1]! + rotation[3 * i + 2]! * h[2]!;
  return out;
}

/** Ry(yaw) · Rx(−pitch): turns +z to (sin y cos p, sin p, cos y cos p). Row-major. */
function yawPitch(yaw: number, pitch: number): Float64Array {
  const cy = Math.cos(yaw), sy = Math.sin(yaw), cp = Math.cos(pitch), sp = Math.sin(pitch);
  return Float64Array.of(cy, -sy * sp, sy * cp, 0, cp, sp, -sy, -cy * sp, cy * cp);
}

/**
 * The head-frame rotation (row-major 3×3) that turns an eyeball from rest to the gaze: the rest
 * axis `axis` goes to the direction at the rest axis's yaw and pitch plus the gaze's.
 *
 * @example
 * const M = eyeRotation(gaze.left, [0.035, -0.004, 0.999]); // rotate the left eyeball's vertices about its centre by M
 */
export function eyeRotation(g: Pick<EyeGaze, 'yawDeg' | 'pitchDeg'>, axis: ArrayLike<number>): Float64Array {
  const ya = Math.atan2(axis[0]!, axis[2]!), pa = Math.atan2(axis[1]!, Math.hypot(axis[0]!, axis[2]!));
  const A = yawPitch(ya, pa), G = yawPitch(ya + g.yawDeg / DEG, pa + g.pitchDeg / DEG);
  const At = Float64Array.of(A[0]!, A[3]!, A[6]!, A[1]!, A[4]!, A[7]!, A[2]!, A[5]!, A[8]!);
  return mat3Multiply(new Float64Array(9), G, At);
}

/** ARKit `eyeLook*` weights of one eye, in [0, 1]. */
export interface EyeLookWeights { In: number; Out: number; Up: number; Down: number }

/**
 * The rig's `eyeLook{In,Out,Up,Down}` weights that turn each eye to `gaze` (ARKit convention:
 * "in" toward the nose), for a rig whose `eyeLook*` targets turn the eyeball by `maxDeg` at
 * weight 1. A morph interpolates positions linearly: at weight w a point that weight 1 turns by
 * θ lies on the chord, turned by φ with tan φ = w·sin θ / (1 − w·(1 − cos θ)); the weight
 * inverts that (exact for a pure yaw or pitch; a combined one adds two such moves). Angles past
 * `maxDeg` give weight 1.
 *
 * @example
 * const w = eyeLookWeights(gaze, ICT_RIG_GAZE_DEG); // { left: { In, Out, Up, Down }, right: { … } }
 */
export function eyeLookWeights(gaze: Gaze, maxDeg: Readonly<Record<keyof EyeLookWeights, number>>): { left: EyeLookWeights; right: EyeLookWeights } {
  const w = (phiDeg: number, thetaDeg: number): number => {
    if (!(phiDeg > 0)) return 0;
    if (phiDeg >= thetaDeg) return 1;
    const t = Math.tan(phiDeg / DEG), th = thetaDeg / DEG;
    return Math.min(1, t / (Math.sin(th) + t * (1 - Math.cos(th))));
  };
  // The subject's left eye looks "out" toward its left (+yaw); the right eye "in" toward its left.
  const eye = (g: EyeGaze, outSign: number): EyeLookWeights => ({
    Out: w(outSign * g.yawDeg, maxDeg.Out), In: w(-outSign * g.yawDeg, maxDeg.In),
    Up: w(g.pitchDeg, maxDeg.Up), Down: w(-g.pitchDeg, maxDeg.Down),
  });
  return { left: eye(gaze.left, 1), right: eye(gaze.right, -1) };
}

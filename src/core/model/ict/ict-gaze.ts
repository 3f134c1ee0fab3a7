/**
 * The photo's gaze on a fitted ICT head ({@link estimateGaze} on ICT's eyeballs): the eyeball
 * geometry it needs from a fit, the rotated eyeballs of the static head, and the rig's default
 * `eyeLook*` weights. Isomorphic.
 */
import { choleskyFactor, choleskySolve } from '../../numeric/index.js';
import type { Camera } from '../../types.js';
import { estimateGaze, eyeLookWeights, eyeRotation, type EyeballGeometry, type Gaze, type GazeOptions } from '../gaze.js';
import { ICT_REGIONS } from './ict-cache.js';

/** A vertex range [first, end) of ICT's model. */
interface Range { first: number; end: number }

/** One ICT eyeball: the whole ball and the first vertex of its inner iris (the outer shell comes before it). */
export interface IctEyeball { ball: Range; innerFirst: number }

/** Radius of the visible iris, mm (adult iris diameter ≈ 11.7 mm); as the iris part of the extra meshes. */
const IRIS_RADIUS_MM = 5.9;

/** Head-frame point of a camera-frame vertex: Rᵀ (p − t). */
function toHead(P: ArrayLike<number>, v: number, R: ArrayLike<number>, t: ArrayLike<number>, out: number[]): void {
  const x = P[3 * v]! - t[0]!, y = P[3 * v + 1]! - t[1]!, z = P[3 * v + 2]! - t[2]!;
  for (let k = 0; k < 3; k++) out[k] = R[k]! * x + R[3 + k]! * y + R[6 + k]! * z;
}

/**
 * The geometry of a fitted ICT eyeball (positions `P` in the camera frame, pose R, t): the centre
 * of rotation is the centroid of the ball's vertices (as the rig turns it, `addEyeRotations`);
 * the rest axis runs to the cornea's apex (the outer shell's most forward vertex in the head
 * frame: 2° outward on ICT's mean eye); the iris centre is the centroid of the shell's front cap
 * within the iris radius of the apex (the part exported as `irises`), 11.3 mm from the centre
 * on ICT's mean eye, the apex 12.1 mm.
 *
 * @example
 * const left = ictEyeballGeometry(fit.positions, leftEye, fit.pose.rotation, fit.pose.translation);
 */
function ictEyeballGeometry(P: ArrayLike<number>, eye: IctEyeball, R: ArrayLike<number>, t: ArrayLike<number>): EyeballGeometry {
  const { ball, innerFirst } = eye;
  const c = [0, 0, 0], cc = [0, 0, 0], p = [0, 0, 0], n = ball.end - ball.first;
  for (let v = ball.first; v < ball.end; v++) {
    toHead(P, v, R, t, p);
    for (let k = 0; k < 3; k++) { c[k] = c[k]! + p[k]! / n; cc[k] = cc[k]! + P[3 * v + k]! / n; }
  }
  const apex = [0, 0, -Infinity];
  for (let v = ball.first; v < innerFirst; v++) { toHead(P, v, R, t, p); if (p[2]! > apex[2]!) apex.splice(0, 3, ...p); }
  const axis = [apex[0]! - c[0]!, apex[1]! - c[1]!, apex[2]! - c[2]!];
  const an = Math.hypot(axis[0]!, axis[1]!, axis[2]!);
  for (let k = 0; k < 3; k++) axis[k] = axis[k]! / an;
  // The front cap: within the iris radius of the axis, in front of the centre.
  let sum = 0, count = 0;
  for (let v = ball.first; v < innerFirst; v++) {
    toHead(P, v, R, t, p);
    const q = [p[0]! - c[0]!, p[1]! - c[1]!, p[2]! - c[2]!];
    const along = q[0]! * axis[0]! + q[1]! * axis[1]! + q[2]! * axis[2]!;
    const across = Math.sqrt(Math.max(0, q[0]! ** 2 + q[1]! ** 2 + q[2]! ** 2 - along * along));
    if (along > 0 && across < IRIS_RADIUS_MM) { sum += along; count++; }
  }
  return { centre: cc, axis, irisDistanceMm: count > 0 ? sum / count : an };
}

/** What {@link ictGaze} needs: a fit's positions and pose, the photo's landmarks (with the iris points) and camera. */
export interface IctGazeInput {
  positions: ArrayLike<number>;
  pose: { rotation: ArrayLike<number>; translation: ArrayLike<number> };
  landmarks: ArrayLike<number>;
  camera: Camera;
  left: IctEyeball;
  right: IctEyeball;
}

/** The gaze and the two eyeballs it was measured on. */
export interface IctGaze { gaze: Gaze; left: EyeballGeometry; right: EyeballGeometry }

/**
 * The photo's gaze on a fitted ICT head; `undefined` without iris landmarks or with both eyes closed.
 *
 * @example
 * const g = ictGaze({ positions: r.positions, pose: r.pose, landmarks: analysis.landmarks, camera, left, right });
 */
export function ictGaze(input: IctGazeInput, options: Partial<GazeOptions> = {}): IctGaze | undefined {
  const R = input.pose.rotation, t = input.pose.translation;
  const left = ictEyeballGeometry(input.positions, input.left, R, t), right = ictEyeballGeometry(input.positions, input.right, R, t);
  const gaze = estimateGaze({ landmarks: input.landmarks, camera: input.camera, rotation: R, left, right }, options);
  return gaze ? { gaze, left, right } : undefined;
}

/**
 * A copy of the fitted positions `P` (camera frame) with each eyeball turned to the gaze about its
 * centre of rotation: p' = c + R·M·Rᵀ (p − c), M = {@link eyeRotation} in the head frame.
 *
 * @example
 * const P2 = rotateIctEyeballs(r.positions, g, r.pose.rotation, leftEye, rightEye);
 */
export function rotateIctEyeballs(P: Float32Array, g: IctGaze, R: ArrayLike<number>, left: IctEyeball, right: IctEyeball): Float32Array {
  const out = P.slice();
  for (const [eye, geo, gz] of [[left, g.left, g.gaze.left], [right, g.right, g.gaze.right]] as const) {
    const M = eyeRotation(gz, geo.axis), c = geo.centre;
    // C = R · M · Rᵀ (camera frame).
    const RM = [0, 0, 0, 0, 0, 0, 0, 0, 0], C = [0, 0, 0, 0, 0, 0, 0, 0, 0];
    for (let i = 0; i < 3; i++) for (let j = 0; j < 3; j++) for (let k = 0; k < 3; k++) RM[3 * i + j] = RM[3 * i + j]! + R[3 * i + k]! * M[3 * k + j]!;
    for (let i = 0; i < 3; i++) for (let j = 0; j < 3; j++) for (let k = 0; k < 3; k++) C[3 * i + j] = C[3 * i + j]! + RM[3 * i + k]! * R[3 * j + k]!;
    for (let v = eye.ball.first; v < eye.ball.end; v++) {
      const x = P[3 * v]! - c[0]!, y = P[3 * v + 1]! - c[1]!, z = P[3 * v + 2]! - c[2]!;
      for (let k = 0; k < 3; k++) out[3 * v + k] = c[k]! + C[3 * k]! * x + C[3 * k + 1]! * y + C[3 * k + 2]! * z;
    }
  }
  return out;
}

/**
 * The model's expression weights with each `eyeLook{In,Out,Up,Down}_{L,R}` replaced by the
 * gaze's ({@link eyeLookWeights}, for a rig turning the eyes by `maxDeg` at weight 1).
 *
 * @example
 * const w = withGazeWeights(data.expressionNames, r.expression, g.gaze, ICT_RIG_GAZE_DEG);
 */
export function withGazeWeights(names: readonly string[], weights: ArrayLike<number>, gaze: Gaze, maxDeg: Readonly<Record<'In' | 'Out' | 'Up' | 'Down', number>>): Float32Array {
  const w = eyeLookWeights(gaze, maxDeg);
  const out = Float32Array.from(weights);
  names.forEach((name, s) => {
    const m = /^eyeLook(In|Out|Up|Down)_([LR])$/.exec(name);
    if (m) out[s] = (m[2] === 'L' ? w.left : w.right)[m[1] as 'In' | 'Out' | 'Up' | 'Down'];
  });
  return out;
}

/** ICT's lid shapes, per side, that take up the lid motion of the changed `eyeLook*` weights. */
const LID_SHAPES = ['eyeBlink', 'eyeSquint', 'eyeWide'] as const;

/** The expression part of an ICT model that {@link compensateLids} reads. */
interface IctExpressions { vertexCount: number; expressionNames: readonly string[]; expressionDeltas: Float32Array }

/** What {@link compensateLids} did: the weights and the lid motion it left (mm, over the lid vertices). */
export interface LidCompensation {
  weights: Float32Array;
  /** Largest displacement from the fitted face over the eye region: with the new eyeLook weights alone, and after the compensation. */
  maxBeforeMm: number;
  maxAfterMm: number;
}

/**
 * ICT's `eyeLook*` shapes also move the lids (up to 7.7 mm at weight 1 for `eyeLookDown`, 2.5 mm
 * sideways): putting the gaze's weights in place of the fit's would move the rig's lids away from
 * the photo's. Per side, the lid shapes (`eyeBlink`, `eyeSquint`, `eyeWide`) are re-weighted by
 * least squares to take that motion back over the vertices these 7 shapes move (weights kept in
 * [0, 1], an active set over the 3), so the rig opens with the photo's lids and the photo's gaze.
 * `weights` holds the new eyeLook weights, `fitted` the fit's; the other shapes are left as they are.
 *
 * @example
 * const { weights, maxAfterMm } = compensateLids(data, r.expression, withGazeWeights(names, r.expression, gaze, ICT_RIG_GAZE_DEG), 11248);
 */
export function compensateLids(data: IctExpressions, fitted: ArrayLike<number>, weights: Float32Array, vertexEnd: number): LidCompensation {
  const N = data.vertexCount, E = data.expressionDeltas, out = Float32Array.from(weights);
  let maxBefore = 0, maxAfter = 0;
  for (const side of ['L', 'R'] as const) {
    const idx = (name: string): number => data.expressionNames.indexOf(`${name}_${side}`);
    const look = ['In', 'Out', 'Up', 'Down'].map((d) => idx(`eyeLook${d}`)).filter((s) => s >= 0 && out[s] !== fitted[s]);
    const lid = LID_SHAPES.map(idx).filter((s) => s >= 0);
    if (look.length === 0) continue;
    // The vertices any of these shapes moves, and the residual r = Σ_look Δw δ there.
    const verts: number[] = [];
    for (let v = 0; v < Math.min(N, vertexEnd); v++) {
      if ([...look, ...lid].some((s) => E[s * 3 * N + 3 * v] !== 0 || E[s * 3 * N + 3 * v + 1] !== 0 || E[s * 3 * N + 3 * v + 2] !== 0)) verts.push(v);
    }
    const r = new Float64Array(3 * verts.length);
    verts.forEach((v, i) => {
      for (const s of look) for (let k = 0; k < 3; k++) r[3 * i + k] = r[3 * i + k]! + (out[s]! - fitted[s]!) * E[s * 3 * N + 3 * v + k]!;
    });
    const dw = activeSetLeastSquares(E, N, verts, lid, r, lid.map((s) => -fitted[s]!), lid.map((s) => 1 - fitted[s]!));
    lid.forEach((s, j) => { out[s] = fitted[s]! + dw[j]!; });
    verts.forEach((v, i) => {
      let b = 0, a = 0;
      for (let k = 0; k < 3; k++) {
        let e = r[3 * i + k]!;
        lid.forEach((s, j) => { e += dw[j]! * E[s * 3 * N + 3 * v + k]!; });
        b += r[3 * i + k]! ** 2; a += e * e;
      }
      maxBefore = Math.max(maxBefore, Math.sqrt(b)); maxAfter = Math.max(maxAfter, Math.sqrt(a));
    });
  }
  return { weights: out, maxBeforeMm: maxBefore, maxAfterMm: maxAfter };
}

/**
 * min ‖r + Σ_j x_j δ_{s_j}‖² over the vertices `verts` with lo ≤ x ≤ hi: the unconstrained
 * normal equations on the free unknowns, those out of bounds fixed at the bound, repeated.
 */
function activeSetLeastSquares(E: Float32Array, N: number, verts: readonly number[], shapes: readonly number[], r: Float64Array, lo: number[], hi: number[]): number[] {
  const n = shapes.length, x = new Array<number>(n).fill(0), fixed = new Array<boolean>(n).fill(false);
  const d = (j: number, v: number, k: number): number => E[shapes[j]! * 3 * N + 3 * v + k]!;
  for (let iter = 0; iter <= n; iter++) {
    const free = [...Array(n).keys()].filter((j) => !fixed[j]);
    if (free.length === 0) break;
    const m = free.length, A = new Float64Array(m * m), b = new Float64Array(m);
    verts.forEach((v, i) => {
      for (let k = 0; k < 3; k++) {
        let rk = r[3 * i + k]!;
        for (let j = 0; j < n; j++) if (fixed[j]) rk += x[j]! * d(j, v, k);
        free.forEach((p, a) => {
          b[a] = b[a]! - d(p, v, k) * rk;
          free.forEach((q, c) => { A[a * m + c] = A[a * m + c]! + d(p, v, k) * d(q, v, k); });
        });
      }
    });
    let trace = 0;
    for (let a = 0; a < m; a++) trace += A[a * m + a]!;
    for (let a = 0; a < m; a++) A[a * m + a] = A[a * m + a]! + 1e-9 * trace + 1e-12;
    if (!choleskyFactor(A, m)) break;
    choleskySolve(A, m, b);
    let clamped = false;
    free.forEach((p, a) => {
      x[p] = b[a]!;
      if (x[p]! < lo[p]! || x[p]! > hi[p]!) { x[p] = Math.min(hi[p]!, Math.max(lo[p]!, x[p]!)); fixed[p] = true; clamped = true; }
    });
    if (!clamped) break;
  }
  return x;
}

/** A vertex range of ICT's model by region name. */
function regionRange(name: string): Range {
  const r = ICT_REGIONS.find((x) => x.name === name)!;
  return { first: r.first, end: r.last + 1 };
}

/**
 * ICT's two eyeballs, the subject's left (+x in the neutral) and right, each with the first vertex
 * of its inner iris.
 *
 * @example
 * const { left, right } = ictEyeballs(data); // left.ball = { first: 21451, end: 23021 }
 */
export function ictEyeballs(data: { neutral: Float32Array }): { left: IctEyeball; right: IctEyeball } {
  const a = regionRange('eyeballLeft'), b = regionRange('eyeballRight');
  const ea: IctEyeball = { ball: a, innerFirst: regionRange('irisLeft').first };
  const eb: IctEyeball = { ball: b, innerFirst: regionRange('irisRight').first };
  const meanX = (r: Range): number => { let s = 0; for (let v = r.first; v < r.end; v++) s += data.neutral[3 * v]!; return s / (r.end - r.first); };
  return meanX(a) > meanX(b) ? { left: ea, right: eb } : { left: eb, right: ea };
}

/**
 * A per-frame gaze reader for one person (video tracking): the eyeballs' geometry measured once
 * in the model frame on the person's neutral (ICT's expressions do not move the eyeballs), then
 * each frame placed by the frame's fitted pose (camera = R · model + t) for {@link estimateGaze}.
 * `undefined` per frame without iris landmarks or with both eyes closed.
 *
 * @example
 * const read = createIctGazeReader(person.neutral, ictEyeballs(person));
 * const gaze = read(frame.landmarks, camera, fit.pose.rotation, fit.pose.translation);
 */
export function createIctGazeReader(neutral: Float32Array, eyes: { left: IctEyeball; right: IctEyeball }, options: Partial<GazeOptions> = {}):
  (landmarks: ArrayLike<number>, camera: Camera, R: ArrayLike<number>, t: ArrayLike<number>) => Gaze | undefined {
  const I = [1, 0, 0, 0, 1, 0, 0, 0, 1], O = [0, 0, 0];
  const model = { left: ictEyeballGeometry(neutral, eyes.left, I, O), right: ictEyeballGeometry(neutral, eyes.right, I, O) };
  const place = (e: EyeballGeometry, R: ArrayLike<number>, t: ArrayLike<number>): EyeballGeometry => {
    const c = e.centre;
    return { ...e, centre: [0, 1, 2].map((k) => R[3 * k]! * c[0]! + R[3 * k + 1]! * c[1]! + R[3 * k + 2]! * c[2]! + t[k]!) };
  };
  return (landmarks, camera, R, t) => estimateGaze({ landmarks, camera, rotation: R, left: place(model.left, R, t), right: place(model.right, R, t) }, options);
}

/**
 * The ICT FaceKit morphable model as a pipeline {@link FaceModel} (`model: 'ict'`): the fit is
 * {@link fitIct} (identity + expression + pose from the face-mesh landmarks through the dense
 * correspondence), the detailed surface is ICT's narrow face ({@link ictTopology}), and the rest
 * of the fitted head — skin of the head and neck, eye and mouth sockets, gums and tongue, teeth,
 * eyeballs — is returned as undetailed extra meshes joined to the detailed face without a gap.
 * Isomorphic.
 */
import { poseFromAxes } from '../../camera/pose.js';
import { FaceDetailError } from '../../errors.js';
import { buildEdgeTable } from '../../mesh/edges.js';
import { computeVertexNormals } from '../../mesh/normals.js';
import { loopSubdivide } from '../../mesh/subdivide.js';
import type { Mesh } from '../../types.js';
import type { DetailedFaceMesh, ExtraMesh, ExtraMeshMaterial, FaceModel, ProxyFit } from '../face-model.js';
import { FACEMESH_LANDMARKS as LM } from '../facemesh/facemesh-landmarks.js';
import { ICT_REGIONS, type IctModelData } from './ict-cache.js';
import { ictCorrespondencePositions } from './ict-correspondence.js';
import { ictHeadCornerUvs, splitUvSeams, subdivideCornerUvs } from './ict-head-uv.js';
import { fitIct, type IctFitOptions, type IctFitResult } from './ict-fit.js';
import { compensateLids, ictEyeballs, ictGaze, rotateIctEyeballs, withGazeWeights, type IctGaze } from './ict-gaze.js';
import { ictTopology, ICT_TOPOLOGY_VERTEX_COUNT } from './ict-topology.js';
import { ICT_HEAD_PARTS, type IctCorrespondence, type IctHeadParts } from './ict-types.js';

export { ICT_HEAD_PARTS, type IctHeadParts } from './ict-types.js';

/** Options of {@link createIctModel}. */
export interface IctModelOptions {
  /** Options of {@link fitIct} (emotion prior, identity modes, tuning). Default {}. */
  fit?: IctFitOptions;
  /** Head parts exported around the detailed face. Default `'full'`. */
  head?: IctHeadParts;
}

/** Defaults of {@link IctModelOptions}. @public */
export const ICT_MODEL_DEFAULTS = Object.freeze({ head: 'full' as IctHeadParts });

/** The ICT model: a {@link FaceModel} plus access to the last fits' ICT parameters. */
export interface IctFaceModel extends FaceModel {
  readonly name: 'ict';
  readonly data: IctModelData;
  readonly correspondence: IctCorrespondence;
  /** The full ICT fit behind a {@link ProxyFit} returned by `fit` (identity, expression, all vertices). */
  fitResult(fit: ProxyFit): IctFitResult | undefined;
  /**
   * The photo's gaze for a fit (from the iris landmarks, see `ict-gaze.ts`): the static head's
   * eyeballs are turned to it and the rig's `eyeLook*` default weights express it. Undefined
   * without iris landmarks (468-point analyses) or with both eyes closed.
   */
  gaze(fit: ProxyFit): IctGaze | undefined;
}

const region = (name: string): { first: number; end: number } => {
  const r = ICT_REGIONS.find((x) => x.name === name)!;
  return { first: r.first, end: r.last + 1 };
};
const HEAD_END = region('headNeck').end; // 11248: face + head/neck skin
const SOCKETS_END = region('eyeSocketRight').end; // 14062: + mouth and eye sockets
const GUMS_END = region('gumsTongue').end; // 17039
/** Radius of the visible iris, mm (adult iris diameter ≈ 11.7 mm). */
const IRIS_RADIUS_MM = 5.9;
const TEETH_END = region('teeth').end; // 21451

/**
 * Create the ICT face model from a loaded cache (`loadIctModel()` in Node).
 *
 * @example
 * const data = await loadIctModel();
 * const model = createIctModel(data, data.correspondence, { fit: { emotionPrior: 'prior' } });
 * const fit = model.fit(analysis, camera, { interocularMm: 63 }); // interocularMm is not used: ICT is metric
 */
export function createIctModel(data: IctModelData, correspondence: IctCorrespondence = data.correspondence, options: IctModelOptions = {}): IctFaceModel {
  const head = options.head ?? ICT_MODEL_DEFAULTS.head;
  if (!ICT_HEAD_PARTS.includes(head)) throw new FaceDetailError('INVALID_OPTION', `head must be one of ${ICT_HEAD_PARTS.join(', ')}, got ${String(head)}`);
  if (correspondence.count < 468) throw new FaceDetailError('INVALID_OPTION', `the ICT correspondence covers ${correspondence.count} landmarks, 468 needed`);
  const topology = ictTopology(data, correspondence);
  const n = ICT_TOPOLOGY_VERTEX_COUNT;
  const fits = new WeakMap<ProxyFit, IctFitResult>();
  const gazes = new WeakMap<ProxyFit, IctGaze>();

  // Eyeballs: which one is the subject's left (ICT x > 0) in the neutral.
  const eyeA = region('eyeballLeft'), eyeB = region('eyeballRight');
  const meanX = (r: { first: number; end: number }): number => {
    let s = 0;
    for (let v = r.first; v < r.end; v++) s += data.neutral[3 * v]!;
    return s / (r.end - r.first);
  };
  const [leftEye, rightEye] = meanX(eyeA) > meanX(eyeB) ? [eyeA, eyeB] : [eyeB, eyeA];
  const eyeballs = ictEyeballs(data);
  if (data.vertexCount < eyeB.end) throw new FaceDetailError('MODEL_CACHE_INVALID', `the ICT model has ${data.vertexCount} vertices, the eyeballs need ${eyeB.end}`);

  // Extra-mesh triangles by part (ICT triangles not entirely in the narrow face).
  const parts = { shared: [] as number[], sharedSkin: 0, mouth: [] as number[], teeth: [] as number[], eye: [] as number[], iris: [] as number[] };
  // The iris as seen through the cornea: the front cap of each eyeball's outer shell (ICT's
  // `eyeball` range before its `iris` range), within IRIS_RADIUS_MM of the cornea's apex
  // (the neutral looks along +z).
  const irisVertex = new Uint8Array(data.vertexCount);
  for (const [ball, inner] of [[eyeA, region('irisLeft')], [eyeB, region('irisRight')]] as const) {
    let apex = ball.first;
    for (let v = ball.first; v < inner.first; v++) if (data.neutral[3 * v + 2]! > data.neutral[3 * apex + 2]!) apex = v;
    const ax = data.neutral[3 * apex]!, ay = data.neutral[3 * apex + 1]!;
    for (let v = ball.first; v < inner.first; v++) {
      if (Math.hypot(data.neutral[3 * v]! - ax, data.neutral[3 * v + 1]! - ay) < IRIS_RADIUS_MM) irisVertex[v] = 1;
    }
  }
  const inIris = (v: number): boolean => irisVertex[v] === 1;
  const skin: number[] = [], sockets: number[] = [];
  for (let t = 0; t < data.triangles.length / 3; t++) {
    const a = data.triangles[3 * t]!, b = data.triangles[3 * t + 1]!, c = data.triangles[3 * t + 2]!;
    const hi = Math.max(a, b, c);
    if (hi < n) continue;
    if (hi < HEAD_END) skin.push(t);
    else if (hi < SOCKETS_END) sockets.push(t);
    else if (hi < GUMS_END) parts.mouth.push(t);
    else if (hi < TEETH_END) parts.teeth.push(t);
    else if (inIris(a) && inIris(b) && inIris(c)) parts.iris.push(t);
    else parts.eye.push(t);
  }
  parts.shared = head === 'full' ? [...skin, ...sockets] : head === 'skin' ? skin : [];
  parts.sharedSkin = head === 'none' ? 0 : skin.length;
  if (head !== 'full') { parts.mouth = []; parts.teeth = []; parts.eye = []; parts.iris = []; }

  const model: IctFaceModel = {
    name: 'ict',
    topology,
    data,
    correspondence,
    fitResult: (fit) => fits.get(fit),
    gaze: (fit) => gazes.get(fit),
    fit(analysis, camera) {
      const r = fitIct({ data, correspondence, analysis, camera }, options.fit ?? {});
      const P = r.positions;
      if (P.length !== 3 * data.vertexCount) throw new FaceDetailError('INTERNAL', `fitIct returned ${P.length / 3} vertices, expected ${data.vertexCount}`);
      const eL = centroid(P, leftEye.first, leftEye.end), eR = centroid(P, rightEye.first, rightEye.end);
      const lm = ictCorrespondencePositions(data.triangles, correspondence, P);
      const top = [lm[3 * LM.foreheadTop]!, lm[3 * LM.foreheadTop + 1]!, lm[3 * LM.foreheadTop + 2]!];
      const chin = [lm[3 * LM.chin]!, lm[3 * LM.chin + 1]!, lm[3 * LM.chin + 2]!];
      const origin = [(eL[0] + eR[0]) / 2, (eL[1] + eR[1]) / 2, (eL[2] + eR[2]) / 2];
      const pose = poseFromAxes([eL[0] - eR[0], eL[1] - eR[1], eL[2] - eR[2]], [top[0]! - chin[0]!, top[1]! - chin[1]!, top[2]! - chin[2]!], origin);
      const proxy: ProxyFit = {
        positions: P.slice(0, 3 * n),
        pose,
        mmPerPixel: origin[2]! / camera.fx,
        reprojectionErrorPx: r.reprojectionErrorPx,
      };
      fits.set(proxy, r);
      const g = ictGaze({ positions: P, pose: r.pose, landmarks: analysis.landmarks, camera, ...eyeballs });
      if (g) { gazes.set(proxy, g); proxy.gaze = g.gaze; }
      return proxy;
    },
    extraMeshes(fit, face) {
      const r = fits.get(fit);
      if (!r || head === 'none') return [];
      const g = gazes.get(fit);
      return buildExtraMeshes(data, g ? rotateIctEyeballs(r.positions, g, r.pose.rotation, eyeballs.left, eyeballs.right) : r.positions, parts, face);
    },
    rigMeshes(fit, levels, displace) {
      const r = fits.get(fit);
      if (!r) throw new FaceDetailError('INTERNAL', 'rigMeshes: this fit was not made by this ICT model');
      const { neutral, deltas } = neutralAndDeltas(data, r);
      addEyeRotations(data, r, deltas, leftEye, rightEye);
      const S3 = 3 * data.expressionNames.length;
      const sub = loopSubdivide({ positions: neutral.slice(0, 3 * n), indices: topology.indices, uvs: topology.uvs }, levels, { attributes: [{ data: deltas.subarray(0, n * S3), size: S3 }] });
      const smooth: Mesh = { ...sub.mesh, normals: computeVertexNormals(sub.mesh.positions, sub.mesh.indices) };
      const detailed = displace(smooth);
      const faceDeltas = sub.attributes[0]!;
      const extras = head === 'none' ? [] : buildExtraMeshes(data, neutral, parts, { smooth, detailed, levels }, { data: deltas, size: S3, face: faceDeltas });
      const g = gazes.get(fit);
      return {
        names: data.expressionNames,
        // With the photo's gaze: its eyeLook weights, the lid shapes re-weighted to keep the fit's lids.
        weights: g ? compensateLids(data, r.expression, withGazeWeights(data.expressionNames, r.expression, g.gaze, ICT_RIG_GAZE_DEG), HEAD_END).weights : Float32Array.from(r.expression),
        face: { smooth, detailed, deltas: faceDeltas },
        extras: extras.map(({ attribute, ...e }) => ({ ...e, deltas: attribute! })),
      };
    },
  };
  return model;
}

/**
 * The fit's identity with a neutral expression (camera frame, all N vertices: the fitted
 * positions minus Σ weight · rotated delta, exact since the model is linear) and every expression
 * delta rotated into the camera frame, vertex-major (`deltas[v·3S + 3s + k]`).
 */
function neutralAndDeltas(data: IctModelData, r: IctFitResult): { neutral: Float32Array; deltas: Float32Array } {
  const N = data.vertexCount, S = data.expressionNames.length, R = r.pose.rotation, E = data.expressionDeltas;
  const neutral = r.positions.slice();
  const deltas = new Float32Array(N * 3 * S);
  for (let s = 0; s < S; s++) {
    const w = r.expression[s]!;
    for (let v = 0; v < N; v++) {
      const i = s * 3 * N + 3 * v;
      const x = E[i]!, y = E[i + 1]!, z = E[i + 2]!;
      if (x === 0 && y === 0 && z === 0) continue;
      const o = v * 3 * S + 3 * s;
      for (let k = 0; k < 3; k++) {
        const d = R[3 * k]! * x + R[3 * k + 1]! * y + R[3 * k + 2]! * z;
        deltas[o + k] = d;
        neutral[3 * v + k] = neutral[3 * v + k]! - w * d;
      }
    }
  }
  return { neutral, deltas };
}

/**
 * Gaze angles (degrees) of ICT's `eyeLook*` shapes at weight 1 for the rig. ICT's shapes move
 * only the lids: its eyeballs do not turn (0.000 mm in every shape of the distribution), so the
 * rig adds the eyeball's rotation about its centre to each `eyeLook*` delta. Angles: the usual
 * comfortable range of human gaze (≈ 30° sideways and down, 25° up); ARKit does not publish its own.
 */
export const ICT_RIG_GAZE_DEG = Object.freeze({ In: 30, Out: 30, Up: 25, Down: 30 });

/**
 * Add the eyeball rotations to the `eyeLook{In,Out,Up,Down}_{L,R}` deltas (vertex-major, camera
 * frame), in ICT's model frame (+x subject's left, +y up, +z forward): the delta of a vertex is
 * rotate(p − centre) − (p − centre). A morph interpolates it linearly: exact at weights 0 and 1;
 * halfway a vertex at radius R lies R·(1 − cos θ/2) inside its sphere (0.4 mm at 12 mm, θ = 30°).
 */
function addEyeRotations(data: IctModelData, r: IctFitResult, deltas: Float32Array, left: { first: number; end: number }, right: { first: number; end: number }): void {
  const S = data.expressionNames.length, R = r.pose.rotation, t = r.pose.translation, P = r.positions;
  data.expressionNames.forEach((name, s) => {
    const m = /^eyeLook(In|Out|Up|Down)_([LR])$/.exec(name);
    if (!m) return;
    const dir = m[1] as keyof typeof ICT_RIG_GAZE_DEG, isLeft = m[2] === 'L';
    const eye = isLeft ? left : right;
    // Where the gaze turns to (model frame); the subject's left is +x: "in" is toward the nose.
    const toward = dir === 'Up' ? [0, 1, 0] : dir === 'Down' ? [0, -1, 0] : (dir === 'In') === isLeft ? [-1, 0, 0] : [1, 0, 0];
    // Axis ẑ × toward, angle θ (Rodrigues).
    const axis = [-toward[1]!, toward[0]!, 0];
    const th = (ICT_RIG_GAZE_DEG[dir] * Math.PI) / 180, cs = Math.cos(th), sn = Math.sin(th);
    const model = (v: number, out: number[]): void => {
      const x = P[3 * v]! - t[0]!, y = P[3 * v + 1]! - t[1]!, z = P[3 * v + 2]! - t[2]!;
      for (let k = 0; k < 3; k++) out[k] = R[k]! * x + R[3 + k]! * y + R[6 + k]! * z; // Rᵀ (p − t)
    };
    const c = [0, 0, 0], p = [0, 0, 0];
    for (let v = eye.first; v < eye.end; v++) { model(v, p); for (let k = 0; k < 3; k++) c[k] = c[k]! + p[k]! / (eye.end - eye.first); }
    for (let v = eye.first; v < eye.end; v++) {
      model(v, p);
      const q = [p[0]! - c[0]!, p[1]! - c[1]!, p[2]! - c[2]!];
      const ax = axis[0]!, ay = axis[1]!, az = axis[2]!;
      const dot = ax * q[0]! + ay * q[1]! + az * q[2]!;
      const cr = [ay * q[2]! - az * q[1]!, az * q[0]! - ax * q[2]!, ax * q[1]! - ay * q[0]!];
      const d = [0, 1, 2].map((k) => q[k]! * cs + cr[k]! * sn + axis[k]! * dot * (1 - cs) - q[k]!);
      const o = v * 3 * S + 3 * s;
      for (let k = 0; k < 3; k++) deltas[o + k] = deltas[o + k]! + R[3 * k]! * d[0]! + R[3 * k + 1]! * d[1]! + R[3 * k + 2]! * d[2]!;
    }
  });
}

function centroid(P: ArrayLike<number>, first: number, end: number): [number, number, number] {
  let x = 0, y = 0, z = 0;
  for (let v = first; v < end; v++) { x += P[3 * v]!; y += P[3 * v + 1]!; z += P[3 * v + 2]!; }
  const k = end - first;
  return [x / k, y / k, z / k];
}

/**
 * A per-vertex attribute carried through the extra meshes alongside the positions (the rig's
 * morph-target deltas): `size` numbers per ICT vertex in `data`, and the same attribute on the
 * detailed face's vertices in `face` (copied onto the border vertices snapped to the face).
 */
interface CarriedAttribute { data: Float32Array; size: number; face: Float32Array }

/** A compact mesh of some ICT triangles with the given vertex positions (3N), and the carried attribute's rows. */
function compactMesh(data: IctModelData, P: Float32Array, tris: readonly number[], carry?: CarriedAttribute): { mesh: Mesh; attribute?: Float32Array } {
  const map = new Map<number, number>();
  const indices = new Uint32Array(3 * tris.length);
  const pos: number[] = [];
  const order: number[] = [];
  tris.forEach((t, k) => {
    for (let c = 0; c < 3; c++) {
      const v = data.triangles[3 * t + c]!;
      let id = map.get(v);
      if (id === undefined) { id = map.size; map.set(v, id); order.push(v); pos.push(P[3 * v]!, P[3 * v + 1]!, P[3 * v + 2]!); }
      indices[3 * k + c] = id;
    }
  });
  const mesh: Mesh = { positions: Float32Array.from(pos), indices };
  if (!carry) return { mesh };
  const s = carry.size, attribute = new Float32Array(order.length * s);
  order.forEach((v, i) => { attribute.set(carry.data.subarray(v * s, (v + 1) * s), i * s); });
  return { mesh, attribute };
}

/**
 * The extra meshes for fitted ICT positions (camera frame). The skin and sockets share border
 * loops with the detailed face (its outer border, the eyelid margins, the inner lips): they are
 * Loop-subdivided to the same level with the same boundary rule (so their borders follow the same
 * B-spline curves), then each of their border vertices that lies on the face's border takes the
 * displaced face vertex's position and normal exactly.
 */
function buildExtraMeshes(
  data: IctModelData,
  P: Float32Array,
  parts: { shared: number[]; sharedSkin: number; mouth: number[]; teeth: number[]; eye: number[]; iris: number[] },
  face: DetailedFaceMesh,
  carry?: CarriedAttribute,
): Array<ExtraMesh & { attribute?: Float32Array }> {
  const out: Array<ExtraMesh & { attribute?: Float32Array }> = [];
  if (parts.shared.length > 0) {
    const base = compactMesh(data, P, parts.shared, carry);
    // cornerAngleDeg 0: every border vertex uses the smooth B-spline rule, as the face side does
    // along these loops (its angles there are ~180–340°, never a corner).
    const attributes = carry ? [{ data: base.attribute!, size: carry.size }] : [];
    const sub = loopSubdivide(base.mesh, face.levels, { cornerAngleDeg: 0, attributes });
    const fine = sub.mesh, fineAttr = sub.attributes[0];
    const normals = computeVertexNormals(fine.positions, fine.indices);
    const s = carry?.size ?? 0;
    snapToFace(fine.positions, normals, fine.indices, face, undefined, carry && fineAttr
      ? (v, f) => { fineAttr.set(carry.face.subarray(f * s, (f + 1) * s), v * s); }
      : undefined);
    const split = parts.sharedSkin * 4 ** face.levels;
    const part = (from: number, to: number, name: string, material: ExtraMeshMaterial, cornerUvs?: Float32Array): void => {
      if (to <= from) return;
      const m = compactIndices({ positions: fine.positions, indices: fine.indices.subarray(3 * from, 3 * to), normals }, fineAttr && { data: fineAttr, size: s });
      if (cornerUvs) {
        // ICT's own UVs (packed tiles), the seam vertices split; the carried attribute follows.
        const { mesh, sources } = splitUvSeams(m.mesh, cornerUvs);
        const attribute = m.attribute && new Float32Array(sources.length * s);
        if (attribute) sources.forEach((v, i) => { attribute.set(m.attribute!.subarray(v * s, (v + 1) * s), i * s); });
        out.push({ name, material, mesh, ...(attribute ? { attribute } : {}) });
        return;
      }
      out.push({ name, material, mesh: m.mesh, ...(m.attribute ? { attribute: m.attribute } : {}) });
    };
    part(0, split, 'head', 'skin', subdivideCornerUvs(ictHeadCornerUvs(data, parts.shared.slice(0, parts.sharedSkin)), face.levels));
    part(split, fine.indices.length / 3, 'sockets', 'socket');
  }
  const plain = (tris: number[], name: string, material: ExtraMeshMaterial): void => {
    if (tris.length === 0) return;
    const m = compactMesh(data, P, tris, carry);
    m.mesh.normals = computeVertexNormals(m.mesh.positions, m.mesh.indices);
    out.push({ name, material, mesh: m.mesh, ...(m.attribute ? { attribute: m.attribute } : {}) });
  };
  plain(parts.mouth, 'mouth', 'mouth');
  plain(parts.teeth, 'teeth', 'teeth');
  plain(parts.eye, 'eyes', 'eye');
  plain(parts.iris, 'irises', 'iris');
  return out;
}

/** Keep only the vertices `mesh.indices` uses (positions, normals and the optional attribute), renumbered. */
function compactIndices(mesh: Mesh, attr?: { data: Float32Array; size: number }): { mesh: Mesh; attribute?: Float32Array } {
  const map = new Int32Array(mesh.positions.length / 3).fill(-1);
  let k = 0;
  const indices = new Uint32Array(mesh.indices.length);
  for (let i = 0; i < mesh.indices.length; i++) {
    const v = mesh.indices[i]!;
    if (map[v]! < 0) map[v] = k++;
    indices[i] = map[v]!;
  }
  const positions = new Float32Array(3 * k), normals = new Float32Array(3 * k);
  const s = attr?.size ?? 0, attribute = attr ? new Float32Array(k * s) : undefined;
  for (let v = 0; v < map.length; v++) {
    const j = map[v]!;
    if (j < 0) continue;
    for (let c = 0; c < 3; c++) { positions[3 * j + c] = mesh.positions[3 * v + c]!; normals[3 * j + c] = mesh.normals![3 * v + c]!; }
    if (attribute) attribute.set(attr!.data.subarray(v * s, (v + 1) * s), j * s);
  }
  return { mesh: { positions, indices, normals }, ...(attribute ? { attribute } : {}) };
}

/** Border vertices of a triangle mesh (vertices of edges used by one triangle). */
function borderVertices(indices: Uint32Array, vertexCount: number): Uint32Array {
  const et = buildEdgeTable(indices, vertexCount);
  const on = new Uint8Array(vertexCount);
  for (let e = 0; e < et.edgeCount; e++) if (et.faceCount[e] === 1) { on[et.vertices[2 * e]!] = 1; on[et.vertices[2 * e + 1]!] = 1; }
  const out: number[] = [];
  for (let v = 0; v < vertexCount; v++) if (on[v]) out.push(v);
  return Uint32Array.from(out);
}

/**
 * Move each border vertex of (positions, indices) that coincides (≤ 0.05 mm) with a border
 * vertex of the face's smooth mesh onto the face's detailed position, and give it its normal.
 * Returns how many were snapped; `onSnap(vertex, faceVertex)` is called for each.
 */
function snapToFace(
  positions: Float32Array, normals: Float32Array, indices: Uint32Array, face: DetailedFaceMesh, tolerance = 0.05,
  onSnap?: (vertex: number, faceVertex: number) => void,
): number {
  const S = face.smooth.positions, D = face.detailed.positions, DN = face.detailed.normals;
  const faceBorder = borderVertices(face.smooth.indices, S.length / 3);
  const cell = 0.5;
  const grid = new Map<string, number[]>();
  const key = (x: number, y: number, z: number): string => `${Math.floor(x / cell)},${Math.floor(y / cell)},${Math.floor(z / cell)}`;
  for (const v of faceBorder) {
    const k = key(S[3 * v]!, S[3 * v + 1]!, S[3 * v + 2]!);
    (grid.get(k) ?? grid.set(k, []).get(k)!).push(v);
  }
  let snapped = 0;
  for (const v of borderVertices(indices, positions.length / 3)) {
    const x = positions[3 * v]!, y = positions[3 * v + 1]!, z = positions[3 * v + 2]!;
    let best = -1, bd = tolerance * tolerance;
    const ix = Math.floor(x / cell), iy = Math.floor(y / cell), iz = Math.floor(z / cell);
    for (let dx = -1; dx <= 1; dx++) for (let dy = -1; dy <= 1; dy++) for (let dz = -1; dz <= 1; dz++) {
      for (const f of grid.get(`${ix + dx},${iy + dy},${iz + dz}`) ?? []) {
        const d = (S[3 * f]! - x) ** 2 + (S[3 * f + 1]! - y) ** 2 + (S[3 * f + 2]! - z) ** 2;
        if (d <= bd) { bd = d; best = f; }
      }
    }
    if (best < 0) continue;
    for (let c = 0; c < 3; c++) {
      positions[3 * v + c] = D[3 * best + c]!;
      if (DN) normals[3 * v + c] = DN[3 * best + c]!;
    }
    onSnap?.(v, best);
    snapped++;
  }
  return snapped;
}

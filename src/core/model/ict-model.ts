/**
 * The ICT FaceKit morphable model as a pipeline {@link FaceModel} (`model: 'ict'`): the fit is
 * {@link fitIct} (identity + expression + pose from the face-mesh landmarks through the dense
 * correspondence), the detailed surface is ICT's narrow face ({@link ictTopology}), and the rest
 * of the fitted head — skin of the head and neck, eye and mouth sockets, gums and tongue, teeth,
 * eyeballs — is returned as undetailed extra meshes joined to the detailed face without a gap.
 * Isomorphic.
 */
import { poseFromAxes } from '../camera/pose.js';
import { FaceDetailError } from '../errors.js';
import { buildEdgeTable } from '../mesh/edges.js';
import { computeVertexNormals } from '../mesh/normals.js';
import { loopSubdivide } from '../mesh/subdivide.js';
import type { Mesh } from '../types.js';
import type { DetailedFaceMesh, ExtraMesh, ExtraMeshMaterial, FaceModel, ProxyFit } from './face-model.js';
import { FACEMESH_LANDMARKS as LM } from './facemesh-landmarks.js';
import { ICT_REGIONS, type IctModelData } from './ict-cache.js';
import { ictCorrespondencePositions } from './ict-correspondence.js';
import { fitIct, type IctFitOptions, type IctFitResult } from './ict-fit.js';
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

/** Defaults of {@link IctModelOptions}. */
export const ICT_MODEL_DEFAULTS = Object.freeze({ head: 'full' as IctHeadParts });

/** The ICT model: a {@link FaceModel} plus access to the last fits' ICT parameters. */
export interface IctFaceModel extends FaceModel {
  readonly name: 'ict';
  readonly data: IctModelData;
  readonly correspondence: IctCorrespondence;
  /** The full ICT fit behind a {@link ProxyFit} returned by `fit` (identity, expression, all vertices). */
  fitResult(fit: ProxyFit): IctFitResult | undefined;
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

  // Eyeballs: which one is the subject's left (ICT x > 0) in the neutral.
  const eyeA = region('eyeballLeft'), eyeB = region('eyeballRight');
  const meanX = (r: { first: number; end: number }): number => {
    let s = 0;
    for (let v = r.first; v < r.end; v++) s += data.neutral[3 * v]!;
    return s / (r.end - r.first);
  };
  const [leftEye, rightEye] = meanX(eyeA) > meanX(eyeB) ? [eyeA, eyeB] : [eyeB, eyeA];
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
      return proxy;
    },
    extraMeshes(fit, face) {
      const r = fits.get(fit);
      if (!r || head === 'none') return [];
      return buildExtraMeshes(data, r.positions, parts, face);
    },
  };
  return model;
}

function centroid(P: ArrayLike<number>, first: number, end: number): [number, number, number] {
  let x = 0, y = 0, z = 0;
  for (let v = first; v < end; v++) { x += P[3 * v]!; y += P[3 * v + 1]!; z += P[3 * v + 2]!; }
  const k = end - first;
  return [x / k, y / k, z / k];
}

/** A compact mesh of some ICT triangles with the given vertex positions (3N). */
function compactMesh(data: IctModelData, P: Float32Array, tris: readonly number[]): Mesh {
  const map = new Map<number, number>();
  const indices = new Uint32Array(3 * tris.length);
  const pos: number[] = [];
  tris.forEach((t, k) => {
    for (let c = 0; c < 3; c++) {
      const v = data.triangles[3 * t + c]!;
      let id = map.get(v);
      if (id === undefined) { id = map.size; map.set(v, id); pos.push(P[3 * v]!, P[3 * v + 1]!, P[3 * v + 2]!); }
      indices[3 * k + c] = id;
    }
  });
  return { positions: Float32Array.from(pos), indices };
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
): ExtraMesh[] {
  const out: ExtraMesh[] = [];
  if (parts.shared.length > 0) {
    const base = compactMesh(data, P, parts.shared);
    // cornerAngleDeg 0: every border vertex uses the smooth B-spline rule, as the face side does
    // along these loops (its angles there are ~180–340°, never a corner).
    const fine = loopSubdivide(base, face.levels, { cornerAngleDeg: 0 }).mesh;
    const normals = computeVertexNormals(fine.positions, fine.indices);
    snapToFace(fine.positions, normals, fine.indices, face);
    const split = parts.sharedSkin * 4 ** face.levels;
    const sub = (from: number, to: number, name: string, material: ExtraMeshMaterial): void => {
      if (to <= from) return;
      const m = compactIndices({ positions: fine.positions, indices: fine.indices.subarray(3 * from, 3 * to), normals });
      out.push({ name, material, mesh: m });
    };
    sub(0, split, 'head', 'skin');
    sub(split, fine.indices.length / 3, 'sockets', 'socket');
  }
  const plain = (tris: number[], name: string, material: ExtraMeshMaterial): void => {
    if (tris.length === 0) return;
    const m = compactMesh(data, P, tris);
    m.normals = computeVertexNormals(m.positions, m.indices);
    out.push({ name, material, mesh: m });
  };
  plain(parts.mouth, 'mouth', 'mouth');
  plain(parts.teeth, 'teeth', 'teeth');
  plain(parts.eye, 'eyes', 'eye');
  plain(parts.iris, 'irises', 'iris');
  return out;
}

/** Keep only the vertices `mesh.indices` uses (positions and normals), renumbered. */
function compactIndices(mesh: Mesh): Mesh {
  const map = new Int32Array(mesh.positions.length / 3).fill(-1);
  let k = 0;
  const indices = new Uint32Array(mesh.indices.length);
  for (let i = 0; i < mesh.indices.length; i++) {
    const v = mesh.indices[i]!;
    if (map[v]! < 0) map[v] = k++;
    indices[i] = map[v]!;
  }
  const positions = new Float32Array(3 * k), normals = new Float32Array(3 * k);
  for (let v = 0; v < map.length; v++) {
    const j = map[v]!;
    if (j < 0) continue;
    for (let c = 0; c < 3; c++) { positions[3 * j + c] = mesh.positions[3 * v + c]!; normals[3 * j + c] = mesh.normals![3 * v + c]!; }
  }
  return { positions, indices, normals };
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
 * Returns how many were snapped.
 */
export function snapToFace(positions: Float32Array, normals: Float32Array, indices: Uint32Array, face: DetailedFaceMesh, tolerance = 0.05): number {
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
    snapped++;
  }
  return snapped;
}

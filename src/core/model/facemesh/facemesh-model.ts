import type { FaceAnalysis } from '../../analysis/types.js';
import { poseFromAxes } from '../../camera/pose.js';
import { FaceDetailError } from '../../errors.js';
import type { Camera } from '../../types.js';
import type { FaceModel, FaceModelTopology, FaceRegion, FitOptions, ProxyFit } from '../face-model.js';
import { FACEMESH_LANDMARKS as LM } from './facemesh-landmarks.js';
import { FACEMESH_TRIANGLES, FACEMESH_UVS } from './generated/facemesh-topology.js';
import { hullLoop } from '../region-loop.js';

/** Number of vertices of the face-mesh topology (without the 10 iris points). */
export const FACEMESH_VERTEX_COUNT = 468;

let cachedTopology: FaceModelTopology | undefined;

/**
 * The default face model: MediaPipe's 468-vertex face mesh, as predicted by the face-mesh
 * network. Its "fit" is a back-projection: every landmark is lifted to 3D with the perspective
 * camera at a depth given by the network's relative z and a metric scale from the eye distance,
 * so the proxy reprojects exactly onto the landmarks.
 *
 * Head frame (see {@link poseFromAxes}): origin at the midpoint of the two eye centres, +X from
 * the subject's right eye centre to the left one, +Y from the chin (152) toward the top of the
 * forehead (10), orthogonalised, +Z = X × Y, out of the face.
 *
 * @example
 * const model = createFaceMeshModel();
 * const fit = model.fit(analysis, camera, { interocularMm: 63 });
 */
export function createFaceMeshModel(): FaceModel {
  const topology = faceMeshTopology();
  return {
    name: 'facemesh',
    topology,
    fit: (analysis, camera, options) => fitFaceMesh(analysis, camera, options),
  };
}

/** The face-mesh topology: triangles wound outward, UVs, symmetry and mask regions. */
export function faceMeshTopology(): FaceModelTopology {
  if (cachedTopology) return cachedTopology;
  const uvs = Float32Array.from(FACEMESH_UVS);
  const indices = Uint32Array.from(FACEMESH_TRIANGLES);
  // The UV layout is a frontal, image-like projection (u right, v down). For a frontal face, a
  // triangle whose (b−a)×(c−a) points toward the camera (−Z, outward) has negative signed area
  // in these y-down coordinates; flip the winding if most triangles are the other way.
  let signed = 0;
  for (let t = 0; t < indices.length; t += 3) {
    const a = indices[t]!, b = indices[t + 1]!, c = indices[t + 2]!;
    signed += (uvs[2 * b]! - uvs[2 * a]!) * (uvs[2 * c + 1]! - uvs[2 * a + 1]!) - (uvs[2 * c]! - uvs[2 * a]!) * (uvs[2 * b + 1]! - uvs[2 * a + 1]!);
  }
  if (signed > 0) {
    for (let t = 0; t < indices.length; t += 3) {
      const tmp = indices[t + 1]!;
      indices[t + 1] = indices[t + 2]!;
      indices[t + 2] = tmp;
    }
  }
  const mirror = mirrorFromUVs(uvs);
  const regions: FaceRegion[] = [
    { name: 'rightEye', loop: hullLoop(uvs, LM.rightEye), dilate: 0.012 },
    { name: 'leftEye', loop: hullLoop(uvs, LM.leftEye), dilate: 0.012 },
    { name: 'rightBrow', loop: hullLoop(uvs, LM.rightBrow), dilate: 0.012 },
    { name: 'leftBrow', loop: hullLoop(uvs, LM.leftBrow), dilate: 0.012 },
    { name: 'lips', loop: hullLoop(uvs, LM.lipsOuter), dilate: 0.008 },
    { name: 'nostrils', loop: hullLoop(uvs, LM.nostrils), dilate: 0.004 },
  ];
  cachedTopology = { vertexCount: FACEMESH_VERTEX_COUNT, indices, uvs, mirror, regions };
  return cachedTopology;
}

function fitFaceMesh(analysis: FaceAnalysis, camera: Camera, options: FitOptions): ProxyFit {
  const L = analysis.landmarks;
  if (analysis.landmarkCount < FACEMESH_VERTEX_COUNT || L.length < FACEMESH_VERTEX_COUNT * 3) {
    throw new FaceDetailError('INVALID_OPTION', `face-mesh model needs ${FACEMESH_VERTEX_COUNT} landmarks, got ${analysis.landmarkCount}`);
  }
  const eyeR = centroid(L, LM.rightEye);
  const eyeL = centroid(L, LM.leftEye);
  const ipdPx = Math.hypot(eyeL[0] - eyeR[0], eyeL[1] - eyeR[1], eyeL[2] - eyeR[2]);
  if (!(ipdPx > 1)) throw new FaceDetailError('NO_FACE', 'the face is too small or degenerate (eye distance under 1 pixel)');
  const mmPerPixel = options.interocularMm / ipdPx;
  const zMid = (eyeL[2] + eyeR[2]) / 2;
  // Depth at which one pixel spans `mmPerPixel` millimetres.
  const depth = camera.fx * mmPerPixel;
  const positions = new Float32Array(FACEMESH_VERTEX_COUNT * 3);
  for (let i = 0; i < FACEMESH_VERTEX_COUNT; i++) {
    const Z = depth + (L[3 * i + 2]! - zMid) * mmPerPixel;
    positions[3 * i] = ((L[3 * i]! - camera.cx) * Z) / camera.fx;
    positions[3 * i + 1] = ((L[3 * i + 1]! - camera.cy) * Z) / camera.fy;
    positions[3 * i + 2] = Z;
  }
  const P = (i: number): [number, number, number] => [positions[3 * i]!, positions[3 * i + 1]!, positions[3 * i + 2]!];
  const eR3 = centroid(positions, LM.rightEye);
  const eL3 = centroid(positions, LM.leftEye);
  const top = P(LM.foreheadTop), chin = P(LM.chin);
  const pose = poseFromAxes(
    [eL3[0] - eR3[0], eL3[1] - eR3[1], eL3[2] - eR3[2]],
    [top[0] - chin[0], top[1] - chin[1], top[2] - chin[2]],
    [(eL3[0] + eR3[0]) / 2, (eL3[1] + eR3[1]) / 2, (eL3[2] + eR3[2]) / 2],
  );
  return { positions, pose, mmPerPixel, reprojectionErrorPx: 0 };
}

function centroid(xyz: ArrayLike<number>, idx: readonly number[]): [number, number, number] {
  let x = 0, y = 0, z = 0;
  for (const i of idx) { x += xyz[3 * i]!; y += xyz[3 * i + 1]!; z += xyz[3 * i + 2]!; }
  const n = idx.length;
  return [x / n, y / n, z / n];
}

/**
 * Mirror vertex of each vertex: the nearest vertex to its UV reflected about the layout's
 * mid-line (the u of the mid-line vertices forehead-top / nose-tip / chin).
 */
function mirrorFromUVs(uvs: Float32Array): Uint32Array {
  const n = uvs.length / 2;
  const mid = (uvs[2 * LM.foreheadTop]! + uvs[2 * LM.chin]! + uvs[2 * LM.noseTip]!) / 3;
  const mirror = new Uint32Array(n);
  for (let i = 0; i < n; i++) {
    const u = 2 * mid - uvs[2 * i]!, v = uvs[2 * i + 1]!;
    let best = i, bestD = Infinity;
    for (let j = 0; j < n; j++) {
      const d = (uvs[2 * j]! - u) ** 2 + (uvs[2 * j + 1]! - v) ** 2;
      if (d < bestD) { bestD = d; best = j; }
    }
    mirror[i] = best;
  }
  return mirror;
}

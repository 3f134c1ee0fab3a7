/**
 * How each compared method's normals are rendered from a {@link FaceReconstruction}: our meshes
 * moved head → camera with the estimated pose, drawn with the estimated intrinsics at the
 * ground truth's size and supersampling. See evaluate.ts for what each method means.
 */
import { meshHeadToCamera, renderForEval, type EvalRender } from '../../src/core/eval/render-eval.js';
import { computeVertexNormals } from '../../src/core/mesh/normals.js';
import { createFaceMeshModel, faceMeshTopology } from '../../src/core/model/facemesh/facemesh-model.js';
import { DETAIL_METHODS, type DetailMethod } from '../../src/core/detail/synthesize-detail.js';
import type { FaceReconstruction } from '../../src/core/pipeline/types.js';
import type { Camera, Mesh } from '../../src/core/types.js';
import { GT_SUPERSAMPLE } from './scene.js';

/** The methods compared: two without detail, then one per detail method of the pipeline (`ReconstructOptions.detail`). */
export const METHODS = ['baseline', 'proxy', ...DETAIL_METHODS] as const;
export type Method = (typeof METHODS)[number];

/** True for the methods that are a pipeline detail method (their own reconstruction). */
export function isDetailMethod(m: Method): m is DetailMethod {
  return (DETAIL_METHODS as readonly string[]).includes(m);
}

/**
 * Render one method's normals from our estimated camera, at the GT's size and supersampling.
 * `baseline` and `proxy` use any reconstruction of the view; a detail method, the reconstruction
 * made with that `detail` option.
 */
export function renderMethod(
  face: Pick<FaceReconstruction, 'analysis' | 'camera' | 'pose' | 'proxy' | 'detailedMesh' | 'maps'>, method: Method, camera: Camera, interocularMm: number,
): EvalRender {
  // Same size as the ground truth; our intrinsics (identical when EXIF focal is right).
  const cam: Camera = { ...face.camera, width: camera.width, height: camera.height };
  const lighting = { type: 'directional' as const, direction: [0, 0, -1] as [number, number, number] };
  if (method === 'baseline') {
    const fit = createFaceMeshModel().fit(face.analysis, face.camera, { interocularMm });
    const topo = faceMeshTopology();
    const mesh: Mesh = { positions: fit.positions, indices: topo.indices, normals: computeVertexNormals(fit.positions, topo.indices) };
    return renderForEval(mesh, cam, { lighting, supersample: GT_SUPERSAMPLE });
  }
  if (method === 'proxy') return renderForEval(meshHeadToCamera(face.proxy, face.pose), cam, { lighting, supersample: GT_SUPERSAMPLE });
  return renderForEval(meshHeadToCamera(face.detailedMesh, face.pose), cam, { lighting, supersample: GT_SUPERSAMPLE, normalMap: face.maps.residualNormal });
}


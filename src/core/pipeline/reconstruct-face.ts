import type { FaceAnalysis } from '../analysis/types.js';
import { meshToHead } from '../camera/mesh-to-head.js';
import type { DetailNetwork } from '../detail/dfdn.js';
import { detailNormalMaps } from '../detail/detail-normal-maps.js';
import type { DetailInput } from '../detail/solve-detail.js';
import { synthesizeDetail } from '../detail/synthesize-detail.js';
import { FaceDetailError } from '../errors.js';
import { srgbImageToLinear, srgbImageToLinearInto } from '../image/image.js';
import { fitFaceLighting } from '../lighting/fit-face-lighting.js';
import { lightingStats } from '../lighting/fit-lighting.js';
import { buildSkinMask } from '../lighting/skin-mask.js';
import type { OcclusionField } from '../lighting/visibility.js';
import { buildProxy } from '../model/build-proxy.js';
import { buildDetailedMesh } from '../mesh/detailed-mesh.js';
import { completeHead } from '../head/complete-head.js';
import type { FaceModel } from '../model/face-model.js';
import { displaceMesh } from '../mesh/displace.js';
import { buildArkitRig } from '../rig/build-rig.js';
import type { Camera, Image } from '../types.js';
import { completeUnwrap, rasterizeFace, unwrapFaceDeferred, type DeferredUnwrap, type FaceCharts } from '../unwrap/unwrap-face.js';
import { createStageTimer } from './stage-timer.js';
import { INLINE_FACE_JOBS, type FaceJobs } from './face-jobs.js';
import type { FaceMapName, FaceReconstruction, ProgressCallback, ReconstructOptions, StageName } from './types.js';

/** Everything one face's reconstruction needs besides the options. */
export interface ReconstructFaceInput {
  /** The photo, sRGB RGB [0,1]. */
  image: Image;
  camera: Camera;
  analysis: FaceAnalysis;
  faceIndex: number;
  model: FaceModel;
  /**
   * The learned detail network, required when `options.detail` is `'dfdn'` or `'dfdn+sfs'`
   * (Node: `createReconstructor` loads it from models/dfdn; browser: the worker's onnxruntime-web
   * session).
   */
  detailNetwork?: DetailNetwork;
  /**
   * Called as soon as each of the result's `maps` is final, with the very image that `maps`
   * will hold (never modified afterwards): texture and confidence after `unwrap`, displacement
   * after `detail`, the normal maps and the albedo inside `mesh`. The Node adapter starts
   * encoding their PNGs there, on other threads, while the later stages run (`EarlyPngs`).
   */
  onMap?: (name: FaceMapName, image: Image) => void;
  /** Where the jobs that may run beside the pipeline run (default {@link INLINE_FACE_JOBS}: here, in turn). */
  jobs?: FaceJobs;
}

/**
 * Run the per-face stages on one analysed face, each a function in its stage's folder:
 * `camera` (the model's fit) → `proxy` ({@link buildProxy}) → `unwrap` ({@link unwrapFaceDeferred}; its membrane fill completes during the lighting) →
 * `lighting` ({@link fitFaceLighting}) → `detail` ({@link synthesizeDetail}) → `mesh`
 * ({@link buildDetailedMesh}, {@link detailNormalMaps}, {@link finalAlbedo}, {@link completeHead},
 * {@link meshToHead}). Pure apart from progress callbacks; asynchronous because the detail
 * network (`detail: 'dfdn'` or `'dfdn+sfs'`) is an injected, asynchronous {@link DetailNetwork}.
 * The adapters (decoding, face analysis, the network runtime, file output) live outside the core.
 *
 * @example
 * const face = await reconstructFace({ image, camera, analysis, faceIndex: 0, model, detailNetwork }, resolveOptions({ detail: 'dfdn' }));
 */
export async function reconstructFace(
  input: ReconstructFaceInput,
  options: ReconstructOptions,
  onProgress?: ProgressCallback,
): Promise<FaceReconstruction> {
  const { image, camera, analysis, faceIndex, model } = input;
  const announce = input.onMap ?? ((): void => undefined);
  const timings: Partial<Record<StageName, number>> = {};
  const warnings: string[] = [];
  // Every stage is timed and reported; the detail network is the only asynchronous one.
  const timed = createStageTimer(onProgress, (name, ms) => { timings[name] = (timings[name] ?? 0) + ms; });
  const stage = <T>(name: StageName, f: () => T | Promise<T>): Promise<T> => timed(name, f, faceIndex);
  const method = options.detail;
  if (method !== 'sfs' && !input.detailNetwork) {
    throw new FaceDetailError('DEPENDENCY_MISSING', `detail '${method}' needs the DFDN detail network: pass detailNetwork (Node: createReconstructor loads models/dfdn; browser: the worker loads it with onnxruntime-web), or use detail: 'sfs'`);
  }
  const topo = model.topology;
  const T = options.textureResolution, D = options.detailResolution;

  const fit = await stage('camera', () => model.fit(analysis, camera, { interocularMm: options.interocularMm }));
  if (Math.abs(fit.pose.yawDeg) > 45) warnings.push(`head yaw ${fit.pose.yawDeg.toFixed(0)}°: the far side of the face is not seen and is filled by symmetry`);
  const proxy = await stage('proxy', () => buildProxy(topo, fit.positions, options.proxyLevels));
  const jobs = input.jobs ?? INLINE_FACE_JOBS;
  // The proxy's visibility (for the lighting) needs only the detail map's UV geometry: it goes to
  // the job runner (another thread in Node) as soon as that is rasterized; the photo is resampled meanwhile.
  const occluder = { positions: fit.positions, indices: topo.indices };
  let occlusion: Promise<OcclusionField> | undefined;
  const startOcclusion = (charts: FaceCharts): FaceCharts => {
    if (options.albedoShadows > 0) {
      const { width, height, coverage, position, normal } = charts.geom;
      occlusion = jobs.occlusion({ geom: { width, height, coverage, position, normal }, occluder, options: { strength: options.albedoShadows } });
      occlusion.catch(() => undefined); // awaited by the lighting stage (an unwrap error must not leave it unobserved)
    }
    return charts;
  };
  // The membrane fill of each unwrap goes to the job runner too; the lighting reads the seen texels only, so it is fitted meanwhile.
  const unwrapAt = (res: number, charts: FaceCharts): { d: DeferredUnwrap; filled: Promise<Float32Array> } => {
    const d = unwrapFaceDeferred(image, camera, proxy, res, charts);
    const filled = jobs.membrane(d.membrane);
    filled.catch(() => undefined); // awaited below (an earlier error must not leave it unobserved)
    return { d, filled };
  };
  const texU = await stage('unwrap', () => unwrapAt(T, D === T ? startOcclusion(rasterizeFace(proxy, T)) : rasterizeFace(proxy, T)));
  const detU = D === T ? texU : await stage('unwrap', () => unwrapAt(D, startOcclusion(rasterizeFace(proxy, D))));
  const { light, det } = await stage('lighting', async () => {
    const field = await occlusion;
    const shadows = field ? { occluder, strength: options.albedoShadows, field } : undefined;
    const fitted = fitFaceLighting(detU.d.texture, detU.d.confidence.data, detU.d.geom, topo, shadows);
    const done = completeUnwrap(detU.d, await detU.filled);
    // The linear texture was converted before the fill: only the filled texels change.
    srgbImageToLinearInto(done.texture, fitted.texLinear, detU.d.membrane.fixed);
    return { light: fitted, det: done };
  });
  const tex = D === T ? det : completeUnwrap(texU.d, await texU.filled);
  announce('texture', tex.texture);
  announce('confidence', tex.confidence);
  // The light the proxy blocks, for the final albedo: needs only the lighting and the texture's coverage, so the job runner computes it while the detail is synthesized.
  const blockedDone = light.occlusion
    ? jobs.blockedShading({ occlusion: light.occlusion, sh: light.lighting.coefficients, coverage: tex.geom.coverage, width: T, height: T })
    : undefined;
  blockedDone?.catch(() => undefined); // awaited by the mesh stage (a detail error must not leave it unobserved)
  const detailInput: DetailInput = { geom: det.geom, texture: light.texLinear, confidence: det.confidence.data, sh: light.lighting.coefficients, flatMask: light.flatMask };
  const detail = await stage('detail', () => synthesizeDetail(detailInput, { method, strength: options.detailStrength, sfs: options.sfs }, input.detailNetwork));
  const displacement: Image = { width: D, height: D, channels: 1, data: detail.displacement };
  announce('displacement', displacement);

  const out = await stage('mesh', async () => {
    // The albedo goes to the injected job runner first (another thread in Node), the mesh is built meanwhile.
    const textureLinear = T === D ? light.texLinear : srgbImageToLinear(tex.texture);
    const albedoJob = {
      texture: { texLinear: textureLinear, geom: { coverage: tex.geom.coverage, normal: tex.geom.normal } },
      normals: detail.normals, D, sh: light.lighting.coefficients,
      equalize: {
        strength: options.albedoEqualize,
        skin: T === D ? light.skin : options.albedoEqualize > 0 ? buildSkinMask(T, T, topo.uvs, topo.regions, tex.geom.coverage) : undefined,
        blocked: await blockedDone,
      },
    };
    const albedoDone = jobs.finalAlbedo(albedoJob);
    const { smooth, detailed } = buildDetailedMesh(proxy.mesh, displacement, options.meshLevels - options.proxyLevels);
    const maps = detailNormalMaps(detail.normals, det.geom, proxy.mesh, detailed);
    announce('normal', maps.normal);
    announce('residualNormal', maps.residual);
    const albedo = await albedoDone;
    announce('albedo', albedo.srgb);
    const { extras, headTexture } = completeHead(model, fit, { smooth, detailed, levels: options.meshLevels }, {
      albedoLinear: albedo.linear, textureLinear, coverage: tex.geom.coverage, image, landmarks: analysis.landmarks,
      camera, sh: light.lighting.coefficients, confidence: tex.confidence.data,
    });
    // The ARKit rig: the same fit with a neutral expression, the same detail, its own normal map.
    const rig = options.rig === 'arkit'
      ? buildArkitRig({
        model, fit, pose: fit.pose, displacement,
        displace: (m) => displaceMesh(m, displacement, { strength: 1 }),
        colors: Object.fromEntries(extras.filter((e) => e.color).map((e) => [e.material, e.color!])),
      })
      : undefined;
    return {
      proxy: meshToHead(fit.pose, proxy.mesh),
      detailed: meshToHead(fit.pose, detailed),
      displacement,
      maps,
      albedo: albedo.srgb,
      extraMeshes: extras.map((e) => ({ ...e, mesh: meshToHead(fit.pose, e.mesh) })),
      headTexture,
      rig,
    };
  });

  return {
    faceIndex,
    analysis,
    camera,
    pose: fit.pose,
    mmPerPixel: fit.mmPerPixel,
    proxy: out.proxy,
    detailedMesh: out.detailed,
    ...(out.extraMeshes.length > 0 ? { extraMeshes: out.extraMeshes } : {}),
    ...(out.rig ? { rig: out.rig } : {}),
    ...(out.headTexture ? { headTextureStats: out.headTexture } : {}),
    fitStats: { model: model.name, reprojectionErrorPx: fit.reprojectionErrorPx },
    ...(fit.gaze ? { gaze: fit.gaze } : {}),
    maps: {
      texture: tex.texture,
      albedo: out.albedo,
      confidence: tex.confidence,
      displacement: out.displacement,
      normal: out.maps.normal,
      residualNormal: out.maps.residual,
    },
    lighting: { coefficients: light.lighting.coefficients, stats: lightingStats(light.lighting) },
    detailStats: { ...detail.stats },
    ...(options.keepIntermediates ? { intermediates: { detailInput } } : {}),
    timings,
    warnings,
  };
}

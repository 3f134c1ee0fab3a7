import type { FaceAnalysis } from '../analysis/types.js';
import { cameraToHead, rotateToHead } from '../camera/pose.js';
import { runDfdn, type DetailNetwork } from '../detail/dfdn.js';
import { DETAIL_DEFAULTS, solveDetail, type DetailInput } from '../detail/solve-detail.js';
import { detailNormals, encodeTangentNormalMap } from '../detail/normal-map.js';
import { FaceDetailError } from '../errors.js';
import { linearToSrgb, mapImage, srgbToLinear } from '../image/image.js';
import { computeAlbedo } from '../lighting/albedo.js';
import { fitLighting, lightingStats } from '../lighting/fit-lighting.js';
import { createStageTimer } from './stage-timer.js';
import { buildRegionMask, buildSkinMask } from '../lighting/skin-mask.js';
import { displaceMesh } from '../mesh/displace.js';
import { computeVertexNormals } from '../mesh/normals.js';
import { loopSubdivide } from '../mesh/subdivide.js';
import { computeTangents } from '../mesh/tangents.js';
import { colorExtraMeshes, estimateIrisColor, medianAlbedo } from '../model/extra-meshes.js';
import type { FaceModel } from '../model/face-model.js';
import { buildArkitRig } from '../rig/build-rig.js';
import type { Camera, Image, Mesh } from '../types.js';
import { rasterizeAttribute, rasterizeUV } from '../unwrap/rasterize-uv.js';
import { unwrapTexture } from '../unwrap/unwrap-texture.js';
import type { FaceReconstruction, ProgressCallback, ReconstructOptions, StageName } from './types.js';

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
}

/**
 * Run the per-face stages (camera/proxy → unwrap → lighting → detail → mesh) on one analysed face.
 * Pure apart from progress callbacks; asynchronous because the detail network (`detail: 'dfdn'`
 * or `'dfdn+sfs'`) is an injected, asynchronous {@link DetailNetwork}. The adapters (decoding,
 * face analysis, the network runtime, file output) live outside the core.
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
  const timings: Partial<Record<StageName, number>> = {};
  const warnings: string[] = [];
  // Every stage is timed and reported; the detail network is the only asynchronous one.
  const timed = createStageTimer(onProgress, (name, ms) => { timings[name] = (timings[name] ?? 0) + ms; });
  const stage = <T>(name: StageName, f: () => T | Promise<T>): Promise<T> => timed(name, f, faceIndex);
  const method = options.detail;
  if (method !== 'sfs' && !input.detailNetwork) {
    throw new FaceDetailError('DEPENDENCY_MISSING', `detail '${method}' needs the DFDN detail network: pass detailNetwork (Node: createReconstructor loads models/dfdn; browser: the worker loads it with onnxruntime-web), or use detail: 'sfs'`);
  }

  // --- camera + proxy -------------------------------------------------------------------
  const topo = model.topology;
  const fit = await stage('camera', () => model.fit(analysis, camera, { interocularMm: options.interocularMm }));
  if (Math.abs(fit.pose.yawDeg) > 45) warnings.push(`head yaw ${fit.pose.yawDeg.toFixed(0)}°: the far side of the face is not seen and is filled by symmetry`);
  const proxyCam = await stage('proxy', () => {
    // Carry each vertex's mirror-UV through subdivision so texels know their symmetric texel.
    const mirrorUV = new Float32Array(topo.vertexCount * 2);
    for (let i = 0; i < topo.vertexCount; i++) {
      const m = topo.mirror[i]!;
      mirrorUV[2 * i] = topo.uvs[2 * m]!;
      mirrorUV[2 * i + 1] = topo.uvs[2 * m + 1]!;
    }
    const base: Mesh = { positions: fit.positions, indices: topo.indices, uvs: topo.uvs };
    const dense = loopSubdivide(base, options.proxyLevels, { attributes: [{ data: mirrorUV, size: 2 }] });
    const normals = computeVertexNormals(dense.mesh.positions, dense.mesh.indices);
    const mesh: Mesh = { ...dense.mesh, normals };
    mesh.tangents = computeTangents(mesh.positions, normals, mesh.uvs!, mesh.indices);
    return { mesh, mirrorUV: dense.attributes[0]! };
  });

  // --- unwrap ---------------------------------------------------------------------------
  const T = options.textureResolution, D = options.detailResolution;
  const unwrapAt = (res: number) => {
    const geom = rasterizeUV(proxyCam.mesh, res, res);
    const mirrorUV = rasterizeAttribute(geom, proxyCam.mesh, proxyCam.mirrorUV, 2);
    const unwrapped = unwrapTexture(image, camera, proxyCam.mesh, geom, { mirrorUV });
    return { geom, ...unwrapped };
  };
  const tex = await stage('unwrap', () => unwrapAt(T));
  const det = D === T ? tex : await stage('unwrap', () => unwrapAt(D));

  // --- lighting -------------------------------------------------------------------------
  const light = await stage('lighting', () => {
    const texLinear = mapImage(det.texture, srgbToLinear);
    const skin = buildSkinMask(D, D, topo.uvs, topo.regions, det.geom.coverage);
    const conf = det.confidence.data;
    const weights = new Float32Array(D * D);
    for (let i = 0; i < weights.length; i++) weights[i] = skin[i]! * conf[i]!;
    const lighting = fitLighting(texLinear, det.geom, weights);
    const flatMask = buildRegionMask(D, D, topo.uvs, topo.regions);
    return { texLinear, lighting, flatMask };
  });

  // --- detail ---------------------------------------------------------------------------
  const detailInput: DetailInput = { geom: det.geom, texture: light.texLinear, confidence: det.confidence.data, sh: light.lighting.coefficients, flatMask: light.flatMask };
  const sfsStrength = (options.sfs.strength ?? DETAIL_DEFAULTS.strength) * options.detailStrength;
  const detail = await stage('detail', async () => {
    if (method === 'sfs') {
      const r = solveDetail(detailInput, { ...options.sfs, strength: sfsStrength });
      return { ...r, stats: { method, ...r.stats } };
    }
    const net = await runDfdn(detailInput, input.detailNetwork!);
    if (method === 'dfdn+sfs') {
      const r = solveDetail({ ...detailInput, prior: net.displacement }, { ...options.sfs, strength: sfsStrength, priorStrength: options.detailStrength });
      return { ...r, stats: { method, ...r.stats, dfdn: net.stats } };
    }
    // The network's displacement alone; normals from it (as the solver's normalMap output).
    const displacement = net.displacement, s = options.detailStrength;
    if (s !== 1) for (let k = 0; k < displacement.length; k++) displacement[k] = displacement[k]! * s;
    const stats = { method, rmsMm: s * net.stats.rmsMm, maxAbsMm: s * net.stats.maxAbsMm, dfdn: net.stats };
    return { displacement, normals: detailNormals(displacement, det.geom), stats };
  });

  // --- detailed mesh, maps ----------------------------------------------------------------
  const out = await stage('mesh', () => {
    const displacement: Image = { width: D, height: D, channels: 1, data: detail.displacement };
    const extra = options.meshLevels - options.proxyLevels;
    // Subdivide positions and UVs only (normals/tangents are recomputed after displacement).
    const pm = proxyCam.mesh;
    const fine = extra > 0 ? loopSubdivide({ positions: pm.positions, indices: pm.indices, uvs: pm.uvs! }, extra).mesh : pm;
    const fineMesh: Mesh = { ...fine, normals: computeVertexNormals(fine.positions, fine.indices) };
    const detailed = displaceMesh(fineMesh, displacement, { strength: 1 });
    if (!detailed.tangents) detailed.tangents = computeTangents(detailed.positions, detailed.normals!, detailed.uvs!, detailed.indices);

    // Normal map relative to the smooth proxy (for use with the proxy / low-poly meshes).
    const proxyFrame = {
      tangent: rasterizeAttribute(det.geom, proxyCam.mesh, proxyCam.mesh.tangents!, 4),
      normal: det.geom.normal,
    };
    const normalMap = encodeTangentNormalMap(detail.normals, proxyFrame, det.geom.coverage);
    // Residual normal map relative to the detailed mesh (what its geometry cannot resolve): the
    // one embedded in the GLB, so the detail is not applied twice.
    const detGeom = rasterizeUV(detailed, D, D);
    const residualFrame = {
      tangent: rasterizeAttribute(detGeom, detailed, detailed.tangents, 4),
      normal: detGeom.normal,
    };
    const residualNormalMap = encodeTangentNormalMap(detail.normals, residualFrame, detGeom.coverage);

    // Final albedo: the texture divided by the DETAILED shading, at texture resolution.
    const texLinT = T === D ? light.texLinear : mapImage(tex.texture, srgbToLinear);
    // The light's colour comes from the smooth proxy normals (shared shading, bounded light colour).
    const albedoLinear = T === D
      ? computeAlbedo(texLinT, detail.normals, det.geom.coverage, light.lighting.coefficients, { chromaNormals: det.geom.normal })
      : computeAlbedo(texLinT, resampleNormals(detail.normals, D, T), tex.geom.coverage, light.lighting.coefficients, { chromaNormals: tex.geom.normal });
    const albedo = mapImage(albedoLinear, linearToSrgb);
    // Undetailed meshes completing the head (ICT: head and neck, sockets, teeth, eyes), sharing
    // the detailed face's border vertices; one flat colour each (skin: the face's median albedo).
    const extras = model.extraMeshes?.(fit, { smooth: fineMesh, detailed, levels: options.meshLevels }) ?? [];
    if (extras.length > 0) {
      const cov = T === D ? det.geom.coverage : tex.geom.coverage;
      const skin = medianAlbedo(albedoLinear, cov);
      // The iris as seen in the photo, divided by the skin's lighting gain (observed / albedo).
      const seen = extras.some((e) => e.material === 'iris') ? estimateIrisColor(image, analysis.landmarks) : null;
      let iris: [number, number, number] | undefined;
      if (seen) {
        const skinSeen = medianAlbedo(texLinT, cov);
        iris = [0, 1, 2].map((c) => Math.min(1, seen[c]! * Math.min(5, Math.max(0.2, skin[c]! / Math.max(1e-4, skinSeen[c]!))))) as [number, number, number];
      }
      colorExtraMeshes(extras, skin, iris ? { iris } : {});
    }

    // The ARKit rig: the same fit with a neutral expression, the same detail, its own normal map.
    const rig = options.rig === 'arkit'
      ? buildArkitRig({
        model, fit, pose: fit.pose, displacement,
        displace: (smooth) => displaceMesh(smooth, displacement, { strength: 1 }),
        colors: Object.fromEntries(extras.filter((e) => e.color).map((e) => [e.material, e.color!])),
      })
      : undefined;

    const toHead = (m: Mesh): Mesh => {
      const r: Mesh = { positions: cameraToHead(fit.pose, m.positions), indices: m.indices };
      if (m.uvs) r.uvs = m.uvs;
      if (m.normals) r.normals = rotateToHead(fit.pose, m.normals);
      if (m.tangents) r.tangents = rotateToHead(fit.pose, m.tangents, 4);
      return r;
    };
    return {
      proxy: toHead(proxyCam.mesh),
      detailed: toHead(detailed),
      displacement,
      normalMap,
      residualNormalMap,
      albedo,
      extraMeshes: extras.map((e) => ({ ...e, mesh: toHead(e.mesh) })),
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
    fitStats: { model: model.name, reprojectionErrorPx: fit.reprojectionErrorPx },
    maps: {
      texture: tex.texture,
      albedo: out.albedo,
      confidence: tex.confidence,
      displacement: out.displacement,
      normal: out.normalMap,
      residualNormal: out.residualNormalMap,
    },
    lighting: { coefficients: light.lighting.coefficients, stats: lightingStats(light.lighting) },
    detailStats: { ...detail.stats },
    ...(options.keepIntermediates ? { intermediates: { detailInput } } : {}),
    timings,
    warnings,
  };
}

/** Nearest-neighbour resample of a per-texel normal field from S² to R² texels. */
function resampleNormals(n: Float32Array, S: number, R: number): Float32Array {
  const out = new Float32Array(R * R * 3);
  for (let y = 0; y < R; y++) {
    const sy = Math.min(S - 1, Math.floor(((y + 0.5) * S) / R));
    for (let x = 0; x < R; x++) {
      const sx = Math.min(S - 1, Math.floor(((x + 0.5) * S) / R));
      const si = (sy * S + sx) * 3, di = (y * R + x) * 3;
      out[di] = n[si]!; out[di + 1] = n[si + 1]!; out[di + 2] = n[si + 2]!;
    }
  }
  return out;
}


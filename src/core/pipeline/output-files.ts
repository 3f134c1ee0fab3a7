import { focalLength35mmOf, verticalFov } from '../camera/estimate-camera.js';
import { writeGlb, type GlbWriteOptions, type PngBytes } from '../export/glb.js';
import { writeObj } from '../export/obj.js';
import { writePly } from '../export/ply.js';
import { writeRigGlb, type RigGlbPart } from '../export/rig-glb.js';
import type { ArkitRig } from '../rig/build-rig.js';
import { encodePng, type EncodePngOptions } from '../export/png.js';
import { sampleUV } from '../image/image.js';
import { utf8 } from '../platform.js';
import type { Image, Mesh } from '../types.js';
import { EMOTIONS } from '../types.js';
import type { FaceMapName, FaceReconstruction, MeshFormat } from './types.js';

/** Options of {@link buildOutputFiles}. */
export interface OutputFilesOptions {
  /** Mesh formats to write (maps and result.json are always written). */
  formats: readonly MeshFormat[];
  /** The input's file name, recorded in result.json. */
  sourceName: string;
  /** facedetail's version, recorded in result.json and the GLB's generator. */
  version: string;
  /** Extra warnings or timings (e.g. decode/analyze, shared by the image's faces). */
  imageTimings?: Record<string, number>;
  /**
   * How face.glb stores its geometry (default: KHR_mesh_quantization, no compression; see
   * {@link GlbWriteOptions}). @example { compress: 'meshopt' }
   */
  glb?: GlbWriteOptions;
}

/** Encoding of displacement.png: mm = offsetMm + scaleMm · (value / 65535). */
export interface DisplacementEncoding { scaleMm: number; offsetMm: number }

/** A PNG encoder: the core's pure-JS {@link encodePng} or a faster platform one (Node: sharp). */
export type PngEncoder = (image: Image, options: EncodePngOptions) => Uint8Array | Promise<Uint8Array>;

/** Name of the GLB's residual normal map among the PNG jobs (not written as a file). */
const RESIDUAL_NORMAL = '#residual-normal.png';
/** The rig GLB's own residual normal map (relative to the rig's coarser detailed face). */
const RIG_NORMAL = '#rig-normal.png';
/** The head and neck skin's texture (model `'ict'` with a head), written as a file and embedded in the GLBs. */
const HEAD_ALBEDO = 'head_albedo.png';

/** One PNG to encode: the file (or `#`-prefixed embedded image) name, the pixels and how. */
interface PngJob {
  name: string;
  /** The pixels to encode (computed on demand: the displacement's are normalised first). */
  pixels(): Image;
  options: EncodePngOptions;
  /** The face's map it comes from (the key of {@link EarlyPngs}). */
  source?: Image;
}

/**
 * The PNG job of one of a face's maps, as the output files encode it (the one definition: the
 * export stage and {@link EarlyPngs} both use it). The displacement is written 16-bit with its
 * mm encoding in text chunks; the residual normal map is the GLB's embedded normal texture.
 */
function mapPngJob(name: FaceMapName, image: Image, dispEnc?: DisplacementEncoding): PngJob {
  if (name === 'displacement') {
    const enc = dispEnc ?? displacementEncoding(image);
    return {
      name: 'displacement.png', pixels: () => normalizeDisplacement(image, enc), source: image,
      options: {
        bitDepth: 16,
        text: {
          'facedetail:unit': 'mm',
          'facedetail:scale_mm': String(enc.scaleMm),
          'facedetail:offset_mm': String(enc.offsetMm),
          'facedetail:formula': 'mm = offset_mm + scale_mm * value / 65535',
          'facedetail:direction': 'along the smooth proxy normal, outward positive',
        },
      },
    };
  }
  return { name: name === 'residualNormal' ? RESIDUAL_NORMAL : `${name}.png`, pixels: () => image, source: image, options: { bitDepth: 8 } };
}

/**
 * PNG encodes started before the export stage: the pipeline calls {@link EarlyPngs.start} as each
 * map of a face becomes final (`onMap` of `reconstructFace`), so with an asynchronous encoder
 * (Node: sharp on libuv's threads) the maps encode on the other cores while the next stages
 * run, and {@link buildOutputFilesAsync} takes the finished bytes instead of encoding again.
 * The bytes are those the export stage would write (same job, same encoder); maps are keyed by
 * identity (a WeakMap: nothing is kept once the reconstruction is dropped).
 */
export interface EarlyPngs {
  /** Start encoding a face's map (the pipeline does not modify a map after announcing it). */
  start(name: FaceMapName, image: Image): void;
  /** The bytes started for `source` (a face's map), if any. */
  take(source: Image): Promise<Uint8Array> | undefined;
}

/**
 * An {@link EarlyPngs} over `encode`; `formats` (the mesh formats that will be written, when the
 * same for every photo) leaves out the residual normal map when no GLB is asked for.
 *
 * @example
 * const early = createEarlyPngs(encodePngNative, ['glb']);
 * const face = await reconstructor.reconstruct('me.jpg', { onMap: early.start });
 * const files = await buildOutputFilesAsync(face, options, encodePngNative, early);
 */
export function createEarlyPngs(encode: PngEncoder, formats?: readonly MeshFormat[]): EarlyPngs {
  const started = new WeakMap<Image, Promise<Uint8Array>>();
  return {
    start(name, image) {
      if (name === 'residualNormal' && formats && !formats.includes('glb')) return;
      const job = mapPngJob(name, image);
      const p = Promise.resolve().then(() => encode(job.pixels(), job.options));
      p.catch(() => undefined); // observed by the export stage (or never needed)
      started.set(image, p);
    },
    take: (source) => started.get(source),
  };
}

/** The PNGs a face needs, and how to turn their bytes into the output files. */
interface OutputPlan {
  pngs: PngJob[];
  /** `png`: each job's bytes, or a promise of them (the GLB geometry is built while they encode). */
  finish(png: Record<string, PngBytes>): Promise<Record<string, Uint8Array>>;
}

/**
 * Every output file of one face, as bytes, keyed by file name: face.glb / face.obj + face.mtl /
 * face.ply (per `formats`), texture.png, albedo.png, confidence.png, displacement.png (16-bit),
 * normal.png, head_albedo.png (the head's texture, when an extra mesh has one) and result.json. Units: GLB in metres (glTF), OBJ/PLY in millimetres; all in the
 * head frame (+X subject's left, +Y up, +Z out of the face). Asynchronous because the GLB is
 * written with glTF-Transform.
 *
 * @example
 * const files = await buildOutputFiles(rec, { formats: ['glb'], sourceName: 'me.jpg', version: '0.1.0' });
 */
export async function buildOutputFiles(rec: FaceReconstruction, options: OutputFilesOptions): Promise<Record<string, Uint8Array>> {
  const plan = planOutputFiles(rec, options);
  const png: Record<string, Uint8Array> = {};
  for (const job of plan.pngs) png[job.name] = encodePng(job.pixels(), job.options);
  return plan.finish(png);
}

/**
 * As {@link buildOutputFiles}, with the PNG maps encoded by `encode` concurrently (the Node
 * adapter passes a native encoder; the core's pure-JS deflate is the slowest part of export).
 *
 * @example
 * const files = await buildOutputFilesAsync(rec, { formats: ['glb'], sourceName: 'me.jpg', version: '0.1.0' }, encodePngNative);
 */
export async function buildOutputFilesAsync(rec: FaceReconstruction, options: OutputFilesOptions, encode: PngEncoder, early?: EarlyPngs): Promise<Record<string, Uint8Array>> {
  const plan = planOutputFiles(rec, options);
  // Every encoder not started early starts now; the meshes are written while they run (Node: on libuv's threads).
  const png: Record<string, Promise<Uint8Array>> = {};
  const all: Promise<Uint8Array>[] = [];
  for (const job of plan.pngs) {
    const p = (job.source && early?.take(job.source)) || Promise.resolve().then(() => encode(job.pixels(), job.options));
    p.catch(() => undefined); // observed below (Promise.all / the GLB writer): no unhandled rejection meanwhile
    png[job.name] = p;
    all.push(p);
  }
  try {
    return await plan.finish(png);
  } finally {
    await Promise.allSettled(all); // never leave an encoder running past the call
  }
}

function planOutputFiles(rec: FaceReconstruction, options: OutputFilesOptions): OutputPlan {
  const dispEnc = displacementEncoding(rec.maps.displacement);
  const pngs: PngJob[] = (['texture', 'albedo', 'normal', 'confidence', 'displacement'] as const).map((name) => mapPngJob(name, rec.maps[name], dispEnc));
  if (options.formats.includes('glb')) pngs.push(mapPngJob('residualNormal', rec.maps.residualNormal));
  if (rec.rig) { const rig = rec.rig.residualNormal; pngs.push({ name: RIG_NORMAL, pixels: () => rig, options: { bitDepth: 8 } }); }
  const headTexture = (rec.extraMeshes ?? []).find((e) => e.texture && e.mesh.uvs)?.texture;
  if (headTexture) pngs.push({ name: HEAD_ALBEDO, pixels: () => headTexture, options: { bitDepth: 8 } });

  const finish = async (png: Record<string, PngBytes>): Promise<Record<string, Uint8Array>> => {
    const files: Record<string, Uint8Array> = {};
    const mesh = rec.detailedMesh;
    const extras = (rec.extraMeshes ?? []).map((e) => ({
      name: e.name, mesh: e.mesh, color: e.color ?? [0.5, 0.4, 0.35] as [number, number, number],
      ...(e.texture && e.mesh.uvs ? { texture: e.texture } : {}),
    }));
    const headPng = png[HEAD_ALBEDO];
    if (options.formats.includes('glb')) {
      const metres: Mesh = { ...mesh, positions: scalePositions(mesh.positions, 0.001) };
      files['face.glb'] = await writeGlb({
        mesh: metres,
        meshName: 'face',
        nodeName: 'face',
        baseColorPng: png['albedo.png']!,
        normalPng: png[RESIDUAL_NORMAL]!,
        camera: glTFCamera(rec),
        generator: `facedetail ${options.version}`,
        extras: { units: 'metres', frame: 'head: +X subject left, +Y up, +Z out of the face', source: options.sourceName },
        extraMeshes: extras.map(({ texture, ...e }) => ({
          ...e, mesh: { ...e.mesh, positions: scalePositions(e.mesh.positions, 0.001) }, ...(texture && headPng ? { baseColorPng: headPng } : {}),
        })),
      }, options.glb);
    }
    if (options.formats.includes('obj')) {
      const { obj, mtl } = writeObj(mesh, {
        mtlFileName: 'face.mtl',
        materialName: 'face',
        diffuseMap: 'albedo.png',
        comment: `facedetail ${options.version} — detailed face mesh, millimetres, head frame (+X subject left, +Y up, +Z out of the face)`,
        extraMeshes: extras.map(({ texture, ...e }) => ({ ...e, ...(texture ? { diffuseMap: HEAD_ALBEDO } : {}) })),
      });
      files['face.obj'] = utf8(obj);
      files['face.mtl'] = utf8(mtl);
    }
    if (options.formats.includes('ply')) {
      const merged = mergeExtraMeshes(mesh, vertexColors(mesh, rec.maps.albedo), extras);
      files['face.ply'] = writePly(merged.mesh, {
        colors: merged.colors,
        comments: [`facedetail ${options.version}`, 'units: millimetres', 'frame: head (+X subject left, +Y up, +Z out of the face)'],
      });
    }
    if (rec.rig) {
      files['rig.glb'] = await writeRigGlb({
        parts: rigPartsInMetres(rec.rig, headPng && await headPng),
        targetNames: rec.rig.names,
        weights: rec.rig.weights,
        baseColorPng: await png['albedo.png']!,
        normalPng: await png[RIG_NORMAL]!,
        camera: glTFCamera(rec),
        generator: `facedetail ${options.version}`,
        extras: { units: 'metres', frame: 'head: +X subject left, +Y up, +Z out of the face', source: options.sourceName, rig: 'arkit', missingInModel: [...rec.rig.missing] },
      });
    }
    files['result.json'] = utf8(JSON.stringify(resultJson(rec, options, dispEnc), null, 2) + '\n');
    const maps: Record<string, Uint8Array> = {};
    for (const job of pngs) if (!job.name.startsWith('#')) maps[job.name] = await png[job.name]!;
    return { ...maps, ...files };
  };
  return { pngs, finish };
}

/** The content of result.json (see README "Outputs"). */
export function resultJson(rec: FaceReconstruction, options: OutputFilesOptions, disp: DisplacementEncoding): object {
  const p = rec.pose;
  return {
    version: options.version,
    source: options.sourceName,
    faceIndex: rec.faceIndex,
    units: { mesh: 'mm (GLB: m)', displacement: 'mm', angles: 'degrees' },
    frames: {
      head: '+X subject left, +Y up, +Z out of the face; origin between the eye centres',
      camera: 'OpenCV: +X right, +Y down, +Z forward; camera point = R · head point + t',
      uv: 'u right, v down (glTF); OBJ files store 1 - v',
    },
    camera: {
      width: rec.camera.width, height: rec.camera.height,
      fx: rec.camera.fx, fy: rec.camera.fy, cx: rec.camera.cx, cy: rec.camera.cy,
      focalLength35mm: focalLength35mmOf(rec.camera), focalSource: rec.camera.focalSource,
    },
    pose: {
      rotation: Array.from(p.rotation), translationMm: Array.from(p.translation),
      yawDeg: p.yawDeg, pitchDeg: p.pitchDeg, rollDeg: p.rollDeg,
    },
    scale: { mmPerPixel: rec.mmPerPixel },
    face: {
      box: rec.analysis.box,
      score: rec.analysis.score,
      emotions: Object.fromEntries(EMOTIONS.map((e) => [e, rec.analysis.emotions[e]])),
      topEmotion: EMOTIONS.reduce((a, b) => (rec.analysis.emotions[b] > rec.analysis.emotions[a] ? b : a)),
      detectorRotationDeg: rec.analysis.rotation,
      ...(rec.gaze ? { gaze: rec.gaze } : {}),
    },
    lighting: {
      model: 'order-2 real SH, camera frame normals; linear texture = albedo * sum_k coeff[c*9+k] * Y_k(n)',
      coefficients: { r: Array.from(rec.lighting.coefficients.subarray(0, 9)), g: Array.from(rec.lighting.coefficients.subarray(9, 18)), b: Array.from(rec.lighting.coefficients.subarray(18, 27)) },
      stats: rec.lighting.stats,
    },
    displacement: { ...disp, formula: 'mm = offsetMm + scaleMm * value / 65535', resolution: rec.maps.displacement.width },
    normalMap: { convention: 'tangent space, MikkTSpace-style tangents (the GLB carries them; they match the reference MikkTSpace that Blender computes), +X = +u, +Y = up in the image (OpenGL / glTF)', relativeTo: 'normal.png: smooth proxy; GLB normalTexture: the detailed mesh (residual)' },
    mesh: { vertices: rec.detailedMesh.positions.length / 3, triangles: rec.detailedMesh.indices.length / 3, proxyVertices: rec.proxy.positions.length / 3 },
    detail: rec.detailStats,
    ...(rec.headTextureStats ? { headTexture: { file: HEAD_ALBEDO, ...rec.headTextureStats } } : {}),
    ...(rec.rig ? { rig: { file: 'rig.glb', kind: 'arkit', targets: rec.rig.names.length, missingInModel: rec.rig.missing, defaultWeights: Object.fromEntries(rec.rig.names.map((n, i) => [n, rec.rig!.weights[i]])), ...rec.rig.stats } } : {}),
    timingsMs: { ...options.imageTimings, ...rec.timings },
    warnings: rec.warnings,
  };
}

/** Tight 16-bit encoding of a displacement map (mm). */
export function displacementEncoding(map: Image): DisplacementEncoding {
  let lo = Infinity, hi = -Infinity;
  const d = map.data;
  for (let i = 0; i < d.length; i++) { const v = d[i]!; if (v < lo) lo = v; if (v > hi) hi = v; }
  if (!(hi > lo)) { lo = (Number.isFinite(lo) ? lo : 0) - 0.5; hi = lo + 1; }
  return { scaleMm: hi - lo, offsetMm: lo };
}

function normalizeDisplacement(map: Image, e: DisplacementEncoding): Image {
  const data = new Float32Array(map.data.length);
  for (let i = 0; i < data.length; i++) data[i] = (map.data[i]! - e.offsetMm) / e.scaleMm;
  return { width: map.width, height: map.height, channels: 1, data };
}

/** The rig's parts for {@link writeRigGlb}: metres (the rig is in mm); the head and neck skin with the head texture when there is one. */
function rigPartsInMetres(rig: ArkitRig, headPng?: Uint8Array): RigGlbPart[] {
  return rig.parts.map((p) => ({
    name: p.name,
    mesh: { ...p.mesh, positions: scalePositions(p.mesh.positions, 0.001) },
    targets: p.targets.map((t) => ({ indices: t.indices, deltas: scalePositions(t.deltas, 0.001) })),
    textured: p.material === 'face',
    ...(p.color ? { color: p.color } : {}),
    ...(headPng && p.material === 'skin' && p.mesh.uvs ? { baseColorPng: headPng } : {}),
  }));
}

function scalePositions(p: Float32Array, s: number): Float32Array {
  const out = new Float32Array(p.length);
  for (let i = 0; i < p.length; i++) out[i] = p[i]! * s;
  return out;
}

function vertexColors(mesh: Mesh, albedo: Image): Uint8Array {
  const n = mesh.positions.length / 3, uv = mesh.uvs!;
  const rgb = new Float32Array(3), out = new Uint8Array(n * 3);
  for (let i = 0; i < n; i++) {
    sampleUV(albedo, uv[2 * i]!, uv[2 * i + 1]!, rgb);
    for (let c = 0; c < 3; c++) out[3 * i + c] = Math.round(Math.max(0, Math.min(1, rgb[c]!)) * 255);
  }
  return out;
}

/** The photo's camera placed in the head frame (metres), as a glTF perspective camera. */
function glTFCamera(rec: FaceReconstruction) {
  const R = rec.pose.rotation, t = rec.pose.translation;
  // Camera centre in head coordinates: −Rᵀ t.
  const pos = [0, 1, 2].map((i) => -(R[i]! * t[0]! + R[3 + i]! * t[1]! + R[6 + i]! * t[2]!) * 0.001);
  // glTF camera axes = OpenCV axes with y, z negated; columns of Rᵀ are the OpenCV axes in head coords.
  const m = [
    [R[0]!, -R[3]!, -R[6]!],
    [R[1]!, -R[4]!, -R[7]!],
    [R[2]!, -R[5]!, -R[8]!],
  ];
  return {
    yfov: verticalFov(rec.camera),
    aspectRatio: rec.camera.width / rec.camera.height,
    znear: 0.01,
    zfar: 100,
    translation: pos as [number, number, number],
    rotation: quatFromMatrix(m),
  };
}

function quatFromMatrix(m: number[][]): [number, number, number, number] {
  const [a, b, c] = [m[0]!, m[1]!, m[2]!];
  const tr = a[0]! + b[1]! + c[2]!;
  let x: number, y: number, z: number, w: number;
  if (tr > 0) {
    const s = Math.sqrt(tr + 1) * 2;
    w = 0.25 * s; x = (c[1]! - b[2]!) / s; y = (a[2]! - c[0]!) / s; z = (b[0]! - a[1]!) / s;
  } else if (a[0]! > b[1]! && a[0]! > c[2]!) {
    const s = Math.sqrt(1 + a[0]! - b[1]! - c[2]!) * 2;
    w = (c[1]! - b[2]!) / s; x = 0.25 * s; y = (a[1]! + b[0]!) / s; z = (a[2]! + c[0]!) / s;
  } else if (b[1]! > c[2]!) {
    const s = Math.sqrt(1 + b[1]! - a[0]! - c[2]!) * 2;
    w = (a[2]! - c[0]!) / s; x = (a[1]! + b[0]!) / s; y = 0.25 * s; z = (b[2]! + c[1]!) / s;
  } else {
    const s = Math.sqrt(1 + c[2]! - a[0]! - b[1]!) * 2;
    w = (b[0]! - a[1]!) / s; x = (a[2]! + c[0]!) / s; y = (b[2]! + c[1]!) / s; z = 0.25 * s;
  }
  const n = Math.hypot(x, y, z, w);
  return [x / n, y / n, z / n, w / n];
}

/**
 * The detailed mesh with the extra meshes appended (one PLY holds one mesh): their UVs are 0, their
 * colours the flat material colour (sRGB 8-bit), or sampled from the mesh's own texture (the head).
 */
function mergeExtraMeshes(mesh: Mesh, colors: Uint8Array, extras: Array<{ mesh: Mesh; color: [number, number, number]; texture?: Image }>): { mesh: Mesh; colors: Uint8Array } {
  if (extras.length === 0) return { mesh, colors };
  const n0 = mesh.positions.length / 3;
  const nv = extras.reduce((k, e) => k + e.mesh.positions.length / 3, n0);
  const ni = extras.reduce((k, e) => k + e.mesh.indices.length, mesh.indices.length);
  const positions = new Float32Array(3 * nv), normals = new Float32Array(3 * nv), indices = new Uint32Array(ni), col = new Uint8Array(3 * nv);
  positions.set(mesh.positions); indices.set(mesh.indices); col.set(colors);
  if (mesh.normals) normals.set(mesh.normals);
  const uvs = mesh.uvs ? new Float32Array(2 * nv) : undefined;
  if (uvs && mesh.uvs) uvs.set(mesh.uvs);
  let v = n0, i = mesh.indices.length;
  for (const e of extras) {
    const k = e.mesh.positions.length / 3;
    positions.set(e.mesh.positions, 3 * v);
    if (e.mesh.normals) normals.set(e.mesh.normals, 3 * v);
    for (let j = 0; j < e.mesh.indices.length; j++) indices[i + j] = e.mesh.indices[j]! + v;
    if (e.texture && e.mesh.uvs) {
      col.set(vertexColors(e.mesh, e.texture), 3 * v);
    } else {
      const srgb = e.color.map((c) => Math.round(255 * (c <= 0.0031308 ? 12.92 * c : 1.055 * Math.pow(c, 1 / 2.4) - 0.055)));
      for (let j = 0; j < k; j++) col.set(srgb, 3 * (v + j));
    }
    v += k; i += e.mesh.indices.length;
  }
  const out: Mesh = { positions, indices, ...(mesh.normals ? { normals } : {}), ...(uvs ? { uvs } : {}) };
  return { mesh: out, colors: col };
}

/**
 * The pipeline worker: decode → analyze → camera → reconstructFace → buildOutputFiles, off the
 * page's main thread so the page stays responsive. Protocol: src/web/protocol.ts.
 */
import {
  buildOutputFiles,
  createFaceMeshModel,
  createIctModel,
  dfdnProbeInput,
  estimateCamera,
  FaceDetailError,
  focalLength35mmOf,
  inferDisplacement,
  loopSubdivide,
  readGlb,
  reconstructFace,
  resolveOptions,
  type DetailNetwork,
  type DfdnStats,
  type FaceAnalysis,
  type FaceAnalyzer,
  type FaceModel,
  type FaceReconstruction,
  type Mesh,
  type StageName,
} from '../core/index.js';
import { createStageTimer } from '../core/pipeline/stage-timer.js';
import { decodeImageBlob, type WebDecodedImage } from './decode-image.js';
import { loadWebDfdnNetwork, type WebDfdnLocation } from './dfdn-web.js';
import { createWebHumanAnalyzer } from './human-engine.js';
import { loadWebIctModel } from './ict-web.js';
import type { FromWorker, ToWorker, ViewData, ViewMesh } from './protocol.js';

declare const __FACEDETAIL_VERSION__: string;

interface WorkerScope {
  postMessage(message: FromWorker, transfer?: Transferable[]): void;
  onmessage: ((ev: MessageEvent<ToWorker>) => void) | null;
}
const scope = self as unknown as WorkerScope;

let analyzer: Promise<FaceAnalyzer> | undefined;
const faceMesh = createFaceMeshModel();
let dfdnWhere: WebDfdnLocation | undefined;
let network: Promise<DetailNetwork> | undefined;
let ictModelUrl: string | undefined;
let ictModel: Promise<FaceModel> | undefined;

/** The bundled ICT FaceKit model, fetched and parsed on first use (a failed load is retried next time). */
function getIctModel(): Promise<FaceModel> {
  if (!ictModelUrl) return Promise.reject(new FaceDetailError('INTERNAL', 'the worker was not initialised with the ICT model URL'));
  ictModel ??= loadWebIctModel(ictModelUrl).then((data) => createIctModel(data), (e: unknown) => {
    ictModel = undefined;
    throw e;
  });
  return ictModel;
}

/** The detail network, loaded on first use (a failed load is retried next time). */
function getNetwork(): Promise<DetailNetwork> {
  if (!dfdnWhere) return Promise.reject(new FaceDetailError('INTERNAL', 'the worker was not initialised'));
  network ??= loadWebDfdnNetwork(dfdnWhere).catch((e: unknown) => {
    network = undefined;
    throw e;
  });
  return network;
}

scope.onmessage = (ev) => {
  const msg = ev.data;
  if (msg.type === 'init') {
    const t0 = performance.now();
    analyzer = createWebHumanAnalyzer({ modelBaseUrl: msg.modelBaseUrl, wasmBaseUrl: msg.wasmBaseUrl });
    dfdnWhere = { modelBaseUrl: msg.dfdnBaseUrl };
    ictModelUrl = msg.ictModelUrl;
    analyzer.then(
      () => scope.postMessage({ type: 'ready', ms: performance.now() - t0, backend: 'wasm' }),
      (e: unknown) => postError(undefined, e),
    );
  } else if (msg.type === 'run') {
    run(msg).catch((e: unknown) => postError(msg.id, e));
  } else if (msg.type === 'dfdn-probe') {
    probe(msg).catch((e: unknown) => postError(msg.id, e));
  }
};

/** Run the detail network on the deterministic probe input (tests compare it with Node's). */
async function probe(msg: Extract<ToWorker, { type: 'dfdn-probe' }>): Promise<void> {
  const net = await getNetwork();
  const { features, coverage } = dfdnProbeInput(msg.size, msg.seed);
  const t0 = performance.now();
  const r = await inferDisplacement(features, coverage, net);
  const totalMs = performance.now() - t0;
  const step = 97, d = r.displacement;
  const sample = new Float32Array(Math.ceil(d.length / step));
  let sum = 0, sumSq = 0;
  for (let i = 0; i < d.length; i++) { sum += d[i]!; sumSq += d[i]! * d[i]!; }
  for (let i = 0, j = 0; i < d.length; i += step, j++) sample[j] = d[i]!;
  scope.postMessage({ type: 'dfdn-probe', id: msg.id, result: { step, sample, sum, sumSq, patches: r.patches, networkMs: r.networkMs, totalMs } }, [sample.buffer]);
}

function postError(id: number | undefined, e: unknown): void {
  if (e instanceof FaceDetailError) scope.postMessage({ type: 'error', id, code: e.code, message: e.message });
  else scope.postMessage({ type: 'error', id, code: 'UNKNOWN', message: e instanceof Error ? e.message : String(e) });
}

/** The last photo's decoded image and analysis, reused when the user then picks one of its faces. */
let analysed: { photoId: number; decoded: WebDecodedImage; faces: FaceAnalysis[]; timings: Record<string, number> } | undefined;

async function run(msg: Extract<ToWorker, { type: 'run' }>): Promise<void> {
  if (!analyzer) throw new FaceDetailError('INTERNAL', 'the worker was not initialised');
  const { id, options } = msg;
  const tStart = performance.now();
  const o = resolveOptions({
    detailResolution: options.detailResolution,
    textureResolution: options.textureResolution,
    detailStrength: options.detailStrength,
    focalLength35mm: options.focalLength35mm,
    detail: options.detail,
    model: options.model ?? 'facemesh',
  });
  const timings: Record<string, number> = {};
  let face: number | undefined;
  const progress = (stage: StageName, done: boolean, ms?: number): void => {
    if (done && ms !== undefined) timings[stage] = (timings[stage] ?? 0) + ms;
    const m: Extract<FromWorker, { type: 'progress' }> = { type: 'progress', id, stage, done };
    if (ms !== undefined) m.ms = ms;
    if (face !== undefined) m.face = face;
    scope.postMessage(m);
  };
  const timed = createStageTimer((ev) => progress(ev.stage, ev.done, ev.ms));

  // Decode and analyse once per photo: a second run on the same photo (a face picked, or
  // "reconstruct all") reuses them and reports their times again.
  let reusedMs = 0;
  if (analysed?.photoId !== msg.photoId) {
    analysed = undefined;
    const decoded = await timed('decode', () => decodeImageBlob(msg.file, msg.name));
    const an = await analyzer;
    const faces = await timed('analyze', () => an.analyze(decoded.image));
    analysed = { photoId: msg.photoId, decoded, faces, timings: { ...timings } };
  } else {
    for (const [stage, ms] of Object.entries(analysed.timings)) {
      progress(stage as StageName, true, ms);
      reusedMs += ms;
    }
  }
  const { decoded, faces } = analysed;
  if (faces.length === 0) {
    throw new FaceDetailError('NO_FACE', 'No face was found in this photo. Use a photo where one face is clearly visible, roughly facing the camera and at least about 64 pixels wide.');
  }
  if (msg.face === 'ask' && faces.length > 1) {
    scope.postMessage({ type: 'faces', id, width: decoded.width, height: decoded.height, faces: faces.map((f) => ({ box: f.box, score: f.score })) });
    scope.postMessage({ type: 'done', id });
    return;
  }
  const picked = msg.face === 'all' ? faces.map((_, i) => i) : [msg.face === 'ask' ? 0 : msg.face];
  for (const i of picked) {
    if (!Number.isInteger(i) || i < 0 || i >= faces.length) throw new FaceDetailError('INVALID_OPTION', `face must be an integer from 0 to ${faces.length - 1}; got ${i}`);
  }
  const camera = estimateCamera(decoded.width, decoded.height, { focalLength35mm: o.focalLength35mm, exifFocalLength35mm: decoded.exif.focalLength35mm });
  const detailNetwork = o.detail === 'sfs' ? undefined : await getNetwork();
  const model = o.model === 'ict' ? await getIctModel() : faceMesh;
  for (const i of picked) {
    face = i;
    const tFace = performance.now();
    const faceTimings: Record<string, number> = { ...analysed.timings };
    for (const k of Object.keys(timings)) if (!(k in analysed.timings)) delete timings[k];
    const rec = await reconstructFace(
      { image: decoded.image, camera, analysis: faces[i]!, faceIndex: i, model, ...(detailNetwork ? { detailNetwork } : {}) }, o, (ev) => progress(ev.stage, ev.done, ev.ms),
    );
    rec.timings = { ...faceTimings, ...rec.timings };
    const files = await timed('export', () =>
      buildOutputFiles(rec, { formats: ['glb', 'obj', 'ply'], sourceName: msg.name, version: __FACEDETAIL_VERSION__, imageTimings: { decode: analysed!.timings['decode'] ?? 0 } }),
    );
    // decode → every output file in memory, as Node's total (one face: the run's time)
    const total = picked.length === 1 ? performance.now() - tStart + reusedMs : performance.now() - tFace + (analysed.timings['decode'] ?? 0) + (analysed.timings['analyze'] ?? 0);
    const view = viewData(rec, msg.name, decoded.width, decoded.height, files);
    view.timings = { ...timings, total };
    postResult(id, i, faces.length, files, view);
    postBase(id, i, rec, o);
  }
  scope.postMessage({ type: 'done', id });
}

function postResult(id: number, face: number, faceCount: number, files: Record<string, Uint8Array>, view: ViewData): void {
  const transfer = new Set<ArrayBuffer>();
  for (const f of Object.values(files)) transfer.add(f.buffer as ArrayBuffer);
  for (const m of [view.proxy, view.detailed]) for (const a of [m.positions, m.indices, m.uvs, m.normals, m.tangents]) transfer.add(a.buffer as ArrayBuffer);
  for (const b of Object.values(view.png)) transfer.add(b.buffer as ArrayBuffer);
  scope.postMessage({ type: 'result', id, face, faceCount, files, view }, [...transfer]);
}

/**
 * The detailed mesh is the proxy subdivided `meshLevels − proxyLevels` more times, then
 * displaced: the undisplaced copy lets the viewer rescale the detail live. Loop subdivision is
 * affine-invariant, so subdividing the head-frame proxy equals the pipeline's camera-frame one
 * (up to rounding). Sent after the result so the face shows ~0.3 s sooner.
 */
function postBase(id: number, face: number, rec: FaceReconstruction, o: ReturnType<typeof resolveOptions>): void {
  const p = rec.proxy, extra = o.meshLevels - o.proxyLevels;
  const base = extra > 0 ? loopSubdivide({ positions: p.positions, indices: p.indices, uvs: p.uvs! }, extra).mesh.positions : p.positions.slice();
  scope.postMessage({ type: 'base', id, face, positions: base }, [base.buffer as ArrayBuffer]);
}

/** The viewer's data; its PNGs are copies of the output files (those are transferred separately). */
function viewData(rec: FaceReconstruction, name: string, width: number, height: number, files: Record<string, Uint8Array>): ViewData {
  const png = (n: string): Uint8Array => files[n]!.slice();
  const stats = rec.detailStats as { rmsMm?: number; method?: 'sfs' | 'dfdn' | 'dfdn+sfs'; dfdn?: DfdnStats };
  return {
    sourceName: name,
    width,
    height,
    proxy: viewMesh(rec.proxy),
    detailed: viewMesh(rec.detailedMesh),
    png: { albedo: png('albedo.png'), texture: png('texture.png'), normal: png('normal.png'), residualNormal: residualNormalPng(files['face.glb']!) },
    camera: { fx: rec.camera.fx, fy: rec.camera.fy, cx: rec.camera.cx, cy: rec.camera.cy, focalSource: rec.camera.focalSource, focal35mm: focalLength35mmOf(rec.camera) },
    pose: { rotation: [...rec.pose.rotation], translation: [...rec.pose.translation], yawDeg: rec.pose.yawDeg, pitchDeg: rec.pose.pitchDeg, rollDeg: rec.pose.rollDeg },
    mmPerPixel: rec.mmPerPixel,
    analysis: { landmarks: rec.analysis.landmarks.slice(), box: rec.analysis.box, score: rec.analysis.score, emotions: rec.analysis.emotions },
    timings: {},
    warnings: rec.warnings,
    detailRmsMm: typeof stats.rmsMm === 'number' ? stats.rmsMm : undefined,
    detailMethod: stats.method ?? 'sfs',
    dfdn: stats.dfdn,
  };
}

/** The residual normal map as embedded in the GLB (its material's normalTexture), not encoded twice. */
function residualNormalPng(glb: Uint8Array): Uint8Array {
  const { json, images } = readGlb(glb);
  const j = json as { materials?: { normalTexture?: { index: number } }[]; textures?: { source?: number }[] };
  const tex = j.materials?.[0]?.normalTexture?.index;
  const source = tex === undefined ? undefined : j.textures?.[tex]?.source;
  const img = images.find((i) => i.index === source);
  if (!img) throw new FaceDetailError('INTERNAL', 'face.glb has no normal texture');
  return img.bytes.slice();
}

function viewMesh(m: Mesh): ViewMesh {
  if (!m.uvs || !m.normals || !m.tangents) throw new FaceDetailError('INTERNAL', 'mesh without uvs, normals or tangents');
  return { positions: m.positions.slice(), indices: m.indices.slice(), uvs: m.uvs.slice(), normals: m.normals.slice(), tangents: m.tangents.slice() };
}

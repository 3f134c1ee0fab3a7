/**
 * The pipeline worker: the core's one orchestrator (`orchestratePhoto`: decode → analyze →
 * per-face reconstruction → buildOutputFiles) off the page's main thread, so the page stays
 * responsive. Protocol: src/web/protocol.ts.
 */
import {
  analyzePhoto,
  buildOutputFiles,
  createExpressionTracker,
  createFaceMeshModel,
  createIctModel,
  estimateCamera,
  dfdnProbeInput,
  FaceDetailError,
  focalLength35mmOf,
  inferDisplacement,
  loopSubdivide,
  orchestratePhoto,
  readGlb,
  reconstructFaces,
  resolveOptions,
  type DetailNetwork,
  type DfdnStats,
  type ExpressionTracker,
  type FaceAnalysis,
  type IctFaceModel,
  type FaceReconstruction,
  type Mesh,
  type ProgressCallback,
  type StageName,
} from '../core/index.js';
import { decodeImageBlob, type WebDecodedImage } from './decode-image.js';
import { loadWebDfdnNetwork, type WebDfdnLocation } from './dfdn-web.js';
import type { HumanFaceAnalyzer } from '../human/analyze-faces.js';
import { createWebHumanAnalyzer, type WebTfjsWasm } from './human-engine.js';
import { loadWebIctModel } from './ict-web.js';
import { createCachedFetch, modelCacheName } from './model-cache.js';
import { wasmThreadCount, type WasmThreading } from './wasm-threads.js';
import { frameToImage } from './video-frame.js';
import type { FromWorker, PuppetFrameResult, ToWorker, ViewData, ViewMesh } from './protocol.js';

declare const __FACEDETAIL_VERSION__: string;
/** The app's version and a hash of its model and wasm files (web/vite.config.ts): the model cache's version. */
declare const __FACEDETAIL_MODELS_VERSION__: string;

interface WorkerScope {
  postMessage(message: FromWorker, transfer?: Transferable[]): void;
  onmessage: ((ev: MessageEvent<ToWorker>) => void) | null;
}
const scope = self as unknown as WorkerScope;

let analyzer: Promise<HumanFaceAnalyzer & { wasm: WebTfjsWasm }> | undefined;
const faceMesh = createFaceMeshModel();
let dfdnWhere: WebDfdnLocation | undefined;
let network: Promise<DetailNetwork> | undefined;
let ictModelUrl: string | undefined;
let ictModel: Promise<IctFaceModel> | undefined;

/** The bundled ICT FaceKit model, fetched and parsed on first use (a failed load is retried next time). */
function getIctModel(): Promise<IctFaceModel> {
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
    // Models and wasm from Cache Storage after the first visit (see model-cache.ts for why the global fetch).
    self.fetch = createCachedFetch(modelCacheName(__FACEDETAIL_MODELS_VERSION__), new URL(msg.baseUrl), self.fetch.bind(self));
    analyzer = createWebHumanAnalyzer({ modelBaseUrl: msg.modelBaseUrl, wasmBaseUrl: msg.wasmBaseUrl });
    dfdnWhere = { modelBaseUrl: msg.dfdnBaseUrl };
    ictModelUrl = msg.ictModelUrl;
    analyzer.then(
      (an) => {
        const wasm: WasmThreading = { isolated: self.crossOriginIsolated, multithread: an.wasm.multithread, simd: an.wasm.simd, tfjsThreads: an.wasm.threads, ortThreads: wasmThreadCount() };
        scope.postMessage({ type: 'ready', ms: performance.now() - t0, backend: 'wasm', wasm });
      },
      (e: unknown) => postError(undefined, e),
    );
  } else if (msg.type === 'run') {
    run(msg).catch((e: unknown) => postError(msg.id, e));
  } else if (msg.type === 'dfdn-probe') {
    probe(msg).catch((e: unknown) => postError(msg.id, e));
  } else if (msg.type === 'puppet-start') {
    puppetStart(msg).catch((e: unknown) => postError(msg.id, e));
  } else if (msg.type === 'puppet-frame') {
    puppetFrame(msg).catch((e: unknown) => postError(msg.id, e));
  } else if (msg.type === 'puppet-stop') {
    if (puppet?.id === msg.id) puppet = undefined;
  }
};

// ---- webcam animation of the rig ------------------------------------------------------------
// It runs in this worker, not a second one: Human's models (and the wasm backend) and the ICT
// model are already loaded here, a second copy would double the memory and the start-up, and
// the pipeline is idle while the page animates (a new photo stops the animation first).

/** The faces of the latest run that have a rig: what the tracker needs from each. */
const rigSources = new Map<number, { runId: number; analysis: FaceAnalysis; camera: FaceReconstruction['camera']; pose: FaceReconstruction['pose'] }>();
/** The running animation: its tracker and the last frame's landmarks (the next crop). */
let puppet: { id: number; tracker: ExpressionTracker; previous: Float32Array | undefined; weights: Float32Array; quaternion: number[]; offsetMm: number[] } | undefined;

async function puppetStart(msg: Extract<ToWorker, { type: 'puppet-start' }>): Promise<void> {
  const t0 = performance.now();
  const src = rigSources.get(msg.face);
  if (!src || src.runId !== msg.runId) throw new FaceDetailError('INVALID_OPTION', 'This face has no rig: reconstruct it with the ICT model and "ARKit rig" ticked, then animate it.');
  const model = await getIctModel();
  // The photo's identity: the same (deterministic) fit the reconstruction made.
  const proxy = model.fit(src.analysis, src.camera, { interocularMm: 63 });
  const fit = model.fitResult(proxy);
  if (!fit) throw new FaceDetailError('INTERNAL', 'the ICT fit of the photo is missing');
  // Model frame → the rig's head frame: Pᵀ·R_fit (P: head → camera of the reconstruction).
  const P = src.pose.rotation, Rf = fit.pose.rotation, M = new Float64Array(9);
  for (let r = 0; r < 3; r++) for (let c = 0; c < 3; c++) M[3 * r + c] = P[r]! * Rf[c]! + P[3 + r]! * Rf[3 + c]! + P[6 + r]! * Rf[6 + c]!;
  const tracker = createExpressionTracker({ data: model.data, correspondence: model.correspondence, identity: fit.identity, modelToHead: M });
  puppet = { id: msg.id, tracker, previous: undefined, weights: new Float32Array(tracker.names.length), quaternion: [0, 0, 0, 1], offsetMm: [0, 0, 0] };
  scope.postMessage({ type: 'puppet-ready', id: msg.id, names: [...tracker.names], ms: performance.now() - t0 });
}

async function puppetFrame(msg: Extract<ToWorker, { type: 'puppet-frame' }>): Promise<void> {
  const p = puppet;
  if (!p || p.id !== msg.id || !analyzer) { msg.frame.close(); return; }
  const tIn = performance.now();
  const image = await frameToImage(msg.frame);
  const { width, height, data } = image;
  // The tag: mean luminance of the top-left 8×8 pixels (0–255).
  let tag = 0;
  const n = Math.min(8, width), m = Math.min(8, height);
  for (let y = 0; y < m; y++) for (let x = 0; x < n; x++) { const i = 3 * (y * width + x); tag += 255 * (0.299 * data[i]! + 0.587 * data[i + 1]! + 0.114 * data[i + 2]!); }
  tag /= n * m;
  const an = await analyzer;
  const t0 = performance.now();
  const face = await an.trackFace(image, p.previous);
  const t1 = performance.now();
  const result: PuppetFrameResult = { found: false, weights: p.weights.slice(), quaternion: p.quaternion, offsetMm: p.offsetMm, meshMs: t1 - t0, fitMs: 0, convertMs: t0 - tIn, source: 'none', reprojectionErrorPx: Number.NaN, tag, width, height };
  if (puppet !== p) return; // stopped meanwhile
  if (face) {
    const f = p.tracker.track({ landmarks: face.landmarks, camera: estimateCamera(width, height), timeMs: msg.timeMs, rotation: face.rotation });
    p.previous = face.landmarks;
    p.weights = f.weights;
    p.quaternion = Array.from(f.headQuaternion);
    p.offsetMm = Array.from(f.headOffsetMm);
    Object.assign(result, { found: true, weights: f.weights.slice(), quaternion: p.quaternion, offsetMm: p.offsetMm, fitMs: f.ms, source: face.source, reprojectionErrorPx: f.reprojectionErrorPx });
  } else {
    p.previous = undefined;
    p.tracker.reset();
  }
  scope.postMessage({ type: 'puppet-frame', id: msg.id, result }, [result.weights.buffer as ArrayBuffer]);
}

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

const NO_FACE_MESSAGE = 'No face was found in this photo. Use a photo where one face is clearly visible, roughly facing the camera and at least about 64 pixels wide.';

async function run(msg: Extract<ToWorker, { type: 'run' }>): Promise<void> {
  if (!analyzer) throw new FaceDetailError('INTERNAL', 'the worker was not initialised');
  const { id, options } = msg;
  puppet = undefined;
  rigSources.clear();
  const tStart = performance.now();
  const o = resolveOptions({
    detailResolution: options.detailResolution,
    textureResolution: options.textureResolution,
    detailStrength: options.detailStrength,
    focalLength35mm: options.focalLength35mm,
    detail: options.detail,
    model: options.model ?? 'facemesh',
    rig: options.model === 'ict' ? options.rig ?? 'none' : 'none',
  });
  // Per-stage times shown with each face: the photo's (decode, analyze), then that face's own.
  const timings: Record<string, number> = {};
  let face: number | undefined;
  let tFace = tStart;
  const onProgress: ProgressCallback = (ev) => {
    if (ev.faceIndex !== undefined && ev.faceIndex !== face) {
      // A new face starts: its times follow the photo's.
      face = ev.faceIndex;
      tFace = performance.now();
      for (const k of Object.keys(timings)) if (!(k in (analysed?.timings ?? {}))) delete timings[k];
    }
    if (ev.done && ev.ms !== undefined) timings[ev.stage] = (timings[ev.stage] ?? 0) + ev.ms;
    const m: Extract<FromWorker, { type: 'progress' }> = { type: 'progress', id, stage: ev.stage, done: ev.done };
    if (ev.ms !== undefined) m.ms = ev.ms;
    if (face !== undefined) m.face = face;
    scope.postMessage(m);
  };

  // Decode and analyse once per photo: a second run on the same photo (a face picked, or
  // "reconstruct all") reuses them and reports their times again.
  let reusedMs = 0;
  const cached = analysed?.photoId === msg.photoId ? analysed : undefined;
  if (!cached) analysed = undefined;
  else {
    for (const [stage, ms] of Object.entries(cached.timings)) {
      onProgress({ stage: stage as StageName, done: true, ms });
      reusedMs += ms;
    }
  }
  const an = await analyzer;
  let faceCount = 0, single = true;
  await orchestratePhoto<WebDecodedImage, Record<string, Uint8Array>>({
    decode: cached ? cached.decoded : () => decodeImageBlob(msg.file, msg.name),
    faces: async (decoded, ctx) => {
      const faces = cached ? cached.faces : await analyzePhoto(decoded, an, ctx);
      analysed = { photoId: msg.photoId, decoded, faces, timings: cached ? cached.timings : { ...timings } };
      faceCount = faces.length;
      if (msg.face === 'ask' && faces.length > 1) {
        scope.postMessage({ type: 'faces', id, width: decoded.width, height: decoded.height, faces: faces.map((f) => ({ box: f.box, score: f.score })) });
        return [];
      }
      const select = msg.face === 'all' ? 'all' : [msg.face === 'ask' ? 0 : msg.face];
      single = select !== 'all' || faces.length === 1;
      return reconstructFaces(decoded, faces, { faceModel: (opts) => (opts.model === 'ict' ? getIctModel() : faceMesh), detailNetwork: getNetwork }, o, {
        select, onProgress: ctx.onProgress, imageTimings: analysed.timings, noFaceMessage: NO_FACE_MESSAGE,
      });
    },
    output: {
      build: buildOutputFiles,
      // A reused photo's decode time is its first run's (a fresh run's is this run's, the default).
      options: { formats: ['glb', 'obj', 'ply'], sourceName: msg.name, version: __FACEDETAIL_VERSION__, ...(cached ? { imageTimings: { decode: cached.timings['decode'] ?? 0 } } : {}) },
      write: (_rec, files) => files,
    },
    onFace: (rec, files) => {
      if (rec.rig) rigSources.set(rec.faceIndex, { runId: id, analysis: rec.analysis, camera: rec.camera, pose: rec.pose });
      const shared = analysed!.timings;
      // decode → every output file in memory, as Node's total (one face: the run's time)
      const total = single ? performance.now() - tStart + reusedMs : performance.now() - tFace + (shared['decode'] ?? 0) + (shared['analyze'] ?? 0);
      const view = viewData(rec, msg.name, analysed!.decoded.width, analysed!.decoded.height, files!);
      view.timings = { ...timings, total };
      postResult(id, rec.faceIndex, faceCount, files!, view);
      postBase(id, rec.faceIndex, rec, o);
    },
  }, onProgress);
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

/**
 * The facedetail web app's page: photo input (file, drop, camera), progress, errors, the 3D
 * viewer, the alignment overlay, the face readout and the downloads. The pipeline itself runs in
 * a worker (src/web/worker.ts) with the same core as the Node CLI.
 */
import { DETAIL_METHODS, EMOTIONS, STAGES, type DetailMethod, type StageName } from '../core/index.js';
import { makeBundle, saveBytes, type BundleKind } from './downloads.js';
import { drawOverlay } from './overlay.js';
import type { DfdnProbeResult, FromWorker, ToWorker, ViewData, WebRunOptions } from './protocol.js';
import { FaceViewer, VIEWER_DEFAULTS, type ViewerSettings } from './viewer.js';

type State = 'loading' | 'idle' | 'running' | 'done' | 'error';

/** What the page exposes for scripts and end-to-end tests (`window.facedetail`). */
interface PageApi {
  state: State;
  /** Number of runs started (a photo chosen, dropped or taken). */
  runs: number;
  /** Milliseconds per stage of the last reconstruction (and `total`; `modelLoad` once). */
  timings: Record<string, number>;
  error: { code: string; message: string } | undefined;
  backend: string | undefined;
  /** The last reconstruction's analysis and pose (plain numbers). */
  result: { width: number; height: number; landmarks: number[]; pose: { yawDeg: number; pitchDeg: number; rollDeg: number }; emotions: Record<string, number>; mmPerPixel: number; vertices: number; detailMethod: string; dfdn: ViewData['dfdn'] } | undefined;
  /**
   * Debug / test hook: run the detail network in the worker on the deterministic probe input
   * `dfdnProbeInput(size, seed)` (src/core/detail/dfdn.ts), to compare with Node and to time it.
   */
  dfdnProbe(size: number, seed: number): Promise<DfdnProbeResult>;
}

const $ = <T extends HTMLElement>(id: string): T => {
  const el = document.getElementById(id);
  if (!el) throw new Error(`#${id} is missing from index.html`);
  return el as T;
};

const probes = new Map<number, { resolve: (r: DfdnProbeResult) => void; reject: (e: Error) => void }>();
let probeId = 1_000_000; // apart from the run ids
const api: PageApi = {
  state: 'loading', runs: 0, timings: {}, error: undefined, backend: undefined, result: undefined,
  dfdnProbe(size, seed) {
    const id = ++probeId;
    return new Promise((resolve, reject) => {
      probes.set(id, { resolve, reject });
      const msg: ToWorker = { type: 'dfdn-probe', id, size, seed };
      worker.postMessage(msg);
    });
  },
};
(window as unknown as { facedetail: PageApi }).facedetail = api;

const els = {
  drop: $<HTMLLabelElement>('drop'),
  file: $<HTMLInputElement>('file'),
  cameraOpen: $<HTMLButtonElement>('camera-open'),
  cameraBox: $<HTMLDivElement>('camera'),
  video: $<HTMLVideoElement>('video'),
  snap: $<HTMLButtonElement>('snap'),
  cameraClose: $<HTMLButtonElement>('camera-close'),
  rerun: $<HTMLButtonElement>('rerun'),
  optRes: $<HTMLSelectElement>('opt-res'),
  optStrength: $<HTMLInputElement>('opt-strength'),
  optDetail: $<HTMLSelectElement>('opt-detail'),
  optModel: $<HTMLSelectElement>('opt-model'),
  optFocal: $<HTMLInputElement>('opt-focal'),
  status: $<HTMLDivElement>('status'),
  error: $<HTMLDivElement>('error'),
  errorTitle: $<HTMLElement>('error-title'),
  errorMessage: $<HTMLElement>('error-message'),
  stages: $<HTMLOListElement>('stages'),
  viewer: $<HTMLCanvasElement>('viewer'),
  texture: $<HTMLSelectElement>('texture'),
  normalMap: $<HTMLInputElement>('normal-map'),
  strength: $<HTMLInputElement>('strength'),
  strengthValue: $<HTMLOutputElement>('strength-value'),
  lightAz: $<HTMLInputElement>('light-az'),
  lightEl: $<HTMLInputElement>('light-el'),
  resetView: $<HTMLButtonElement>('reset-view'),
  overlay: $<HTMLCanvasElement>('overlay'),
  ovMesh: $<HTMLInputElement>('ov-mesh'),
  ovLandmarks: $<HTMLInputElement>('ov-landmarks'),
  readout: $<HTMLDivElement>('readout'),
  timings: $<HTMLTableElement>('timings'),
};

function setState(s: State): void {
  api.state = s;
  document.body.dataset['state'] = s;
}

// ---- worker -----------------------------------------------------------------------------
let worker: Worker;
let ready = false;
let runId = 0;
let pending: { file: Blob; name: string } | undefined;
let last: { file: Blob; name: string } | undefined;
let result: { files: Record<string, Uint8Array>; view: ViewData; photo: ImageBitmap } | undefined;
/** The detailed mesh's undisplaced positions, when they arrive before the viewer has the result. */
let pendingBase: Float32Array | undefined;
/** True once the viewer shows the current result. */
let shown = false;

function applyBase(): void {
  if (!pendingBase) return;
  viewer.setDetailBase(pendingBase);
  pendingBase = undefined;
  applyViewer();
}

function startWorker(): void {
  ready = false;
  worker = new Worker(new URL('./worker.ts', import.meta.url), { type: 'module', name: 'facedetail-pipeline' });
  worker.onmessage = (ev: MessageEvent<FromWorker>) => onWorkerMessage(ev.data);
  worker.onerror = (ev) => {
    ev.preventDefault();
    showError('INTERNAL', `The processing worker stopped (${ev.message || 'out of memory?'}). Try a smaller photo or a smaller map resolution.`);
    worker.terminate();
    startWorker();
  };
  const base = document.baseURI;
  const init: ToWorker = {
    type: 'init', modelBaseUrl: new URL('models/', base).href, wasmBaseUrl: new URL('wasm/', base).href, dfdnBaseUrl: new URL('models/dfdn/', base).href,
    ictModelUrl: new URL('models/ict/ict-compact.bin', base).href,
  };
  worker.postMessage(init);
}

function onWorkerMessage(msg: FromWorker): void {
  switch (msg.type) {
    case 'ready':
      ready = true;
      api.backend = msg.backend;
      api.timings['modelLoad'] = msg.ms;
      if (api.state === 'loading') {
        setState('idle');
        setStatus(`Ready (models loaded in ${(msg.ms / 1000).toFixed(1)} s). Choose a photo.`);
      }
      if (pending) {
        const p = pending;
        pending = undefined;
        run(p.file, p.name);
      }
      break;
    case 'progress':
      if (msg.id !== runId) return;
      markStage(msg.stage, msg.done, msg.ms);
      if (!msg.done) setStatus(`${STAGE_LABEL[msg.stage]}…`);
      break;
    case 'result':
      if (msg.id !== runId) return;
      void showResult(msg.files, msg.view);
      break;
    case 'base':
      if (msg.id !== runId) return;
      pendingBase = msg.positions;
      if (shown) applyBase();
      break;
    case 'dfdn-probe':
      probes.get(msg.id)?.resolve(msg.result);
      probes.delete(msg.id);
      break;
    case 'error':
      if (msg.id !== undefined && probes.has(msg.id)) {
        probes.get(msg.id)!.reject(Object.assign(new Error(msg.message), { code: msg.code }));
        probes.delete(msg.id);
        return;
      }
      if (msg.id !== undefined && msg.id !== runId) return;
      showError(msg.code, msg.message);
      break;
  }
}

// ---- running ------------------------------------------------------------------------------
const STAGE_LABEL: Record<StageName, string> = {
  decode: 'Decoding the photo',
  analyze: 'Finding the face and its landmarks',
  camera: 'Estimating camera and head pose',
  proxy: 'Building the proxy mesh',
  unwrap: 'Unwrapping the texture',
  lighting: 'Estimating the lighting',
  detail: 'Synthesising the fine detail',
  mesh: 'Building the detailed mesh',
  export: 'Writing GLB, OBJ, PLY and maps',
};

function options(): WebRunOptions {
  const res = Number(els.optRes.value) || 512;
  const strength = Number(els.optStrength.value);
  const focal = els.optFocal.value.trim() === '' ? undefined : Number(els.optFocal.value);
  return {
    detailResolution: res,
    textureResolution: res,
    detailStrength: Number.isFinite(strength) && strength >= 0 ? strength : 1,
    focalLength35mm: focal !== undefined && Number.isFinite(focal) && focal > 0 ? focal : undefined,
    detail: (DETAIL_METHODS as readonly string[]).includes(els.optDetail.value) ? els.optDetail.value as DetailMethod : 'dfdn',
    model: els.optModel.value === 'ict' ? 'ict' : 'facemesh',
  };
}

function run(file: Blob, name: string): void {
  api.runs++;
  last = { file, name };
  api.result = undefined;
  clearResult();
  els.rerun.disabled = false;
  hideError();
  resetStages();
  if (!ready) {
    pending = { file, name };
    setStatus('Waiting for the face-analysis models to load…');
    return;
  }
  runId++;
  setState('running');
  setDownloads(false);
  setStatus(`Processing ${name}…`);
  const msg: ToWorker = { type: 'run', id: runId, file, name, options: options() };
  worker.postMessage(msg);
}

function resetStages(): void {
  els.stages.replaceChildren(
    ...STAGES.map((s) => {
      const li = document.createElement('li');
      li.dataset['stage'] = s;
      li.innerHTML = `<span>${STAGE_LABEL[s]}</span><span class="ms"></span>`;
      return li;
    }),
  );
}

function markStage(stage: StageName, done: boolean, ms?: number): void {
  const li = els.stages.querySelector<HTMLLIElement>(`li[data-stage="${stage}"]`);
  if (!li) return;
  li.className = done ? 'done' : 'running';
  if (done && ms !== undefined) {
    const prev = Number(li.dataset['ms'] ?? 0) + ms;
    li.dataset['ms'] = String(prev);
    li.querySelector('.ms')!.textContent = fmtMs(prev);
  }
}

async function showResult(files: Record<string, Uint8Array>, view: ViewData): Promise<void> {
  const id = runId;
  const photo = await createImageBitmap(last!.file, { imageOrientation: 'from-image' });
  if (id !== runId) return photo.close(); // a newer photo was chosen meanwhile
  result = { files, view, photo };
  api.result = {
    width: view.width,
    height: view.height,
    landmarks: [...view.analysis.landmarks],
    pose: { yawDeg: view.pose.yawDeg, pitchDeg: view.pose.pitchDeg, rollDeg: view.pose.rollDeg },
    emotions: { ...view.analysis.emotions },
    mmPerPixel: view.mmPerPixel,
    vertices: view.detailed.positions.length / 3,
    detailMethod: view.detailMethod,
    dfdn: view.dfdn,
  };
  api.timings = { ...view.timings, ...(api.timings['modelLoad'] !== undefined ? { modelLoad: api.timings['modelLoad'] } : {}) };
  await viewer.show(view);
  if (id !== runId) return viewer.clear(); // superseded while the textures were decoding
  shown = true;
  applyBase();
  redrawOverlay();
  renderReadout(view);
  renderTimings(api.timings);
  setDownloads(true);
  const warn = view.warnings.length ? ` Note: ${view.warnings.join('; ')}.` : '';
  setStatus(`Done in ${(view.timings['total']! / 1000).toFixed(1)} s.${warn}`);
  setState('done');
}

/** Forgets the previous photo's result (viewer, overlay, readout, downloads). */
function clearResult(): void {
  result?.photo.close();
  result = undefined;
  pendingBase = undefined;
  shown = false;
  viewer.clear();
  const ctx = els.overlay.getContext('2d');
  ctx?.clearRect(0, 0, els.overlay.width, els.overlay.height);
  els.readout.textContent = '—';
  els.timings.replaceChildren();
  setDownloads(false);
}

// ---- errors -------------------------------------------------------------------------------
const ERROR_TITLE: Record<string, string> = {
  NO_FACE: 'No face found',
  UNSUPPORTED_IMAGE: 'Unsupported file',
  CORRUPT_IMAGE: 'The file is damaged',
  IMAGE_TOO_LARGE: 'Image too large',
  IMAGE_TOO_SMALL: 'Image too small',
  MODEL_LOAD_FAILED: 'A model did not load',
  MODEL_CACHE_INVALID: 'A model file is damaged',
};

function showError(code: string, message: string): void {
  api.error = { code, message };
  els.errorTitle.textContent = ERROR_TITLE[code] ?? 'Something went wrong';
  els.errorMessage.textContent = message;
  els.error.hidden = false;
  els.error.dataset['code'] = code;
  for (const li of els.stages.querySelectorAll('li.running')) li.className = '';
  setStatus(code === 'MODEL_LOAD_FAILED' && api.state === 'loading' ? 'Reload the page to try again.' : code.startsWith('MODEL_') ? 'Choose another detail method, or reload the page.' : 'Choose another photo.');
  setState('error');
}

function hideError(): void {
  api.error = undefined;
  els.error.hidden = true;
}

function setStatus(text: string): void {
  els.status.textContent = text;
}

// ---- input: file, drop, camera ----------------------------------------------------------------
els.file.addEventListener('change', () => {
  const f = els.file.files?.[0];
  if (f) run(f, f.name);
  els.file.value = '';
});
for (const ev of ['dragenter', 'dragover'] as const) {
  els.drop.addEventListener(ev, (e) => { e.preventDefault(); els.drop.classList.add('over'); });
}
for (const ev of ['dragleave', 'drop'] as const) {
  els.drop.addEventListener(ev, () => els.drop.classList.remove('over'));
}
els.drop.addEventListener('drop', (e) => {
  e.preventDefault();
  const f = e.dataTransfer?.files[0];
  if (f) run(f, f.name);
});
// A photo dropped anywhere else must not navigate away from the page.
window.addEventListener('dragover', (e) => e.preventDefault());
window.addEventListener('drop', (e) => e.preventDefault());
els.rerun.addEventListener('click', () => { if (last) run(last.file, last.name); });

let stream: MediaStream | undefined;
if (navigator.mediaDevices && typeof navigator.mediaDevices.getUserMedia === 'function') els.cameraOpen.hidden = false;
els.cameraOpen.addEventListener('click', async () => {
  try {
    stream = await navigator.mediaDevices.getUserMedia({ video: { facingMode: 'user', width: { ideal: 1920 }, height: { ideal: 1080 } }, audio: false });
  } catch (e) {
    showError('CAMERA', `The camera could not be opened (${e instanceof Error ? e.message : String(e)}). Allow camera access, or choose a photo instead.`);
    return;
  }
  els.video.srcObject = stream;
  await els.video.play();
  els.cameraBox.hidden = false;
});
function closeCamera(): void {
  for (const t of stream?.getTracks() ?? []) t.stop();
  stream = undefined;
  els.video.srcObject = null;
  els.cameraBox.hidden = true;
}
els.cameraClose.addEventListener('click', closeCamera);
els.snap.addEventListener('click', () => {
  const v = els.video;
  if (!v.videoWidth) return;
  const c = document.createElement('canvas');
  c.width = v.videoWidth;
  c.height = v.videoHeight;
  c.getContext('2d')!.drawImage(v, 0, 0);
  c.toBlob((blob) => {
    if (!blob) return;
    closeCamera();
    run(blob, `camera-${new Date().toISOString().replace(/[:.]/g, '-')}.jpg`);
  }, 'image/jpeg', 0.95);
});

// ---- viewer and overlay controls ---------------------------------------------------------------
const viewer = new FaceViewer(els.viewer);
function viewerSettings(): ViewerSettings {
  const mesh = (document.querySelector<HTMLInputElement>('input[name="mesh"]:checked')?.value ?? 'detailed') as ViewerSettings['mesh'];
  return {
    mesh,
    texture: els.texture.value as ViewerSettings['texture'],
    normalMap: els.normalMap.checked,
    strength: Number(els.strength.value),
    lightAzimuthDeg: Number(els.lightAz.value),
    lightElevationDeg: Number(els.lightEl.value),
  };
}
function applyViewer(): void {
  const s = viewerSettings();
  els.strengthValue.textContent = s.strength.toFixed(1);
  els.strength.disabled = s.mesh === 'proxy' || !viewer.canRescaleDetail;
  viewer.apply(s);
}
for (const el of [els.texture, els.normalMap, els.strength, els.lightAz, els.lightEl, ...document.querySelectorAll<HTMLInputElement>('input[name="mesh"]')]) {
  el.addEventListener('input', applyViewer);
}
els.resetView.addEventListener('click', () => viewer.resetView());
viewer.apply({ ...VIEWER_DEFAULTS });

function redrawOverlay(): void {
  if (result) drawOverlay(els.overlay, result.photo, result.view, { mesh: els.ovMesh.checked, landmarks: els.ovLandmarks.checked });
}
els.ovMesh.addEventListener('input', redrawOverlay);
els.ovLandmarks.addEventListener('input', redrawOverlay);

// ---- readout, timings, downloads -------------------------------------------------------------
const DETAIL_LABEL: Record<DetailMethod, string> = { sfs: 'shape from shading', dfdn: 'learned network (DFDN)', 'dfdn+sfs': 'learned network refined by shading' };

function renderReadout(v: ViewData): void {
  const deg = (x: number) => `${x >= 0 ? '+' : '−'}${Math.abs(x).toFixed(1)}°`;
  const emo = [...EMOTIONS].sort((a, b) => v.analysis.emotions[b] - v.analysis.emotions[a]);
  const bars = emo
    .map((e) => {
      const p = v.analysis.emotions[e] * 100;
      return `<div class="bar"><span>${e}</span><span class="track"><span style="width:${p.toFixed(1)}%"></span></span><span class="pct">${p.toFixed(0)}%</span></div>`;
    })
    .join('');
  els.readout.innerHTML = `
    <div id="pose">Head pose: yaw <b>${deg(v.pose.yawDeg)}</b>, pitch <b>${deg(v.pose.pitchDeg)}</b>, roll <b>${deg(v.pose.rollDeg)}</b></div>
    <div>Scale: ${v.mmPerPixel.toFixed(3)} mm per pixel · focal ${v.camera.focal35mm.toFixed(0)} mm (35 mm eq., ${v.camera.focalSource === 'exif' ? 'from EXIF' : v.camera.focalSource === 'user' ? 'set by you' : 'default'})</div>
    <div>Landmark confidence: ${(v.analysis.score * 100).toFixed(0)}%${v.detailRmsMm !== undefined ? ` · detail RMS ${v.detailRmsMm.toFixed(2)} mm` : ''}</div>
    <div id="detail-method">Detail: ${DETAIL_LABEL[v.detailMethod]}${v.dfdn ? ` (network: ${v.dfdn.patches} patches, ${fmtMs(v.dfdn.ms.network)})` : ''}</div>
    <div id="emotion" style="margin-top:6px">Emotion: <b>${emo[0]}</b></div>
    ${bars}`;
}

function renderTimings(t: Record<string, number>): void {
  const rows = [...STAGES, 'total', 'modelLoad'].filter((k) => t[k] !== undefined);
  els.timings.innerHTML = rows.map((k) => `<tr><td>${k === 'modelLoad' ? 'model load (once)' : k}</td><td>${fmtMs(t[k]!)}</td></tr>`).join('');
}

function setDownloads(on: boolean): void {
  for (const b of document.querySelectorAll<HTMLButtonElement>('[data-download]')) b.disabled = !on;
}
for (const b of document.querySelectorAll<HTMLButtonElement>('[data-download]')) {
  b.addEventListener('click', () => {
    if (!result) return;
    const stem = result.view.sourceName.replace(/\.[^.]*$/, '') || 'face';
    const { name, bytes, type } = makeBundle(result.files, stem, b.dataset['download'] as BundleKind);
    saveBytes(bytes, name, type);
  });
}

function fmtMs(ms: number): string {
  return ms >= 1000 ? `${(ms / 1000).toFixed(2)} s` : `${ms.toFixed(0)} ms`;
}

resetStages();
startWorker();

/**
 * The facedetail web app's page: photo input (file, drop, camera), progress, errors, the 3D
 * viewer, the alignment overlay, the face readout and the downloads. The pipeline itself runs in
 * a worker (src/web/worker.ts) with the same core as the Node CLI.
 */
import { DETAIL_METHODS, EMOTIONS, STAGES, type DetailMethod, type StageName } from '../core/index.js';
import { makeAllFacesBundle, makeBundle, saveBytes, Zipper, type BundleKind } from './downloads.js';
import { drawOverlay } from './overlay.js';
import type { DfdnProbeResult, FaceChoice, FoundFace, FromWorker, ToWorker, ViewData, WebRunOptions } from './protocol.js';
import { PuppetController } from './puppet.js';
import { FaceViewer, VIEWER_DEFAULTS, type ViewerSettings } from './viewer.js';
import type { WasmThreading } from './wasm-threads.js';

type State = 'loading' | 'idle' | 'running' | 'choosing' | 'done' | 'error';

/** What the page exposes for scripts and end-to-end tests (`window.facedetail`). */
interface PageApi {
  state: State;
  /** Number of runs started (a photo chosen, dropped or taken, a face picked, "Run again"). */
  runs: number;
  /** Runs stopped before they finished (a new photo chosen mid-run, or Stop); each restarts the worker. */
  cancelled: number;
  /** Times the pipeline worker was started (1 + one per cancellation or crash). */
  workerStarts: number;
  /** Milliseconds per stage of the shown reconstruction (and `total`; `modelLoad` once). */
  timings: Record<string, number>;
  error: { code: string; message: string } | undefined;
  /** The options form's problems by field id (`opt-strength`, `opt-focal`); empty when valid. */
  formErrors: Record<string, string>;
  backend: string | undefined;
  /** How the wasm backends run: threads where the page is cross-origin isolated (also in the console's debug log). */
  wasm: WasmThreading | undefined;
  /** The faces found in the last photo with several (image pixels, largest first), while or after the user picks. */
  faces: FoundFace[] | undefined;
  /** Zips being built in the zip worker now. */
  zipping: number;
  /** Reconstructions shown for the current photo (one, or one per face after "Reconstruct all"). */
  resultCount: number;
  /** The shown reconstruction's analysis and pose (plain numbers). */
  result: {
    sourceName: string; face: number; faceCount: number; box: [number, number, number, number]; detailStrength: number;
    width: number; height: number; landmarks: number[]; pose: { yawDeg: number; pitchDeg: number; rollDeg: number }; emotions: Record<string, number>; mmPerPixel: number; vertices: number; detailMethod: string; dfdn: ViewData['dfdn'];
  } | undefined;
  /** Where face `i` is drawn on the picker, in CSS pixels from the picker canvas's top-left corner. */
  pickerPoint(i: number): { x: number; y: number } | undefined;
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
  state: 'loading', runs: 0, cancelled: 0, workerStarts: 0, timings: {}, error: undefined, formErrors: {}, backend: undefined, wasm: undefined, faces: undefined, zipping: 0, resultCount: 0, result: undefined,
  pickerPoint: (i) => pickerPoint(i),
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
  cancel: $<HTMLButtonElement>('cancel'),
  form: $<HTMLFormElement>('options-form'),
  optRes: $<HTMLSelectElement>('opt-res'),
  optStrength: $<HTMLInputElement>('opt-strength'),
  optDetail: $<HTMLSelectElement>('opt-detail'),
  optModel: $<HTMLSelectElement>('opt-model'),
  optRig: $<HTMLInputElement>('opt-rig'),
  optFocal: $<HTMLInputElement>('opt-focal'),
  status: $<HTMLDivElement>('status'),
  error: $<HTMLDivElement>('error'),
  errorTitle: $<HTMLElement>('error-title'),
  errorMessage: $<HTMLElement>('error-message'),
  stages: $<HTMLOListElement>('stages'),
  viewPanel: $<HTMLElement>('view-panel'),
  faces: $<HTMLDivElement>('faces'),
  facesTitle: $<HTMLElement>('faces-title'),
  facesAll: $<HTMLButtonElement>('faces-all'),
  facesList: $<HTMLDivElement>('faces-list'),
  faceTabs: $<HTMLDivElement>('face-tabs'),
  faceTabButtons: $<HTMLSpanElement>('face-tab-buttons'),
  facesAgain: $<HTMLButtonElement>('faces-again'),
  viewer: $<HTMLCanvasElement>('viewer'),
  viewerNote: $<HTMLDivElement>('viewer-note'),
  picker: $<HTMLCanvasElement>('picker'),
  controls: $<HTMLFieldSetElement>('controls'),
  texture: $<HTMLSelectElement>('texture'),
  normalMap: $<HTMLInputElement>('normal-map'),
  strength: $<HTMLInputElement>('strength'),
  strengthValue: $<HTMLOutputElement>('strength-value'),
  exportStrength: $<HTMLButtonElement>('export-strength'),
  lightAz: $<HTMLInputElement>('light-az'),
  lightEl: $<HTMLInputElement>('light-el'),
  resetView: $<HTMLButtonElement>('reset-view'),
  overlay: $<HTMLCanvasElement>('overlay'),
  ovControls: $<HTMLFieldSetElement>('ov-controls'),
  ovMesh: $<HTMLInputElement>('ov-mesh'),
  ovLandmarks: $<HTMLInputElement>('ov-landmarks'),
  readout: $<HTMLDivElement>('readout'),
  timings: $<HTMLTableElement>('timings'),
};

function setState(s: State): void {
  api.state = s;
  document.body.dataset['state'] = s;
  els.cancel.hidden = s !== 'running';
  updateViewerNote();
}

// ---- photos, runs and results -------------------------------------------------------------
/** A chosen photo; `id` lets the worker reuse its decode and analysis when a face is picked. */
interface Photo { id: number; file: Blob; name: string }
/** One reconstructed face, as the viewer, overlay and downloads use it. */
interface FaceResult {
  face: number;
  faceCount: number;
  files: Record<string, Uint8Array>;
  view: ViewData;
  /** The options it was made with (the downloads' detail strength). */
  options: WebRunOptions;
  /** The detailed mesh's undisplaced positions (arrive just after the result). */
  base: Float32Array | undefined;
}
/** A run: a photo, which faces, the options; its results as they arrive. */
interface Run {
  id: number;
  photo: Photo;
  choice: FaceChoice;
  options: WebRunOptions;
  results: FaceResult[];
  /** Posted to the worker and not finished (a new photo then cancels it). */
  inWorker: boolean;
  /** Results are shown in order, one after the other (each awaits textures). */
  chain: Promise<void>;
}

let worker: Worker;
let ready = false;
let runId = 0;
let photoSeq = 0;
/** The latest run (late messages of any earlier one are ignored). */
let current: Run | undefined;
/** The photo of the latest run: "Run again" and the face picker use it. */
let lastPhoto: Photo | undefined;
/** The run whose results are shown (the worker knows their rigs by it). */
let shownRunId: number | undefined;
/** What the viewer shows: the results of one run (kept until a later run has a result). */
let shown: { photo: Photo; bitmap: ImageBitmap; results: FaceResult[]; index: number } | undefined;
/** The faces of the last photo that had several, for the picker. */
let found: { photo: Photo; width: number; height: number; faces: FoundFace[] } | undefined;
/** The photo drawn on the picker, and where (image px → canvas CSS px: x·k + ox). */
let pickerFit: { bitmap: ImageBitmap; k: number; ox: number; oy: number } | undefined;
const zipper = new Zipper();

function startWorker(): void {
  ready = false;
  api.workerStarts++;
  const w = new Worker(new URL('./worker.ts', import.meta.url), { type: 'module', name: 'facedetail-pipeline' });
  worker = w;
  // A terminated worker posts nothing more; the check also covers messages already queued.
  w.onmessage = (ev: MessageEvent<FromWorker>) => { if (w === worker) onWorkerMessage(ev.data); };
  w.onerror = (ev) => {
    ev.preventDefault();
    if (w !== worker) return;
    if (current) current.inWorker = false;
    showError('INTERNAL', `The processing worker stopped (${ev.message || 'out of memory?'}). Try a smaller photo or a smaller map resolution.`);
    restartWorker();
  };
  const base = document.baseURI;
  const init: ToWorker = {
    type: 'init', baseUrl: new URL('./', base).href, modelBaseUrl: new URL('models/', base).href, wasmBaseUrl: new URL('wasm/', base).href, dfdnBaseUrl: new URL('models/dfdn/', base).href,
    ictModelUrl: new URL('models/ict/ict-compact.bin', base).href,
  };
  w.postMessage(init);
}

/** Stops the worker (and whatever it was computing) and starts a fresh one. */
function restartWorker(): void {
  puppet.onWorkerRestart();
  worker.terminate();
  for (const p of probes.values()) p.reject(new Error('the worker was restarted'));
  probes.clear();
  startWorker();
}

function onWorkerMessage(msg: FromWorker): void {
  const run = current;
  if (msg.type === 'puppet-ready' || msg.type === 'puppet-frame' || (msg.type === 'error' && puppet.owns(msg.id))) {
    puppet.onWorkerMessage(msg);
    return;
  }
  switch (msg.type) {
    case 'ready':
      ready = true;
      api.backend = msg.backend;
      api.wasm = msg.wasm;
      console.debug(`facedetail: wasm ${msg.wasm.simd ? 'SIMD' : 'no SIMD'}, ${msg.wasm.multithread ? `threads (tfjs ${msg.wasm.tfjsThreads}, onnxruntime ${msg.wasm.ortThreads})` : 'single-threaded'}; cross-origin isolated: ${msg.wasm.isolated}`);
      api.timings['modelLoad'] ??= msg.ms;
      if (api.state === 'loading') {
        setState('idle');
        setStatus(`Ready (models loaded in ${(msg.ms / 1000).toFixed(1)} s). Choose a photo.`);
      }
      if (run && !run.inWorker && api.state === 'running') post(run);
      break;
    case 'progress':
      if (run === undefined || msg.id !== run.id) return;
      markStage(msg.stage, msg.done, msg.ms, msg.face);
      if (!msg.done) {
        const of = run.choice === 'all' && msg.face !== undefined && found ? `Face ${msg.face + 1} of ${found.faces.length}: ` : '';
        setStatus(`${of}${STAGE_LABEL[msg.stage]}…`);
      }
      break;
    case 'faces':
      if (run === undefined || msg.id !== run.id) return;
      run.chain = run.chain.then(() => showPicker(run, msg.width, msg.height, msg.faces));
      break;
    case 'result':
      if (run === undefined || msg.id !== run.id) return;
      run.chain = run.chain.then(() => addResult(run, { face: msg.face, faceCount: msg.faceCount, files: msg.files, view: msg.view, options: run.options, base: undefined }));
      break;
    case 'base':
      if (run === undefined || msg.id !== run.id) return;
      run.chain = run.chain.then(() => setBase(run, msg.face, msg.positions));
      break;
    case 'done':
      if (run === undefined || msg.id !== run.id) return;
      run.inWorker = false;
      run.chain = run.chain.then(() => finishRun(run));
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
      if (msg.id !== undefined && (run === undefined || msg.id !== run.id)) return;
      if (run && msg.id !== undefined) run.inWorker = false;
      if (run && msg.id !== undefined) run.chain = run.chain.then(() => { if (run.id === runId) showError(msg.code, msg.message); });
      else showError(msg.code, msg.message);
      break;
  }
}

const STAGE_LABEL: Record<StageName, string> = {
  decode: 'Decoding the photo',
  analyze: 'Finding the faces and their landmarks',
  camera: 'Estimating camera and head pose',
  proxy: 'Building the proxy mesh',
  unwrap: 'Unwrapping the texture',
  lighting: 'Estimating the lighting',
  detail: 'Synthesising the fine detail',
  mesh: 'Building the detailed mesh',
  export: 'Writing GLB, OBJ, PLY and maps',
};

/** A new photo: reconstruct its face, or ask which one when it has several. */
function choosePhoto(file: Blob, name: string): void {
  found = undefined;
  api.faces = undefined;
  startRun({ id: ++photoSeq, file, name }, 'ask');
}

/**
 * Starts a run on `photo` with the form's options; a run still in the worker is cancelled (the
 * worker is restarted: its computation stops and none of its messages arrive). With invalid
 * options nothing starts: the form says what to fix, and the shown result stays.
 */
function startRun(photo: Photo, choice: FaceChoice): void {
  lastPhoto = photo;
  els.rerun.disabled = false;
  const options = validateForm(true);
  if (!options) {
    hidePicker();
    setStatus(`Fix the highlighted option, then press “Run again” to process ${photo.name}.`);
    if (api.state === 'running' || api.state === 'choosing') setState(shown ? 'done' : 'idle');
    return;
  }
  if (current?.inWorker) cancelRun();
  puppet.stop();
  api.runs++;
  hideError();
  hidePicker();
  resetStages();
  const run: Run = { id: ++runId, photo, choice, options, results: [], inWorker: false, chain: Promise.resolve() };
  current = run;
  setState('running');
  if (ready) post(run);
  else setStatus('Waiting for the face-analysis models to load…');
}

function post(run: Run): void {
  run.inWorker = true;
  setStatus(`Processing ${run.photo.name}…`);
  const msg: ToWorker = { type: 'run', id: run.id, photoId: run.photo.id, file: run.photo.file, name: run.photo.name, options: run.options, face: run.choice };
  worker.postMessage(msg);
}

/** Stops the run in the worker: it is restarted, so the old run can neither continue nor post. */
function cancelRun(): void {
  if (current) current.inWorker = false;
  current = undefined;
  api.cancelled++;
  restartWorker();
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

let stagesFace: number | undefined;
function markStage(stage: StageName, done: boolean, ms?: number, face?: number): void {
  if (face !== stagesFace && face !== undefined) {
    // The next face of "Reconstruct all": its stages start afresh (decode and analyze stay done).
    for (const li of els.stages.querySelectorAll<HTMLLIElement>('li')) {
      if (li.dataset['stage'] === 'decode' || li.dataset['stage'] === 'analyze') continue;
      li.className = '';
      delete li.dataset['ms'];
      li.querySelector('.ms')!.textContent = '';
    }
  }
  stagesFace = face;
  const li = els.stages.querySelector<HTMLLIElement>(`li[data-stage="${stage}"]`);
  if (!li) return;
  li.className = done ? 'done' : 'running';
  if (done && ms !== undefined) {
    const prev = Number(li.dataset['ms'] ?? 0) + ms;
    li.dataset['ms'] = String(prev);
    li.querySelector('.ms')!.textContent = fmtMs(prev);
  }
}

const bitmaps = new Map<number, Promise<ImageBitmap>>();
/** The photo as a bitmap (overlay, picker); kept for the shown and the latest photo only. */
function bitmapOf(photo: Photo): Promise<ImageBitmap> {
  let b = bitmaps.get(photo.id);
  if (!b) {
    b = createImageBitmap(photo.file, { imageOrientation: 'from-image' });
    bitmaps.set(photo.id, b);
  }
  for (const [id, p] of bitmaps) {
    if (id !== photo.id && id !== shown?.photo.id && id !== found?.photo.id) {
      bitmaps.delete(id);
      void p.then((x) => x.close(), () => undefined);
    }
  }
  return b;
}

async function addResult(run: Run, r: FaceResult): Promise<void> {
  if (run.id !== runId) return;
  const bitmap = await bitmapOf(run.photo);
  if (run.id !== runId) return; // a newer photo was chosen meanwhile
  run.results.push(r);
  if (run.results.length === 1) {
    // The run's first face replaces what was shown (kept until now, also through errors).
    shown = { photo: run.photo, bitmap, results: run.results, index: 0 };
    shownRunId = run.id;
    await display(0);
    if (run.id !== runId) return;
    const box = els.viewer.getBoundingClientRect();
    if (box.top < 0 || box.bottom > window.innerHeight) els.viewPanel.scrollIntoView({ block: 'start' });
  } else {
    renderFaceTabs();
  }
  api.resultCount = shown?.results.length ?? 0;
}

function setBase(run: Run, face: number, positions: Float32Array): void {
  const r = run.results.find((x) => x.face === face);
  if (!r) return;
  r.base = positions;
  if (shown?.results[shown.index] === r) {
    viewer.setDetailBase(positions);
    applyViewer();
  }
}

function finishRun(run: Run): void {
  if (run.id !== runId || api.state !== 'running') return;
  const r = shown?.results[shown.index];
  if (!r || run.results.length === 0) return;
  const n = run.results.length;
  const total = n === 1 ? r.view.timings['total']! : run.results.reduce((s, x) => s + (x.view.timings['total'] ?? 0), 0);
  const warn = r.view.warnings.length ? ` Note: ${r.view.warnings.join('; ')}.` : '';
  setStatus(`Done in ${(total / 1000).toFixed(1)} s${n > 1 ? ` (${n} faces)` : ''}.${warn}`);
  setState('done');
}

/** Shows result `index` of the shown run in the viewer, overlay, readout and downloads. */
async function display(index: number): Promise<void> {
  if (!shown) return;
  const s = shown, r = s.results[index]!;
  s.index = index;
  const v = r.view;
  api.result = {
    sourceName: v.sourceName, face: r.face, faceCount: r.faceCount, box: v.analysis.box, detailStrength: r.options.detailStrength,
    width: v.width, height: v.height, landmarks: [...v.analysis.landmarks], pose: { yawDeg: v.pose.yawDeg, pitchDeg: v.pose.pitchDeg, rollDeg: v.pose.rollDeg },
    emotions: { ...v.analysis.emotions }, mmPerPixel: v.mmPerPixel, vertices: v.detailed.positions.length / 3, detailMethod: v.detailMethod, dfdn: v.dfdn,
  };
  api.timings = { ...v.timings, ...(api.timings['modelLoad'] !== undefined ? { modelLoad: api.timings['modelLoad'] } : {}) };
  await viewer.show(v);
  if (shown !== s || s.index !== index) return; // superseded while the textures were decoding
  if (r.base) viewer.setDetailBase(r.base);
  // The preview strength starts at the strength the files were made with.
  els.strength.value = String(r.options.detailStrength);
  applyViewer();
  document.body.dataset['hasResult'] = 'yes';
  els.controls.disabled = false;
  els.ovControls.disabled = false;
  redrawOverlay();
  renderReadout(v);
  renderTimings(api.timings);
  renderFaceTabs();
  setDownloads(true);
  updateViewerNote();
  const rigGlb = r.files['rig.glb'];
  const base = v.sourceName.replace(/\.[^.]*$/, '') || 'face';
  puppet.setRig(rigGlb && shownRunId !== undefined ? { glb: rigGlb, runId: shownRunId, face: r.face, stem: r.faceCount > 1 ? `${base}_face${r.face}` : base } : undefined);
}

function renderFaceTabs(): void {
  const s = shown;
  const many = s !== undefined && s.results.length > 1;
  const pickable = s !== undefined && found !== undefined && found.photo.id === s.photo.id && found.faces.length > 1;
  els.faceTabs.hidden = !many && !pickable;
  if (!s) return;
  els.faceTabButtons.replaceChildren(
    ...(many ? s.results : []).map((r, i) => {
      const b = document.createElement('button');
      b.type = 'button';
      b.textContent = String(r.face + 1);
      b.dataset['face'] = String(r.face);
      b.setAttribute('aria-pressed', String(i === s.index));
      b.addEventListener('click', () => { void display(i); });
      return b;
    }),
  );
  els.facesAgain.hidden = !pickable;
  const all = document.querySelector<HTMLButtonElement>('[data-download="all"]')!;
  all.hidden = !many;
}

function updateViewerNote(): void {
  const s = shown, st = api.state;
  const note = s && (st === 'running' || st === 'error') ? `Showing the previous result (${s.photo.name}${s.results.length > 1 ? `, face ${(s.results[s.index]?.face ?? 0) + 1}` : ''}).` : '';
  els.viewerNote.textContent = note;
  els.viewerNote.hidden = note === '';
}

// ---- several faces: the picker --------------------------------------------------------------
async function showPicker(run: Run, width: number, height: number, faces: FoundFace[]): Promise<void> {
  if (run.id !== runId) return;
  found = { photo: run.photo, width, height, faces };
  api.faces = faces;
  const bitmap = await bitmapOf(run.photo);
  if (run.id !== runId) return;
  els.facesTitle.textContent = `${faces.length} faces found`;
  els.facesAll.textContent = `Reconstruct all ${faces.length}`;
  els.facesList.replaceChildren(
    ...faces.map((_, i) => {
      const b = document.createElement('button');
      b.type = 'button';
      b.textContent = String(i + 1);
      b.title = `Reconstruct face ${i + 1}`;
      b.addEventListener('click', () => pickFace(i));
      return b;
    }),
  );
  els.faces.hidden = false;
  els.faceTabs.hidden = true; // the shown result's face switcher belongs to another photo, or comes back after the pick
  els.picker.hidden = false;
  els.viewerNote.hidden = true;
  drawPicker(bitmap);
  for (const li of els.stages.querySelectorAll('li.running')) li.className = '';
  setStatus(`${faces.length} faces found in ${run.photo.name}. Click the one to reconstruct, or reconstruct all.`);
  setState('choosing');
  const box = els.picker.getBoundingClientRect();
  if (box.top < 0 || box.bottom > window.innerHeight) els.viewPanel.scrollIntoView({ block: 'start' });
}

function hidePicker(): void {
  els.faces.hidden = true;
  els.picker.hidden = true;
  pickerFit = undefined;
  renderFaceTabs();
}

/** The whole photo, fitted into the picker, with every face's box and number. */
function drawPicker(bitmap: ImageBitmap, hover?: number): void {
  if (!found) return;
  const c = els.picker, dpr = window.devicePixelRatio || 1;
  const cw = c.clientWidth || 600, ch = c.clientHeight || 400;
  c.width = Math.round(cw * dpr);
  c.height = Math.round(ch * dpr);
  const k = Math.min(cw / found.width, ch / found.height);
  const ox = (cw - found.width * k) / 2, oy = (ch - found.height * k) / 2;
  pickerFit = { bitmap, k, ox, oy };
  const ctx = c.getContext('2d')!;
  ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
  ctx.fillStyle = '#000';
  ctx.fillRect(0, 0, cw, ch);
  ctx.drawImage(bitmap, ox, oy, found.width * k, found.height * k);
  const font = Math.max(11, Math.min(18, cw / 40));
  ctx.font = `600 ${font}px system-ui, sans-serif`;
  ctx.textBaseline = 'top';
  found.faces.forEach((f, i) => {
    const [x, y, w, h] = f.box;
    const X = ox + x * k, Y = oy + y * k, W = w * k, H = h * k;
    ctx.lineWidth = i === hover ? 3 : 2;
    ctx.strokeStyle = i === hover ? '#ffd54f' : '#4fc3f7';
    ctx.strokeRect(X, Y, W, H);
    const label = String(i + 1), tw = ctx.measureText(label).width + 8;
    ctx.fillStyle = i === hover ? '#ffd54f' : '#4fc3f7';
    ctx.fillRect(X, Math.max(0, Y - font - 6), tw, font + 6);
    ctx.fillStyle = '#000';
    ctx.fillText(label, X + 4, Math.max(0, Y - font - 6) + 3);
  });
}

/** The face under a point of the picker (CSS px from its corner): the smallest box that contains it, with a little margin. */
function faceAt(px: number, py: number): number | undefined {
  if (!found || !pickerFit) return undefined;
  const { k, ox, oy } = pickerFit;
  const x = (px - ox) / k, y = (py - oy) / k;
  let best: number | undefined, bestArea = Infinity;
  found.faces.forEach((f, i) => {
    const [bx, by, bw, bh] = f.box, m = 0.1 * Math.max(bw, bh);
    if (x >= bx - m && x <= bx + bw + m && y >= by - m && y <= by + bh + m && bw * bh < bestArea) {
      best = i;
      bestArea = bw * bh;
    }
  });
  return best;
}

function pickerPoint(i: number): { x: number; y: number } | undefined {
  const f = found?.faces[i];
  if (!f || !pickerFit) return undefined;
  const [x, y, w, h] = f.box;
  return { x: pickerFit.ox + (x + w / 2) * pickerFit.k, y: pickerFit.oy + (y + h / 2) * pickerFit.k };
}

function pickFace(i: number | 'all'): void {
  if (found) startRun(found.photo, i);
}

els.picker.addEventListener('click', (e) => {
  const r = els.picker.getBoundingClientRect();
  const i = faceAt(e.clientX - r.left, e.clientY - r.top);
  if (i !== undefined) pickFace(i);
});
els.picker.addEventListener('mousemove', (e) => {
  if (!pickerFit) return;
  const r = els.picker.getBoundingClientRect();
  drawPicker(pickerFit.bitmap, faceAt(e.clientX - r.left, e.clientY - r.top));
});
new ResizeObserver(() => { if (pickerFit && !els.picker.hidden) drawPicker(pickerFit.bitmap); }).observe(els.picker);
els.facesAll.addEventListener('click', () => pickFace('all'));
els.facesAgain.addEventListener('click', () => {
  if (!found || api.state === 'running') return;
  hideError();
  void showPicker({ id: runId, photo: found.photo, choice: 'ask', options: readOptionsUnchecked(), results: [], inWorker: false, chain: Promise.resolve() }, found.width, found.height, found.faces);
});

// ---- options: validated in the form ---------------------------------------------------------------
interface NumberField { el: HTMLInputElement; error: HTMLElement; label: string; optional: boolean }
const NUMBER_FIELDS: NumberField[] = [
  { el: els.optStrength, error: $('opt-strength-error'), label: 'Detail strength', optional: false },
  { el: els.optFocal, error: $('opt-focal-error'), label: '35 mm focal length', optional: true },
];

/** What is wrong with a number field (its own min and max are the limits), or undefined. */
function fieldProblem(f: NumberField): string | undefined {
  const raw = f.el.value.trim(), min = Number(f.el.min), max = Number(f.el.max);
  const range = `between ${min} and ${max}`;
  if (f.el.validity.badInput) return `${f.label} must be a number ${range}.`;
  if (raw === '') return f.optional ? undefined : `${f.label} is required: a number ${range}.`;
  const v = Number(raw);
  if (!Number.isFinite(v)) return `${f.label} must be a number ${range}.`;
  if (v < min || v > max) return `${f.label} must be ${range}; ${raw} is too ${v < min ? 'small' : 'large'}.`;
  return undefined;
}

/**
 * Checks the form and shows each problem at its field. Returns the options when all are valid;
 * `focus` moves the focus to the first invalid field.
 */
function validateForm(focus = false): WebRunOptions | undefined {
  const problems: Record<string, string> = {};
  for (const f of NUMBER_FIELDS) {
    const p = fieldProblem(f);
    f.el.setCustomValidity(p ?? '');
    f.el.setAttribute('aria-invalid', String(p !== undefined));
    f.error.textContent = p ?? '';
    f.error.hidden = p === undefined;
    if (p) problems[f.el.id] = p;
  }
  api.formErrors = problems;
  const first = NUMBER_FIELDS.find((f) => problems[f.el.id]);
  if (first) {
    if (focus) first.el.focus();
    return undefined;
  }
  return readOptionsUnchecked();
}

function readOptionsUnchecked(): WebRunOptions {
  const res = Number(els.optRes.value) || 512;
  const focal = els.optFocal.value.trim() === '' ? undefined : Number(els.optFocal.value);
  return {
    detailResolution: res,
    textureResolution: res,
    detailStrength: Number(els.optStrength.value),
    focalLength35mm: focal,
    detail: (DETAIL_METHODS as readonly string[]).includes(els.optDetail.value) ? els.optDetail.value as DetailMethod : 'dfdn',
    model: els.optModel.value === 'ict' ? 'ict' : 'facemesh',
    rig: els.optModel.value === 'ict' && els.optRig.checked ? 'arkit' : 'none',
  };
}
/** The rig needs the ICT model: the checkbox is enabled with it only. */
function syncRigOption(): void {
  els.optRig.disabled = els.optModel.value !== 'ict';
}
els.optModel.addEventListener('input', syncRigOption);
syncRigOption();
for (const f of NUMBER_FIELDS) f.el.addEventListener('input', () => validateForm());
els.form.addEventListener('submit', (e) => { e.preventDefault(); if (lastPhoto) startRun(lastPhoto, rerunChoice()); });

// ---- errors -------------------------------------------------------------------------------
const ERROR_TITLE: Record<string, string> = {
  NO_FACE: 'No face found',
  UNSUPPORTED_IMAGE: 'Unsupported file type',
  CORRUPT_IMAGE: 'The file is damaged',
  IMAGE_TOO_LARGE: 'Image too large',
  IMAGE_TOO_SMALL: 'Image too small',
  INVALID_OPTION: 'An option is out of range',
  MODEL_LOAD_FAILED: 'A model did not load',
  MODEL_CACHE_INVALID: 'A model file is damaged',
  NO_CAMERA: 'No camera found',
  CAMERA_DENIED: 'Camera access is blocked',
  CAMERA_BUSY: 'The camera is in use',
  CAMERA: 'The camera could not be opened',
  INTERNAL: 'Processing stopped',
};

function showError(code: string, message: string): void {
  api.error = { code, message };
  els.errorTitle.textContent = ERROR_TITLE[code] ?? 'Something went wrong';
  els.errorMessage.textContent = message;
  els.error.hidden = false;
  els.error.dataset['code'] = code;
  for (const li of els.stages.querySelectorAll('li.running')) li.className = '';
  const kept = shown ? ` The previous result (${shown.photo.name}) is still shown.` : '';
  setStatus(
    code === 'MODEL_LOAD_FAILED' && api.state === 'loading' ? 'Reload the page to try again.'
      : code.startsWith('MODEL_') ? `Choose another detail method, or reload the page.${kept}`
        : code.startsWith('CAMERA') || code === 'NO_CAMERA' ? 'Choose a photo instead.'
          : `Choose another photo.${kept}`,
  );
  if (api.state !== 'loading' || code !== 'MODEL_LOAD_FAILED') setState('error');
}

function hideError(): void {
  api.error = undefined;
  els.error.hidden = true;
}

function setStatus(text: string): void {
  els.status.textContent = text;
}

/** "Run again" re-runs what is shown: the same face, or all of them. */
function rerunChoice(): FaceChoice {
  if (shown && lastPhoto && shown.photo.id === lastPhoto.id) return shown.results.length > 1 ? 'all' : (shown.results[shown.index]?.face ?? 'ask');
  return 'ask';
}

// ---- input: file, drop, camera ----------------------------------------------------------------
els.file.addEventListener('change', () => {
  const f = els.file.files?.[0];
  if (f) choosePhoto(f, f.name);
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
  if (f) choosePhoto(f, f.name);
});
// A photo dropped anywhere else must not navigate away from the page.
window.addEventListener('dragover', (e) => e.preventDefault());
window.addEventListener('drop', (e) => e.preventDefault());
els.rerun.addEventListener('click', () => { if (lastPhoto) startRun(lastPhoto, rerunChoice()); });
els.cancel.addEventListener('click', () => {
  if (!current?.inWorker) return;
  cancelRun();
  for (const li of els.stages.querySelectorAll('li.running')) li.className = '';
  setStatus(`Stopped.${shown ? ` The previous result (${shown.photo.name}) is still shown.` : ''}`);
  setState(shown ? 'done' : 'idle');
});

let stream: MediaStream | undefined;
if (navigator.mediaDevices && typeof navigator.mediaDevices.getUserMedia === 'function') els.cameraOpen.hidden = false;
els.cameraOpen.addEventListener('click', async () => {
  try {
    stream = await navigator.mediaDevices.getUserMedia({ video: { facingMode: 'user', width: { ideal: 1920 }, height: { ideal: 1080 } }, audio: false });
  } catch (e) {
    const [code, message] = cameraError(e);
    showError(code, message);
    return;
  }
  els.video.srcObject = stream;
  await els.video.play();
  els.cameraBox.hidden = false;
});
/** A plain error for a failed getUserMedia (DOMException names as in the Media Capture spec). */
function cameraError(e: unknown): [string, string] {
  const name = e instanceof DOMException || e instanceof Error ? e.name : '';
  if (name === 'NotFoundError' || name === 'OverconstrainedError') return ['NO_CAMERA', 'This device has no camera, or the browser cannot see one. Connect a camera, or choose a photo instead.'];
  if (name === 'NotAllowedError' || name === 'SecurityError') return ['CAMERA_DENIED', 'The browser was not allowed to use the camera. Allow camera access for this page (the icon in the address bar), or choose a photo instead.'];
  if (name === 'NotReadableError' || name === 'AbortError') return ['CAMERA_BUSY', 'The camera is in use by another application or could not start. Close the other application, or choose a photo instead.'];
  return ['CAMERA', `The camera could not be opened (${e instanceof Error ? e.message : String(e)}). Choose a photo instead.`];
}

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
    choosePhoto(blob, `camera-${new Date().toISOString().replace(/[:.]/g, '-')}.jpg`);
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
/**
 * The preview slider shows the absolute detail strength (as the option); the viewer scales the
 * exported displacement by preview ÷ exported. A result made at strength 0 has no displacement
 * to scale.
 */
function applyViewer(): void {
  const s = viewerSettings();
  const made = shown?.results[shown.index]?.options.detailStrength ?? 1;
  els.strengthValue.textContent = s.strength.toFixed(1);
  els.strength.disabled = s.mesh === 'proxy' || !viewer.canRescaleDetail || made === 0;
  const differs = shown !== undefined && Math.abs(s.strength - made) > 1e-9 && !els.strength.disabled;
  els.exportStrength.hidden = !differs;
  els.exportStrength.textContent = `Make the files at ${s.strength.toFixed(1)}`;
  els.exportStrength.title = `The downloads have detail strength ${made}; run again with ${s.strength.toFixed(1)}`;
  viewer.apply({ ...s, strength: made > 0 ? s.strength / made : 1 });
}
els.exportStrength.addEventListener('click', () => {
  els.optStrength.value = Number(els.strength.value).toFixed(1);
  if (lastPhoto && shown) startRun(shown.photo, rerunChoice());
});
for (const el of [els.texture, els.normalMap, els.strength, els.lightAz, els.lightEl, ...document.querySelectorAll<HTMLInputElement>('input[name="mesh"]')]) {
  el.addEventListener('input', applyViewer);
}
els.resetView.addEventListener('click', () => viewer.resetView());
viewer.apply({ ...VIEWER_DEFAULTS });
const puppet = new PuppetController({
  viewer,
  post: (msg, transfer) => worker.postMessage(msg, transfer ?? []),
  showError: (code, message) => showError(code, message),
  cameraError: (e) => cameraError(e),
  setStatus: (text) => setStatus(text),
});

function redrawOverlay(): void {
  const r = shown?.results[shown.index];
  if (shown && r) drawOverlay(els.overlay, shown.bitmap, r.view, { mesh: els.ovMesh.checked, landmarks: els.ovLandmarks.checked });
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
  b.addEventListener('click', () => void download(b));
}

/** Builds (zips in the zip worker) and saves one download; the button says so meanwhile. */
async function download(b: HTMLButtonElement): Promise<void> {
  const s = shown, r = s?.results[s.index];
  if (!s || !r || b.dataset['busy']) return;
  const base = r.view.sourceName.replace(/\.[^.]*$/, '') || 'face';
  const stem = r.faceCount > 1 ? `${base}_face${r.face}` : base;
  const kind = b.dataset['download']!;
  const label = b.textContent;
  b.dataset['busy'] = '1';
  b.textContent = kind === 'glb' || kind === 'ply' ? label : 'Zipping…';
  api.zipping++;
  try {
    const { name, bytes, type } = kind === 'all' ? await makeAllFacesBundle(zipper, s.results, base) : await makeBundle(zipper, r.files, stem, kind as BundleKind);
    saveBytes(bytes, name, type);
  } catch (e) {
    showError('INTERNAL', `The download could not be built (${e instanceof Error ? e.message : String(e)}).`);
  } finally {
    api.zipping--;
    delete b.dataset['busy'];
    b.textContent = label;
  }
}

function fmtMs(ms: number): string {
  return ms >= 1000 ? `${(ms / 1000).toFixed(2)} s` : `${ms.toFixed(0)} ms`;
}

resetStages();
startWorker();

/**
 * The page's live puppeteering of the ARKit rig ("Animate with webcam"): the camera at 640×480,
 * one frame at a time to the pipeline worker (Human's face mesh → the core's expression
 * tracker, src/core/rig/track-expression.ts), the smoothed weights and head rotation applied to
 * rig.glb in the viewer, an fps readout, a slider per blend shape (they follow the webcam while
 * it drives; moving one sets that weight), and "Export rig": rig.glb with the weights of the
 * moment as its default weights.
 *
 * Frames: from the camera track itself where the browser can (Chromium's MediaStreamTrackProcessor:
 * WebCodecs VideoFrames in the capture's own memory, which the worker reads without a canvas),
 * else from the <video> element. Pacing: one frame in flight; of the frames that arrive
 * meanwhile only the newest is kept and sent as soon as the result is back, so a slow machine
 * skips frames instead of queueing them, and the rig lags by at most about two frames' work.
 */
import { setRigGlbWeights } from '../core/export/rig-weights.js';
import { saveBytes } from './downloads.js';
import type { FromWorker, PuppetFrameResult, ToWorker } from './protocol.js';
import type { FaceViewer } from './viewer.js';

/** What the controller needs from the page. */
export interface PuppetHost {
  viewer: FaceViewer;
  /** Posts to the current pipeline worker. */
  post(msg: ToWorker, transfer?: Transferable[]): void;
  /** Shows an error the page's way (title by code). */
  showError(code: string, message: string): void;
  /** A plain error for a failed getUserMedia. */
  cameraError(e: unknown): [string, string];
  setStatus(text: string): void;
}

/** The rig a result offers: its bytes, and the run / face the worker knows it by. */
export interface PuppetRig {
  glb: Uint8Array;
  runId: number;
  face: number;
  /** Download name stem (`grace_hopper`, `photo_face1`). */
  stem: string;
}

/** One processed frame as the test hook keeps it. */
export interface PuppetSample {
  /** Page time, ms. */
  t: number;
  /** The frame's top-left tag (see `PuppetFrameResult.tag`). */
  tag: number;
  source: PuppetFrameResult['source'];
  /** Every weight, {@link PuppetApi.names} order. */
  weights: number[];
  meshMs: number;
  fitMs: number;
  /** Reading the frame's pixels in the worker, ms. */
  convertMs: number;
  /** Grabbing the frame from the video (createImageBitmap), ms. */
  grabMs: number;
  /** The viewer's last render, ms. */
  renderMs: number;
  /** From grabbing the frame to its result, ms. */
  roundTripMs: number;
}

/** `window.facedetailPuppet`: the animation's state for scripts and end-to-end tests. */
export interface PuppetApi {
  state: 'off' | 'starting' | 'running' | 'stopped' | 'error';
  /** ARKit names (weights order), once a rig is shown. */
  names: string[];
  /** The weights on the rig now. */
  weights: number[];
  /** Frames processed since "Animate" (with or without a face). */
  frames: number;
  /** Frames processed per second over the last second. */
  fps: number;
  /** The video's size. */
  video: { width: number; height: number } | undefined;
  /** The last 600 processed frames. */
  history: PuppetSample[];
  error: { code: string; message: string } | undefined;
}

const ID_BASE = 2_000_000; // apart from the run and probe ids

export class PuppetController {
  readonly api: PuppetApi = { state: 'off', names: [], weights: [], frames: 0, fps: 0, video: undefined, history: [], error: undefined };
  private rig: PuppetRig | undefined;
  private names: string[] = [];
  /** Per name, the index of its mirror image (`eyeBlinkLeft` ↔ `eyeBlinkRight`; itself when unsided). */
  private mirrorIndex: number[] = [];
  private weights = new Float32Array(0);
  private defaults = new Float32Array(0);
  private stream: MediaStream | undefined;
  private id = ID_BASE;
  private running = false;
  private stamps: number[] = [];
  private grabbedAt = 0;
  /** The camera track's frames (MediaStreamTrackProcessor), when the browser has it. */
  private reader: ReadableStreamDefaultReader<VideoFrame> | undefined;
  private inFlight = false;
  /** The newest track frame not sent yet. */
  private pending: VideoFrame | undefined;
  private grabMs = 0;
  private sliders: HTMLInputElement[] = [];
  private outputs: HTMLOutputElement[] = [];
  private readonly els = {
    panel: el<HTMLElement>('puppet'),
    start: el<HTMLButtonElement>('puppet-start'),
    stop: el<HTMLButtonElement>('puppet-stop'),
    show: el<HTMLInputElement>('puppet-show'),
    mirror: el<HTMLInputElement>('puppet-mirror'),
    shapes: el<HTMLDetailsElement>('puppet-shapes'),
    neutral: el<HTMLButtonElement>('puppet-neutral'),
    photo: el<HTMLButtonElement>('puppet-photo'),
    exportRig: el<HTMLButtonElement>('puppet-export'),
    fps: el<HTMLElement>('puppet-fps'),
    video: el<HTMLVideoElement>('puppet-video'),
    sliders: el<HTMLDivElement>('puppet-sliders'),
  };

  constructor(private readonly host: PuppetHost) {
    (window as unknown as { facedetailPuppet: PuppetApi }).facedetailPuppet = this.api;
    this.els.start.addEventListener('click', () => void this.start());
    this.els.stop.addEventListener('click', () => this.stop('Animation stopped. The rig keeps its last expression.'));
    this.els.show.addEventListener('input', () => void this.setShown(this.els.show.checked));
    this.els.neutral.addEventListener('click', () => { this.weights.fill(0); void this.applyWeights(); });
    this.els.photo.addEventListener('click', () => { this.weights.set(this.defaults); void this.applyWeights(); });
    this.els.exportRig.addEventListener('click', () => this.exportRig());
    this.els.shapes.addEventListener('toggle', () => { if (this.els.shapes.open) void this.setShown(true); });
  }

  /** The shown result's rig (or none: the panel hides and any animation stops). */
  setRig(rig: PuppetRig | undefined): void {
    if (rig && this.rig && rig.glb === this.rig.glb) {
      if (!this.host.viewer.showingRig && !this.running) this.els.show.checked = false;
      return;
    }
    this.stop();
    this.rig = rig;
    this.els.panel.hidden = rig === undefined;
    this.els.show.checked = false;
    this.host.viewer.hideRig();
    this.names = [];
    this.els.sliders.replaceChildren();
    this.api.names = [];
    this.api.weights = [];
    this.api.state = 'off';
  }

  /** True for the ids of this controller's worker messages. */
  owns(id: number | undefined): boolean {
    return id !== undefined && id > ID_BASE && id <= this.id;
  }

  onWorkerMessage(msg: FromWorker): void {
    if (msg.type === 'puppet-ready' && msg.id === this.id && this.api.state === 'starting') {
      this.api.state = 'running';
      this.running = true;
      this.host.setStatus(`Animating: the rig follows your face (set up in ${(msg.ms / 1000).toFixed(1)} s).`);
      this.next();
    } else if (msg.type === 'puppet-frame' && msg.id === this.id && this.running) {
      this.onFrame(msg.result);
    } else if (msg.type === 'error' && msg.id === this.id) {
      this.fail(msg.code, msg.message);
    }
  }

  /** The worker was restarted: whatever it tracked is gone. */
  onWorkerRestart(): void {
    if (this.running || this.api.state === 'starting') this.stop('Animation stopped (the processing worker was restarted).');
  }

  /** Shows the rig in the viewer (loading it the first time) or the face again. */
  private async setShown(on: boolean): Promise<void> {
    this.els.show.checked = on;
    if (!on) { this.host.viewer.hideRig(); return; }
    const rig = this.rig;
    if (!rig || this.host.viewer.showingRig) return;
    const names = await this.host.viewer.showRig(rig.glb);
    if (this.rig !== rig) return;
    if (this.names.length === 0) {
      this.names = names;
      this.mirrorIndex = names.map((n, i) => {
        const other = n.endsWith('Left') ? `${n.slice(0, -4)}Right` : n.endsWith('Right') ? `${n.slice(0, -5)}Left` : n;
        const k = names.indexOf(other);
        return k < 0 ? i : k;
      });
      this.defaults = Float32Array.from(this.host.viewer.rigWeights(names));
      this.weights = this.defaults.slice();
      this.buildSliders();
    }
    this.api.names = [...this.names];
    this.host.viewer.setRigWeights(this.names, this.weights);
    this.syncSliders();
  }

  private async start(): Promise<void> {
    const rig = this.rig;
    if (!rig || this.running || this.api.state === 'starting') return;
    this.api.error = undefined;
    this.api.state = 'starting';
    this.els.start.disabled = true;
    this.host.setStatus('Opening the camera…');
    if (!navigator.mediaDevices || typeof navigator.mediaDevices.getUserMedia !== 'function') {
      this.fail('NO_CAMERA', 'This browser gives the page no camera access (it needs HTTPS or localhost, and a browser with getUserMedia).');
      return;
    }
    try {
      this.stream = await navigator.mediaDevices.getUserMedia({ video: { width: { ideal: 640 }, height: { ideal: 480 }, facingMode: 'user' }, audio: false });
    } catch (e) {
      const [code, message] = this.host.cameraError(e);
      this.fail(code, message);
      return;
    }
    const v = this.els.video;
    v.srcObject = this.stream;
    v.hidden = false;
    try {
      await v.play();
    } catch (e) {
      this.fail('CAMERA', `The camera video did not start (${e instanceof Error ? e.message : String(e)}).`);
      return;
    }
    this.api.video = { width: v.videoWidth, height: v.videoHeight };
    const Processor = (window as unknown as { MediaStreamTrackProcessor?: new (init: { track: MediaStreamTrack }) => { readable: ReadableStream<VideoFrame> } }).MediaStreamTrackProcessor;
    const track = this.stream.getVideoTracks()[0];
    if (Processor && track) {
      this.reader = new Processor({ track }).readable.getReader();
      void this.pump(this.reader);
    }
    await this.setShown(true);
    if (this.rig !== rig || this.api.state !== 'starting') return;
    this.api.frames = 0;
    this.api.history = [];
    this.stamps = [];
    this.els.stop.hidden = false;
    this.els.start.hidden = true;
    this.host.setStatus('Fitting the photo\'s face for tracking…');
    this.host.post({ type: 'puppet-start', id: ++this.id, runId: rig.runId, face: rig.face });
  }

  /** Stops the camera and the tracking (the rig keeps its pose). */
  stop(status?: string): void {
    const was = this.running || this.api.state === 'starting';
    this.running = false;
    this.inFlight = false;
    this.pending?.close();
    this.pending = undefined;
    void this.reader?.cancel().catch(() => undefined);
    this.reader = undefined;
    for (const t of this.stream?.getTracks() ?? []) t.stop();
    this.stream = undefined;
    this.els.video.srcObject = null;
    this.els.video.hidden = true;
    this.els.stop.hidden = true;
    this.els.start.hidden = false;
    this.els.start.disabled = false;
    this.els.fps.textContent = '';
    if (was) {
      this.host.post({ type: 'puppet-stop', id: this.id });
      this.api.state = 'stopped';
      if (status) this.host.setStatus(status);
    }
  }

  private fail(code: string, message: string): void {
    this.stop();
    this.api.state = 'error';
    this.api.error = { code, message };
    this.host.showError(code, message);
  }

  /** The track's frames: each goes to the worker unless one is in flight (then it is dropped). */
  private async pump(reader: ReadableStreamDefaultReader<VideoFrame>): Promise<void> {
    for (;;) {
      let r: ReadableStreamReadResult<VideoFrame>;
      try { r = await reader.read(); } catch { return; }
      if (r.done) return;
      const frame = r.value;
      if (!this.running || reader !== this.reader) { frame.close(); continue; }
      // Busy: keep the newest frame for when the result is back (no wait for the camera then).
      this.pending?.close();
      this.pending = frame;
      if (!this.inFlight) this.sendPending();
    }
  }

  private sendPending(): void {
    const frame = this.pending;
    if (!frame || !this.running) return;
    this.pending = undefined;
    this.inFlight = true;
    this.grabbedAt = performance.now();
    this.grabMs = 0;
    this.host.post({ type: 'puppet-frame', id: this.id, frame, timeMs: this.grabbedAt }, [frame]);
  }

  /** Grabs the next camera frame for the worker (one in flight). */
  private next(): void {
    if (!this.running || this.reader) return; // the track's frames come by themselves
    const v = this.els.video;
    const grab = (): void => {
      if (!this.running || v.readyState < 2 || !v.videoWidth) { setTimeout(() => this.next(), 30); return; }
      const id = this.id;
      const tGrab = performance.now();
      // A VideoFrame (WebCodecs) keeps the camera's own pixels (the worker reads them without a canvas).
      const grabbed: Promise<VideoFrame | ImageBitmap> = typeof VideoFrame !== 'undefined'
        ? new Promise((resolve, reject) => { try { resolve(new VideoFrame(v)); } catch (e) { reject(e); } })
        : createImageBitmap(v);
      grabbed.then((frame) => {
        if (!this.running || id !== this.id) { frame.close(); return; }
        this.grabbedAt = performance.now();
        this.grabMs = this.grabbedAt - tGrab;
        this.host.post({ type: 'puppet-frame', id, frame, timeMs: this.grabbedAt }, [frame]);
      }, () => setTimeout(() => this.next(), 30));
    };
    const rvfc = (v as HTMLVideoElement & { requestVideoFrameCallback?: (cb: () => void) => number }).requestVideoFrameCallback;
    if (rvfc) rvfc.call(v, grab);
    else requestAnimationFrame(grab);
  }

  private onFrame(r: PuppetFrameResult): void {
    const t = performance.now();
    this.inFlight = false;
    this.api.frames++;
    this.stamps.push(t);
    while (this.stamps.length > 0 && this.stamps[0]! < t - 1000) this.stamps.shift();
    this.api.fps = this.stamps.length > 1 ? ((this.stamps.length - 1) * 1000) / (t - this.stamps[0]!) : 0;
    this.api.video = { width: r.width, height: r.height };
    if (r.found) {
      // Mirror (as a mirror, the usual avatar convention): the subject's left ↔ right shapes, and the
      // rotation reflected in the x = 0 plane (yaw and roll reversed: q → (x, −y, −z, w)), the
      // head's sideways move reversed.
      const mirror = this.els.mirror.checked;
      this.weights = mirror ? Float32Array.from(this.mirrorIndex, (k) => r.weights[k]!) : Float32Array.from(r.weights);
      const q = r.quaternion;
      const o = r.offsetMm;
      this.host.viewer.setRigPose(mirror ? [q[0]!, -q[1]!, -q[2]!, q[3]!] : q, mirror ? [-o[0]!, o[1]!, o[2]!] : o);
      void this.applyWeights();
    }
    const sample: PuppetSample = { t, tag: r.tag, source: r.source, weights: Array.from(this.weights), meshMs: r.meshMs, fitMs: r.fitMs, convertMs: r.convertMs, grabMs: this.grabMs, renderMs: this.host.viewer.renderMs, roundTripMs: t - this.grabbedAt };
    this.api.history.push(sample);
    if (this.api.history.length > 600) this.api.history.shift();
    this.els.fps.textContent = `${this.api.fps.toFixed(1)} fps · face mesh ${r.meshMs.toFixed(0)} ms · fit ${r.fitMs.toFixed(0)} ms${r.found ? '' : ' · no face in view'}`;
    this.els.fps.dataset['fps'] = this.api.fps.toFixed(2);
    if (this.reader) this.sendPending();
    else this.next();
  }

  /** Puts {@link weights} on the rig and the sliders. */
  private async applyWeights(): Promise<void> {
    if (!this.host.viewer.showingRig) await this.setShown(true);
    this.host.viewer.setRigWeights(this.names, this.weights);
    this.api.weights = Array.from(this.weights);
    this.syncSliders();
  }

  private buildSliders(): void {
    this.sliders = [];
    this.outputs = [];
    this.els.sliders.replaceChildren(...this.names.map((name, i) => {
      const label = document.createElement('label');
      const span = document.createElement('span');
      span.textContent = name;
      const input = document.createElement('input');
      Object.assign(input, { type: 'range', min: '0', max: '1', step: '0.01' });
      input.dataset['shape'] = name;
      const out = document.createElement('output');
      input.addEventListener('input', () => {
        this.weights[i] = Number(input.value);
        void this.applyWeights();
      });
      this.sliders.push(input);
      this.outputs.push(out);
      label.append(span, input, out);
      return label;
    }));
  }

  private syncSliders(): void {
    this.sliders.forEach((s, i) => {
      const w = this.weights[i] ?? 0;
      if (document.activeElement !== s) s.value = String(w);
      this.outputs[i]!.textContent = w.toFixed(2);
    });
  }

  /** rig.glb with the current weights as its defaults. */
  private exportRig(): void {
    const rig = this.rig;
    if (!rig) return;
    const bytes = this.names.length > 0 ? setRigGlbWeights(rig.glb, Object.fromEntries(this.names.map((n, i) => [n, this.weights[i]!]))) : rig.glb;
    saveBytes(bytes, `${rig.stem}_rig.glb`, 'model/gltf-binary');
  }
}

function el<T extends HTMLElement>(id: string): T {
  const e = document.getElementById(id);
  if (!e) throw new Error(`#${id} is missing from index.html`);
  return e as T;
}

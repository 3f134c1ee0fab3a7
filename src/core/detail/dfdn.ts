/**
 * Inference of the learned detail network (DFDN, "Detail From Deep Network" after Chen et al.,
 * ICCV 2019): the network maps the {@link dfdnFeatures} of an unwrapped face to a displacement
 * along the proxy normal (mm per texel). Everything except the network call lives here, shared by
 * Node (onnxruntime-node, `src/node/dfdn-runtime.ts`) and the browser (onnxruntime-web in the
 * worker, `src/web/dfdn-web.ts`): metadata validation, resampling to the network's UV
 * resolution, patch tiling over the covered area, batching and Gaussian overlap blending.
 *
 * ## Model contract (`models/dfdn/dfdn.json`, {@link DfdnMetadata})
 * Input `inputName`: float32 `[N, channels, patchSize, patchSize]` (channel-major features);
 * output `outputName`: float32 `[N, 1, patchSize, patchSize]`, displacement in mm. The network
 * runs at `uvResolution` texels a side; features at another detail resolution are resampled to
 * it and the output back.
 *
 * ## Blending
 * Patches start every `patchStride` texels (the last one flush with the map's edge, so every
 * texel is in at least one patch); a patch with no covered texel is not run. Each patch's output
 * is weighted by a separable Gaussian `w(x, y) = g(x)·g(y)`, `g(t) = exp(−(t − c)²/(2σ²))`,
 * `c = (patchSize − 1)/2`, σ = `blendSigma` texels, and the blend is normalised exactly per texel:
 * `d(p) = Σ_k w_k(p)·o_k(p) / Σ_k w_k(p)` over the patches k that contain p (the Gaussian is
 * positive everywhere, so every covered texel has a positive denominator). Hence a network that
 * outputs a constant gives exactly that constant, and a per-texel (pointwise) network gives the
 * same result however the map is tiled. The paper blends 256² patches the same way.
 */
import { FaceDetailError } from '../errors.js';
import { now } from '../platform.js';
import { DFDN_CHANNELS, dfdnFeatures, type DfdnFeatureInput } from './dfdn-features.js';

/** The `format` field of a DFDN metadata file. */
export const DFDN_FORMAT = 'facedetail-dfdn';
/** The metadata `version` this code reads. */
export const DFDN_VERSION = 1;

/** Contents of `dfdn.json`, validated by {@link parseDfdnMetadata}. */
export interface DfdnMetadata {
  format: typeof DFDN_FORMAT;
  version: typeof DFDN_VERSION;
  /** Name of the ONNX graph's input (`[N, channels, patchSize, patchSize]`, float32). */
  inputName: string;
  /** Name of the ONNX graph's output (`[N, 1, patchSize, patchSize]`, float32, mm). */
  outputName: string;
  /** Input channels; must equal `DFDN_CHANNELS` (6). */
  channels: number;
  /** Patch side in texels (the paper: 256). */
  patchSize: number;
  /** Distance between patch origins in texels, 1 … patchSize. */
  patchStride: number;
  /** σ of the Gaussian blending weight in texels, > 0. */
  blendSigma: number;
  /** UV map side (texels) the network was trained at; ≥ patchSize. */
  uvResolution: number;
  /** Free-form training provenance (data, epochs, losses …). */
  training: Record<string, unknown>;
  /**
   * Calibration of the network's output (default 1): the detail stage multiplies the network's
   * displacement by it (before the user's `detailStrength`), so a shipped model's strength is
   * chosen on the benchmark and travels with the model, not with the code.
   */
  outputScale?: number;
}

/**
 * A loaded network, injected by the platform adapter. `run` receives `n` patches as one
 * channel-major batch (`n · channels · patchSize²` floats) and resolves with `n · patchSize²`
 * displacements (mm).
 *
 * @example
 * const identityLike: DetailNetwork = { metadata, run: async (b, n) => b.slice(0, n * 256 * 256) };
 */
export interface DetailNetwork {
  readonly metadata: DfdnMetadata;
  run(batch: Float32Array, n: number): Promise<Float32Array>;
}

/** Options of {@link inferDisplacement} / {@link runDfdn}. */
export interface DfdnInferenceOptions {
  /** Patches per network call (memory: batch · 7 · patchSize² floats). @example { batchSize: 4 } */
  batchSize?: number;
}

/** Defaults of {@link DfdnInferenceOptions}. */
export const DFDN_INFERENCE_DEFAULTS: Readonly<Required<DfdnInferenceOptions>> = Object.freeze({
  // Measured on the (shared, noisy) 2-core machine with onnxruntime-node and a development U-Net
  // (24–96 channels, 1024² map, 25 patches): batches of 1, 2, 4 and 8 took 1.7–3.5 s with no
  // consistent winner, while onnxruntime's activation arena grew with the batch (process RSS
  // ≈ 610 MB at 4, ≈ 1 GB at 8). 4 keeps the input at 6.3 MB and the arena small.
  batchSize: 4,
});

/** Statistics of one inference. */
export interface DfdnStats {
  /** Patches run, patches skipped (no coverage), network calls. */
  patches: number;
  skipped: number;
  batches: number;
  /** Side of the grid the network ran on (texels). */
  uvResolution: number;
  /** RMS and max |d| over covered texels, mm. */
  rmsMm: number;
  maxAbsMm: number;
  /** Milliseconds: features, resampling, network (all calls), blending, total. */
  ms: { features: number; resample: number; network: number; blend: number; total: number };
}

/** A planar (channel-major) float map with a coverage mask. */
export interface PlanarMap {
  width: number;
  height: number;
  channels: number;
  /** `channels × height × width`, channel-major. */
  data: Float32Array;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * Validate parsed `dfdn.json` contents against the contract. Throws `MODEL_CACHE_INVALID` naming
 * the bad field and where the file came from.
 *
 * @example
 * const meta = parseDfdnMetadata(JSON.parse(text), 'models/dfdn/dfdn.json');
 * meta.patchSize // 256
 */
export function parseDfdnMetadata(json: unknown, source = 'dfdn.json'): DfdnMetadata {
  const bad = (what: string): FaceDetailError => new FaceDetailError(
    'MODEL_CACHE_INVALID',
    `the DFDN model metadata ${source} is invalid: ${what}; reinstall facedetail or replace models/dfdn/ with a model exported for format "${DFDN_FORMAT}" version ${DFDN_VERSION}`,
  );
  if (!isObject(json)) throw bad('it is not a JSON object');
  if (json['format'] !== DFDN_FORMAT) throw bad(`format must be "${DFDN_FORMAT}", got ${JSON.stringify(json['format'])}`);
  if (json['version'] !== DFDN_VERSION) throw bad(`version ${JSON.stringify(json['version'])} is not supported (this facedetail reads version ${DFDN_VERSION})`);
  const str = (k: string): string => {
    const v = json[k];
    if (typeof v !== 'string' || v === '') throw bad(`${k} must be a non-empty string, got ${JSON.stringify(v)}`);
    return v;
  };
  const int = (k: string, lo: number, hi: number): number => {
    const v = json[k];
    if (typeof v !== 'number' || !Number.isInteger(v) || v < lo || v > hi) throw bad(`${k} must be an integer from ${lo} to ${hi}, got ${JSON.stringify(v)}`);
    return v;
  };
  const inputName = str('inputName'), outputName = str('outputName');
  const channels = int('channels', 1, 64);
  if (channels !== DFDN_CHANNELS) throw bad(`channels must be ${DFDN_CHANNELS} (the features of dfdn-features.ts), got ${channels}`);
  const patchSize = int('patchSize', 8, 4096);
  const patchStride = int('patchStride', 1, patchSize);
  const uvResolution = int('uvResolution', patchSize, 8192);
  const blendSigma = json['blendSigma'];
  if (typeof blendSigma !== 'number' || !(blendSigma > 0) || !Number.isFinite(blendSigma)) throw bad(`blendSigma must be a number > 0 (texels), got ${JSON.stringify(blendSigma)}`);
  const training = json['training'] === undefined ? {} : json['training'];
  if (!isObject(training)) throw bad('training must be an object');
  const outputScale = json['outputScale'];
  if (outputScale !== undefined && (typeof outputScale !== 'number' || !(outputScale > 0) || !Number.isFinite(outputScale))) throw bad(`outputScale must be a number > 0, got ${JSON.stringify(outputScale)}`);
  return { format: DFDN_FORMAT, version: DFDN_VERSION, inputName, outputName, channels, patchSize, patchStride, blendSigma, uvResolution, training, ...(outputScale !== undefined ? { outputScale } : {}) };
}

/**
 * Patch origins along one axis of `size` texels: 0, stride, 2·stride, … and a last one at
 * `size − patch` so that the patches cover [0, size). One origin (0) when `size ≤ patch`.
 *
 * @example
 * patchOrigins(1024, 256, 192) // [0, 192, 384, 576, 768]
 */
export function patchOrigins(size: number, patch: number, stride: number): number[] {
  if (size <= patch) return [0];
  const out: number[] = [];
  for (let o = 0; o + patch < size; o += stride) out.push(o);
  out.push(size - patch);
  return out;
}

/** The 1-D factor of {@link blendWeights}: `g(t) = exp(−(t − c)²/(2σ²))`, `c = (patch − 1)/2`. */
function blendWeights1d(patch: number, sigma: number): Float64Array {
  const g = new Float64Array(patch), c = (patch - 1) / 2;
  for (let t = 0; t < patch; t++) g[t] = Math.exp(-((t - c) * (t - c)) / (2 * sigma * sigma));
  return g;
}

/**
 * Separable Gaussian blending weight of one patch, `patch²` values (row-major), peak 1 at the
 * centre.
 *
 * @example
 * const w = blendWeights(256, 64); w[128 * 256 + 128] // ≈ 1
 */
export function blendWeights(patch: number, sigma: number): Float64Array {
  const g = blendWeights1d(patch, sigma);
  const w = new Float64Array(patch * patch);
  for (let y = 0; y < patch; y++) for (let x = 0; x < patch; x++) w[y * patch + x] = g[y]! * g[x]!;
  return w;
}

/**
 * Run the network over a feature map by overlapping patches and blend the outputs (see the module
 * doc). The map is normally at the network's `uvResolution`; any size works (a map smaller than a
 * patch is zero-padded). Returns the displacement (W·H, mm), 0 where uncovered.
 *
 * @example
 * const { displacement } = await inferDisplacement({ width: 1024, height: 1024, channels: 6, data }, coverage, network);
 */
export async function inferDisplacement(
  features: PlanarMap, coverage: Uint8Array, network: DetailNetwork, options: DfdnInferenceOptions = {},
): Promise<{ displacement: Float32Array; patches: number; skipped: number; batches: number; networkMs: number; blendMs: number }> {
  const { patchSize: P, patchStride: S, blendSigma, channels: C } = network.metadata;
  const { width: W, height: H, data } = features;
  const batchSize = options.batchSize ?? DFDN_INFERENCE_DEFAULTS.batchSize;
  if (!(Number.isInteger(batchSize) && batchSize >= 1 && batchSize <= 256)) {
    throw new FaceDetailError('INVALID_OPTION', `batchSize must be an integer from 1 to 256, got ${String(batchSize)}`);
  }
  if (features.channels !== C || data.length !== C * W * H || coverage.length !== W * H) {
    throw new FaceDetailError('INTERNAL', `inferDisplacement: features ${features.channels}×${H}×${W} (${data.length} floats) and coverage (${coverage.length}) do not match the network's ${C} channels`);
  }
  const N = W * H, PP = P * P;
  // Separable weights g(x)·g(y). Every patch holding a covered texel is run, so a covered texel's
  // weight sum is that of ALL patches holding it: Σ_ox g(x − ox) · Σ_oy g(y − oy), a product of
  // two 1-D sums (no per-texel denominator to accumulate).
  const g = blendWeights1d(P, blendSigma);
  const num = new Float64Array(N);
  // Covered patches only.
  const xs = patchOrigins(W, P, S), ys = patchOrigins(H, P, S);
  const todo: [number, number][] = [];
  let skipped = 0;
  for (const oy of ys) {
    for (const ox of xs) {
      let any = false;
      for (let y = oy; y < Math.min(H, oy + P) && !any; y++) {
        const row = y * W;
        for (let x = ox, xe = Math.min(W, ox + P); x < xe; x++) if (coverage[row + x]) { any = true; break; }
      }
      if (any) todo.push([ox, oy]); else skipped++;
    }
  }
  let networkMs = 0, blendMs = 0, batches = 0;
  const input = new Float32Array(Math.min(batchSize, Math.max(1, todo.length)) * C * PP);
  for (let b0 = 0; b0 < todo.length; b0 += batchSize) {
    const n = Math.min(batchSize, todo.length - b0);
    let t = now();
    const batch = n * C * PP === input.length ? input : input.subarray(0, n * C * PP);
    if (W < P || H < P) batch.fill(0); // zero padding past the map's edge
    for (let k = 0; k < n; k++) {
      const [ox, oy] = todo[b0 + k]!;
      const h = Math.min(P, H - oy), w = Math.min(P, W - ox);
      for (let c = 0; c < C; c++) {
        const src = c * N, dst = (k * C + c) * PP;
        for (let y = 0; y < h; y++) batch.set(data.subarray(src + (oy + y) * W + ox, src + (oy + y) * W + ox + w), dst + y * P);
      }
    }
    blendMs += now() - t;
    t = now();
    const out = await network.run(batch, n);
    networkMs += now() - t;
    batches++;
    if (out.length !== n * PP) {
      throw new FaceDetailError('MODEL_CACHE_INVALID', `the DFDN model returned ${out.length} values for ${n} patches of ${P}×${P} (expected ${n * PP}): the model does not match its dfdn.json`);
    }
    t = now();
    for (let k = 0; k < n; k++) {
      const [ox, oy] = todo[b0 + k]!;
      const h = Math.min(P, H - oy), w = Math.min(P, W - ox);
      for (let y = 0; y < h; y++) {
        const row = (oy + y) * W + ox, src = k * PP + y * P, gy = g[y]!;
        let bad = 0;
        for (let x = 0; x < w; x++) {
          const v = out[src + x]!;
          bad += v - v; // NaN for NaN and ±Infinity, else 0
          num[row + x] = num[row + x]! + gy * g[x]! * v;
        }
        if (bad !== 0) throw new FaceDetailError('MODEL_CACHE_INVALID', 'the DFDN model returned a non-finite displacement: the model file is damaged or not a facedetail DFDN');
      }
    }
    blendMs += now() - t;
  }
  const t = now();
  const sum1d = (size: number, origins: number[]): Float64Array => {
    const s = new Float64Array(size);
    for (const o of origins) for (let i = 0, e = Math.min(P, size - o); i < e; i++) s[o + i] = s[o + i]! + g[i]!;
    return s;
  };
  const dx = sum1d(W, xs), dy = sum1d(H, ys);
  const displacement = new Float32Array(N);
  for (let y = 0; y < H; y++) {
    const row = y * W, wy = dy[y]!;
    for (let x = 0; x < W; x++) if (coverage[row + x]) displacement[row + x] = num[row + x]! / (wy * dx[x]!);
  }
  blendMs += now() - t;
  return { displacement, patches: todo.length, skipped, batches, networkMs, blendMs };
}

/**
 * Resample a planar map with a coverage mask to another size: a mask-normalised tent filter
 * (bilinear when enlarging, area-like when shrinking, support scaled by the ratio), so uncovered
 * texels never bleed into covered ones. `outMask` says which output texels to fill (others 0).
 *
 * @example
 * const f1024 = resampleMasked(f512, cov512, 1024, 1024, cov1024);
 */
export function resampleMasked(src: PlanarMap, mask: Uint8Array, W2: number, H2: number, outMask: Uint8Array): PlanarMap {
  const { width: W, height: H, channels: C, data } = src;
  const N = W * H, N2 = W2 * H2;
  // Separable: filter (mask·f) and the mask with the same tent, then divide.
  const taps = (n: number, n2: number) => {
    const scale = n / n2, support = Math.max(1, scale);
    const lists: { i0: number; w: Float64Array }[] = [];
    for (let j = 0; j < n2; j++) {
      const c = (j + 0.5) * scale - 0.5;
      const i0 = Math.max(0, Math.ceil(c - support)), i1 = Math.min(n - 1, Math.floor(c + support));
      const w = new Float64Array(Math.max(0, i1 - i0 + 1));
      for (let i = i0; i <= i1; i++) w[i - i0] = Math.max(0, 1 - Math.abs(i - c) / support);
      lists.push({ i0, w });
    }
    return lists;
  };
  const tx = taps(W, W2), ty = taps(H, H2);
  const out = new Float32Array(C * N2);
  const rows = new Float64Array(H * W2), den = new Float64Array(N2), src1 = new Float64Array(N);
  const horiz = (f: Float64Array): void => {
    for (let y = 0; y < H; y++) {
      for (let x2 = 0; x2 < W2; x2++) {
        const { i0, w } = tx[x2]!;
        let s = 0;
        for (let k = 0, p = y * W + i0; k < w.length; k++, p++) s += w[k]! * f[p]!;
        rows[y * W2 + x2] = s;
      }
    }
  };
  const vert = (y2: number, x2: number): number => {
    const { i0, w } = ty[y2]!;
    let s = 0;
    for (let k = 0; k < w.length; k++) s += w[k]! * rows[(i0 + k) * W2 + x2]!;
    return s;
  };
  for (let p = 0; p < N; p++) src1[p] = mask[p] ? 1 : 0;
  horiz(src1);
  for (let y2 = 0; y2 < H2; y2++) for (let x2 = 0; x2 < W2; x2++) den[y2 * W2 + x2] = vert(y2, x2);
  for (let c = 0; c < C; c++) {
    const off = c * N;
    for (let p = 0; p < N; p++) src1[p] = mask[p] ? data[off + p]! : 0;
    horiz(src1);
    for (let y2 = 0; y2 < H2; y2++) {
      for (let x2 = 0; x2 < W2; x2++) {
        const q = y2 * W2 + x2;
        if (outMask[q] && den[q]! > 1e-12) out[c * N2 + q] = vert(y2, x2) / den[q]!;
      }
    }
  }
  return { width: W2, height: H2, channels: C, data: out };
}

/** Nearest-neighbour resample of a coverage mask. */
function resampleCoverage(mask: Uint8Array, W: number, H: number, W2: number, H2: number): Uint8Array {
  const out = new Uint8Array(W2 * H2);
  for (let y = 0; y < H2; y++) {
    const sy = Math.min(H - 1, Math.floor(((y + 0.5) * H) / H2));
    for (let x = 0; x < W2; x++) out[y * W2 + x] = mask[sy * W + Math.min(W - 1, Math.floor(((x + 0.5) * W) / W2))]!;
  }
  return out;
}

/**
 * The DFDN stage: features of the detail stage's inputs ({@link dfdnFeatures}), resampled to the
 * network's `uvResolution` when the detail map has another size, inferred patch-wise
 * ({@link inferDisplacement}) and resampled back. Returns the displacement along the proxy
 * normal (mm per texel of `input.geom`, 0 where uncovered) and statistics.
 *
 * @example
 * const { displacement, stats } = await runDfdn({ geom, texture: texLinear, confidence, sh, flatMask }, network);
 */
export async function runDfdn(
  input: DfdnFeatureInput, network: DetailNetwork, options: DfdnInferenceOptions = {},
): Promise<{ displacement: Float32Array; stats: DfdnStats }> {
  const t0 = now();
  const ms = { features: 0, resample: 0, network: 0, blend: 0, total: 0 };
  const { geom } = input;
  const W = geom.width, H = geom.height, R = network.metadata.uvResolution;
  const f = dfdnFeatures(input);
  ms.features = now() - t0;
  let t = now();
  const cov = geom.coverage;
  const same = W === R && H === R;
  const covR = same ? cov : resampleCoverage(cov, W, H, R, R);
  const featR: PlanarMap = same
    ? { width: W, height: H, channels: DFDN_CHANNELS, data: f.data }
    : resampleMasked({ width: W, height: H, channels: DFDN_CHANNELS, data: f.data }, cov, R, R, covR);
  ms.resample += now() - t;
  const r = await inferDisplacement(featR, covR, network, options);
  ms.network = r.networkMs;
  ms.blend = r.blendMs;
  t = now();
  const displacement = same ? r.displacement : resampleMasked({ width: R, height: R, channels: 1, data: r.displacement }, covR, W, H, cov).data;
  ms.resample += now() - t;
  let sum2 = 0, maxAbs = 0, covered = 0;
  for (let p = 0; p < W * H; p++) {
    if (!cov[p]) continue;
    const v = displacement[p]!;
    sum2 += v * v;
    covered++;
    if (Math.abs(v) > maxAbs) maxAbs = Math.abs(v);
  }
  ms.total = now() - t0;
  return {
    displacement,
    stats: { patches: r.patches, skipped: r.skipped, batches: r.batches, uvResolution: R, rmsMm: covered ? Math.sqrt(sum2 / covered) : 0, maxAbsMm: maxAbs, ms },
  };
}

/**
 * A deterministic, face-sized synthetic input for the network (arithmetic only, so every
 * JavaScript engine builds the same bits): an elliptical chart spanning the map like the face's UV
 * chart (all 25 patches of a 1024² map at stride 192 are run), smooth colour and shading ramps
 * plus hashed texel noise. Used to check that two runtimes (onnxruntime-node, onnxruntime-web)
 * agree on identical input and to time them on the same work.
 *
 * @example
 * const { features, coverage } = dfdnProbeInput(1024, 1);
 * const r = await inferDisplacement(features, coverage, network);
 */
export function dfdnProbeInput(size: number, seed: number): { features: PlanarMap; coverage: Uint8Array } {
  const N = size * size, data = new Float32Array(DFDN_CHANNELS * N), coverage = new Uint8Array(N);
  const hash = (i: number, c: number): number => {
    let h = Math.imul(i ^ Math.imul(c + 1, 0x9e3779b1) ^ Math.imul(seed, 0x85ebca6b), 0x2c1b3c6d) >>> 0;
    h = Math.imul(h ^ (h >>> 15), 0x297a2d39) >>> 0;
    return ((h ^ (h >>> 16)) >>> 0) / 4294967296;
  };
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      const u = (x + 0.5) / size - 0.5, v = (y + 0.5) / size - 0.53, p = y * size + x;
      if ((u / 0.49) ** 2 + (v / 0.43) ** 2 > 1) continue;
      coverage[p] = 1;
      const r2 = u * u + v * v;
      data[p] = 1.1 + 0.3 * u - 0.4 * r2 + 0.1 * hash(p, 0);
      data[N + p] = 0.9 + 0.2 * v - 0.3 * r2 + 0.1 * hash(p, 1);
      data[2 * N + p] = 0.8 - 0.2 * u * v + 0.1 * hash(p, 2);
      data[3 * N + p] = 1.2 - 1.5 * r2 + 0.4 * u;
      data[4 * N + p] = 1 - 0.5 * hash(p, 4) * (r2 > 0.15 ? 1 : 0);
      data[5 * N + p] = Math.abs(v + 0.1) < 0.02 && Math.abs(u) < 0.15 ? 1 : 0;
    }
  }
  return { features: { width: size, height: size, channels: DFDN_CHANNELS, data }, coverage };
}

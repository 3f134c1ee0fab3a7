/**
 * Detail benchmark v2: scenes (synthetic wrinkled ICT faces rendered with renderer v2, and the Lee
 * Perry-Smith scan), the methods' detail fields in each image with the method's own camera, and the
 * detail-field metrics (src/core/eval/detail-field.ts). Node only (JPEG, the pipeline).
 */
import sharp from 'sharp';
import { maskedGaussianBlur } from '../../src/core/eval/angular-error.js';
import { detailField, evaluateDetailField, type DetailFieldScores } from '../../src/core/eval/detail-field.js';
import { meshHeadToCamera, renderForEval } from '../../src/core/eval/render-eval.js';
import { luminance, sampleUV } from '../../src/core/image/image.js';
import { renderMesh } from '../../src/core/render/render-mesh.js';
import type { FaceReconstruction } from '../../src/core/pipeline/types.js';
import type { Camera, Image, Mesh } from '../../src/core/types.js';
import type { ReconstructCallOptions, Reconstructor } from '../../src/node/reconstructor.js';
import { browRegionSampler } from '../accuracy/face-mask.js';
import { renderView, viewCamera, type BenchView, type LightName } from '../accuracy/scene.js';
import type { Scan } from '../accuracy/scan.js';

/** Methods scored: no detail, the shading solve, the network, the photo's high-pass as depth. */
export const DETAIL_BENCH_METHODS = ['zero', 'sfs', 'dfdn', 'highpass'] as const;
export type DetailBenchMethod = (typeof DETAIL_BENCH_METHODS)[number];

/** Gain of the `highpass` baseline: mm of depth per unit of log-luminance high-pass (fixed, not tuned). */
export const HIGHPASS_MM_PER_LOG = 2;
/** σ of the `highpass` baseline's low-pass, mm. */
export const HIGHPASS_SIGMA_MM = 3;

/** One benchmark image with its ground truth, whatever produced it. */
export interface DetailScene {
  id: string;
  subject: 'lps' | 'synthetic';
  /** Who rendered a scene: the training renderer v2 or Blender Cycles (unset for the scan's accuracy-bench renders). */
  renderer?: 'v2' | 'cycles';
  split: 'tune' | 'heldout';
  size: number;
  age?: number;
  preset?: string;
  /** The photo (sRGB), camera and 35 mm focal length given to the pipeline. */
  image: Image;
  camera: Camera;
  focalLength35mm: number;
  mmPerPixel: number;
  /** Ground truth per pixel. */
  mask: Uint8Array;
  gtDetailed: Float32Array;
  gtSmooth: Float32Array;
  gtDisplacement?: Float32Array;
  regions?: Uint8Array;
  /** Pixels where an occluder (glasses, hair) covers the skin (synthetic scenes): the detail must be 0 there. */
  occluded?: Uint8Array;
  /**
   * Scan scenes: the brows and 5 mm around them, where the scan's normal map holds the brow hair
   * (43 % of its detail energy on 10 % of the face): also scored without them (`noBrows`).
   */
  brows?: Uint8Array;
}

/** Encode to JPEG at `quality` and decode back (what a camera / web photo goes through). */
export async function jpegRoundTrip(img: Image, quality: number): Promise<Image> {
  const buf = Buffer.alloc(img.width * img.height * 3);
  for (let i = 0; i < buf.length; i++) buf[i] = Math.round(Math.max(0, Math.min(1, img.data[i]!)) * 255);
  const jpg = await sharp(buf, { raw: { width: img.width, height: img.height, channels: 3 } }).jpeg({ quality }).toBuffer();
  const raw = await sharp(jpg).raw().toBuffer();
  return { width: img.width, height: img.height, channels: 3, data: Float32Array.from(raw, (v) => v / 255) };
}

/** Lights of the scan views (4 of the accuracy bench's setups). */
export const LPS_LIGHTS: readonly LightName[] = ['soft-frontal', 'hard-side', 'top', 'window'];

/**
 * The scan views: `views` poses × the 4 lights, alternating 512 / 1024 px, seeds from 8000 (the
 * accuracy bench uses 1000–1095), yaw ±30°, pitch ±10° (where the detector fires); even seeds tune.
 */
export function lpsViews(views: number): BenchView[] {
  const out: BenchView[] = [];
  for (let i = 0; i < views; i++) {
    for (const [k, light] of LPS_LIGHTS.entries()) {
      const seed = 8000 + 4 * i + k;
      let s = (seed * 2654435761) >>> 0;
      const rnd = (): number => { s = (Math.imul(s ^ (s >>> 15), 2246822507) + 0x9e3779b9) >>> 0; return s / 4294967296; };
      const size = (i + k) % 2 === 0 ? 512 : 1024;
      out.push({
        id: `lps${seed}-${light}-${size}`, seed, split: i % 2 === 0 ? 'tune' : 'heldout', light, size,
        focalLength35mm: Math.round(35 + 50 * rnd()), yawDeg: -30 + 60 * rnd(), pitchDeg: -10 + 20 * rnd(), rollDeg: -3 + 6 * rnd(), faceFraction: 0.45 + 0.15 * rnd(),
      });
    }
  }
  return out;
}

/** A scan view as a {@link DetailScene}: GT detailed = geometry ⊕ the scan's normal map; smooth = geometry alone; no GT displacement (creases not scored). */
export function lpsScene(scan: Scan, view: BenchView): DetailScene {
  const r = renderView(scan, view);
  const { pose } = viewCamera(view);
  const smooth = renderForEval(meshHeadToCamera(scan.mesh, pose), r.camera, { lighting: { type: 'directional', direction: [0, 0, -1] }, supersample: 2, region: browRegionSampler(scan) });
  const mask = new Uint8Array(r.mask.length), brows = new Uint8Array(r.mask.length);
  for (let p = 0; p < mask.length; p++) {
    mask[p] = r.mask[p]! && r.gt.coverage[p]! >= 1 && smooth.coverage[p]! >= 1 ? 1 : 0;
    brows[p] = smooth.region[p]! > 0 ? 1 : 0;
  }
  return {
    id: view.id, subject: 'lps', split: view.split, size: view.size, image: r.image, camera: r.camera, focalLength35mm: view.focalLength35mm,
    mmPerPixel: r.mmPerPixel, mask, gtDetailed: r.gt.normal, gtSmooth: smooth.normal, brows,
  };
}

/** What one method produced on one scene, in the image. */
export interface MethodField {
  detailed: Float32Array;
  proxy: Float32Array;
  field: Float32Array;
  displacement: Float32Array;
  coverage: Float32Array;
}

/** The detail field of a reconstruction: its detailed and proxy meshes rendered with its own camera. */
export function reconstructionField(face: FaceReconstruction, size: { width: number; height: number }, mask: ArrayLike<number>): MethodField {
  const cam: Camera = { ...face.camera, width: size.width, height: size.height };
  const lighting = { type: 'directional' as const, direction: [0, 0, -1] as [number, number, number] };
  const det = renderForEval(meshHeadToCamera(face.detailedMesh, face.pose), cam, { lighting, supersample: 2, normalMap: face.maps.residualNormal });
  const prox = renderForEval(meshHeadToCamera(face.proxy, face.pose), cam, { lighting, supersample: 2 });
  const both = new Uint8Array(mask.length);
  for (let p = 0; p < both.length; p++) both[p] = det.coverage[p]! >= 1 && prox.coverage[p]! >= 1 ? 1 : 0;
  return { detailed: det.normal, proxy: prox.normal, field: detailField(det.normal, prox.normal, both), displacement: displacementImage(face.detailedMesh, face, cam), coverage: prox.coverage };
}

/** The method's displacement map (mm) looked up at each pixel's UV on its detailed mesh (NaN off the mesh). */
function displacementImage(mesh: Mesh, face: FaceReconstruction, cam: Camera): Float32Array {
  const m = meshHeadToCamera(mesh, face.pose);
  const r = renderMesh(m, cam, { lighting: { type: 'directional', direction: [0, 0, -1] } });
  const W = cam.width, H = cam.height, UV = mesh.uvs!, I = mesh.indices;
  const out = new Float32Array(W * H).fill(NaN), tmp = new Float32Array(1);
  for (let p = 0; p < W * H; p++) {
    const t = r.triangle[p]!;
    if (t < 0) continue;
    const w0 = r.barycentric[2 * p]!, w1 = r.barycentric[2 * p + 1]!, w2 = 1 - w0 - w1;
    const a = I[3 * t]!, b = I[3 * t + 1]!, c = I[3 * t + 2]!;
    sampleUV(face.maps.displacement, w0 * UV[2 * a]! + w1 * UV[2 * b]! + w2 * UV[2 * c]!, w0 * UV[2 * a + 1]! + w1 * UV[2 * b + 1]! + w2 * UV[2 * c + 1]!, tmp);
    out[p] = tmp[0]!;
  }
  return out;
}

/** The zero-detail field on a reconstruction's proxy. */
export function zeroField(base: MethodField): MethodField {
  return { detailed: base.proxy, proxy: base.proxy, field: new Float32Array(base.field.length), displacement: new Float32Array(base.displacement.length), coverage: base.coverage };
}

/**
 * The naive baseline: the photo's log-luminance high-pass (σ = 3 mm) read as depth (dark = deep,
 * {@link HIGHPASS_MM_PER_LOG} mm per unit), applied to a reconstruction's proxy normals in the image.
 */
export function highpassField(image: Image, base: MethodField, mmPerPixel: number): MethodField {
  const W = image.width, H = image.height, n = W * H;
  const L = new Float32Array(n), valid = new Uint8Array(n);
  for (let p = 0; p < n; p++) {
    const lin = (c: number): number => (c <= 0.04045 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4);
    L[p] = Math.log(1e-3 + luminance(lin(image.data[3 * p]!), lin(image.data[3 * p + 1]!), lin(image.data[3 * p + 2]!)));
    valid[p] = base.coverage[p]! >= 1 ? 1 : 0;
  }
  const low = maskedGaussianBlur(L, 1, W, H, valid, HIGHPASS_SIGMA_MM / mmPerPixel);
  const d = new Float32Array(n).fill(NaN);
  for (let p = 0; p < n; p++) if (valid[p]) d[p] = HIGHPASS_MM_PER_LOG * (L[p]! - low[p]!);
  const detailed = new Float32Array(3 * n);
  for (let y = 0; y < H; y++) for (let x = 0; x < W; x++) {
    const p = y * W + x;
    if (!valid[p]) continue;
    const g = (q: number): number => (Number.isFinite(d[q]!) ? d[q]! : d[p]!);
    const dx = x > 0 && x < W - 1 ? (g(p + 1) - g(p - 1)) / (2 * mmPerPixel) : 0, dy = y > 0 && y < H - 1 ? (g(p + W) - g(p - W)) / (2 * mmPerPixel) : 0;
    const nx = base.proxy[3 * p]! - dx, ny = base.proxy[3 * p + 1]! - dy, nz = base.proxy[3 * p + 2]!;
    const l = Math.hypot(nx, ny, nz) || 1;
    detailed[3 * p] = nx / l; detailed[3 * p + 1] = ny / l; detailed[3 * p + 2] = nz / l;
  }
  return { detailed, proxy: base.proxy, field: detailField(detailed, base.proxy, valid), displacement: d, coverage: base.coverage };
}

/**
 * Scores of a method on a scene (the scored mask = GT mask ∧ the method's proxy fully covers the
 * pixel); on scenes with `brows`, `noBrows` repeats r and the normal gain with the brows left out.
 */
export function scoreField(scene: DetailScene, m: MethodField): DetailFieldScores & { coverage: number; occludedRmsMm: number; noBrows?: { r: number; normalGainDeg: number } } {
  const n = scene.mask.length;
  const mask = new Uint8Array(n);
  let inGt = 0, both = 0;
  for (let p = 0; p < n; p++) { if (!scene.mask[p]) continue; inGt++; if (m.coverage[p]! >= 1) { mask[p] = 1; both++; } }
  const score = (scored: Uint8Array, gtMask: Uint8Array): DetailFieldScores => evaluateDetailField({
    width: scene.camera.width, height: scene.camera.height, mmPerPixel: scene.mmPerPixel, mask: scored, gtField: detailField(scene.gtDetailed, scene.gtSmooth, gtMask), gtDetailed: scene.gtDetailed,
    ...(scene.gtDisplacement ? { gtDisplacement: scene.gtDisplacement } : {}),
    field: m.field, detailed: m.detailed, proxy: m.proxy, displacement: m.displacement,
    ...(scene.regions ? { regions: scene.regions } : {}),
  });
  const s = score(mask, scene.mask);
  if (!scene.gtDisplacement) { s.creaseF1 = NaN; s.creasePrecision = NaN; s.creaseRecall = NaN; }
  let noBrows: { r: number; normalGainDeg: number } | undefined;
  if (scene.brows) {
    const b = scene.brows, m2 = Uint8Array.from(mask, (v, p) => (v && !b[p] ? 1 : 0)), g2 = Uint8Array.from(scene.mask, (v, p) => (v && !b[p] ? 1 : 0));
    const s2 = score(m2, g2);
    noBrows = { r: s2.r, normalGainDeg: s2.normalGainDeg };
  }
  return { ...s, coverage: inGt ? both / inGt : 0, occludedRmsMm: occludedRms(scene, m), ...(noBrows ? { noBrows } : {}) };
}

/** RMS (mm) of a method's displacement over the scene's occluded pixels where its mesh is; NaN when there are none. */
export function occludedRms(scene: DetailScene, m: MethodField): number {
  if (!scene.occluded) return NaN;
  let s2 = 0, n = 0;
  for (let p = 0; p < scene.occluded.length; p++) {
    if (!scene.occluded[p]) continue;
    const d = m.displacement[p]!;
    if (!Number.isFinite(d)) continue;
    s2 += d * d; n++;
  }
  return n ? Math.sqrt(s2 / n) : NaN;
}

/**
 * One reconstruction of a scene's image (given its camera's 35 mm focal length, as EXIF would) and
 * its detail field; `undefined` when the pipeline finds no usable face (model and dependency
 * errors are thrown: they would fail every scene).
 */
export async function methodField(rec: Reconstructor, scene: DetailScene, call: ReconstructCallOptions): Promise<MethodField | undefined> {
  const input = { image: scene.image, width: scene.camera.width, height: scene.camera.height, format: 'raw' as const, exif: { focalLength35mm: scene.focalLength35mm } };
  try {
    return reconstructionField(await rec.reconstruct(input, call), { width: scene.camera.width, height: scene.camera.height }, scene.mask);
  } catch (e) {
    const code = (e as { code?: string }).code;
    if (code?.startsWith('MODEL_') || code === 'DEPENDENCY_MISSING') throw e;
    return undefined;
  }
}

/** Run every method on a scene: two reconstructions (sfs, dfdn) and the two fields derived from the dfdn one's proxy. */
export async function runMethods(rec: Reconstructor, scene: DetailScene, methods: readonly DetailBenchMethod[]): Promise<Partial<Record<DetailBenchMethod, MethodField>>> {
  const out: Partial<Record<DetailBenchMethod, MethodField>> = {};
  let base: MethodField | undefined;
  for (const dm of ['dfdn', 'sfs'] as const) {
    if (!methods.includes(dm) && !(dm === 'dfdn' && (methods.includes('zero') || methods.includes('highpass')))) continue;
    const f = await methodField(rec, scene, { detail: dm });
    if (!f) continue;
    if (methods.includes(dm)) out[dm] = f;
    base ??= f;
  }
  if (base) {
    if (methods.includes('zero')) out.zero = zeroField(base);
    if (methods.includes('highpass')) out.highpass = highpassField(scene.image, base, scene.mmPerPixel);
  }
  return out;
}


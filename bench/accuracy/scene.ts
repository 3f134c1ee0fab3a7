/**
 * The bench set of the accuracy benchmark: seeded, reproducible renders of the scan (poses,
 * lights, lenses, image sizes) and their ground truth (camera-frame normals, depth, face mask).
 */
import { makePose } from '../../src/core/camera/pose.js';
import { estimateCamera } from '../../src/core/camera/estimate-camera.js';
import { renderForEval, type EvalRender } from '../../src/core/eval/render-eval.js';
import { meshHeadToCamera } from '../../src/core/eval/render-eval.js';
import { directionalSH } from '../../src/core/lighting/sh.js';
import { DIRECTIONAL_AMBIENT_DEFAULT, meshAmbientOcclusion, type RenderLighting, type RenderShadows } from '../../src/core/render/render-mesh.js';
import type { Camera, Image, Mesh, Pose } from '../../src/core/types.js';
import { faceRegionSampler } from './face-mask.js';
import type { Scan } from './scan.js';
import { mulberry32 } from '../common.js';

export { mulberry32 };


/** Names of the lighting setups. */
export const LIGHTS = ['soft-frontal', 'hard-side', 'top', 'low-key', 'coloured', 'window'] as const;
export type LightName = (typeof LIGHTS)[number];

/** Image sizes (square, pixels). */
export const SIZES = [512, 1024] as const;

/** One render of the bench set. */
export interface BenchView {
  /** Stable id, e.g. `s007-hard-side-512`. */
  id: string;
  /** The seed that generated this view; even = tuning half, odd = held-out half. */
  seed: number;
  split: 'tune' | 'heldout';
  light: LightName;
  size: number;
  /** 35 mm-equivalent focal length of the camera, mm (given to the pipeline as EXIF). */
  focalLength35mm: number;
  /** Head rotation, degrees (Pose convention: yaw > 0 = face toward image right, pitch > 0 = chin down). */
  yawDeg: number;
  pitchDeg: number;
  rollDeg: number;
  /** Fraction of the image width the face's breadth (150 mm) fills. */
  faceFraction: number;
}

/** Face breadth used to frame the camera, mm (cheek to cheek in front of the ears; the scaled scan is ≈ 190 mm across the outer ears). */
const FACE_BREADTH_MM = 150;
/** Head-frame point put near the image centre: ≈ 30 mm below the eyes (nose / upper lip). */
const FACE_CENTRE_HEAD: [number, number, number] = [0, -30, 20];

/**
 * The bench set: 48 views = 6 lights × 2 sizes × 2 yaw signs × 2 seeds. Each (light, size, yaw
 * sign) cell gets one tuning view (even seed) and one held-out view (odd seed), so both halves
 * cover every light and size; within a view everything else is drawn from its seed:
 * yaw uniform in [0°, 40°] with the cell's sign, pitch uniform in [−20°, 20°], roll in [−4°, 4°],
 * lens 35–85 mm (35 mm equivalent), face breadth (150 mm) 40–60 % of the frame width, the face centre
 * jittered by ±4 % of the frame.
 *
 * @example benchSet().filter((v) => v.split === 'heldout')
 */
export function benchSet(): BenchView[] {
  const views: BenchView[] = [];
  let cell = 0;
  for (const light of LIGHTS) {
    for (const size of SIZES) {
      for (const sign of [-1, 1]) {
        for (const half of [0, 1]) {
          const seed = 2 * cell + half + 1000;
          const rnd = mulberry32(seed * 7919);
          const yawDeg = sign * 40 * rnd();
          const pitchDeg = -20 + 40 * rnd();
          const rollDeg = -4 + 8 * rnd();
          const focalLength35mm = Math.round(35 + 50 * rnd());
          const faceFraction = 0.4 + 0.2 * rnd();
          views.push({
            id: `s${String(seed)}-${light}-${size}`, seed, split: half === 0 ? 'tune' : 'heldout', light, size,
            focalLength35mm, yawDeg, pitchDeg, rollDeg, faceFraction,
          });
        }
        cell++;
      }
    }
  }
  return views;
}

/**
 * The `--quick` subset: 6 views at 512 px, 3 per split, one per light, |yaw| ≤ 30°, |pitch| ≤ 12°
 * preferred (where the detector is known to fire), so it stays a fast smoke test.
 */
export function quickSet(all = benchSet()): BenchView[] {
  const small = all.filter((v) => v.size === 512);
  const out: BenchView[] = [];
  LIGHTS.forEach((light, i) => {
    const split = i % 2 === 0 ? 'tune' : 'heldout';
    const cands = small.filter((v) => v.light === light && v.split === split)
      .sort((a, b) => Math.max(Math.abs(a.yawDeg) / 30, Math.abs(a.pitchDeg) / 12) - Math.max(Math.abs(b.yawDeg) / 30, Math.abs(b.pitchDeg) / 12));
    if (cands[0]) out.push(cands[0]);
  });
  return out;
}

/** Camera and head pose of a view. */
export function viewCamera(view: BenchView): { camera: Camera; pose: Pose } {
  const W = view.size, H = view.size;
  const camera = estimateCamera(W, H, { exifFocalLength35mm: view.focalLength35mm });
  const rnd = mulberry32(view.seed * 104729 + 1);
  const d = Math.PI / 180;
  const cy = Math.cos(view.yawDeg * d), sy = Math.sin(view.yawDeg * d);
  const cp = Math.cos(view.pitchDeg * d), sp = Math.sin(view.pitchDeg * d);
  const cr = Math.cos(view.rollDeg * d), sr = Math.sin(view.rollDeg * d);
  // R_rel = Ry(yaw)·Rx(pitch)·Rz(roll); R = F·R_rel with F = diag(1, −1, −1) (pose.ts convention).
  const Ry = [cy, 0, sy, 0, 1, 0, -sy, 0, cy];
  const Rx = [1, 0, 0, 0, cp, -sp, 0, sp, cp];
  const Rz = [cr, -sr, 0, sr, cr, 0, 0, 0, 1];
  const Rrel = mul3(mul3(Ry, Rx), Rz);
  const R = new Float64Array([Rrel[0]!, Rrel[1]!, Rrel[2]!, -Rrel[3]!, -Rrel[4]!, -Rrel[5]!, -Rrel[6]!, -Rrel[7]!, -Rrel[8]!]);
  const Z = (camera.fx * FACE_BREADTH_MM) / (view.faceFraction * W);
  // Face centre at the image centre, jittered by ±4 % of the frame.
  const jx = (rnd() * 2 - 1) * 0.04 * W, jy = (rnd() * 2 - 1) * 0.04 * H;
  const target = [(jx * Z) / camera.fx, (jy * Z) / camera.fy, Z];
  const c = FACE_CENTRE_HEAD;
  const t = new Float64Array(3);
  for (let r = 0; r < 3; r++) t[r] = target[r]! - (R[3 * r]! * c[0] + R[3 * r + 1]! * c[1] + R[3 * r + 2]! * c[2]);
  return { camera, pose: makePose(R, t) };
}

function mul3(a: number[], b: number[]): number[] {
  const o = new Array<number>(9).fill(0);
  for (let r = 0; r < 3; r++) for (let c = 0; c < 3; c++) for (let k = 0; k < 3; k++) o[3 * r + c]! += a[3 * r + k]! * b[3 * k + c]!;
  return o;
}

/** A light setup: renderer lighting plus an optional specular lobe along the key light. */
export interface LightSetup {
  lighting: RenderLighting;
  specular?: { intensity: number; exponent: number; direction: [number, number, number] };
  /**
   * The lights that cast shadows when the view is rendered with shadows: for SH lighting each
   * directional light with its share of the coefficients (the ambient is the environment);
   * omitted for a directional lighting (the light itself).
   */
  keys?: NonNullable<RenderShadows['keys']>;
  /**
   * The same lights as plain sources, for another renderer (Blender Cycles, `bench/cycles/`):
   * each key's direction (toward the light, camera frame) and colour (its shading is
   * colour · max(0, n · direction)), and the constant ambient shading.
   */
  sources: { keys: Array<{ direction: [number, number, number]; rgb: [number, number, number] }>; ambient: [number, number, number] };
}

/**
 * The lighting of a view (camera frame: +X right, +Y down, +Z into the scene; a direction is
 * where the light comes FROM). Side lights pick their side from the seed.
 */
export function viewLighting(view: BenchView): LightSetup {
  const side = view.seed % 4 < 2 ? 1 : -1;
  const norm = (v: [number, number, number]): [number, number, number] => {
    const l = Math.hypot(...v);
    return [v[0] / l, v[1] / l, v[2] / l];
  };
  let keys: NonNullable<LightSetup['keys']> = [];
  let sources: LightSetup['sources'] = { keys: [], ambient: [0, 0, 0] };
  const sh = (lights: Array<{ d: [number, number, number]; rgb: [number, number, number] }>, ambient: [number, number, number]): Float64Array => {
    const out = new Float64Array(27);
    keys = [];
    sources = { keys: [], ambient };
    for (const { d, rgb } of lights) {
      const n = norm(d);
      sources.keys.push({ direction: n, rgb });
      const c = directionalSH(n[0], n[1], n[2], rgb, 0);
      for (let i = 0; i < 27; i++) out[i]! += c[i]!;
      keys.push({ direction: n, coefficients: c });
    }
    // Ambient: constant shading a (Y00 · coeff = a ⇒ coeff = a / 0.2821).
    for (let ch = 0; ch < 3; ch++) out[ch * 9]! += ambient[ch]! / 0.28209479177387814;
    return out;
  };
  const setup = lightingOf(view, side, norm, sh);
  const l = setup.lighting;
  if (l.type === 'sh') return { ...setup, keys, sources };
  const a = l.ambient ?? DIRECTIONAL_AMBIENT_DEFAULT;
  return { ...setup, sources: { keys: [{ direction: norm(l.direction), rgb: l.color ?? [1, 1, 1] }], ambient: [a, a, a] } };
}

function lightingOf(
  view: BenchView, side: number,
  norm: (v: [number, number, number]) => [number, number, number],
  sh: (lights: Array<{ d: [number, number, number]; rgb: [number, number, number] }>, ambient: [number, number, number]) => Float64Array,
): Omit<LightSetup, 'sources'> {
  switch (view.light) {
    case 'soft-frontal': {
      const d = norm([0.15, -0.35, -0.92]);
      return { lighting: { type: 'sh', coefficients: sh([{ d, rgb: [0.75, 0.74, 0.72] }], [0.3, 0.3, 0.3]) }, specular: { intensity: 0.08, exponent: 20, direction: d } };
    }
    case 'hard-side': {
      const d = norm([0.9 * side, -0.25, -0.35]);
      return { lighting: { type: 'directional', direction: d, color: [1.05, 1.0, 0.95], ambient: 0.06 }, specular: { intensity: 0.25, exponent: 40, direction: d } };
    }
    case 'top': {
      const d = norm([0.05, -0.95, -0.3]);
      return { lighting: { type: 'sh', coefficients: sh([{ d, rgb: [0.95, 0.95, 0.92] }], [0.12, 0.12, 0.13]) }, specular: { intensity: 0.15, exponent: 30, direction: d } };
    }
    case 'low-key': {
      const d = norm([0.7 * side, -0.35, -0.6]);
      return { lighting: { type: 'directional', direction: d, color: [0.55, 0.52, 0.5], ambient: 0.03 }, specular: { intensity: 0.12, exponent: 30, direction: d } };
    }
    case 'coloured': {
      const a = norm([0.8 * side, -0.2, -0.55]), b = norm([-0.8 * side, -0.1, -0.6]);
      return {
        lighting: { type: 'sh', coefficients: sh([{ d: a, rgb: [0.95, 0.55, 0.25] }, { d: b, rgb: [0.2, 0.4, 0.9] }], [0.06, 0.06, 0.08]) },
        specular: { intensity: 0.12, exponent: 30, direction: a },
      };
    }
    case 'window': {
      const d = norm([0.75 * side, -0.25, -0.62]);
      return { lighting: { type: 'sh', coefficients: sh([{ d, rgb: [0.8, 0.85, 0.92] }], [0.15, 0.15, 0.16]) }, specular: { intensity: 0.1, exponent: 25, direction: d } };
    }
  }
}

/** The views' background at row `y` of `H`: a dark grey vertical gradient (sRGB 0.30 at the top to 0.14 at the bottom). */
export function viewBackground(y: number, H: number): [number, number, number] {
  const g = 0.3 - 0.16 * (y / (H - 1));
  return [g, g * 0.98, g * 1.04];
}

/** A rendered view with its ground truth. */
export interface ViewRender {
  view: BenchView;
  camera: Camera;
  pose: Pose;
  /** The photo given to the pipeline: sRGB RGB with background and a little sensor noise. */
  image: Image;
  /** Ground truth at image resolution (normal = scan geometry ⊕ its normal map). */
  gt: EvalRender;
  /** 1 where the pixel is entirely inside the face region (all its samples), else 0. */
  mask: Uint8Array;
  /** mm per pixel at the head origin's depth. */
  mmPerPixel: number;
}

/** Supersampling of the ground-truth renders (samples per pixel per axis). */
export const GT_SUPERSAMPLE = 2;

/** Options of {@link renderView}. */
export interface RenderViewOptions {
  /**
   * Cast shadows of the key lights and ambient occlusion of the ambient light, the scan against
   * itself (renderMesh `shadows`; the scan's AO is computed once per scan, 256 directions).
   * Default false: every light reaches every point (the accuracy benchmark's renders).
   */
  shadows?: boolean;
}

const scanOcclusion = new WeakMap<Scan, Float32Array>();
/** The scan's per-vertex ambient occlusion (pose-invariant: computed once, in the head frame). */
export function scanAmbientOcclusion(scan: Scan): Float32Array {
  let ao = scanOcclusion.get(scan);
  if (!ao) {
    ao = meshAmbientOcclusion(scan.mesh);
    scanOcclusion.set(scan, ao);
  }
  return ao;
}

/**
 * Render a view of the scan: the photo (albedo × SH or directional light + specular modulated by
 * the scan's specular map, over a dark grey vertical gradient, with seeded Gaussian noise of
 * σ = 1/255; with `shadows`, the key lights' cast shadows and the ambient's occlusion) and the
 * ground truth (normals with the normal map, depth, face mask).
 */
export function renderView(scan: Scan, view: BenchView, options: RenderViewOptions = {}): ViewRender {
  const { camera, pose } = viewCamera(view);
  const meshCam: Mesh = meshHeadToCamera(scan.mesh, pose);
  const light = viewLighting(view);
  const gt = renderForEval(meshCam, camera, {
    lighting: light.lighting,
    ...(light.specular ? { specular: light.specular } : {}),
    ...(options.shadows ? { shadows: { ...(light.keys ? { keys: light.keys } : {}), ambientOcclusion: scanAmbientOcclusion(scan) } } : {}),
    albedo: scan.albedo,
    normalMap: scan.normalMap,
    specularMap: scan.specularMap,
    supersample: GT_SUPERSAMPLE,
    region: faceRegionSampler(scan),
  });
  const W = camera.width, H = camera.height;
  const image: Image = { width: W, height: H, channels: 3, data: new Float32Array(W * H * 3) };
  const rnd = mulberry32(view.seed * 15485863 + 7);
  const gauss = (): number => {
    const u = Math.max(1e-12, rnd()), v = rnd();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  };
  const mask = new Uint8Array(W * H);
  for (let y = 0; y < H; y++) {
    const bg = viewBackground(y, H);
    for (let x = 0; x < W; x++) {
      const p = y * W + x;
      const cov = gt.coverage[p]!;
      for (let c = 0; c < 3; c++) {
        const v = gt.image.data[3 * p + c]! + (1 - cov) * bg[c]! + gauss() / 255;
        image.data[3 * p + c] = Math.min(1, Math.max(0, v));
      }
      mask[p] = gt.region[p]! >= 1 - 1e-6 ? 1 : 0;
    }
  }
  const mmPerPixel = pose.translation[2]! / camera.fx;
  return { view, camera, pose, image, gt, mask, mmPerPixel };
}

/**
 * Ground-truth renders of the ICT FaceKit model for the proxy benchmark: seeded identities,
 * expressions and poses, rendered with the project's renderer and a plausible per-vertex albedo
 * (skin, darker red lips, dark brows and hair, white eyeballs with a brown iris and black pupil,
 * dark mouth interior, teeth) so that Human's detector fires on them.
 */
import { estimateCamera } from '../../src/core/camera/estimate-camera.js';
import { makePose } from '../../src/core/camera/pose.js';
import { directionalSH } from '../../src/core/lighting/sh.js';
import { computeVertexNormals } from '../../src/core/mesh/normals.js';
import { emotionPrototype } from '../../src/core/model/ict/emotion-prior.js';
import { ictRegionVertices, type IctModelData } from '../../src/core/model/ict/ict-cache.js';
import { ictShape } from '../../src/core/model/ict/ict-fit.js';
import { renderMesh } from '../../src/core/render/render-mesh.js';
import { EMOTIONS, type Camera, type Emotion, type Image, type Pose } from '../../src/core/types.js';
import { mulberry32 } from '../accuracy/scene.js';

/** The kinds of render: neutral expression, random sparse expression, one basic emotion's full prototype. */
export type ProxyGroup = 'neutral' | 'random' | 'emotion';

export interface ProxyCase {
  id: string;
  group: ProxyGroup;
  seed: number;
  /** The emotion of an `emotion` case. */
  emotion?: Emotion;
  identity: Float32Array;
  expression: Float32Array;
  yawDeg: number;
  pitchDeg: number;
  rollDeg: number;
  size: number;
  focalLength35mm: number;
  /** Fraction of the image width the face breadth (150 mm) fills. */
  faceFraction: number;
  /**
   * Key light: direction it comes FROM (camera frame; normalised), ambient level and colour.
   * Default (the benchmark's): [±0.45, −0.35, −0.82] (side from the seed), ambient 0.3, [0.8, 0.78, 0.75].
   */
  light?: { direction: [number, number, number]; ambient: number; color: [number, number, number] };
}

/** First seed of the benchmark set ({@link proxyCases}); calibration sets must use other seeds. */
export const PROXY_BENCH_SEED_START = 5000;
/** First seed of the correspondence-calibration set ({@link calibrationCases}). */
export const CALIBRATION_SEED_START = 90000;

/** Identity modes drawn for the ground truth (the rest stay 0): all of ICT's 100. */
export const GT_IDENTITY_COUNT = 100;

/**
 * The bench set: `neutral` (zero expression) × n, `random` (2–5 random shapes at 0.2–0.9) × n,
 * and each of the six basic emotions at its full EMFACS prototype (emotion-prior.ts), repeated
 * `emotionRepeats` times (seeds from {@link PROXY_BENCH_SEED_START}, consecutive); identities ~ N(0, 1) per weight (ICT's prior), yaw ±30°, pitch ±15°,
 * roll ±5°, lens 35–85 mm (35 mm equivalent), 640 px square.
 *
 * @example proxyCases(data, { neutral: 6, random: 12, emotionRepeats: 2 })
 */
export function proxyCases(data: IctModelData, counts: { neutral: number; random: number; emotionRepeats: number }): ProxyCase[] {
  const nExpr = data.expressionNames.length;
  const out: ProxyCase[] = [];
  let seed = PROXY_BENCH_SEED_START;
  const make = (group: ProxyGroup, emotion?: Emotion): void => {
    const s = seed++;
    const rnd = mulberry32(s * 7919);
    const gauss = (): number => Math.sqrt(-2 * Math.log(Math.max(1e-12, rnd()))) * Math.cos(2 * Math.PI * rnd());
    const identity = Float32Array.from({ length: GT_IDENTITY_COUNT }, gauss);
    let expression: Float32Array = new Float32Array(nExpr);
    if (group === 'random') {
      const k = 2 + Math.floor(rnd() * 4);
      for (let i = 0; i < k; i++) {
        const e = Math.floor(rnd() * nExpr);
        // Gaze shapes barely move the surface the landmarks see; skip them (they are not "expression").
        if (data.expressionNames[e]!.startsWith('eyeLook')) { i--; continue; }
        expression[e] = 0.2 + 0.7 * rnd();
      }
    } else if (group === 'emotion' && emotion) {
      expression = emotionPrototype(emotion, data.expressionNames);
    }
    out.push({
      id: `${group}${emotion ? `-${emotion}` : ''}-${s}`, group, seed: s, ...(emotion ? { emotion } : {}), identity, expression,
      yawDeg: (rnd() * 2 - 1) * 30, pitchDeg: (rnd() * 2 - 1) * 15, rollDeg: (rnd() * 2 - 1) * 5,
      size: 640, focalLength35mm: Math.round(35 + 50 * rnd()), faceFraction: 0.45 + 0.15 * rnd(),
    });
  };
  for (let i = 0; i < counts.neutral; i++) make('neutral');
  for (let i = 0; i < counts.random; i++) make('random');
  for (let r = 0; r < counts.emotionRepeats; r++) for (const e of EMOTIONS) if (e !== 'neutral') make('emotion', e);
  return out;
}

/**
 * The correspondence-calibration set (bench/proxy/calibrate.ts): seeds from
 * {@link CALIBRATION_SEED_START} (disjoint from the benchmark's), identities ~ N(0, 1), a third
 * neutral and the rest mild sparse expressions (1–3 shapes at 0.05–0.35, no gaze shapes), yaw
 * ±30°, pitch ±15°, roll ±5°, lens 35–85 mm, and a key light drawn per case (side, height,
 * frontal-ness, ambient 0.2–0.45, warm or cool tint).
 *
 * @example calibrationCases(data, 96)
 */
export function calibrationCases(data: IctModelData, count: number, seedStart = CALIBRATION_SEED_START): ProxyCase[] {
  const nExpr = data.expressionNames.length;
  const out: ProxyCase[] = [];
  for (let k = 0; k < count; k++) {
    const s = seedStart + k;
    const rnd = mulberry32(s * 7919 + 11);
    const gauss = (): number => Math.sqrt(-2 * Math.log(Math.max(1e-12, rnd()))) * Math.cos(2 * Math.PI * rnd());
    const identity = Float32Array.from({ length: GT_IDENTITY_COUNT }, gauss);
    const expression = new Float32Array(nExpr);
    if (k % 3 !== 0) {
      const m = 1 + Math.floor(rnd() * 3);
      for (let i = 0; i < m; i++) {
        const e = Math.floor(rnd() * nExpr);
        if (data.expressionNames[e]!.startsWith('eyeLook')) { i--; continue; }
        expression[e] = 0.05 + 0.3 * rnd();
      }
    }
    const side = rnd() < 0.5 ? -1 : 1;
    const tint = rnd();
    out.push({
      id: `calib-${s}`, group: k % 3 === 0 ? 'neutral' : 'random', seed: s, identity, expression,
      yawDeg: (rnd() * 2 - 1) * 30, pitchDeg: (rnd() * 2 - 1) * 15, rollDeg: (rnd() * 2 - 1) * 5,
      size: 640, focalLength35mm: Math.round(35 + 50 * rnd()), faceFraction: 0.45 + 0.15 * rnd(),
      light: {
        direction: [side * (0.1 + 0.6 * rnd()), -0.6 + 0.8 * rnd(), -0.6 - 0.4 * rnd()],
        ambient: 0.2 + 0.25 * rnd(),
        color: tint < 0.33 ? [0.85, 0.8, 0.72] : tint < 0.67 ? [0.8, 0.78, 0.75] : [0.72, 0.76, 0.82],
      },
    });
  }
  return out;
}

/** Camera and model → camera pose of a case (model frame = head frame: x subject's left, y up, z out). */
export function caseCamera(c: ProxyCase): { camera: Camera; pose: Pose } {
  const camera = estimateCamera(c.size, c.size, { exifFocalLength35mm: c.focalLength35mm });
  const d = Math.PI / 180;
  const cy = Math.cos(c.yawDeg * d), sy = Math.sin(c.yawDeg * d), cp = Math.cos(c.pitchDeg * d), sp = Math.sin(c.pitchDeg * d);
  const cr = Math.cos(c.rollDeg * d), sr = Math.sin(c.rollDeg * d);
  const Ry = [cy, 0, sy, 0, 1, 0, -sy, 0, cy], Rx = [1, 0, 0, 0, cp, -sp, 0, sp, cp], Rz = [cr, -sr, 0, sr, cr, 0, 0, 0, 1];
  const Rrel = mul3(mul3(Ry, Rx), Rz);
  const R = new Float64Array(9);
  for (let i = 0; i < 9; i++) R[i] = i < 3 ? Rrel[i]! : -Rrel[i]!;
  const Z = (camera.fx * 150) / (c.faceFraction * c.size);
  const centre = [0, 10, 90]; // between nose root and tip
  const t = new Float64Array(3);
  const target = [0, 0, Z];
  for (let r = 0; r < 3; r++) t[r] = target[r]! - (R[3 * r]! * centre[0]! + R[3 * r + 1]! * centre[1]! + R[3 * r + 2]! * centre[2]!);
  return { camera, pose: makePose(R, t) };
}

/** Render mesh of the ICT model (skin, sockets, teeth, eyeballs) and its per-vertex albedo (linear RGB). */
export interface IctRenderAssets {
  indices: Uint32Array;
  colors: Float32Array;
}

const srgb2lin = (c: number): number => (c <= 0.04045 ? c / 12.92 : Math.pow((c + 0.055) / 1.055, 2.4));
const lin = (r: number, g: number, b: number): [number, number, number] => [srgb2lin(r), srgb2lin(g), srgb2lin(b)];

/**
 * Per-vertex albedo from the ICT regions and the 68 landmark vertices: skin with a slow
 * variation, lips (inside the outer-lip polygon of landmarks 48–59), brows (within 4.5 mm of
 * the brow polylines 17–21, 22–26), hair on the scalp, eyeballs white with a brown iris and a
 * black pupil (by angle from the eyeball's axis), dark mouth socket, pink gums and tongue, off-white teeth.
 */
export function ictRenderAssets(data: IctModelData): IctRenderAssets {
  const N = data.vertexCount, P = data.neutral;
  const colors = new Float32Array(3 * N);
  const set = (v: number, c: [number, number, number]): void => { colors[3 * v] = c[0]; colors[3 * v + 1] = c[1]; colors[3 * v + 2] = c[2]; };
  const skin = lin(0.82, 0.63, 0.53), lips = lin(0.66, 0.33, 0.33), brow = lin(0.2, 0.14, 0.1), hair = lin(0.17, 0.12, 0.09);
  const lm = (i: number): [number, number, number] => { const v = data.landmarks68[i]!; return [P[3 * v]!, P[3 * v + 1]!, P[3 * v + 2]!]; };
  const lipPoly = Array.from({ length: 12 }, (_, i) => lm(48 + i));
  const browR = Array.from({ length: 5 }, (_, i) => lm(17 + i)), browL = Array.from({ length: 5 }, (_, i) => lm(22 + i));
  const browTop = Math.max(...browR.map((p) => p[1]), ...browL.map((p) => p[1]));
  const inPoly = (x: number, y: number, poly: Array<[number, number, number]>): boolean => {
    let inside = false;
    for (let i = 0, j = poly.length - 1; i < poly.length; j = i++) {
      const [xi, yi] = poly[i]!, [xj, yj] = poly[j]!;
      if ((yi > y) !== (yj > y) && x < ((xj - xi) * (y - yi)) / (yj - yi) + xi) inside = !inside;
    }
    return inside;
  };
  const segDist = (x: number, y: number, line: Array<[number, number, number]>): number => {
    let best = Infinity;
    for (let i = 0; i + 1 < line.length; i++) {
      const [ax, ay] = line[i]!, [bx, by] = line[i + 1]!;
      const dx = bx - ax, dy = by - ay, l2 = dx * dx + dy * dy;
      const s = Math.max(0, Math.min(1, ((x - ax) * dx + (y - ay) * dy) / l2));
      best = Math.min(best, Math.hypot(x - ax - s * dx, y - ay - s * dy));
    }
    return best;
  };
  const region = (name: string): Uint32Array => ictRegionVertices(data, name);
  const skinEnd = 11248;
  for (let v = 0; v < skinEnd; v++) {
    const x = P[3 * v]!, y = P[3 * v + 1]!, z = P[3 * v + 2]!;
    const k = 1 + 0.05 * Math.sin(x * 0.08) * Math.cos(y * 0.07);
    let c: [number, number, number] = [skin[0] * k, skin[1] * k, skin[2] * k];
    if (v < 9409 && z > 60 && inPoly(x, y, lipPoly)) c = lips;
    else if (v < 9409 && z > 55 && y > browTop - 18 && (segDist(x, y, browR) < 4.5 || segDist(x, y, browL) < 4.5)) c = brow;
    else if (y > browTop + 38 || (z < -20 && y > -40)) c = hair;
    set(v, c);
  }
  for (const v of region('mouthSocket')) set(v, lin(0.3, 0.08, 0.08));
  for (const v of [...region('eyeSocketLeft'), ...region('eyeSocketRight')]) set(v, lin(0.55, 0.32, 0.3));
  for (const v of region('gumsTongue')) set(v, lin(0.62, 0.3, 0.3));
  for (const v of region('teeth')) set(v, lin(0.85, 0.83, 0.76));
  // Eyeballs: white, with a brown iris and a black pupil by angle from the eyeball's forward
  // axis (+z; ICT's iris vertices sit under the cornea shell, so colour the outer surface).
  for (const ball of ['eyeballLeft', 'eyeballRight'] as const) {
    const vs = region(ball);
    let cx = 0, cy = 0, cz = 0;
    for (const v of vs) { cx += P[3 * v]!; cy += P[3 * v + 1]!; cz += P[3 * v + 2]!; }
    cx /= vs.length; cy /= vs.length; cz /= vs.length;
    for (const v of vs) {
      const dx = P[3 * v]! - cx, dy = P[3 * v + 1]! - cy, dz = P[3 * v + 2]! - cz;
      const ang = (Math.acos(Math.max(-1, Math.min(1, dz / (Math.hypot(dx, dy, dz) || 1)))) * 180) / Math.PI;
      set(v, ang < 11 ? lin(0.03, 0.03, 0.03) : ang < 27 ? lin(0.36, 0.24, 0.14) : lin(0.88, 0.86, 0.84));
    }
  }
  return { indices: data.triangles, colors };
}

/** A rendered case: the photo and the ground-truth camera-frame vertices. */
export interface ProxyRender {
  camera: Camera;
  pose: Pose;
  image: Image;
  /** Ground-truth positions of all cache vertices, camera frame, mm. */
  positions: Float32Array;
  /** The renderer's per-pixel triangle (index into the cache's `triangles` / 3; −1 = background). */
  triangle: Int32Array;
  /** The renderer's per-pixel perspective-correct barycentrics (2 per pixel; see RenderResult). */
  barycentric: Float32Array;
  /** Per-pixel camera depth, mm (+Infinity = background). */
  depth: Float32Array;
}

/**
 * Ground truth of a case without rendering: camera, pose and the camera-frame positions of all
 * cache vertices (mm).
 *
 * @example const { positions } = caseTruth(data, c);
 */
export function caseTruth(data: IctModelData, c: ProxyCase): { camera: Camera; pose: Pose; positions: Float32Array } {
  const { camera, pose } = caseCamera(c);
  const shape = ictShape(data, c.identity, c.expression);
  const R = pose.rotation, t = pose.translation;
  const N = data.vertexCount;
  const positions = new Float32Array(3 * N);
  for (let v = 0; v < N; v++) {
    const x = shape[3 * v]!, y = shape[3 * v + 1]!, z = shape[3 * v + 2]!;
    for (let r = 0; r < 3; r++) positions[3 * v + r] = R[3 * r]! * x + R[3 * r + 1]! * y + R[3 * r + 2]! * z + t[r]!;
  }
  return { camera, pose, positions };
}

/** Benchmark splits: `tune` chooses the fit's defaults, `held-out` checks them. */
export type ProxySplit = 'tune' | 'held-out';

/**
 * The split of a case, by a hash bit of its seed (Knuth's multiplicative hash, bit 15): of the
 * benchmark's 8 neutral / 16 random / 18 emotion cases, 4 / 8 / 9 tune, and every emotion has
 * at least one tuning case (plain seed parity would put each emotion wholly in one split).
 */
export function proxySplit(c: Pick<ProxyCase, 'seed'>): ProxySplit {
  return (((Math.imul(c.seed, 2654435761) >>> 0) >>> 15) & 1) === 1 ? 'tune' : 'held-out';
}

/** Render one case: soft key light + ambient, grey gradient background, σ = 1/255 noise. */
export function renderCase(data: IctModelData, assets: IctRenderAssets, c: ProxyCase): ProxyRender {
  const { camera, pose, positions } = caseTruth(data, c);
  const normals = computeVertexNormals(positions, assets.indices);
  const rnd = mulberry32(c.seed * 104729 + 3);
  const side = rnd() < 0.5 ? -1 : 1;
  const dir = c.light?.direction ?? [0.45 * side, -0.35, -0.82];
  const dl = Math.hypot(dir[0]!, dir[1]!, dir[2]!);
  const sh = directionalSH(dir[0]! / dl, dir[1]! / dl, dir[2]! / dl, c.light?.color ?? [0.8, 0.78, 0.75], 0);
  for (let ch = 0; ch < 3; ch++) sh[ch * 9]! += (c.light?.ambient ?? 0.3) / 0.28209479177387814;
  const r = renderMesh({ positions, indices: assets.indices, normals }, camera, {
    lighting: { type: 'sh', coefficients: sh }, vertexColors: assets.colors, output: 'srgb',
    specular: { intensity: 0.06, exponent: 25, direction: [dir[0]! / dl, dir[1]! / dl, dir[2]! / dl] },
  });
  const W = camera.width, H = camera.height;
  const image: Image = { width: W, height: H, channels: 3, data: new Float32Array(W * H * 3) };
  const gauss = (): number => Math.sqrt(-2 * Math.log(Math.max(1e-12, rnd()))) * Math.cos(2 * Math.PI * rnd());
  for (let y = 0; y < H; y++) {
    const g = 0.42 - 0.2 * (y / (H - 1));
    for (let x = 0; x < W; x++) {
      const p = y * W + x, hit = r.triangle[p]! >= 0;
      for (let ch = 0; ch < 3; ch++) {
        const v = (hit ? r.image.data[3 * p + ch]! : g * [1, 0.98, 1.04][ch]!) + gauss() / 255;
        image.data[3 * p + ch] = Math.min(1, Math.max(0, v));
      }
    }
  }
  return { camera, pose, image, positions, triangle: r.triangle, barycentric: r.barycentric, depth: r.depth };
}

function mul3(a: number[], b: number[]): number[] {
  const o = new Array<number>(9).fill(0);
  for (let r = 0; r < 3; r++) for (let c = 0; c < 3; c++) for (let k = 0; k < 3; k++) o[3 * r + c]! += a[3 * r + k]! * b[3 * k + c]!;
  return o;
}

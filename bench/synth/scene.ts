/**
 * Synthetic wrinkle scenes (training renderer v2 / detail benchmark v2): a seeded ICT identity,
 * expression and age, its wrinkle map (generator v2) and a pigment albedo without baked wrinkles,
 * a camera, lights, optional occluders, rendered with `renderSkin`, plus the ground truth of the
 * same samples (detailed / smooth normals, displacement, skin mask, regions). Isomorphic.
 */
import { computeVertexNormals } from '../../src/core/mesh/normals.js';
import { loopSubdivide } from '../../src/core/mesh/subdivide.js';
import type { IctModelData } from '../../src/core/model/ict/ict-cache.js';
import { ictShape } from '../../src/core/model/ict/ict-fit.js';
import { ICT_TOPOLOGY_VERTEX_COUNT, ictTopology } from '../../src/core/model/ict/ict-topology.js';
import { directionalSH } from '../../src/core/lighting/sh.js';
import { renderSkin, type SkinLight, type SkinRender, type SkinRenderOptions } from '../../src/core/render/render-skin.js';
import type { Camera, Image, Mesh, Pose } from '../../src/core/types.js';
import { rasterizeUV } from '../../src/core/unwrap/rasterize-uv.js';
import { caseCamera, ictRenderAssets } from '../proxy/scene.js';
import { ictFaceMesh, synthFace, type SynthFace } from './faces.js';
import {
  cylinderAxisZ, facePlane, generateWrinkles, ictWrinkleAnchors, mulberry, type FaceAnchors, type WrinkleMap,
} from './wrinkles.js';

/** Region labels of the detail benchmark (0 = none / not skin-scored per region). */
export const DETAIL_REGIONS = ['forehead', 'glabella', 'eyes', 'cheeks', 'nasolabial', 'mouth', 'chin'] as const;
export type DetailRegion = (typeof DETAIL_REGIONS)[number];

/** One synthetic scene. */
export interface SynthCase {
  id: string;
  seed: number;
  face: SynthFace;
  preset: string;
  size: number;
  yawDeg: number; pitchDeg: number; rollDeg: number;
  focalLength35mm: number;
  faceFraction: number;
  /** Key light (toward the light, camera frame), colour, area radius; environment level. */
  key: { direction: [number, number, number]; color: [number, number, number]; radiusDeg: number };
  ambient: number;
  roughness: number;
  /** Occluders drawn in front of the face (their pixels are masked from the scores). */
  glasses?: { thick: boolean; metal: boolean };
  /** A fringe of hair strands across the forehead (an occluder; see hairMesh). */
  hair?: { strands: number; color: [number, number, number]; seed: number };
  /** A hand resting on one cheek (an occluder of skin colour; see handMesh). Only when asked for. */
  hand?: { side: -1 | 1; tone: number; seed: number };
  /** JPEG quality the photo is saved at (the caller encodes), blur σ px, noise σ. */
  jpegQuality: number; blurPx: number; noise: number;
}

/**
 * A seeded scene: identity ~ N(0, 1), the given age and expression preset, yaw ±25°, pitch ±12°,
 * lens 35–85 mm, face 45–60 % of the frame, a key light from a side and above with an area of
 * 0–12°, ambient 0.25–0.45, roughness 0.25 (oily) – 0.55 (dry), glasses on a quarter of the cases,
 * a fringe of hair strands on a quarter (independently), a hand on a cheek when `o.hand`,
 * JPEG 80–95, blur σ 0–0.6 px, noise σ 0.004–0.012.
 *
 * @example synthCase(data, 3001, { age: 70, preset: 'smile', size: 512 })
 */
export function synthCase(data: IctModelData, seed: number, o: { age: number; preset: string; size: number; glasses?: boolean; hair?: boolean; hand?: boolean }): SynthCase {
  const face = synthFace(data, seed, { age: o.age, preset: o.preset });
  const rnd = mulberry(seed * 104729 + o.size);
  const U = (a: number, b: number): number => a + (b - a) * rnd();
  const side = rnd() < 0.5 ? -1 : 1;
  const key: [number, number, number] = [side * U(0.35, 0.85), U(-0.7, -0.15), -U(0.35, 0.8)];
  const kc = U(0.9, 1.3), tint = U(-0.06, 0.06);
  return {
    id: `syn${seed}-a${o.age}-${o.preset}-${o.size}`, seed, face, preset: o.preset, size: o.size,
    yawDeg: U(-25, 25), pitchDeg: U(-12, 12), rollDeg: U(-4, 4), focalLength35mm: Math.round(U(35, 85)), faceFraction: U(0.45, 0.6),
    key: { direction: key, color: [kc * (1 + tint), kc, kc * (1 - tint)], radiusDeg: U(0, 12) }, ambient: U(0.25, 0.45), roughness: U(0.25, 0.55),
    ...(o.glasses ?? rnd() < 0.25 ? { glasses: { thick: rnd() < 0.5, metal: rnd() < 0.5 } } : {}),
    jpegQuality: Math.round(U(80, 95)), blurPx: U(0, 0.6), noise: U(0.004, 0.012),
    // Drawn last, so the fields above are those of earlier versions for the same seed.
    ...(o.hair ?? rnd() < 0.25 ? { hair: hairCase(rnd) } : {}),
    // Hands only when asked for (o.hand): the draw comes last and leaves every other field as before.
    ...(o.hand ? { hand: { side: rnd() < 0.5 ? -1 : 1, tone: U(0.85, 1.1), seed: Math.floor(rnd() * 2 ** 31) } as const } : {}),
  };
}

/** A fringe's draw: 8–40 strands, black … dark blond. */
function hairCase(rnd: () => number): NonNullable<SynthCase['hair']> {
  const strands = 8 + Math.floor(33 * rnd()), tone = rnd();
  const color: [number, number, number] = [0.02 + 0.25 * tone ** 2, 0.015 + 0.17 * tone ** 2, 0.01 + 0.09 * tone ** 2];
  return { strands, color, seed: Math.floor(rnd() * 2 ** 31) };
}

/** The assets of a case independent of the camera: wrinkle map, albedo and region labels (ICT UV layout). */
export interface SynthAssets {
  map: WrinkleMap;
  albedo: Image;
  /** Per texel: 0 not scored, k = 1 + index in {@link DETAIL_REGIONS}; 255 = skin excluded (brows, lips). */
  labels: Uint8Array;
  anchors: FaceAnchors;
}

/** Wrinkles, albedo and labels of a case's face at `size`² texels. */
export function synthAssets(data: IctModelData, face: SynthFace, size: number): SynthAssets {
  const rest = ictShape(data, face.identity, new Float32Array(data.expressionNames.length));
  const geom = rasterizeUV(ictFaceMesh(data, rest), size, size);
  const anchors = ictWrinkleAnchors(rest, data.landmarks68);
  const map = generateWrinkles(geom, anchors, { seed: face.seed, age: face.age, expression: face.wrinkleExpression });
  const z0 = cylinderAxisZ(anchors);
  const n = size * size;
  const qx = new Float32Array(n), qy = new Float32Array(n);
  for (let p = 0; p < n; p++) if (geom.coverage[p]) { const q = facePlane(geom.position[3 * p]!, geom.position[3 * p + 1]!, geom.position[3 * p + 2]!, z0); qx[p] = q[0]; qy[p] = q[1]; }
  const labels = regionLabels(qx, qy, geom.coverage, anchors);
  const albedo = pigmentAlbedo(qx, qy, geom.coverage, labels, anchors, face.seed, size);
  return { map, albedo, labels, anchors };
}

/** Anchor points in the face plane. */
function planeAnchors(a: FaceAnchors): Record<keyof FaceAnchors, [number, number]> {
  const z0 = cylinderAxisZ(a);
  const out = {} as Record<keyof FaceAnchors, [number, number]>;
  for (const k of Object.keys(a) as Array<keyof FaceAnchors>) out[k] = facePlane(a[k][0], a[k][1], a[k][2], z0);
  return out;
}

/** Region label per texel from face-plane coordinates (see {@link DETAIL_REGIONS}); 255 = brows and lips (not skin). */
export function regionLabels(qx: Float32Array, qy: Float32Array, cov: ArrayLike<number>, anchors: FaceAnchors): Uint8Array {
  const A = planeAnchors(anchors);
  const lab = new Uint8Array(qx.length);
  const midX = (A.browInnerR[0] + A.browInnerL[0]) / 2;
  const browY = (A.browInnerR[1] + A.browInnerL[1] + A.browOuterR[1] + A.browOuterL[1]) / 4;
  const eyeY = (A.eyeInnerR[1] + A.eyeOuterR[1] + A.eyeInnerL[1] + A.eyeOuterL[1]) / 4;
  const mouthY = (A.mouthCornerR[1] + A.mouthCornerL[1]) / 2;
  const seg = (x: number, y: number, a: [number, number], b: [number, number]): number => {
    const dx = b[0] - a[0], dy = b[1] - a[1], l2 = dx * dx + dy * dy || 1;
    const t = Math.max(0, Math.min(1, ((x - a[0]) * dx + (y - a[1]) * dy) / l2));
    return Math.hypot(x - a[0] - t * dx, y - a[1] - t * dy);
  };
  const R = (k: DetailRegion): number => 1 + DETAIL_REGIONS.indexOf(k);
  for (let p = 0; p < qx.length; p++) {
    if (!(cov[p]! > 0)) continue;
    const x = qx[p]!, y = qy[p]!;
    // Not skin: brows (within 5 mm of the brow line) and the lips' vermilion.
    const onBrow = seg(x, y, A.browOuterR, A.browInnerR) < 5 || seg(x, y, A.browInnerL, A.browOuterL) < 5;
    const lipHalfW = Math.abs(A.mouthCornerL[0] - A.mouthCornerR[0]) / 2;
    const lx = (x - (A.mouthCornerR[0] + A.mouthCornerL[0]) / 2) / lipHalfW;
    const onLip = Math.abs(lx) < 1 && y < A.upperLipTop[1] - 0.5 * (1 - lx * lx) + 0.5 && y > A.lowerLipBottom[1] + 0.5 * (1 - lx * lx) - 0.5 && y > A.lowerLipBottom[1] - 0.5;
    if (onBrow || onLip) { lab[p] = 255; continue; }
    const nearEye = (['R', 'L'] as const).some((s) => {
      const o = s === 'R' ? A.eyeOuterR : A.eyeOuterL, i = s === 'R' ? A.eyeInnerR : A.eyeInnerL;
      const cx = (o[0] + i[0]) / 2, hw = Math.abs(o[0] - i[0]) / 2 + 14;
      return Math.abs(x - cx) < hw && y < browY - 3 && y > eyeY - 14;
    });
    const nasolabial = seg(x, y, A.alaR, [A.mouthCornerR[0] - 8, A.mouthCornerR[1] - 8]) < 8 || seg(x, y, A.alaL, [A.mouthCornerL[0] + 8, A.mouthCornerL[1] - 8]) < 8;
    const mouth = Math.abs(x - midX) < lipHalfW + 10 && y < A.alaR[1] - 4 && y > A.lowerLipBottom[1] - 4;
    if (y > browY + 6) lab[p] = R('forehead');
    else if (Math.abs(x - midX) < 11 && y > eyeY + 4) lab[p] = R('glabella');
    else if (nearEye) lab[p] = R('eyes');
    else if (nasolabial) lab[p] = R('nasolabial');
    else if (mouth) lab[p] = R('mouth');
    else if (y < A.lowerLipBottom[1] - 4 && Math.abs(x - midX) < 32) lab[p] = R('chin');
    else if (y < eyeY - 8 && y > mouthY - 25 && Math.abs(x - midX) > 18) lab[p] = R('cheeks');
  }
  return lab;
}

/**
 * Albedo with no baked relief: a skin tone (seeded from light to dark), slow blotchy variation,
 * freckles, a few moles, stubble on some faces, lip colour, brows, and sometimes make-up (blush,
 * eye shadow). Linear RGB.
 */
function pigmentAlbedo(qx: Float32Array, qy: Float32Array, cov: ArrayLike<number>, labels: Uint8Array, anchors: FaceAnchors, seed: number, T: number): Image {
  const A = planeAnchors(anchors);
  const rnd = mulberry(seed * 31337 + 3);
  const U = (a: number, b: number): number => a + (b - a) * rnd();
  const tone = U(0, 1);
  const gain = U(0.92, 1.08), base = [0.62 - 0.45 * tone, 0.42 - 0.33 * tone, 0.33 - 0.27 * tone].map((c) => c * gain);
  const freckles = rnd() < 0.35 ? U(0.5, 1) : 0, stubble = rnd() < 0.3, makeup = rnd() < 0.25;
  const moles = Array.from({ length: Math.floor(U(0, 5)) }, () => [U(A.eyeOuterR[0] - 10, A.eyeOuterL[0] + 10), U(A.chin[1] + 10, A.browInnerR[1] + 30), U(0.6, 1.8)] as const);
  const data = new Float32Array(3 * T * T);
  const lipCol = [base[0]! * 1.05, base[1]! * 0.62, base[2]! * 0.7];
  const bk = U(0.6, 3), brow = [0.05 * bk, 0.035 * bk, 0.025 * bk];
  const h = (i: number, j: number, k: number): number => { let x = Math.imul(i, 73856093) ^ Math.imul(j, 19349663) ^ Math.imul(k + seed, 83492791); x = Math.imul(x ^ (x >>> 13), 0x5bd1e995); return ((x ^ (x >>> 15)) >>> 0) / 4294967296; };
  for (let p = 0; p < T * T; p++) {
    if (!(cov[p]! > 0)) continue;
    const x = qx[p]!, y = qy[p]!;
    const blotch = 1 + 0.05 * Math.sin(x * 0.11 + seed) * Math.cos(y * 0.09 - seed) + 0.03 * Math.sin(x * 0.37 + y * 0.21);
    const c = base.map((v) => v * blotch);
    // Redness on cheeks and nose.
    const cheekR = Math.exp(-(((Math.abs(x - (A.noseTip[0])) - 35) / 14) ** 2) - ((y - (A.alaR[1] + 8)) / 14) ** 2);
    c[1]! *= 1 - 0.06 * cheekR; c[2]! *= 1 - 0.04 * cheekR;
    if (freckles > 0) {
      const ci = Math.floor(x / 2.2), cj = Math.floor(y / 2.2);
      if (h(ci, cj, 1) < 0.25 * freckles && y > A.mouthCornerR[1] && y < A.browInnerR[1]) {
        const fx = (ci + h(ci, cj, 2)) * 2.2, fy = (cj + h(ci, cj, 3)) * 2.2, r = 0.35 + 0.5 * h(ci, cj, 4);
        const f = Math.exp(-((x - fx) ** 2 + (y - fy) ** 2) / (r * r));
        for (let k = 0; k < 3; k++) c[k]! *= 1 - 0.35 * f * [0.8, 1, 1.1][k]!;
      }
    }
    for (const [mx, my, mr] of moles) { const f = Math.exp(-((x - mx) ** 2 + (y - my) ** 2) / (mr * mr)); for (let k = 0; k < 3; k++) c[k]! *= 1 - 0.7 * f; }
    if (stubble && y < A.alaR[1] - 6 && labels[p] !== 255) {
      const ci = Math.floor(x / 0.7), cj = Math.floor(y / 0.7);
      if (h(ci, cj, 7) < 0.5) for (let k = 0; k < 3; k++) c[k]! *= 0.55;
    }
    if (labels[p] === 255) {
      const onLip = y < A.alaR[1] - 5;
      const t = onLip ? lipCol : brow;
      for (let k = 0; k < 3; k++) c[k] = t[k]! * (onLip ? 1 : 0.7 + 0.6 * h(Math.floor(x * 3), Math.floor(y * 3), 9));
    }
    if (makeup) {
      const blush = Math.exp(-(((Math.abs(x - A.noseTip[0]) - 38) / 12) ** 2) - ((y - A.alaR[1] - 12) / 10) ** 2);
      c[0]! *= 1 + 0.12 * blush; c[1]! *= 1 - 0.1 * blush;
    }
    for (let k = 0; k < 3; k++) data[3 * p + k] = Math.min(0.95, Math.max(0.005, c[k]!));
  }
  return { width: T, height: T, channels: 3, data };
}

/** A rendered synthetic case: the photo, the camera and the ground truth per pixel. */
export interface SynthRender {
  case: SynthCase;
  camera: Camera;
  pose: Pose;
  render: SkinRender;
  /** Skin mask: fully covered face skin, not brows / lips, not occluded. */
  mask: Uint8Array;
  /** Region label per pixel (1 + index in DETAIL_REGIONS; 0 none). */
  regions: Uint8Array;
  /** mm per pixel at the face (median depth / f). */
  mmPerPixel: number;
  assets: SynthAssets;
  /** The rest of the head as rendered (camera frame, mm) and its linear vertex colours (per ICT vertex: skin, hair, eyes, mouth). */
  head: { mesh: Mesh; colors: Float32Array };
}

/**
 * Render a case: narrow face (ICT layout, Loop-subdivided `levels` times) with its wrinkles and
 * albedo via `renderSkin`; the rest of the head, eyes and teeth as Lambert foreground with the
 * proxy bench's colours; glasses frames as occluders when the case has them.
 *
 * @example const r = renderSynthCase(data, synthCase(data, 3001, { age: 70, preset: 'smile', size: 512 }));
 */
export function renderSynthCase(
  data: IctModelData, c: SynthCase,
  opts: { textureSize?: number; levels?: number; assets?: SynthAssets; skin?: Pick<SkinRenderOptions, 'subsurface' | 'aoRadiusMm' | 'shadowRadiusMm' | 'environmentSpecular'> } = {},
): SynthRender {
  const T = opts.textureSize ?? Math.min(1024, c.size);
  const assets = opts.assets ?? synthAssets(data, c.face, T);
  const { camera, pose } = caseCamera({ ...c, size: c.size, id: c.id, group: 'neutral', identity: c.face.identity, expression: c.face.expression });
  const shape = ictShape(data, c.face.identity, c.face.expression);
  const R = pose.rotation, t = pose.translation;
  const toCam = (src: ArrayLike<number>): Float32Array => {
    const out = new Float32Array(src.length);
    for (let i = 0; i < src.length; i += 3) for (let r = 0; r < 3; r++) out[i + r] = R[3 * r]! * src[i]! + R[3 * r + 1]! * src[i + 1]! + R[3 * r + 2]! * src[i + 2]! + t[r]!;
    return out;
  };
  const all = toCam(shape);
  const face = ictFaceMesh(data, all.subarray(0, 3 * ICT_TOPOLOGY_VERTEX_COUNT));
  const fine = loopSubdivide(face, opts.levels ?? 1, { cornerAngleDeg: 0 }).mesh;
  fine.normals = computeVertexNormals(fine.positions, fine.indices);
  // Everything else of the head: triangles not in the narrow face.
  const topo = ictTopology(data);
  const inFace = new Uint8Array(data.triangles.length / 3);
  for (const s of topo.sourceTriangles) inFace[s] = 1;
  const rest: number[] = [];
  for (let k = 0; k < inFace.length; k++) if (!inFace[k]) rest.push(data.triangles[3 * k]!, data.triangles[3 * k + 1]!, data.triangles[3 * k + 2]!);
  const restIdx = Uint32Array.from(rest);
  const headMesh: Mesh = { positions: all, indices: restIdx, normals: computeVertexNormals(all, restIdx) };
  const colors = Float32Array.from(ictRenderAssets(data).colors);
  // The head's skin takes the face's mean skin albedo (hair, eyes, mouth keep the proxy bench's colours).
  const skinMean = [0, 0, 0];
  let ns = 0;
  for (let p = 0; p < T * T; p++) if (assets.labels[p]! > 0 && assets.labels[p]! < 255) { for (let k = 0; k < 3; k++) skinMean[k]! += assets.albedo.data[3 * p + k]!; ns++; }
  const ref = colors.subarray(3 * ICT_TOPOLOGY_VERTEX_COUNT, 3 * ICT_TOPOLOGY_VERTEX_COUNT + 3).slice();
  for (let v = 0; v < data.vertexCount; v++) {
    if (colors[3 * v] !== ref[0] && Math.abs(colors[3 * v]! / ref[0]! - 1) > 0.06) continue; // not plain skin
    for (let k = 0; k < 3; k++) colors[3 * v + k] = (skinMean[k]! / Math.max(1, ns)) * (colors[3 * v + k]! / ref[k]!);
  }
  const foreground: NonNullable<Parameters<typeof renderSkin>[2]['foreground']> = [{ mesh: headMesh, color: [0.5, 0.4, 0.35], vertexColors: colors }];
  if (c.hair) foreground.push({ mesh: hairMesh(data, shape, c.hair, toCam), color: c.hair.color, occluder: true });
  if (c.hand) {
    const tone = (k: number): number => (c.hand!.tone * skinMean[k]!) / Math.max(1, ns);
    foreground.push({ mesh: handMesh(data, shape, c.hand, toCam), color: [tone(0), tone(1), tone(2)], occluder: true });
  }
  if (c.glasses) foreground.push({ mesh: glassesMesh(data, shape, c.glasses.thick, toCam), color: c.glasses.metal ? [0.55, 0.55, 0.58] : [0.03, 0.025, 0.02], occluder: true });
  const kd = c.key.direction, kl = Math.hypot(...kd);
  const env = directionalSH(0, -0.5, -0.85, [c.ambient, c.ambient * 0.98, c.ambient * 1.03], 0);
  for (let ch = 0; ch < 3; ch++) env[ch * 9]! += (0.6 * c.ambient) / 0.28209479177387814;
  const lights: SkinLight[] = [
    { type: 'directional', direction: [kd[0] / kl, kd[1] / kl, kd[2] / kl], color: c.key.color, radiusDeg: c.key.radiusDeg, samples: c.key.radiusDeg > 2 ? 2 : 1 },
    { type: 'environment', coefficients: env },
  ];
  const render = renderSkin(fine, camera, {
    lights, displacement: { width: T, height: T, channels: 1, data: assets.map.displacement }, albedo: assets.albedo, textureSize: T,
    roughness: c.roughness, environmentSpecular: 1, foreground, occluders: [headMesh], blurPx: c.blurPx, noise: c.noise, noiseSeed: c.seed, supersample: 2, ...opts.skin,
  });
  const W = camera.width, H = camera.height;
  const mask = new Uint8Array(W * H), regions = new Uint8Array(W * H);
  const depths: number[] = [];
  for (let p = 0; p < W * H; p++) {
    if (render.coverage[p]! < 1 || render.occluded[p]! > 0) continue;
    const u = render.uv[2 * p]!, v = render.uv[2 * p + 1]!;
    const k = Math.min(T - 1, Math.floor(v * T)) * T + Math.min(T - 1, Math.floor(u * T));
    const l = assets.labels[k]!;
    if (l === 255) continue;
    mask[p] = 1; regions[p] = l;
  }
  // mm per pixel from the face's depth (median of the camera z of the face's vertices).
  for (let i = 2; i < face.positions.length; i += 30) depths.push(face.positions[i]!);
  depths.sort((a, b) => a - b);
  const mmPerPixel = depths[depths.length >> 1]! / camera.fx;
  return { case: c, camera, pose, render, mask, regions, mmPerPixel, assets, head: { mesh: headMesh, colors } };
}

/** Tubes of radius `r` (mm) along polylines (a ring of `ring` vertices per point), as one mesh's points and indices. */
function tubes(paths: Array<{ path: Array<[number, number, number]>; closed: boolean; r: number }>, ring = 6, caps = false): { pts: number[]; idx: number[] } {
  const pts: number[] = [], idx: number[] = [];
  for (const { path, closed, r } of paths) {
    const base = pts.length / 3, m = path.length;
    for (let i = 0; i < m; i++) {
      const p = path[i]!;
      // Tangent: central difference (one-sided at the ends of an open path).
      const q = path[closed ? (i + 1) % m : Math.min(m - 1, i + 1)]!, o = path[closed ? (i - 1 + m) % m : Math.max(0, i - 1)]!;
      const tx = q[0] - o[0], ty = q[1] - o[1], tz = q[2] - o[2], tl = Math.hypot(tx, ty, tz) || 1;
      // Frame: n1 = t × z, n2 = t × n1.
      let n1 = [ty / tl * 1 - 0, -(tx / tl), 0]; const l1 = Math.hypot(n1[0]!, n1[1]!) || 1; n1 = [n1[0]! / l1, n1[1]! / l1, 0];
      const n2 = [(ty / tl) * n1[2]! - (tz / tl) * n1[1]!, (tz / tl) * n1[0]! - (tx / tl) * n1[2]!, (tx / tl) * n1[1]! - (ty / tl) * n1[0]!];
      for (let k = 0; k < ring; k++) {
        const ang = (2 * Math.PI * k) / ring, cs = Math.cos(ang) * r, sn = Math.sin(ang) * r;
        pts.push(p[0] + cs * n1[0]! + sn * n2[0]!, p[1] + cs * n1[1]! + sn * n2[1]!, p[2] + cs * n1[2]! + sn * n2[2]!);
      }
    }
    for (let i = 0; i < (closed ? m : m - 1); i++) for (let k = 0; k < ring; k++) {
      const A = base + i * ring + k, B = base + i * ring + ((k + 1) % ring), C = base + ((i + 1) % m) * ring + k, D = base + ((i + 1) % m) * ring + ((k + 1) % ring);
      idx.push(A, C, B, B, C, D);
    }
    if (caps && !closed && m >= 2) {
      // Each open end closed by a cone of height r along the path (a rounded finger tip, not a hollow pipe).
      for (const [i, j, sgn] of [[0, 1, -1], [m - 1, m - 2, 1]] as const) {
        const p = path[i]!, q = path[j]!, d = Math.hypot(p[0] - q[0], p[1] - q[1], p[2] - q[2]) || 1, tip = pts.length / 3;
        pts.push(p[0] + ((p[0] - q[0]) / d) * r, p[1] + ((p[1] - q[1]) / d) * r, p[2] + ((p[2] - q[2]) / d) * r);
        for (let k = 0; k < ring; k++) {
          const A = base + i * ring + k, B = base + i * ring + ((k + 1) % ring);
          if (sgn < 0) idx.push(A, B, tip); else idx.push(B, A, tip);
        }
      }
    }
  }
  return { pts, idx };
}

/** A glasses frame: two rims around the eyes and a bridge, as tubes 8 mm in front of the eye openings (model frame → camera via `toCam`). */
function glassesMesh(data: IctModelData, shape: ArrayLike<number>, thick: boolean, toCam: (a: ArrayLike<number>) => Float32Array): Mesh {
  const a = ictWrinkleAnchors(shape, data.landmarks68);
  const r = thick ? 2.6 : 1.0, seg = 40;
  const paths: Array<{ path: Array<[number, number, number]>; closed: boolean; r: number }> = [];
  const rims: Array<[number, number, number]> = [];
  for (const [o, i] of [[a.eyeOuterR, a.eyeInnerR], [a.eyeInnerL, a.eyeOuterL]] as const) {
    const cx = (o[0] + i[0]) / 2, cy = (o[1] + i[1]) / 2 - 2, cz = Math.max(o[2], i[2]) + 10, hw = Math.abs(o[0] - i[0]) / 2 + 8;
    const path: Array<[number, number, number]> = [];
    for (let k = 0; k < seg; k++) { const t = (2 * Math.PI * k) / seg; path.push([cx + hw * Math.cos(t), cy + 0.72 * hw * Math.sin(t), cz - 2 * Math.cos(t) ** 2]); }
    paths.push({ path, closed: true, r });
    rims.push([cx + (cx < 0 ? hw : -hw), cy + 2, cz]);
  }
  paths.push({ path: [rims[0]!, [(rims[0]![0] + rims[1]![0]) / 2, rims[0]![1] + 3, rims[0]![2] + 2], rims[1]!], closed: false, r });
  const { pts, idx } = tubes(paths);
  const positions = toCam(pts), indices = Uint32Array.from(idx);
  return { positions, indices, normals: computeVertexNormals(positions, indices) };
}

/**
 * The skin's height (model z) under a point (x, y): the z of the nearest face vertex in x, y among
 * those `keep` accepts (the first on ties), `fallback` when none does. For occluders that hover
 * a few mm off the skin.
 */
function skinHeight(shape: ArrayLike<number>, keep: (x: number, y: number) => boolean, fallback: number): (x: number, y: number) => number {
  const fx: number[] = [], fy: number[] = [], fz: number[] = [];
  for (let v = 0; v < ICT_TOPOLOGY_VERTEX_COUNT; v++) if (keep(shape[3 * v]!, shape[3 * v + 1]!)) { fx.push(shape[3 * v]!); fy.push(shape[3 * v + 1]!); fz.push(shape[3 * v + 2]!); }
  return (x, y) => {
    let best = Infinity, z = fallback;
    for (let k = 0; k < fx.length; k++) { const d = (fx[k]! - x) ** 2 + (fy[k]! - y) ** 2; if (d < best) { best = d; z = fz[k]!; } }
    return z;
  };
}

/**
 * A hand resting on one cheek: four fingers (tubes of radius 7–8.5 mm, 65–80 mm long, 16–18 mm
 * apart) rising from below the jaw line toward the temple on side `hand.side` (−1 = the model's −x),
 * 3–9 mm in front of the skin (the nearest face vertex's height), each slightly curled, and a
 * thumb along the jaw. Model frame (y up, z toward the viewer) → camera via `toCam`.
 */
function handMesh(data: IctModelData, shape: ArrayLike<number>, hand: NonNullable<SynthCase['hand']>, toCam: (a: ArrayLike<number>) => Float32Array): Mesh {
  const a = ictWrinkleAnchors(shape, data.landmarks68);
  const rnd = mulberry(hand.seed);
  const U = (lo: number, hi: number): number => lo + (hi - lo) * rnd();
  const skinZ = skinHeight(shape, () => true, a.noseTip[2] - 20);
  const eye = hand.side < 0 ? (a.eyeOuterR[0] < a.eyeOuterL[0] ? a.eyeOuterR : a.eyeOuterL) : (a.eyeOuterR[0] < a.eyeOuterL[0] ? a.eyeOuterL : a.eyeOuterR);
  const mouth = Math.sign(a.mouthCornerR[0]) === Math.sign(eye[0]) ? a.mouthCornerR : a.mouthCornerL;
  // The fingers' base: below the jaw, between the mouth corner and the face's side; they lean outward.
  const x0 = (mouth[0] + eye[0]) / 2 + hand.side * U(-2, 8), y0 = mouth[1] - U(30, 45), lean = hand.side * U(0.1, 0.35);
  const spacing = U(16, 18), lift = U(3, 9);
  const paths: Array<{ path: Array<[number, number, number]>; closed: boolean; r: number }> = [];
  for (let f = 0; f < 4; f++) {
    const len = U(60, 75) - 6 * Math.abs(f - 1.2), r = U(7, 8.5) - 0.4 * f, curl = U(0, 6);
    const bx = x0 + hand.side * (f - 1.5) * spacing * 0.9, by = y0 + f * 2;
    const path: Array<[number, number, number]> = [];
    for (let t = 0; t <= len; t += 3) {
      const x = bx + lean * t, y = by + t;
      path.push([x, y, skinZ(x, y) + lift + r + curl * (t / len) ** 2]);
    }
    paths.push({ path, closed: false, r });
  }
  // The thumb: along the jaw toward the chin.
  const thumb: Array<[number, number, number]> = [];
  for (let t = 0; t <= 50; t += 3) { const x = x0 - hand.side * (t * 0.7 - 10), y = y0 - 8 + t * 0.15; thumb.push([x, y, skinZ(x, y) + lift + 9]); }
  paths.push({ path: thumb, closed: false, r: 9 });
  const { pts, idx } = tubes(paths, 10, true);
  const positions = toCam(pts), indices = Uint32Array.from(idx);
  return { positions, indices, normals: computeVertexNormals(positions, indices) };
}

/**
 * A fringe: `strands` hair strands (tubes of radius 0.1–0.35 mm: single hairs to small clumps)
 * hanging from above the brows across the forehead, 0.8–3 mm in front of the skin (the skin's
 * height from the nearest face vertex), each 15–60 mm long with a sideways drift and a wave.
 * Model frame (y up, z toward the viewer) → camera via `toCam`.
 */
function hairMesh(data: IctModelData, shape: ArrayLike<number>, hair: NonNullable<SynthCase['hair']>, toCam: (a: ArrayLike<number>) => Float32Array): Mesh {
  const a = ictWrinkleAnchors(shape, data.landmarks68);
  const rnd = mulberry(hair.seed);
  const U = (lo: number, hi: number): number => lo + (hi - lo) * rnd();
  // Face vertices above the eyes (the forehead and temples) for the skin height.
  const yEye = Math.min(a.eyeOuterR[1], a.eyeOuterL[1]);
  const skinZ = skinHeight(shape, (_x, y) => y > yEye, a.browInnerR[2]);
  const xL = a.eyeOuterR[0] - 8, xR = a.eyeOuterL[0] + 8, yTop = Math.max(a.browInnerR[1], a.browInnerL[1]);
  const paths: Array<{ path: Array<[number, number, number]>; closed: boolean; r: number }> = [];
  const cx = U(xL, xR), spread = U(10, 45), drift = U(-0.5, 0.5);
  for (let s = 0; s < hair.strands; s++) {
    const x0 = Math.max(xL, Math.min(xR, cx + spread * (rnd() - 0.5) * 2)), y0 = yTop + U(30, 55);
    const len = U(15, 60), lift = U(0.8, 3), wave = U(0, 3), phase = U(0, 6.28), dx = drift + U(-0.25, 0.25);
    const path: Array<[number, number, number]> = [];
    for (let t = 0; t <= len; t += 1.5) {
      const x = x0 + dx * t + wave * Math.sin(phase + t / 9), y = y0 - t;
      path.push([x, y, skinZ(x, y) + lift + 0.01 * t]);
    }
    if (path.length >= 2) paths.push({ path, closed: false, r: U(0.1, 0.35) });
  }
  const { pts, idx } = tubes(paths, 5);
  const positions = toCam(pts), indices = Uint32Array.from(idx);
  return { positions, indices, normals: computeVertexNormals(positions, indices) };
}

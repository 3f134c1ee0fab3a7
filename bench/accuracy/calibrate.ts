/**
 * One-off calibration of the scan for the accuracy benchmark (kept to document where the
 * constants in scan.ts and generated/face-region-uv.ts come from; rerun with
 * `node --import tsx bench/accuracy/calibrate.ts` and paste its output).
 *
 * 1. Normal-map green convention, by integrability: a true normal field is the gradient of a
 *    height, so the curl of the slope field it implies vanishes. We measure the curl energy with
 *    green = toward the top of the texture image (OpenGL, "Y+") and with green flipped ("Y−").
 * 2. Eye centres: our face analyser on a frontal render; each eye-contour landmark is
 *    back-projected through the render's triangle buffer onto the scan surface; the centroid of
 *    the 16 contour points of each eye is its centre (the pipeline's definition).
 * 3. Face region in UV: face-oval, eye and nostril landmarks from renders at yaw 0° and ±30°,
 *    each taken from the view that sees its surface point most frontally.
 */
import { writeFile } from 'node:fs/promises';
import { meshHeadToCamera } from '../../src/core/eval/render-eval.js';
import { renderMesh } from '../../src/core/render/render-mesh.js';
import type { Image } from '../../src/core/types.js';
import { createHumanAnalyzer } from '../../src/node/human-analyzer.js';
import { FACEMESH_LANDMARKS as LM } from '../../src/core/model/facemesh/facemesh-landmarks.js';
import { BROW_MARGIN_MM, EYE_MARGIN_MM, NOSTRIL_MARGIN_MM } from './face-mask.js';
import { loadScan, type Scan } from './scan.js';
import { benchSet, renderView, viewCamera, type BenchView } from './scene.js';

/** MediaPipe's FACE_OVAL landmark loop (face_mesh_connections), starting at the forehead top. */
export const FACE_OVAL = [10, 338, 297, 332, 284, 251, 389, 356, 454, 323, 361, 288, 397, 365, 379, 378, 400, 377, 152,
  148, 176, 149, 150, 136, 172, 58, 132, 93, 234, 127, 162, 21, 54, 103, 67, 109];

/** Curl energies of the slope field implied by a tangent-space normal map under both green conventions. */
export function checkGreenConvention(map: Image, region?: [number, number, number, number]): { curlYUp: number; curlYDown: number } {
  const W = map.width, H = map.height;
  const [i0, j0, i1, j1] = region ?? [0, 0, W, H];
  const p = new Float64Array(W * H), q = new Float64Array(W * H);
  for (let k = 0; k < W * H; k++) {
    const x = map.data[3 * k]! * 2 - 1, y = map.data[3 * k + 1]! * 2 - 1, z = Math.max(0.2, map.data[3 * k + 2]! * 2 - 1);
    // Height h over texel coords (i right, j down). Y-up convention: +green = toward −j.
    p[k] = -x / z; // ∂h/∂i
    q[k] = y / z; // ∂h/∂j under Y-up (a slope toward −j raises h toward −j)
  }
  let a = 0, b = 0;
  for (let j = Math.max(1, j0); j < Math.min(H - 1, j1); j++) {
    for (let i = Math.max(1, i0); i < Math.min(W - 1, i1); i++) {
      const k = j * W + i;
      const dpdj = (p[k + W]! - p[k - W]!) / 2, dqdi = (q[k + 1]! - q[k - 1]!) / 2;
      a += (dpdj - dqdi) ** 2;
      b += (dpdj + dqdi) ** 2;
    }
  }
  return { curlYUp: a, curlYDown: b };
}

interface LandmarkHit { glb: [number, number, number]; head: [number, number, number]; uv: [number, number] }

/**
 * Landmarks of a view back-projected onto the scan. Face-oval landmarks are first moved toward the
 * landmarks' centroid by `ovalInset` of the face box size, so that they land on the face rather
 * than on the neck or background just past the silhouette (jaw line, temples).
 */
async function landmarksOnScan(
  scan: Scan, view: BenchView, analyze: (img: Image) => Promise<Float32Array | undefined>, ovalInset = 0.03,
): Promise<Array<LandmarkHit | undefined>> {
  const r = renderView(scan, view);
  const L = await analyze(r.image);
  if (!L) throw new Error(`no face at yaw ${view.yawDeg}`);
  const { camera, pose } = viewCamera(view);
  const cam = meshHeadToCamera(scan.mesh, pose);
  const raw = renderMesh(cam, camera, { lighting: { type: 'directional', direction: [0, 0, -1] } });
  const I = scan.mesh.indices, P = scan.mesh.positions, UV = scan.mesh.uvs!;
  let mx = 0, my = 0, x0 = Infinity, x1 = -Infinity;
  for (let k = 0; k < 468; k++) { mx += L[3 * k]! / 468; my += L[3 * k + 1]! / 468; x0 = Math.min(x0, L[3 * k]!); x1 = Math.max(x1, L[3 * k]!); }
  const oval = new Set(FACE_OVAL);
  const out: Array<LandmarkHit | undefined> = [];
  for (let k = 0; k < 468; k++) {
    let lx = L[3 * k]!, ly = L[3 * k + 1]!;
    if (oval.has(k)) {
      const dx = mx - lx, dy = my - ly, dl = Math.hypot(dx, dy) || 1;
      lx += (dx / dl) * ovalInset * (x1 - x0); ly += (dy / dl) * ovalInset * (x1 - x0);
    }
    const x = Math.floor(lx), y = Math.floor(ly);
    if (x < 0 || y < 0 || x >= camera.width || y >= camera.height) { out.push(undefined); continue; }
    const px = y * camera.width + x, t = raw.triangle[px]!;
    if (t < 0) { out.push(undefined); continue; }
    const b0 = raw.barycentric[2 * px]!, b1 = raw.barycentric[2 * px + 1]!, b2 = 1 - b0 - b1;
    const a = I[3 * t]!, b = I[3 * t + 1]!, c = I[3 * t + 2]!;
    const head = [0, 1, 2].map((d) => b0 * P[3 * a + d]! + b1 * P[3 * b + d]! + b2 * P[3 * c + d]!) as [number, number, number];
    const glb = head.map((v, d) => v / scan.mmPerUnit + scan.originGlb[d]!) as [number, number, number];
    const uv: [number, number] = [b0 * UV[2 * a]! + b1 * UV[2 * b]! + b2 * UV[2 * c]!, b0 * UV[2 * a + 1]! + b1 * UV[2 * b + 1]! + b2 * UV[2 * c + 1]!];
    out.push({ glb, head, uv });
  }
  return out;
}

function convexHull(pts: Array<[number, number]>): Array<[number, number]> {
  const s = [...pts].sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  const cross = (o: [number, number], a: [number, number], b: [number, number]) => (a[0] - o[0]) * (b[1] - o[1]) - (a[1] - o[1]) * (b[0] - o[0]);
  const lower: Array<[number, number]> = [], upper: Array<[number, number]> = [];
  for (const p of s) { while (lower.length >= 2 && cross(lower[lower.length - 2]!, lower[lower.length - 1]!, p) <= 0) lower.pop(); lower.push(p); }
  for (const p of s.reverse()) { while (upper.length >= 2 && cross(upper[upper.length - 2]!, upper[upper.length - 1]!, p) <= 0) upper.pop(); upper.push(p); }
  return lower.slice(0, -1).concat(upper.slice(0, -1));
}

/** mm per UV unit near a UV point (sqrt of 3D area / UV area of the triangles within `r` in UV). */
function mmPerUv(scan: Scan, u: number, v: number, r = 0.03): number {
  const I = scan.mesh.indices, P = scan.mesh.positions, UV = scan.mesh.uvs!;
  let a3 = 0, a2 = 0;
  for (let t = 0; t < I.length; t += 3) {
    const a = I[t]!, b = I[t + 1]!, c = I[t + 2]!;
    const cu = (UV[2 * a]! + UV[2 * b]! + UV[2 * c]!) / 3, cv = (UV[2 * a + 1]! + UV[2 * b + 1]! + UV[2 * c + 1]!) / 3;
    if (Math.hypot(cu - u, cv - v) > r) continue;
    const e1 = [0, 1, 2].map((d) => P[3 * b + d]! - P[3 * a + d]!), e2 = [0, 1, 2].map((d) => P[3 * c + d]! - P[3 * a + d]!);
    a3 += Math.hypot(e1[1]! * e2[2]! - e1[2]! * e2[1]!, e1[2]! * e2[0]! - e1[0]! * e2[2]!, e1[0]! * e2[1]! - e1[1]! * e2[0]!) / 2;
    a2 += Math.abs((UV[2 * b]! - UV[2 * a]!) * (UV[2 * c + 1]! - UV[2 * a + 1]!) - (UV[2 * c]! - UV[2 * a]!) * (UV[2 * b + 1]! - UV[2 * a + 1]!)) / 2;
  }
  return Math.sqrt(a3 / a2);
}

function grownHull(scan: Scan, pts: Array<[number, number]>, marginMm: number): number[] {
  const cu = pts.reduce((s, p) => s + p[0], 0) / pts.length, cv = pts.reduce((s, p) => s + p[1], 0) / pts.length;
  const r = marginMm / mmPerUv(scan, cu, cv);
  const ring: Array<[number, number]> = [];
  for (const p of pts) for (let k = 0; k < 16; k++) ring.push([p[0] + r * Math.cos((k * Math.PI) / 8), p[1] + r * Math.sin((k * Math.PI) / 8)]);
  return convexHull(ring).flatMap((p) => [round5(p[0]), round5(p[1])]);
}

const round5 = (x: number) => Math.round(x * 1e5) / 1e5;

async function main(): Promise<void> {
  const scan = await loadScan();
  // 1. Green convention over the face part of the map (texels 300..720 × 150..650 of 1024²).
  const g = checkGreenConvention(scan.normalMap, [300, 150, 720, 650]);
  console.log(`normal map curl energy: green up (OpenGL) ${g.curlYUp.toFixed(1)}, green down (DirectX) ${g.curlYDown.toFixed(1)} → ${g.curlYUp < g.curlYDown ? 'OpenGL, no flip' : 'DirectX: FLIP GREEN'}`);

  // 2–3. Landmarks on the scan.
  const analyzer = await createHumanAnalyzer();
  const analyze = async (img: Image) => (await analyzer.analyze(img))[0]?.landmarks;
  const base = { ...benchSet()[0]!, size: 1024, light: 'soft-frontal' as const, pitchDeg: 0, rollDeg: 0, faceFraction: 0.5, focalLength35mm: 50 };
  // Each landmark from the frontal view, except face-oval landmarks more than 20 mm off the
  // mid-line: those from the view turned 30° toward them (yaw > 0 brings the subject's right,
  // head −X, toward the camera), where the pixel falls on them rather than past the silhouette.
  const frontal = await landmarksOnScan(scan, { ...base, yawDeg: 0 }, analyze);
  const towardRight = await landmarksOnScan(scan, { ...base, yawDeg: 30 }, analyze);
  const towardLeft = await landmarksOnScan(scan, { ...base, yawDeg: -30 }, analyze);
  const best = frontal.map((h, k) => {
    if (!FACE_OVAL.includes(k) || !h || Math.abs(h.head[0]) < 20) return h;
    return h.head[0] < 0 ? towardRight[k] : towardLeft[k];
  });
  await analyzer.dispose();
  const eye = (idx: readonly number[]) => {
    const pts = idx.map((k) => frontal[k]!.glb);
    return [0, 1, 2].map((d) => round5(pts.reduce((s, p) => s + p[d]!, 0) / pts.length));
  };
  const right = eye(LM.rightEye), left = eye(LM.leftEye);
  console.log(`SCAN_EYES_GLB = { right: [${right.join(', ')}], left: [${left.join(', ')}] }`);
  const ipd = Math.hypot(left[0]! - right[0]!, left[1]! - right[1]!, left[2]! - right[2]!);
  console.log(`eye distance ${ipd.toFixed(4)} GLB units → ${(63 / ipd).toFixed(3)} mm/unit`);
  // Head breadth at the ears: x extent of the mesh between the eye line and 60 mm below it, in head mm.
  const P = scan.mesh.positions;
  let mn = Infinity, mx = -Infinity;
  for (let i = 0; i < P.length; i += 3) if (P[i + 1]! < 10 && P[i + 1]! > -60 && P[i + 2]! > -120) { mn = Math.min(mn, P[i]!); mx = Math.max(mx, P[i]!); }
  console.log(`head breadth (ear to ear, current scale) ${(mx - mn).toFixed(1)} mm`);

  const oval = FACE_OVAL.map((k) => best[k]!.uv).flatMap((p) => [round5(p[0]), round5(p[1])]);
  const uvOf = (idx: readonly number[]) => idx.map((k) => best[k]!.uv);
  const exclude = [
    { name: 'rightEye', polygon: grownHull(scan, uvOf(LM.rightEye), EYE_MARGIN_MM) },
    { name: 'leftEye', polygon: grownHull(scan, uvOf(LM.leftEye), EYE_MARGIN_MM) },
    { name: 'nostrils', polygon: grownHull(scan, uvOf(LM.nostrils), NOSTRIL_MARGIN_MM) },
  ];
  // Not part of the face region: the detail benchmark scores the scan with and without them (the
  // scan's normal map carries the brow hair as relief).
  const brows = [
    { name: 'rightBrow', polygon: grownHull(scan, uvOf(LM.rightBrow), BROW_MARGIN_MM) },
    { name: 'leftBrow', polygon: grownHull(scan, uvOf(LM.leftBrow), BROW_MARGIN_MM) },
  ];
  const src = `/**
 * GENERATED by \`node --import tsx bench/accuracy/calibrate.ts\` (rerun it to regenerate).
 * The face region of the scan in UV space (v down, after the loader's
 * flip): MediaPipe's face oval, and exclusions (eye-contour hulls grown by ${EYE_MARGIN_MM} mm, nostril hull
 * grown by ${NOSTRIL_MARGIN_MM} mm); separately, the brows (brow-landmark hulls grown by ${BROW_MARGIN_MM} mm). Flat [u0, v0, u1, v1, …] polygons.
 */
export const FACE_REGION_UV: { oval: number[]; exclude: Array<{ name: string; polygon: number[] }>; brows: Array<{ name: string; polygon: number[] }> } = {
  oval: ${JSON.stringify(oval)},
  exclude: [
${exclude.map((e) => `    { name: '${e.name}', polygon: ${JSON.stringify(e.polygon)} },`).join('\n')}
  ],
  brows: [
${brows.map((e) => `    { name: '${e.name}', polygon: ${JSON.stringify(e.polygon)} },`).join('\n')}
  ],
};
`;
  await writeFile('bench/accuracy/generated/face-region-uv.ts', src);
  console.log('wrote bench/accuracy/generated/face-region-uv.ts');
}

if (import.meta.url === `file://${process.argv[1]}`) await main();

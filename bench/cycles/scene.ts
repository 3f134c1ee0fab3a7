/**
 * One synthetic scene as a Blender Cycles job: export (geometry, albedo, camera, lights) and the
 * headless render. Used by `bench:cycles` (renderer comparison) and `bench:detail --cycles` (the
 * detail benchmark on Cycles images).
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import sharp from 'sharp';
import { displaceMesh } from '../../src/core/mesh/displace.js';
import { computeVertexNormals } from '../../src/core/mesh/normals.js';
import { loopSubdivide } from '../../src/core/mesh/subdivide.js';
import type { IctModelData } from '../../src/core/model/ict/ict-cache.js';
import { ICT_TOPOLOGY_VERTEX_COUNT } from '../../src/core/model/ict/ict-topology.js';
import type { Image, Mesh } from '../../src/core/types.js';
import { meshHeadToCamera } from '../../src/core/eval/render-eval.js';
import { ictFaceMesh } from '../synth/faces.js';
import type { SynthRender } from '../synth/scene.js';
import { viewBackground, viewCamera, viewLighting, type BenchView } from '../accuracy/scene.js';
import { SCAN_DIR, type Scan } from '../accuracy/scan.js';

/** Linear → sRGB-encoded value in [0, 1]. */
const srgb = (v: number): number => { const c = Math.max(0, Math.min(1, v)); return c <= 0.0031308 ? 12.92 * c : 1.055 * c ** (1 / 2.4) - 0.055; };

/**
 * An OBJ in Blender's axes (OpenCV camera frame → x right, y up, z toward the viewer: a rotation
 * of 180° about x, so the winding keeps its orientation). `reverseWinding` (the synthetic scenes'
 * exports, kept as they were measured) flips every triangle: Blender then sees their faces from
 * behind, which Cycles shades like the front for plain geometry, but it flips the tangent frame of
 * a normal map, so the scan's export keeps the winding.
 */
export function objText(m: Mesh, withUv: boolean, reverseWinding = true): string {
  const P = m.positions, lines: string[] = [];
  for (let i = 0; i < P.length; i += 3) lines.push(`v ${P[i]!.toFixed(4)} ${(-P[i + 1]!).toFixed(4)} ${(-P[i + 2]!).toFixed(4)}`);
  if (withUv && m.uvs) for (let i = 0; i < m.uvs.length; i += 2) lines.push(`vt ${m.uvs[i]!.toFixed(6)} ${(1 - m.uvs[i + 1]!).toFixed(6)}`);
  const I = m.indices;
  for (let t = 0; t < I.length; t += 3) {
    const a = I[t]! + 1, b = I[t + (reverseWinding ? 2 : 1)]! + 1, c = I[t + (reverseWinding ? 1 : 2)]! + 1;
    lines.push(withUv ? `f ${a}/${a} ${b}/${b} ${c}/${c}` : `f ${a} ${b} ${c}`);
  }
  return `${lines.join('\n')}\n`;
}

/** An ASCII PLY with sRGB byte vertex colours (from linear ones), Blender's axes, only the vertices the triangles use. */
function plyText(m: Mesh, colors: Float32Array): string {
  const P = m.positions, I = m.indices, nv = P.length / 3;
  const remap = new Int32Array(nv).fill(-1);
  const used: number[] = [];
  for (let t = 0; t < I.length; t++) { const v = I[t]!; if (remap[v]! < 0) { remap[v] = used.length; used.push(v); } }
  const lines = ['ply', 'format ascii 1.0', `element vertex ${used.length}`, 'property float x', 'property float y', 'property float z',
    'property uchar red', 'property uchar green', 'property uchar blue', `element face ${I.length / 3}`, 'property list uchar int vertex_indices', 'end_header'];
  for (const v of used) {
    const b = (k: number): number => Math.round(255 * srgb(colors[3 * v + k]!));
    lines.push(`${P[3 * v]!.toFixed(4)} ${(-P[3 * v + 1]!).toFixed(4)} ${(-P[3 * v + 2]!).toFixed(4)} ${b(0)} ${b(1)} ${b(2)}`);
  }
  for (let t = 0; t < I.length; t += 3) lines.push(`3 ${remap[I[t]!]!} ${remap[I[t + 2]!]!} ${remap[I[t + 1]!]!}`);
  return `${lines.join('\n')}\n`;
}

/**
 * Writes a rendered synthetic scene for Cycles into `dir`: the narrow face Loop-subdivided twice and
 * displaced by the same map (`face.obj`, with UVs), the rest of the head with the renderer's vertex
 * colours (`head.ply`: skin, hair, eyes, mouth), the albedo (`albedo.png`), the training renderer's
 * image (`ours.png`), the ground-truth displacement in the image (`gt-displacement.f32`), the skin
 * mask (`mask.u8`) and `scene.json` (camera, key light, environment, skin parameters).
 */
export async function exportCyclesScene(data: IctModelData, r: SynthRender, dir: string): Promise<void> {
  const c = r.case;
  await mkdir(dir, { recursive: true });
  const T = r.assets.map.width, W = r.camera.width, H = r.camera.height;
  const face = ictFaceMesh(data, r.head.mesh.positions.subarray(0, 3 * ICT_TOPOLOGY_VERTEX_COUNT));
  const fine = loopSubdivide(face, 2, { cornerAngleDeg: 0 }).mesh;
  fine.normals = computeVertexNormals(fine.positions, fine.indices);
  const disp = displaceMesh(fine, { width: T, height: T, channels: 1, data: r.assets.map.displacement });
  await writeFile(path.join(dir, 'face.obj'), objText(disp, true));
  await writeFile(path.join(dir, 'head.ply'), plyText(r.head.mesh, r.head.colors));
  const alb = Buffer.alloc(T * T * 3);
  for (let i = 0; i < alb.length; i++) alb[i] = Math.round(255 * srgb(r.assets.albedo.data[i]!));
  await sharp(alb, { raw: { width: T, height: T, channels: 3 } }).png().toFile(path.join(dir, 'albedo.png'));
  const ours = Buffer.from(r.render.image.data.map((v) => Math.round(255 * Math.max(0, Math.min(1, v)))));
  await sharp(ours, { raw: { width: W, height: H, channels: 3 } }).png().toFile(path.join(dir, 'ours.png'));
  await writeFile(path.join(dir, 'gt-displacement.f32'), Buffer.from(r.render.displacement.buffer));
  await writeFile(path.join(dir, 'mask.u8'), Buffer.from(r.mask.buffer));
  const kc = c.key.color, km = (kc[0] + kc[1] + kc[2]) / 3, kd = c.key.direction, kl = Math.hypot(...kd);
  let skin = [0, 0, 0], n = 0;
  for (let p = 0; p < T * T; p++) if (r.assets.labels[p]! > 0 && r.assets.labels[p]! < 255) { for (let k = 0; k < 3; k++) skin[k]! += r.assets.albedo.data[3 * p + k]!; n++; }
  skin = skin.map((s) => s / Math.max(1, n));
  await writeFile(path.join(dir, 'scene.json'), JSON.stringify({
    id: c.id, width: W, height: H, fx: r.camera.fx, fy: r.camera.fy, cx: r.camera.cx, cy: r.camera.cy, mmPerPixel: r.mmPerPixel,
    // Lambert under a sun of strength E gives albedo·E·cosθ/π: our light colour c ↔ E = π·c.
    key: { directionBlender: [kd[0] / kl, -kd[1] / kl, -kd[2] / kl], sunStrength: Math.PI * km, colorNormalised: kc.map((x) => x / km), radiusDeg: c.key.radiusDeg },
    // Our environment: the SH sky averages ≈ 1.3 × ambient on the face; a uniform world of radiance L gives albedo·L.
    worldColor: [1.3 * c.ambient, 1.3 * c.ambient * 0.98, 1.3 * c.ambient * 1.03],
    roughnessPrincipled: Math.sqrt(c.roughness), specularLevel: 0.35,
    subsurface: { weight: 0.7, radiusMm: [1.2, 0.55, 0.3] }, headColor: skin,
    age: c.face.age, preset: c.preset,
  }, null, 1));
}

/**
 * Angular diameter of the Cycles sun for each scan light (degrees). The accuracy bench's renderer
 * shades the soft lights with the order-2 spherical harmonics of a directional light (a clamped
 * cosine without shadows); Cycles casts real shadows, softened by a sun of this size.
 */
const SCAN_SUN_ANGLE_DEG: Record<string, number> = { 'soft-frontal': 30, 'hard-side': 1, top: 10, window: 20, 'low-key': 5, coloured: 10 };

/**
 * Writes one view of the Lee Perry-Smith scan for Cycles into `dir`: the scan mesh in the view's
 * camera frame (`scan.obj`, Blender's axes, with its UVs), `scene.json` (`kind: "scan"`: camera,
 * one sun per key light of the view with its colour, the ambient as a uniform world, the paths of
 * the scan's colour, tangent-space normal and specular maps in `scanDir`: read where they are, never copied).
 * `normalMap: false` leaves the normal map out (the scan's geometry alone: the shading oracle's smooth reference).
 */
export async function exportCyclesScanScene(scan: Scan, view: BenchView, dir: string, scanDir = SCAN_DIR, options: { normalMap?: boolean } = {}): Promise<void> {
  await mkdir(dir, { recursive: true });
  const { camera, pose } = viewCamera(view);
  const m = meshHeadToCamera(scan.mesh, pose);
  await writeFile(path.join(dir, 'scan.obj'), objText(m, true, false));
  const light = viewLighting(view);
  const toBlender = (d: readonly number[]): number[] => { const l = Math.hypot(d[0]!, d[1]!, d[2]!) || 1; return [d[0]! / l, -d[1]! / l, -d[2]! / l]; };
  await writeFile(path.join(dir, 'scene.json'), JSON.stringify({
    kind: 'scan', id: view.id, light: view.light, width: camera.width, height: camera.height, fx: camera.fx, fy: camera.fy, cx: camera.cx, cy: camera.cy,
    // Lambert under a sun of strength E gives albedo·E·cosθ/π: our shading colour·cosθ ↔ E = π·colour.
    suns: light.sources.keys.map((k) => {
      const mean = (k.rgb[0] + k.rgb[1] + k.rgb[2]) / 3;
      return { directionBlender: toBlender(k.direction), sunStrength: Math.PI * mean, colorNormalised: k.rgb.map((x) => x / mean), angleDeg: SCAN_SUN_ANGLE_DEG[view.light] ?? 5 };
    }),
    // A constant ambient shading a ↔ a uniform world of radiance a.
    worldColor: light.sources.ambient,
    textures: {
      albedo: path.resolve(scanDir, 'Map-COL.jpg'), normal: options.normalMap === false ? null : path.resolve(scanDir, 'Infinite-Level_02_Tangent_SmoothUV.jpg'), specular: path.resolve(scanDir, 'Map-SPEC.jpg'),
    },
    roughnessPrincipled: 0.45, specularLevel: 0.5,
    // Christensen–Burley subsurface: 2.5× faster than the random walk here at a like noise per sample, so the scan's 48 views can take more samples.
    subsurface: { weight: 0.7, radiusMm: [1.2, 0.55, 0.3], method: 'BURLEY' },
  }, null, 1));
}

/**
 * A scan view's Cycles image (rendered with a transparent film) over the accuracy bench's
 * background ({@link viewBackground}), as an sRGB-encoded float image in [0, 1].
 */
export async function loadCyclesScanImage(dir: string): Promise<Image> {
  const { data, info } = await sharp(path.join(dir, 'cycles.png')).ensureAlpha().raw().toBuffer({ resolveWithObject: true });
  const W = info.width, H = info.height, out = new Float32Array(W * H * 3);
  for (let y = 0; y < H; y++) {
    const bg = viewBackground(y, H);
    for (let x = 0; x < W; x++) {
      const p = y * W + x, a = data[4 * p + 3]! / 255;
      for (let c = 0; c < 3; c++) out[3 * p + c] = (data[4 * p + c]! / 255) * a + bg[c]! * (1 - a);
    }
  }
  return { width: W, height: H, channels: 3, data: out };
}

/** Whether Blender runs here (the Debian package `blender`); the reason when it does not. */
export function blenderStatus(): { ok: true } | { ok: false; reason: string } {
  const probe = spawnSync('blender', ['--version'], { encoding: 'utf8' });
  return probe.status === 0 ? { ok: true } : { ok: false, reason: 'blender not found (Debian package `blender`)' };
}

/** Renders `dir` (an exported scene) with Cycles unless `cycles.png` is there; returns the error text on failure. */
export function renderCyclesScene(dir: string, samples: number): { ok: boolean; seconds: number; error?: string } {
  if (existsSync(path.join(dir, 'cycles.png'))) return { ok: true, seconds: 0 };
  const script = path.resolve('bench', 'cycles', 'render_cycles.py');
  const t0 = performance.now();
  const r = spawnSync('blender', ['-b', '--factory-startup', '-noaudio', '--python', script, '--', dir, '--samples', String(samples)], { encoding: 'utf8', maxBuffer: 64 << 20 });
  const ok = r.status === 0 && existsSync(path.join(dir, 'cycles.png'));
  return { ok, seconds: (performance.now() - t0) / 1000, ...(ok ? {} : { error: `${r.stderr.slice(-400)} ${r.stdout.slice(-800)}` }) };
}

/** A scene's Cycles image as an sRGB-encoded float image in [0, 1]. */
export async function loadCyclesImage(dir: string): Promise<Image> {
  const { data, info } = await sharp(path.join(dir, 'cycles.png')).removeAlpha().raw().toBuffer({ resolveWithObject: true });
  return { width: info.width, height: info.height, channels: 3, data: Float32Array.from(data, (v) => v / 255) };
}

/**
 * The ground-truth subject of the accuracy benchmark: "Infinite, 3D Head Scan" by Lee Perry-Smith
 * (CC BY 3.0, www.triplegangers.com / ir-ltd.net), from `$FACEDETAIL_SHARED/scans/lee-perry-smith`.
 *
 * Loading converts the scan to the pipeline's conventions:
 * - Units: the GLB's units are arbitrary. We scale so that the distance between the two eye
 *   centres (the centroids of MediaPipe's 16 eye-contour landmarks, the same definition the
 *   pipeline's face-mesh fit uses, located once on a frontal render: see calibrate.ts) is
 *   63 mm, the pipeline's `interocularMm` prior: 52.9 mm per GLB unit. The scan's head is then
 *   ≈ 190 mm wide across the ears (outer ear to outer ear) and ≈ 235 mm chin to crown, both
 *   ordinary adult male values. Choosing the same IPD as the
 *   prior keeps the benchmark about normals, not about the scale prior (normals are
 *   scale-invariant anyway; depth and translation are not).
 * - Frame: the GLB is +Y up, +Z out of the face, +X toward the subject's left, i.e. already the
 *   pipeline's HEAD frame up to scale and origin; we move the origin to the midpoint of the eye
 *   centres (as the pipeline does) and keep the axes.
 * - UVs: the GLB's TEXCOORD_0 has v pointing UP (OpenGL): the texel of (u, v) is at row
 *   (1 − v)·H. We store v' = 1 − v (our v-down convention) so `sampleUV` finds the right texel.
 * - Tangents: the GLB has none; `computeTangents` builds them for the v-down UVs (B toward −v',
 *   i.e. toward the TOP of the texture image, the glTF/OpenGL normal-map convention).
 *
 * The normal map's green channel: green = +B = toward the TOP of the texture image (OpenGL "Y+"),
 * no flip needed after the v flip. Checked two ways:
 * - integrability (calibrate.ts `checkGreenConvention`): a real surface's slope field has no curl;
 *   over the face texels the curl energy is 184 with green up vs 382 with green flipped (JPEG
 *   noise adds the same floor to both);
 * - a raking-light render: with green up, forehead wrinkles read as grooves and the lid creases
 *   are crisp; flipped, the wrinkles turn into ridges and the brows smear.
 * The low-pass of the map-perturbed normal agrees with the geometric normal to ≈ 1.2–2.2° (σ = 16
 * to 4 px at 1024 px) either way, so that comparison does not discriminate the convention. The
 * unit test (test/unit/eval.test.ts) checks the renderer's side: red tilts toward +u, green
 * toward −v.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import sharp from 'sharp';
import { readGlb } from '../../src/core/export/glb.js';
import { computeTangents } from '../../src/core/mesh/tangents.js';
import type { Image, Mesh } from '../../src/core/types.js';
import { SHARED } from '../common.js';

/** The scan's folder. */
export const SCAN_DIR = path.join(SHARED, 'scans', 'lee-perry-smith');

/** Attribution required wherever renders of the scan are shown. */
export const SCAN_ATTRIBUTION = '"Infinite, 3D Head Scan" by Lee Perry-Smith, CC BY 3.0 (www.triplegangers.com, ir-ltd.net)';

/**
 * Calibration of the scan in GLB units, measured once by `calibrate.ts` on a frontal render
 * with our face analyser (see the file header): the two eye centres. Repeat runs (after reframing)
 * move them by ≈ 0.005 units (≈ 0.3 mm; the scale by ≈ 0.3 %).
 */
export const SCAN_EYES_GLB = {
  /** Subject's right eye centre (image left when frontal), GLB units. */
  right: [-0.71373, 1.71545, 1.90694] as const,
  /** Subject's left eye centre, GLB units. */
  left: [0.47781, 1.74164, 1.89977] as const,
};

/** Eye-centre distance the scan is scaled to, mm (the pipeline's default prior). */
export const SCAN_INTEROCULAR_MM = 63;

/** The loaded scan in the head frame (mm). */
export interface Scan {
  /** Head-frame mesh, mm: positions, unit normals, v-down UVs, tangents (xyzw). */
  mesh: Mesh;
  /** Colour map, sRGB RGB. */
  albedo: Image;
  /** Tangent-space normal map (glTF convention after the v flip), RGB in [0, 1]. */
  normalMap: Image;
  /** Specular intensity map, RGB in [0, 1]. */
  specularMap: Image;
  /** mm per GLB unit. */
  mmPerUnit: number;
  /** Head-frame origin in GLB units (midpoint of the eye centres). */
  originGlb: [number, number, number];
}

/** Decode an 8-bit image file to a float RGB {@link Image} in [0, 1] (no colour conversion). */
export async function loadImageFile(file: string): Promise<Image> {
  const { data, info } = await sharp(file).removeAlpha().toColourspace('srgb').raw().toBuffer({ resolveWithObject: true });
  const out = new Float32Array(info.width * info.height * 3);
  for (let i = 0; i < out.length; i++) out[i] = data[i]! / 255;
  return { width: info.width, height: info.height, channels: 3, data: out };
}

let cached: Promise<Scan> | undefined;

/**
 * Load the scan (cached per process). Throws with the folder name when the shared data is absent.
 *
 * @example
 * const scan = await loadScan();
 * scan.mesh.positions; // head frame, mm
 */
export function loadScan(dir = SCAN_DIR): Promise<Scan> {
  if (dir === SCAN_DIR && cached) return cached;
  const p = loadScanUncached(dir);
  if (dir === SCAN_DIR) cached = p;
  return p;
}

async function loadScanUncached(dir: string): Promise<Scan> {
  const glb = readGlb(new Uint8Array(await readFile(path.join(dir, 'LeePerrySmith.glb'))));
  const m = glb.mesh;
  if (!m.normals || !m.uvs) throw new Error(`${dir}/LeePerrySmith.glb: expected NORMAL and TEXCOORD_0`);
  const { right, left } = SCAN_EYES_GLB;
  const ipd = Math.hypot(left[0] - right[0], left[1] - right[1], left[2] - right[2]);
  const s = SCAN_INTEROCULAR_MM / ipd;
  const o: [number, number, number] = [(left[0] + right[0]) / 2, (left[1] + right[1]) / 2, (left[2] + right[2]) / 2];
  const nv = m.positions.length / 3;
  const positions = new Float32Array(nv * 3);
  for (let i = 0; i < nv; i++) for (let k = 0; k < 3; k++) positions[3 * i + k] = (m.positions[3 * i + k]! - o[k]!) * s;
  const normals = new Float32Array(m.normals);
  for (let i = 0; i < nv; i++) {
    const l = Math.hypot(normals[3 * i]!, normals[3 * i + 1]!, normals[3 * i + 2]!) || 1;
    for (let k = 0; k < 3; k++) normals[3 * i + k] = normals[3 * i + k]! / l;
  }
  const uvs = new Float32Array(m.uvs);
  for (let i = 1; i < uvs.length; i += 2) uvs[i] = 1 - uvs[i]!;
  const mesh: Mesh = { positions, normals, uvs, indices: m.indices };
  mesh.tangents = computeTangents(positions, normals, uvs, m.indices);
  const [albedo, normalMap, specularMap] = await Promise.all([
    loadImageFile(path.join(dir, 'Map-COL.jpg')),
    loadImageFile(path.join(dir, 'Infinite-Level_02_Tangent_SmoothUV.jpg')),
    loadImageFile(path.join(dir, 'Map-SPEC.jpg')),
  ]);
  return { mesh, albedo, normalMap, specularMap, mmPerUnit: s, originGlb: o };
}

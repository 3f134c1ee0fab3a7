/**
 * The face region of the scan, where the accuracy benchmark scores normals: forehead to chin and
 * ear to ear (MediaPipe's face oval: its top at the upper forehead, its sides in front of the
 * ears), minus the eyes and the nostrils. Stored once as polygons in the scan's UV space (v down,
 * after the loader's flip), so the mask follows the surface at every pose and is rendered per
 * pixel through the renderer's triangle/barycentric output.
 *
 * The polygons were measured by `calibrate.ts`: our face analyser on frontal and ±30° yaw renders
 * of the scan, each landmark back-projected onto the scan surface through the render's triangle
 * buffer (taking each landmark from the view that sees its surface most frontally), converted to
 * UV. The eye polygons are the convex hulls of the 16 eye-contour landmarks grown by
 * {@link EYE_MARGIN_MM}; the nostril polygon is the hull of the pipeline's nostril landmarks grown
 * by {@link NOSTRIL_MARGIN_MM} (UV growth converted from mm with the local UV scale).
 */
import type { Image } from '../../src/core/types.js';
import type { Scan } from './scan.js';
import { FACE_REGION_UV } from './generated/face-region-uv.js';

/** Margin around the eye-contour hull excluded from the mask, mm (lids, lashes, crease). */
export const EYE_MARGIN_MM = 3;
/** Margin around the nostril hull, mm. */
export const NOSTRIL_MARGIN_MM = 1;

/** Margin around the brow-landmark hull of the brow polygons (not excluded from the face region; see browRegionSampler), mm. */
export const BROW_MARGIN_MM = 5;

/** Size of the UV-space mask texture. */
const MASK_SIZE = 1024;

/** Point-in-polygon (even-odd) for a flat [u0, v0, u1, v1, …] polygon. */
export function insidePolygon(poly: ArrayLike<number>, u: number, v: number): boolean {
  let inside = false;
  const n = poly.length / 2;
  for (let i = 0, j = n - 1; i < n; j = i++) {
    const ui = poly[2 * i]!, vi = poly[2 * i + 1]!, uj = poly[2 * j]!, vj = poly[2 * j + 1]!;
    if (vi > v !== vj > v && u < ((uj - ui) * (v - vi)) / (vj - vi) + ui) inside = !inside;
  }
  return inside;
}

/**
 * The face mask as a 1-channel UV-space image (1 inside the region, 0 outside), texel centres
 * tested against the polygons.
 */
export function faceMaskTexture(size = MASK_SIZE): Image {
  const data = new Float32Array(size * size);
  const { oval, exclude } = FACE_REGION_UV;
  for (let j = 0; j < size; j++) {
    const v = (j + 0.5) / size;
    for (let i = 0; i < size; i++) {
      const u = (i + 0.5) / size;
      if (!insidePolygon(oval, u, v)) continue;
      let ok = true;
      for (const e of exclude) if (insidePolygon(e.polygon, u, v)) { ok = false; break; }
      data[j * size + i] = ok ? 1 : 0;
    }
  }
  return { width: size, height: size, channels: 1, data };
}

/** The brows (brow-landmark hulls grown by {@link BROW_MARGIN_MM}) as a 1-channel UV-space mask. */
export function browMaskTexture(size = MASK_SIZE): Image {
  const data = new Float32Array(size * size);
  for (let j = 0; j < size; j++) {
    const v = (j + 0.5) / size;
    for (let i = 0; i < size; i++) {
      const u = (i + 0.5) / size;
      for (const e of FACE_REGION_UV.brows) if (insidePolygon(e.polygon, u, v)) { data[j * size + i] = 1; break; }
    }
  }
  return { width: size, height: size, channels: 1, data };
}

const textures = new WeakMap<Scan, Image>();
const browTextures = new WeakMap<Scan, Image>();

/**
 * A per-sample region test for {@link renderForEval}: interpolates the scan's UVs at the sample
 * and looks the mask texture up (nearest texel).
 */
export function faceRegionSampler(scan: Scan): (t: number, b0: number, b1: number, b2: number) => number {
  let tex = textures.get(scan);
  if (!tex) { tex = faceMaskTexture(); textures.set(scan, tex); }
  return uvMaskSampler(scan, tex);
}

/** The same for the brows: 1 on the scan's brows and 5 mm around them (where its normal map holds brow hair). */
export function browRegionSampler(scan: Scan): (t: number, b0: number, b1: number, b2: number) => number {
  let tex = browTextures.get(scan);
  if (!tex) { tex = browMaskTexture(); browTextures.set(scan, tex); }
  return uvMaskSampler(scan, tex);
}

function uvMaskSampler(scan: Scan, T: Image): (t: number, b0: number, b1: number, b2: number) => number {
  const S = T.width;
  const I = scan.mesh.indices, UV = scan.mesh.uvs!;
  return (t, b0, b1, b2) => {
    const a = I[3 * t]!, b = I[3 * t + 1]!, c = I[3 * t + 2]!;
    const u = b0 * UV[2 * a]! + b1 * UV[2 * b]! + b2 * UV[2 * c]!;
    const v = b0 * UV[2 * a + 1]! + b1 * UV[2 * b + 1]! + b2 * UV[2 * c + 1]!;
    const i = Math.min(S - 1, Math.max(0, Math.floor(u * S))), j = Math.min(S - 1, Math.max(0, Math.floor(v * S)));
    return T.data[j * S + i]!;
  };
}

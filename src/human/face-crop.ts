/**
 * The square, rotated face crop fed to the face-mesh network, and the exact mapping between
 * crop and image coordinates. Pure TypeScript (no tfjs), so the mapping is known to the last bit.
 *
 * Coordinates are continuous: in the image, (0, 0) is the top-left corner of the top-left pixel
 * and pixel (i, j) has its centre at (i + 0.5, j + 0.5) (as in `src/core/types.ts`); in the
 * N×N crop, likewise, (0, 0) is the crop's top-left corner and (N, N) its bottom-right corner.
 * This is MediaPipe's convention: the network's x, y outputs (0..N) are positions in the crop
 * tensor measured from its edges, and MediaPipe maps them back with
 * `image = centre + R(angle) · (crop / N − ½) · size` (its `LandmarkProjectionCalculator`).
 *
 * Checks (test/integration/analyzer.test.ts): fed Human's own crop through this sampler, the
 * network reproduces Human's truncated mesh (same input normalisation, same mapping). Whether
 * the network itself was trained with exactly this half-pixel convention cannot be read off
 * the model; a flip test (x outputs on a crop and on its mirror image, over 59 faces of the
 * test photos) sums to 191.57 ± 0.07 instead of 192, i.e. the network reads about 0.2 crop
 * pixels (0.1 % of the crop) left of this convention. Not corrected.
 */
import type { Image } from '../core/types.js';
import { assignDefaults } from '../core/options.js';

/** A square region of the image: centre, side and rotation. */
export interface FaceCrop {
  /** Centre of the square in image pixels (continuous coordinates). */
  cx: number;
  cy: number;
  /** Side of the square in image pixels. */
  size: number;
  /**
   * Rotation in radians: the crop's +x axis points along (cos angle, sin angle) in the image.
   * With the image's y axis pointing down, a positive angle is clockwise on screen.
   */
  angle: number;
}

/** Options of {@link faceCropFromLandmarks}. */
export interface FaceCropOptions {
  /** Crop side = `scale` × the longer side of the landmarks' bounding box (rotated frame). Default 1.5 (MediaPipe). */
  scale: number;
  /** Rotate the crop so the line between the outer eye corners (33 → 263) is horizontal. Default true. */
  rotate: boolean;
}

/** Defaults of {@link FaceCropOptions}. @public */
export const FACE_CROP_DEFAULTS: Readonly<FaceCropOptions> = Object.freeze({ scale: 1.5, rotate: true });

/** Outer eye corners of the face mesh: 33 = the subject's right eye, 263 = the left one. */
const EYE_RIGHT_OUTER = 33;
const EYE_LEFT_OUTER = 263;

/**
 * The crop MediaPipe's face-landmark tracker would use for a face whose previous landmarks are
 * `landmarks` (xyz interleaved, image pixels; only x, y are read): rotation from the outer eye
 * corners (33 → 263 horizontal, as MediaPipe's `face_landmarks_to_roi`), centre and size from
 * the landmarks' bounding box measured in that rotated frame, squared on its longer side and
 * scaled by 1.5.
 *
 * @example
 * const crop = faceCropFromLandmarks(mesh, 468); // { cx, cy, size, angle }
 */
export function faceCropFromLandmarks(
  landmarks: ArrayLike<number>,
  count: number,
  options: Partial<FaceCropOptions> = {},
): FaceCrop {
  const { scale, rotate } = assignDefaults(FACE_CROP_DEFAULTS, options);
  let angle = 0;
  if (rotate) {
    const dx = landmarks[3 * EYE_LEFT_OUTER]! - landmarks[3 * EYE_RIGHT_OUTER]!;
    const dy = landmarks[3 * EYE_LEFT_OUTER + 1]! - landmarks[3 * EYE_RIGHT_OUTER + 1]!;
    if (dx !== 0 || dy !== 0) angle = Math.atan2(dy, dx);
  }
  const c = Math.cos(angle), s = Math.sin(angle);
  let uMin = Infinity, uMax = -Infinity, vMin = Infinity, vMax = -Infinity;
  for (let i = 0; i < count; i++) {
    const x = landmarks[3 * i]!, y = landmarks[3 * i + 1]!;
    // Coordinates along the crop's axes: u = R(angle)ᵀ·p.
    const u = c * x + s * y, v = -s * x + c * y;
    if (u < uMin) uMin = u;
    if (u > uMax) uMax = u;
    if (v < vMin) vMin = v;
    if (v > vMax) vMax = v;
  }
  const uc = (uMin + uMax) / 2, vc = (vMin + vMax) / 2;
  return {
    cx: c * uc - s * vc,
    cy: s * uc + c * vc,
    size: scale * Math.max(uMax - uMin, vMax - vMin),
    angle,
  };
}

/**
 * Maps a point of an N×N crop (continuous crop coordinates, 0..N) to image pixels, written to
 * `out[0..2)`. `z` values scale by `crop.size / N` (see {@link cropZToImage}).
 *
 * @example cropToImage(crop, 192, 96, 96, p) // p = [crop.cx, crop.cy]
 */
export function cropToImage(crop: FaceCrop, n: number, x: number, y: number, out: Float64Array | Float32Array | number[]): void {
  const k = crop.size / n;
  const u = (x - n / 2) * k, v = (y - n / 2) * k;
  const c = Math.cos(crop.angle), s = Math.sin(crop.angle);
  out[0] = crop.cx + c * u - s * v;
  out[1] = crop.cy + s * u + c * v;
}

/** Inverse of {@link cropToImage}: image pixels → continuous crop coordinates (0..N). */
export function imageToCrop(crop: FaceCrop, n: number, x: number, y: number, out: Float64Array | Float32Array | number[]): void {
  const k = n / crop.size;
  const dx = x - crop.cx, dy = y - crop.cy;
  const c = Math.cos(crop.angle), s = Math.sin(crop.angle);
  out[0] = (c * dx + s * dy) * k + n / 2;
  out[1] = (-s * dx + c * dy) * k + n / 2;
}

/** A depth in crop pixels → image pixels (the crop is an isotropic scaling of the image). */
export function cropZToImage(crop: FaceCrop, n: number, z: number): number {
  return (z * crop.size) / n;
}

/**
 * Resamples the crop into an N×N×3 float tensor (row-major, RGB interleaved, values as in the
 * image, i.e. [0, 1]), the face-mesh network's input.
 *
 * Each crop pixel (i, j) is the mean of k×k bilinear samples taken on a regular grid inside its
 * footprint, k = `samples` or by default ⌈size / N⌉ clamped to [1, 8] (a box prefilter: a plain bilinear lookup would
 * alias when a face several times larger than N pixels is shrunk). Sample (a, b) of pixel (i, j)
 * sits at crop position (i + (a + ½)/k, j + (b + ½)/k), mapped to the image by
 * {@link cropToImage}. Outside the image the photo is taken as black (zero), like TF's
 * `cropAndResize` that Human uses. One-channel images are replicated to RGB; a 4th channel is
 * ignored.
 *
 * @example
 * const input = sampleFaceCrop(photo, crop, 192); // Float32Array(192 * 192 * 3)
 */
export function sampleFaceCrop(img: Image, crop: FaceCrop, n: number, samples?: number): Float32Array {
  const { width: W, height: H, channels: C, data } = img;
  const dst = new Float32Array(n * n * 3);
  const k = samples ?? Math.min(8, Math.max(1, Math.ceil(crop.size / n - 1e-9)));
  const step = crop.size / n; // image pixels per crop pixel
  const c = Math.cos(crop.angle), s = Math.sin(crop.angle);
  const inv = 1 / (k * k);
  const g = C >= 3 ? [0, 1, 2] : [0, 0, 0];
  for (let j = 0; j < n; j++) {
    for (let i = 0; i < n; i++) {
      let r = 0, gr = 0, b = 0;
      for (let sb = 0; sb < k; sb++) {
        const v = (j + (sb + 0.5) / k - n / 2) * step;
        for (let sa = 0; sa < k; sa++) {
          const u = (i + (sa + 0.5) / k - n / 2) * step;
          // Image position, shifted so that integer values land on pixel centres.
          const fx = crop.cx + c * u - s * v - 0.5;
          const fy = crop.cy + s * u + c * v - 0.5;
          const x0 = Math.floor(fx), y0 = Math.floor(fy);
          const ax = fx - x0, ay = fy - y0;
          for (let t = 0; t < 4; t++) {
            const x = x0 + (t & 1), y = y0 + (t >> 1);
            if (x < 0 || y < 0 || x >= W || y >= H) continue; // black outside the image
            const w = ((t & 1) ? ax : 1 - ax) * ((t >> 1) ? ay : 1 - ay);
            if (w === 0) continue;
            const p = (y * W + x) * C;
            r += w * data[p + g[0]!]!;
            gr += w * data[p + g[1]!]!;
            b += w * data[p + g[2]!]!;
          }
        }
      }
      const q = (j * n + i) * 3;
      dst[q] = r * inv;
      dst[q + 1] = gr * inv;
      dst[q + 2] = b * inv;
    }
  }
  return dst;
}

import { FaceDetailError } from '../errors.js';
import type { Camera } from '../types.js';

/** Diagonal of the 35 mm film frame (36 × 24 mm), in mm. */
const FULL_FRAME_DIAGONAL_MM = Math.hypot(36, 24);

export interface EstimateCameraOptions {
  /** 35 mm-equivalent focal length in mm given by the user; wins over EXIF. */
  focalLength35mm?: number | undefined;
  /** 35 mm-equivalent focal length from the photo's EXIF (`FocalLengthIn35mmFormat`). */
  exifFocalLength35mm?: number | undefined;
  /**
   * Used when neither is known. 50 mm (a "normal" lens; portraits are usually shot between a
   * phone's ~26 mm and a portrait lens's ~85 mm). The error this causes is mostly in depth
   * (the face's distance), much less in its shape at the usual distances.
   */
  defaultFocalLength35mm?: number;
}

export const ESTIMATE_CAMERA_DEFAULTS = Object.freeze({ defaultFocalLength35mm: 50 } as const);

/**
 * Pinhole intrinsics for a `width`×`height` photo: square pixels, principal point at the image
 * centre, focal length from a 35 mm-equivalent value mapped over the image diagonal
 * (f_px = f35 · diagonal_px / 43.27 mm, the definition of "35 mm equivalent").
 *
 * @example estimateCamera(4032, 3024, { exifFocalLength35mm: 26 }).fx // ≈ 2909 px
 */
export function estimateCamera(width: number, height: number, options: EstimateCameraOptions = {}): Camera {
  if (!(width > 0 && height > 0)) throw new FaceDetailError('INVALID_OPTION', `estimateCamera: width and height must be positive, got ${width}×${height}`);
  const user = options.focalLength35mm;
  if (user !== undefined && !(user > 1 && user < 2000)) {
    throw new FaceDetailError('INVALID_OPTION', `focalLength35mm must be between 1 and 2000 mm, got ${user}`);
  }
  const exif = options.exifFocalLength35mm;
  const exifOk = exif !== undefined && exif > 1 && exif < 2000;
  const f35 = user ?? (exifOk ? exif : options.defaultFocalLength35mm ?? ESTIMATE_CAMERA_DEFAULTS.defaultFocalLength35mm);
  const f = (f35 * Math.hypot(width, height)) / FULL_FRAME_DIAGONAL_MM;
  return {
    width,
    height,
    fx: f,
    fy: f,
    cx: width / 2,
    cy: height / 2,
    focalSource: user !== undefined ? 'user' : exifOk ? 'exif' : 'default',
  };
}

/** The 35 mm-equivalent focal length (mm) of a camera, the inverse of {@link estimateCamera}. */
export function focalLength35mmOf(camera: Camera): number {
  return (camera.fx * FULL_FRAME_DIAGONAL_MM) / Math.hypot(camera.width, camera.height);
}

/** Vertical field of view in radians (for glTF cameras). */
export function verticalFov(camera: Camera): number {
  return 2 * Math.atan(camera.height / (2 * camera.fy));
}

/** Project camera-frame point (mm) to pixels; writes [x, y] to `out`. */
export function project(camera: Camera, X: number, Y: number, Z: number, out: Float64Array | Float32Array | number[]): void {
  out[0] = (camera.fx * X) / Z + camera.cx;
  out[1] = (camera.fy * Y) / Z + camera.cy;
}

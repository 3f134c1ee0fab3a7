/**
 * The one texel → image projection of the training exports: a covered texel's proxy point (camera
 * frame, mm) projected with the pipeline's own camera into an image of `width` × `height`, with the
 * 4 bilinear taps around it. Texels not facing the camera (cos between the outward normal and the
 * view ray above −0.3) or projecting outside the image give `undefined`.
 */
import type { Camera } from '../../src/core/types.js';
import type { UVGeometry } from '../../src/core/unwrap/uv-geometry.js';

/** Bilinear taps: pixel index and weight, in the order (0,0), (1,0), (0,1), (1,1). */
export type Taps = ReadonlyArray<readonly [number, number]>;

/**
 * @example
 * const taps = projectTexel(geom, face.camera, i, W, H);
 * if (taps) for (const [p, w] of taps) sum += w * image[p];
 */
export function projectTexel(geom: UVGeometry, cam: Camera, i: number, width: number, height: number): Taps | undefined {
  const X = geom.position[3 * i]!, Y = geom.position[3 * i + 1]!, Z = geom.position[3 * i + 2]!;
  const nx = geom.normal[3 * i]!, ny = geom.normal[3 * i + 1]!, nz = geom.normal[3 * i + 2]!;
  // Facing the camera (the view ray is P/|P|; an outward normal points against it).
  if ((nx * X + ny * Y + nz * Z) / Math.hypot(X, Y, Z) > -0.3) return undefined;
  const px = (cam.fx * X) / Z + cam.cx - 0.5, py = (cam.fy * Y) / Z + cam.cy - 0.5;
  const x0 = Math.floor(px), y0 = Math.floor(py);
  if (x0 < 0 || y0 < 0 || x0 + 1 >= width || y0 + 1 >= height) return undefined;
  const fx = px - x0, fy = py - y0, p = y0 * width + x0;
  return [[p, (1 - fx) * (1 - fy)], [p + 1, fx * (1 - fy)], [p + width, (1 - fx) * fy], [p + width + 1, fx * fy]];
}

/**
 * Flat colours of the extra meshes ({@link ExtraMesh}) that complete a face in the exports: the
 * skin takes the median albedo of the reconstructed face, the irises the colour measured in the
 * photo's eye openings ({@link estimateIrisColor}), the teeth and the mouth (gums, tongue) those
 * seen in an open mouth (`mouth-colors.ts`), the other materials — and a closed mouth's — fixed colours.
 * Isomorphic.
 */
import { luminance, srgbToLinear } from '../image/image.js';
import { rasterizePolygon } from '../lighting/skin-mask.js';
import type { Image } from '../types.js';
import type { ExtraMesh, ExtraMeshMaterial } from '../model/face-model.js';
import { FACEMESH_LANDMARKS } from '../model/facemesh/facemesh-landmarks.js';

/** Linear RGB of the non-skin materials; `socket` is a factor on the skin colour. */
export const EXTRA_MESH_COLORS: Readonly<Record<Exclude<ExtraMeshMaterial, 'skin' | 'socket'>, [number, number, number]>> = Object.freeze({
  mouth: [0.32, 0.06, 0.06],
  teeth: [0.72, 0.68, 0.58],
  eye: [0.75, 0.74, 0.72],
  /** A dark brown iris and pupil: the fallback when the eyes are closed or too small to measure. */
  iris: [0.035, 0.022, 0.015],
});
/** Darkening of the eye and mouth sockets relative to the skin. */
const SOCKET_SHADE = 0.35;

/**
 * Median (per channel) of a linear albedo map over the covered texels; [0.5, 0.4, 0.35] when
 * nothing is covered.
 *
 * @example
 * const skin = medianAlbedo(albedoLinear, geom.coverage); // e.g. [0.42, 0.27, 0.2]
 */
export function medianAlbedo(albedo: Image, coverage: Uint8Array): [number, number, number] {
  const out: [number, number, number] = [0.5, 0.4, 0.35];
  const n = albedo.width * albedo.height;
  let covered = 0;
  for (let k = 0; k < n; k++) if (coverage[k]) covered++;
  if (covered === 0) return out;
  // A typed array sorts numerically without a comparator: several times faster at 1024².
  const vals = new Float32Array(covered);
  for (let c = 0; c < 3; c++) {
    let j = 0;
    for (let k = 0; k < n; k++) if (coverage[k]) vals[j++] = albedo.data[k * albedo.channels + c]!;
    vals.sort();
    out[c] = vals[covered >> 1]!;
  }
  return out;
}

/** What {@link estimateIrisColor} samples: the darker part of each eye opening. */
const IRIS_SAMPLING = Object.freeze({
  /** Fewest pixels inside both eye openings together to measure anything (closed or tiny eyes). */
  minPixels: 24,
  /**
   * Luminance quantiles of the eye-opening pixels taken as iris: above the darkest (pupil, lashes,
   * the lid's shadow), below the bright sclera and catch-lights (the iris fills roughly a third
   * of an open eye's opening).
   */
  lowQuantile: 0.08,
  highQuantile: 0.25,
});

/**
 * The observed iris colour (LINEAR RGB) in the photo: the per-channel median of the pixels inside
 * both eye openings (face-mesh lid contours) whose luminance lies between the
 * {@link IRIS_SAMPLING} quantiles. `null` when the openings hold too few pixels (closed eyes, a
 * small face). It includes the lighting: divide by the skin's shading gain for an albedo.
 *
 * @example
 * const iris = estimateIrisColor(image, analysis.landmarks); // e.g. [0.05, 0.07, 0.11] for blue eyes
 */
export function estimateIrisColor(image: Image, landmarks: Float32Array): [number, number, number] | null {
  const W = image.width, H = image.height, C = image.channels;
  const pixels: number[] = [];
  for (const loop of [FACEMESH_LANDMARKS.rightEye, FACEMESH_LANDMARKS.leftEye]) {
    let x0 = Infinity, y0 = Infinity, x1 = -Infinity, y1 = -Infinity;
    for (const i of loop) {
      const x = landmarks[3 * i]!, y = landmarks[3 * i + 1]!;
      x0 = Math.min(x0, x); x1 = Math.max(x1, x); y0 = Math.min(y0, y); y1 = Math.max(y1, y);
    }
    const cx0 = Math.max(0, Math.floor(x0)), cy0 = Math.max(0, Math.floor(y0));
    const cw = Math.min(W, Math.ceil(x1) + 1) - cx0, ch = Math.min(H, Math.ceil(y1) + 1) - cy0;
    if (!(cw > 0 && ch > 0)) continue;
    const poly = new Float64Array(loop.length * 2);
    loop.forEach((i, k) => { poly[2 * k] = landmarks[3 * i]! - cx0; poly[2 * k + 1] = landmarks[3 * i + 1]! - cy0; });
    const inside = new Uint8Array(cw * ch);
    if (rasterizePolygon(cw, ch, poly, inside) === 0) continue;
    for (let y = 0; y < ch; y++) {
      for (let x = 0; x < cw; x++) {
        if (!inside[y * cw + x]) continue;
        const o = ((cy0 + y) * W + cx0 + x) * C;
        pixels.push(srgbToLinear(image.data[o]!), srgbToLinear(image.data[o + 1]!), srgbToLinear(image.data[o + 2]!));
      }
    }
  }
  const n = pixels.length / 3;
  if (n < IRIS_SAMPLING.minPixels) return null;
  const lum = new Float64Array(n);
  for (let k = 0; k < n; k++) lum[k] = luminance(pixels[3 * k]!, pixels[3 * k + 1]!, pixels[3 * k + 2]!);
  const sorted = Float64Array.from(lum).sort();
  const lo = sorted[Math.floor(IRIS_SAMPLING.lowQuantile * (n - 1))]!, hi = sorted[Math.ceil(IRIS_SAMPLING.highQuantile * (n - 1))]!;
  const out: [number, number, number] = [0, 0, 0];
  for (let c = 0; c < 3; c++) {
    const vals: number[] = [];
    for (let k = 0; k < n; k++) if (lum[k]! >= lo && lum[k]! <= hi) vals.push(pixels[3 * k + c]!);
    const v = Float64Array.from(vals).sort();
    out[c] = v[v.length >> 1] ?? 0;
  }
  return out;
}

/** Colours of the non-skin materials measured for one face (linear RGB albedo). */
export interface MeasuredColors {
  /** The iris albedo; the fixed {@link EXTRA_MESH_COLORS} iris when absent. */
  iris?: [number, number, number];
  /** The teeth and the mouth's (gums, tongue) albedo seen in the open mouth (`mouth-colors.ts`); the fixed colours when absent. */
  teeth?: [number, number, number];
  mouth?: [number, number, number];
}

/**
 * Set `color` on each extra mesh from its material, the face's skin colour (linear RGB) and the
 * colours measured in the photo.
 *
 * @example
 * colorExtraMeshes(extras, medianAlbedo(albedoLinear, coverage), { iris });
 */
export function colorExtraMeshes(extras: ExtraMesh[], skin: [number, number, number], measured: MeasuredColors = {}): void {
  for (const e of extras) {
    e.color = e.material === 'skin' ? [...skin] : e.material === 'socket'
      ? [skin[0] * SOCKET_SHADE, skin[1] * SOCKET_SHADE, skin[2] * SOCKET_SHADE]
      : [...((e.material !== 'eye' ? measured[e.material] : undefined) ?? EXTRA_MESH_COLORS[e.material])] as [number, number, number];
  }
}

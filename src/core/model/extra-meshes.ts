/**
 * Flat colours of the extra meshes ({@link ExtraMesh}) that complete a face in the exports: the
 * skin takes the median albedo of the reconstructed face, the other materials fixed colours.
 * Isomorphic.
 */
import type { Image } from '../types.js';
import type { ExtraMesh, ExtraMeshMaterial } from './face-model.js';

/** Linear RGB of the non-skin materials; `socket` is a factor on the skin colour. */
export const EXTRA_MESH_COLORS: Readonly<Record<Exclude<ExtraMeshMaterial, 'skin' | 'socket'>, [number, number, number]>> = Object.freeze({
  mouth: [0.32, 0.06, 0.06],
  teeth: [0.72, 0.68, 0.58],
  eye: [0.75, 0.74, 0.72],
  /** A dark brown iris and pupil (the photo's eye colour is not estimated yet). */
  iris: [0.035, 0.022, 0.015],
});
/** Darkening of the eye and mouth sockets relative to the skin. */
export const SOCKET_SHADE = 0.35;

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

/**
 * Set `color` on each extra mesh from its material and the face's skin colour (linear RGB).
 *
 * @example
 * colorExtraMeshes(extras, medianAlbedo(albedoLinear, coverage));
 */
export function colorExtraMeshes(extras: ExtraMesh[], skin: [number, number, number]): void {
  for (const e of extras) {
    e.color = e.material === 'skin' ? [...skin] : e.material === 'socket'
      ? [skin[0] * SOCKET_SHADE, skin[1] * SOCKET_SHADE, skin[2] * SOCKET_SHADE]
      : [...EXTRA_MESH_COLORS[e.material]];
  }
}

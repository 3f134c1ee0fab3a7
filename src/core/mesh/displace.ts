/**
 * Displacement of a mesh along its vertex normals by a scalar map sampled in UV space.
 */

import { FaceDetailError } from '../errors.js';
import { sampleUV } from '../image/image.js';
import type { Image, Mesh } from '../types.js';
import { computeVertexNormals } from './normals.js';
import { computeTangents } from './tangents.js';

/** Options of {@link displaceMesh}. The displacement of a vertex is `strength · (scale · m + offset)` mm, m = map value. */
export interface DisplaceOptions {
  /**
   * Overall multiplier of the displacement (1 = as stored).
   * @example { strength: 0.5 } // half-strength detail
   */
  strength?: number;
  /**
   * Map value → millimetres factor (1 when the map already holds mm).
   * @example { scale: 0.1 } // map in tenths of a millimetre
   */
  scale?: number;
  /**
   * Added to the scaled map value, in mm (e.g. to re-centre a map stored with a bias).
   * @example { scale: 2, offset: -1 } // map in [0, 1] encodes −1 … +1 mm
   */
  offset?: number;
}

/** Defaults of {@link DisplaceOptions}. @public */
export const DISPLACE_DEFAULTS: Readonly<Required<DisplaceOptions>> = Object.freeze({
  strength: 1,
  scale: 1,
  offset: 0,
});

/**
 * Move every vertex of `mesh` along its unit normal by the value of the 1-channel `map` (mm)
 * sampled bilinearly at the vertex UV ({@link sampleUV}: u right, v down, clamped at the map
 * border), times the options. Pure: returns a new mesh with new positions, the same indices and
 * UVs (copied), normals recomputed ({@link computeVertexNormals}, angle-weighted) and tangents
 * recomputed ({@link computeTangents}) if `mesh` had them. Positive values move along the normal
 * (outward for the face mesh).
 *
 * `mesh.uvs` is required; `mesh.normals` are used when present, else computed first.
 *
 * @example
 * const detailed = displaceMesh(fine, { width: 1024, height: 1024, channels: 1, data: dispMm });
 */
export function displaceMesh(mesh: Mesh, map: Image, options?: DisplaceOptions): Mesh {
  const strength = options?.strength ?? DISPLACE_DEFAULTS.strength;
  const scale = options?.scale ?? DISPLACE_DEFAULTS.scale;
  const offset = options?.offset ?? DISPLACE_DEFAULTS.offset;
  const { positions, indices, uvs } = mesh;
  const nv = Math.floor(positions.length / 3);
  if (!uvs || uvs.length !== 2 * nv) {
    throw new FaceDetailError('INVALID_OPTION', `displaceMesh: mesh.uvs must have 2 numbers per vertex (${2 * nv}), got ${uvs ? uvs.length : 'none'}`);
  }
  if (map.channels !== 1 || map.data.length !== map.width * map.height || map.width < 1 || map.height < 1) {
    throw new FaceDetailError('INVALID_OPTION', `displaceMesh: map must be a non-empty 1-channel image, got ${map.width}×${map.height}×${map.channels} with ${map.data.length} values`);
  }
  for (const [name, v] of [['strength', strength], ['scale', scale], ['offset', offset]] as const) {
    if (!Number.isFinite(v)) throw new FaceDetailError('INVALID_OPTION', `displaceMesh: options.${name} must be a finite number, got ${v}`);
  }
  const normals = mesh.normals && mesh.normals.length === 3 * nv ? mesh.normals : computeVertexNormals(positions, indices);
  const out = new Float32Array(3 * nv);
  const sample = new Float32Array(1);
  for (let v = 0; v < nv; v++) {
    sampleUV(map, uvs[2 * v]!, uvs[2 * v + 1]!, sample);
    const d = strength * (scale * sample[0]! + offset);
    const i = 3 * v;
    let nx = normals[i]!, ny = normals[i + 1]!, nz = normals[i + 2]!;
    const l = Math.sqrt(nx * nx + ny * ny + nz * nz);
    if (l > 0) { nx /= l; ny /= l; nz /= l; }
    out[i] = positions[i]! + d * nx;
    out[i + 1] = positions[i + 1]! + d * ny;
    out[i + 2] = positions[i + 2]! + d * nz;
  }
  const res: Mesh = { positions: out, indices: indices.slice(), uvs: uvs.slice() };
  res.normals = computeVertexNormals(out, res.indices);
  if (mesh.tangents) res.tangents = computeTangents(out, res.normals, uvs, res.indices);
  return res;
}

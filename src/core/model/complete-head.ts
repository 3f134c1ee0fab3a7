import type { Image } from '../types.js';
import { colorExtraMeshes, estimateIrisColor, medianAlbedo } from './extra-meshes.js';
import type { DetailedFaceMesh, ExtraMesh, FaceModel, ProxyFit } from './face-model.js';

/** The colours {@link completeHead} measures from. */
export interface HeadColorSources {
  /** The final albedo, linear, and the coverage of its texels. */
  albedoLinear: Image;
  /** The unwrapped texture, linear (same size as the albedo). */
  textureLinear: Image;
  coverage: Uint8Array;
  /** The photo and the face's landmarks (for the iris colour). */
  image: Image;
  landmarks: Float32Array;
}

/**
 * The undetailed meshes completing the head (a job of the `mesh` stage; ICT: head and neck,
 * sockets, teeth, eyes), sharing the detailed face's border vertices; one flat colour each (skin:
 * the face's median albedo; the iris as seen in the photo, divided by the skin's lighting gain).
 * The face-mesh model has none: an empty list.
 *
 * @example
 * const extras = completeHead(model, fit, { smooth, detailed, levels: 4 }, { albedoLinear, textureLinear, coverage, image, landmarks });
 */
export function completeHead(model: FaceModel, fit: ProxyFit, face: DetailedFaceMesh, colors: HeadColorSources): ExtraMesh[] {
  const extras = model.extraMeshes?.(fit, face) ?? [];
  if (extras.length === 0) return extras;
  const skin = medianAlbedo(colors.albedoLinear, colors.coverage);
  // The iris as seen in the photo, divided by the skin's lighting gain (observed / albedo).
  const seen = extras.some((e) => e.material === 'iris') ? estimateIrisColor(colors.image, colors.landmarks) : null;
  let iris: [number, number, number] | undefined;
  if (seen) {
    const skinSeen = medianAlbedo(colors.textureLinear, colors.coverage);
    iris = [0, 1, 2].map((c) => Math.min(1, seen[c]! * Math.min(5, Math.max(0.2, skin[c]! / Math.max(1e-4, skinSeen[c]!))))) as [number, number, number];
  }
  colorExtraMeshes(extras, skin, iris ? { iris } : {});
  return extras;
}

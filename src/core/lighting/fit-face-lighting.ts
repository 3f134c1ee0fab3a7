import { srgbImageToLinear } from '../image/image.js';
import type { FaceModelTopology } from '../model/face-model.js';
import type { Image } from '../types.js';
import type { UVGeometry } from '../unwrap/uv-geometry.js';
import { fitLighting, type LightingFit } from './fit-lighting.js';
import { buildRegionMask, buildSkinMask } from './skin-mask.js';
import { computeOcclusion, type OccluderMesh, type OcclusionField } from './visibility.js';

/** The outcome of {@link fitFaceLighting}. */
export interface FaceLighting {
  /** The unwrapped texture, linear RGB. */
  texLinear: Image;
  lighting: LightingFit;
  /** Regions kept flat by the detail stage (eyes, brows, lips, nostrils), per texel. */
  flatMask: Float32Array;
  /** The skin mask the lighting was fitted over (features and the border band left out), per texel. */
  skin: Float32Array;
  /** The proxy's visibility the lighting was fitted with (absent when `shadows` is 0). */
  occlusion?: OcclusionField;
}

/** The visibility of {@link fitFaceLighting}: the occluder (camera frame, mm) and the share of its occlusion modelled. */
export interface FaceShadows {
  occluder: OccluderMesh;
  /** 0 = off (the SH of the normal alone), 1 = the full transfer. */
  strength: number;
  /**
   * The field already computed: `computeOcclusion(geom, occluder, { strength })` of this `geom`
   * (e.g. on another thread while the texture was unwrapped); computed here when absent.
   */
  field?: OcclusionField | undefined;
}

/**
 * The `lighting` stage: order-2 SH lighting fitted to the unwrapped texture (linear) over skin
 * texels only, weighted by their confidence; also the flat-region mask the detail stage uses.
 * With `shadows`, the fit's basis is the proxy's shadowed SH transfer ({@link computeOcclusion}
 * of `geom` against `shadows.occluder`) instead of the SH of the normal.
 *
 * @example
 * const light = fitFaceLighting(det.texture, det.confidence.data, det.geom, model.topology);
 */
export function fitFaceLighting(texture: Image, confidence: Float32Array, geom: UVGeometry, topo: FaceModelTopology, shadows?: FaceShadows): FaceLighting {
  const D = texture.width;
  const texLinear = srgbImageToLinear(texture);
  const skin = buildSkinMask(D, D, topo.uvs, topo.regions, geom.coverage);
  const weights = new Float32Array(D * D);
  for (let i = 0; i < weights.length; i++) weights[i] = skin[i]! * confidence[i]!;
  const occlusion = shadows && shadows.strength > 0 ? shadows.field ?? computeOcclusion(geom, shadows.occluder, { strength: shadows.strength }) : undefined;
  const lighting = fitLighting(texLinear, geom, weights, occlusion ? { occlusion } : {});
  const flatMask = buildRegionMask(D, D, topo.uvs, topo.regions);
  return { texLinear, lighting, flatMask, skin, ...(occlusion ? { occlusion } : {}) };
}

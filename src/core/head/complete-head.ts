import type { Camera, Image } from '../types.js';
import { luminance } from '../image/image.js';
import { colorExtraMeshes, estimateIrisColor, medianAlbedo } from './extra-meshes.js';
import { cameraFacingShading, estimateMouthColors } from './mouth-colors.js';
import type { DetailedFaceMesh, ExtraMesh, FaceModel, ProxyFit } from '../model/face-model.js';
import { paintHeadTexture, type HeadTextureOptions, type HeadTextureStats } from './head-texture.js';

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
  /** The photo's camera and the face's SH shading (27): with both, a head with UVs gets a texture ({@link paintHeadTexture}). */
  camera?: Camera;
  sh?: ArrayLike<number>;
  /**
   * Per texel of the albedo, how well the photo saw it (the unwrap confidence): the head
   * texture's skin fill is the median albedo over the texels seen at confidence ≥ 0.5
   * (not the mirrored or inpainted ones, which are themselves filled). Default: all covered texels.
   */
  confidence?: Float32Array;
  /** Options of the head texture. */
  headTexture?: Partial<HeadTextureOptions>;
}

/** Confidence of the face texels the head texture's skin fill is measured on. */
const HEAD_FILL_MIN_CONFIDENCE = 0.5;

/** The extra meshes, and the head texture's statistics when one was painted. */
export interface CompletedHead {
  extras: ExtraMesh[];
  headTexture?: HeadTextureStats;
}

/**
 * The undetailed meshes completing the head (a job of the `mesh` stage; ICT: head and neck,
 * sockets, teeth, eyes), sharing the detailed face's border vertices; one flat colour each (skin:
 * the face's median albedo; the iris, and in an open mouth the teeth and the interior, as seen in
 * the photo, divided by the skin's lighting gain).
 * The head and neck skin, when it has UVs and `colors` has the camera and lighting, also gets a
 * texture: the photo projected onto it, blended into the skin colour ({@link paintHeadTexture}).
 * The face-mesh model has none: an empty list.
 *
 * @example
 * const { extras } = completeHead(model, fit, { smooth, detailed, levels: 4 }, { albedoLinear, textureLinear, coverage, image, landmarks, camera, sh });
 */
export function completeHead(model: FaceModel, fit: ProxyFit, face: DetailedFaceMesh, colors: HeadColorSources): CompletedHead {
  const extras = model.extraMeshes?.(fit, face) ?? [];
  if (extras.length === 0) return { extras };
  const skin = medianAlbedo(colors.albedoLinear, colors.coverage);
  // The iris as seen in the photo, divided by the skin's lighting gain (observed / albedo).
  const seen = extras.some((e) => e.material === 'iris') ? estimateIrisColor(colors.image, colors.landmarks) : null;
  const skinSeen = medianAlbedo(colors.textureLinear, colors.coverage);
  const albedoOf = (rgb: readonly number[]): [number, number, number] =>
    [0, 1, 2].map((c) => Math.min(1, rgb[c]! * Math.min(5, Math.max(0.2, skin[c]! / Math.max(1e-4, skinSeen[c]!))))) as [number, number, number];
  // The teeth and the mouth's interior as seen between the lips, divided by the fitted lighting
  // on the part (camera frame) where there is one: in a render from the photo's camera the part
  // then looks as in the photo (b-4: teeth 193 vs the photo's 144 in sRGB by the skin's gain).
  const mouth = extras.some((e) => e.material === 'teeth') ? estimateMouthColors(colors.image, colors.landmarks, luminance(skinSeen[0], skinSeen[1], skinSeen[2])) : null;
  const partAlbedo = (rgb: readonly number[] | undefined, material: 'teeth' | 'mouth'): [number, number, number] | undefined => {
    if (!rgb) return undefined;
    const part = extras.find((e) => e.material === material);
    const shading = part && colors.sh ? cameraFacingShading(part.mesh, colors.sh) : undefined;
    if (!shading) return albedoOf(rgb);
    return [0, 1, 2].map((c) => Math.min(1, rgb[c]! / Math.max(0.05, shading[c]!))) as [number, number, number];
  };
  const teeth = partAlbedo(mouth?.teeth, 'teeth'), inside = partAlbedo(mouth?.interior, 'mouth');
  colorExtraMeshes(extras, skin, { ...(seen ? { iris: albedoOf(seen) } : {}), ...(teeth ? { teeth } : {}), ...(inside ? { mouth: inside } : {}) });
  const head = extras.find((e) => e.material === 'skin' && e.mesh.uvs && e.mesh.normals);
  if (!head || !colors.camera || !colors.sh) return { extras };
  let fill = skin;
  let faceSeen: Uint8Array | undefined;
  if (colors.confidence) {
    const seenSkin = colors.coverage.map((c, k) => (c && colors.confidence![k]! >= HEAD_FILL_MIN_CONFIDENCE ? 1 : 0));
    // The median on every 7th seen texel (a regular subsample: the sort of 1M texels took 0.6 s).
    const sample = seenSkin.map((c, k) => (c && k % 7 === 0 ? 1 : 0));
    if (sample.some((c) => c !== 0)) { fill = medianAlbedo(colors.albedoLinear, sample); faceSeen = seenSkin; }
  }
  const tex = paintHeadTexture({
    image: colors.image, camera: colors.camera, head: head.mesh,
    occluders: [face.detailed, ...extras.filter((e) => e !== head).map((e) => e.mesh)],
    face: face.detailed, faceAlbedoLinear: colors.albedoLinear, sh: colors.sh, skin: fill, ...(faceSeen ? { faceSeen } : {}),
  }, colors.headTexture);
  head.texture = tex.srgb;
  return { extras, headTexture: tex.stats };
}

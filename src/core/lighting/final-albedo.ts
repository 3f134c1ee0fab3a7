import { linearImageToSrgb } from '../image/image.js';
import type { Image } from '../types.js';
import type { UVGeometry } from '../unwrap/uv-geometry.js';
import { blockedShading, computeAlbedo } from './albedo.js';
import { LIGHTNESS_EQUALIZE_DEFAULTS, equalizeLightness } from './lightness-equalize.js';
import type { OcclusionField } from './visibility.js';

/** The texture at texture resolution (linear) and the parts of its UV geometry the albedo reads. */
export interface AlbedoTexture {
  texLinear: Image;
  geom: Pick<UVGeometry, 'coverage' | 'normal'>;
}

/** What {@link finalAlbedo} returns: the albedo, linear and sRGB, at texture resolution. */
export interface FinalAlbedo {
  linear: Image;
  srgb: Image;
}

/** The options of {@link finalAlbedo}'s lightness equalisation. */
export interface FinalAlbedoEqualize {
  strength?: number;
  skin?: Float32Array | undefined;
  /** The light the proxy blocks at texture resolution ({@link blockedShading} of the visibility the lighting was fitted with), subtracted from the shading. */
  blocked?: Float32Array | undefined;
}

/**
 * One {@link finalAlbedo} call as plain data (typed arrays and numbers only), so that an adapter
 * can post it to another thread (structured clone) and run it there with {@link runFinalAlbedo}.
 */
export interface FinalAlbedoJob {
  texture: AlbedoTexture;
  normals: Float32Array;
  D: number;
  sh: Float64Array;
  equalize: FinalAlbedoEqualize;
}

/** One {@link blockedShading} call as plain data (for another thread): the occlusion, the lighting, the texture's coverage and size. */
export interface BlockedShadingJob {
  occlusion: OcclusionField;
  sh: Float64Array;
  coverage: Uint8Array;
  width: number;
  height: number;
}

/** Run a {@link BlockedShadingJob}: exactly {@link blockedShading} on its fields. */
export function runBlockedShading(job: BlockedShadingJob): Float32Array {
  return blockedShading(job.occlusion, job.sh, job.coverage, job.width, job.height);
}

/**
 * Run a {@link FinalAlbedoJob}: exactly {@link finalAlbedo} on its fields.
 *
 * @example
 * const { linear, srgb } = runFinalAlbedo({ texture: { texLinear, geom }, normals, D: 1024, sh, equalize: { strength: 0.8 } });
 */
export function runFinalAlbedo(job: FinalAlbedoJob): FinalAlbedo {
  return finalAlbedo(job.texture, job.normals, job.D, job.sh, job.equalize);
}

/**
 * The final albedo (a job of the `mesh` stage): the texture divided by the DETAILED shading, at
 * texture resolution; the light's colour comes from the smooth proxy normals (shared shading,
 * bounded light colour). `normals` are the detailed normals at the detail resolution `D`
 * (resampled to the texture's size when it differs); `equalize.blocked`, the light the proxy
 * blocks under that lighting, is subtracted from the shading. Then the smooth lightness the shading model
 * cannot explain (cast shadows, occlusion) is equalised with {@link equalizeLightness}: σ of
 * {@link LIGHTNESS_EQUALIZE_DEFAULTS}, `equalize.strength` (`albedoEqualize`; 0 = off, default
 * that of LIGHTNESS_EQUALIZE_DEFAULTS), the low-pass weighted by `equalize.skin` (the skin mask at
 * the texture's size) when the defaults' weights are `'skin'`, else by the coverage.
 *
 * @example
 * const { linear, srgb } = finalAlbedo({ texLinear, geom: tex.geom }, detail.normals, D, lighting.coefficients, { strength: 0.8, skin });
 */
export function finalAlbedo(texture: AlbedoTexture, normals: Float32Array, D: number, sh: ArrayLike<number>, equalize: FinalAlbedoEqualize = {}): FinalAlbedo {
  const T = texture.texLinear.width;
  const n = T === D ? normals : resampleNormals(normals, D, T);
  const divided = computeAlbedo(texture.texLinear, n, texture.geom.coverage, sh, { chromaNormals: texture.geom.normal, ...(equalize.blocked ? { blocked: equalize.blocked } : {}) });
  const strength = equalize.strength ?? LIGHTNESS_EQUALIZE_DEFAULTS.strength;
  const weights = LIGHTNESS_EQUALIZE_DEFAULTS.weights === 'skin' ? equalize.skin : undefined;
  const linear = strength > 0
    ? equalizeLightness(divided, texture.geom.coverage, { ...LIGHTNESS_EQUALIZE_DEFAULTS, strength }, weights)
    : divided;
  return { linear, srgb: linearImageToSrgb(linear) };
}

/** Nearest-neighbour resample of a per-texel normal field from S² to R² texels. */
function resampleNormals(n: Float32Array, S: number, R: number): Float32Array {
  const out = new Float32Array(R * R * 3);
  for (let y = 0; y < R; y++) {
    const sy = Math.min(S - 1, Math.floor(((y + 0.5) * S) / R));
    for (let x = 0; x < R; x++) {
      const sx = Math.min(S - 1, Math.floor(((x + 0.5) * S) / R));
      const si = (sy * S + sx) * 3, di = (y * R + x) * 3;
      out[di] = n[si]!; out[di + 1] = n[si + 1]!; out[di + 2] = n[si + 2]!;
    }
  }
  return out;
}

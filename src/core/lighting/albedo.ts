/**
 * Albedo (de-lit texture): the linear texture divided by the fitted SH shading.
 *
 * `albedo_c(t) = texture_c(t) / max(s_c(n_t), floor·mean_c)`, clamped to [0, 1], where
 * `s_c(n) = evalSH(coefficients, c, n)` is the shading of {@link fitLighting} (normalised to mean 1
 * over skin) and `mean_c` its mean over the covered texels. The floor keeps grazing and
 * self-shadowed texels (where an SH fit can approach or cross zero) from exploding. Outside the
 * coverage, and where the normal is missing, the texture is copied unchanged.
 */
import { FaceDetailError } from '../errors.js';
import { createImage, linearToSrgb, mapImage, srgbToLinear } from '../image/image.js';
import type { Image } from '../types.js';
import { evalSH } from './sh.js';

/** Options of {@link computeAlbedo}. */
export interface AlbedoOptions {
  /**
   * Shading floor as a fraction of the channel's mean shading over the covered texels.
   * @example { shadingFloor: 0.1 } // never divide by less than 10 % of the mean
   */
  shadingFloor: number;
  /** Upper clamp of the albedo (linear). */
  maxAlbedo: number;
}

/** Defaults of {@link AlbedoOptions}. */
export const ALBEDO_DEFAULTS: Readonly<AlbedoOptions> = {
  shadingFloor: 0.05,
  maxAlbedo: 1,
};

/**
 * De-light a linear UV texture with 27 SH shading coefficients.
 *
 * @param textureLinear Linear RGB(A) texture (≥ 3 channels; extra channels are copied).
 * @param normals Unit normal per texel, camera frame, xyz interleaved (`geom.normal`, or a detailed normal field).
 * @param coverage Per texel, non-zero where the texel is on the face.
 * @param sh 27 shading coefficients (e.g. `fitLighting(...).coefficients`).
 * @returns Linear albedo, same size and channels as the texture.
 * @example
 * const albedo = toSrgbImage(computeAlbedo(linearTex, geom.normal, geom.coverage, fit.coefficients));
 */
export function computeAlbedo(
  textureLinear: Image,
  normals: Float32Array,
  coverage: Uint8Array,
  sh: ArrayLike<number>,
  options: Partial<AlbedoOptions> = {},
): Image {
  const opts = { ...ALBEDO_DEFAULTS, ...options };
  const { width: W, height: H, channels: C } = textureLinear;
  const n = W * H;
  if (C < 3) throw invalid('textureLinear.channels', '≥ 3 (RGB)', C);
  if (normals.length !== 3 * n) throw invalid('normals', `length ${3 * n} (3 per texel of ${W}×${H})`, normals.length);
  if (coverage.length !== n) throw invalid('coverage', `length ${n}`, coverage.length);
  if (sh.length !== 27) throw invalid('sh', '27 coefficients', sh.length);
  if (!(opts.shadingFloor >= 0)) throw invalid('shadingFloor', 'a fraction ≥ 0', opts.shadingFloor);

  const valid = (k: number): boolean => coverage[k] !== 0
    && (normals[3 * k] !== 0 || normals[3 * k + 1] !== 0 || normals[3 * k + 2] !== 0);
  // Shading per covered texel, and its mean per channel (for the floor).
  const shading = new Float32Array(3 * n);
  const mean = [0, 0, 0];
  let count = 0;
  for (let k = 0; k < n; k++) {
    if (!valid(k)) continue;
    const x = normals[3 * k]!, y = normals[3 * k + 1]!, z = normals[3 * k + 2]!;
    for (let c = 0; c < 3; c++) {
      const s = evalSH(sh, c, x, y, z);
      shading[3 * k + c] = s;
      mean[c]! += s;
    }
    count++;
  }
  const floor = [0, 0, 0];
  for (let c = 0; c < 3; c++) floor[c] = Math.max(1e-6, opts.shadingFloor * (count > 0 ? mean[c]! / count : 1));

  const out = createImage(W, H, C);
  const src = textureLinear.data, dst = out.data;
  dst.set(src);
  const hi = opts.maxAlbedo;
  for (let k = 0; k < n; k++) {
    if (!valid(k)) continue;
    for (let c = 0; c < 3; c++) {
      const s = Math.max(shading[3 * k + c]!, floor[c]!);
      const a = src[k * C + c]! / s;
      dst[k * C + c] = a > 0 ? (a < hi ? a : hi) : 0;
    }
  }
  return out;
}

/**
 * Per-texel shading map `evalSH(sh, c, n)` (3 channels, linear, unclamped; 0 where not covered).
 * Useful for previews and to check `texture ≈ albedo · shading`.
 *
 * @example const s = shadingImage(geom.normal, geom.coverage, geom.width, geom.height, fit.coefficients);
 */
export function shadingImage(normals: Float32Array, coverage: Uint8Array, width: number, height: number, sh: ArrayLike<number>): Image {
  const out = createImage(width, height, 3);
  const n = width * height, d = out.data;
  for (let k = 0; k < n; k++) {
    if (coverage[k] === 0) continue;
    const x = normals[3 * k]!, y = normals[3 * k + 1]!, z = normals[3 * k + 2]!;
    for (let c = 0; c < 3; c++) d[3 * k + c] = evalSH(sh, c, x, y, z);
  }
  return out;
}

/**
 * sRGB-encode a linear image (clamped to [0, 1]) for saving.
 * @example savePng(toSrgbImage(albedo))
 */
export function toSrgbImage(img: Image): Image {
  return mapImage(img, linearToSrgb);
}

/**
 * Decode an sRGB image to linear (the input `fitLighting`/`computeAlbedo` expect).
 * @example const linearTex = toLinearImage(unwrapped.texture);
 */
export function toLinearImage(img: Image): Image {
  return mapImage(img, srgbToLinear);
}

function invalid(name: string, expected: string, got: unknown): FaceDetailError {
  return new FaceDetailError('INVALID_OPTION', `${name}: expected ${expected}, received ${String(got)}`);
}

/**
 * Input features of the learned detail network (DFDN), computed per texel of the UV maps. This is
 * the single definition shared by inference (`dfdn.ts`) and by the training-data export
 * (`training/`): the Python side reads features written by {@link dfdnFeatures}, it never
 * re-implements them.
 *
 * Channels (planar, channel-major, `DFDN_CHANNELS` × H × W, float32), 0 outside the coverage:
 *  0–2  texture, linear RGB, divided by the exposure `m` (mean linear luminance of the weighted
 *       texels), clipped to [0, 4];
 *  3    smooth shading: luminance of the fitted SH lighting evaluated at the PROXY normal,
 *       divided by its own weighted mean, clipped to [0, 4] (where the light comes from;
 *       texture ÷ shading is roughly albedo · detail shading);
 *  4    confidence [0, 1] (direct / mirrored / inpainted, see unwrap);
 *  5    flat mask [0, 1] (eyes, brows, lips, nostrils: regions the detail must leave flat).
 *
 * The network predicts displacement along the proxy normal in mm per texel (1 channel).
 */
import { FaceDetailError } from '../errors.js';
import { REC709_LUMA } from '../image/image.js';
import { evalSH } from '../lighting/sh.js';
import type { Image } from '../types.js';
import type { UVGeometry } from '../unwrap/uv-geometry.js';

/** Number of input channels of the DFDN. */
export const DFDN_CHANNELS = 6;
const LUM = REC709_LUMA;

/** What {@link dfdnFeatures} needs: the detail stage's inputs. */
export interface DfdnFeatureInput {
  geom: UVGeometry;
  /** Unwrapped texture, LINEAR RGB (≥ 3 channels), same size as `geom`. */
  texture: Image;
  /** Per-texel confidence [0, 1]. */
  confidence: Float32Array;
  /** 27 SH coefficients fitted to the photo (sh.ts convention). */
  sh: ArrayLike<number>;
  /** Per-texel [0, 1], 1 = keep flat. */
  flatMask?: Float32Array;
  /** Per-texel weight of the exposure statistics (e.g. skin mask × confidence); default confidence. */
  statsWeight?: Float32Array;
}

/** Features plus the normalisers used (so a caller can undo them). */
export interface DfdnFeatures {
  width: number;
  height: number;
  /** `DFDN_CHANNELS` × H × W, channel-major. */
  data: Float32Array;
  /** Mean linear luminance of the weighted texels (texture divisor). */
  exposure: number;
  /** Weighted mean of the smooth shading's luminance (shading divisor). */
  shadingMean: number;
}

/**
 * Compute the DFDN input features for one unwrapped face.
 *
 * @example
 * const f = dfdnFeatures({ geom, texture: texLinear, confidence, sh, flatMask });
 * f.data.subarray(3 * W * H, 4 * W * H) // the normalised smooth shading
 */
export function dfdnFeatures(input: DfdnFeatureInput): DfdnFeatures {
  const { geom, texture, confidence, sh } = input;
  const W = geom.width, H = geom.height, n = W * H;
  if (texture.width !== W || texture.height !== H || texture.channels < 3) {
    throw new FaceDetailError('INTERNAL', `dfdnFeatures: texture ${texture.width}×${texture.height}×${texture.channels} does not match geometry ${W}×${H}`);
  }
  const C = texture.channels, t = texture.data, cov = geom.coverage, nrm = geom.normal;
  const weight = input.statsWeight ?? confidence;
  const shading = new Float32Array(n);
  let sumW = 0, sumL = 0, sumS = 0;
  for (let i = 0; i < n; i++) {
    if (!cov[i]) continue;
    const x = nrm[3 * i]!, y = nrm[3 * i + 1]!, z = nrm[3 * i + 2]!;
    const s = LUM[0] * evalSH(sh, 0, x, y, z) + LUM[1] * evalSH(sh, 1, x, y, z) + LUM[2] * evalSH(sh, 2, x, y, z);
    shading[i] = s;
    const w = weight[i]!;
    if (w > 0) {
      sumW += w;
      sumL += w * (LUM[0] * t[C * i]! + LUM[1] * t[C * i + 1]! + LUM[2] * t[C * i + 2]!);
      sumS += w * s;
    }
  }
  const exposure = sumW > 0 && sumL > 0 ? sumL / sumW : 1;
  const shadingMean = sumW > 0 && sumS > 0 ? sumS / sumW : 1;
  const data = new Float32Array(6 * n);
  const clip = (v: number): number => (v > 4 ? 4 : v < 0 ? 0 : v);
  const flat = input.flatMask;
  for (let i = 0; i < n; i++) {
    if (!cov[i]) continue;
    data[i] = clip(t[C * i]! / exposure);
    data[n + i] = clip(t[C * i + 1]! / exposure);
    data[2 * n + i] = clip(t[C * i + 2]! / exposure);
    data[3 * n + i] = clip(shading[i]! / shadingMean);
    data[4 * n + i] = confidence[i]!;
    data[5 * n + i] = flat ? flat[i]! : 0;
  }
  return { width: W, height: H, data, exposure, shadingMean };
}

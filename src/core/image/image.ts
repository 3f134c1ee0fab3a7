import { FaceDetailError } from '../errors.js';
import type { Image } from '../types.js';

/** Rec. 709 luminance weights of linear RGB (sum 1). */
export const REC709_LUMA = [0.2126, 0.7152, 0.0722] as const;

/**
 * Rec. 709 luminance of a linear RGB triple.
 *
 * @example luminance(1, 1, 1) // 1
 */
export function luminance(r: number, g: number, b: number): number {
  return REC709_LUMA[0] * r + REC709_LUMA[1] * g + REC709_LUMA[2] * b;
}

/** A new zero-filled image. */
export function createImage(width: number, height: number, channels: number): Image {
  return { width, height, channels, data: new Float32Array(width * height * channels) };
}

/**
 * Bilinear sample of `img` at continuous pixel coordinates (x, y) (pixel centres at +0.5),
 * clamped to the border, written to `out[0..channels)`.
 *
 * @example sampleBilinear(photo, 10.5, 20.5, rgb) // exactly pixel (10, 20)
 */
export function sampleBilinear(img: Image, x: number, y: number, out: Float32Array | Float64Array): void {
  const { width: W, height: H, channels: C, data } = img;
  let fx = x - 0.5, fy = y - 0.5;
  if (fx < 0) fx = 0; else if (fx > W - 1) fx = W - 1;
  if (fy < 0) fy = 0; else if (fy > H - 1) fy = H - 1;
  const x0 = Math.floor(fx), y0 = Math.floor(fy);
  const x1 = x0 < W - 1 ? x0 + 1 : x0, y1 = y0 < H - 1 ? y0 + 1 : y0;
  const ax = fx - x0, ay = fy - y0;
  const i00 = (y0 * W + x0) * C, i10 = (y0 * W + x1) * C, i01 = (y1 * W + x0) * C, i11 = (y1 * W + x1) * C;
  for (let c = 0; c < C; c++) {
    const top = data[i00 + c]! * (1 - ax) + data[i10 + c]! * ax;
    const bot = data[i01 + c]! * (1 - ax) + data[i11 + c]! * ax;
    out[c] = top * (1 - ay) + bot * ay;
  }
}

/** Bilinear sample at UV (u right, v down, [0,1]²); see {@link sampleBilinear}. */
export function sampleUV(img: Image, u: number, v: number, out: Float32Array | Float64Array): void {
  sampleBilinear(img, u * img.width, v * img.height, out);
}

/** Exact sRGB decoding, encoded [0,1] → linear [0,1]. */
export function srgbToLinearExact(c: number): number {
  return c <= 0.04045 ? c / 12.92 : Math.pow((c + 0.055) / 1.055, 2.4);
}

/** Exact sRGB encoding, linear [0,1] → encoded [0,1] (values outside [0,1] are clamped). */
function linearToSrgbExact(c: number): number {
  if (!(c > 0)) return 0;
  if (c >= 1) return 1;
  return c <= 0.0031308 ? c * 12.92 : 1.055 * Math.pow(c, 1 / 2.4) - 0.055;
}

// Both transfer functions run on millions of texels per face: tabulate them (4096 intervals,
// linear interpolation; worst error 2e-5, far below 1/255) instead of calling Math.pow.
const LUT_N = 4096;
const TO_LINEAR = new Float64Array(LUT_N + 2);
const TO_SRGB = new Float64Array(LUT_N + 2);
for (let i = 0; i <= LUT_N + 1; i++) {
  const x = Math.min(1, i / LUT_N);
  TO_LINEAR[i] = srgbToLinearExact(x);
  TO_SRGB[i] = linearToSrgbExact(x);
}

function lut(table: Float64Array, c: number): number {
  if (!(c > 0)) return table[0]!;
  if (c >= 1) return table[LUT_N]!;
  const f = c * LUT_N;
  const i = f | 0;
  const a = f - i;
  return table[i]! + a * (table[i + 1]! - table[i]!);
}

/**
 * sRGB transfer function, encoded [0,1] → linear [0,1] (inputs clamped to [0,1]).
 *
 * @example srgbToLinear(0.5) // ≈ 0.214
 */
export function srgbToLinear(c: number): number {
  return lut(TO_LINEAR, c);
}

/** Linear [0,1] → sRGB-encoded [0,1] (values outside [0,1] are clamped). */
export function linearToSrgb(c: number): number {
  return lut(TO_SRGB, c);
}

/**
 * A copy of `img` decoded from sRGB to linear, every channel ({@link srgbToLinear}; the same
 * values as `mapImage(img, srgbToLinear)`, with the table lookup inlined: it runs on every
 * 1024² map of a face).
 *
 * @example const texLinear = srgbImageToLinear(unwrapped.texture);
 */
export function srgbImageToLinear(img: Image): Image {
  return lutImage(img, TO_LINEAR);
}

/**
 * {@link srgbImageToLinear} of `img` written into `out` (same size and channels), at the pixels
 * where `skip` is 0 only (all pixels without `skip`): the same values as a full conversion, for
 * an image that changed at those pixels only.
 *
 * @example srgbImageToLinearInto(filled, texLinear, fixed); // texLinear was converted before the fill
 */
export function srgbImageToLinearInto(img: Image, out: Image, skip?: Uint8Array): void {
  const C = img.channels, n = img.width * img.height;
  if (out.width !== img.width || out.height !== img.height || out.channels !== C || (skip && skip.length !== n)) {
    throw new FaceDetailError('INVALID_OPTION', `srgbImageToLinearInto: ${img.width}×${img.height}×${C} into ${out.width}×${out.height}×${out.channels}${skip ? ` with a mask of ${skip.length}` : ''}`);
  }
  const s = img.data, d = out.data, table = TO_LINEAR, last = table[LUT_N]!, first = table[0]!;
  for (let p = 0; p < n; p++) {
    if (skip?.[p]) continue;
    for (let i = p * C, e = i + C; i < e; i++) {
      const c = s[i]!;
      if (!(c > 0)) { d[i] = first; continue; }
      if (c >= 1) { d[i] = last; continue; }
      const f = c * LUT_N, k = f | 0, a = f - k, t0 = table[k]!;
      d[i] = t0 + a * (table[k + 1]! - t0);
    }
  }
}

/**
 * A copy of the linear `img` encoded to sRGB, clamped to [0, 1] ({@link linearToSrgb}; the same
 * values as `mapImage(img, linearToSrgb)`).
 *
 * @example const srgb = linearImageToSrgb(albedoLinear);
 */
export function linearImageToSrgb(img: Image): Image {
  return lutImage(img, TO_SRGB);
}

function lutImage(img: Image, table: Float64Array): Image {
  const out = createImage(img.width, img.height, img.channels);
  const s = img.data, d = out.data, last = table[LUT_N]!, first = table[0]!;
  for (let i = 0; i < s.length; i++) {
    const c = s[i]!;
    if (!(c > 0)) { d[i] = first; continue; }
    if (c >= 1) { d[i] = last; continue; }
    const f = c * LUT_N, k = f | 0, a = f - k, t0 = table[k]!;
    d[i] = t0 + a * (table[k + 1]! - t0);
  }
  return out;
}

/** A copy of `img` with every channel mapped through `f`. */
export function mapImage(img: Image, f: (v: number) => number): Image {
  const out = createImage(img.width, img.height, img.channels);
  const s = img.data, d = out.data;
  for (let i = 0; i < s.length; i++) d[i] = f(s[i]!);
  return out;
}

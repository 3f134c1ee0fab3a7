/**
 * PNG encode/decode for the maps we write (albedo, normal, 16-bit displacement) on top of
 * `fast-png` (pure JS, isomorphic). Floats in [0, 1] ↔ 8- or 16-bit integers.
 *
 * The encoder is the project's own: the Up row filter (Sub on the first row), then zlib (fflate).
 * It halves a face map against unfiltered rows (what fast-png writes); see `filterRows`. Text metadata travels
 * in `tEXt` chunks right after IHDR (the PNG spec allows them anywhere between IHDR and IEND). The displacement map uses them to carry its
 * millimetre scale/offset, so a reader can turn the 16-bit codes back into millimetres.
 */
import { decode as fastPngDecode, convertIndexedToRgb } from 'fast-png';
import { zlibSync } from 'fflate';
import { FaceDetailError } from '../errors.js';
import type { Image } from '../types.js';
import { describe, invalid } from './validate.js';

/** Options of {@link encodePng}. */
export interface EncodePngOptions {
  /**
   * Bits per sample: 8 (colour maps) or 16 (displacement/height maps: 1/65535 steps).
   * @example encodePng(img, { bitDepth: 16 })
   */
  bitDepth?: 8 | 16;
  /**
   * `tEXt` key → value pairs. Keywords: 1–79 printable Latin-1 characters, no leading, trailing
   * or doubled spaces; values: Latin-1 without NUL. Numbers should be written with enough digits
   * to round-trip (e.g. `String(x)`), since they come back as strings.
   * @example encodePng(disp, { bitDepth: 16, text: { 'facedetail:scale_mm': '0.0001' } })
   */
  text?: Record<string, string>;
  /**
   * zlib compression level 0–9. Default 4: measured on 1024² face maps, files ~3 % larger
   * than level 6 (fast-png's default) at about half the encoding time.
   * @example encodePng(img, { compressionLevel: 9 }) // smallest, slowest
   */
  compressionLevel?: number;
}

/** Defaults of {@link EncodePngOptions}. */
export const ENCODE_PNG_DEFAULTS = Object.freeze({ bitDepth: 8 } as const satisfies EncodePngOptions);

/** What {@link decodePng} returns. */
export interface DecodedPngImage {
  /** Float samples in [0, 1] (value / (2^bitDepth − 1)); indexed PNGs are expanded to RGB(A). */
  image: Image;
  /** Bits per sample of the stored data (1, 2, 4, 8 or 16; palette images report 8). */
  bitDepth: number;
  /** `tEXt` chunks, keyword → value (zTXt/iTXt are not read). */
  text: Record<string, string>;
}

/** Printable Latin-1 per the PNG spec for keywords (32–126, 161–255). */
function checkKeyword(k: string): void {
  if (k.length < 1 || k.length > 79) invalid('encodePng', `options.text keyword must be 1–79 characters, got ${describe(k)}`);
  for (let i = 0; i < k.length; i++) {
    const c = k.charCodeAt(i);
    if (!((c >= 32 && c <= 126) || (c >= 161 && c <= 255))) {
      invalid('encodePng', `options.text keyword ${describe(k)} has a character outside printable Latin-1 at position ${i}`);
    }
  }
  if (k.startsWith(' ') || k.endsWith(' ') || k.includes('  ')) {
    invalid('encodePng', `options.text keyword ${describe(k)} must not have leading, trailing or consecutive spaces`);
  }
}

function checkTextValue(k: string, v: unknown): void {
  if (typeof v !== 'string') invalid('encodePng', `options.text[${JSON.stringify(k)}] must be a string, got ${describe(v)}`);
  for (let i = 0; i < v.length; i++) {
    const c = v.charCodeAt(i);
    if (c === 0 || c > 255) {
      invalid('encodePng', `options.text[${JSON.stringify(k)}] must be Latin-1 text without NUL; character ${i} is U+${c.toString(16).padStart(4, '0')}`);
    }
  }
}

/**
 * Encode a float image ([0, 1], 1 = gray, 2 = gray + alpha, 3 = RGB, 4 = RGBA channels) as PNG.
 * Samples are scaled by 255 or 65535, rounded to nearest and clamped (values outside [0, 1] clip;
 * NaN is rejected). No colour-space conversion: the numbers are stored as given (our colour maps
 * are sRGB-encoded already, see types.ts).
 *
 * @example
 * const disp = createImage(1024, 1024, 1); // heights mapped to [0, 1]
 * const png = encodePng(disp, { bitDepth: 16, text: { 'facedetail:scale_mm': '2.5', 'facedetail:offset_mm': '-1.25' } });
 * // height_mm = offset_mm + scale_mm * sample
 */
export function encodePng(img: Image, options: EncodePngOptions = {}): Uint8Array {
  const fn = 'encodePng';
  if (img === null || typeof img !== 'object') invalid(fn, `img must be an Image, got ${describe(img)}`);
  const { width, height, channels, data } = img;
  if (!Number.isInteger(width) || width < 1) invalid(fn, `img.width must be a positive integer, got ${describe(width)}`);
  if (!Number.isInteger(height) || height < 1) invalid(fn, `img.height must be a positive integer, got ${describe(height)}`);
  if (channels !== 1 && channels !== 2 && channels !== 3 && channels !== 4) {
    invalid(fn, `img.channels must be 1, 2, 3 or 4, got ${describe(channels)}`);
  }
  if (!(data instanceof Float32Array)) invalid(fn, `img.data must be a Float32Array, got ${describe(data)}`);
  const count = width * height * channels;
  if (data.length !== count) invalid(fn, `img.data must have width·height·channels = ${count} elements, got ${data.length}`);
  const bitDepth = options.bitDepth ?? ENCODE_PNG_DEFAULTS.bitDepth;
  if (bitDepth !== 8 && bitDepth !== 16) invalid(fn, `options.bitDepth must be 8 or 16, got ${describe(bitDepth)}`);
  const text = options.text;
  if (text !== undefined) checkPngText(fn, text);
  const out = quantizePngSamples(fn, img, bitDepth);
  try {
    const level = Math.max(0, Math.min(9, Math.round(options.compressionLevel ?? 4))) as 0 | 1 | 2 | 3 | 4 | 5 | 6 | 7 | 8 | 9;
    const png = writePngChunks(width, height, channels, bitDepth, filterRows(out, width, height, channels, bitDepth), level);
    return text !== undefined && Object.keys(text).length > 0 ? addPngText(png, text) : png;
  } catch (e) {
    throw new FaceDetailError('INTERNAL', `encodePng: PNG encoder failed: ${(e as Error).message}`, { cause: e });
  }
}

/**
 * Decode a PNG into a float image in [0, 1] plus its bit depth and `tEXt` metadata.
 * Grayscale, gray + alpha, RGB, RGBA at any legal bit depth; palette images are expanded to RGB
 * or RGBA (8-bit). A `tRNS` chunk on non-palette images is ignored. Throws `CORRUPT_IMAGE` on
 * bytes that are not a decodable PNG.
 *
 * @example
 * const { image, bitDepth, text } = decodePng(bytes);
 * const mm = Number(text['facedetail:offset_mm']) + Number(text['facedetail:scale_mm']) * image.data[0]!;
 */
export function decodePng(bytes: Uint8Array): DecodedPngImage {
  if (!(bytes instanceof Uint8Array)) invalid('decodePng', `bytes must be a Uint8Array, got ${describe(bytes)}`);
  let png: ReturnType<typeof fastPngDecode>;
  try {
    png = fastPngDecode(bytes);
  } catch (e) {
    throw new FaceDetailError('CORRUPT_IMAGE', `decodePng: not a readable PNG (${(e as Error).message})`, { cause: e });
  }
  const { width, height } = png;
  let channels = png.channels;
  let depth: number = png.depth;
  let src: ArrayLike<number> = png.data;
  if (png.palette) {
    try {
      src = convertIndexedToRgb(png);
    } catch (e) {
      throw new FaceDetailError('CORRUPT_IMAGE', `decodePng: bad palette data (${(e as Error).message})`, { cause: e });
    }
    channels = png.palette[0]?.length ?? 3;
    depth = 8;
  }
  const count = width * height * channels;
  const data = new Float32Array(count);
  const max = 2 ** depth - 1;
  if (depth >= 8) {
    if (src.length < count) throw new FaceDetailError('CORRUPT_IMAGE', `decodePng: truncated image data`);
    const inv = 1 / max;
    for (let i = 0; i < count; i++) data[i] = src[i]! * inv;
  } else {
    // Sub-byte grayscale: rows are packed MSB first and padded to whole bytes.
    const perRow = width * channels;
    const rowBytes = Math.ceil((perRow * depth) / 8);
    if (src.length < rowBytes * height) throw new FaceDetailError('CORRUPT_IMAGE', `decodePng: truncated image data`);
    const mask = max;
    for (let y = 0; y < height; y++) {
      for (let k = 0; k < perRow; k++) {
        const bit = k * depth;
        const byte = src[y * rowBytes + (bit >> 3)]!;
        data[y * perRow + k] = ((byte >> (8 - depth - (bit & 7))) & mask) / max;
      }
    }
  }
  return { image: { width, height, channels, data }, bitDepth: depth, text: { ...png.text } };
}

/**
 * Check `text` as {@link EncodePngOptions.text} (keywords printable Latin-1, 1–79 characters;
 * values Latin-1 without NUL); throws INVALID_OPTION naming `fn` otherwise.
 */
export function checkPngText(fn: string, text: unknown): asserts text is Record<string, string> {
  if (text === null || typeof text !== 'object' || Array.isArray(text)) invalid(fn, `options.text must be an object of strings, got ${describe(text)}`);
  for (const [k, v] of Object.entries(text)) {
    checkKeyword(k);
    checkTextValue(k, v);
  }
}

/**
 * The samples of `img` as PNG integers: × 255 or × 65535, rounded to nearest, clamped to the
 * range; NaN is rejected (INVALID_OPTION naming the pixel). Shared by every encoder so the pixels
 * are the same whichever writes the file.
 *
 * @example const codes = quantizePngSamples('encodePng', disp, 16) as Uint16Array;
 */
export function quantizePngSamples(fn: string, img: Image, bitDepth: 8 | 16): Uint8Array | Uint16Array {
  const { width, channels, data } = img;
  const count = data.length;
  const max = bitDepth === 16 ? 65535 : 255;
  const out = bitDepth === 16 ? new Uint16Array(count) : new Uint8Array(count);
  for (let i = 0; i < count; i++) {
    const v = data[i]!;
    if (Number.isNaN(v)) invalid(fn, `img.data[${i}] is NaN (pixel ${Math.floor(i / channels) % width}, ${Math.floor(i / channels / width)})`);
    out[i] = v <= 0 ? 0 : v >= 1 ? max : Math.round(v * max);
  }
  return out;
}

/** CRC-32 (ISO 3309, as PNG chunks use), table-driven. */
let crcTable: Uint32Array | undefined;
function crc32(bytes: Uint8Array, start: number, end: number): number {
  if (!crcTable) {
    crcTable = new Uint32Array(256);
    for (let n = 0; n < 256; n++) {
      let c = n;
      for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
      crcTable[n] = c >>> 0;
    }
  }
  let c = 0xffffffff;
  for (let i = start; i < end; i++) c = crcTable[(c ^ bytes[i]!) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

/**
 * `png` with one `tEXt` chunk per entry of `text` inserted right after its IHDR chunk (the
 * spec allows them anywhere between IHDR and IEND), for encoders that cannot write text (Node's
 * native one). Keywords and values are checked as {@link EncodePngOptions.text}.
 *
 * @example const bytes = addPngText(nativePng, { 'facedetail:scale_mm': '0.01' });
 */
export function addPngText(png: Uint8Array, text: Record<string, string>): Uint8Array {
  const fn = 'addPngText';
  checkPngText(fn, text);
  const SIG = [137, 80, 78, 71, 13, 10, 26, 10];
  if (png.length < 33 || SIG.some((b, i) => png[i] !== b) || String.fromCharCode(png[12]!, png[13]!, png[14]!, png[15]!) !== 'IHDR') {
    invalid(fn, 'png must be a PNG file starting with its IHDR chunk');
  }
  const ihdrEnd = 8 + 12 + ((png[8]! << 24) | (png[9]! << 16) | (png[10]! << 8) | png[11]!);
  const chunks: Uint8Array[] = [];
  for (const [k, v] of Object.entries(text)) {
    const len = k.length + 1 + v.length;
    const c = new Uint8Array(12 + len);
    const dv = new DataView(c.buffer);
    dv.setUint32(0, len);
    c.set([116, 69, 88, 116], 4); // 'tEXt'
    for (let i = 0; i < k.length; i++) c[8 + i] = k.charCodeAt(i);
    for (let i = 0; i < v.length; i++) c[9 + k.length + i] = v.charCodeAt(i); // c[8 + k.length] = 0 separates them
    dv.setUint32(8 + len, crc32(c, 4, 8 + len));
    chunks.push(c);
  }
  const out = new Uint8Array(png.length + chunks.reduce((s, c) => s + c.length, 0));
  out.set(png.subarray(0, ihdrEnd), 0);
  let at = ihdrEnd;
  for (const c of chunks) { out.set(c, at); at += c.length; }
  out.set(png.subarray(ihdrEnd), at);
  return out;
}

/**
 * The filtered scanlines of a PNG image (PNG spec §9): the first row with the Sub filter (type 1),
 * every other row with Up (type 2: the byte above subtracted), samples big-endian for 16 bits.
 * Measured on grace_hopper's five maps (fflate level 4), total bytes: unfiltered 5.40 MB, Sub
 * 3.65, Up 3.52, Average 3.54, Paeth 3.51, per-row choice by least Σ|signed byte| (libpng's
 * heuristic) 3.52 MB; the per-row choice cost ≈ 50 % on top of the deflate, Up almost nothing.
 */
function filterRows(samples: Uint8Array | Uint16Array, width: number, height: number, channels: number, bitDepth: 8 | 16): Uint8Array {
  const bps = bitDepth / 8, bpp = channels * bps, stride = width * bpp;
  let raw: Uint8Array;
  if (bitDepth === 8) raw = samples as Uint8Array;
  else {
    raw = new Uint8Array(samples.length * 2);
    for (let i = 0; i < samples.length; i++) { const v = samples[i]!; raw[2 * i] = v >>> 8; raw[2 * i + 1] = v & 255; }
  }
  const out = new Uint8Array(height * (stride + 1));
  for (let y = 0; y < height; y++) {
    const c0 = y * stride, o = y * (stride + 1) + 1;
    if (y === 0) {
      out[0] = 1;
      for (let i = 0; i < stride; i++) out[o + i] = raw[i]! - (i >= bpp ? raw[i - bpp]! : 0);
      continue;
    }
    out[o - 1] = 2;
    const u0 = c0 - stride;
    for (let i = 0; i < stride; i++) out[o + i] = raw[c0 + i]! - raw[u0 + i]!;
  }
  return out;
}

/** A PNG file: signature, IHDR, one IDAT (zlib of the filtered rows), IEND. */
function writePngChunks(width: number, height: number, channels: number, bitDepth: 8 | 16, filtered: Uint8Array, level: 0 | 1 | 2 | 3 | 4 | 5 | 6 | 7 | 8 | 9): Uint8Array {
  const colourType = channels === 1 ? 0 : channels === 2 ? 4 : channels === 3 ? 2 : 6;
  const ihdr = new Uint8Array(13);
  const dv = new DataView(ihdr.buffer);
  dv.setUint32(0, width); dv.setUint32(4, height);
  ihdr[8] = bitDepth; ihdr[9] = colourType; // compression 0, filter 0, interlace 0
  const idat = zlibSync(filtered, { level });
  const chunks: Array<[string, Uint8Array]> = [['IHDR', ihdr], ['IDAT', idat], ['IEND', new Uint8Array(0)]];
  const total = 8 + chunks.reduce((s, [, d]) => s + 12 + d.length, 0);
  const png = new Uint8Array(total);
  png.set([137, 80, 78, 71, 13, 10, 26, 10], 0);
  const view = new DataView(png.buffer);
  let at = 8;
  for (const [type, data] of chunks) {
    view.setUint32(at, data.length);
    for (let i = 0; i < 4; i++) png[at + 4 + i] = type.charCodeAt(i);
    png.set(data, at + 8);
    view.setUint32(at + 8 + data.length, crc32(png, at + 4, at + 8 + data.length));
    at += 12 + data.length;
  }
  return png;
}

/**
 * Image decoding for Node: file or bytes → sRGB float RGB {@link Image} plus the EXIF fields the
 * camera model needs. Backed by sharp (libvips).
 *
 * Formats: JPEG, PNG, WebP, AVIF, TIFF and GIF (first frame). HEIC (HEVC-coded HEIF) only when
 * the libvips that sharp uses was built with an HEVC decoder: sharp's prebuilt binaries (the
 * ones `npm install sharp` fetches, checked with sharp 0.35.5 / libvips 8.18.7 / libheif 1.23.5)
 * decode AVIF but NOT HEIC, because HEVC is patent-encumbered. See {@link HEIC_SUPPORTED}.
 */
import { constants as fsConstants } from 'node:fs';
import { open, stat } from 'node:fs/promises';
import { basename } from 'node:path';
import exifr from 'exifr';
import sharp from 'sharp';
import type { Metadata as SharpMetadata, OutputInfo as SharpOutputInfo } from 'sharp';
import { FaceDetailError } from '../core/errors.js';
import { DECODE_DEFAULTS, type DecodeImageOptions } from './decode-defaults.js';
import type { Image } from '../core/types.js';

export { DECODE_DEFAULTS } from './decode-defaults.js';
export type { DecodeImageOptions } from './decode-defaults.js';

/** The EXIF fields facedetail uses; each is absent when the file does not carry it. */
export interface ExifInfo {
  /** `FocalLengthIn35mmFormat` in mm (35 mm-equivalent focal length); 0 ("unknown") is omitted. */
  focalLength35mm?: number;
  /** `FocalLength` in mm (the real lens focal length, needs the sensor size to be useful). */
  focalLengthMm?: number;
  /** Camera maker, e.g. `Apple`. */
  make?: string;
  /** Camera model, e.g. `iPhone 13`. */
  model?: string;
  /** EXIF orientation (1–8) of the file as stored; already applied to {@link DecodedImage.image}. */
  orientation?: number;
}

/** A decoded photo. */
export interface DecodedImage {
  /**
   * RGB (3 channels), float [0, 1], sRGB-encoded, upright (EXIF orientation applied).
   * Transparent pixels are composited over WHITE (alpha is not simply dropped: the colour under
   * fully transparent pixels is often garbage). Grayscale is expanded to RGB; CMYK and images
   * with an embedded ICC profile are converted to sRGB. 16-bit inputs keep 16-bit precision.
   */
  image: Image;
  /** Width of `image` (after orientation). */
  width: number;
  /** Height of `image` (after orientation). */
  height: number;
  /** `jpeg`, `png`, `webp`, `avif`, `heif` (HEIC), `tiff` or `gif`. */
  format: string;
  exif: ExifInfo;
  /** Decoded size ÷ the file's size (1 unless the photo was over `maxDimension`). Optional for decoded images made elsewhere. */
  scale?: number;
  /** The file's own size (after orientation), before any downscale. */
  originalWidth?: number;
  originalHeight?: number;
}

/**
 * True when the installed sharp/libvips decodes HEIC (HEVC-coded HEIF). False with sharp's
 * prebuilt binaries; HEIC files then fail with `UNSUPPORTED_IMAGE` ("convert to JPEG").
 */
export const HEIC_SUPPORTED: boolean = (() => {
  const suffixes = (sharp.format as unknown as Record<string, { input?: { fileSuffix?: string[] } }>)['heif']?.input?.fileSuffix ?? [];
  return suffixes.includes('.heic');
})();

/** The formats {@link decodeImage} accepts, as sharp names them. */
const ACCEPTED_SHARP_FORMATS = new Set(['jpeg', 'png', 'webp', 'heif', 'tiff', 'gif']);

/** Human-readable list of supported formats for error messages. */
const SUPPORTED_FORMATS_TEXT = `JPEG, PNG, WebP, AVIF, TIFF, GIF${HEIC_SUPPORTED ? ', HEIC' : ''}`;

/** True when `x` looks like a {@link DecodedImage} (as opposed to a path or bytes). */
export function isDecodedImage(x: unknown): x is DecodedImage {
  if (typeof x !== 'object' || x === null || x instanceof Uint8Array) return false;
  const img = (x as { image?: unknown }).image;
  return typeof img === 'object' && img !== null && (img as { data?: unknown }).data instanceof Float32Array;
}

/**
 * Decode a photo to an upright sRGB float RGB image and read its EXIF focal length.
 *
 * The pixel count is checked from the header (sharp `metadata()`) before any pixel is decoded,
 * and sharp's own `limitInputPixels` is set to the same limit.
 *
 * Errors ({@link FaceDetailError}): `IO_ERROR` (path unreadable), `UNSUPPORTED_IMAGE` (not an
 * image, or a format not in the list above, HEIC without HEVC support included), `CORRUPT_IMAGE`
 * (empty, truncated or damaged data), `IMAGE_TOO_LARGE` (over `maxPixels`), `IMAGE_TOO_SMALL`
 * (short side under `minSize`), `INVALID_OPTION` (bad argument).
 *
 * @example
 * const { image, exif } = await decodeImage('portrait.jpg');
 * console.log(image.width, image.height, exif.focalLength35mm); // 3024 4032 26
 * @example
 * await decodeImage(bytes, { maxPixels: 100e6 }); // allow up to 100 megapixels
 */
export async function decodeImage(input: string | Uint8Array, options: DecodeImageOptions = {}): Promise<DecodedImage> {
  const { maxPixels, minSize, maxBytes, maxDimension } = validateOptions(input, options);
  const label = typeof input === 'string' ? `"${basename(input)}"` : 'the image';

  let bytes: Buffer;
  if (typeof input === 'string') {
    bytes = await readImageFile(input, maxBytes);
  } else {
    if (input.byteLength > maxBytes) throw tooManyBytes(label, input.byteLength, maxBytes);
    bytes = Buffer.from(input.buffer, input.byteOffset, input.byteLength);
  }
  if (bytes.length === 0) throw new FaceDetailError('CORRUPT_IMAGE', `${cap(label)} is empty (0 bytes).`);

  // HEIC: sniff the ISO-BMFF brand ourselves, so a HEIC file gets a clear message whatever
  // libheif says about it (with prebuilt sharp it is usually "corrupt header" or "unsupported").
  const heic = isHeic(bytes);
  if (heic && !HEIC_SUPPORTED) throw heicUnsupported(label);

  let meta: SharpMetadata;
  try {
    meta = await sharp(bytes, { limitInputPixels: false }).metadata();
  } catch (e) {
    throw mapSharpError(e, label, heic);
  }
  const format = meta.format;
  if (format === undefined || !ACCEPTED_SHARP_FORMATS.has(format)) {
    throw new FaceDetailError('UNSUPPORTED_IMAGE', `${cap(label)} is ${format === undefined ? 'not a supported image' : `a ${format.toUpperCase()} file, which is not supported`}. Supported formats: ${SUPPORTED_FORMATS_TEXT}.`);
  }
  if (format === 'heif' && meta.compression === 'hevc' && !HEIC_SUPPORTED) throw heicUnsupported(label);
  const w0 = meta.width, h0 = meta.height;
  if (!(w0 !== undefined && h0 !== undefined && w0 > 0 && h0 > 0)) {
    throw new FaceDetailError('CORRUPT_IMAGE', `${cap(label)} has no valid size in its header.`);
  }
  const pixels = w0 * h0;
  if (pixels > maxPixels) {
    throw new FaceDetailError(
      'IMAGE_TOO_LARGE',
      `${cap(label)} is ${w0}×${h0} = ${mp(pixels)} megapixels, over the limit of ${mp(maxPixels)} megapixels. ` +
        `Downscale it, or raise the limit with the maxPixels option (CLI: --max-pixels) if you trust the file.`,
    );
  }
  if (Math.min(w0, h0) < minSize) {
    throw new FaceDetailError('IMAGE_TOO_SMALL', `${cap(label)} is ${w0}×${h0}; its short side must be at least ${minSize} px (option minSize).`);
  }

  const sixteenBit = meta.depth === 'ushort' || meta.space === 'rgb16' || meta.space === 'grey16';
  let raw: { data: Buffer; info: SharpOutputInfo };
  try {
    // failOn 'truncated': reject truncated data (a half-grey photo would silently break the
    // reconstruction) but accept files with benign libjpeg/libpng warnings that every viewer shows.
    let pipe = sharp(bytes, { limitInputPixels: Math.max(1, Math.floor(maxPixels)), failOn: 'truncated' }).autoOrient();
    if (Math.max(w0, h0) > maxDimension) pipe = pipe.resize({ width: maxDimension, height: maxDimension, fit: 'inside', kernel: 'lanczos3' });
    if (meta.hasAlpha) pipe = pipe.flatten({ background: { r: 255, g: 255, b: 255 } });
    pipe = sixteenBit ? pipe.toColourspace('rgb16').raw({ depth: 'ushort' }) : pipe.toColourspace('srgb').raw();
    raw = await pipe.toBuffer({ resolveWithObject: true });
  } catch (e) {
    throw mapSharpError(e, label, heic, format);
  }
  const { width, height, channels } = raw.info;
  if (channels !== 3) throw new FaceDetailError('INTERNAL', `Decoding ${label} gave ${channels} channels, expected 3.`);

  const n = width * height * 3;
  const data = new Float32Array(n);
  if (sixteenBit) {
    const src = new Uint16Array(raw.data.buffer, raw.data.byteOffset, n);
    for (let i = 0; i < n; i++) data[i] = src[i]! / 65535;
  } else {
    const lut = new Float32Array(256);
    for (let i = 0; i < 256; i++) lut[i] = i / 255;
    const src = raw.data;
    for (let i = 0; i < n; i++) data[i] = lut[src[i]!]!;
  }

  const swapped = meta.orientation !== undefined && meta.orientation >= 5 && meta.orientation <= 8;
  const originalWidth = swapped ? h0 : w0, originalHeight = swapped ? w0 : h0;
  return {
    image: { width, height, channels: 3, data },
    width,
    height,
    format: format === 'heif' ? (meta.compression === 'av1' ? 'avif' : 'heif') : format,
    exif: await readExif(meta, bytes),
    scale: width / originalWidth,
    originalWidth,
    originalHeight,
  };
}

/**
 * Read a regular file of at most `maxBytes`: `stat` first (it does not block on a FIFO), then
 * open without blocking and check the open file again (it may have been swapped), then read
 * exactly its size.
 */
async function readImageFile(path: string, maxBytes: number): Promise<Buffer> {
  const fail = (e: unknown): never => {
    const code = (e as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'it is a folder' : code === 'EACCES' || code === 'EPERM' ? 'permission denied' : code === 'ELOOP' ? 'too many symbolic links' : (e as Error).message;
    throw new FaceDetailError('IO_ERROR', `Cannot read image file "${path}": ${why}.`, { cause: e });
  };
  const notRegular = (st: { isDirectory(): boolean }): FaceDetailError => new FaceDetailError(
    'IO_ERROR',
    `Cannot read image file "${path}": ${st.isDirectory() ? 'it is a folder' : 'it is not a regular file (a device, FIFO or socket)'}; only regular image files are read.`,
  );
  const st = await stat(path).catch(fail);
  if (!st.isFile()) throw notRegular(st);
  if (st.size > maxBytes) throw tooManyBytes(`"${basename(path)}"`, st.size, maxBytes);
  const fh = await open(path, fsConstants.O_RDONLY | fsConstants.O_NONBLOCK).catch(fail);
  try {
    const st2 = await fh.stat();
    if (!st2.isFile()) throw notRegular(st2);
    if (st2.size > maxBytes) throw tooManyBytes(`"${basename(path)}"`, st2.size, maxBytes);
    const buf = Buffer.allocUnsafe(st2.size);
    let off = 0;
    while (off < buf.length) {
      const { bytesRead } = await fh.read(buf, off, buf.length - off, off);
      if (bytesRead === 0) break; // shrank while reading
      off += bytesRead;
    }
    return off === buf.length ? buf : buf.subarray(0, off);
  } catch (e) {
    if (e instanceof FaceDetailError) throw e;
    return fail(e);
  } finally {
    await fh.close().catch(() => undefined);
  }
}

function tooManyBytes(label: string, size: number, maxBytes: number): FaceDetailError {
  return new FaceDetailError(
    'IMAGE_TOO_LARGE',
    `${cap(label)} is ${(size / 1048576).toFixed(1)} MiB, over the limit of ${(maxBytes / 1048576).toFixed(1)} MiB for an image file. Use a smaller file, or raise the limit with the maxBytes option (CLI: --max-bytes) if you trust it.`,
  );
}

function validateOptions(input: unknown, options: DecodeImageOptions): Required<DecodeImageOptions> {
  if (typeof input === 'string') {
    if (input.length === 0) throw new FaceDetailError('INVALID_OPTION', 'input: expected a file path or image bytes, received an empty string.');
  } else if (input instanceof Uint8Array) {
    // an empty array is reported as CORRUPT_IMAGE by decodeImage
  } else {
    throw new FaceDetailError('INVALID_OPTION', `input: expected a file path (string) or image bytes (Uint8Array), received ${describe(input)}.`);
  }
  if (typeof options !== 'object' || options === null) throw new FaceDetailError('INVALID_OPTION', `options: expected an object, received ${describe(options)}.`);
  const maxPixels = options.maxPixels ?? DECODE_DEFAULTS.maxPixels;
  if (typeof maxPixels !== 'number' || !(maxPixels >= 1) || !Number.isFinite(maxPixels)) {
    throw new FaceDetailError('INVALID_OPTION', `maxPixels: expected a finite number ≥ 1 (pixels), received ${describe(maxPixels)}.`);
  }
  const minSize = options.minSize ?? DECODE_DEFAULTS.minSize;
  if (typeof minSize !== 'number' || !Number.isInteger(minSize) || minSize < 1) {
    throw new FaceDetailError('INVALID_OPTION', `minSize: expected an integer ≥ 1 (pixels), received ${describe(minSize)}.`);
  }
  const maxBytes = options.maxBytes ?? DECODE_DEFAULTS.maxBytes;
  if (typeof maxBytes !== 'number' || !(maxBytes >= 1) || !Number.isFinite(maxBytes)) {
    throw new FaceDetailError('INVALID_OPTION', `maxBytes: expected a finite number ≥ 1 (bytes), received ${describe(maxBytes)}.`);
  }
  const maxDimension = options.maxDimension ?? DECODE_DEFAULTS.maxDimension;
  if (typeof maxDimension !== 'number' || !Number.isInteger(maxDimension) || maxDimension < 256) {
    throw new FaceDetailError('INVALID_OPTION', `maxDimension: expected an integer ≥ 256 (pixels), received ${describe(maxDimension)}.`);
  }
  return { maxPixels, minSize, maxBytes, maxDimension };
}

/** HEVC brands of ISO-BMFF (HEIF) files: HEIC stills and sequences. */
const HEVC_BRANDS = new Set(['heic', 'heix', 'hevc', 'hevx', 'heim', 'heis', 'hevm', 'hevs']);

/** True when the bytes start with an `ftyp` box naming an HEVC brand (and no AVIF brand). */
function isHeic(b: Buffer): boolean {
  if (b.length < 16 || b.toString('latin1', 4, 8) !== 'ftyp') return false;
  const size = Math.min(b.readUInt32BE(0), b.length, 4096);
  const brands: string[] = [b.toString('latin1', 8, 12)];
  for (let o = 16; o + 4 <= size; o += 4) brands.push(b.toString('latin1', o, o + 4));
  if (brands.some((x) => x === 'avif' || x === 'avis')) return false;
  return brands.some((x) => HEVC_BRANDS.has(x));
}

function heicUnsupported(label: string): FaceDetailError {
  return new FaceDetailError(
    'UNSUPPORTED_IMAGE',
    `${cap(label)} is HEIC (HEVC-coded HEIF), which this installation cannot decode: sharp's prebuilt libvips has no HEVC decoder. ` +
      `Convert it to JPEG first (e.g. macOS: \`sips -s format jpeg in.heic --out out.jpg\`; Linux: \`heif-convert in.heic out.jpg\`), ` +
      `or install sharp against a global libvips built with libde265. Supported formats: ${SUPPORTED_FORMATS_TEXT}.`,
  );
}

function mapSharpError(e: unknown, label: string, heic: boolean, format?: string): FaceDetailError {
  const msg = (e instanceof Error ? e.message : String(e)).split('\n').filter((l) => l.trim() !== '');
  const text = msg.join('\n');
  if (/exceeds pixel limit/i.test(text)) {
    return new FaceDetailError('IMAGE_TOO_LARGE', `${cap(label)} exceeds the pixel limit; raise it with the maxPixels option (CLI: --max-pixels) if you trust the file.`, { cause: e });
  }
  if (/unsupported image format/i.test(text)) {
    return new FaceDetailError('UNSUPPORTED_IMAGE', `${cap(label)} is not a supported image (unknown format). Supported formats: ${SUPPORTED_FORMATS_TEXT}.`, { cause: e });
  }
  if (heic && !HEIC_SUPPORTED) return heicUnsupported(label);
  // Keep the most informative libvips line, e.g. "VipsJpeg: premature end of JPEG image".
  const lines = msg.map((l) => l.replace(/^Input (buffer|file) has corrupt header:?\s*/i, '').trim()).filter((l) => l !== '');
  const detail = lines.find((l) => /premature|truncat|corrupt|invalid|unexpected|error/i.test(l)) ?? lines[0];
  const what = format !== undefined ? `${format.toUpperCase()} data` : 'data';
  return new FaceDetailError('CORRUPT_IMAGE', `${cap(label)} could not be decoded: its ${what} is corrupt or truncated${detail !== undefined ? ` (${detail})` : ''}.`, { cause: e });
}

async function readExif(meta: SharpMetadata, bytes: Buffer): Promise<ExifInfo> {
  const exif: ExifInfo = {};
  if (meta.orientation !== undefined && meta.orientation >= 1 && meta.orientation <= 8) exif.orientation = meta.orientation;
  // sharp hands back the raw EXIF block (JPEG/WebP/AVIF: "Exif\0\0" + TIFF; PNG: TIFF); TIFF
  // files carry their tags in the file itself. exifr parses the TIFF structure in every case.
  let tiff: Buffer | undefined = meta.exif;
  if (tiff !== undefined && tiff.length >= 6 && tiff.toString('latin1', 0, 6) === 'Exif\0\0') tiff = tiff.subarray(6);
  if (tiff === undefined && meta.format === 'tiff') tiff = bytes;
  if (tiff === undefined || tiff.length < 8) return exif;
  let tags: Record<string, unknown> | undefined;
  try {
    tags = (await exifr.parse(tiff, {
      translateValues: false,
      pick: ['FocalLengthIn35mmFormat', 'FocalLength', 'Make', 'Model'],
    })) as Record<string, unknown> | undefined;
  } catch {
    return exif; // damaged EXIF is not a reason to reject the photo
  }
  if (tags === undefined || tags === null) return exif;
  const f35 = tags['FocalLengthIn35mmFormat'];
  if (typeof f35 === 'number' && Number.isFinite(f35) && f35 > 0) exif.focalLength35mm = f35;
  const f = tags['FocalLength'];
  if (typeof f === 'number' && Number.isFinite(f) && f > 0) exif.focalLengthMm = f;
  const make = cleanString(tags['Make']);
  if (make !== undefined) exif.make = make;
  const model = cleanString(tags['Model']);
  if (model !== undefined) exif.model = model;
  return exif;
}

function cleanString(v: unknown): string | undefined {
  if (typeof v !== 'string') return undefined;
  const s = v.replace(/\u0000+$/g, '').trim();
  return s.length > 0 ? s : undefined;
}

function mp(pixels: number): string {
  const m = pixels / 1e6;
  return m >= 10 ? m.toFixed(0) : m >= 0.1 ? m.toFixed(1) : m.toPrecision(2);
}

function cap(s: string): string {
  return s.length > 0 ? s[0]!.toUpperCase() + s.slice(1) : s;
}

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (typeof v === 'string') return `"${v}"`;
  if (typeof v === 'number' || typeof v === 'boolean' || typeof v === 'undefined') return String(v);
  return Array.isArray(v) ? 'an array' : typeof v === 'object' ? (v.constructor?.name ?? 'an object') : typeof v;
}

/**
 * Image decoding in the browser (page or worker): a File/Blob → upright sRGB float RGB
 * {@link Image} plus the EXIF focal length, like src/node/decode-image.ts does with sharp.
 *
 * `createImageBitmap(blob, { imageOrientation: 'from-image' })` decodes and applies the EXIF
 * orientation; the bitmap is drawn over white on an OffscreenCanvas (so transparent pixels are
 * composited over white, as in Node) and read back as 8-bit RGBA. The browser decides which
 * formats it reads (Chromium: JPEG, PNG, WebP, AVIF, GIF, BMP, ICO; not HEIC or TIFF).
 */
import exifr from 'exifr';
import { FaceDetailError, type Image } from '../core/index.js';
import { imageFormatFromHeader, imageSizeFromHeader } from './image-size.js';
import { assignDefaults } from '../core/options.js';

/** Options of {@link decodeImageBlob}. */
export interface WebDecodeOptions {
  /**
   * Largest accepted pixel count (width × height). Default 40e6: the float RGB copy of 40 MP
   * takes 480 MB, about what a browser tab can spare.
   */
  maxPixels: number;
  /** Largest accepted file size in bytes. Default 100 MB. */
  maxBytes: number;
  /** Smallest accepted short side in pixels. Default 64 (as in Node). */
  minSize: number;
}

export const WEB_DECODE_DEFAULTS: Readonly<WebDecodeOptions> = Object.freeze({ maxPixels: 40e6, maxBytes: 100 * 1024 * 1024, minSize: 64 });

/** A decoded photo (the browser counterpart of Node's `DecodedImage`). */
export interface WebDecodedImage {
  /** RGB, float [0, 1], sRGB-encoded, upright. */
  image: Image;
  width: number;
  height: number;
  exif: { focalLength35mm?: number };
}

const HEIC = /\.(heic|heif)$/i;

/**
 * Decodes `blob` (the file's name only improves error messages).
 *
 * Errors ({@link FaceDetailError}): `UNSUPPORTED_IMAGE` (not an image the browser can decode;
 * HEIC names the fix), `CORRUPT_IMAGE` (empty, or an image signature that does not decode: a
 * truncated JPEG, say), `IMAGE_TOO_LARGE` (file or pixel count over the limits), `IMAGE_TOO_SMALL`.
 *
 * @example
 * const { image, exif } = await decodeImageBlob(fileInput.files[0], 'me.jpg');
 */
export async function decodeImageBlob(blob: Blob, name = 'the image', options: Partial<WebDecodeOptions> = {}): Promise<WebDecodedImage> {
  const o = assignDefaults(WEB_DECODE_DEFAULTS, options);
  const label = `"${name}"`;
  if (blob.size === 0) throw new FaceDetailError('CORRUPT_IMAGE', `${label} is empty (0 bytes).`);
  if (blob.size > o.maxBytes) {
    throw new FaceDetailError('IMAGE_TOO_LARGE', `${label} is ${mb(blob.size)} MB; the largest file this page accepts is ${mb(o.maxBytes)} MB. Use a smaller or more compressed photo.`);
  }
  // Pixel count from the header first (PNG, JPEG, GIF, WebP): a decompression bomb is refused
  // before the browser decodes it; the decoded size is checked again below.
  const headBytes = new Uint8Array(await blob.slice(0, 512 * 1024).arrayBuffer());
  const head = imageSizeFromHeader(headBytes);
  if (head) checkSize(head.width, head.height, label, o);
  const format = imageFormatFromHeader(headBytes);
  let bitmap: ImageBitmap;
  try {
    bitmap = await createImageBitmap(blob, { imageOrientation: 'from-image', premultiplyAlpha: 'none', colorSpaceConversion: 'default' });
  } catch (cause) {
    if (format === 'heic' || HEIC.test(name) || /heic|heif/i.test(blob.type)) {
      throw new FaceDetailError('UNSUPPORTED_IMAGE', `${label} is a HEIC photo, which this browser cannot read. Convert it to JPEG first (on an iPhone: Settings → Camera → Formats → Most Compatible).`, { cause });
    }
    if (format) {
      // The signature says it is an image this browser reads, yet it did not decode: damaged.
      throw new FaceDetailError('CORRUPT_IMAGE', `${label} starts like a ${format.toUpperCase()} image but could not be decoded: it is probably cut short (an incomplete download or copy) or damaged. Open it in an image viewer to check, or download or export it again.`, { cause });
    }
    throw new FaceDetailError('UNSUPPORTED_IMAGE', `${label} is not an image this browser can read. Use a JPEG, PNG, WebP or AVIF photo.`, { cause });
  }
  try {
    const { width, height } = bitmap;
    checkSize(width, height, label, o);
    const canvas = new OffscreenCanvas(width, height);
    const ctx = canvas.getContext('2d', { willReadFrequently: true });
    if (!ctx) throw new FaceDetailError('INTERNAL', 'this browser gave no 2D canvas to decode the image with');
    ctx.fillStyle = '#ffffff';
    ctx.fillRect(0, 0, width, height);
    ctx.drawImage(bitmap, 0, 0);
    const rgba = ctx.getImageData(0, 0, width, height, { colorSpace: 'srgb' }).data;
    const data = new Float32Array(width * height * 3);
    for (let p = 0, q = 0; q < data.length; p += 4, q += 3) {
      data[q] = rgba[p]! / 255;
      data[q + 1] = rgba[p + 1]! / 255;
      data[q + 2] = rgba[p + 2]! / 255;
    }
    return { image: { width, height, channels: 3, data }, width, height, exif: await readExif(blob) };
  } finally {
    bitmap.close();
  }
}

function checkSize(width: number, height: number, label: string, o: WebDecodeOptions): void {
  if (width * height > o.maxPixels) {
    throw new FaceDetailError('IMAGE_TOO_LARGE', `${label} has ${(width * height / 1e6).toFixed(1)} megapixels (${width}×${height}); the limit is ${(o.maxPixels / 1e6).toFixed(0)}. Scale it down first.`);
  }
  if (Math.min(width, height) < o.minSize) {
    throw new FaceDetailError('IMAGE_TOO_SMALL', `${label} is only ${width}×${height} pixels; the face needs at least ${o.minSize} pixels on the short side.`);
  }
}

/** `FocalLengthIn35mmFormat` from the file's EXIF, when present (damaged EXIF is ignored). */
async function readExif(blob: Blob): Promise<{ focalLength35mm?: number }> {
  try {
    const tags = (await exifr.parse(blob, { translateValues: false, pick: ['FocalLengthIn35mmFormat'] })) as Record<string, unknown> | undefined;
    const f35 = tags?.['FocalLengthIn35mmFormat'];
    return typeof f35 === 'number' && Number.isFinite(f35) && f35 > 0 ? { focalLength35mm: f35 } : {};
  } catch {
    return {};
  }
}

function mb(bytes: number): string {
  return (bytes / 1024 / 1024).toFixed(bytes < 10 * 1024 * 1024 ? 1 : 0);
}

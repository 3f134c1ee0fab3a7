import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { deflateSync } from 'node:zlib';
import { decode as decodePng, encode as encodePng } from 'fast-png';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FaceDetailError, type FaceDetailErrorCode } from '../../src/core/errors.js';
import type { Image } from '../../src/core/types.js';
import { DECODE_DEFAULTS, decodeImage, HEIC_SUPPORTED, isDecodedImage } from '../../src/node/decode-image.js';

/** Resolve with the FaceDetailError `p` rejects with (fails the test when it resolves or throws something else). */
async function rejection(p: Promise<unknown>): Promise<FaceDetailError> {
  try {
    await p;
  } catch (e) {
    if (e instanceof FaceDetailError) return e;
    throw new Error(`expected a FaceDetailError, got ${String(e)}`);
  }
  throw new Error('expected a rejection, the promise resolved');
}

async function expectCode(p: Promise<unknown>, code: FaceDetailErrorCode): Promise<FaceDetailError> {
  const e = await rejection(p);
  expect(e.code, e.message).toBe(code);
  return e;
}

function pixel(img: Image, x: number, y: number): number[] {
  const i = (y * img.width + x) * img.channels;
  return Array.from(img.data.subarray(i, i + img.channels));
}

function expectRgb(actual: number[], expected: number[], tol: number): void {
  expect(actual.length).toBe(3);
  const worst = Math.max(...actual.map((v, i) => Math.abs(v - expected[i]!)));
  expect(worst, `rgb ${actual.map((v) => v.toFixed(3)).join(',')} vs ${expected.join(',')}`).toBeLessThanOrEqual(tol);
}

/** `w`×`h` RGB raw buffer: left half `left`, right half `right` (8-bit). */
function halves(w: number, h: number, left: number[], right: number[]): Buffer {
  const b = Buffer.alloc(w * h * 3);
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) b.set(x < w / 2 ? left : right, (y * w + x) * 3);
  return b;
}

/** A deterministic noisy RGB raw buffer (compresses badly, so truncation hits pixel data). */
function noise(w: number, h: number): Buffer {
  const b = Buffer.alloc(w * h * 3);
  let s = 12345;
  for (let i = 0; i < b.length; i++) { s = (s * 1103515245 + 12345) >>> 0; b[i] = s >>> 24; }
  return b;
}

/**
 * A PNG announcing `w`×`h` (8-bit RGB) whose IDAT holds a few bytes only: far too little pixel
 * data for the size (libpng needs one IDAT before it reports the header).
 */
function pngHeaderOnly(w: number, h: number): Buffer {
  const crcTable = new Int32Array(256).map((_, n) => {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    return c;
  });
  const crc = (b: Buffer): number => {
    let c = -1;
    for (const v of b) c = crcTable[(c ^ v) & 0xff]! ^ (c >>> 8);
    return (c ^ -1) >>> 0;
  };
  const chunk = (type: string, data: Buffer): Buffer => {
    const len = Buffer.alloc(4); len.writeUInt32BE(data.length);
    const td = Buffer.concat([Buffer.from(type, 'latin1'), data]);
    const c = Buffer.alloc(4); c.writeUInt32BE(crc(td));
    return Buffer.concat([len, td, c]);
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(w, 0); ihdr.writeUInt32BE(h, 4);
  ihdr[8] = 8; ihdr[9] = 2; // 8-bit, truecolour
  return Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), chunk('IHDR', ihdr), chunk('IDAT', deflateSync(Buffer.alloc(16))), chunk('IEND', Buffer.alloc(0))]);
}

let dir = '';
beforeAll(async () => { dir = await mkdtemp(join(tmpdir(), 'facedetail-decode-')); });
afterAll(async () => { if (dir) await rm(dir, { recursive: true, force: true }); });

describe('decodeImage', () => {
  it('applies EXIF orientation 6 (dims swapped, content rotated 90° clockwise) and reads EXIF', async () => {
    // Stored 80×40: left half red, right half blue. Orientation 6 = rotate 90° CW for display,
    // so the displayed image is 40×80 with the red half on TOP.
    const jpg = await sharp(halves(80, 40, [255, 0, 0], [0, 0, 255]), { raw: { width: 80, height: 40, channels: 3 } })
      .jpeg({ quality: 95 })
      .withExif({ IFD0: { Make: 'Canon', Model: 'EOS Test' }, IFD2: { FocalLengthIn35mmFilm: '50', FocalLength: '42/10' } })
      .withMetadata({ orientation: 6 })
      .toBuffer();
    const d = await decodeImage(jpg, { minSize: 8 });
    expect([d.width, d.height]).toEqual([40, 80]);
    expect([d.image.width, d.image.height, d.image.channels]).toEqual([40, 80, 3]);
    expect(d.image.data.length).toBe(40 * 80 * 3);
    expect(d.format).toBe('jpeg');
    expectRgb(pixel(d.image, 20, 10), [1, 0, 0], 0.08);
    expectRgb(pixel(d.image, 20, 70), [0, 0, 1], 0.08);
    expect(d.exif).toEqual({ orientation: 6, make: 'Canon', model: 'EOS Test', focalLength35mm: 50, focalLengthMm: 4.2 });
    expect(isDecodedImage(d)).toBe(true);
    expect(isDecodedImage(jpg)).toBe(false);
  });

  it('reads a file path, and a Uint8Array view with a non-zero byteOffset', async () => {
    const png = await sharp({ create: { width: 70, height: 64, channels: 3, background: { r: 0, g: 128, b: 255 } } }).png().toBuffer();
    const path = join(dir, 'blue.png');
    await writeFile(path, png);
    const a = await decodeImage(path);
    expect([a.width, a.height, a.format]).toEqual([70, 64, 'png']);
    expectRgb(pixel(a.image, 5, 5), [0, 128 / 255, 1], 1e-6);
    expect(a.exif).toEqual({});
    const padded = new Uint8Array(png.length + 17);
    padded.set(png, 17);
    const b = await decodeImage(padded.subarray(17));
    expect(Array.from(b.image.data.subarray(0, 30))).toEqual(Array.from(a.image.data.subarray(0, 30)));
  });

  it('composites PNG alpha over white and returns 3 channels', async () => {
    const w = 64, h = 64;
    const rgba = Buffer.alloc(w * h * 4);
    for (let i = 0; i < w * h; i++) {
      const x = i % w;
      // left third: opaque red; middle: half-transparent blue; right: fully transparent black
      rgba.set(x < 21 ? [255, 0, 0, 255] : x < 42 ? [0, 0, 255, 128] : [0, 0, 0, 0], i * 4);
    }
    const png = await sharp(rgba, { raw: { width: w, height: h, channels: 4 } }).png().toBuffer();
    const d = await decodeImage(png);
    expect(d.image.channels).toBe(3);
    expect(d.image.data.length).toBe(w * h * 3);
    expectRgb(pixel(d.image, 5, 5), [1, 0, 0], 0.01);
    expectRgb(pixel(d.image, 30, 5), [0.5, 0.5, 1], 0.02);
    expectRgb(pixel(d.image, 60, 5), [1, 1, 1], 0.01);
  });

  it('expands grayscale (with and without alpha) to RGB', async () => {
    const grey = await sharp({ create: { width: 64, height: 64, channels: 3, background: { r: 64, g: 64, b: 64 } } }).toColourspace('b-w').png().toBuffer();
    expect((await sharp(grey).metadata()).channels).toBe(1);
    const d = await decodeImage(grey);
    expect(d.image.channels).toBe(3);
    expectRgb(pixel(d.image, 10, 10), [64 / 255, 64 / 255, 64 / 255], 1e-6);

    const greyAlpha = await sharp({ create: { width: 64, height: 64, channels: 4, background: { r: 0, g: 0, b: 0, alpha: 0.5 } } }).toColourspace('b-w').png().toBuffer();
    expect((await sharp(greyAlpha).metadata()).channels).toBe(2);
    const e = await decodeImage(greyAlpha);
    expect(e.image.channels).toBe(3);
    expectRgb(pixel(e.image, 10, 10), [0.5, 0.5, 0.5], 0.02);
  });

  it('converts CMYK JPEG to sRGB with plausible colours', async () => {
    const cmyk = await sharp({ create: { width: 64, height: 64, channels: 3, background: { r: 200, g: 30, b: 30 } } }).toColourspace('cmyk').jpeg({ quality: 95 }).toBuffer();
    const meta = await sharp(cmyk).metadata();
    expect(meta.space).toBe('cmyk');
    expect(meta.channels).toBe(4);
    const d = await decodeImage(cmyk);
    expect(d.image.channels).toBe(3);
    const [r, g, b] = pixel(d.image, 32, 32) as [number, number, number];
    // A CMYK round trip through the built-in profile is not exact: check it is still a clear red.
    expect(r).toBeGreaterThan(0.6);
    expect(g).toBeLessThan(0.25);
    expect(b).toBeLessThan(0.25);
  });

  it('converts an embedded ICC profile (Display P3) to sRGB', async () => {
    const raw = Buffer.alloc(64 * 64 * 3);
    for (let i = 0; i < raw.length; i += 3) raw.set([60, 180, 60], i);
    // sharp converts the sRGB pixels to P3 values on output and attaches the profile.
    const p3 = await sharp(raw, { raw: { width: 64, height: 64, channels: 3 } }).withIccProfile('p3', { attach: true }).png().toBuffer();
    expect((await sharp(p3).metadata()).icc).toBeDefined();
    const stored = decodePng(p3).data;
    expect(Math.abs(stored[0]! - 60)).toBeGreaterThan(10); // really stored as P3 values
    const d = await decodeImage(p3);
    expectRgb(pixel(d.image, 10, 10), [60 / 255, 180 / 255, 60 / 255], 3 / 255);
  });

  it('decodes WebP and AVIF', async () => {
    const src = sharp({ create: { width: 64, height: 80, channels: 3, background: { r: 20, g: 200, b: 60 } } });
    const webp = await decodeImage(await src.clone().webp({ quality: 95 }).toBuffer());
    expect([webp.width, webp.height, webp.format]).toEqual([64, 80, 'webp']);
    expectRgb(pixel(webp.image, 30, 30), [20 / 255, 200 / 255, 60 / 255], 0.06);
    const avif = await decodeImage(await src.clone().avif({ quality: 90 }).toBuffer());
    expect([avif.width, avif.height, avif.format]).toEqual([64, 80, 'avif']);
    expectRgb(pixel(avif.image, 30, 30), [20 / 255, 200 / 255, 60 / 255], 0.06);
  });

  it('keeps 16-bit precision of 16-bit PNGs', async () => {
    const v = 1000; // not representable in 8 bits (1000/65535 ≈ 3.9/255)
    const rgb = new Uint16Array(64 * 64 * 3);
    for (let i = 0; i < rgb.length; i += 3) rgb.set([v, 30000, 65535], i);
    const png = encodePng({ width: 64, height: 64, data: rgb, depth: 16, channels: 3 });
    expect((await sharp(png).metadata()).depth).toBe('ushort');
    const d = await decodeImage(png);
    expectRgb(pixel(d.image, 3, 3), [v / 65535, 30000 / 65535, 1], 1e-6);
    const grey = encodePng({ width: 64, height: 64, data: new Uint16Array(64 * 64).fill(v), depth: 16, channels: 1 });
    const g = await decodeImage(grey);
    expectRgb(pixel(g.image, 3, 3), [v / 65535, v / 65535, v / 65535], 1e-6);
  });

  it('reads EXIF focal length from PNG and WebP too', async () => {
    const src = sharp({ create: { width: 64, height: 64, channels: 3, background: '#808080' } })
      .withExif({ IFD0: { Make: 'Apple', Model: 'iPhone 13' }, IFD2: { FocalLengthIn35mmFilm: '26' } });
    for (const fmt of ['png', 'webp'] as const) {
      const d = await decodeImage(await src.clone()[fmt]().toBuffer());
      expect(d.exif.focalLength35mm, fmt).toBe(26);
      expect(d.exif.make, fmt).toBe('Apple');
      expect(d.exif.model, fmt).toBe('iPhone 13');
    }
  });

  it('rejects bytes that are not an image with UNSUPPORTED_IMAGE listing the supported formats', async () => {
    const bytes = new Uint8Array(4096);
    let s = 7;
    for (let i = 0; i < bytes.length; i++) { s = (s * 1103515245 + 12345) >>> 0; bytes[i] = s >>> 24; }
    const e = await expectCode(decodeImage(bytes), 'UNSUPPORTED_IMAGE');
    expect(e.message).toMatch(/JPEG, PNG, WebP/);
  });

  it('rejects formats sharp reads but facedetail does not accept (SVG)', async () => {
    const svg = Buffer.from('<svg xmlns="http://www.w3.org/2000/svg" width="100" height="100"><rect width="100" height="100" fill="red"/></svg>');
    const e = await expectCode(decodeImage(svg), 'UNSUPPORTED_IMAGE');
    expect(e.message).toMatch(/SVG/);
  });

  it('rejects truncated JPEG and PNG data with CORRUPT_IMAGE', async () => {
    const raw = noise(300, 200);
    const jpg = await sharp(raw, { raw: { width: 300, height: 200, channels: 3 } }).jpeg({ quality: 95 }).toBuffer();
    const e = await expectCode(decodeImage(jpg.subarray(0, jpg.length >> 1)), 'CORRUPT_IMAGE');
    expect(e.message).toMatch(/truncated|premature/i);
    const png = await sharp(raw, { raw: { width: 300, height: 200, channels: 3 } }).png().toBuffer();
    await expectCode(decodeImage(png.subarray(0, png.length >> 1)), 'CORRUPT_IMAGE');
    // Cut inside the header: still CORRUPT (the JPEG signature is there), not UNSUPPORTED.
    await expectCode(decodeImage(jpg.subarray(0, 200)), 'CORRUPT_IMAGE');
    await expectCode(decodeImage(new Uint8Array(0)), 'CORRUPT_IMAGE');
  });

  it('rejects a header announcing 20000×20000 with IMAGE_TOO_LARGE, before decoding any pixel', async () => {
    // The file holds no pixel data at all: only the header check can produce IMAGE_TOO_LARGE.
    const bomb = pngHeaderOnly(20000, 20000);
    expect(bomb.length).toBeLessThan(200);
    const e = await expectCode(decodeImage(bomb, { maxPixels: 50e6 }), 'IMAGE_TOO_LARGE');
    expect(e.message).toContain('20000×20000');
    expect(e.message).toContain('400 megapixels');
    expect(e.message).toContain('50 megapixels');
    expect(e.message).toMatch(/maxPixels/);
    expect(e.message).toMatch(/--max-pixels/);
    await expectCode(decodeImage(bomb), 'IMAGE_TOO_LARGE'); // default limit 50e6
    expect(DECODE_DEFAULTS.maxPixels).toBe(50e6);
    // With the limit raised, the (missing) pixel data is what fails.
    await expectCode(decodeImage(bomb, { maxPixels: 1e9 }), 'CORRUPT_IMAGE');
  });

  it('applies maxPixels to real images too', async () => {
    const png = await sharp({ create: { width: 200, height: 100, channels: 3, background: '#000' } }).png().toBuffer();
    await expectCode(decodeImage(png, { maxPixels: 19_999 }), 'IMAGE_TOO_LARGE');
    expect((await decodeImage(png, { maxPixels: 20_000 })).width).toBe(200);
  });

  it('rejects images whose short side is under minSize with IMAGE_TOO_SMALL', async () => {
    const png = await sharp({ create: { width: 200, height: 40, channels: 3, background: '#000' } }).png().toBuffer();
    const e = await expectCode(decodeImage(png), 'IMAGE_TOO_SMALL');
    expect(e.message).toContain('200×40');
    expect(e.message).toContain('64');
    expect((await decodeImage(png, { minSize: 40 })).height).toBe(40);
  });

  it('reports unreadable paths as IO_ERROR', async () => {
    const e = await expectCode(decodeImage(join(dir, 'does-not-exist.jpg')), 'IO_ERROR');
    expect(e.message).toContain('does-not-exist.jpg');
    await expectCode(decodeImage(dir), 'IO_ERROR');
  });

  it('gives HEIC its own UNSUPPORTED_IMAGE message when sharp cannot decode it', async () => {
    // An AVIF with its brands and codec boxes renamed to HEIC/HEVC ones: what an iPhone photo's
    // container looks like to the sniffer.
    const avif = await sharp({ create: { width: 64, height: 64, channels: 3, background: '#808080' } }).avif().toBuffer();
    const heic = Buffer.from(avif.toString('latin1').replaceAll('avif', 'heic').replaceAll('av01', 'hvc1').replaceAll('av1C', 'hvcC'), 'latin1');
    expect(heic.toString('latin1', 4, 12)).toBe('ftypheic');
    if (HEIC_SUPPORTED) {
      // A real HEVC decoder rejects the fake codec data, with some error code.
      await rejection(decodeImage(heic));
    } else {
      const e = await expectCode(decodeImage(heic), 'UNSUPPORTED_IMAGE');
      expect(e.message).toMatch(/HEIC/);
      expect(e.message).toMatch(/convert it to JPEG/i);
    }
  });

  it('validates its arguments with INVALID_OPTION naming the parameter', async () => {
    expect((await expectCode(decodeImage('', {}), 'INVALID_OPTION')).message).toMatch(/^input:/);
    expect((await expectCode(decodeImage(42 as unknown as string), 'INVALID_OPTION')).message).toMatch(/^input:/);
    const png = await sharp({ create: { width: 64, height: 64, channels: 3, background: '#000' } }).png().toBuffer();
    expect((await expectCode(decodeImage(png, { maxPixels: 0 }), 'INVALID_OPTION')).message).toMatch(/^maxPixels:/);
    expect((await expectCode(decodeImage(png, { maxPixels: Number.NaN }), 'INVALID_OPTION')).message).toMatch(/^maxPixels:/);
    expect((await expectCode(decodeImage(png, { minSize: 1.5 }), 'INVALID_OPTION')).message).toMatch(/^minSize:/);
  });

  it('reads regular files only: /dev/zero, a FIFO and a folder are IO_ERROR at once (no endless read, no block)', async () => {
    if (process.platform !== 'win32') {
      expect((await expectCode(decodeImage('/dev/zero'), 'IO_ERROR')).message).toMatch(/not a regular file/);
      const fifo = join(dir, 'pipe.jpg');
      const { execFileSync } = await import('node:child_process');
      execFileSync('mkfifo', [fifo]);
      expect((await expectCode(decodeImage(fifo), 'IO_ERROR')).message).toMatch(/not a regular file \(a device, FIFO or socket\)/);
    }
    expect((await expectCode(decodeImage(dir), 'IO_ERROR')).message).toMatch(/it is a folder/);
  });

  it('caps the byte size (maxBytes) before reading a file, and for byte input', async () => {
    const png = await sharp({ create: { width: 64, height: 64, channels: 3, background: '#000' } }).png().toBuffer();
    const path = join(dir, 'capped.png');
    await writeFile(path, png);
    const e = await expectCode(decodeImage(path, { maxBytes: png.length - 1 }), 'IMAGE_TOO_LARGE');
    expect(e.message).toMatch(/MiB, over the limit .*maxBytes option \(CLI: --max-bytes\)/);
    await expectCode(decodeImage(png, { maxBytes: 100 }), 'IMAGE_TOO_LARGE');
    expect((await decodeImage(path, { maxBytes: png.length })).width).toBe(64);
    expect(DECODE_DEFAULTS.maxBytes).toBe(256 * 1024 * 1024);
    expect((await expectCode(decodeImage(png, { maxBytes: 0 }), 'INVALID_OPTION')).message).toMatch(/^maxBytes:/);
  });

  it('downscales images over maxDimension while decoding (long side, orientation kept) and reports the scale', async () => {
    const big = await sharp(halves(1200, 600, [200, 40, 40], [40, 40, 200]), { raw: { width: 1200, height: 600, channels: 3 } }).jpeg({ quality: 95 }).withMetadata({ orientation: 6 }).toBuffer();
    const d = await decodeImage(big, { maxDimension: 300 });
    // orientation 6: upright it is 600 wide × 1200 tall → 150 × 300
    expect([d.width, d.height]).toEqual([150, 300]);
    expect([d.originalWidth, d.originalHeight]).toEqual([600, 1200]);
    expect(d.scale).toBeCloseTo(0.25, 6);
    expect(d.image.data.length).toBe(150 * 300 * 3);
    const same = await decodeImage(big);
    expect([same.width, same.height, same.scale]).toEqual([600, 1200, 1]);
    expect((await expectCode(decodeImage(big, { maxDimension: 10 }), 'INVALID_OPTION')).message).toMatch(/^maxDimension:/);
  });
});

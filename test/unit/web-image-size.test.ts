/** The web app's header sniffer (src/web/image-size.ts) on files sharp writes in each format. */
import sharp, { type Sharp } from 'sharp';
import { describe, expect, it } from 'vitest';
import { imageFormatFromHeader, imageSizeFromHeader } from '../../src/web/image-size.js';

const make = (w: number, h: number) => sharp({ create: { width: w, height: h, channels: 3, background: { r: 200, g: 120, b: 40 } } });

describe('imageSizeFromHeader', () => {
  it.each([
    ['png', (s: Sharp) => s.png()],
    ['jpeg', (s: Sharp) => s.jpeg()],
    ['jpeg with EXIF', (s: Sharp) => s.withMetadata({ orientation: 6 }).jpeg()],
    ['progressive jpeg', (s: Sharp) => s.jpeg({ progressive: true })],
    ['gif', (s: Sharp) => s.gif()],
    ['webp lossy', (s: Sharp) => s.webp()],
    ['webp lossless', (s: Sharp) => s.webp({ lossless: true })],
  ])('reads %s', async (_name, encode) => {
    const bytes = new Uint8Array(await encode(make(317, 211)).toBuffer());
    expect(imageSizeFromHeader(bytes)).toEqual({ width: 317, height: 211 });
  });

  it('returns undefined for what it does not know', () => {
    expect(imageSizeFromHeader(new TextEncoder().encode('not an image at all, just text'))).toBeUndefined();
    expect(imageSizeFromHeader(new Uint8Array([0xff, 0xd8, 0xff]))).toBeUndefined();
    expect(imageSizeFromHeader(new Uint8Array(0))).toBeUndefined();
  });
});

describe('imageFormatFromHeader', () => {
  it.each([
    ['png', (s: Sharp) => s.png()],
    ['jpeg', (s: Sharp) => s.jpeg()],
    ['gif', (s: Sharp) => s.gif()],
    ['webp', (s: Sharp) => s.webp()],
    ['avif', (s: Sharp) => s.avif()],
  ] as const)('recognises %s, also cut to its first 16 bytes', async (format, encode) => {
    const bytes = new Uint8Array(await encode(make(64, 64)).toBuffer());
    expect(imageFormatFromHeader(bytes)).toBe(format);
    expect(imageFormatFromHeader(bytes.subarray(0, 16))).toBe(format);
  });

  it('recognises HEIC by its brand and nothing in text', () => {
    const heic = new Uint8Array([0, 0, 0, 24, ...new TextEncoder().encode('ftypheic'), 0, 0, 0, 0]);
    expect(imageFormatFromHeader(heic)).toBe('heic');
    expect(imageFormatFromHeader(new TextEncoder().encode('not an image at all, just text'))).toBeUndefined();
    expect(imageFormatFromHeader(new Uint8Array(0))).toBeUndefined();
  });
});

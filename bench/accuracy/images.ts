/** PNG helpers for the accuracy benchmark's side-by-side figures (Node only). */
import sharp from 'sharp';
import type { Image } from '../../src/core/types.js';

/** 8-bit RGB PNG bytes of a float RGB image in [0, 1]. */
export function imageToPng(img: Image): Promise<Buffer> {
  const buf = Buffer.alloc(img.width * img.height * 3);
  for (let i = 0; i < buf.length; i++) buf[i] = Math.round(Math.max(0, Math.min(1, img.data[i]!)) * 255);
  return sharp(buf, { raw: { width: img.width, height: img.height, channels: 3 } }).png().toBuffer();
}

/**
 * Camera-frame normals as a colour image, in the usual normal-map colours: red = +X (image
 * right), green = UP (−Y camera), blue = toward the camera (−Z camera). `bg` where `valid` ≤ 0.5.
 */
export function normalsToImage(normal: Float32Array, valid: ArrayLike<number>, width: number, height: number, bg = 0.12): Image {
  const data = new Float32Array(width * height * 3);
  for (let p = 0; p < width * height; p++) {
    if (!(valid[p]! > 0.5)) { data[3 * p] = data[3 * p + 1] = data[3 * p + 2] = bg; continue; }
    data[3 * p] = 0.5 + 0.5 * normal[3 * p]!;
    data[3 * p + 1] = 0.5 - 0.5 * normal[3 * p + 1]!;
    data[3 * p + 2] = 0.5 - 0.5 * normal[3 * p + 2]!;
  }
  return { width, height, channels: 3, data };
}

/** An error map (degrees, NaN = not compared) as a heat image: black 0° → red → yellow → white at `maxDeg`. */
export function heatImage(deg: Float32Array, width: number, height: number, maxDeg: number, mask?: ArrayLike<number>): Image {
  const data = new Float32Array(width * height * 3);
  for (let p = 0; p < width * height; p++) {
    const d = deg[p]!;
    if (Number.isNaN(d)) {
      // Mask pixels we do not cover: blue; elsewhere dark grey.
      const inMask = mask ? mask[p]! > 0 : false;
      data[3 * p] = inMask ? 0.1 : 0.12; data[3 * p + 1] = inMask ? 0.2 : 0.12; data[3 * p + 2] = inMask ? 0.6 : 0.12;
      continue;
    }
    const t = Math.min(1, d / maxDeg) * 3;
    data[3 * p] = Math.min(1, t);
    data[3 * p + 1] = Math.min(1, Math.max(0, t - 1));
    data[3 * p + 2] = Math.min(1, Math.max(0, t - 2));
  }
  return { width, height, channels: 3, data };
}

/** Side-by-side PNG of equally sized images. */
export async function sideBySide(images: Image[]): Promise<Buffer> {
  const w = images[0]!.width, h = images[0]!.height;
  const tiles = await Promise.all(images.map(async (img, i) => ({ input: await imageToPng(img), left: i * w, top: 0 })));
  return sharp({ create: { width: w * images.length, height: h, channels: 3, background: '#000' } }).composite(tiles).png().toBuffer();
}

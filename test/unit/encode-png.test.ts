import { unzlibSync, zlibSync } from 'fflate';
import { describe, expect, it } from 'vitest';
import { addPngText, decodePng, encodePng } from '../../src/core/export/png.js';
import { encodePngNative } from '../../src/node/encode-png.js';
import type { Image } from '../../src/core/types.js';

function pattern(w: number, h: number, c: number): Image {
  const data = new Float32Array(w * h * c);
  for (let i = 0; i < data.length; i++) data[i] = ((i * 7919) % 1000) / 999 - 0.05; // includes < 0 and > 1
  return { width: w, height: h, channels: c, data };
}

describe('encodePngNative', () => {
  it('decodes to exactly the pixels of the pure-JS encoder (1, 3, 4 channels)', async () => {
    for (const c of [1, 3, 4]) {
      const img = pattern(37, 23, c);
      const a = decodePng(await encodePngNative(img, { bitDepth: 8 }));
      const b = decodePng(encodePng(img, { bitDepth: 8 }));
      expect(a.image.channels).toBe(c);
      expect(Array.from(a.image.data)).toEqual(Array.from(b.image.data));
    }
  });
  it('writes 16-bit gray and RGB(A) natively with the core encoder’s samples, and its text chunks', async () => {
    for (const c of [1, 3, 4]) {
      const img = pattern(41, 19, c);
      const text = { 'facedetail:scale_mm': '0.012345678', 'facedetail:offset_mm': '-1.5', note: 'Latin-1 é' };
      const a = decodePng(await encodePngNative(img, { bitDepth: 16, text }));
      const b = decodePng(encodePng(img, { bitDepth: 16, text }));
      expect(a.bitDepth).toBe(16);
      expect(a.image.channels).toBe(c);
      expect(Array.from(a.image.data)).toEqual(Array.from(b.image.data));
      expect(a.text).toEqual(text);
    }
  });
  it('16-bit gray + alpha goes through the core encoder; bad text and NaN are rejected as by the core', async () => {
    const ga = decodePng(await encodePngNative(pattern(8, 8, 2), { bitDepth: 16, text: { k: 'v' } }));
    expect(ga.bitDepth).toBe(16);
    expect(ga.text['k']).toBe('v');
    await expect(encodePngNative(pattern(8, 8, 1), { bitDepth: 16, text: { '': 'x' } })).rejects.toMatchObject({ code: 'INVALID_OPTION' });
    const nan = pattern(8, 8, 1);
    nan.data[5] = Number.NaN;
    await expect(encodePngNative(nan, { bitDepth: 16 })).rejects.toMatchObject({ code: 'INVALID_OPTION' });
  });
});

describe('addPngText', () => {
  it('inserts tEXt chunks after IHDR that the decoder reads back; rejects bytes that are not a PNG', () => {
    const png = encodePng(pattern(5, 4, 3));
    const d = decodePng(addPngText(png, { a: '1', 'b c': 'two words' }));
    expect(d.text).toEqual({ a: '1', 'b c': 'two words' });
    expect(Array.from(d.image.data)).toEqual(Array.from(decodePng(png).image.data));
    expect(() => addPngText(new Uint8Array(40), { a: '1' })).toThrow(/PNG/);
  });
});

describe('encodePng (the core encoder: row filters + zlib)', () => {
  /** The filter-type byte of every row, from the IDAT of a single-IDAT PNG. */
  function rowFilters(png: Uint8Array, rowBytes: number, rows: number): number[] {
    const dv = new DataView(png.buffer, png.byteOffset, png.byteLength);
    let at = 8;
    while (at < png.length) {
      const len = dv.getUint32(at), type = String.fromCharCode(...png.subarray(at + 4, at + 8));
      if (type === 'IDAT') {
        const raw = unzlibSync(png.subarray(at + 8, at + 8 + len));
        expect(raw.length).toBe(rows * (rowBytes + 1));
        return Array.from({ length: rows }, (_, y) => raw[y * (rowBytes + 1)]!);
      }
      at += 12 + len;
    }
    throw new Error('no IDAT');
  }

  it('round-trips every channel count at 8 and 16 bits (odd sizes, one-pixel rows and columns) with the quantised samples', () => {
    for (const [w, h] of [[1, 1], [1, 9], [13, 1], [37, 23]] as const) {
      for (const c of [1, 2, 3, 4]) {
        for (const bitDepth of [8, 16] as const) {
          const img = pattern(w, h, c);
          const d = decodePng(encodePng(img, { bitDepth }));
          expect(d.bitDepth).toBe(bitDepth);
          expect(d.image.channels).toBe(c);
          const max = bitDepth === 16 ? 65535 : 255;
          const expected = Array.from(img.data, (v) => Math.fround(v <= 0 ? 0 : v >= 1 ? 1 : Math.round(v * max) / max));
          expect(Array.from(d.image.data)).toEqual(expected);
        }
      }
    }
  });

  it('filters the rows (Sub, then Up) so a smooth gradient compresses far better than unfiltered rows would', () => {
    const W = 256, H = 64;
    const data = new Float32Array(W * H * 3);
    for (let y = 0; y < H; y++) for (let x = 0; x < W; x++) for (let c = 0; c < 3; c++) data[(y * W + x) * 3 + c] = ((x * (c + 1) + y * 3) % 256) / 255;
    const png = encodePng({ width: W, height: H, channels: 3, data });
    const filters = rowFilters(png, W * 3, H);
    expect(filters).toEqual([1, ...Array.from({ length: H - 1 }, () => 2)]);
    expect(filters.every((f) => f >= 0 && f <= 4)).toBe(true);
    const unfiltered = new Uint8Array(H * (W * 3 + 1));
    for (let y = 0; y < H; y++) for (let i = 0; i < W * 3; i++) unfiltered[y * (W * 3 + 1) + 1 + i] = Math.round(data[y * W * 3 + i]! * 255);
    expect(png.length).toBeLessThan(0.5 * zlibSync(unfiltered, { level: 4 }).length);
    expect(Array.from(decodePng(png).image.data)).toEqual(Array.from(data, (v) => Math.fround(Math.round(v * 255) / 255)));
  });
});

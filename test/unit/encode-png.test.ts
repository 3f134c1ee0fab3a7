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

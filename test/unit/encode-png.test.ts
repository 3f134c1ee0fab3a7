import { describe, expect, it } from 'vitest';
import { decodePng, encodePng } from '../../src/core/export/png.js';
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
  it('falls back to the core encoder for 16-bit maps with text chunks', async () => {
    const img = pattern(8, 8, 1);
    const d = decodePng(await encodePngNative(img, { bitDepth: 16, text: { k: 'v' } }));
    expect(d.bitDepth).toBe(16);
    expect(d.text['k']).toBe('v');
  });
});


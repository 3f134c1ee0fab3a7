/**
 * The library's public entry validates its input: anything that is not a path, bytes or a
 * well-formed decoded image is INVALID_INPUT (never a TypeError from deep inside); a decoded
 * image without `exif` is accepted. A fake analyser (no face) keeps this free of models.
 */
import { describe, expect, it } from 'vitest';
import { FaceDetailError } from '../../src/core/errors.js';
import { createReconstructor } from '../../src/node/reconstructor.js';

async function code(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (e) {
    if (e instanceof FaceDetailError) return `${e.code}: ${e.message}`;
    return `untyped ${String(e)}`;
  }
  return 'resolved';
}

describe('reconstruct() input validation', () => {
  it('rejects malformed inputs with INVALID_INPUT and accepts a decoded image without exif', async () => {
    const rec = await createReconstructor({ detail: 'sfs', analyzer: { analyze: async () => [], dispose: () => undefined } });
    const data = new Float32Array(8 * 4 * 3);
    const image = { width: 8, height: 4, channels: 3 as const, data };
    const cases: unknown[] = [
      undefined, null, 42, '', {}, [], { image: null },
      { image: { ...image, channels: 4 }, width: 8, height: 4 },
      { image: { ...image, data: new Uint8Array(96) }, width: 8, height: 4 },
      { image: { ...image, data: new Float32Array(10) }, width: 8, height: 4 },
      { image, width: 9, height: 4 },
      { image: { ...image, width: -8 }, width: -8, height: 4 },
      { image, width: 8, height: 4, exif: 'none' },
    ];
    for (const c of cases) expect(await code(rec.reconstruct(c as never)), JSON.stringify(c)).toMatch(/^INVALID_INPUT: input: expected a file path/);
    expect(await code(rec.reconstructAll({ image, width: 8, height: 4 } as never))).toMatch(/^NO_FACE/);
    expect(await code(rec.reconstruct({ image, width: 8, height: 4 } as never, null as never))).toMatch(/^INVALID_OPTION: options:/);
    expect(await code(rec.reconstruct({ image, width: 8, height: 4 } as never, { onProgress: 3 as never }))).toMatch(/^INVALID_OPTION: onProgress:/);
    await rec.dispose();
  });
});

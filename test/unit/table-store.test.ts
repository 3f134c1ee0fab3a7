/** Tables kept between processes: the codec round trip, the named content caches over a store, and the Node file store. */
import { mkdtempSync, readdirSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ContentCache, setTableStore, type TableStore } from '../../src/core/cache/content-cache.js';
import { decodeTable, encodeTable } from '../../src/core/cache/table-codec.js';
import { defaultTablesDir, fileTableStore } from '../../src/node/table-store.js';

function memoryStore(): TableStore & { files: Map<string, Uint8Array> } {
  const files = new Map<string, Uint8Array>();
  return { files, read: (n) => files.get(n), write: (n, b) => { files.set(n, b.slice()); } };
}

afterEach(() => setTableStore(undefined));

describe('table codec', () => {
  it('round-trips objects, arrays, numbers, strings, booleans and every typed array bit-exactly', () => {
    const value = {
      n: -0.1, nan: Number.NaN, s: 'région', yes: true, no: false, list: [1, 'a', [2]],
      f32: new Float32Array([1.5, -0, Number.POSITIVE_INFINITY]), f64: new Float64Array([Math.PI]), i32: new Int32Array([-1, 7]),
      u32: new Uint32Array([4e9]), u16: new Uint16Array([65535]), i16: new Int16Array([-3]), u8: new Uint8Array([0, 255]), i8: new Int8Array([-128]),
    };
    const back = decodeTable(encodeTable(value)) as typeof value;
    expect(back).toEqual(value);
    expect(Object.is(back.f32[1], -0)).toBe(true);
    expect(back.u32).toBeInstanceOf(Uint32Array);
  });

  it('reads from a view at an offset inside a larger buffer (a Node Buffer) and gives independent arrays', () => {
    const bytes = encodeTable({ a: new Float64Array([1, 2, 3]) });
    const big = Buffer.alloc(bytes.length + 13);
    big.set(bytes, 13);
    const back = decodeTable(big.subarray(13)) as { a: Float64Array };
    expect([...back.a]).toEqual([1, 2, 3]);
    big.fill(0);
    expect([...back.a]).toEqual([1, 2, 3]);
  });

  it('inPlace: aligned typed arrays view the input (no copy); misaligned input still decodes, by copy', () => {
    const value = { k: [1, 'a'], f64: new Float64Array([1.5, -2]), u8: new Uint8Array([7, 8, 9]), f32: new Float32Array([3, 4]) };
    const bytes = encodeTable(value).slice(); // standalone, 8-aligned
    const back = decodeTable(bytes, { inPlace: true }) as typeof value;
    expect(back).toEqual(value);
    expect(back.f64.buffer).toBe(bytes.buffer);
    expect(back.f32.buffer).toBe(bytes.buffer);
    const shifted = new Uint8Array(bytes.length + 3);
    shifted.set(bytes, 3);
    const back2 = decodeTable(shifted.subarray(3), { inPlace: true }) as typeof value;
    expect(back2).toEqual(value);
    expect(back2.f64.buffer).not.toBe(shifted.buffer); // misaligned for float64: copied
    expect(decodeTable(bytes)).toEqual(value); // default: copies
    expect((decodeTable(bytes) as typeof value).f64.buffer).not.toBe(bytes.buffer);
  });

  it('still reads the unaligned typed-array records of tables written before (tag 5)', () => {
    // { a: Float32Array [1, 2] } as the earlier encoder wrote it.
    const old = new Uint8Array([4, 1, 0, 0, 0, 1, 0, 0, 0, 0x61, 5, 0, 8, 0, 0, 0, 0, 0, 0x80, 0x3f, 0, 0, 0, 0x40]);
    expect(decodeTable(old, { inPlace: true })).toEqual({ a: new Float32Array([1, 2]) });
  });

  it('rejects truncated or foreign bytes with MODEL_CACHE_INVALID', () => {
    const bytes = encodeTable({ a: new Float32Array(8) });
    expect(() => decodeTable(bytes.subarray(0, bytes.length - 1))).toThrow(expect.objectContaining({ code: 'MODEL_CACHE_INVALID' }));
    expect(() => decodeTable(new Uint8Array([9]))).toThrow(expect.objectContaining({ code: 'MODEL_CACHE_INVALID' }));
  });
});

describe('named content caches over a table store', () => {
  it('a second cache (a fresh process) reads the table instead of computing it', () => {
    const store = memoryStore();
    setTableStore(store);
    let computed = 0;
    const compute = (): { t: Int32Array } => { computed++; return { t: new Int32Array([1, 2, 3]) }; };
    const key = [new Float32Array([0.25, 0.5]), 1024];
    const a = new ContentCache<{ t: Int32Array }>(2 ** 20, 'demo-1');
    expect([...a.get(key, compute, () => 12).t]).toEqual([1, 2, 3]);
    const b = new ContentCache<{ t: Int32Array }>(2 ** 20, 'demo-1');
    expect([...b.get(key, compute, () => 12).t]).toEqual([1, 2, 3]);
    expect(computed).toBe(1);
    expect(b.stats).toEqual({ hits: 0, misses: 1, stored: 1 });
    // A different key is computed, never answered from the stored entry.
    expect(b.get([new Float32Array([0.25, 0.75]), 1024], compute, () => 12)).toBeDefined();
    expect(computed).toBe(2);
  });

  it('an entry under the same name with another key, or unreadable bytes, is a miss and is replaced', () => {
    const store = memoryStore();
    setTableStore(store);
    const c = new ContentCache<Float32Array>(2 ** 20, 'demo-2');
    c.get([1], () => new Float32Array([1]), () => 4);
    const [name] = [...store.files.keys()];
    store.files.set(name!, encodeTable({ key: [2], value: new Float32Array([99]) }));
    expect([...new ContentCache<Float32Array>(2 ** 20, 'demo-2').get([1], () => new Float32Array([1]), () => 4)]).toEqual([1]);
    store.files.set(name!, new Uint8Array([1, 2, 3]));
    expect([...new ContentCache<Float32Array>(2 ** 20, 'demo-2').get([1], () => new Float32Array([1]), () => 4)]).toEqual([1]);
    expect(decodeTable(store.files.get(name!)!)).toEqual({ key: [1], value: new Float32Array([1]) });
  });

  it('a table in the earlier unaligned layout is read, then rewritten once in the aligned one', () => {
    const store = memoryStore();
    setTableStore(store);
    new ContentCache<Float32Array>(2 ** 20, 'demo-4').get([1], () => new Float32Array([1, 2]), () => 8);
    const [name] = [...store.files.keys()];
    // The same entry as the earlier encoder wrote it: { key: [1], value: Float32Array [1, 2] } with tag 5.
    const legacy = new Uint8Array([4, 2, 0, 0, 0, 3, 0, 0, 0, 0x6b, 0x65, 0x79, 3, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xf0, 0x3f,
      5, 0, 0, 0, 0x76, 0x61, 0x6c, 0x75, 0x65, 5, 0, 8, 0, 0, 0, 0, 0, 0x80, 0x3f, 0, 0, 0, 0x40]);
    expect(decodeTable(legacy)).toEqual({ key: [1], value: new Float32Array([1, 2]) });
    store.files.set(name!, legacy);
    let computed = 0;
    const v = new ContentCache<Float32Array>(2 ** 20, 'demo-4').get([1], () => { computed++; return new Float32Array([9]); }, () => 8);
    expect(computed).toBe(0);
    expect([...v]).toEqual([1, 2]);
    expect(store.files.get(name!)).not.toEqual(legacy); // rewritten
    expect(decodeTable(store.files.get(name!)!)).toEqual({ key: [1], value: new Float32Array([1, 2]) });
  });

  it('a cache without a table name, or a store that throws, still computes', () => {
    setTableStore({ read: () => { throw new Error('EIO'); }, write: () => { throw new Error('EROFS'); } });
    expect([...new ContentCache<Float32Array>(2 ** 20, 'demo-3').get([1], () => new Float32Array([5]), () => 4)]).toEqual([5]);
    expect([...new ContentCache<Float32Array>(2 ** 20).get([1], () => new Float32Array([6]), () => 4)]).toEqual([6]);
  });
});

describe('Node file table store', () => {
  it('writes atomically, reads back, and prunes the oldest files over its bound', () => {
    const dir = mkdtempSync(join(tmpdir(), 'facedetail-tables-'));
    try {
      const store = fileTableStore(join(dir, 'tables'), 2500);
      expect(store.read('a.bin')).toBeUndefined();
      store.write('a.bin', new Uint8Array(1000).fill(1));
      store.write('b.bin', new Uint8Array(1000).fill(2));
      expect(store.read('a.bin')?.[0]).toBe(1);
      utimesSync(join(dir, 'tables', 'a.bin'), 1000, 1000);
      utimesSync(join(dir, 'tables', 'b.bin'), 2000, 2000);
      store.write('c.bin', new Uint8Array(1000).fill(3));
      expect(readdirSync(join(dir, 'tables')).sort()).toEqual(['b.bin', 'c.bin']);
      writeFileSync(join(dir, 'tables', 'x.txt'), 'not a table');
      expect(readdirSync(join(dir, 'tables'))).toContain('x.txt');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('its folder: FACEDETAIL_TABLES_DIR, off, XDG_CACHE_HOME, ~/.cache', () => {
    expect(defaultTablesDir({ FACEDETAIL_TABLES_DIR: '/tmp/t' })).toBe('/tmp/t');
    expect(defaultTablesDir({ FACEDETAIL_TABLES_DIR: 'off' })).toBeUndefined();
    expect(defaultTablesDir({ XDG_CACHE_HOME: '/x' })).toBe('/x/facedetail/tables');
    expect(defaultTablesDir({})).toMatch(/\.cache\/facedetail\/tables$/);
  });
});

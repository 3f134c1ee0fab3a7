/**
 * A small least-recently-used cache keyed by the *content* of typed arrays and numbers, for work
 * that depends on a face model's topology and a map size only (the UV rasterization layout, the
 * skin and region masks) and is otherwise redone for every face of a batch.
 *
 * Keys are compared exactly: a hit needs every part bit-identical to the stored copy (a hash only
 * picks the candidate), so a cached value is never handed out for different input. Each cache is
 * bounded in bytes (entries are evicted least recently used first); an entry larger than the
 * bound is computed and returned but not kept.
 *
 * Values are shared between callers: treat them as read-only (the functions that use a cache
 * return copies where their result is mutable).
 *
 * A cache given a table name also keeps its entries in the injected {@link TableStore} (the Node
 * adapter's is a folder on disk), so a fresh process reads the tables back instead of computing
 * them: the stored entry holds its whole key, compared exactly as in memory, and a store that
 * fails or holds something unreadable is treated as a miss.
 */
import { decodeTable, encodeTable } from './table-codec.js';

/** A typed array a key may hold: compared by its type and bytes. */
type KeyArray = Float32Array | Float64Array | Int32Array | Uint32Array | Uint16Array | Uint8Array;
/** One part of a cache key: a typed array compared by its type and bytes, or a number / string compared by value. */
export type KeyPart = KeyArray | number | string;

interface Entry<V> {
  hash: number;
  key: KeyPart[];
  value: V;
  bytes: number;
}

/**
 * @example
 * const layouts = new ContentCache<UVLayout>(256 * 2 ** 20);
 * const layout = layouts.get([uvs, indices, W, H], () => rasterizeLayout(uvs, indices, W, H), (l) => l.bytes);
 */
export class ContentCache<V> {
  private entries: Entry<V>[] = [];
  private total = 0;
  /** Hits and misses since construction or the last {@link clear} (for tests and benchmarks); `stored`: misses answered by the table store. */
  readonly stats = { hits: 0, misses: 0, stored: 0 };

  /**
   * @param maxBytes the most bytes of values (by `sizeOf`, plus the stored keys) the cache keeps.
   * @param table a name for the entries in the table store (with a version: change it when the
   *   computation changes), or none to keep them in memory only. Values must be what
   *   {@link encodeTable} writes (objects, arrays, numbers, strings, typed arrays).
   */
  constructor(private readonly maxBytes: number, private readonly table?: string) {}

  /** The cached value for `key`, else `compute()` (stored when it fits). */
  get(key: readonly KeyPart[], compute: () => V, sizeOf: (v: V) => number): V {
    const hash = hashKey(key);
    for (let i = 0; i < this.entries.length; i++) {
      const e = this.entries[i]!;
      if (e.hash !== hash || !keysEqual(e.key, key)) continue;
      // Most recently used last.
      this.entries.splice(i, 1);
      this.entries.push(e);
      this.stats.hits++;
      return e.value;
    }
    this.stats.misses++;
    const value = this.fromStore(hash, key, compute);
    const stored = key.map(copyPart);
    const bytes = sizeOf(value) + stored.reduce<number>((s, p) => s + (typeof p === 'object' ? p.byteLength : 8), 0);
    if (bytes > this.maxBytes) return value;
    while (this.entries.length > 0 && this.total + bytes > this.maxBytes) this.total -= this.entries.shift()!.bytes;
    this.entries.push({ hash, key: stored, value, bytes });
    this.total += bytes;
    return value;
  }

  /** Drop every entry (frees the memory) and reset the statistics; the table store keeps its entries. */
  clear(): void {
    this.entries = [];
    this.total = 0;
    this.stats.hits = 0;
    this.stats.misses = 0;
    this.stats.stored = 0;
  }

  /** The value from the table store when it holds this exact key, else computed (and stored). */
  private fromStore(hash: number, key: readonly KeyPart[], compute: () => V): V {
    const store = tableStore;
    if (!store || this.table === undefined) return compute();
    const name = `${this.table}-${hash.toString(16).padStart(8, '0')}.bin`;
    try {
      const bytes = store.read(name);
      if (bytes) {
        let legacy = false;
        const entry = decodeTable(bytes, { inPlace: true, onLegacy: () => { legacy = true; } }) as { key?: KeyPart[]; value?: V };
        if (Array.isArray(entry.key) && entry.value !== undefined && keysEqual(entry.key, key)) {
          this.stats.stored++;
          // Written by an earlier version in the unaligned layout (read by copy): rewritten once, to be viewed in place from then on.
          if (legacy) this.write(store, name, key, entry.value);
          return entry.value;
        }
      }
    } catch {
      // An unreadable entry is a miss; it is overwritten below.
    }
    const value = compute();
    this.write(store, name, key, value);
    return value;
  }

  private write(store: TableStore, name: string, key: readonly KeyPart[], value: V): void {
    try {
      store.write(name, encodeTable({ key, value }));
    } catch {
      // A store that cannot write (read-only, full) only costs the next process the computation.
    }
  }

  /** Bytes held now. */
  get size(): number {
    return this.total;
  }
}

/**
 * Where caches with a table name keep their entries between processes: named byte blobs. Reads
 * and writes are synchronous (a cache answers synchronously); `read` returns undefined when the
 * name is absent, else bytes the cache may keep and view in place (a fresh buffer, or one that is
 * never changed). Writes must be atomic (a reader never sees half an entry).
 */
export interface TableStore {
  read(name: string): Uint8Array | undefined;
  write(name: string, bytes: Uint8Array): void;
}

let tableStore: TableStore | undefined;

/** Install (or with undefined remove) the table store of every named cache. */
export function setTableStore(store: TableStore | undefined): void {
  tableStore = store;
}

function bytesOf(v: KeyArray): Uint8Array {
  return new Uint8Array(v.buffer, v.byteOffset, v.byteLength);
}

function copyPart(p: KeyPart): KeyPart {
  return typeof p === 'object' ? p.slice() : p;
}

/** FNV-1a over the key parts' bytes (arrays: 32-bit words where aligned), with their kinds and lengths. */
function hashKey(key: readonly KeyPart[]): number {
  let h = 0x811c9dc5;
  const mix = (x: number): void => { h = Math.imul(h ^ (x | 0), 0x01000193); };
  for (const p of key) {
    if (typeof p === 'number') { mix(1); const f = new Float64Array([p]); const w = new Uint32Array(f.buffer); mix(w[0]!); mix(w[1]!); continue; }
    if (typeof p === 'string') { mix(2); for (let i = 0; i < p.length; i++) mix(p.charCodeAt(i)); mix(p.length); continue; }
    mix(3); mix(p.BYTES_PER_ELEMENT); mix(p.byteLength);
    const b = bytesOf(p);
    const words = (p.byteOffset & 3) === 0 ? Math.floor(p.byteLength / 4) : 0;
    if (words > 0) {
      const w = new Uint32Array(p.buffer, p.byteOffset, words);
      for (let i = 0; i < words; i++) mix(w[i]!);
    }
    for (let i = words * 4; i < b.length; i++) mix(b[i]!);
  }
  return h >>> 0;
}

function keysEqual(a: readonly KeyPart[], b: readonly KeyPart[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) {
    const x = a[i]!, y = b[i]!;
    if (typeof x !== 'object' || typeof y !== 'object') {
      if (typeof x !== typeof y || (typeof x === 'number' ? !Object.is(x, y) : x !== y)) return false;
      continue;
    }
    if (x.constructor !== y.constructor || x.byteLength !== y.byteLength) return false;
    if (((x.byteOffset | y.byteOffset | x.byteLength) & 3) === 0) {
      const wx = new Uint32Array(x.buffer, x.byteOffset, x.byteLength >> 2), wy = new Uint32Array(y.buffer, y.byteOffset, y.byteLength >> 2);
      for (let k = 0; k < wx.length; k++) if (wx[k] !== wy[k]) return false;
      continue;
    }
    const bx = bytesOf(x), by = bytesOf(y);
    for (let k = 0; k < bx.length; k++) if (bx[k] !== by[k]) return false;
  }
  return true;
}

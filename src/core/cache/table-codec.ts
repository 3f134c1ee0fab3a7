/**
 * A small binary codec for the values the content caches hold (plain objects, arrays, numbers,
 * strings, booleans and typed arrays), so that a cache entry can be kept on disk between processes
 * and read back bit-identical. Little-endian; typed arrays keep their type and bytes exactly.
 *
 * Layout of one value: a tag byte, then
 * - 0 number: float64 · 1 string: uint32 byte length + UTF-8 · 2 boolean: one byte ·
 * - 3 array: uint32 count + the items · 4 object: uint32 count + (string key, value) pairs ·
 * - 5 typed array: one type byte (index in {@link TYPED}) + uint32 byte length + the bytes (written
 *   before 2026-12-08; still read);
 * - 6 typed array, aligned: one type byte + uint32 byte length + one byte p + p zero bytes + the
 *   bytes, p making the bytes start at a multiple of 8 from the start of the encoding, so that a
 *   reader given the encoding at an 8-aligned offset can view them in place.
 */
import { FaceDetailError } from '../errors.js';

/** The platform's UTF-8 codecs (every JS runtime has them; lib ES2022 does not declare them). */
const UTF8 = globalThis as unknown as {
  TextEncoder: new () => { encode(s: string): Uint8Array };
  TextDecoder: new () => { decode(b: Uint8Array): string };
};

const TYPED = [Float32Array, Float64Array, Int32Array, Uint32Array, Uint16Array, Int16Array, Uint8Array, Int8Array] as const;

/** The value as bytes ({@link decodeTable} reads it back). */
export function encodeTable(value: unknown): Uint8Array {
  const w = new Writer();
  write(w, value);
  return w.bytes();
}

/** Options of {@link decodeTable}. */
export interface DecodeTableOptions {
  /**
   * Typed arrays view `bytes` in place where their data is aligned for their type (no copy:
   * reading a 30 MB table then costs no allocation): for bytes the caller owns and never changes
   * (a file just read). Default false: every typed array is an independent copy.
   */
  inPlace?: boolean;
  /** Called once per typed array in the earlier, unaligned layout (tag 5): the caller may rewrite the table. */
  onLegacy?: () => void;
}

/** The value {@link encodeTable} wrote; throws `MODEL_CACHE_INVALID` on bytes it did not write. */
export function decodeTable(bytes: Uint8Array, options: DecodeTableOptions = {}): unknown {
  const r: Reader = { view: new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength), bytes, at: 0, inPlace: options.inPlace === true, onLegacy: options.onLegacy };
  const v = read(r);
  if (r.at !== bytes.length) throw invalid(`${bytes.length - r.at} trailing bytes`);
  return v;
}

function write(w: Writer, v: unknown): void {
  if (typeof v === 'number') { w.u8(0); w.f64(v); return; }
  if (typeof v === 'string') { w.u8(1); w.str(v); return; }
  if (typeof v === 'boolean') { w.u8(2); w.u8(v ? 1 : 0); return; }
  if (ArrayBuffer.isView(v)) {
    const type = TYPED.findIndex((T) => v instanceof T);
    if (type < 0) throw new FaceDetailError('INVALID_OPTION', `encodeTable: unsupported typed array ${v.constructor.name}`);
    w.u8(6); w.u8(type); w.u32(v.byteLength);
    const pad = (8 - ((w.length + 1) % 8)) % 8;
    w.u8(pad);
    for (let i = 0; i < pad; i++) w.u8(0);
    w.raw(new Uint8Array(v.buffer, v.byteOffset, v.byteLength));
    return;
  }
  if (Array.isArray(v)) { w.u8(3); w.u32(v.length); for (const x of v) write(w, x); return; }
  if (v !== null && typeof v === 'object') {
    const entries = Object.entries(v);
    w.u8(4); w.u32(entries.length);
    for (const [k, x] of entries) { w.str(k); write(w, x); }
    return;
  }
  throw new FaceDetailError('INVALID_OPTION', `encodeTable: unsupported value ${String(v)}`);
}

interface Reader { view: DataView; bytes: Uint8Array; at: number; inPlace: boolean; onLegacy: (() => void) | undefined }

function need(r: Reader, n: number): void {
  if (r.at + n > r.bytes.length) throw invalid('truncated');
}

function u32(r: Reader): number {
  need(r, 4);
  const x = r.view.getUint32(r.at, true);
  r.at += 4;
  return x;
}

function str(r: Reader): string {
  const n = u32(r);
  need(r, n);
  const s = new UTF8.TextDecoder().decode(r.bytes.subarray(r.at, r.at + n));
  r.at += n;
  return s;
}

function read(r: Reader): unknown {
  need(r, 1);
  const tag = r.bytes[r.at++]!;
  switch (tag) {
    case 0: { need(r, 8); const x = r.view.getFloat64(r.at, true); r.at += 8; return x; }
    case 1: return str(r);
    case 2: { need(r, 1); return r.bytes[r.at++] === 1; }
    case 3: { const n = u32(r); const out: unknown[] = []; for (let i = 0; i < n; i++) out.push(read(r)); return out; }
    case 4: { const n = u32(r); const out: Record<string, unknown> = {}; for (let i = 0; i < n; i++) { const k = str(r); out[k] = read(r); } return out; }
    case 5:
    case 6: {
      need(r, 1);
      const T = TYPED[r.bytes[r.at++]!];
      if (!T) throw invalid('unknown typed-array type');
      const n = u32(r);
      if (n % T.BYTES_PER_ELEMENT !== 0) throw invalid('typed-array length');
      if (tag === 5) r.onLegacy?.();
      else {
        need(r, 1);
        const pad = r.bytes[r.at++]!;
        if (pad > 7) throw invalid('typed-array padding');
        need(r, pad);
        r.at += pad;
      }
      need(r, n);
      const offset = r.bytes.byteOffset + r.at;
      r.at += n;
      if (r.inPlace && offset % T.BYTES_PER_ELEMENT === 0) return new T(r.bytes.buffer as ArrayBuffer, offset, n / T.BYTES_PER_ELEMENT);
      // A copy: aligned for the view, and independent of the input's buffer (set, not slice: a
      // Node Buffer's slice is a view).
      const copy = new Uint8Array(n);
      copy.set(r.bytes.subarray(r.at - n, r.at));
      return new T(copy.buffer, 0, n / T.BYTES_PER_ELEMENT);
    }
    default: throw invalid(`unknown tag ${tag}`);
  }
}

function invalid(why: string): FaceDetailError {
  return new FaceDetailError('MODEL_CACHE_INVALID', `cached table is not readable (${why}); delete it and it is rebuilt`);
}

/** A growable byte buffer. */
class Writer {
  private buf = new Uint8Array(1 << 16);
  private view = new DataView(this.buf.buffer);
  private n = 0;

  private grow(k: number): void {
    if (this.n + k <= this.buf.length) return;
    let size = this.buf.length;
    while (size < this.n + k) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.buf.subarray(0, this.n));
    this.buf = next;
    this.view = new DataView(next.buffer);
  }

  u8(x: number): void { this.grow(1); this.buf[this.n++] = x; }
  u32(x: number): void { this.grow(4); this.view.setUint32(this.n, x, true); this.n += 4; }
  f64(x: number): void { this.grow(8); this.view.setFloat64(this.n, x, true); this.n += 8; }
  raw(b: Uint8Array): void { this.grow(b.length); this.buf.set(b, this.n); this.n += b.length; }
  str(s: string): void { const b = new UTF8.TextEncoder().encode(s); this.u32(b.length); this.raw(b); }
  get length(): number { return this.n; }
  bytes(): Uint8Array { return this.buf.subarray(0, this.n); }
}

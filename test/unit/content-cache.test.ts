import { describe, expect, it } from 'vitest';
import { ContentCache } from '../../src/core/cache/content-cache.js';

describe('ContentCache', () => {
  it('hits on equal content in a different array, misses on one changed value, type or number', () => {
    const cache = new ContentCache<number>(1 << 20);
    let calls = 0;
    const compute = (v: number) => () => { calls++; return v; };
    const a = new Float32Array([1, 2, 3, 4]);
    expect(cache.get([a, 7], compute(1), () => 8)).toBe(1);
    expect(cache.get([new Float32Array([1, 2, 3, 4]), 7], compute(2), () => 8)).toBe(1); // same bytes
    expect(calls).toBe(1);
    expect(cache.get([new Float32Array([1, 2, 3, 4.5]), 7], compute(3), () => 8)).toBe(3);
    expect(cache.get([new Float32Array([1, 2, 3, 4]), 8], compute(4), () => 8)).toBe(4);
    // Same bytes, other element type: a different key.
    expect(cache.get([new Uint32Array(a.buffer.slice(0)), 7], compute(5), () => 8)).toBe(5);
    expect(cache.get(['7', a], compute(6), () => 8)).toBe(6);
    expect(cache.get([7, a], compute(7), () => 8)).toBe(7); // order matters
    expect(calls).toBe(6);
    expect(cache.stats).toEqual({ hits: 1, misses: 6, stored: 0 });
  });

  it('keeps a copy of the key: changing the caller’s array afterwards does not alias the entry', () => {
    const cache = new ContentCache<string>(1 << 20);
    const a = new Uint8Array([1, 2, 3]);
    cache.get([a], () => 'first', () => 1);
    a[0] = 9;
    expect(cache.get([a], () => 'changed', () => 1)).toBe('changed');
    expect(cache.get([new Uint8Array([1, 2, 3])], () => 'recomputed', () => 1)).toBe('first');
  });

  it('evicts least recently used entries to stay within its byte bound; too-large values are not kept', () => {
    const cache = new ContentCache<number>(100); // each entry below: 30 value bytes + 8 key bytes = 38
    const seen: number[] = [];
    const get = (i: number) => cache.get([i], () => { seen.push(i); return i; }, () => 30);
    get(0); get(1);
    expect(cache.size).toBe(76);
    get(0); // a hit: 0 is now the most recent, 1 the oldest
    get(2); // 114 > 100: evicts 1
    expect(cache.size).toBe(76);
    get(0); get(2); // both kept
    get(1); // recomputed
    expect(seen).toEqual([0, 1, 2, 1]);
    expect(cache.get(['big'], () => 42, () => 1000)).toBe(42);
    expect(cache.get(['big'], () => 43, () => 1000)).toBe(43); // larger than the bound: never kept
    cache.clear();
    expect(cache.size).toBe(0);
    expect(cache.stats).toEqual({ hits: 0, misses: 0, stored: 0 });
  });
});

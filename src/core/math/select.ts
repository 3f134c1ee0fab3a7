/**
 * Order statistics without a full sort: `selectKth` puts the k-th smallest element of a typed
 * array at index k (Hoare partitioning with a median-of-three pivot, an introselect fallback to
 * a heap-free sort of the remaining range when the partitions stop shrinking), in O(n) expected
 * time, versus O(n log n) for `.sort()`. The value it returns is exactly what `arr.sort()[k]`
 * gives (the numeric order of TypedArray.prototype.sort; NaN is not supported, and −0 and +0
 * count as equal).
 */

/** Numeric typed arrays {@link selectKth} works on. */
export type SelectArray = Float64Array | Float32Array | Int32Array | Uint32Array | Uint16Array | Uint8Array;

/**
 * Rearrange `arr` in place so that `arr[k]` is the element a full ascending sort would put
 * there, every element before it is ≤ and every one after it ≥; returns `arr[k]`.
 *
 * @example
 * const median = selectKth(values.slice(), values.length >> 1); // = values.slice().sort()[length >> 1]
 */
export function selectKth(arr: SelectArray, k: number): number {
  const n = arr.length;
  if (!(Number.isInteger(k) && k >= 0 && k < n)) throw new RangeError(`selectKth: k must be an integer in [0, ${n}), got ${k}`);
  let lo = 0, hi = n - 1;
  let budget = 2 * Math.ceil(Math.log2(n + 1)) + 8; // partitions before the sort fallback
  while (hi > lo) {
    if (hi - lo < 16 || budget-- <= 0) {
      arr.subarray(lo, hi + 1).sort();
      return arr[k]!;
    }
    // Median of three as the pivot.
    const mid = (lo + hi) >>> 1;
    let a = arr[lo]!, b = arr[mid]!, c = arr[hi]!;
    if (a > b) { const t = a; a = b; b = t; }
    if (b > c) { b = c; }
    if (a > b) { b = a; }
    const pivot = b;
    let i = lo, j = hi;
    while (i <= j) {
      while (arr[i]! < pivot) i++;
      while (arr[j]! > pivot) j--;
      if (i <= j) { const t = arr[i]!; arr[i] = arr[j]!; arr[j] = t; i++; j--; }
    }
    // [lo, j] ≤ pivot ≤ [i, hi]; between them, elements equal to the pivot.
    if (k <= j) hi = j;
    else if (k >= i) lo = i;
    else return arr[k]!;
  }
  return arr[k]!;
}

/**
 * Small grid filters used by the detail stage: O(1)-per-cell box sums and cell-centred bilinear
 * upsampling on row-major float grids.
 */

/**
 * Box sum with radius `r` (window (2r+1)², cells outside the grid count as 0), separable running
 * sums in double precision. `tmp` (length W·H) is scratch; `out` may alias `src`.
 *
 * @example boxSum(src, 64, 64, 3, out) // out[k] = Σ of src over the 7×7 window around k
 */
export function boxSum(src: ArrayLike<number>, W: number, H: number, r: number, out: Float64Array, tmp?: Float64Array): Float64Array {
  const t = tmp ?? new Float64Array(W * H);
  // Horizontal running sums, into t. Float64 sources (the hot callers) get their own copy of the
  // loop so its loads stay monomorphic.
  if (src instanceof Float64Array) rowSums(src, W, H, r, t);
  else rowSums(src, W, H, r, t);
  // Vertical running sums, a whole row at a time (cache-friendly).
  const acc = new Float64Array(W);
  for (let j = 0; j < Math.min(r, H); j++) {
    const row = j * W;
    for (let i = 0; i < W; i++) acc[i] = acc[i]! + t[row + i]!;
  }
  for (let j = 0; j < H; j++) {
    const add = j + r, sub = j - r - 1, row = j * W;
    const ra = add * W, rs = sub * W;
    if (add < H && sub >= 0) {
      // Both ends inside: one fused pass (the same two operations per column, in the same order).
      for (let i = 0; i < W; i++) { const v = acc[i]! + t[ra + i]! - t[rs + i]!; acc[i] = v; out[row + i] = v; }
      continue;
    }
    if (add < H) for (let i = 0; i < W; i++) acc[i] = acc[i]! + t[ra + i]!;
    if (sub >= 0) for (let i = 0; i < W; i++) acc[i] = acc[i]! - t[rs + i]!;
    out.set(acc, row);
  }
  return out;
}

/**
 * The horizontal pass of {@link boxSum}: per row, the running sum over [i − r, i + r] written to
 * `t` (the same additions in the same order as one loop testing both ends per texel, split into
 * the spans where only the leading end, both or only the trailing end lie inside the row).
 */
const rowSums = <A extends ArrayLike<number>>(src: A, W: number, H: number, r: number, t: Float64Array): void => {
  // i + r < W ⇔ i < addEnd; i − r − 1 ≥ 0 ⇔ i ≥ subStart.
  const addEnd = Math.max(0, Math.min(W, W - r)), subStart = Math.min(W, r + 1);
  const lo = Math.min(addEnd, subStart), hi = Math.max(addEnd, subStart);
  for (let j = 0; j < H; j++) {
    const row = j * W;
    let acc = 0;
    for (let i = 0; i < Math.min(r, W); i++) acc += src[row + i]!;
    let i = 0;
    for (; i < lo; i++) { acc += src[row + i + r]!; t[row + i] = acc; }
    if (addEnd <= subStart) for (; i < hi; i++) t[row + i] = acc;
    else for (; i < hi; i++) { acc += src[row + i + r]!; acc -= src[row + i - r - 1]!; t[row + i] = acc; }
    for (; i < W; i++) { acc -= src[row + i - r - 1]!; t[row + i] = acc; }
  }
};

/**
 * Cell-centred bilinear upsampling of a `Wc`×`Hc` grid with `C` interleaved channels, whose cells
 * are f×f blocks of the `W`×`H` output grid (clamped at the border). Separable tables, so each
 * output value costs 4 reads and 3 lerps.
 *
 * @example upsampleBilinear(coarse, 32, 32, 3, 4, 128, 128, out) // out: 128·128·3
 */
export function upsampleBilinear(
  src: ArrayLike<number>, Wc: number, Hc: number, C: number, f: number, W: number, H: number,
  out: Float32Array | Float64Array,
): void {
  // Horizontal pass on every coarse row (Hc × W·C), then a vertical lerp per output row.
  const rowLen = W * C;
  const tmp = new Float32Array(Hc * rowLen);
  const x0 = new Int32Array(W), x1 = new Int32Array(W), ax = new Float64Array(W);
  for (let i = 0; i < W; i++) {
    let x = (i + 0.5) / f - 0.5;
    if (x < 0) x = 0; else if (x > Wc - 1) x = Wc - 1;
    const i0 = Math.floor(x);
    x0[i] = i0 * C; x1[i] = (i0 < Wc - 1 ? i0 + 1 : i0) * C; ax[i] = x - i0;
  }
  for (let J = 0; J < Hc; J++) {
    const sr = J * Wc * C;
    let o = J * rowLen;
    for (let i = 0; i < W; i++) {
      const a = ax[i]!, s0 = sr + x0[i]!, s1 = sr + x1[i]!;
      for (let c = 0; c < C; c++, o++) {
        const v0 = src[s0 + c]!;
        tmp[o] = v0 + a * (src[s1 + c]! - v0);
      }
    }
  }
  for (let j = 0; j < H; j++) {
    let y = (j + 0.5) / f - 0.5;
    if (y < 0) y = 0; else if (y > Hc - 1) y = Hc - 1;
    const j0 = Math.floor(y), j1 = j0 < Hc - 1 ? j0 + 1 : j0, a = y - j0;
    const r0 = j0 * rowLen, r1 = j1 * rowLen, o = j * rowLen;
    for (let t = 0; t < rowLen; t++) {
      const v0 = tmp[r0 + t]!;
      out[o + t] = v0 + a * (tmp[r1 + t]! - v0);
    }
  }
}

/**
 * Normal-field metrics: per-pixel angular error, a masked Gaussian low-pass, and the
 * "detail-only" error between the high-pass parts of two normal fields. Used by the accuracy
 * benchmark (bench/accuracy) and shipped so users can score their own reconstructions.
 *
 * Fields are flat `Float32Array`s of unit normals, xyz interleaved, one per pixel of a W×H image;
 * masks are one number per pixel (> 0 = inside).
 */

/** Summary statistics of an angular error over the counted pixels. */
export interface AngularErrorStats {
  /** Mean angle, degrees (NaN when no pixel was counted). */
  meanDeg: number;
  /** Median angle, degrees (NaN when no pixel was counted). */
  medianDeg: number;
  /** Root-mean-square angle, degrees. */
  rmsDeg: number;
  /** Largest angle, degrees, and the pixel where it occurs (−1 when none). */
  maxDeg: number;
  maxAt: number;
  /** Number of pixels counted. */
  count: number;
  /** Per-pixel angle in degrees; NaN where not counted. */
  anglesDeg: Float32Array;
}

/** Options of {@link angularError}. */
export interface AngularErrorOptions {
  /** Count only pixels where `mask[p] > 0` (default: every pixel). */
  mask?: ArrayLike<number>;
}

const DEG = 180 / Math.PI;

/**
 * Angle between two normal fields, per pixel and summarised. Vectors need not be unit (they are
 * normalised here); a pixel where either vector is zero or non-finite is not counted. The angle
 * is computed with atan2(|a × b|, a · b), accurate near 0° (unlike acos).
 *
 * @example
 * const e = angularError(gtNormals, ourNormals, { mask: faceMask });
 * console.log(`${e.meanDeg.toFixed(2)}° mean over ${e.count} px`);
 */
export function angularError(a: ArrayLike<number>, b: ArrayLike<number>, options: AngularErrorOptions = {}): AngularErrorStats {
  if (a.length !== b.length || a.length % 3 !== 0) {
    throw new RangeError(`angularError: a and b must have the same length, a multiple of 3; got ${a.length} and ${b.length}`);
  }
  const n = a.length / 3;
  const mask = options.mask;
  if (mask && mask.length !== n) throw new RangeError(`angularError: mask must have ${n} entries (one per normal), got ${mask.length}`);
  const angles = new Float32Array(n).fill(NaN);
  const counted: number[] = [];
  let sum = 0, sum2 = 0, max = -Infinity, maxAt = -1;
  for (let p = 0; p < n; p++) {
    if (mask && !(mask[p]! > 0)) continue;
    const deg = angleBetween(a[3 * p]!, a[3 * p + 1]!, a[3 * p + 2]!, b[3 * p]!, b[3 * p + 1]!, b[3 * p + 2]!);
    if (Number.isNaN(deg)) continue;
    angles[p] = deg;
    counted.push(deg);
    sum += deg; sum2 += deg * deg;
    if (deg > max) { max = deg; maxAt = p; }
  }
  const count = counted.length;
  return {
    meanDeg: count ? sum / count : NaN,
    medianDeg: medianOf(counted),
    rmsDeg: count ? Math.sqrt(sum2 / count) : NaN,
    maxDeg: count ? max : NaN,
    maxAt,
    count,
    anglesDeg: angles,
  };
}

/** Angle in degrees between (ax, ay, az) and (bx, by, bz); NaN if either is zero or not finite. */
export function angleBetween(ax: number, ay: number, az: number, bx: number, by: number, bz: number): number {
  const la = Math.hypot(ax, ay, az), lb = Math.hypot(bx, by, bz);
  if (!(la > 0 && lb > 0) || !Number.isFinite(la + lb)) return NaN;
  const cx = ay * bz - az * by, cy = az * bx - ax * bz, cz = ax * by - ay * bx;
  return Math.atan2(Math.hypot(cx, cy, cz), ax * bx + ay * by + az * bz) * DEG;
}

/** Median of a list of numbers (NaN when empty). Sorts a copy. */
export function medianOf(xs: ArrayLike<number>): number {
  const n = xs.length;
  if (n === 0) return NaN;
  const s = Float64Array.from(xs).sort();
  const m = n >> 1;
  return n % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/**
 * Normalised (masked) Gaussian convolution of a multi-channel field: each output pixel is the
 * Gaussian-weighted mean of the input over the pixels where `weight > 0` (weighted by `weight`),
 * so values outside the mask do not leak in and borders are not darkened. Pixels whose
 * neighbourhood has no weight get 0. Separable, kernel truncated at 3σ.
 *
 * @param field W·H·channels values, interleaved.
 * @param weight W·H non-negative weights (e.g. 0/1 validity).
 * @param sigmaPx standard deviation in pixels (0 = copy of `field` where weight > 0).
 * @example
 * const low = maskedGaussianBlur(normals, 3, W, H, surface, 4);
 */
export function maskedGaussianBlur(
  field: ArrayLike<number>, channels: number, width: number, height: number, weight: ArrayLike<number>, sigmaPx: number,
): Float32Array {
  const W = width, H = height, C = channels;
  if (field.length !== W * H * C) throw new RangeError(`maskedGaussianBlur: field must have ${W * H * C} values, got ${field.length}`);
  if (weight.length !== W * H) throw new RangeError(`maskedGaussianBlur: weight must have ${W * H} values, got ${weight.length}`);
  if (!(sigmaPx >= 0)) throw new RangeError(`maskedGaussianBlur: sigmaPx must be ≥ 0, got ${sigmaPx}`);
  const out = new Float32Array(W * H * C);
  if (sigmaPx === 0) {
    for (let p = 0; p < W * H; p++) if (weight[p]! > 0) for (let c = 0; c < C; c++) out[p * C + c] = field[p * C + c]!;
    return out;
  }
  const r = Math.max(1, Math.ceil(3 * sigmaPx));
  const k = new Float64Array(2 * r + 1);
  for (let i = -r; i <= r; i++) k[i + r] = Math.exp(-(i * i) / (2 * sigmaPx * sigmaPx));
  // Premultiply by the weight, blur value·w and w with the same kernel, divide.
  const C1 = C + 1;
  const a = new Float64Array(W * H * C1);
  for (let p = 0; p < W * H; p++) {
    const w = weight[p]! > 0 ? weight[p]! : 0;
    if (w === 0) continue;
    for (let c = 0; c < C; c++) a[p * C1 + c] = field[p * C + c]! * w;
    a[p * C1 + C] = w;
  }
  const b = new Float64Array(W * H * C1);
  // Horizontal pass.
  for (let y = 0; y < H; y++) {
    for (let x = 0; x < W; x++) {
      const o = (y * W + x) * C1;
      const lo = Math.max(-r, -x), hi = Math.min(r, W - 1 - x);
      for (let i = lo; i <= hi; i++) {
        const kw = k[i + r]!, s = (y * W + x + i) * C1;
        if (a[s + C] === 0) continue;
        for (let c = 0; c < C1; c++) b[o + c]! += kw * a[s + c]!;
      }
    }
  }
  // Vertical pass, then normalise.
  const acc = new Float64Array(C1);
  for (let y = 0; y < H; y++) {
    const lo = Math.max(-r, -y), hi = Math.min(r, H - 1 - y);
    for (let x = 0; x < W; x++) {
      acc.fill(0);
      for (let i = lo; i <= hi; i++) {
        const kw = k[i + r]!, s = ((y + i) * W + x) * C1;
        if (b[s + C] === 0) continue;
        for (let c = 0; c < C1; c++) acc[c]! += kw * b[s + c]!;
      }
      const wsum = acc[C]!;
      if (wsum > 1e-12) for (let c = 0; c < C; c++) out[(y * W + x) * C + c] = acc[c]! / wsum;
    }
  }
  return out;
}

/** Options of {@link detailAngularError}. */
export interface DetailErrorOptions {
  /** σ of the Gaussian low-pass removed from both fields, pixels. @example { sigmaPx: 4 } */
  sigmaPx: number;
  /** Pixels compared (e.g. GT face mask ∧ our surface). */
  mask: ArrayLike<number>;
  /** Where field `a` is defined (its low-pass averages only these); default `mask`. */
  supportA?: ArrayLike<number>;
  /** Where field `b` is defined; default `mask`. */
  supportB?: ArrayLike<number>;
}

/**
 * Detail-only angular error: how well the HIGH-frequency part of normal field `b` matches that of
 * `a` (the ground truth), ignoring any low-frequency (shape) difference.
 *
 * Each field is split as n = n̄ + r, with n̄ its masked Gaussian low-pass
 * ({@link maskedGaussianBlur} over its own support, σ = `sigmaPx`) and r = n − n̄ the high-pass
 * residual. Both residuals are re-attached to the SAME base, the unit low-pass of `a`:
 * d_a = normalize(n̂̄_a + r_a), d_b = normalize(n̂̄_a + r_b), and the angle between d_a and d_b is
 * reported per pixel (≈ |r_a − r_b| in radians for small detail). So two fields that differ only
 * in low frequency score ≈ 0°, and a field with no detail at all (r_b = 0) scores the magnitude
 * of the ground truth's detail — the reference any detail method should beat.
 *
 * @example
 * const d = detailAngularError(gtNormals, ourNormals, W, H, { sigmaPx: 4, mask, supportA: gtSurface, supportB: ourSurface });
 */
export function detailAngularError(
  a: Float32Array, b: Float32Array, width: number, height: number, options: DetailErrorOptions,
): AngularErrorStats {
  const n = width * height;
  if (a.length !== 3 * n || b.length !== 3 * n) throw new RangeError(`detailAngularError: a and b must have ${3 * n} values, got ${a.length} and ${b.length}`);
  const { sigmaPx, mask } = options;
  const hpA = highPassNormals(a, width, height, options.supportA ?? mask, sigmaPx);
  const hpB = highPassNormals(b, width, height, options.supportB ?? mask, sigmaPx);
  return detailErrorFromHighPass(hpA, hpB, mask);
}

/** A normal field split into its masked Gaussian low-pass and the high-pass residual. */
export interface HighPassNormals {
  /** Low-pass n̄ (not renormalised), xyz per pixel. */
  low: Float32Array;
  /** High-pass residual r = n − n̄, xyz per pixel (0 outside the support). */
  residual: Float32Array;
}

/**
 * Split a normal field into low- and high-pass parts: n̄ = {@link maskedGaussianBlur} over
 * `support` with σ = `sigmaPx`, r = n − n̄ (inside the support).
 *
 * @example const { residual } = highPassNormals(normals, W, H, surface, 3);
 */
export function highPassNormals(n: Float32Array, width: number, height: number, support: ArrayLike<number>, sigmaPx: number): HighPassNormals {
  const low = maskedGaussianBlur(n, 3, width, height, support, sigmaPx);
  const residual = new Float32Array(n.length);
  for (let p = 0; p < width * height; p++) {
    if (!(support[p]! > 0)) continue;
    for (let c = 0; c < 3; c++) residual[3 * p + c] = n[3 * p + c]! - low[3 * p + c]!;
  }
  return { low, residual };
}

/** {@link detailAngularError} from precomputed high-pass splits (`a` is the reference). */
export function detailErrorFromHighPass(a: HighPassNormals, b: HighPassNormals, mask: ArrayLike<number>): AngularErrorStats {
  const n = mask.length;
  const da = new Float32Array(3 * n), db = new Float32Array(3 * n);
  for (let p = 0; p < n; p++) {
    if (!(mask[p]! > 0)) continue;
    const o = 3 * p;
    const l = Math.hypot(a.low[o]!, a.low[o + 1]!, a.low[o + 2]!);
    if (!(l > 1e-6)) continue;
    for (let c = 0; c < 3; c++) {
      const base = a.low[o + c]! / l;
      da[o + c] = base + a.residual[o + c]!;
      db[o + c] = base + b.residual[o + c]!;
    }
  }
  return angularError(da, db, { mask });
}

/**
 * Correlation of two high-pass normal fields over a mask: Σ r_a·r_b / √(Σ|r_a|² Σ|r_b|²), in
 * [−1, 1]. 1 = the same detail up to a positive gain, 0 = unrelated, < 0 = inverted (e.g. a
 * flipped normal-map channel). Complements the detail angle, which also punishes a wrong gain.
 * Also returns the gain Σ r_a·r_b / Σ |r_a|² (the least-squares scale of r_a that best explains
 * r_b; 1 = right amplitude) and the rms ratio √(Σ|r_b|² / Σ|r_a|²).
 *
 * @example const { correlation } = highPassCorrelation(gtHp.residual, ourHp.residual, mask);
 */
export function highPassCorrelation(a: Float32Array, b: Float32Array, mask: ArrayLike<number>): { correlation: number; gain: number; rmsRatio: number } {
  let ab = 0, aa = 0, bb = 0;
  for (let p = 0; p < mask.length; p++) {
    if (!(mask[p]! > 0)) continue;
    for (let c = 0; c < 3; c++) {
      const x = a[3 * p + c]!, y = b[3 * p + c]!;
      ab += x * y; aa += x * x; bb += y * y;
    }
  }
  return { correlation: aa > 0 && bb > 0 ? ab / Math.sqrt(aa * bb) : NaN, gain: aa > 0 ? ab / aa : NaN, rmsRatio: aa > 0 ? Math.sqrt(bb / aa) : NaN };
}

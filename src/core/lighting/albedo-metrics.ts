/**
 * Metrics of albedo colour quality (used by `bench/albedo` and the tests; shipped so users can
 * score their own albedos):
 * - {@link albedoDeltaE}: CIEDE2000 against a known albedo, after the best global gain (the
 *   albedo's scale, and with `gain: 'per-channel'` its white balance, are not observable from one
 *   photo: they trade against the light's intensity and mean colour).
 * - {@link chromaOutlierFraction}: without ground truth, the fraction of skin texels whose chroma
 *   (a*, b*) is an outlier of the face's own skin chroma distribution: robust Mahalanobis distance
 *   above `threshold` (3) under a minimum-covariance-determinant style estimate of the centre and
 *   covariance. Colour streaks (green lids, magenta brows, white chins) are exactly such outliers;
 *   a clean skin albedo has ≈ 1 % (a 2-D Gaussian puts e^(−4.5) = 1.1 % beyond d = 3).
 */
import { deltaE2000, linearRgbToLab } from './color.js';
import { REC709_LUMA, luminance } from '../image/image.js';

/** Options of {@link albedoDeltaE}. */
export interface AlbedoDeltaEOptions {
  /**
   * Global normalisation of `ours` before comparing: `'scalar'` one gain g (best mean ΔE) for
   * all channels; `'per-channel'` a gain per channel (the median ratio truth/ours per channel,
   * i.e. a white balance), then the best common factor.
   */
  gain: 'scalar' | 'per-channel';
  /** ΔE above which a sample counts as wrong (`fractionAbove`). Default 10. */
  threshold: number;
  /** At most this many samples (every k-th) are used to search the gain. Default 20 000. */
  searchSamples: number;
  /** Golden-section iterations of the gain search. Default 40. */
  searchIterations: number;
}

/** Result of {@link albedoDeltaE}. */
export interface AlbedoDeltaE {
  /** Mean ΔE₀₀ over the samples. */
  mean: number;
  /** Median ΔE₀₀. */
  median: number;
  /** Fraction of samples with ΔE₀₀ > threshold. */
  fractionAbove: number;
  /**
   * The same two numbers for colour alone: ΔE₀₀ with our lightness L* replaced by the truth's
   * (hue and chroma errors only; lightness errors come from unmodelled shadows and highlights).
   */
  chromaMean: number;
  chromaFractionAbove: number;
  /** The gain applied to `ours` per channel (linear). */
  gain: [number, number, number];
  /** Number of samples compared. */
  count: number;
}

/**
 * CIEDE2000 between an estimated and a known linear-RGB albedo sampled at the same points,
 * after the best global gain on the estimate.
 *
 * @param ours Linear RGB, 3 per sample.
 * @param truth Linear RGB, 3 per sample (same count).
 * @example
 * const e = albedoDeltaE(oursLinear, truthLinear, { gain: 'scalar' });
 * e.mean; e.fractionAbove; // e.g. 4.1, 0.013
 */
export function albedoDeltaE(ours: ArrayLike<number>, truth: ArrayLike<number>, options: Partial<AlbedoDeltaEOptions> = {}): AlbedoDeltaE {
  const gainMode = options.gain ?? 'scalar';
  const threshold = options.threshold ?? 10;
  const n = Math.floor(Math.min(ours.length, truth.length) / 3);
  if (n === 0) return { mean: NaN, median: NaN, fractionAbove: NaN, chromaMean: NaN, chromaFractionAbove: NaN, gain: [1, 1, 1], count: 0 };
  const tLab = new Float64Array(3 * n), lab = new Float64Array(3);
  for (let i = 0; i < n; i++) {
    linearRgbToLab(truth[3 * i]!, truth[3 * i + 1]!, truth[3 * i + 2]!, lab);
    tLab[3 * i] = lab[0]!; tLab[3 * i + 1] = lab[1]!; tLab[3 * i + 2] = lab[2]!;
  }
  const base: [number, number, number] = [1, 1, 1];
  if (gainMode === 'per-channel') {
    for (let c = 0; c < 3; c++) {
      const r: number[] = [];
      for (let i = 0; i < n; i++) { const o = ours[3 * i + c]!; if (o > 1e-6) r.push(truth[3 * i + c]! / o); }
      base[c] = r.length ? medianOf(r) : 1;
    }
    const m = (base[0] + base[1] + base[2]) / 3;
    for (let c = 0; c < 3; c++) base[c] = base[c]! / m;
  }
  // Search the common factor on a subsample (≤ 20 000 samples), golden section on log g.
  const step = Math.max(1, Math.floor(n / (options.searchSamples ?? 20000)));
  const meanAt = (g: number): number => {
    let s = 0, k = 0;
    for (let i = 0; i < n; i += step) {
      linearRgbToLab(g * base[0] * ours[3 * i]!, g * base[1] * ours[3 * i + 1]!, g * base[2] * ours[3 * i + 2]!, lab);
      s += deltaE2000(lab[0]!, lab[1]!, lab[2]!, tLab[3 * i]!, tLab[3 * i + 1]!, tLab[3 * i + 2]!);
      k++;
    }
    return s / k;
  };
  // Start from the ratio of mean luminances.
  let yo = 0, yt = 0;
  for (let i = 0; i < n; i++) {
    yo += REC709_LUMA[0] * base[0] * ours[3 * i]! + REC709_LUMA[1] * base[1] * ours[3 * i + 1]! + REC709_LUMA[2] * base[2] * ours[3 * i + 2]!;
    yt += luminance(truth[3 * i]!, truth[3 * i + 1]!, truth[3 * i + 2]!);
  }
  const g0 = yo > 0 ? yt / yo : 1;
  const g = Math.exp(goldenMin((x) => meanAt(Math.exp(x)), Math.log(g0) - Math.log(3), Math.log(g0) + Math.log(3), options.searchIterations ?? 40));
  const gain: [number, number, number] = [g * base[0], g * base[1], g * base[2]];
  const de = new Float64Array(n);
  let sum = 0, above = 0, sumC = 0, aboveC = 0;
  for (let i = 0; i < n; i++) {
    linearRgbToLab(gain[0] * ours[3 * i]!, gain[1] * ours[3 * i + 1]!, gain[2] * ours[3 * i + 2]!, lab);
    const d = deltaE2000(lab[0]!, lab[1]!, lab[2]!, tLab[3 * i]!, tLab[3 * i + 1]!, tLab[3 * i + 2]!);
    de[i] = d; sum += d;
    if (d > threshold) above++;
    const dc = deltaE2000(tLab[3 * i]!, lab[1]!, lab[2]!, tLab[3 * i]!, tLab[3 * i + 1]!, tLab[3 * i + 2]!);
    sumC += dc;
    if (dc > threshold) aboveC++;
  }
  de.sort();
  return {
    mean: sum / n, median: n % 2 ? de[n >> 1]! : 0.5 * (de[(n >> 1) - 1]! + de[n >> 1]!), fractionAbove: above / n,
    chromaMean: sumC / n, chromaFractionAbove: aboveC / n, gain, count: n,
  };
}

function medianOf(xs: number[]): number {
  const s = Float64Array.from(xs).sort();
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : 0.5 * (s[m - 1]! + s[m]!);
}

/** Minimise a unimodal f on [a, b] by golden-section search; returns the argmin. */
function goldenMin(f: (x: number) => number, a: number, b: number, iterations: number): number {
  const r = (Math.sqrt(5) - 1) / 2;
  let c = b - r * (b - a), d = a + r * (b - a);
  let fc = f(c), fd = f(d);
  for (let i = 0; i < iterations; i++) {
    if (fc < fd) { b = d; d = c; fd = fc; c = b - r * (b - a); fc = f(c); }
    else { a = c; c = d; fc = fd; d = a + r * (b - a); fd = f(d); }
  }
  return (a + b) / 2;
}

/** Options of {@link chromaOutlierFraction}. */
export interface ChromaOutlierOptions {
  /** Robust Mahalanobis distance in (a*, b*) above which a texel is an outlier. Default 3. */
  threshold: number;
  /** Fraction of the texels kept by each concentration step of the robust estimate. Default 0.75. */
  keep: number;
  /**
   * Floor of the chroma standard deviation, a*b* units (added to the covariance's diagonal as
   * its square), so a nearly grey face (a colourised or black-and-white photo) does not turn JPEG
   * noise into outliers. Default 2.
   */
  minSigma: number;
  /** Concentration steps. Default 10. */
  iterations: number;
}

/** Defaults of {@link ChromaOutlierOptions}. @public */
export const CHROMA_OUTLIER_DEFAULTS: Readonly<ChromaOutlierOptions> = Object.freeze({ threshold: 3, keep: 0.75, minSigma: 2, iterations: 10 });

/** Result of {@link chromaOutlierFraction}. */
export interface ChromaOutliers {
  /** Fraction of the selected texels whose robust Mahalanobis distance exceeds the threshold. */
  fraction: number;
  /** Number of texels scored. */
  count: number;
  /** Robust centre (a*, b*). */
  centre: [number, number];
  /** Robust covariance [aa, ab, bb] (consistency-corrected, floor included). */
  covariance: [number, number, number];
  /** Per texel (same layout as the mask) 1 where an outlier, else 0. */
  outliers: Uint8Array;
}

/**
 * Fraction of the masked texels of a linear-RGB image whose CIELAB chroma (a*, b*) is an outlier
 * of the masked texels' own distribution.
 *
 * Definition (the one `bench/albedo` reports): the texels with `mask > 0.5` are converted to
 * CIELAB (D65); the centre and covariance of (a*, b*) are estimated robustly: start at the
 * coordinate-wise median and MAD, then `iterations` concentration steps (the `keep` fraction of
 * texels with the smallest Mahalanobis distance give the new mean and covariance, the latter
 * divided by the Gaussian consistency factor `1 − q(1−h)/(2h)`, q = −2 ln(1 − h), h = `keep`);
 * `minSigma²` is added to the diagonal. A texel is an outlier when its distance d satisfies
 * d > `threshold`.
 *
 * @param image Linear RGB (≥ 3 channels).
 * @param mask Per texel; > 0.5 = scored (e.g. the skin mask).
 * @example
 * const { fraction } = chromaOutlierFraction(albedoLinear, skinMask); // 0.012
 */
export function chromaOutlierFraction(
  image: { width: number; height: number; channels: number; data: ArrayLike<number> },
  mask: ArrayLike<number>,
  options: Partial<ChromaOutlierOptions> = {},
): ChromaOutliers {
  const o = { ...CHROMA_OUTLIER_DEFAULTS };
  for (const [k, v] of Object.entries(options)) if (v !== undefined) (o as Record<string, number>)[k] = v as number;
  const N = image.width * image.height, C = image.channels, d = image.data;
  const idx: number[] = [];
  for (let k = 0; k < N; k++) if (mask[k]! > 0.5) idx.push(k);
  const n = idx.length;
  const outliers = new Uint8Array(N);
  if (n < 3) return { fraction: NaN, count: n, centre: [NaN, NaN], covariance: [NaN, NaN, NaN], outliers };
  const A = new Float64Array(n), B = new Float64Array(n), lab = new Float64Array(3);
  for (let i = 0; i < n; i++) {
    const k = idx[i]!;
    linearRgbToLab(d[k * C]!, d[k * C + 1]!, d[k * C + 2]!, lab);
    A[i] = lab[1]!; B[i] = lab[2]!;
  }
  const med = (v: Float64Array): number => { const s = Float64Array.from(v).sort(); return s[s.length >> 1]!; };
  let ma = med(A), mb = med(B);
  const dev = new Float64Array(n);
  for (let i = 0; i < n; i++) dev[i] = Math.abs(A[i]! - ma);
  const sa = 1.4826 * med(dev);
  for (let i = 0; i < n; i++) dev[i] = Math.abs(B[i]! - mb);
  const sb = 1.4826 * med(dev);
  const floor = o.minSigma * o.minSigma;
  let caa = sa * sa + floor, cab = 0, cbb = sb * sb + floor;
  const h = Math.min(0.99, Math.max(0.5, o.keep));
  const q = -2 * Math.log(1 - h), consistency = 1 - (q * (1 - h)) / (2 * h);
  const d2 = new Float64Array(n), sorted = new Float64Array(n);
  const mahal = (): void => {
    const det = caa * cbb - cab * cab;
    const iaa = cbb / det, iab = -cab / det, ibb = caa / det;
    for (let i = 0; i < n; i++) {
      const x = A[i]! - ma, y = B[i]! - mb;
      d2[i] = iaa * x * x + 2 * iab * x * y + ibb * y * y;
    }
  };
  for (let it = 0; it < o.iterations; it++) {
    mahal();
    sorted.set(d2); sorted.sort();
    const cut = sorted[Math.min(n - 1, Math.floor(h * n))]!;
    let m = 0, sA = 0, sB = 0;
    for (let i = 0; i < n; i++) if (d2[i]! <= cut) { m++; sA += A[i]!; sB += B[i]!; }
    ma = sA / m; mb = sB / m;
    let xx = 0, xy = 0, yy = 0;
    for (let i = 0; i < n; i++) {
      if (d2[i]! > cut) continue;
      const x = A[i]! - ma, y = B[i]! - mb;
      xx += x * x; xy += x * y; yy += y * y;
    }
    caa = xx / m / consistency + floor; cab = xy / m / consistency; cbb = yy / m / consistency + floor;
  }
  mahal();
  const t2 = o.threshold * o.threshold;
  let count = 0;
  for (let i = 0; i < n; i++) if (d2[i]! > t2) { count++; outliers[idx[i]!] = 1; }
  return { fraction: count / n, count: n, centre: [ma, mb], covariance: [caa, cab, cbb], outliers };
}

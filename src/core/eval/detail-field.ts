/**
 * Detail-field metrics (detail benchmark v2): how well a method's fine detail matches the ground
 * truth's, measured in the image with the method's own camera, independently of its proxy shape.
 *
 * The *detail field* of a reconstruction is the per-pixel difference of two unit normal fields
 * rendered from the same camera: the detailed mesh's normals minus its own proxy's normals
 * ({@link detailField}). The ground truth's is the detailed minus the smooth ground-truth normals.
 * Comparing the two fields removes the proxy's error (which dominates the full normal error) and
 * makes "no detail" score exactly 0: a zero field has no correlation with anything.
 *
 * Metrics ({@link evaluateDetailField}):
 * - `r`: Pearson correlation of the two 3-vector fields (components pooled) over the mask, after a
 *   σ = 1 px masked Gaussian blur of both, at the best integer shift of the method's field within
 *   ±3 px (a method is not punished for a sub-pixel misregistration of its camera);
 * - `rWrinkle`: the same on band-passed fields keeping features 1.5–6 mm wide (difference of
 *   Gaussians with σ = width / 4: 0.375 mm and 1.5 mm), i.e. wrinkles, not folds or pores; its
 *   shift is searched within ±1 px of the full field's;
 * - crease precision / recall / F1: creases are valleys deeper than 0.1 mm of a displacement image
 *   (depth below its morphological closing with a square of half-side 3 mm, {@link valleyDepth}); a predicted
 *   crease pixel is right when a true one lies within 1.5 mm, and vice versa;
 * - `normalGainDeg`: mean angle of the detailed normals to the ground truth's detailed normals
 *   minus that of the method's proxy normals (negative = the detail helps).
 *
 * Fields are flat Float32Arrays (xyz per pixel), masks one number per pixel (> 0 = inside).
 * Isomorphic.
 */
import { angleBetween, maskedGaussianBlur } from './angular-error.js';

/** Options of {@link evaluateDetailField}. */
export interface DetailFieldOptions {
  /** σ of the blur before correlating, pixels. Default 1. */
  blurPx?: number;
  /** Largest shift searched, pixels (each axis). Default 3. */
  maxShiftPx?: number;
  /** Band of the wrinkle correlation: feature widths in mm. Default [1.5, 6]. */
  wrinkleBandMm?: [number, number];
  /** Crease threshold: valley depth, mm. Default 0.1. */
  creaseDepthMm?: number;
  /** Crease matching tolerance, mm. Default 1.5. */
  creaseToleranceMm?: number;
  /** Half-side of the closing square that defines the valley depth, mm. Default 3. */
  closingRadiusMm?: number;
}

/** Defaults of {@link DetailFieldOptions}. */
export const DETAIL_FIELD_DEFAULTS = Object.freeze({
  blurPx: 1, maxShiftPx: 3, wrinkleBandMm: [1.5, 6] as [number, number], creaseDepthMm: 0.1, creaseToleranceMm: 1.5, closingRadiusMm: 3,
});

/** Inputs of {@link evaluateDetailField}: one image of W×H pixels, mm per pixel at the face. */
export interface DetailFieldInputs {
  width: number;
  height: number;
  /** Size of a pixel on the face, mm (e.g. the ground truth's median). */
  mmPerPixel: number;
  /** Pixels scored (skin mask ∧ both surfaces rendered). */
  mask: ArrayLike<number>;
  /** Ground truth: detail field (detailed − smooth normals), detailed normals, displacement image (mm; NaN unknown). */
  gtField: Float32Array;
  gtDetailed: Float32Array;
  gtDisplacement?: Float32Array;
  /** Method: detail field (detailed − its proxy's normals), detailed and proxy normals, its displacement image. */
  field: Float32Array;
  detailed: Float32Array;
  proxy: Float32Array;
  displacement?: Float32Array;
  /** Optional region label per pixel (0 = none, k = region k) for per-region scores. */
  regions?: ArrayLike<number>;
}

/** Scores of one method on one image. */
export interface DetailFieldScores {
  r: number;
  /** Best shift of the method's field, pixels. */
  shift: [number, number];
  rWrinkle: number;
  /**
   * The method's detail amplitude relative to the ground truth's: RMS of its (σ-blurred) detail
   * field over RMS of the truth's, over the pixels r scores. 1 = the right strength, 0 = no detail;
   * r is blind to it (a method at a tenth of the true strength keeps its r).
   */
  amplitude: number;
  creasePrecision: number;
  creaseRecall: number;
  creaseF1: number;
  normalGainDeg: number;
  /** Pixels scored. */
  count: number;
  /** Per region label (as given in `regions`): r (at the global best shift) and crease F1. */
  regions: Record<number, { r: number; creaseF1: number; count: number }>;
}

/**
 * Detail field of two normal fields: detailed − base per pixel (0 outside `mask`).
 *
 * @example const f = detailField(detailedNormals, proxyNormals, mask);
 */
export function detailField(detailed: Float32Array, base: Float32Array, mask: ArrayLike<number>): Float32Array {
  if (detailed.length !== base.length || detailed.length !== 3 * mask.length) {
    throw new RangeError(`detailField: detailed and base must have 3 values per mask pixel (${3 * mask.length}), got ${detailed.length} and ${base.length}`);
  }
  const out = new Float32Array(detailed.length);
  for (let p = 0; p < mask.length; p++) {
    if (!(mask[p]! > 0)) continue;
    for (let c = 0; c < 3; c++) out[3 * p + c] = detailed[3 * p + c]! - base[3 * p + c]!;
  }
  return out;
}

/**
 * Pearson correlation of two 3-vector fields (components pooled) over `mask`, comparing a(p) with
 * b(p + shift) for every integer shift within ±`maxShift` px; returns the best. A field with no
 * variance gives r = 0 (not NaN): "no detail" correlates with nothing.
 *
 * @example const { r, dx, dy } = bestShiftCorrelation(gt, ours, W, H, mask, 3);
 */
export function bestShiftCorrelation(
  a: Float32Array, b: Float32Array, width: number, height: number, mask: ArrayLike<number>, maxShift: number,
): { r: number; dx: number; dy: number } {
  let best = { r: -Infinity, dx: 0, dy: 0 };
  for (let dy = -maxShift; dy <= maxShift; dy++) {
    for (let dx = -maxShift; dx <= maxShift; dx++) {
      const r = shiftedCorrelation(a, b, width, height, mask, dx, dy);
      if (r > best.r || (r === best.r && Math.abs(dx) + Math.abs(dy) < Math.abs(best.dx) + Math.abs(best.dy))) best = { r, dx, dy };
    }
  }
  return best;
}

/** Pearson r of a(p) and b(p + (dx, dy)) over pixels where both p and p + shift are in the mask (and `sub`, if given). */
export function shiftedCorrelation(
  a: Float32Array, b: Float32Array, W: number, H: number, mask: ArrayLike<number>, dx: number, dy: number, sub?: (p: number) => boolean,
): number {
  let n = 0, sa = 0, sb = 0, saa = 0, sbb = 0, sab = 0;
  for (let y = Math.max(0, -dy); y < Math.min(H, H - dy); y++) {
    for (let x = Math.max(0, -dx); x < Math.min(W, W - dx); x++) {
      const p = y * W + x, q = p + dy * W + dx;
      if (!(mask[p]! > 0) || !(mask[q]! > 0)) continue;
      if (sub && !sub(p)) continue;
      for (let c = 0; c < 3; c++) {
        const u = a[3 * p + c]!, v = b[3 * q + c]!;
        n++; sa += u; sb += v; saa += u * u; sbb += v * v; sab += u * v;
      }
    }
  }
  if (n < 2) return 0;
  const va = saa - (sa * sa) / n, vb = sbb - (sb * sb) / n, cov = sab - (sa * sb) / n;
  if (!(va > 1e-18 * n) || !(vb > 1e-18 * n)) return 0;
  return cov / Math.sqrt(va * vb);
}

/** RMS of b(p + shift) over RMS of a(p), over pixels where both p and p + shift are in the mask (0 when a has no detail). */
function rmsRatio(a: Float32Array, b: Float32Array, W: number, H: number, mask: ArrayLike<number>, dx: number, dy: number): number {
  let saa = 0, sbb = 0;
  for (let y = Math.max(0, -dy); y < Math.min(H, H - dy); y++) {
    for (let x = Math.max(0, -dx); x < Math.min(W, W - dx); x++) {
      const p = y * W + x, q = p + dy * W + dx;
      if (!(mask[p]! > 0) || !(mask[q]! > 0)) continue;
      for (let c = 0; c < 3; c++) { saa += a[3 * p + c]! ** 2; sbb += b[3 * q + c]! ** 2; }
    }
  }
  return saa > 0 ? Math.sqrt(sbb / saa) : 0;
}

/**
 * Band-pass of a 3-vector field: masked Gaussian at σ_lo minus masked Gaussian at σ_hi (pixels).
 *
 * @example const band = bandPassField(field, W, H, mask, 1.2, 4.8);
 */
export function bandPassField(f: Float32Array, W: number, H: number, mask: ArrayLike<number>, sigmaLoPx: number, sigmaHiPx: number): Float32Array {
  const lo = maskedGaussianBlur(f, 3, W, H, mask, sigmaLoPx), hi = maskedGaussianBlur(f, 3, W, H, mask, sigmaHiPx);
  for (let i = 0; i < lo.length; i++) lo[i]! -= hi[i]!;
  return lo;
}

/**
 * Valley depth of a displacement image (mm): its morphological closing (dilation then erosion with
 * a square of half-side `radiusPx`, separable) minus itself, ≥ 0; 0 where `valid` is 0 or the value
 * is not finite. A groove narrower than the square gets its full depth; broad shape changes none.
 *
 * @example const depth = valleyDepth(dispMm, W, H, valid, 3 / mmPerPixel);
 */
export function valleyDepth(d: Float32Array, W: number, H: number, valid: ArrayLike<number>, radiusPx: number): Float32Array {
  const r = Math.max(1, Math.round(radiusPx));
  const src = new Float32Array(W * H);
  // Outside the valid area: use −∞ for the dilation (ignored) and +∞ for the erosion.
  for (let p = 0; p < W * H; p++) src[p] = valid[p]! > 0 && Number.isFinite(d[p]!) ? d[p]! : -Infinity;
  const dil = minMax2D(src, W, H, r, true);
  for (let p = 0; p < W * H; p++) if (!(valid[p]! > 0 && Number.isFinite(d[p]!))) dil[p] = Infinity;
  const clo = minMax2D(dil, W, H, r, false);
  const out = new Float32Array(W * H);
  for (let p = 0; p < W * H; p++) {
    if (!(valid[p]! > 0 && Number.isFinite(d[p]!))) continue;
    const v = clo[p]! - d[p]!;
    out[p] = Number.isFinite(v) && v > 0 ? v : 0;
  }
  return out;
}

/** Separable running max (dilate) or min (erode) over a (2r+1)² square. */
function minMax2D(src: Float32Array, W: number, H: number, r: number, max: boolean): Float32Array {
  const tmp = new Float32Array(W * H), out = new Float32Array(W * H);
  const pick = max ? Math.max : Math.min;
  for (let y = 0; y < H; y++) {
    for (let x = 0; x < W; x++) {
      let v = max ? -Infinity : Infinity;
      for (let i = Math.max(0, x - r); i <= Math.min(W - 1, x + r); i++) v = pick(v, src[y * W + i]!);
      tmp[y * W + x] = v;
    }
  }
  for (let y = 0; y < H; y++) {
    for (let x = 0; x < W; x++) {
      let v = max ? -Infinity : Infinity;
      for (let j = Math.max(0, y - r); j <= Math.min(H - 1, y + r); j++) v = pick(v, tmp[j * W + x]!);
      out[y * W + x] = v;
    }
  }
  return out;
}

/**
 * Exact Euclidean distance (pixels) from every pixel to the nearest pixel where `seed` is set
 * (Felzenszwalb–Huttenlocher, two 1D passes); +Infinity when there is none.
 *
 * @example const dist = distanceTransform(creases, W, H);
 */
export function distanceTransform(seed: ArrayLike<number>, W: number, H: number): Float32Array {
  const INF = 1e20;
  const g = new Float64Array(W * H);
  for (let p = 0; p < W * H; p++) g[p] = seed[p]! > 0 ? 0 : INF;
  const f = new Float64Array(Math.max(W, H)), d = new Float64Array(Math.max(W, H));
  const v = new Int32Array(Math.max(W, H)), z = new Float64Array(Math.max(W, H) + 1);
  const pass = (n: number): void => {
    let k = 0; v[0] = 0; z[0] = -Infinity; z[1] = Infinity;
    for (let q = 1; q < n; q++) {
      let s = ((f[q]! + q * q) - (f[v[k]!]! + v[k]! * v[k]!)) / (2 * q - 2 * v[k]!);
      while (s <= z[k]!) { k--; s = ((f[q]! + q * q) - (f[v[k]!]! + v[k]! * v[k]!)) / (2 * q - 2 * v[k]!); }
      k++; v[k] = q; z[k] = s; z[k + 1] = Infinity;
    }
    k = 0;
    for (let q = 0; q < n; q++) { while (z[k + 1]! < q) k++; d[q] = (q - v[k]!) ** 2 + f[v[k]!]!; }
  };
  for (let x = 0; x < W; x++) { for (let y = 0; y < H; y++) f[y] = g[y * W + x]!; pass(H); for (let y = 0; y < H; y++) g[y * W + x] = d[y]!; }
  const out = new Float32Array(W * H);
  for (let y = 0; y < H; y++) { for (let x = 0; x < W; x++) f[x] = g[y * W + x]!; pass(W); for (let x = 0; x < W; x++) out[y * W + x] = d[x]! >= INF / 2 ? Infinity : Math.sqrt(d[x]!); }
  return out;
}

/**
 * Crease precision / recall / F1 with a distance tolerance: precision = share of predicted crease
 * pixels (in the mask) within `tolPx` of a true one; recall = share of true crease pixels within
 * `tolPx` of a predicted one. No predicted creases: precision 0 (nothing right), recall 0, F1 0.
 *
 * @example const { f1 } = creaseScores(gtCrease, ourCrease, W, H, mask, 1.5 / mmPerPixel);
 */
export function creaseScores(
  gt: Uint8Array, pred: Uint8Array, W: number, H: number, mask: ArrayLike<number>, tolPx: number, sub?: (p: number) => boolean,
): { precision: number; recall: number; f1: number; gtCount: number; predCount: number } {
  const dg = distanceTransform(gt, W, H), dp = distanceTransform(pred, W, H);
  let np = 0, tp = 0, ng = 0, tg = 0;
  for (let p = 0; p < W * H; p++) {
    if (!(mask[p]! > 0) || (sub && !sub(p))) continue;
    if (pred[p]) { np++; if (dg[p]! <= tolPx) tp++; }
    if (gt[p]) { ng++; if (dp[p]! <= tolPx) tg++; }
  }
  const precision = np ? tp / np : 0, recall = ng ? tg / ng : 0;
  return { precision, recall, f1: precision + recall > 0 ? (2 * precision * recall) / (precision + recall) : 0, gtCount: ng, predCount: np };
}

/** Crease pixels of a displacement image: valley depth > threshold. */
export function creaseMask(disp: Float32Array | undefined, W: number, H: number, mask: ArrayLike<number>, mmPerPixel: number, o: Required<DetailFieldOptions>): Uint8Array {
  const out = new Uint8Array(W * H);
  if (!disp) return out;
  const depth = valleyDepth(disp, W, H, mask, o.closingRadiusMm / mmPerPixel);
  for (let p = 0; p < W * H; p++) if (mask[p]! > 0 && depth[p]! > o.creaseDepthMm) out[p] = 1;
  return out;
}

/**
 * All detail-field scores of one method on one image (see the file comment).
 *
 * @example
 * const s = evaluateDetailField({ width: W, height: H, mmPerPixel, mask, gtField, gtDetailed, gtDisplacement, field, detailed, proxy, displacement });
 * console.log(s.r, s.rWrinkle, s.creaseF1, s.normalGainDeg);
 */
export function evaluateDetailField(inp: DetailFieldInputs, options: DetailFieldOptions = {}): DetailFieldScores {
  const o: Required<DetailFieldOptions> = { ...DETAIL_FIELD_DEFAULTS };
  for (const [k, v] of Object.entries(options)) if (v !== undefined) (o as Record<string, unknown>)[k] = v;
  const { width: W, height: H, mask } = inp;
  const n = W * H;
  for (const [name, f] of [['gtField', inp.gtField], ['gtDetailed', inp.gtDetailed], ['field', inp.field], ['detailed', inp.detailed], ['proxy', inp.proxy]] as const) {
    if (f.length !== 3 * n) throw new RangeError(`evaluateDetailField: ${name} must have ${3 * n} values (3 per pixel), got ${f.length}`);
  }
  if (mask.length !== n) throw new RangeError(`evaluateDetailField: mask must have ${n} values, got ${mask.length}`);
  const gB = maskedGaussianBlur(inp.gtField, 3, W, H, mask, o.blurPx), mB = maskedGaussianBlur(inp.field, 3, W, H, mask, o.blurPx);
  const best = bestShiftCorrelation(gB, mB, W, H, mask, o.maxShiftPx);
  const sLo = Math.max(0.5, o.wrinkleBandMm[0] / 4 / inp.mmPerPixel), sHi = Math.max(sLo + 0.5, o.wrinkleBandMm[1] / 4 / inp.mmPerPixel);
  const gW = bandPassField(inp.gtField, W, H, mask, sLo, sHi), mW = bandPassField(inp.field, W, H, mask, sLo, sHi);
  // The wrinkle band's shift: searched within ±1 px of the full field's best shift (the same registration).
  let bestW = { r: -Infinity, dx: best.dx, dy: best.dy };
  for (let dy = best.dy - 1; dy <= best.dy + 1; dy++) for (let dx = best.dx - 1; dx <= best.dx + 1; dx++) {
    if (Math.abs(dx) > o.maxShiftPx || Math.abs(dy) > o.maxShiftPx) continue;
    const r = shiftedCorrelation(gW, mW, W, H, mask, dx, dy);
    if (r > bestW.r) bestW = { r, dx, dy };
  }
  const gtC = creaseMask(inp.gtDisplacement, W, H, mask, inp.mmPerPixel, o), prC = creaseMask(inp.displacement, W, H, mask, inp.mmPerPixel, o);
  const tolPx = o.creaseToleranceMm / inp.mmPerPixel;
  const cs = creaseScores(gtC, prC, W, H, mask, tolPx);
  let sD = 0, sP = 0, cnt = 0;
  for (let p = 0; p < n; p++) {
    if (!(mask[p]! > 0)) continue;
    const g = inp.gtDetailed, d = inp.detailed, q = inp.proxy;
    const ad = angleBetween(g[3 * p]!, g[3 * p + 1]!, g[3 * p + 2]!, d[3 * p]!, d[3 * p + 1]!, d[3 * p + 2]!);
    const ap = angleBetween(g[3 * p]!, g[3 * p + 1]!, g[3 * p + 2]!, q[3 * p]!, q[3 * p + 1]!, q[3 * p + 2]!);
    if (!Number.isFinite(ad) || !Number.isFinite(ap)) continue;
    sD += ad; sP += ap; cnt++;
  }
  const regions: DetailFieldScores['regions'] = {};
  if (inp.regions) {
    const labels = new Set<number>();
    for (let p = 0; p < n; p++) if (mask[p]! > 0 && inp.regions[p]! > 0) labels.add(inp.regions[p]!);
    for (const k of [...labels].sort((a, b) => a - b)) {
      const sub = (p: number): boolean => inp.regions![p] === k;
      let c = 0;
      for (let p = 0; p < n; p++) if (mask[p]! > 0 && sub(p)) c++;
      regions[k] = { r: shiftedCorrelation(gB, mB, W, H, mask, best.dx, best.dy, sub), creaseF1: creaseScores(gtC, prC, W, H, mask, tolPx, sub).f1, count: c };
    }
  }
  return {
    r: best.r, shift: [best.dx, best.dy], rWrinkle: bestW.r, amplitude: rmsRatio(gB, mB, W, H, mask, best.dx, best.dy),
    creasePrecision: cs.precision, creaseRecall: cs.recall, creaseF1: cs.f1,
    normalGainDeg: cnt ? (sD - sP) / cnt : NaN, count: cnt, regions,
  };
}

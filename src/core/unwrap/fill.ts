/**
 * Completion of an unwrapped texture: texels the photo did not show (well) are taken from the
 * symmetric texel on the other side of the face when that one was seen ("mirror fill"), and what
 * is still missing is inpainted smoothly (a membrane / Laplace fill) — which also pads the map a
 * few texels beyond the chart so bilinear and mipmapped lookups at the border never meet black.
 *
 * Final confidence encoding (one channel, [0, 1]), see {@link fillTexture}:
 * - directly seen texel (own weight c, no mirror help): `c` (the unwrap confidence, unchanged);
 * - mirror-filled (own c, mirror weight w_m, see {@link FillOptions.mirrorOwnMax}):
 *   `c + MIRROR_CONFIDENCE · w_m` with MIRROR_CONFIDENCE = 0.5 — a purely mirrored texel is worth at
 *   most half a directly seen one;
 * - inpainted, padding, outside the chart: `0`.
 * The `source` array tells the cases apart exactly ({@link FILL_SOURCE}).
 */
import { FaceDetailError } from '../errors.js';
import { sampleBilinear } from '../image/image.js';
import { multigridVCycle, type MultigridCycle } from '../numeric/index.js';
import type { Image } from '../types.js';

/** Weight of a purely mirrored texel in the final confidence, relative to a directly seen one. */
const MIRROR_CONFIDENCE = 0.5;

/** Codes of the per-texel `source` array of {@link FillResult}. */
export const FILL_SOURCE = {
  /** Outside the chart and beyond the padding band: a smooth extension, no meaning. */
  outside: 0,
  /** Mostly the photo's own observation of this texel (own weight ≥ mirror weight). */
  direct: 1,
  /** Mostly the mirrored texel's colour (mirror weight > own weight). */
  mirror: 2,
  /** Inside the chart, membrane-inpainted from the surroundings. */
  inpainted: 3,
  /** Outside the chart within `padTexels`: membrane-extended padding. */
  padding: 4,
} as const;

/** Options of {@link fillTexture}. */
export interface FillOptions {
  /**
   * Own confidence at and above which a texel gets no mirror contribution. Below it the mirror
   * weight is `w_m = c_m · (1 − c / mirrorOwnMax)` (c: own confidence, c_m: the mirror texel's),
   * and the colour is the weighted mean `(c·own + w_m·gain·mirror) / (c + w_m)`.
   * @example { mirrorOwnMax: 0.3 } // only mirror into texels seen at < 30 % confidence
   */
  mirrorOwnMax: number;
  /**
   * Match the mirrored colours' low-frequency level to this side's lighting: a per-channel gain
   * `Σ w·own / Σ w·mirror` over cells of `gainCell` where both sides were seen (w = c·c_m),
   * membrane-extrapolated over cells where they were not, bilinearly interpolated per texel.
   * @example { mirrorGain: false } // copy mirrored colours as they are
   */
  mirrorGain: boolean;
  /** Size of a gain cell as a fraction of the map width (rounded to a power-of-two texel count): 1/32 → 32 texels at 1024². */
  gainCell: number;
  /** A gain cell is measured (not extrapolated) when its overlap weight Σ c·c_m reaches this fraction of its area. */
  gainMinOverlap: number;
  /** Clamp of the gain, per channel: [1/gainMax, gainMax]. @example { gainMax: 1.5 } */
  gainMax: number;
  /** Texels whose combined weight `c + w_m` is below this are inpainted instead of trusted. */
  knownThreshold: number;
  /** Width of the padding band beyond the chart (Chebyshev distance, texels) that gets a true membrane fill; the rest of the map gets a cheaper smooth extension. */
  padTexels: number;
  /** Membrane solver: SOR sweeps of its cascadic start at full resolution ({@link MembraneOptions.iterations}). */
  iterations: number;
  /**
   * Membrane solver: multigrid V-cycles ({@link MembraneOptions.cycles}); each cuts the error
   * about 4×. 2 leaves < 3e-3 of the colour range on rough borders.
   * @example { cycles: 4 } // closer to the exact harmonic fill (error ≈ 2e-4), slower
   */
  cycles: number;
}

/** Defaults of {@link FillOptions}. @public */
export const FILL_DEFAULTS: Readonly<FillOptions> = Object.freeze({
  mirrorOwnMax: 0.5,
  mirrorGain: true,
  gainCell: 1 / 32,
  gainMinOverlap: 0.1,
  gainMax: 2,
  knownThreshold: 0.02,
  padTexels: 16,
  iterations: 4,
  cycles: 2,
});

/** Output of {@link fillTexture}. */
export interface FillResult {
  /** Completed texture, same channels as the input; every texel defined. */
  texture: Image;
  /** Final confidence, 1 channel, encoded as described in the module docs. */
  confidence: Image;
  /** How each texel was obtained, {@link FILL_SOURCE} codes. */
  source: Uint8Array;
}

/**
 * Complete an unwrapped texture: mirror fill (when `mirrorUV` is given), then a membrane fill of
 * every texel still without a trusted value, over the chart and a padding band around it.
 * Texels with combined weight ≥ `knownThreshold` keep their (possibly mirror-blended) colour
 * exactly; a texel with own confidence ≥ `mirrorOwnMax` keeps its input colour exactly.
 *
 * @param texture unwrapped colours (any channel count, usually sRGB RGB in [0,1]).
 * @param confidence per-texel own confidence in [0,1] (`width*height`), e.g. `unwrapTexture`'s.
 * @param coverage 1 where the chart covers the texel (`UVGeometry.coverage`).
 * @param mirrorUV per texel the (u, v) of the symmetric surface point (v down), NaN where unknown;
 *   `undefined` to skip the mirror fill.
 * @example
 * const geom = rasterizeUV(mesh, 1024, 1024);
 * const mirrorUV = rasterizeAttribute(geom, mesh, vertexMirrorUV, 2, undefined, NaN);
 * const raw = unwrapTexture(photo, camera, mesh, geom, { fill: false });
 * const done = fillTexture(raw.texture, raw.confidence.data, geom.coverage, mirrorUV);
 */
export function fillTexture(
  texture: Image,
  confidence: Float32Array,
  coverage: Uint8Array,
  mirrorUV?: Float32Array,
  options: Partial<FillOptions> = {},
): FillResult {
  const p = prepareFill(texture, confidence, coverage, mirrorUV, options);
  return { texture: { ...p.blended, data: runMembrane(p.membrane) }, confidence: p.confidence, source: p.source };
}

/** One {@link membraneFill} call as plain data (typed arrays and numbers only), e.g. for another thread. */
export interface MembraneJob {
  /** `width*height*channels` interleaved values; the `fixed` ones are kept (not modified). */
  values: Float32Array;
  width: number;
  height: number;
  channels: number;
  fixed: Uint8Array;
  options: MembraneOptions;
}

/** Run a {@link MembraneJob}: exactly {@link membraneFill} on its fields. */
export function runMembrane(job: MembraneJob): Float32Array {
  return membraneFill(job.values, job.width, job.height, job.channels, job.fixed, job.options);
}

/**
 * {@link fillTexture} up to its membrane solve: everything but the inpainted texels is final.
 * `blended` holds the final colour of every texel of `membrane.fixed` (own or mirror-blended,
 * exactly as in the filled texture; elsewhere a placeholder), and `confidence` is 0 off those
 * texels, so whatever reads only texels of non-zero confidence (the lighting fit) may start
 * while `runMembrane(membrane)` fills the rest (another thread). `fillTexture` =
 * `blended` with its data replaced by `runMembrane(membrane)`.
 *
 * @example
 * const p = prepareFill(raw.texture, raw.confidence.data, geom.coverage, mirrorUV);
 * const filled: Image = { ...p.blended, data: runMembrane(p.membrane) };
 */
export function prepareFill(
  texture: Image,
  confidence: Float32Array,
  coverage: Uint8Array,
  mirrorUV?: Float32Array,
  options: Partial<FillOptions> = {},
): PreparedFill {
  const o = resolveFillOptions(options);
  const { width: W, height: H, channels: C } = texture;
  const n = W * H;
  if (confidence.length !== n || coverage.length !== n || texture.data.length !== n * C) {
    throw new FaceDetailError('INVALID_OPTION', `fillTexture: texture (${W}×${H}×${C}, ${texture.data.length} values), confidence (${confidence.length}) and coverage (${coverage.length}) must describe the same ${W}×${H} map`);
  }
  if (mirrorUV && mirrorUV.length !== 2 * n) {
    throw new FaceDetailError('INVALID_OPTION', `fillTexture: mirrorUV must hold 2 numbers per texel (${2 * n}), got ${mirrorUV.length}`);
  }
  const T = texture.data;
  // Own weight: the confidence clamped to [0,1], 0 off the chart.
  const c = new Float32Array(n);
  for (let k = 0; k < n; k++) {
    const v = confidence[k]!;
    c[k] = coverage[k] && v > 0 ? (v < 1 ? v : 1) : 0;
  }

  const colour = new Float32Array(T); // blended colour (own, or own + mirror)
  const wMirror = new Float32Array(n);
  if (mirrorUV) mirrorBlend(T, W, H, C, c, coverage, mirrorUV, o, colour, wMirror);

  // Known texels (trusted, kept) and the region solved by the membrane.
  const fixed = new Uint8Array(n);
  const conf = new Float32Array(n);
  const source = new Uint8Array(n);
  for (let k = 0; k < n; k++) {
    if (!coverage[k]) continue;
    const w = c[k]! + wMirror[k]!;
    if (w >= o.knownThreshold && w > 0) {
      fixed[k] = 1;
      conf[k] = c[k]! + MIRROR_CONFIDENCE * wMirror[k]!;
      source[k] = c[k]! >= wMirror[k]! ? FILL_SOURCE.direct : FILL_SOURCE.mirror;
    } else {
      source[k] = FILL_SOURCE.inpainted;
    }
  }
  const band = dilateChebyshev(coverage, W, H, Math.max(0, Math.floor(o.padTexels)));
  const active = new Uint8Array(n);
  for (let k = 0; k < n; k++) {
    if (fixed[k]) continue;
    if (band[k]) {
      active[k] = 1;
      if (!coverage[k]) source[k] = FILL_SOURCE.padding;
    }
  }
  return {
    blended: { width: W, height: H, channels: C, data: colour },
    confidence: { width: W, height: H, channels: 1, data: conf },
    source,
    membrane: { values: colour, width: W, height: H, channels: C, fixed, options: { iterations: o.iterations, cycles: o.cycles, active } },
  };
}

/** Output of {@link prepareFill}. */
export interface PreparedFill {
  /** The texture before the membrane solve: final at the `membrane.fixed` texels (shares `membrane.values`). */
  blended: Image;
  /** Final confidence ({@link FillResult.confidence}). */
  confidence: Image;
  /** Final sources ({@link FillResult.source}). */
  source: Uint8Array;
  /** The membrane solve that completes `blended`. */
  membrane: MembraneJob;
}

/** Options of {@link membraneFill}. */
export interface MembraneOptions {
  /**
   * Red–black SOR sweeps of the initial cascadic pass at full resolution (2× at half
   * resolution, 4× coarser). Default 4.
   */
  iterations?: number;
  /** Multigrid V-cycles after the cascadic pass (2 pre- and 2 post-smoothing sweeps per level). Default 2. */
  cycles?: number;
  /**
   * Texels (1) to solve; other non-fixed texels keep a coarse smooth extension and act as
   * Neumann boundaries (cheaper for large irrelevant areas). Default: every non-fixed texel.
   */
  active?: Uint8Array;
}

/** One level of the multigrid hierarchy. */
interface MGLevel {
  w: number;
  h: number;
  /** 1: counts as a neighbour in the stencil (solved or Dirichlet); else a Neumann boundary. */
  use: Uint8Array;
  /** Neighbour count in the stencil per texel. */
  cnt: Uint8Array;
  /**
   * V-cycle unknowns: free when some child is and no child is Dirichlet, so the boundary never
   * moves inward at coarse levels (the correction is 0 on and next to the data).
   */
  free: Uint8Array;
  /** Free texels of `free`: [red interior, red other, black interior, black other]. */
  lists: Int32Array[];
  /**
   * Cascadic unknowns: free when any child is, so a partly known cell is solved, not pinned to
   * the mean of its known children (their centroid is off the cell centre: pinning biased the
   * start by up to half a coarse texel of slope).
   */
  cfree: Uint8Array;
  clists: Int32Array[];
  /** Mean of the data under each texel (Dirichlet values), for the cascadic start. */
  data: Float32Array;
  has: Uint8Array;
}

/**
 * Membrane (Laplace) inpainting: values at `fixed` texels are kept bit-exactly; every other texel
 * gets the solution of ∇²x = 0 (5-point stencil, Neumann at the map border) with the fixed texels
 * as Dirichlet data, so holes take smooth colours from their border and a linear ramp is
 * reproduced exactly (it is discrete-harmonic).
 *
 * Solver: geometric multigrid on the masked grid. A pyramid halves the grid down to 1×1. A
 * cascadic pass gives the start: the data's mean at 1×1, then per finer level bilinear
 * upsampling + red–black SOR. Then V-cycles (the shared `multigridVCycle`) on the residual equation (red–black Gauss–Seidel
 * smoothing, residuals summed over children, bilinear prolongation of the correction; a coarse
 * texel with any Dirichlet child is Dirichlet, so the correction vanishes at the data).
 * Measured on a 96×80 map with a 60-texel hole in rough border data (amplitude 0.4), max error
 * against the converged fill: cascadic alone 3e-2 after 12 sweeps, 1e-2 after 48; cascadic 4
 * sweeps + 1/2/3/4 V-cycles: 1e-2 / 2.5e-3 / 7e-4 / 2e-4. Coarse texels pinned to the mean of
 * their known children (instead of solved) made the cycles diverge on a 1-texel Dirichlet ring.
 * A linear ramp across a 400-texel hole in a 1024² map is reproduced to 5e-6. Cost at 1024² with
 * 220k unknowns: ≈150 ms (2-core machine under load). With no fixed texel the result is 0.
 *
 * @param values `width*height*channels` interleaved values (not modified).
 * @param fixed 1 where a value is known.
 * @returns a new array with the fill.
 * @example
 * const out = membraneFill(rgb, 256, 256, 3, knownMask);
 */
export function membraneFill(
  values: Float32Array,
  width: number,
  height: number,
  channels: number,
  fixed: Uint8Array,
  options: MembraneOptions = {},
): Float32Array {
  const iterations = Math.max(0, Math.round(options.iterations ?? 4));
  const cycles = Math.max(0, Math.round(options.cycles ?? 2));
  const C = channels;
  const n = width * height;
  if (values.length !== n * C || fixed.length !== n) {
    throw new FaceDetailError('INVALID_OPTION', `membraneFill: values (${values.length}) and fixed (${fixed.length}) must hold ${n * C} and ${n} entries for ${width}×${height}×${C}`);
  }
  const free0 = new Uint8Array(n), use0 = new Uint8Array(n);
  const act = options.active;
  for (let k = 0; k < n; k++) {
    if (fixed[k]) use0[k] = 1;
    else if (!act || act[k]) { free0[k] = 1; use0[k] = 1; }
  }
  const x = new Float32Array(n * C);
  for (let k = 0; k < n; k++) {
    if (!fixed[k]) continue;
    for (let ch = 0; ch < C; ch++) x[k * C + ch] = values[k * C + ch]!;
  }
  const levels: MGLevel[] = [makeLevel(width, height, use0, free0, free0, x, fixed)];
  for (;;) {
    const f = levels[levels.length - 1]!;
    if (f.w === 1 && f.h === 1) break;
    levels.push(coarsen(f, C));
  }

  // Cascadic start: coarse-to-fine, each level initialised from the coarser one.
  let coarse = levels[levels.length - 1]!.data.slice();
  for (let l = levels.length - 2; l >= 0; l--) {
    const f = levels[l]!, g = levels[l + 1]!;
    const v = l === 0 ? x : f.data.slice();
    prolongInto(v, f, coarse, g, C, false, true);
    smooth(v, null, f, f.clists, C, Math.min(4 * iterations, iterations << Math.min(l, 2)), 1.5);
    coarse = v;
  }

  // V-cycles on the residual equation.
  if (cycles > 0 && levels.length > 1) {
    const cycle = membraneCycle(levels, C);
    for (let c = 0; c < cycles; c++) multigridVCycle(cycle, 0, null, x, 'given');
  }
  return x;
}

/**
 * The hierarchy for the shared V-cycle: 2 red–black Gauss–Seidel sweeps before and after the
 * coarse correction, 8 on the coarsest level; the level-0 right-hand side is 0 (`null`).
 */
function membraneCycle(levels: MGLevel[], C: number): MultigridCycle<Float32Array, null> {
  const last = levels[levels.length - 1]!;
  return {
    levels: levels.length,
    rhs: levels.map((L) => new Float32Array(L.w * L.h * C)),
    iterate: levels.map((L) => new Float32Array(L.w * L.h * C)),
    smooth: (l, b, x) => smooth(x, b, levels[l]!, levels[l]!.lists, C, 2, 1),
    restrictResidual: (l, b, x, bc) => { residualRestrict(x, b, levels[l]!, levels[l + 1]!, C, bc); },
    prolongAdd: (l, xc, x) => prolongInto(x, levels[l]!, xc, levels[l + 1]!, C, true),
    solveCoarsest: (b, x) => smooth(x, b, last, last.lists, C, 8, 1),
  };
}

function makeLevel(w: number, h: number, use: Uint8Array, free: Uint8Array, cfree: Uint8Array, data: Float32Array, has: Uint8Array): MGLevel {
  const n = w * h;
  const cnt = new Uint8Array(n);
  const buckets: number[][] = [[], [], [], []], cbuckets: number[][] = [[], [], [], []];
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const k = y * w + x;
      const l = x > 0 && use[k - 1] ? 1 : 0, r = x < w - 1 && use[k + 1] ? 1 : 0;
      const u = y > 0 && use[k - w] ? 1 : 0, d = y < h - 1 && use[k + w] ? 1 : 0;
      cnt[k] = l + r + u + d;
      const slot = 2 * ((x + y) & 1) + (cnt[k] === 4 ? 0 : 1);
      if (free[k]) buckets[slot]!.push(k);
      if (cfree[k]) cbuckets[slot]!.push(k);
    }
  }
  const toLists = (b: number[][]) => b.map((v) => Int32Array.from(v));
  return { w, h, use, cnt, free, lists: toLists(buckets), cfree, clists: toLists(cbuckets), data, has };
}

/** The next coarser level (see {@link MGLevel} for the rules); data = mean of children with data. */
function coarsen(f: MGLevel, C: number): MGLevel {
  const w = (f.w + 1) >> 1, h = (f.h + 1) >> 1, n = w * h;
  const use = new Uint8Array(n), anyFree = new Uint8Array(n), anyDir = new Uint8Array(n), cfree = new Uint8Array(n);
  const has = new Uint8Array(n), num = new Uint8Array(n);
  const data = new Float32Array(n * C);
  for (let y = 0; y < f.h; y++) {
    const row = (y >> 1) * w;
    for (let x = 0; x < f.w; x++) {
      const fk = y * f.w + x, ck = row + (x >> 1);
      use[ck] = use[ck]! | f.use[fk]!;
      anyFree[ck] = anyFree[ck]! | f.free[fk]!;
      if (f.use[fk] && !f.free[fk]) anyDir[ck] = 1;
      cfree[ck] = cfree[ck]! | f.cfree[fk]!;
      if (!f.has[fk]) continue;
      num[ck]!++;
      for (let ch = 0; ch < C; ch++) data[ck * C + ch] = data[ck * C + ch]! + f.data[fk * C + ch]!;
    }
  }
  const free = new Uint8Array(n);
  for (let ck = 0; ck < n; ck++) {
    free[ck] = anyFree[ck]! & (anyDir[ck]! ^ 1);
    const c = num[ck]!;
    if (c === 0) continue;
    has[ck] = 1;
    if (c > 1) for (let ch = 0; ch < C; ch++) data[ck * C + ch] = data[ck * C + ch]! / c;
  }
  return makeLevel(w, h, use, free, cfree, data, has);
}

/**
 * Red–black relaxation of `cnt·v_i − Σ_j v_j = rhs_i` (rhs null: 0) over the free texels of
 * `L`, neighbours j restricted to used texels; ω = 1 is Gauss–Seidel, > 1 SOR.
 */
function smooth(v: Float32Array, rhs: Float32Array | null, L: MGLevel, lists: Int32Array[], C: number, sweeps: number, omega: number): void {
  const { w, h, use, cnt } = L;
  const n = w * h, rowC = w * C, om4 = omega / 4;
  for (let it = 0; it < sweeps; it++) {
    for (let colour = 0; colour < 2; colour++) {
      const inner = lists[2 * colour]!, other = lists[2 * colour + 1]!;
      if (C === 3 && !rhs) {
        // The hot path (full resolution, RGB).
        for (let i = 0; i < inner.length; i++) {
          const o = inner[i]! * 3;
          const s0 = v[o - 3]! + v[o + 3]! + v[o - rowC]! + v[o + rowC]!;
          const s1 = v[o - 2]! + v[o + 4]! + v[o + 1 - rowC]! + v[o + 1 + rowC]!;
          const s2 = v[o - 1]! + v[o + 5]! + v[o + 2 - rowC]! + v[o + 2 + rowC]!;
          v[o] = v[o]! + om4 * (s0 - 4 * v[o]!);
          v[o + 1] = v[o + 1]! + om4 * (s1 - 4 * v[o + 1]!);
          v[o + 2] = v[o + 2]! + om4 * (s2 - 4 * v[o + 2]!);
        }
      } else {
        for (let i = 0; i < inner.length; i++) {
          const b = inner[i]! * C;
          for (let ch = 0; ch < C; ch++) {
            const o = b + ch;
            let s = v[o - C]! + v[o + C]! + v[o - rowC]! + v[o + rowC]!;
            if (rhs) s += rhs[o]!;
            v[o] = v[o]! + om4 * (s - 4 * v[o]!);
          }
        }
      }
      for (let i = 0; i < other.length; i++) {
        const k = other[i]!;
        const c = cnt[k]!;
        if (c === 0) continue;
        const x = k % w;
        const left = x > 0 && use[k - 1] === 1, right = x < w - 1 && use[k + 1] === 1;
        const up = k >= w && use[k - w] === 1, down = k < n - w && use[k + w] === 1;
        const b = k * C, inv = omega / c;
        for (let ch = 0; ch < C; ch++) {
          let s = rhs ? rhs[b + ch]! : 0;
          if (left) s += v[b - C + ch]!;
          if (right) s += v[b + C + ch]!;
          if (up) s += v[b - rowC + ch]!;
          if (down) s += v[b + rowC + ch]!;
          const cur = v[b + ch]!;
          v[b + ch] = cur + (s * inv - omega * cur);
        }
      }
    }
  }
}

/**
 * Residual r = rhs + Σ_j v_j − cnt·v on the free texels of `f`, summed over each coarse texel's
 * children into `out` (the coarse right-hand side: coarse spacing 2 → ×4 on the mean).
 */
function residualRestrict(v: Float32Array, rhs: Float32Array | null, f: MGLevel, g: MGLevel, C: number, out: Float32Array): Float32Array {
  out.fill(0);
  const { w, h, use, cnt } = f;
  const n = w * h, rowC = w * C;
  for (let li = 0; li < 4; li++) {
    const list = f.lists[li]!;
    if ((li & 1) === 0) {
      // Interior texels: all 4 neighbours in the stencil.
      for (let i = 0; i < list.length; i++) {
        const k = list[i]!;
        const x = k % w, y = (k - x) / w;
        const b = k * C;
        const ck = ((y >> 1) * g.w + (x >> 1)) * C;
        for (let ch = 0; ch < C; ch++) {
          const o = b + ch;
          const r = (rhs ? rhs[o]! : 0) + v[o - C]! + v[o + C]! + v[o - rowC]! + v[o + rowC]! - 4 * v[o]!;
          out[ck + ch] = out[ck + ch]! + r;
        }
      }
      continue;
    }
    for (let i = 0; i < list.length; i++) {
      const k = list[i]!;
      const x = k % w, y = (k - x) / w;
      const left = x > 0 && use[k - 1] === 1, right = x < w - 1 && use[k + 1] === 1;
      const up = k >= w && use[k - w] === 1, down = k < n - w && use[k + w] === 1;
      const b = k * C, c = cnt[k]!;
      const ck = ((y >> 1) * g.w + (x >> 1)) * C;
      for (let ch = 0; ch < C; ch++) {
        let s = rhs ? rhs[b + ch]! : 0;
        if (left) s += v[b - C + ch]!;
        if (right) s += v[b + C + ch]!;
        if (up) s += v[b - rowC + ch]!;
        if (down) s += v[b + rowC + ch]!;
        out[ck + ch] = out[ck + ch]! + s - c * v[b + ch]!;
      }
    }
  }
  return out;
}

/**
 * Bilinear interpolation of the coarse field `gv` at the free texels of `f` (with `cascadic`:
 * its cascadic unknowns and the texels outside the stencil, the smooth extension beyond the
 * solved region):
 * added to `v` when `add` (a correction), written otherwise (a start value).
 */
function prolongInto(v: Float32Array, f: MGLevel, gv: Float32Array, g: { w: number; h: number }, C: number, add: boolean, cascadic = false): void {
  if (add && !cascadic) {
    // Corrections: only the free texels, from their lists.
    const gw = g.w, gh = g.h;
    for (const list of f.lists) {
      for (let i = 0; i < list.length; i++) {
        const k = list[i]!;
        const x = k % f.w, y = (k - x) / f.w;
        // Factor-2 bilinear: the nearer coarse texel weighs 3/4 along each axis.
        const cx = x >> 1, cy = y >> 1;
        let x1 = x & 1 ? cx + 1 : cx - 1, y1 = y & 1 ? cy + 1 : cy - 1;
        if (x1 < 0) x1 = 0; else if (x1 > gw - 1) x1 = gw - 1;
        if (y1 < 0) y1 = 0; else if (y1 > gh - 1) y1 = gh - 1;
        const i00 = (cy * gw + cx) * C, i10 = (cy * gw + x1) * C, i01 = (y1 * gw + cx) * C, i11 = (y1 * gw + x1) * C;
        const b = k * C;
        for (let ch = 0; ch < C; ch++) {
          v[b + ch] = v[b + ch]! + 0.5625 * gv[i00 + ch]! + 0.1875 * (gv[i10 + ch]! + gv[i01 + ch]!) + 0.0625 * gv[i11 + ch]!;
        }
      }
    }
    return;
  }
  const free = cascadic ? f.cfree : f.free;
  for (let y = 0; y < f.h; y++) {
    let gy = (y + 0.5) / 2 - 0.5;
    if (gy < 0) gy = 0; else if (gy > g.h - 1) gy = g.h - 1;
    const y0 = Math.floor(gy), y1 = y0 < g.h - 1 ? y0 + 1 : y0, ay = gy - y0;
    for (let x = 0; x < f.w; x++) {
      const k = y * f.w + x;
      if (!free[k] && (!cascadic || f.use[k])) continue;
      let gx = (x + 0.5) / 2 - 0.5;
      if (gx < 0) gx = 0; else if (gx > g.w - 1) gx = g.w - 1;
      const x0 = Math.floor(gx), x1 = x0 < g.w - 1 ? x0 + 1 : x0, ax = gx - x0;
      const w00 = (1 - ax) * (1 - ay), w10 = ax * (1 - ay), w01 = (1 - ax) * ay, w11 = ax * ay;
      const i00 = (y0 * g.w + x0) * C, i10 = (y0 * g.w + x1) * C, i01 = (y1 * g.w + x0) * C, i11 = (y1 * g.w + x1) * C;
      for (let ch = 0; ch < C; ch++) {
        const val = w00 * gv[i00 + ch]! + w10 * gv[i10 + ch]! + w01 * gv[i01 + ch]! + w11 * gv[i11 + ch]!;
        v[k * C + ch] = add ? v[k * C + ch]! + val : val;
      }
    }
  }
}

/** 1 where some set texel lies within Chebyshev distance `r` (separable running max). */
function dilateChebyshev(mask: Uint8Array, w: number, h: number, r: number): Uint8Array {
  const n = w * h;
  const out = new Uint8Array(n);
  if (r <= 0) { out.set(mask); return out; }
  const rows = new Uint8Array(n);
  const dist = new Int32Array(Math.max(w, h));
  for (let y = 0; y < h; y++) dilateLine(mask, rows, y * w, 1, w, r, dist);
  for (let x = 0; x < w; x++) dilateLine(rows, out, x, w, h, r, dist);
  return out;
}

/** One line of {@link dilateChebyshev}: `len` texels from `start` with step `stride`. */
function dilateLine(src: Uint8Array, dst: Uint8Array, start: number, stride: number, len: number, r: number, dist: Int32Array): void {
  const BIG = 1 << 30;
  let d = BIG;
  for (let i = 0; i < len; i++) { d = src[start + i * stride] ? 0 : d + 1; dist[i] = d; }
  d = BIG;
  for (let i = len - 1; i >= 0; i--) {
    d = src[start + i * stride] ? 0 : d + 1;
    if (Math.min(d, dist[i]!) <= r) dst[start + i * stride] = 1;
  }
}

/**
 * Confidence-weighted (premultiplied) bilinear sample of texture `T` at texel coordinates of
 * uv (u, v): writes the colour to `out` and returns the interpolated confidence (0 where the
 * footprint holds no confidence; then `out` is untouched). Unseen neighbours of a seen texel
 * therefore do not bleed into the sample.
 */
function sampleWeighted(T: Float32Array, c: Float32Array, W: number, H: number, C: number, u: number, v: number, out: Float64Array): number {
  const fx = u * W - 0.5, fy = v * H - 0.5;
  const x0 = Math.floor(fx), y0 = Math.floor(fy);
  const ax = fx - x0, ay = fy - y0;
  let wsum = 0;
  for (let ch = 0; ch < C; ch++) out[ch] = 0;
  for (let dy = 0; dy < 2; dy++) {
    const yy = y0 + dy;
    if (yy < 0 || yy >= H) continue;
    const wy = dy ? ay : 1 - ay;
    for (let dx = 0; dx < 2; dx++) {
      const xx = x0 + dx;
      if (xx < 0 || xx >= W) continue;
      const q = yy * W + xx;
      const wq = (dx ? ax : 1 - ax) * wy * c[q]!;
      if (!(wq > 0)) continue;
      wsum += wq;
      for (let ch = 0; ch < C; ch++) out[ch] = out[ch]! + wq * T[q * C + ch]!;
    }
  }
  if (wsum > 0) for (let ch = 0; ch < C; ch++) out[ch] = out[ch]! / wsum;
  return wsum;
}

/**
 * Mirror stage of {@link fillTexture}: for every covered texel with own confidence below
 * `mirrorOwnMax` and a seen mirror texel, writes the blended colour into `colour` and the mirror
 * weight w_m into `wMirror`.
 */
function mirrorBlend(
  T: Float32Array, W: number, H: number, C: number,
  c: Float32Array, coverage: Uint8Array, mirrorUV: Float32Array,
  o: FillOptions,
  colour: Float32Array, wMirror: Float32Array,
): void {
  const n = W * H;
  const m = new Float64Array(C);
  const gain = o.mirrorGain ? logGainGrid(T, W, H, C, c, coverage, mirrorUV, o) : null;
  const g = new Float64Array(C).fill(1);
  for (let k = 0; k < n; k++) {
    const own = c[k]!;
    if (!coverage[k] || own >= o.mirrorOwnMax) continue;
    const u = mirrorUV[2 * k]!, v = mirrorUV[2 * k + 1]!;
    if (!(Number.isFinite(u) && Number.isFinite(v))) continue;
    const cm = sampleWeighted(T, c, W, H, C, u, v, m);
    const wm = cm * (1 - own / o.mirrorOwnMax);
    if (!(wm > 0)) continue;
    wMirror[k] = wm;
    if (gain) gainAt(gain, k % W, Math.floor(k / W), C, g);
    const inv = 1 / (own + wm);
    for (let ch = 0; ch < C; ch++) colour[k * C + ch] = (own * T[k * C + ch]! + wm * g[ch]! * m[ch]!) * inv;
  }
}

/** Coarse grid of per-channel gains (cell centres at (g + 0.5)·cell texels). */
interface GainGrid { gw: number; gh: number; cell: number; gain: Float32Array }

/**
 * Per-cell, per-channel gain mapping the mirror side's lighting level onto this side's:
 * `Σ w·own / Σ w·mirror` with w = c·c_m over the cell's texels where both sides were seen
 * (every other texel in x and y: the level is low-frequency), clamped to [1/gainMax, gainMax];
 * its log is membrane-extrapolated over cells without enough overlap.
 */
function logGainGrid(
  T: Float32Array, W: number, H: number, C: number,
  c: Float32Array, coverage: Uint8Array, mirrorUV: Float32Array, o: FillOptions,
): GainGrid {
  const level = Math.max(0, Math.round(Math.log2(Math.max(1, W * o.gainCell))));
  const cell = 1 << level;
  const gw = Math.ceil(W / cell), gh = Math.ceil(H / cell);
  const gn = gw * gh;
  const num = new Float64Array(gn * C), den = new Float64Array(gn * C), wsum = new Float64Array(gn);
  const step = cell >= 2 ? 2 : 1;
  const m = new Float64Array(C);
  for (let y = 0; y < H; y += step) {
    const grow = (y >> level) * gw;
    for (let x = 0; x < W; x += step) {
      const k = y * W + x;
      const own = c[k]!;
      if (!(own > 0) || !coverage[k]) continue;
      const u = mirrorUV[2 * k]!, v = mirrorUV[2 * k + 1]!;
      if (!(Number.isFinite(u) && Number.isFinite(v))) continue;
      const cm = sampleWeighted(T, c, W, H, C, u, v, m);
      const w = own * cm;
      if (!(w > 0)) continue;
      const gk = grow + (x >> level);
      wsum[gk] = wsum[gk]! + w;
      for (let ch = 0; ch < C; ch++) {
        num[gk * C + ch] = num[gk * C + ch]! + w * T[k * C + ch]!;
        den[gk * C + ch] = den[gk * C + ch]! + w * m[ch]!;
      }
    }
  }
  const logMax = Math.log(Math.max(1, o.gainMax));
  const log = new Float32Array(gn * C);
  const known = new Uint8Array(gn);
  const minW = (o.gainMinOverlap * cell * cell) / (step * step);
  for (let gk = 0; gk < gn; gk++) {
    if (!(wsum[gk]! >= minW && wsum[gk]! > 0)) continue;
    known[gk] = 1;
    for (let ch = 0; ch < C; ch++) {
      const a = num[gk * C + ch]!, b = den[gk * C + ch]!;
      let lg = a > 1e-6 && b > 1e-6 ? Math.log(a / b) : 0;
      if (lg > logMax) lg = logMax; else if (lg < -logMax) lg = -logMax;
      log[gk * C + ch] = lg;
    }
  }
  const gain = membraneFill(log, gw, gh, C, known, { iterations: 32 });
  for (let i = 0; i < gain.length; i++) gain[i] = Math.exp(gain[i]!);
  return { gw, gh, cell, gain };
}

/** Gain per channel at texel (x, y): bilinear in the gain grid (cell centres at (i + 0.5)·cell). */
function gainAt(g: GainGrid, x: number, y: number, C: number, out: Float64Array): void {
  sampleBilinear({ width: g.gw, height: g.gh, channels: C, data: g.gain }, (x + 0.5) / g.cell, (y + 0.5) / g.cell, out);
}

/** Merge and validate {@link FillOptions} (public boundary). */
function resolveFillOptions(options: Partial<FillOptions>): FillOptions {
  const o: FillOptions = { ...FILL_DEFAULTS };
  for (const [k, v] of Object.entries(options)) if (v !== undefined) (o as unknown as Record<string, unknown>)[k] = v;
  const range = (name: keyof FillOptions, lo: number, hi: number): void => {
    const v = o[name];
    if (typeof v !== 'number' || !(v >= lo && v <= hi)) {
      throw new FaceDetailError('INVALID_OPTION', `fill option ${name} must be a number from ${lo} to ${hi}, got ${String(v)}`);
    }
  };
  range('mirrorOwnMax', 1e-6, 1);
  range('gainCell', 0, 1);
  range('gainMinOverlap', 0, 1);
  range('gainMax', 1, 100);
  range('knownThreshold', 0, 1);
  range('padTexels', 0, 1e6);
  range('iterations', 0, 10000);
  range('cycles', 0, 100);
  o.mirrorGain = Boolean(o.mirrorGain);
  return o;
}

/**
 * The linear-algebra core of the detail solver: the sparse symmetric positive-definite operator of
 * one Gauss–Newton step of the shape-from-shading energy, a geometric multigrid V-cycle for it,
 * and preconditioned conjugate gradients.
 *
 * ## The operator
 * Unknowns live on the cells (texels) of a W×H grid; cells outside `mask` are fixed at 0
 * (Dirichlet). The quadratic energy of a field x (mm) is
 *
 *   xᵀAx = Σ_p [Dx]_pᵀ Q_p [Dx]_p  +  Σ_p W_p (ku_p Δuu x + kv_p Δvv x)_p²  +  Σ_p m_p x_p²
 *
 * - `[Dx]_p = (x[p+u] − x[p], x[p+v] − x[p])`: FORWARD differences, one texel along +u and +v;
 *   `Q_p` (quu, quv, qvv) is the 2×2 Gauss–Newton tensor of the photometric term. Forward
 *   differences give a compact stencil with no odd/even decoupling (central differences leave a
 *   checkerboard null space that shading cannot see).
 * - the second term is a weighted squared Laplacian ("thin plate"): `Δuu x = x[p+u] − 2x[p] +
 *   x[p−u]`, `ku = (G⁻¹)_uu`, `kv = (G⁻¹)_vv` from the surface metric (mm⁻² per texel²), so
 *   `ku Δuu + kv Δvv` is the surface Laplacian in mm⁻¹ (the metric's off-diagonal term is
 *   ignored), and `W_p = λ_smooth · area_p` (`lapW`).
 * - `m_p` (`mass`) is a per-cell diagonal (magnitude prior, flat-region prior).
 *
 * Expanded, A is a symmetric 13-point stencil (offsets (0,0), (±1,0), (±2,0), (0,±1), (0,±2),
 * (±1,±1)); it is assembled explicitly (7 coefficient fields: the diagonal and the 6 "forward"
 * offsets; the backward ones are read from the neighbour by symmetry) because Gauss–Seidel
 * smoothing needs the rows, and a plain stencil sweep is also the fastest way to apply A.
 *
 * ## Layout
 * Every field is a padded row-major array: `stride = width + 4`, 2 cells of zero padding on each
 * side, so stencil reads never leave the array and loops need no border tests. Interior texel
 * (i, j) is at `(j + 2)·stride + i + 2`. Vectors are `Float64Array` and are 0 outside the mask.
 * Coefficient fields are `Float32Array`: they are regenerated every Gauss–Newton iteration and only
 * shape an inexact iterative solve, and half the bytes keeps the 2048² hierarchy affordable
 * (Float64 coefficients measured no faster: the sweeps are bound by V8's per-load cost, ≈ 13 ns
 * per cell for a 13-point row) — dot products and iterates stay in double.
 *
 * ## Multigrid
 * Cell-centred coarsening 2×2 → 1. Coarse operators are re-discretised from coarsened fields
 * (Q: mean of the 4 children; W and mass: sum; ku, kv: W-weighted mean / 4 because a coarse step is
 * two fine steps), which matches the Galerkin product PᵀAP on smooth fields and keeps every level a
 * cheap 13-point stencil. Transfers: cell-centred bilinear prolongation P (weights 9/16, 3/16,
 * 3/16, 1/16) and restriction R = Pᵀ; smoothing: one forward Gauss–Seidel sweep before, one
 * backward sweep after (so the V-cycle is a symmetric positive-definite preconditioner); the
 * coarsest grid (≤ 8 cells a side) is solved exactly by a dense Cholesky factorisation (the
 * cycle itself is the shared `multigridVCycle`, the factorisation the shared Cholesky). A coarse
 * cell is an unknown only if all its children are (see {@link coarsenFields}).
 * Measured on a Gauss–Newton-like system (rank-1 photometric tensor along the light, thin plate,
 * mass; disc-shaped chart) to a relative residual of 1e-6: this V(1,1)-PCG 24 / 30 / 31
 * iterations at 64² / 128² / 256², Jacobi-PCG 464 / 670 / 792, plain CG 476 / 687 / 821. Without
 * the thin plate the photometric term alone is strongly anisotropic (it only sees the slope along
 * the light) and point smoothers stall (≈ 300 iterations at 256²); the thin plate restores them.
 */
import { choleskyFactor, choleskySolve, createPcgWork, multigridVCycle, pcg, type MultigridCycle, type PcgOperator, type PcgWork } from '../numeric/index.js';
import { assignDefaults } from '../options.js';

/** Cells of zero padding on each side of every grid. */
export const PAD = 2;

/** One grid level: the energy fields, the assembled stencil and work vectors. */
export interface StencilGrid {
  /** Interior size in cells. */
  width: number;
  height: number;
  /** Row length of the padded arrays (`width + 2·PAD`). */
  stride: number;
  /** Length of the padded arrays. */
  size: number;
  /** 1 = unknown, 0 = fixed at 0 (outside the surface, and the padding). */
  mask: Uint8Array;
  /** Photometric Gauss–Newton tensor per cell (see module doc). */
  quu: Float32Array;
  quv: Float32Array;
  qvv: Float32Array;
  /** Laplacian coefficients (G⁻¹)_uu, (G⁻¹)_vv per cell, mm⁻² per texel². */
  lapU: Float32Array;
  lapV: Float32Array;
  /** Weight of the squared Laplacian per cell (λ_smooth · area, mm⁴ when λ_smooth is in mm²). */
  lapW: Float32Array;
  /** Diagonal term per cell. */
  mass: Float32Array;
  /** Assembled stencil: diagonal and the forward offsets (1,0), (2,0), (0,1), (0,2), (1,1), (−1,1). */
  diag: Float32Array;
  e10: Float32Array;
  e20: Float32Array;
  e01: Float32Array;
  e02: Float32Array;
  e11: Float32Array;
  em11: Float32Array;
  /** 1/diag inside the mask, 0 elsewhere. */
  invDiag: Float32Array;
  /** √lapW·lapU and √lapW·lapV (set by {@link assembleStatic}). */
  su: Float32Array;
  sv: Float32Array;
}

/** The layout part of a grid: enough for transfers between levels. */
export type GridShape = Pick<StencilGrid, 'width' | 'height' | 'stride' | 'size' | 'mask'>;

/** A zero grid of `width`×`height` interior cells (mask all 0). */
export function createStencilGrid(width: number, height: number): StencilGrid {
  const stride = width + 2 * PAD;
  const size = stride * (height + 2 * PAD);
  const f = () => new Float32Array(size);
  return {
    width, height, stride, size,
    mask: new Uint8Array(size),
    quu: f(), quv: f(), qvv: f(), lapU: f(), lapV: f(), lapW: f(), mass: f(),
    diag: f(), e10: f(), e20: f(), e01: f(), e02: f(), e11: f(), em11: f(),
    invDiag: f(),
    su: f(), sv: f(),
  };
}

/** Padded index of interior cell (i, j). */
export function cellIndex(g: StencilGrid, i: number, j: number): number {
  return (j + PAD) * g.stride + i + PAD;
}

/**
 * Assemble the 13-point stencil of `g` from its energy fields (overwrites diag, e**, invDiag):
 * {@link assembleStatic} then {@link assembleData}. Entries in a row or column outside the mask
 * are zero, so applying the stencil to any vector gives 0 outside the mask without a test per cell.
 */
export function assembleStencil(g: StencilGrid): void {
  assembleStatic(g);
  assembleData(g);
}

/**
 * Precompute the square-root-weighted Laplacian coefficients `su = √W·ku`, `sv = √W·kv` (the rows
 * of the squared-Laplacian term), 0 outside the mask. Call after lapU/lapV/lapW/mask change.
 */
function assembleStatic(g: StencilGrid): void {
  const { mask, lapU, lapV, lapW, su, sv } = g;
  const n = g.size;
  for (let p = 0; p < n; p++) {
    const w = lapW[p]!;
    if (mask[p] === 0 || !(w > 0)) { su[p] = 0; sv[p] = 0; continue; }
    const sw = Math.sqrt(w);
    su[p] = sw * lapU[p]!;
    sv[p] = sw * lapV[p]!;
  }
}

/**
 * Assemble the full stencil in gather form (one pass): squared Laplacian (from su, sv), mass and
 * the photometric term DᵀQD; couplings to cells outside the mask are dropped (Dirichlet).
 * Call after the Q fields change; {@link assembleStatic} must have run since the other fields
 * last changed.
 */
function assembleData(g: StencilGrid): void {
  const s = g.stride, n = g.size - 2 * s;
  const { mask, quu, quv, qvv, mass, su, sv, invDiag } = g;
  const { diag, e10, e20, e01, e02, e11, em11 } = g;
  for (let p = 0; p < 2 * s; p++) { diag[p] = 0; e10[p] = 0; e20[p] = 0; e01[p] = 0; e02[p] = 0; e11[p] = 0; em11[p] = 0; invDiag[p] = 0; }
  for (let p = n; p < g.size; p++) { diag[p] = 0; e10[p] = 0; e20[p] = 0; e01[p] = 0; e02[p] = 0; e11[p] = 0; em11[p] = 0; invDiag[p] = 0; }
  for (let p = 2 * s; p < n; p++) {
    if (mask[p] === 0) {
      diag[p] = 0; e10[p] = 0; e20[p] = 0; e01[p] = 0; e02[p] = 0; e11[p] = 0; em11[p] = 0; invDiag[p] = 0;
      continue;
    }
    // Squared Laplacian: row q has cc_q = −2(su_q + sv_q) at q, su_q at q±u, sv_q at q±v.
    const u0 = su[p]!, v0 = sv[p]!, uE = su[p + 1]!, vE = sv[p + 1]!, uW = su[p - 1]!, vW = sv[p - 1]!;
    const uS = su[p + s]!, vS = sv[p + s]!, vN = sv[p - s]!;
    const c0 = -2 * (u0 + v0), cE = -2 * (uE + vE), cS = -2 * (uS + vS);
    // Data at p couples (p, p+u, p+v) with K = [[a+2c+e, −a−c, −c−e], [·, a, c], [·, ·, e]].
    const a = quu[p]!, c = quv[p]!, e = qvv[p]!;
    let dg = c0 * c0 + uW * uW + uE * uE + vN * vN + vS * vS + mass[p]!
      + a + 2 * c + e + quu[p - 1]! + qvv[p - s]!;
    if (!(dg > 0)) dg = 1; // a masked cell with no energy at all: pin it (its rhs is 0)
    diag[p] = dg;
    invDiag[p] = 1 / dg;
    const mE = mask[p + 1]!, mS = mask[p + s]!;
    e10[p] = (c0 * u0 + uE * cE - (a + c)) * mE;
    e01[p] = (c0 * v0 + vS * cS - (c + e)) * mS;
    e20[p] = uE * uE * mask[p + 2]!;
    e02[p] = vS * vS * mask[p + 2 * s]!;
    e11[p] = (uE * vE + uS * vS) * mask[p + s + 1]!;
    em11[p] = (uW * vW + uS * vS + quv[p - 1]!) * mask[p + s - 1]!;
  }
}

/**
 * out = A·x for the assembled stencil of `g` (x must be 0 outside the mask; out is 0 there).
 *
 * @example applyStencil(g, x, ax)
 */
export function applyStencil(g: StencilGrid, x: Float64Array, out: Float64Array): void {
  const s = g.stride, s2 = 2 * s;
  const { diag, e10, e20, e01, e02, e11, em11 } = g;
  const end = g.size - s2;
  for (let k = 0; k < s2; k++) out[k] = 0;
  for (let k = end; k < g.size; k++) out[k] = 0;
  for (let k = s2; k < end; k++) {
    out[k] = diag[k]! * x[k]!
      + e10[k]! * x[k + 1]! + e10[k - 1]! * x[k - 1]!
      + e20[k]! * x[k + 2]! + e20[k - 2]! * x[k - 2]!
      + e01[k]! * x[k + s]! + e01[k - s]! * x[k - s]!
      + e02[k]! * x[k + s2]! + e02[k - s2]! * x[k - s2]!
      + e11[k]! * x[k + s + 1]! + e11[k - s - 1]! * x[k - s - 1]!
      + em11[k]! * x[k + s - 1]! + em11[k - s + 1]! * x[k - s + 1]!;
  }
}

/** r = b − A·x. */
function residual(g: StencilGrid, b: Float64Array, x: Float64Array, r: Float64Array): void {
  applyStencil(g, x, r);
  const n = g.size;
  for (let k = 0; k < n; k++) r[k] = b[k]! - r[k]!;
}

/** One lexicographic Gauss–Seidel sweep on A·x = b, forward or backward. */
function gaussSeidel(g: StencilGrid, b: Float64Array, x: Float64Array, forward: boolean): void {
  const s2 = 2 * g.stride, end = g.size - s2;
  if (forward) for (let k = s2; k < end; k++) relaxCell(g, b, x, k);
  else for (let k = end - 1; k >= s2; k--) relaxCell(g, b, x, k);
}

/** Gauss–Seidel update of cell k: solve row k of the 13-point stencil for x[k] (masked cells skipped). */
function relaxCell(g: StencilGrid, b: Float64Array, x: Float64Array, k: number): void {
  const id = g.invDiag[k]!;
  if (id === 0) return;
  const s = g.stride, s2 = 2 * s;
  const { e10, e20, e01, e02, e11, em11 } = g;
  x[k] = (b[k]! - (e10[k]! * x[k + 1]! + e10[k - 1]! * x[k - 1]!
    + e20[k]! * x[k + 2]! + e20[k - 2]! * x[k - 2]!
    + e01[k]! * x[k + s]! + e01[k - s]! * x[k - s]!
    + e02[k]! * x[k + s2]! + e02[k - s2]! * x[k - s2]!
    + e11[k]! * x[k + s + 1]! + e11[k - s - 1]! * x[k - s - 1]!
    + em11[k]! * x[k + s - 1]! + em11[k - s + 1]! * x[k - s + 1]!)) * id;
}

/**
 * rc = Pᵀ(b − A·x) without storing the fine residual (the residual and restriction of a V-cycle
 * fused into one pass).
 */
function residualRestrict(g: StencilGrid, b: Float64Array, x: Float64Array, c: GridShape, rc: Float64Array): void {
  rc.fill(0);
  const s = g.stride, s2 = 2 * s, cs = c.stride;
  const { diag, e10, e20, e01, e02, e11, em11, mask } = g;
  for (let j = 0; j < g.height; j++) {
    const J0 = j >> 1, J1 = (j & 1) ? J0 + 1 : J0 - 1;
    const r0 = (J0 + PAD) * cs + PAD, r1 = (J1 + PAD) * cs + PAD;
    let k = (j + PAD) * s + PAD;
    for (let i = 0; i < g.width; i++, k++) {
      if (mask[k] === 0) continue;
      const v = b[k]! - (diag[k]! * x[k]!
        + e10[k]! * x[k + 1]! + e10[k - 1]! * x[k - 1]!
        + e20[k]! * x[k + 2]! + e20[k - 2]! * x[k - 2]!
        + e01[k]! * x[k + s]! + e01[k - s]! * x[k - s]!
        + e02[k]! * x[k + s2]! + e02[k - s2]! * x[k - s2]!
        + e11[k]! * x[k + s + 1]! + e11[k - s - 1]! * x[k - s - 1]!
        + em11[k]! * x[k + s - 1]! + em11[k - s + 1]! * x[k - s + 1]!);
      scatterRestrict(rc, r0, r1, i, v);
    }
  }
  const m = c.mask, n = c.size;
  for (let k = 0; k < n; k++) if (m[k] === 0) rc[k] = 0;
}

/**
 * The regularisation part of the energy, Σ W (ku Δuu x + kv Δvv x)² + Σ mass·x² (same
 * discretisation as {@link assembleStencil}; x is 0 outside the mask).
 */
export function regularizerEnergy(g: StencilGrid, x: Float64Array): number {
  const { width: W, height: H, stride: s, mask, lapU, lapV, lapW, mass } = g;
  let e = 0;
  for (let j = 0; j < H; j++) {
    let p = (j + PAD) * s + PAD;
    for (let i = 0; i < W; i++, p++) {
      if (mask[p] === 0) continue;
      const xp = x[p]!;
      const l = lapU[p]! * (x[p + 1]! - 2 * xp + x[p - 1]!) + lapV[p]! * (x[p + s]! - 2 * xp + x[p - s]!);
      e += lapW[p]! * l * l + mass[p]! * xp * xp;
    }
  }
  return e;
}

/** Coarse grid size for a fine size: ⌈n/2⌉. */
function half(n: number): number {
  return (n + 1) >> 1;
}

/**
 * Fill `c` (a grid of ⌈W/2⌉×⌈H/2⌉) with the coarsened fields of `f` (see module doc). With
 * `dataOnly`, only the photometric tensor is recomputed (the other fields do not change between
 * Gauss–Newton iterations).
 */
function coarsenFields(f: StencilGrid, c: StencilGrid, dataOnly = false): void {
  const fs = f.stride, cs = c.stride;
  const Wf = f.width, Hf = f.height;
  if (!dataOnly) {
    c.mask.fill(0); c.lapU.fill(0); c.lapV.fill(0); c.lapW.fill(0); c.mass.fill(0);
  }
  c.quu.fill(0); c.quv.fill(0); c.qvv.fill(0);
  for (let J = 0; J < c.height; J++) {
    for (let I = 0; I < c.width; I++) {
      const q = (J + PAD) * cs + I + PAD;
      let su = 0, suv = 0, sv = 0, sw = 0, swu = 0, swv = 0, sm = 0, inside = 0, children = 0;
      for (let b = 0; b < 2; b++) {
        const j = 2 * J + b;
        if (j >= Hf) break;
        for (let a = 0; a < 2; a++) {
          const i = 2 * I + a;
          if (i >= Wf) break;
          const p = (j + PAD) * fs + i + PAD;
          children++;
          if (f.mask[p] === 0) continue;
          inside++;
          su += f.quu[p]!; suv += f.quv[p]!; sv += f.qvv[p]!;
          if (!dataOnly) {
            const w = f.lapW[p]!;
            sw += w; swu += w * f.lapU[p]!; swv += w * f.lapV[p]!; sm += f.mass[p]!;
          }
        }
      }
      if (inside === 0) continue;
      c.quu[q] = 0.25 * su; c.quv[q] = 0.25 * suv; c.qvv[q] = 0.25 * sv;
      if (!dataOnly) {
        // A coarse cell is an unknown only if all its children are: a coarse cell that straddles
        // the chart border would put the coarse Dirichlet boundary outside the fine one, and the
        // thin-plate rows there then disagree with the fine operator. Measured (MG-PCG to 1e-6 on
        // a disc-shaped chart, 64² / 128² / 256²): "any child" 41 / 51 / 72 iterations, "all
        // children" 24 / 29 / 30.
        c.mask[q] = inside === children ? 1 : 0;
        c.lapW[q] = sw;
        if (sw > 0) { c.lapU[q] = 0.25 * swu / sw; c.lapV[q] = 0.25 * swv / sw; }
        c.mass[q] = sm;
      }
    }
  }
}

/**
 * Full-weighting restriction of one fine value `v` at fine column `i` into the coarse rows
 * starting at `r0` (nearer) and `r1` (farther): weights (3/4, 1/4) per axis, cell-centred.
 */
function scatterRestrict(rc: Float64Array, r0: number, r1: number, i: number, v: number): void {
  const I0 = i >> 1, I1 = (i & 1) ? I0 + 1 : I0 - 1;
  rc[r0 + I0] = rc[r0 + I0]! + 0.5625 * v;
  rc[r0 + I1] = rc[r0 + I1]! + 0.1875 * v;
  rc[r1 + I0] = rc[r1 + I0]! + 0.1875 * v;
  rc[r1 + I1] = rc[r1 + I1]! + 0.0625 * v;
}

/** xf += P xc: cell-centred bilinear prolongation (gather form), only inside the fine mask. */
export function prolongAdd(c: GridShape, xc: Float64Array, f: GridShape, xf: Float64Array): void {
  const fs = f.stride, cs = c.stride, m = f.mask;
  for (let j = 0; j < f.height; j++) {
    const J0 = j >> 1, J1 = (j & 1) ? J0 + 1 : J0 - 1;
    const r0 = (J0 + PAD) * cs + PAD, r1 = (J1 + PAD) * cs + PAD;
    let p = (j + PAD) * fs + PAD;
    for (let i = 0; i < f.width; i++, p++) {
      if (m[p] === 0) continue;
      const I0 = i >> 1, I1 = (i & 1) ? I0 + 1 : I0 - 1;
      xf[p] = xf[p]! + 0.5625 * xc[r0 + I0]! + 0.1875 * (xc[r0 + I1]! + xc[r1 + I0]!) + 0.0625 * xc[r1 + I1]!;
    }
  }
}

/** Options of {@link buildMultigrid}. */
export interface MultigridOptions {
  /** Stop coarsening when both sides are at most this many cells. @example { coarsestSize: 8 } */
  coarsestSize?: number;
  /** Gauss–Seidel sweeps before and after the coarse correction. @example { sweeps: 1 } */
  sweeps?: number;
}

/** Defaults of {@link MultigridOptions}. @public */
export const MULTIGRID_DEFAULTS: Readonly<Required<MultigridOptions>> = Object.freeze({
  coarsestSize: 8,
  sweeps: 1,
});

/** A multigrid hierarchy over a fine grid: `levels[0]` is the fine grid itself. */
export interface Multigrid {
  levels: StencilGrid[];
  sweeps: number;
  /** Per level: right-hand side and iterate work vectors. */
  b: Float64Array[];
  x: Float64Array[];
  /** Dense Cholesky factor of the coarsest level (row-major n×n lower) and its cell indices. */
  cholL: Float64Array;
  cholIdx: Int32Array;
  cholTmp: Float64Array;
  /** The hierarchy as the shared V-cycle sees it (see {@link vCycle}). */
  cycle: MultigridCycle<Float64Array>;
}

/**
 * Build the hierarchy below `fine` (whose fields must be set) and assemble every level.
 * After changing only the photometric fields of `fine`, call {@link updateMultigrid} with
 * `dataOnly = true`.
 *
 * @example
 * const mg = buildMultigrid(grid);
 * const z = new Float64Array(grid.size); vCycle(mg, r, z);
 */
export function buildMultigrid(fine: StencilGrid, options?: MultigridOptions): Multigrid {
  const o = assignDefaults(MULTIGRID_DEFAULTS, options);
  const levels = [fine];
  let g = fine;
  while (g.width > o.coarsestSize || g.height > o.coarsestSize) {
    g = createStencilGrid(half(g.width), half(g.height));
    levels.push(g);
  }
  const b = levels.map((l) => new Float64Array(l.size)), x = levels.map((l) => new Float64Array(l.size));
  const mg: Multigrid = {
    levels, sweeps: o.sweeps, b, x,
    cholL: new Float64Array(0), cholIdx: new Int32Array(0), cholTmp: new Float64Array(0),
    cycle: {
      levels: levels.length, rhs: b, iterate: x,
      // Forward Gauss–Seidel before, backward after: the cycle is a symmetric preconditioner.
      smooth: (l, bl, xl, phase) => { for (let s = 0; s < o.sweeps; s++) gaussSeidel(levels[l]!, bl, xl, phase === 'pre'); },
      restrictResidual: (l, bl, xl, bc) => residualRestrict(levels[l]!, bl, xl, levels[l + 1]!, bc),
      prolongAdd: (l, xc, xl) => prolongAdd(levels[l + 1]!, xc, levels[l]!, xl),
      solveCoarsest: (bl, xl) => solveCoarsest(mg, bl, xl),
    },
  };
  updateMultigrid(mg, false);
  return mg;
}

/** Re-coarsen the fields below level 0 and re-assemble all levels and the coarsest factor. */
export function updateMultigrid(mg: Multigrid, dataOnly: boolean): void {
  const L = mg.levels;
  for (let l = 1; l < L.length; l++) coarsenFields(L[l - 1]!, L[l]!, dataOnly);
  for (const g of L) {
    if (!dataOnly) assembleStatic(g);
    assembleData(g);
  }
  factorCoarsest(mg);
}

/** Dense Cholesky of the coarsest level's masked cells. */
function factorCoarsest(mg: Multigrid): void {
  const g = mg.levels[mg.levels.length - 1]!;
  const idx: number[] = [];
  for (let k = 0; k < g.size; k++) if (g.mask[k] === 1) idx.push(k);
  const n = idx.length;
  const pos = new Int32Array(g.size).fill(-1);
  for (let a = 0; a < n; a++) pos[idx[a]!] = a;
  const A = new Float64Array(n * n);
  const s = g.stride;
  const offs = [1, 2, s, 2 * s, s + 1, s - 1];
  const fields = [g.e10, g.e20, g.e01, g.e02, g.e11, g.em11];
  for (let a = 0; a < n; a++) {
    const k = idx[a]!;
    A[a * n + a] = g.diag[k]!;
    for (let t = 0; t < 6; t++) {
      const bIdx = pos[k + offs[t]!]!;
      if (bIdx < 0) continue;
      const v = fields[t]![k]!;
      A[a * n + bIdx] = v;
      A[bIdx * n + a] = v;
    }
  }
  // In-place Cholesky (lower). A tiny relative floor keeps it defined if a pivot degenerates.
  choleskyFactor(A, n, { onBadPivot: 'clamp', relativeFloor: 1e-12 });
  mg.cholL = A;
  mg.cholIdx = Int32Array.from(idx);
  mg.cholTmp = new Float64Array(n);
}

/** x ← A⁻¹b on the coarsest level's cells (x is 0 on entry, so it stays 0 outside them). */
function solveCoarsest(mg: Multigrid, b: Float64Array, x: Float64Array): void {
  const L = mg.cholL, idx = mg.cholIdx, y = mg.cholTmp, n = idx.length;
  for (let a = 0; a < n; a++) y[a] = b[idx[a]!]!;
  choleskySolve(L, n, y);
  for (let a = 0; a < n; a++) x[idx[a]!] = y[a]!;
}

/**
 * z ≈ A⁻¹ r by one symmetric V-cycle from a zero initial guess (a fixed SPD linear map, so it is
 * a valid PCG preconditioner). `r` and `z` are level-0 vectors; `z` is overwritten.
 */
function vCycle(mg: Multigrid, r: Float64Array, z: Float64Array): void {
  multigridVCycle(mg.cycle, 0, r, z);
}

/** Preconditioner of {@link solvePCG}. */
type Preconditioner = 'multigrid' | 'jacobi' | 'none';

/** Options of {@link solvePCG}. */
export interface PCGOptions {
  /** Stop when ‖b − Ax‖ ≤ tolerance·‖b − Ax₀‖ (x₀ = the initial guess). @example { tolerance: 1e-3 } */
  tolerance?: number;
  /** Iteration cap. @example { maxIterations: 30 } */
  maxIterations?: number;
  /** @example { preconditioner: 'multigrid' } */
  preconditioner?: Preconditioner;
}

/** Defaults of {@link PCGOptions}. @public */
export const PCG_DEFAULTS: Readonly<Required<PCGOptions>> = Object.freeze({
  tolerance: 1e-3,
  maxIterations: 30,
  preconditioner: 'multigrid',
});

/** Outcome of {@link solvePCG}. */
export interface PCGResult {
  iterations: number;
  /** Final ‖b − Ax‖ / ‖b‖ (0 when b = 0). */
  relativeResidual: number;
}

/** Work vectors for {@link solvePCG}, reusable across calls on grids of the same size. */
export type PCGWork = PcgWork;

/** Allocate PCG work vectors for a grid. */
export function createPCGWork(g: StencilGrid): PCGWork {
  return createPcgWork(g.size);
}

/**
 * Solve A·x = b on `mg.levels[0]` by preconditioned conjugate gradients, starting from the
 * given `x` (warm start; must be 0 outside the mask). `b` must be 0 outside the mask.
 *
 * @example
 * const res = solvePCG(mg, b, x, { tolerance: 1e-3 }); // res.iterations ≈ 5–15
 */
export function solvePCG(mg: Multigrid, b: Float64Array, x: Float64Array, options?: PCGOptions, work?: PCGWork): PCGResult {
  const o = assignDefaults(PCG_DEFAULTS, options);
  const g = mg.levels[0]!;
  const n = g.size;
  const op: PcgOperator = {
    size: n,
    apply: (src, dst) => applyStencil(g, src, dst),
    residual: (bb, xx, r) => residual(g, bb, xx, r),
    precondition: o.preconditioner === 'multigrid' ? (src, dst) => vCycle(mg, src, dst)
      : o.preconditioner === 'jacobi' ? (src, dst) => { const id = g.invDiag; for (let k = 0; k < n; k++) dst[k] = src[k]! * id[k]!; }
      : (src, dst) => dst.set(src),
  };
  // Inexact-Newton forcing: reduce the initial residual (the energy gradient at a warm start) by
  // `tolerance`; an absolute floor relative to ‖b‖ stops at round-off.
  return pcg(op, b, x, { maxIterations: o.maxIterations, relativeTolerance: o.tolerance, absoluteFloor: 1e-28 }, work ?? createPCGWork(g));
}

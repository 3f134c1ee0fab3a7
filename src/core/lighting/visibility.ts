/**
 * Visibility-aware shading from the fitted proxy: per-texel spherical-harmonics *transfer*
 * (precomputed radiance transfer, order 2) of the proxy mesh against itself, so the lighting fit
 * and the albedo division can account for cast shadows and ambient occlusion (the brow ridge and
 * nose shadows, the eye sockets, under the nose, the mouth corners) that a shading of the normal
 * alone cannot represent.
 *
 * Model (sh.ts convention: shading `s_c = Σ_k L_ck Y_k(n)` for a light of radiance coefficients
 * `l_k = L_k / (Â_l/π)`). With visibility V(ω) of the surface point,
 *
 *     s_c = (1/π) ∫ L_c(ω) V(ω) max(0, n·ω) dω = Σ_k L_ck T_k,   T_k = ∫ Y_k V max(0, n·ω) dω / Â_l,
 *
 * which is `Y_k(n)` exactly when nothing is occluded. We store the *blocked* part
 * `B_k = Y_k(n) − T_k = ∫ Y_k (1 − V) max(0, n·ω) dω / Â_l` (quadrature over the occluded
 * directions only, so an unoccluded point has B = 0 exactly, with no quadrature error), and the
 * shading with visibility is `s_c = Σ_k L_ck (Y_k(n) − B_k)`: still linear in the lighting, so the
 * lighting fit only swaps its basis rows. The detailed normals of the detail stage modulate the
 * unshadowed part: `s_c = L_c·Y(n_detailed) − L_c·B(n_proxy)` (additive, so no division by a
 * small proxy shading; with no occlusion it is the old shading exactly).
 *
 * Visibility is from `directions` orthographic depth maps ("shadow maps", raster/shadow-map.ts)
 * of the occluder mesh (the fitted base mesh: a few hundred to a few thousand triangles), one per
 * direction of a Fibonacci sphere, all framed on the occluder's bounding sphere, each looked up
 * with a 2×2 percentage-closer filter after offsetting the receiver along its normal (acne guard). Receivers are the texels of
 * a coarse UV grid (`gridSize`², the covered texels' mean position and normal per cell); the
 * pipeline samples the grid bilinearly at full resolution.
 *
 * The proxy is an open surface (a face mask, or a head without hair): directions through its open
 * back see nothing, so points near the boundary are lit from behind as if the head were absent.
 * That under-estimates occlusion near the boundary (ears, hair) and never invents a shadow there.
 */
import { FaceDetailError } from '../errors.js';
import { assignDefaults } from '../options.js';
import { boundingSphere, shadowMap } from '../raster/shadow-map.js';
import type { UVGeometry } from '../unwrap/uv-geometry.js';
import { shBasis } from './sh.js';

/** Options of {@link computeOcclusion}. */
export interface OcclusionOptions {
  /** Directions of the visibility quadrature (a Fibonacci sphere). @example { directions: 128 } */
  directions: number;
  /** Side of each direction's shadow map, px (over the occluder's bounding sphere). @example { mapSize: 256 } */
  mapSize: number;
  /** Side of the UV grid the transfer is evaluated on (the texels' mean per cell). @example { gridSize: 64 } */
  gridSize: number;
  /** Receiver offset along its normal, in shadow-map pixels (self-shadowing guard). */
  normalOffsetPx: number;
  /** Depth bias, in shadow-map pixels (a receiver is occluded by a surface more than this above it). */
  biasPx: number;
  /** Share of the occlusion applied (0 = none, 1 = the full transfer). */
  strength: number;
}

/**
 * Defaults of {@link OcclusionOptions}: not tuned for speed. Measured on a 1024² map of the face
 * mesh (880 occluder triangles) on a loaded 2-core machine (load average 9): about 390 ms, as much
 * as the lighting fit itself; 32 directions on a 64² grid about 240 ms (the pass over every texel
 * and the rasters dominate then); on a quiet machine the lighting stage goes from ≈ 160 to ≈ 235 ms.
 * The pipeline applies it in full (`albedoShadows` 1): on the albedo benchmark's renders with cast
 * shadows and occlusion it lowers the texels with ΔE > 10 (tuning half 8.40 → 7.96 %); on its
 * shadow-free renders it did not help (6.65 → 6.84 %; README, *Albedo colour*).
 * A coplanar surface just below a receiver over-occludes at grazing angles (the map's pixel is
 * ≈ 2 mm on a face): a floor under the unit test's roof cost 6 points of visibility.
 */
const OCCLUSION_DEFAULTS: Readonly<OcclusionOptions> = Object.freeze({
  directions: 64,
  mapSize: 128,
  gridSize: 128,
  normalOffsetPx: 1.5,
  biasPx: 1,
  strength: 1,
});

/** The blocked SH transfer on a coarse UV grid (see the module notes). */
export interface OcclusionField {
  /** Grid side (cells per UV axis). */
  size: number;
  /** B_k per cell, 9 per cell, row-major cells; 0 where the cell has no receiver. */
  blocked: Float32Array;
  /** 1 where the cell had a receiver, else 0 (the bilinear lookup uses only those). */
  valid: Uint8Array;
  /** Mean over the receivers of the unoccluded cosine-weighted fraction (1 = nothing occluded). */
  meanVisibility: number;
}

/** The receivers of {@link computeOcclusion}: the parts of a UV geometry it reads. */
export type OcclusionReceivers = Pick<UVGeometry, 'width' | 'height' | 'coverage' | 'position' | 'normal'>;

/** A triangle mesh as flat arrays (camera frame, mm). */
export interface OccluderMesh {
  positions: ArrayLike<number>;
  indices: ArrayLike<number>;
}

/** Cosine-lobe band factors Â_l (Ramamoorthi & Hanrahan) for bands 0, 1, 2. */
const A_BAND = [Math.PI, (2 * Math.PI) / 3, Math.PI / 4] as const;
const BAND_OF = [0, 1, 1, 1, 2, 2, 2, 2, 2] as const;

/**
 * `n` unit directions spread evenly over the sphere (Fibonacci lattice), xyz interleaved.
 *
 * @example const d = fibonacciSphere(64); // d[0..3) is the first direction
 */
function fibonacciSphere(n: number): Float64Array {
  const out = new Float64Array(3 * n);
  const golden = Math.PI * (3 - Math.sqrt(5));
  for (let i = 0; i < n; i++) {
    const z = 1 - (2 * (i + 0.5)) / n;
    const r = Math.sqrt(Math.max(0, 1 - z * z));
    const phi = golden * i;
    out[3 * i] = r * Math.cos(phi);
    out[3 * i + 1] = r * Math.sin(phi);
    out[3 * i + 2] = z;
  }
  return out;
}

/** Receivers: points and unit normals (xyz), count n. */
interface Receivers {
  position: Float64Array;
  normal: Float64Array;
  count: number;
}

/**
 * The blocked transfer `B` (see the module notes) of receiver points against an occluder mesh.
 * Returns 9 values per receiver and, per receiver, the cosine-weighted visible fraction.
 */
function blockedTransfer(occ: OccluderMesh, rec: Receivers, opts: OcclusionOptions): { blocked: Float32Array; visibility: Float32Array } {
  const K = opts.directions, R = opts.mapSize;
  const dirs = fibonacciSphere(K);
  // One frame (the occluder's bounding sphere) for every direction, so every map has the same pixel.
  const sphere = boundingSphere([occ]), depth = new Float32Array(R * R);
  const blocked = new Float32Array(9 * rec.count);
  const cosVis = new Float64Array(rec.count), cosAll = new Float64Array(rec.count);
  const yb = new Float64Array(9);
  const quad = (4 * Math.PI) / K;
  for (let j = 0; j < K; j++) {
    const wx = dirs[3 * j]!, wy = dirs[3 * j + 1]!, wz = dirs[3 * j + 2]!;
    const sm = shadowMap([occ], [wx, wy, wz], R, { sphere, depth });
    const offset = opts.normalOffsetPx * sm.pixelMm, bias = opts.biasPx * sm.pixelMm;
    shBasis(wx, wy, wz, yb);
    for (let q = 0; q < 9; q++) yb[q] = (yb[q]! * quad) / A_BAND[BAND_OF[q]!]!;
    for (let r = 0; r < rec.count; r++) {
      const nx = rec.normal[3 * r]!, ny = rec.normal[3 * r + 1]!, nz = rec.normal[3 * r + 2]!;
      const cos = nx * wx + ny * wy + nz * wz;
      if (!(cos > 0)) continue;
      cosAll[r]! += cos;
      const occluded = 1 - sm.lit(rec.position[3 * r]! + offset * nx, rec.position[3 * r + 1]! + offset * ny, rec.position[3 * r + 2]! + offset * nz, bias);
      cosVis[r]! += cos * (1 - occluded);
      if (!(occluded > 0)) continue;
      const f = occluded * cos, o = 9 * r;
      for (let q = 0; q < 9; q++) blocked[o + q]! += f * yb[q]!;
    }
  }
  const visibility = new Float32Array(rec.count);
  for (let r = 0; r < rec.count; r++) visibility[r] = cosAll[r]! > 0 ? cosVis[r]! / cosAll[r]! : 1;
  return { blocked, visibility };
}

/**
 * The blocked transfer B (9 SH values, see the module notes) of arbitrary points with unit
 * normals against an occluder mesh, and their cosine-weighted visible fraction (the ambient
 * occlusion, 1 = unoccluded). The building block of {@link computeOcclusion}; tests use it on
 * analytic scenes.
 *
 * @example
 * const { blocked, visibility } = pointOcclusion(mesh, points, normals, { directions: 256 });
 * // shading with shadows: Σ_k L_ck (Y_k(n) − blocked[9i + k])
 */
export function pointOcclusion(occluder: OccluderMesh, points: ArrayLike<number>, normals: ArrayLike<number>, options: Partial<OcclusionOptions> = {}): { blocked: Float32Array; visibility: Float32Array } {
  const opts = checkOptions(options);
  const n = Math.floor(points.length / 3);
  if (normals.length !== 3 * n) throw invalid('normals', `length ${3 * n} (3 per point)`, normals.length);
  return blockedTransfer(occluder, { position: Float64Array.from(points), normal: Float64Array.from(normals), count: n }, opts);
}

/**
 * The `lighting` stage's visibility: the blocked SH transfer of the proxy surface (texels of
 * `geom`, grouped into a `gridSize`² UV grid) against `occluder` (e.g. the fitted base mesh,
 * camera frame, mm), scaled by `strength`.
 *
 * @example
 * const occ = computeOcclusion(det.geom, { positions: fit.positions, indices: topo.indices });
 * const fit = fitLighting(texLinear, det.geom, weights, { occlusion: occ });
 */
export function computeOcclusion(geom: OcclusionReceivers, occluder: OccluderMesh, options: Partial<OcclusionOptions> = {}): OcclusionField {
  const opts = checkOptions(options);
  const G = opts.gridSize, W = geom.width, H = geom.height;
  const cells = G * G;
  const pos = new Float64Array(3 * cells), nrm = new Float64Array(3 * cells), cnt = new Float64Array(cells);
  for (let j = 0; j < H; j++) {
    const cj = Math.min(G - 1, Math.floor(((j + 0.5) * G) / H));
    for (let i = 0; i < W; i++) {
      const k = j * W + i;
      if (geom.coverage[k] === 0) continue;
      const c = cj * G + Math.min(G - 1, Math.floor(((i + 0.5) * G) / W));
      cnt[c]!++;
      for (let a = 0; a < 3; a++) { pos[3 * c + a]! += geom.position[3 * k + a]!; nrm[3 * c + a]! += geom.normal[3 * k + a]!; }
    }
  }
  const cellOf = new Int32Array(cells).fill(-1);
  let n = 0;
  for (let c = 0; c < cells; c++) {
    const l = Math.hypot(nrm[3 * c]!, nrm[3 * c + 1]!, nrm[3 * c + 2]!);
    if (!(cnt[c]! > 0) || !(l > 1e-6)) continue;
    for (let a = 0; a < 3; a++) { pos[3 * n + a] = pos[3 * c + a]! / cnt[c]!; nrm[3 * n + a] = nrm[3 * c + a]! / l; }
    cellOf[c] = n++;
  }
  const { blocked: b, visibility } = blockedTransfer(occluder, { position: pos, normal: nrm, count: n }, opts);
  const blocked = new Float32Array(9 * cells), valid = new Uint8Array(cells);
  let vis = 0;
  for (let c = 0; c < cells; c++) {
    const r = cellOf[c]!;
    if (r < 0) continue;
    valid[c] = 1;
    vis += visibility[r]!;
    for (let q = 0; q < 9; q++) blocked[9 * c + q] = opts.strength * b[9 * r + q]!;
  }
  return { size: G, blocked, valid, meanVisibility: n > 0 ? vis / n : 1 };
}

/**
 * The blocked shading `Σ_k sh[c·9 + k] · B_k` per channel on the field's grid (3 per cell), and
 * its bilinear lookup at texel (i, j) of a W×H map (renormalised over the valid cells; 0 where
 * none is valid): what {@link fitLighting} and {@link computeAlbedo} subtract.
 */
export function blockedShadingGrid(field: OcclusionField, sh: ArrayLike<number>): Float32Array {
  const cells = field.size * field.size, out = new Float32Array(3 * cells);
  for (let c = 0; c < cells; c++) {
    if (!field.valid[c]) continue;
    for (let ch = 0; ch < 3; ch++) {
      let s = 0;
      for (let q = 0; q < 9; q++) s += sh[ch * 9 + q]! * field.blocked[9 * c + q]!;
      out[3 * c + ch] = s;
    }
  }
  return out;
}

/**
 * Bilinear lookup of a per-cell field with `dim` values per cell on the field's grid at texel
 * (i, j) of a W×H map, written to out[0..dim); renormalised over the valid cells, 0 if none.
 */
export function sampleGrid(field: OcclusionField, values: Float32Array, dim: number, i: number, j: number, W: number, H: number, out: Float64Array): void {
  const G = field.size;
  const fx = ((i + 0.5) * G) / W - 0.5, fy = ((j + 0.5) * G) / H - 0.5;
  const ix = Math.floor(fx), iy = Math.floor(fy);
  sampleCells(field, values, dim, ix, fx - ix, iy, fy - iy, out);
}

/**
 * {@link sampleGrid} at every texel of a W×H map where `coverage` is set (`dim` values per texel,
 * 0 elsewhere), the column weights tabulated once: the same values as a call per texel.
 */
export function sampleGridMap(field: OcclusionField, values: Float32Array, dim: number, coverage: Uint8Array, W: number, H: number): Float32Array {
  const G = field.size, out = new Float32Array(dim * W * H), t = new Float64Array(dim);
  const ix = new Int32Array(W), ax = new Float64Array(W);
  for (let i = 0; i < W; i++) { const fx = ((i + 0.5) * G) / W - 0.5, x0 = Math.floor(fx); ix[i] = x0; ax[i] = fx - x0; }
  for (let j = 0; j < H; j++) {
    const fy = ((j + 0.5) * G) / H - 0.5, iy = Math.floor(fy), ay = fy - iy;
    for (let i = 0; i < W; i++) {
      const k = j * W + i;
      if (coverage[k] === 0) continue;
      sampleCells(field, values, dim, ix[i]!, ax[i]!, iy, ay, t);
      for (let d = 0; d < dim; d++) out[dim * k + d] = t[d]!;
    }
  }
  return out;
}

/** The bilinear blend of the (up to 4) valid cells around grid point (ix + ax, iy + ay), renormalised, into out[0..dim). */
function sampleCells(field: OcclusionField, values: Float32Array, dim: number, ix: number, ax: number, iy: number, ay: number, out: Float64Array): void {
  const G = field.size;
  for (let d = 0; d < dim; d++) out[d] = 0;
  let ws = 0;
  for (let dy = 0; dy < 2; dy++) {
    const yy = iy + dy;
    if (yy < 0 || yy >= G) continue;
    const wy = dy === 0 ? 1 - ay : ay;
    for (let dx = 0; dx < 2; dx++) {
      const xx = ix + dx;
      if (xx < 0 || xx >= G) continue;
      const c = yy * G + xx;
      if (!field.valid[c]) continue;
      const w = wy * (dx === 0 ? 1 - ax : ax);
      if (!(w > 0)) continue;
      ws += w;
      for (let d = 0; d < dim; d++) out[d]! += w * values[dim * c + d]!;
    }
  }
  if (ws > 0) for (let d = 0; d < dim; d++) out[d] = out[d]! / ws;
}

function checkOptions(options: Partial<OcclusionOptions>): OcclusionOptions {
  const o = assignDefaults(OCCLUSION_DEFAULTS, options);
  if (!(Number.isInteger(o.directions) && o.directions >= 1)) throw invalid('directions', 'an integer ≥ 1', o.directions);
  if (!(Number.isInteger(o.mapSize) && o.mapSize >= 8)) throw invalid('mapSize', 'an integer ≥ 8', o.mapSize);
  if (!(Number.isInteger(o.gridSize) && o.gridSize >= 2)) throw invalid('gridSize', 'an integer ≥ 2', o.gridSize);
  if (!(o.strength >= 0 && o.strength <= 1)) throw invalid('strength', 'a number from 0 to 1', o.strength);
  return o;
}

function invalid(name: string, expected: string, got: unknown): FaceDetailError {
  return new FaceDetailError('INVALID_OPTION', `${name}: expected ${expected}, received ${String(got)}`);
}

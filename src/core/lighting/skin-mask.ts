/**
 * Skin mask for lighting estimation, and the region ("keep flat") mask for the detail stage.
 *
 * Both live in UV space (v down, texel (i, j) centred at ((i + 0.5)/W, (j + 0.5)/H)):
 * - {@link buildRegionMask}: the soft union of the model's region polygons (eyes, brows, lips,
 *   nostrils), each grown by its `dilate` and feathered over `feather` (UV units): 1 on and near a
 *   region, falling smoothly to 0.
 * - {@link buildSkinMask}: per-texel weight in [0, 1] for "clean skin": 0 outside the coverage,
 *   0 on the regions, and ramped down near the outer coverage boundary, where hair, ears and the
 *   background bleed into the texture (a wider band at the top of the layout: forehead/hairline).
 *
 * Polygons are triangulated by ear clipping (they may be concave) and scan-converted with the
 * shared rasterizer; dilation and feathering use an exact Euclidean distance transform
 * ({@link squaredDistanceTransform}) computed in UV units, so they are isotropic on non-square maps.
 */
import { FaceDetailError } from '../errors.js';
import { rasterizeTriangles } from '../raster/rasterize.js';
import { squaredDistanceTransform } from './distance.js';
import { assignDefaults } from '../options.js';
import { ContentCache, type KeyPart } from '../cache/content-cache.js';

/**
 * Recent masks: they depend on the face model's UVs and regions, the coverage (itself the UV
 * layout's) and the map size only, so every face of a batch shares them. 4 B per texel, ≤ 64 MB.
 */
const MASKS = new ContentCache<Float32Array>(64 * 2 ** 20, 'masks-1');

function maskKey(kind: string, width: number, height: number, uvs: Float32Array, regions: readonly MaskRegion[], opts: SkinMaskOptions, coverage?: Uint8Array): KeyPart[] {
  const key: KeyPart[] = [kind, width, height, uvs, ...(coverage ? [coverage] : []), regions.length];
  for (const r of regions) key.push(r.name, r.loop, r.dilate);
  for (const k of Object.keys(opts).sort()) key.push(k, String(opts[k as keyof SkinMaskOptions]));
  return key;
}

/** A closed polygon of base-mesh vertices (looked up in the per-vertex UVs) to exclude / keep flat. */
export interface MaskRegion {
  name: string;
  /** Closed polygon of vertex indices, either winding; a repeated first index at the end is allowed. */
  loop: Uint32Array;
  /** Grow the polygon by this distance, UV units (≥ 0). */
  dilate: number;
}

/** Options of {@link buildSkinMask} and {@link buildRegionMask}. Distances are in UV units (1 = the map's width). */
export interface SkinMaskOptions {
  /**
   * Width of the soft edge of each region, beyond its dilated outline, UV units. The region mask
   * goes from 1 at the dilated outline to 0 at `dilate + feather` (smoothstep).
   * @example { feather: 0.005 } // ≈ 5 texels on a 1024² map
   */
  feather: number;
  /** Width of the down-weighted band along the coverage boundary at the top of the layout (forehead, hairline), UV units. */
  borderTop: number;
  /** Width of the down-weighted band along the rest of the coverage boundary (jaw, cheeks, temples), UV units. */
  borderOther: number;
  /**
   * Which part of the layout is "top": texels whose v lies in the first `topFraction` of the
   * coverage's vertical extent (v grows downward) use `borderTop`.
   */
  topFraction: number;
  /** Fraction of the vertical extent over which the band width blends from `borderTop` to `borderOther`. */
  topBlend: number;
  /**
   * Count holes in the coverage (uncovered texels enclosed by covered ones, e.g. the eye and mouth
   * openings of some topologies) as boundary too. Off by default: those are handled by the regions,
   * and only the outer boundary is hair-prone.
   */
  holesAreBorder: boolean;
}

/** Defaults of {@link SkinMaskOptions}. @public */
export const SKIN_MASK_DEFAULTS: Readonly<SkinMaskOptions> = Object.freeze({
  feather: 0.005,
  borderTop: 0.06,
  borderOther: 0.03,
  topFraction: 0.25,
  topBlend: 0.15,
  holesAreBorder: false,
});

/** Smooth Hermite step: 0 at t ≤ 0, 1 at t ≥ 1, 3t² − 2t³ in between. */
function smooth01(t: number): number {
  if (t <= 0) return 0;
  if (t >= 1) return 1;
  return t * t * (3 - 2 * t);
}

/**
 * Soft union of the region polygons: per texel, 1 on a (dilated) region, smoothly falling to 0 at
 * `feather` beyond it, 0 elsewhere. The detail stage uses it as a "keep flat" mask.
 *
 * @param uvs Per base-mesh vertex UVs (u, v interleaved, v down, [0, 1]).
 * @returns `width*height` weights in [0, 1].
 * @example
 * const flat = buildRegionMask(1024, 1024, topology.uvs, topology.regions);
 */
export function buildRegionMask(
  width: number,
  height: number,
  uvs: Float32Array,
  regions: readonly MaskRegion[],
  options: Partial<SkinMaskOptions> = {},
): Float32Array {
  checkSize(width, height);
  const opts = assignDefaults(SKIN_MASK_DEFAULTS, options);
  if (!(opts.feather >= 0)) throw invalid('feather', 'a distance ≥ 0 in UV units', opts.feather);
  return MASKS.get(maskKey('region', width, height, uvs, regions, opts), () => {
    const out = new Float32Array(width * height);
    const vertexCount = Math.floor(uvs.length / 2);
    for (const region of regions) addRegion(out, width, height, uvs, vertexCount, region, opts.feather);
    return out;
  }, (m) => m.byteLength).slice();
}

/**
 * Per-texel weight of "clean skin" in [0, 1] for lighting estimation: coverage × border ramp ×
 * (1 − region mask). Texels on the outermost covered ring get 0, the weight rises (smoothstep)
 * to 1 at `borderTop`/`borderOther` inside the coverage boundary.
 *
 * @param uvs Per base-mesh vertex UVs (u, v interleaved, v down).
 * @param regions Exclusion polygons (eyes, brows, lips, nostrils).
 * @param coverage `width*height`, non-zero where the texel is on the face (see `UVGeometry.coverage`).
 * @returns `width*height` weights in [0, 1].
 * @example
 * const skin = buildSkinMask(1024, 1024, topology.uvs, topology.regions, geom.coverage);
 */
export function buildSkinMask(
  width: number,
  height: number,
  uvs: Float32Array,
  regions: readonly MaskRegion[],
  coverage: Uint8Array,
  options: Partial<SkinMaskOptions> = {},
): Float32Array {
  checkSize(width, height);
  if (coverage.length !== width * height) throw invalid('coverage', `length ${width * height} (${width}×${height})`, coverage.length);
  const opts = assignDefaults(SKIN_MASK_DEFAULTS, options);
  if (!(opts.borderTop >= 0)) throw invalid('borderTop', 'a distance ≥ 0 in UV units', opts.borderTop);
  if (!(opts.borderOther >= 0)) throw invalid('borderOther', 'a distance ≥ 0 in UV units', opts.borderOther);
  return MASKS.get(maskKey('skin', width, height, uvs, regions, opts, coverage), () => {
    const out = borderWeight(width, height, coverage, opts);
    const regionMask = buildRegionMask(width, height, uvs, regions, opts);
    for (let i = 0; i < out.length; i++) out[i] = out[i]! * (1 - regionMask[i]!);
    return out;
  }, (m) => m.byteLength).slice();
}

/**
 * Down-weighting of the hair-prone band along the coverage boundary alone (no regions):
 * 0 outside the coverage and on its outermost texels, smoothstep up to 1 at the band width.
 *
 * @example
 * const w = borderWeight(1024, 1024, geom.coverage, SKIN_MASK_DEFAULTS);
 */
export function borderWeight(width: number, height: number, coverage: Uint8Array, options: Partial<SkinMaskOptions> = {}): Float32Array {
  checkSize(width, height);
  const opts = assignDefaults(SKIN_MASK_DEFAULTS, options);
  const n = width * height;
  const out = new Float32Array(n);
  // Exterior = uncovered texels connected (4-neighbourhood) to the map edge, or all uncovered ones.
  const exterior = opts.holesAreBorder ? uncovered(coverage) : exteriorOf(coverage, width, height);
  // Pad by one texel on every side: beyond the map counts as exterior too.
  const PW = width + 2, PH = height + 2;
  const sites = new Uint8Array(PW * PH);
  for (let y = 0; y < PH; y++) {
    for (let x = 0; x < PW; x++) {
      const edge = x === 0 || y === 0 || x === PW - 1 || y === PH - 1;
      sites[y * PW + x] = edge || exterior[(y - 1) * width + (x - 1)] !== 0 ? 1 : 0;
    }
  }
  const du = 1 / width, dv = 1 / height;
  const d2 = squaredDistanceTransform(sites, PW, PH, du, dv);
  // Vertical extent of the coverage, for the top/other band blend.
  let jMin = height, jMax = -1;
  for (let j = 0; j < height; j++) {
    const o = j * width;
    for (let i = 0; i < width; i++) {
      if (coverage[o + i] !== 0) {
        if (j < jMin) jMin = j;
        jMax = j;
        break;
      }
    }
  }
  if (jMax < 0) return out;
  const vMin = (jMin + 0.5) / height, extent = Math.max((jMax - jMin) / height, dv);
  // The outermost covered texels are one texel from the exterior: count distance from there.
  const step = Math.min(du, dv);
  for (let j = 0; j < height; j++) {
    const t = ((j + 0.5) / height - vMin) / extent;
    const blend = opts.topBlend > 0 ? smooth01((t - opts.topFraction) / opts.topBlend) : t < opts.topFraction ? 0 : 1;
    const band = opts.borderTop + (opts.borderOther - opts.borderTop) * blend;
    for (let i = 0; i < width; i++) {
      const k = j * width + i;
      if (coverage[k] === 0) continue;
      const d = Math.sqrt(d2[(j + 1) * PW + (i + 1)]!) - step;
      out[k] = band > 0 ? smooth01(d / band) : 1;
    }
  }
  return out;
}

/**
 * Triangulate a simple polygon (either winding, possibly concave) by ear clipping.
 * Robust to collinear and duplicate vertices; for a self-intersecting loop it still returns a
 * covering set of triangles (it clips the least bad vertex when no proper ear exists).
 *
 * @param xy Vertex positions, x y interleaved, in loop order.
 * @returns Triangles as indices into the loop (3 per triangle).
 * @example
 * triangulatePolygon(new Float64Array([0,0, 2,0, 2,2, 1,1, 0,2])) // 3 triangles
 */
export function triangulatePolygon(xy: ArrayLike<number>): Uint32Array {
  const count = Math.floor(xy.length / 2);
  const idx: number[] = [];
  for (let i = 0; i < count; i++) {
    // Drop consecutive duplicates (including last == first).
    const prev = idx.length > 0 ? idx[idx.length - 1]! : -1;
    if (prev >= 0 && xy[2 * prev] === xy[2 * i] && xy[2 * prev + 1] === xy[2 * i + 1]) continue;
    idx.push(i);
  }
  while (idx.length > 1) {
    const a = idx[0]!, b = idx[idx.length - 1]!;
    if (xy[2 * a] === xy[2 * b] && xy[2 * a + 1] === xy[2 * b + 1]) idx.pop();
    else break;
  }
  const tris: number[] = [];
  if (idx.length < 3) return new Uint32Array(0);
  // Orientation from the signed (shoelace) area.
  let area2 = 0;
  for (let k = 0; k < idx.length; k++) {
    const p = idx[k]!, q = idx[(k + 1) % idx.length]!;
    area2 += xy[2 * p]! * xy[2 * q + 1]! - xy[2 * q]! * xy[2 * p + 1]!;
  }
  const sign = area2 >= 0 ? 1 : -1;
  const cross = (p: number, q: number, r: number): number =>
    ((xy[2 * q]! - xy[2 * p]!) * (xy[2 * r + 1]! - xy[2 * p + 1]!) - (xy[2 * q + 1]! - xy[2 * p + 1]!) * (xy[2 * r]! - xy[2 * p]!)) * sign;
  let guard = 4 * idx.length * idx.length + 16;
  while (idx.length > 3 && guard-- > 0) {
    const m = idx.length;
    let clipped = false;
    let fallback = -1, fallbackCross = -Infinity;
    for (let k = 0; k < m; k++) {
      const p = idx[(k + m - 1) % m]!, q = idx[k]!, r = idx[(k + 1) % m]!;
      const c = cross(p, q, r);
      if (c === 0) {
        // Collinear (or spike): remove the middle vertex, no area lost.
        idx.splice(k, 1);
        clipped = true;
        break;
      }
      if (c > fallbackCross) { fallbackCross = c; fallback = k; }
      if (c < 0) continue; // reflex
      let contains = false;
      for (let t = 0; t < m; t++) {
        const s = idx[t]!;
        if (s === p || s === q || s === r) continue;
        if ((xy[2 * s] === xy[2 * p] && xy[2 * s + 1] === xy[2 * p + 1]) || (xy[2 * s] === xy[2 * r] && xy[2 * s + 1] === xy[2 * r + 1])) continue;
        if (cross(p, q, s) >= 0 && cross(q, r, s) >= 0 && cross(r, p, s) >= 0) { contains = true; break; }
      }
      if (contains) continue;
      tris.push(p, q, r);
      idx.splice(k, 1);
      clipped = true;
      break;
    }
    if (!clipped) {
      // No ear (self-intersecting input): clip the most convex vertex anyway.
      const k = fallback;
      const p = idx[(k + m - 1) % m]!, q = idx[k]!, r = idx[(k + 1) % m]!;
      tris.push(p, q, r);
      idx.splice(k, 1);
    }
  }
  if (idx.length === 3 && cross(idx[0]!, idx[1]!, idx[2]!) !== 0) tris.push(idx[0]!, idx[1]!, idx[2]!);
  return new Uint32Array(tris);
}

/**
 * Rasterize a polygon (texel coordinates: texel (i, j) spans [i, i+1]×[j, j+1]) into `out`
 * (sets covered texels to 1) and return how many texel centres it covers.
 *
 * @example
 * const m = new Uint8Array(64 * 64); rasterizePolygon(64, 64, new Float64Array([8,8, 56,8, 32,56]), m);
 */
export function rasterizePolygon(width: number, height: number, xy: ArrayLike<number>, out: Uint8Array): number {
  const tris = triangulatePolygon(xy);
  let n = 0;
  rasterizeTriangles(width, height, xy, tris, (x, y) => {
    const k = y * width + x;
    if (out[k] === 0) n++;
    out[k] = 1;
  });
  return n;
}

/** Rasterize one region into a crop around it, grow + feather it by distance, max into `out`. */
function addRegion(out: Float32Array, W: number, H: number, uvs: Float32Array, vertexCount: number, region: MaskRegion, feather: number): void {
  const loop = region.loop;
  if (!(region.dilate >= 0)) throw invalid(`regions['${region.name}'].dilate`, 'a distance ≥ 0 in UV units', region.dilate);
  if (loop.length < 3) return;
  let minX = Infinity, minY = Infinity, maxX = -Infinity, maxY = -Infinity;
  const pts = new Float64Array(loop.length * 2);
  for (let k = 0; k < loop.length; k++) {
    const vi = loop[k]!;
    if (vi >= vertexCount) throw invalid(`regions['${region.name}'].loop[${k}]`, `a vertex index < ${vertexCount}`, vi);
    const x = uvs[2 * vi]! * W, y = uvs[2 * vi + 1]! * H;
    pts[2 * k] = x; pts[2 * k + 1] = y;
    if (x < minX) minX = x;
    if (x > maxX) maxX = x;
    if (y < minY) minY = y;
    if (y > maxY) maxY = y;
  }
  const reach = region.dilate + feather;
  const x0 = Math.max(0, Math.floor(minX - reach * W) - 2), x1 = Math.min(W - 1, Math.ceil(maxX + reach * W) + 2);
  const y0 = Math.max(0, Math.floor(minY - reach * H) - 2), y1 = Math.min(H - 1, Math.ceil(maxY + reach * H) + 2);
  if (x0 > x1 || y0 > y1) return;
  const cw = x1 - x0 + 1, ch = y1 - y0 + 1;
  for (let k = 0; k < loop.length; k++) { pts[2 * k] = pts[2 * k]! - x0; pts[2 * k + 1] = pts[2 * k + 1]! - y0; }
  const inside = new Uint8Array(cw * ch);
  const hits = rasterizePolygon(cw, ch, pts, inside);
  if (hits === 0) {
    // Smaller than a texel: seed with the texels holding its vertices.
    for (let k = 0; k < loop.length; k++) {
      const i = Math.floor(pts[2 * k]!), j = Math.floor(pts[2 * k + 1]!);
      if (i >= 0 && j >= 0 && i < cw && j < ch) inside[j * cw + i] = 1;
    }
  }
  const du = 1 / W, dv = 1 / H, half = 0.5 * Math.min(du, dv);
  const d2 = squaredDistanceTransform(inside, cw, ch, du, dv);
  const grow = region.dilate;
  for (let j = 0; j < ch; j++) {
    for (let i = 0; i < cw; i++) {
      const c = j * cw + i;
      // Distance from the polygon outline ≈ distance to the nearest inside texel centre − half a texel.
      const d = inside[c] !== 0 ? 0 : Math.max(0, Math.sqrt(d2[c]!) - half);
      let m: number;
      if (d <= grow) m = 1;
      else if (feather > 0) m = 1 - smooth01((d - grow) / feather);
      else m = 0;
      if (m <= 0) continue;
      const k = (y0 + j) * W + (x0 + i);
      if (m > out[k]!) out[k] = m;
    }
  }
}

function uncovered(coverage: Uint8Array): Uint8Array {
  const e = new Uint8Array(coverage.length);
  for (let i = 0; i < e.length; i++) e[i] = coverage[i] === 0 ? 1 : 0;
  return e;
}

/** Uncovered texels 4-connected to the map's edge (flood fill with an explicit stack). */
function exteriorOf(coverage: Uint8Array, W: number, H: number): Uint8Array {
  const ext = new Uint8Array(W * H);
  const stack = new Int32Array(W * H);
  let top = 0;
  const push = (k: number): void => {
    if (coverage[k] === 0 && ext[k] === 0) { ext[k] = 1; stack[top++] = k; }
  };
  for (let i = 0; i < W; i++) { push(i); push((H - 1) * W + i); }
  for (let j = 0; j < H; j++) { push(j * W); push(j * W + W - 1); }
  while (top > 0) {
    const k = stack[--top]!;
    const i = k % W, j = (k - i) / W;
    if (i > 0) push(k - 1);
    if (i < W - 1) push(k + 1);
    if (j > 0) push(k - W);
    if (j < H - 1) push(k + W);
  }
  return ext;
}

function checkSize(width: number, height: number): void {
  if (!(Number.isInteger(width) && width > 0)) throw invalid('width', 'a positive integer', width);
  if (!(Number.isInteger(height) && height > 0)) throw invalid('height', 'a positive integer', height);
}

function invalid(name: string, expected: string, got: unknown): FaceDetailError {
  return new FaceDetailError('INVALID_OPTION', `${name}: expected ${expected}, received ${String(got)}`);
}

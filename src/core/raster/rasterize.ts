/**
 * Scan-conversion of triangles into a pixel grid: the one rasterizer the pipeline shares
 * (UV-space unwrapping, image-space depth buffers, the preview/benchmark renderer).
 *
 * Sampling is at pixel centres (x + 0.5, y + 0.5). A pixel whose centre lies exactly on an edge
 * shared by two triangles is visited by exactly one of them (top-left rule), so adjacent
 * triangles tile the grid with no gaps or double coverage. Both windings are accepted.
 */

/** Called once per covered pixel with the triangle index and barycentric weights (sum 1). */
export type RasterVisitor = (x: number, y: number, tri: number, b0: number, b1: number, b2: number) => void;

/**
 * Rasterize `indices.length / 3` triangles whose vertices are at `xy` (pixel coordinates,
 * 2 numbers per vertex) into a `width`×`height` grid, calling `visit` for each covered pixel.
 *
 * @example
 * rasterizeTriangles(4, 4, new Float32Array([0,0, 4,0, 0,4]), new Uint32Array([0,1,2]),
 *   (x, y, t, b0, b1, b2) => console.log(x, y, b0, b1, b2));
 */
export function rasterizeTriangles(
  width: number,
  height: number,
  xy: ArrayLike<number>,
  indices: ArrayLike<number>,
  visit: RasterVisitor,
): void {
  const triCount = Math.floor(indices.length / 3);
  for (let t = 0; t < triCount; t++) {
    const i0 = indices[3 * t]!, i1 = indices[3 * t + 1]!, i2 = indices[3 * t + 2]!;
    rasterizeOne(width, height, xy[2 * i0]!, xy[2 * i0 + 1]!, xy[2 * i1]!, xy[2 * i1 + 1]!, xy[2 * i2]!, xy[2 * i2 + 1]!, t, visit);
  }
}

/** Sub-pixel precision of the rasterizer: vertex positions are snapped to 1/256 pixel. */
const SUB = 256;

/**
 * Rasterize a single triangle given by its three pixel-space vertices. Vertices are snapped to a
 * 1/256-pixel grid and edge functions are evaluated in exact integer arithmetic (as GPUs do), so
 * the top-left rule is exact and shared edges never produce cracks or double hits.
 */
function rasterizeOne(
  width: number,
  height: number,
  x0: number, y0: number, x1: number, y1: number, x2: number, y2: number,
  tri: number,
  visit: RasterVisitor,
): void {
  if (!(Number.isFinite(x0) && Number.isFinite(y0) && Number.isFinite(x1) && Number.isFinite(y1) && Number.isFinite(x2) && Number.isFinite(y2))) return;
  const X0 = Math.round(x0 * SUB), Y0 = Math.round(y0 * SUB);
  let X1 = Math.round(x1 * SUB), Y1 = Math.round(y1 * SUB);
  let X2 = Math.round(x2 * SUB), Y2 = Math.round(y2 * SUB);
  let area = (X1 - X0) * (Y2 - Y0) - (X2 - X0) * (Y1 - Y0);
  if (area === 0) return;
  let swapped = false;
  if (area < 0) {
    let tmp = X1; X1 = X2; X2 = tmp;
    tmp = Y1; Y1 = Y2; Y2 = tmp;
    area = -area;
    swapped = true;
  }
  const minX = Math.max(0, Math.floor(Math.min(X0, X1, X2) / SUB - 0.5));
  const maxX = Math.min(width - 1, Math.ceil(Math.max(X0, X1, X2) / SUB - 0.5));
  const minY = Math.max(0, Math.floor(Math.min(Y0, Y1, Y2) / SUB - 0.5));
  const maxY = Math.min(height - 1, Math.ceil(Math.max(Y0, Y1, Y2) / SUB - 0.5));
  if (minX > maxX || minY > maxY) return;
  const inv = 1 / area;
  // Edge function for edge a→b (opposite vertex i): e(p) = (b - a) × (p - a); all integers.
  const tl0 = isTopLeft(X1, Y1, X2, Y2), tl1 = isTopLeft(X2, Y2, X0, Y0), tl2 = isTopLeft(X0, Y0, X1, Y1);
  const half = SUB / 2;
  for (let py = minY; py <= maxY; py++) {
    const sy = py * SUB + half;
    for (let px = minX; px <= maxX; px++) {
      const sx = px * SUB + half;
      const w0 = (X2 - X1) * (sy - Y1) - (Y2 - Y1) * (sx - X1);
      if (w0 < 0 || (w0 === 0 && !tl0)) continue;
      const w1 = (X0 - X2) * (sy - Y2) - (Y0 - Y2) * (sx - X2);
      if (w1 < 0 || (w1 === 0 && !tl1)) continue;
      const w2 = (X1 - X0) * (sy - Y0) - (Y1 - Y0) * (sx - X0);
      if (w2 < 0 || (w2 === 0 && !tl2)) continue;
      const b0 = w0 * inv, b1 = w1 * inv, b2 = w2 * inv;
      if (swapped) visit(px, py, tri, b0, b2, b1);
      else visit(px, py, tri, b0, b1, b2);
    }
  }
}

/**
 * Tie-break for pixel centres exactly on an edge. The two triangles sharing an edge traverse it
 * in opposite directions, and this predicate is true for exactly one of (d) and (-d), so exactly
 * one of them owns the centre ("top-left" rule).
 */
function isTopLeft(ax: number, ay: number, bx: number, by: number): boolean {
  const dx = bx - ax, dy = by - ay;
  return dy > 0 || (dy === 0 && dx < 0);
}

/**
 * Orthographic shadow maps: the depth of a set of meshes along a distant light's direction,
 * rasterised with the project's rasteriser, and a lit / shadowed test with a 2×2
 * percentage-closer filter. Shared by the training renderer ({@link renderSkin}) and the
 * evaluation renderer's cast shadows ({@link renderMesh} `shadows`) in render/, and the proxy's
 * visibility (lighting/visibility.ts): it lives in raster/, below both layers.
 */
import { rasterizeTriangles } from './rasterize.js';

/** A shadow map along one direction; see {@link shadowMap}. */
export interface ShadowMap {
  /**
   * Visibility of the light at a point (same frame as the meshes, mm): 1 when nothing lies nearer
   * the light than the point raised by `bias` mm along the light, 0 in shadow; fractional at a
   * shadow edge (2×2 percentage-closer filter).
   */
  lit: (x: number, y: number, z: number, bias: number) => number;
  /** Side of one map pixel, mm. */
  pixelMm: number;
}

/** A mesh that casts shadows: flat xyz positions and triangle indices (any array type). */
export interface ShadowCaster {
  positions: ArrayLike<number>;
  indices: ArrayLike<number>;
}

/** Options of {@link shadowMap}. */
export interface ShadowMapOptions {
  /**
   * Frame the map on this sphere instead of the meshes' extent across the light: every direction
   * then has the same pixel size (for many maps of one mesh, e.g. an occlusion quadrature).
   */
  sphere?: { centre: readonly [number, number, number]; radius: number };
  /** A `size`² buffer to rasterise into (reused across calls; the map keeps it). */
  depth?: Float32Array;
}

/** Centre (box centre) and radius (largest distance, 2 % margin) of a sphere around `meshes`. */
export function boundingSphere(meshes: ReadonlyArray<ShadowCaster>): { centre: [number, number, number]; radius: number } {
  let x0 = Infinity, y0 = Infinity, z0 = Infinity, x1 = -Infinity, y1 = -Infinity, z1 = -Infinity;
  for (const m of meshes) for (let i = 0; i + 2 < m.positions.length; i += 3) {
    const x = m.positions[i]!, y = m.positions[i + 1]!, z = m.positions[i + 2]!;
    if (x < x0) x0 = x; if (x > x1) x1 = x;
    if (y < y0) y0 = y; if (y > y1) y1 = y;
    if (z < z0) z0 = z; if (z > z1) z1 = z;
  }
  const centre: [number, number, number] = [(x0 + x1) / 2, (y0 + y1) / 2, (z0 + z1) / 2];
  let rad = 0;
  for (const m of meshes) for (let i = 0; i + 2 < m.positions.length; i += 3) rad = Math.max(rad, Math.hypot(m.positions[i]! - centre[0], m.positions[i + 1]! - centre[1], m.positions[i + 2]! - centre[2]));
  return { centre, radius: rad * 1.02 + 1e-6 };
}

/**
 * Orthographic depth map of `meshes` along `d` (unit, the direction the light comes FROM), `size`²
 * pixels over the meshes' extent across the light (or over `options.sphere`).
 *
 * @example
 * const sm = shadowMap([mesh], [0, -0.6, -0.8], 2048);
 * const v = sm.lit(x, y, z, 2 * sm.pixelMm); // 1 lit, 0 in shadow
 */
export function shadowMap(meshes: ReadonlyArray<ShadowCaster>, d: readonly [number, number, number], size: number, options: ShadowMapOptions = {}): ShadowMap {
  const a: [number, number, number] = Math.abs(d[0]) < 0.9 ? [1, 0, 0] : [0, 1, 0];
  const e1 = norm3(cross3(d, a)), e2 = cross3(d, e1);
  let lo1 = Infinity, hi1 = -Infinity, lo2 = Infinity, hi2 = -Infinity;
  const sphere = options.sphere;
  if (sphere) {
    const [cx, cy, cz] = sphere.centre, u = e1[0] * cx + e1[1] * cy + e1[2] * cz, v = e2[0] * cx + e2[1] * cy + e2[2] * cz;
    lo1 = u - sphere.radius; hi1 = u + sphere.radius; lo2 = v - sphere.radius; hi2 = v + sphere.radius;
  } else {
    for (const m of meshes) for (let i = 0; i < m.positions.length; i += 3) {
      const u = e1[0] * m.positions[i]! + e1[1] * m.positions[i + 1]! + e1[2] * m.positions[i + 2]!, v = e2[0] * m.positions[i]! + e2[1] * m.positions[i + 1]! + e2[2] * m.positions[i + 2]!;
      lo1 = Math.min(lo1, u); hi1 = Math.max(hi1, u); lo2 = Math.min(lo2, v); hi2 = Math.max(hi2, v);
    }
  }
  const sc = (size - 2) / Math.max(hi1 - lo1, hi2 - lo2, 1e-6);
  const depth = options.depth && options.depth.length === size * size ? options.depth : new Float32Array(size * size);
  depth.fill(-Infinity);
  for (const m of meshes) {
    const n = m.positions.length / 3;
    const xy = new Float64Array(2 * n), h = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      const x = m.positions[3 * i]!, y = m.positions[3 * i + 1]!, z = m.positions[3 * i + 2]!;
      xy[2 * i] = 1 + (e1[0] * x + e1[1] * y + e1[2] * z - lo1) * sc; xy[2 * i + 1] = 1 + (e2[0] * x + e2[1] * y + e2[2] * z - lo2) * sc;
      h[i] = d[0] * x + d[1] * y + d[2] * z;
    }
    const I = m.indices;
    rasterizeTriangles(size, size, xy, I, (x, y, t, b0, b1, b2) => {
      const v = b0 * h[I[3 * t]!]! + b1 * h[I[3 * t + 1]!]! + b2 * h[I[3 * t + 2]!]!;
      const k = y * size + x;
      if (v > depth[k]!) depth[k] = v;
    });
  }
  return {
    pixelMm: 1 / sc,
    lit: (x, y, z, bias) => {
      const fx = 1 + (e1[0] * x + e1[1] * y + e1[2] * z - lo1) * sc - 0.5, fy = 1 + (e2[0] * x + e2[1] * y + e2[2] * z - lo2) * sc - 0.5;
      const h = d[0] * x + d[1] * y + d[2] * z;
      // 2×2 percentage-closer filter: the bilinear weight of the pixels with nothing above h + bias.
      const x0 = Math.floor(fx), y0 = Math.floor(fy), ax = fx - x0, ay = fy - y0, t = h + bias;
      let shadow = 0;
      for (let j = 0; j < 2; j++) {
        const Y = y0 + j;
        if (Y < 0 || Y >= size) continue;
        const wy = j === 0 ? 1 - ay : ay;
        for (let i = 0; i < 2; i++) {
          const X = x0 + i;
          if (X >= 0 && X < size && depth[Y * size + X]! > t) shadow += wy * (i === 0 ? 1 - ax : ax);
        }
      }
      return 1 - shadow;
    },
  };
}

function cross3(a: ArrayLike<number>, b: ArrayLike<number>): [number, number, number] { return [a[1]! * b[2]! - a[2]! * b[1]!, a[2]! * b[0]! - a[0]! * b[2]!, a[0]! * b[1]! - a[1]! * b[0]!]; }
function norm3(a: [number, number, number]): [number, number, number] { const l = Math.hypot(...a) || 1; return [a[0] / l, a[1] / l, a[2] / l]; }

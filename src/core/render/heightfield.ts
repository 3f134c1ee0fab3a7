/**
 * Texture-space light transport on a displacement height field (training renderer v2): ambient
 * occlusion and cast shadows of wrinkle-scale relief, and the detailed normal per texel. The map
 * lives in a UV layout whose texel → surface Jacobian is known per texel (`UVGeometry.dPdu/dPdv`,
 * mm per texel step), so distances along the skin are metric everywhere on a curved face.
 *
 * Horizon-based occlusion: along each of `directions` azimuths, the largest elevation angle h of
 * the height field seen from the texel within `radiusMm`; the cosine-weighted visible fraction of
 * the hemisphere above a locally flat base is (1/2π)∫cos²h(φ)dφ. For an infinite V-groove of wall
 * slope s this gives 1/√(1 + s²) at its bottom (the analytic case the tests check). Relief larger
 * than `radiusMm` (the nose, the eye sockets) is the mesh's business, not this module's.
 */

/** The per-texel frame of a UV layout: what {@link heightfieldOcclusion} and friends need. */
export interface TexelFrame {
  width: number;
  height: number;
  /** 1 on the surface. */
  coverage: ArrayLike<number>;
  /** ∂P/∂u, ∂P/∂v per texel (mm per texel step, xyz; v = one row down). */
  dPdu: ArrayLike<number>;
  dPdv: ArrayLike<number>;
  /** Unit base normal per texel (outward). */
  normal: ArrayLike<number>;
}

/** Options of {@link heightfieldOcclusion}. */
export interface OcclusionOptions {
  /** Azimuths sampled. Default 8. */
  directions?: number;
  /** Search radius along the skin, mm. Default 4. */
  radiusMm?: number;
  /** Samples along each azimuth (spaced quadratically: dense near the texel). Default 10. */
  steps?: number;
}

/** Defaults of {@link OcclusionOptions}. @public */
export const OCCLUSION_DEFAULTS = Object.freeze({ directions: 8, radiusMm: 4, steps: 10 });

/**
 * Ambient occlusion of a height field (cosine-weighted visible fraction, [0, 1]; 1 off the surface).
 *
 * @param disp displacement, mm, one per texel (outward positive).
 * @example const ao = heightfieldOcclusion(dispMm, frame, { radiusMm: 4 });
 */
export function heightfieldOcclusion(disp: Float32Array, frame: TexelFrame, options: OcclusionOptions = {}): Float32Array {
  const D = options.directions ?? OCCLUSION_DEFAULTS.directions;
  const R = options.radiusMm ?? OCCLUSION_DEFAULTS.radiusMm;
  const S = options.steps ?? OCCLUSION_DEFAULTS.steps;
  const { width: W, height: H, coverage } = frame;
  const out = new Float32Array(W * H).fill(1);
  const cs = Float64Array.from({ length: D }, (_, k) => Math.cos((2 * Math.PI * (k + 0.5)) / D));
  const sn = Float64Array.from({ length: D }, (_, k) => Math.sin((2 * Math.PI * (k + 0.5)) / D));
  for (let y = 0; y < H; y++) {
    for (let x = 0; x < W; x++) {
      const p = y * W + x;
      if (!(coverage[p]! > 0)) continue;
      const h0 = disp[p]!;
      let vis = 0;
      for (let k = 0; k < D; k++) {
        const mmPerTexel = stepLength(frame, p, cs[k]!, sn[k]!);
        if (!(mmPerTexel > 0)) { vis += 1; continue; }
        const maxT = R / mmPerTexel;
        let tanH = 0;
        for (let s = 1; s <= S; s++) {
          const t = Math.max(1, maxT * (s / S) * (s / S));
          const h = sampleHeight(disp, coverage, W, H, x + cs[k]! * t, y + sn[k]! * t);
          if (h === undefined) break;
          const th = (h - h0) / (t * mmPerTexel);
          if (th > tanH) tanH = th;
          if (t >= maxT) break;
        }
        vis += 1 / (1 + tanH * tanH); // cos²(h)
      }
      out[p] = vis / D;
    }
  }
  return out;
}

/**
 * Cast shadow of a height field for a distant light (1 lit, 0 in shadow; soft over `softMm` of
 * height margin), light direction given in the camera frame (toward the light). Texels whose base
 * normal faces away from the light get 0.
 *
 * @example const lit = heightfieldShadow(dispMm, frame, [-0.8, -0.2, -0.5], { radiusMm: 8 });
 */
export function heightfieldShadow(
  disp: Float32Array, frame: TexelFrame, light: ArrayLike<number>, options: { radiusMm?: number; steps?: number; softMm?: number } = {},
): Float32Array {
  const R = options.radiusMm ?? 8, S = options.steps ?? 16, soft = options.softMm ?? 0.03;
  const { width: W, height: H, coverage, dPdu, dPdv, normal } = frame;
  const ll = Math.hypot(light[0]!, light[1]!, light[2]!) || 1;
  const Lx = light[0]! / ll, Ly = light[1]! / ll, Lz = light[2]! / ll;
  const out = new Float32Array(W * H);
  for (let y = 0; y < H; y++) {
    for (let x = 0; x < W; x++) {
      const p = y * W + x;
      if (!(coverage[p]! > 0)) { out[p] = 1; continue; }
      const o = 3 * p;
      const cosN = Lx * normal[o]! + Ly * normal[o + 1]! + Lz * normal[o + 2]!;
      if (cosN <= 0.001) continue;
      // Light's tangential part in texel coordinates: solve [dPdu dPdv]·(a, b) ≈ L_t (least squares).
      const tx = Lx - cosN * normal[o]!, ty = Ly - cosN * normal[o + 1]!, tz = Lz - cosN * normal[o + 2]!;
      const [a, b] = toTexel(dPdu, dPdv, o, tx, ty, tz);
      const tl = Math.hypot(a, b);
      if (!(tl > 1e-9)) { out[p] = 1; continue; }
      // Per texel step along (a, b)/tl: tangential mm = |a dPdu + b dPdv|/tl = |L_t|/tl.
      const tangMm = Math.hypot(tx, ty, tz);
      const mmPerStep = tangMm / tl;
      const tanE = cosN / Math.max(1e-6, tangMm); // height gained per tangential mm along the ray
      const ux = a / tl, uy = b / tl;
      const maxT = R / mmPerStep;
      const h0 = disp[p]!;
      let margin = Infinity;
      for (let s = 1; s <= S; s++) {
        const t = Math.max(0.75, maxT * (s / S) * (s / S));
        const h = sampleHeight(disp, coverage, W, H, x + ux * t, y + uy * t);
        if (h === undefined) break;
        const m = h0 + tanE * t * mmPerStep - h; // ray height above the field
        if (m < margin) margin = m;
        if (t >= maxT) break;
      }
      out[p] = margin >= soft ? 1 : margin <= -soft ? 0 : 0.5 + (0.5 * margin) / soft;
    }
  }
  return out;
}

/**
 * Detailed unit normal per texel: the base normal tilted by the surface gradient of the
 * displacement, n = normalize(n₀ − ∇ₛd), with ∇ₛd = dᵤ·aᵘ + dᵥ·aᵛ (aᵘ, aᵛ the dual basis of
 * dPdu, dPdv in the tangent plane). Central differences where both neighbours are on the surface.
 *
 * @example const n = detailedNormals(dispMm, frame);
 */
export function detailedNormals(disp: Float32Array, frame: TexelFrame): Float32Array {
  const { width: W, height: H, coverage, dPdu, dPdv, normal } = frame;
  const out = new Float32Array(3 * W * H);
  for (let y = 0; y < H; y++) {
    for (let x = 0; x < W; x++) {
      const p = y * W + x, o = 3 * p;
      if (!(coverage[p]! > 0)) continue;
      const du = diff(disp, coverage, W, H, x, y, 1, 0), dv = diff(disp, coverage, W, H, x, y, 0, 1);
      // Metric g = [[Eu·Eu, Eu·Ev], [Ev·Eu, Ev·Ev]]; gradient = g⁻¹(du, dv) in (Eu, Ev) coordinates.
      const ux = dPdu[o]!, uy = dPdu[o + 1]!, uz = dPdu[o + 2]!, vx = dPdv[o]!, vy = dPdv[o + 1]!, vz = dPdv[o + 2]!;
      const E = ux * ux + uy * uy + uz * uz, F = ux * vx + uy * vy + uz * vz, G = vx * vx + vy * vy + vz * vz;
      const det = E * G - F * F;
      let nx = normal[o]!, ny = normal[o + 1]!, nz = normal[o + 2]!;
      if (det > 1e-12) {
        const ca = (G * du - F * dv) / det, cb = (E * dv - F * du) / det;
        nx -= ca * ux + cb * vx; ny -= ca * uy + cb * vy; nz -= ca * uz + cb * vz;
      }
      const l = Math.hypot(nx, ny, nz) || 1;
      out[o] = nx / l; out[o + 1] = ny / l; out[o + 2] = nz / l;
    }
  }
  return out;
}

/** mm along the surface of one texel step in texel direction (cx, cy). */
function stepLength(f: TexelFrame, p: number, cx: number, cy: number): number {
  const o = 3 * p;
  return Math.hypot(cx * f.dPdu[o]! + cy * f.dPdv[o]!, cx * f.dPdu[o + 1]! + cy * f.dPdv[o + 1]!, cx * f.dPdu[o + 2]! + cy * f.dPdv[o + 2]!);
}

/** Least-squares texel coordinates (a, b) of a tangent vector t ≈ a·dPdu + b·dPdv. */
function toTexel(dPdu: ArrayLike<number>, dPdv: ArrayLike<number>, o: number, tx: number, ty: number, tz: number): [number, number] {
  const ux = dPdu[o]!, uy = dPdu[o + 1]!, uz = dPdu[o + 2]!, vx = dPdv[o]!, vy = dPdv[o + 1]!, vz = dPdv[o + 2]!;
  const E = ux * ux + uy * uy + uz * uz, F = ux * vx + uy * vy + uz * vz, G = vx * vx + vy * vy + vz * vz;
  const det = E * G - F * F;
  if (!(det > 1e-12)) return [0, 0];
  const tu = tx * ux + ty * uy + tz * uz, tv = tx * vx + ty * vy + tz * vz;
  return [(G * tu - F * tv) / det, (E * tv - F * tu) / det];
}

/** Bilinear height at texel coordinates (x, y) (texel centres at integers); undefined off the surface or the map. */
function sampleHeight(d: Float32Array, cov: ArrayLike<number>, W: number, H: number, x: number, y: number): number | undefined {
  const x0 = Math.floor(x), y0 = Math.floor(y);
  if (x0 < 0 || y0 < 0 || x0 + 1 >= W || y0 + 1 >= H) return undefined;
  const p = y0 * W + x0;
  if (!(cov[p]! > 0 && cov[p + 1]! > 0 && cov[p + W]! > 0 && cov[p + W + 1]! > 0)) return undefined;
  const fx = x - x0, fy = y - y0;
  return (d[p]! * (1 - fx) + d[p + 1]! * fx) * (1 - fy) + (d[p + W]! * (1 - fx) + d[p + W + 1]! * fx) * fy;
}

/** Derivative of d per texel step along (sx, sy) ∈ {(1,0), (0,1)}: central, else one-sided, else 0. */
function diff(d: Float32Array, cov: ArrayLike<number>, W: number, H: number, x: number, y: number, sx: number, sy: number): number {
  const p = y * W + x;
  const okP = x + sx < W && y + sy < H && cov[p + sy * W + sx]! > 0;
  const okM = x - sx >= 0 && y - sy >= 0 && cov[p - sy * W - sx]! > 0;
  if (okP && okM) return (d[p + sy * W + sx]! - d[p - sy * W - sx]!) / 2;
  if (okP) return d[p + sy * W + sx]! - d[p]!;
  if (okM) return d[p]! - d[p - sy * W - sx]!;
  return 0;
}

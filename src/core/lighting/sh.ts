/**
 * Second-order real spherical harmonics, the lighting model of the whole pipeline.
 *
 * Convention: the *shading* (irradiance already convolved with the clamped cosine, divided by π)
 * at unit normal n is `s_c(n) = Σ_k coeff[c*9 + k] · Y_k(n)` for colour channel c, with the
 * orthonormal basis in the order [Y00, Y1-1, Y10, Y11, Y2-2, Y2-1, Y20, Y21, Y22] evaluated on the
 * normal expressed in the internal camera frame (+X right, +Y down, +Z forward into the scene; a
 * face looking at the camera has normals with negative z). A pixel's linear colour is then
 * `albedo_c · s_c(n)`.
 *
 * @example
 * const b = new Float64Array(9); shBasis(0, 0, -1, b); // normal facing the camera
 */

/** Orthonormal real SH constants (band 0's is exported for a constant light, band 1's for the lighting fit's band-2 target). */
export const SH_C0 = 0.28209479177387814;
export const SH_C1 = 0.4886025119029199;
const SH_C2 = 1.0925484305920792;
const SH_C20 = 0.31539156525252005;
const SH_C22 = 0.5462742152960396;

/**
 * Cosine-lobe convolution factors Â_l / π for bands 0, 1, 2 (Ramamoorthi & Hanrahan 2001):
 * multiply radiance coefficients by these to get shading coefficients in this module's convention.
 *
 * @public
 */
export const SH_COSINE_BAND = [1, 2 / 3, 1 / 4] as const;

/** The 9 basis values at unit normal (x, y, z), written to `out`. */
export function shBasis(x: number, y: number, z: number, out: Float64Array | Float32Array): void {
  out[0] = SH_C0;
  out[1] = SH_C1 * y;
  out[2] = SH_C1 * z;
  out[3] = SH_C1 * x;
  out[4] = SH_C2 * x * y;
  out[5] = SH_C2 * y * z;
  out[6] = SH_C20 * (3 * z * z - 1);
  out[7] = SH_C2 * x * z;
  out[8] = SH_C22 * (x * x - y * y);
}

/**
 * The shading of a weighted sum of channels, Σ_c w_c·s_c(n), as the 9 coefficients of the
 * monomials [1, y, z, x, xy, yz, 3z² − 1, xz, x² − y²] (the basis constants folded in), so a
 * per-texel loop evaluates it as `p0 + p1·y + p2·z + p3·x + p4·x·y + p5·y·z + p6·(3z² − 1) +
 * p7·x·z + p8·(x² − y²)` with no table lookups ({@link evalShPolynomial}). Channel c alone:
 * weights with a single 1.
 *
 * @example const lum = shPolynomial(sh, [0.2126, 0.7152, 0.0722]); evalShPolynomial(lum, 0, 0, -1)
 */
export function shPolynomial(coeffs: ArrayLike<number>, weights: readonly [number, number, number]): Float64Array {
  const k = [SH_C0, SH_C1, SH_C1, SH_C1, SH_C2, SH_C2, SH_C20, SH_C2, SH_C22];
  const p = new Float64Array(9);
  for (let q = 0; q < 9; q++) p[q] = k[q]! * (weights[0] * coeffs[q]! + weights[1] * coeffs[9 + q]! + weights[2] * coeffs[18 + q]!);
  return p;
}

/** {@link shPolynomial}'s polynomial at unit normal (x, y, z). */
export function evalShPolynomial(p: Float64Array, x: number, y: number, z: number): number {
  return p[0]! + p[1]! * y + p[2]! * z + p[3]! * x + p[4]! * x * y + p[5]! * y * z + p[6]! * (3 * z * z - 1) + p[7]! * x * z + p[8]! * (x * x - y * y);
}

/** Shading of channel `c` (0..2) at unit normal (x, y, z) for 27 coefficients. */
export function evalSH(coeffs: ArrayLike<number>, c: number, x: number, y: number, z: number): number {
  const o = c * 9;
  return coeffs[o]! * SH_C0
    + SH_C1 * (coeffs[o + 1]! * y + coeffs[o + 2]! * z + coeffs[o + 3]! * x)
    + SH_C2 * (coeffs[o + 4]! * x * y + coeffs[o + 5]! * y * z + coeffs[o + 7]! * x * z)
    + coeffs[o + 6]! * SH_C20 * (3 * z * z - 1)
    + coeffs[o + 8]! * SH_C22 * (x * x - y * y);
}

/**
 * Gradient of channel c's shading with respect to the (unnormalised) normal components, at unit
 * normal (x, y, z), written to `out[0..3)`: the derivative of {@link evalSH}'s polynomial. The
 * detail solver's Gauss–Newton Jacobian chains it through the normalisation of the normal.
 *
 * @example
 * const g = new Float64Array(3);
 * evalSHGradient(sh, 1, 0, 0, -1, g); // ∂s_green/∂n at a normal facing the camera
 */
export function evalSHGradient(coeffs: ArrayLike<number>, c: number, x: number, y: number, z: number, out: Float64Array | Float32Array): void {
  const o = c * 9;
  // Coefficients of the monomials y, z, x, xy, yz, 3z² − 1, xz, x² − y².
  const a1 = SH_C1 * coeffs[o + 1]!, a2 = SH_C1 * coeffs[o + 2]!, a3 = SH_C1 * coeffs[o + 3]!;
  const a4 = SH_C2 * coeffs[o + 4]!, a5 = SH_C2 * coeffs[o + 5]!, a6 = SH_C20 * coeffs[o + 6]!;
  const a7 = SH_C2 * coeffs[o + 7]!, a8 = SH_C22 * coeffs[o + 8]!;
  out[0] = a3 + a4 * y + a7 * z + 2 * a8 * x;
  out[1] = a1 + a4 * x + a5 * z - 2 * a8 * y;
  out[2] = a2 + a5 * y + 6 * a6 * z + a7 * x;
}

/**
 * Shading coefficients of a single distant directional light of colour `rgb` coming FROM unit
 * direction `d` (camera frame) plus a constant ambient term: shading(n) ≈ rgb·(max(0, n·d) + ambient).
 * Handy for tests and the preview renderer.
 */
export function directionalSH(dx: number, dy: number, dz: number, rgb: ArrayLike<number>, ambient = 0): Float64Array {
  const out = new Float64Array(27);
  const b = new Float64Array(9);
  shBasis(dx, dy, dz, b);
  for (let c = 0; c < 3; c++) {
    for (let k = 0; k < 9; k++) {
      const band = k === 0 ? 0 : k < 4 ? 1 : 2;
      // A delta light projects on Y_k as Y_k(d); convolving with the cosine lobe and scaling by π
      // makes the shading ≈ max(0, n·d) (exactly its order-2 SH approximation).
      out[c * 9 + k] = rgb[c]! * b[k]! * SH_COSINE_BAND[band]! * Math.PI;
    }
    out[c * 9] = out[c * 9]! + ambient * rgb[c]! / SH_C0;
  }
  return out;
}

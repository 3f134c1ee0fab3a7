/**
 * Colour science used to measure and constrain albedo colour: linear sRGB → CIE XYZ → CIELAB
 * (D65 white, the sRGB primaries of IEC 61966-2-1) and the CIEDE2000 colour difference
 * (CIE 142-2001, implemented from the formulas as written out in Sharma, Wu & Dalal, "The
 * CIEDE2000 Color-Difference Formula: Implementation Notes, Supplementary Test Data, and
 * Mathematical Observations", Color Res. Appl. 30(1), 2005; checked against that paper's 34
 * reference pairs in the unit tests).
 *
 * Convention: L* in [0, 100], a*, b* unbounded; Lab triples are written to `out` (no allocation).
 *
 * @example
 * const lab = new Float64Array(3);
 * linearRgbToLab(0.5, 0.3, 0.2, lab);
 * deltaE2000(lab[0], lab[1], lab[2], 50, 0, 0);
 */

/** D65 reference white of sRGB in XYZ (Y = 1). */
const D65_WHITE: readonly [number, number, number] = [0.95047, 1, 1.08883];

const EPS = 216 / 24389; // (6/29)³
const KAPPA = 24389 / 27; // (29/3)³

function labF(t: number): number {
  return t > EPS ? Math.cbrt(t) : (KAPPA * t + 16) / 116;
}

/**
 * Linear sRGB (not gamma-encoded, nominally [0, 1]) to CIELAB (D65), written to `out[0..3)`.
 * Negative inputs are clamped to 0.
 *
 * @example const lab = new Float64Array(3); linearRgbToLab(1, 1, 1, lab); // ≈ [100, 0, 0]
 */
export function linearRgbToLab(r: number, g: number, b: number, out: Float64Array | Float32Array | number[]): void {
  r = r > 0 ? r : 0; g = g > 0 ? g : 0; b = b > 0 ? b : 0;
  const X = 0.4124564 * r + 0.3575761 * g + 0.1804375 * b;
  const Y = 0.2126729 * r + 0.7151522 * g + 0.072175 * b;
  const Z = 0.0193339 * r + 0.119192 * g + 0.9503041 * b;
  const fx = labF(X / D65_WHITE[0]), fy = labF(Y), fz = labF(Z / D65_WHITE[2]);
  out[0] = 116 * fy - 16;
  out[1] = 500 * (fx - fy);
  out[2] = 200 * (fy - fz);
}

const RAD = Math.PI / 180;
const POW25_7 = 6103515625; // 25⁷

/**
 * CIEDE2000 colour difference ΔE₀₀ between two CIELAB colours, with the parametric factors
 * k_L = k_C = k_H = 1. Symmetric; 0 for identical colours. About 1 is a just-noticeable
 * difference; above 10 two colours read as clearly different.
 *
 * Follows Sharma et al. (2005) eqs. 1–22: a* is rescaled by 1 + G (G from the mean chroma), hue
 * angles are taken in [0°, 360°), the hue difference and the mean hue are wrapped the way the
 * paper specifies (and are 0 / the plain sum when either chroma is 0).
 *
 * @example deltaE2000(50, 2.6772, -79.7751, 50, 0, -82.7485) // 2.0425 (Sharma et al., pair 1)
 */
export function deltaE2000(L1: number, a1: number, b1: number, L2: number, a2: number, b2: number): number {
  const C1ab = Math.hypot(a1, b1), C2ab = Math.hypot(a2, b2);
  const Cab = 0.5 * (C1ab + C2ab);
  const Cab7 = Cab ** 7;
  const G = 0.5 * (1 - Math.sqrt(Cab7 / (Cab7 + POW25_7)));
  const a1p = (1 + G) * a1, a2p = (1 + G) * a2;
  const C1 = Math.hypot(a1p, b1), C2 = Math.hypot(a2p, b2);
  const hue = (b: number, a: number): number => {
    if (a === 0 && b === 0) return 0;
    const h = Math.atan2(b, a) / RAD;
    return h < 0 ? h + 360 : h;
  };
  const h1 = hue(b1, a1p), h2 = hue(b2, a2p);
  const dL = L2 - L1, dC = C2 - C1;
  const chromaZero = C1 * C2 === 0;
  let dh = 0;
  if (!chromaZero) {
    dh = h2 - h1;
    if (dh > 180) dh -= 360;
    else if (dh < -180) dh += 360;
  }
  const dH = 2 * Math.sqrt(C1 * C2) * Math.sin((dh / 2) * RAD);
  const Lm = 0.5 * (L1 + L2), Cm = 0.5 * (C1 + C2);
  let hm = h1 + h2;
  if (!chromaZero) {
    if (Math.abs(h1 - h2) > 180) hm = hm < 360 ? hm + 360 : hm - 360;
    hm *= 0.5;
  }
  const T = 1 - 0.17 * Math.cos((hm - 30) * RAD) + 0.24 * Math.cos(2 * hm * RAD)
    + 0.32 * Math.cos((3 * hm + 6) * RAD) - 0.2 * Math.cos((4 * hm - 63) * RAD);
  const dTheta = 30 * Math.exp(-(((hm - 275) / 25) ** 2));
  const Cm7 = Cm ** 7;
  const RC = 2 * Math.sqrt(Cm7 / (Cm7 + POW25_7));
  const L50 = (Lm - 50) ** 2;
  const SL = 1 + (0.015 * L50) / Math.sqrt(20 + L50);
  const SC = 1 + 0.045 * Cm;
  const SH = 1 + 0.015 * Cm * T;
  const RT = -Math.sin(2 * dTheta * RAD) * RC;
  const l = dL / SL, c = dC / SC, h = dH / SH;
  return Math.sqrt(Math.max(0, l * l + c * c + h * h + RT * c * h));
}

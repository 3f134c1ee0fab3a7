/**
 * The colours of the open mouth in the photo: the teeth and the dark interior (gums, tongue,
 * the cavity in shadow) seen between the inner lips, for the flat-coloured `teeth` and `mouth`
 * extra meshes. Isomorphic.
 *
 * Why colours and not the photo projected onto the teeth: the ICT teeth and gums have no UVs
 * (flat-coloured parts), a small open mouth shows a handful of pixels, and which tooth a pixel
 * belongs to depends on the fitted jaw to the millimetre; a colour per part needs neither. Its
 * limit: the teeth are one colour (no gaps, no shading between them), and a closed mouth keeps
 * the fixed colours.
 */
import { linearToSrgb, luminance, srgbToLinear } from '../image/image.js';
import { rasterizePolygon } from '../lighting/skin-mask.js';
import { assignDefaults } from '../options.js';
import { evalSH } from '../lighting/sh.js';
import type { Image, Mesh } from '../types.js';

/** The inner-lip contour of the face mesh (MediaPipe's `lipsInner`), a closed loop. */
export const INNER_LIPS: readonly number[] = Object.freeze([78, 191, 80, 81, 82, 13, 312, 311, 310, 415, 308, 324, 318, 402, 317, 14, 87, 178, 88, 95]);

/** Options of {@link estimateMouthColors}. */
export interface MouthColorOptions {
  /**
   * The inner-lip polygon is shrunk toward its centre by this fraction of its size before
   * sampling, so lip pixels at the landmarks' edge stay out. Default 0.1.
   */
  shrink: number;
  /** Fewest pixels in the (shrunk) opening to measure anything (a tiny mouth). Default 40. */
  minPixels: number;
  /**
   * A class (teeth, interior) is reported when it has at least this share of the opening's
   * pixels (and 12 pixels): a closed mouth's polygon still holds lip pixels, and a few of them
   * pass either test. Default 0.1.
   */
  minClassShare: number;
  /**
   * Teeth: pixels at least `teethLuminance` × the skin's luminance (as seen), sRGB saturation
   * (max − min) / max under `teethSaturation` and redness (R − G) / R under `teethRedness`
   * (teeth are near-white to yellowish; lips, gums and tongue are red or pink: on the shared
   * photos lips measure a redness of 0.25–0.35, teeth 0.03–0.13). Defaults 0.35, 0.45, 0.18.
   */
  teethLuminance: number;
  teethSaturation: number;
  teethRedness: number;
  /**
   * The interior: pixels under this fraction of the skin's luminance (the cavity, tongue and gums
   * in shadow; on the shared photos open mouths' interiors measure 0.01–0.07 of the skin, closed
   * lips 0.12–0.24). Default 0.1.
   */
  interiorLuminance: number;
  /**
   * With no teeth showing, the interior is reported only when it fills this share of the opening
   * (a closed mouth's seam in shadow fills 10–33 % on the shared photos). Default 0.35.
   */
  interiorAloneShare: number;
}

/** Defaults of {@link MouthColorOptions}. */
export const MOUTH_COLOR_DEFAULTS: Readonly<MouthColorOptions> = Object.freeze({
  shrink: 0.1, minPixels: 40, minClassShare: 0.1, teethLuminance: 0.35, teethSaturation: 0.45, teethRedness: 0.18, interiorLuminance: 0.1, interiorAloneShare: 0.35,
});

/** What the photo shows between the lips (LINEAR RGB, as seen: the lighting included). */
export interface MouthColors {
  /** The teeth's colour (per-channel median, the brightest 5 % left out: highlights); absent when none show. */
  teeth?: [number, number, number];
  /** The dark interior's colour (per-channel median); absent when none shows. */
  interior?: [number, number, number];
  /** Pixels in the opening, and the shares of them taken as teeth and as interior. */
  pixels: number;
  teethShare: number;
  interiorShare: number;
}

/**
 * The teeth and mouth-interior colours seen inside the inner lips (`skinLuminance`: the face
 * skin's luminance as seen, linear: the reference for bright and dark); `null` when the
 * shrunk inner-lip polygon holds fewer than `minPixels` pixels. A closed mouth gives neither
 * colour (its polygon holds lips: red, neither white nor dark).
 *
 * @example
 * const m = estimateMouthColors(photo, analysis.landmarks, 0.3); // { teeth: [0.55, 0.5, 0.42], interior: [0.03, 0.01, 0.01], pixels: 1800, teethShare: 0.6, interiorShare: 0.3 }
 */
export function estimateMouthColors(image: Image, landmarks: ArrayLike<number>, skinLuminance: number, options: Partial<MouthColorOptions> = {}): MouthColors | null {
  const o = assignDefaults(MOUTH_COLOR_DEFAULTS, options);
  const pixels = openingPixels(image, landmarks, o.shrink);
  const n = pixels.length / 3;
  if (n < o.minPixels) return null;
  const lum = new Float64Array(n);
  for (let k = 0; k < n; k++) lum[k] = luminance(pixels[3 * k]!, pixels[3 * k + 1]!, pixels[3 * k + 2]!);
  const teeth: number[] = [], dark: number[] = [];
  for (let k = 0; k < n; k++) {
    if (lum[k]! < o.interiorLuminance * skinLuminance) { dark.push(k); continue; }
    if (lum[k]! < o.teethLuminance * skinLuminance) continue;
    const r = linearToSrgb(pixels[3 * k]!), g = linearToSrgb(pixels[3 * k + 1]!), b = linearToSrgb(pixels[3 * k + 2]!);
    const mx = Math.max(r, g, b), mn = Math.min(r, g, b);
    if (mx > 0 && (mx - mn) / mx < o.teethSaturation && (r - g) / mx < o.teethRedness) teeth.push(k);
  }
  const enough = (m: number): boolean => m >= 12 && m >= o.minClassShare * n;
  const out: MouthColors = { pixels: n, teethShare: teeth.length / n, interiorShare: dark.length / n };
  if (enough(teeth.length)) {
    // The brightest 5 % of the teeth are highlights.
    teeth.sort((a, b) => lum[a]! - lum[b]!);
    out.teeth = medianColor(pixels, teeth.slice(0, Math.max(1, Math.floor(teeth.length * 0.95))));
  }
  // Without teeth, dark pixels are as often the closed lips' seam in shadow: a widely open mouth only.
  if (enough(dark.length) && (out.teeth || dark.length >= o.interiorAloneShare * n)) out.interior = medianColor(pixels, dark);
  return out;
}

/** Linear RGB of the photo's pixels inside the inner-lip polygon shrunk by `shrink` toward its centroid. */
function openingPixels(image: Image, L: ArrayLike<number>, shrink: number): number[] {
  const W = image.width, H = image.height, C = image.channels;
  let mx = 0, my = 0;
  for (const i of INNER_LIPS) { mx += L[3 * i]! / INNER_LIPS.length; my += L[3 * i + 1]! / INNER_LIPS.length; }
  let x0 = Infinity, y0 = Infinity, x1 = -Infinity, y1 = -Infinity;
  const poly = INNER_LIPS.map((i) => [mx + (1 - shrink) * (L[3 * i]! - mx), my + (1 - shrink) * (L[3 * i + 1]! - my)] as const);
  for (const [x, y] of poly) { x0 = Math.min(x0, x); x1 = Math.max(x1, x); y0 = Math.min(y0, y); y1 = Math.max(y1, y); }
  const cx0 = Math.max(0, Math.floor(x0)), cy0 = Math.max(0, Math.floor(y0));
  const cw = Math.min(W, Math.ceil(x1) + 1) - cx0, ch = Math.min(H, Math.ceil(y1) + 1) - cy0;
  const out: number[] = [];
  if (!(cw > 0 && ch > 0)) return out;
  const xy = new Float64Array(2 * poly.length);
  poly.forEach(([x, y], k) => { xy[2 * k] = x - cx0; xy[2 * k + 1] = y - cy0; });
  const inside = new Uint8Array(cw * ch);
  if (rasterizePolygon(cw, ch, xy, inside) === 0) return out;
  const g = C >= 3 ? [0, 1, 2] : [0, 0, 0];
  for (let y = 0; y < ch; y++) {
    for (let x = 0; x < cw; x++) {
      if (!inside[y * cw + x]) continue;
      const p = ((cy0 + y) * W + cx0 + x) * C;
      out.push(srgbToLinear(image.data[p + g[0]!]!), srgbToLinear(image.data[p + g[1]!]!), srgbToLinear(image.data[p + g[2]!]!));
    }
  }
  return out;
}

/** Per-channel median of the listed pixels. */
function medianColor(pixels: readonly number[], idx: readonly number[]): [number, number, number] {
  const out: [number, number, number] = [0, 0, 0];
  for (let c = 0; c < 3; c++) {
    const v = Float64Array.from(idx, (k) => pixels[3 * k + c]!).sort();
    out[c] = v[v.length >> 1]!;
  }
  return out;
}

/**
 * The mean SH shading (linear RGB, 27 coefficients as `lighting/sh.ts`) over the vertices of a
 * camera-frame mesh that face the camera (normal within 70° of the line of sight): what the
 * fitted lighting gives a part in a render from the photo's camera. Dividing a colour seen in
 * the photo by it gives the albedo that renders as the photo shows it — the mouth's shadow
 * between the lips included, which a viewer without ambient occlusion would not add.
 * `undefined` when no vertex faces the camera.
 *
 * @example
 * const s = cameraFacingShading(teeth.mesh, light.lighting.coefficients); // e.g. [0.9, 0.8, 0.75]
 */
export function cameraFacingShading(mesh: Mesh, sh: ArrayLike<number>): [number, number, number] | undefined {
  const P = mesh.positions, N = mesh.normals;
  if (!N) return undefined;
  const sum = [0, 0, 0];
  let n = 0;
  for (let v = 0; v < P.length / 3; v++) {
    const px = P[3 * v]!, py = P[3 * v + 1]!, pz = P[3 * v + 2]!, d = Math.hypot(px, py, pz);
    const nx = N[3 * v]!, ny = N[3 * v + 1]!, nz = N[3 * v + 2]!;
    if (!(d > 0) || -(nx * px + ny * py + nz * pz) / d < Math.cos((70 * Math.PI) / 180)) continue;
    for (let c = 0; c < 3; c++) sum[c] = sum[c]! + evalSH(sh, c, nx, ny, nz);
    n++;
  }
  return n > 0 ? (sum.map((s) => s / n) as [number, number, number]) : undefined;
}

/**
 * The head texture (`head_albedo.png`): the photo projected onto every visible part of the head
 * and neck skin (the `head` extra mesh, in its own UV layout, see `ict-head-uv.ts`), de-lit with
 * the face's lighting, and blended without a seam into a skin-coloured fill where the photo does
 * not see the head. Isomorphic: typed arrays in, typed arrays out.
 *
 * Per texel t of the head (its surface point P, smooth normal n):
 * 1. **photo**: P projected with the fitted camera and sampled (`unwrapTexture` without its fill),
 *    depth-tested against the WHOLE head (face, head, sockets, teeth, eyes), so the back of the
 *    head, the far side of the neck and what an ear hides are not painted; confidence = the view
 *    ramp (cos of n against the view ray, {@link HeadTextureOptions.grazingLow} …
 *    `grazingHigh`) × the share of the pixel footprint on this surface;
 * 2. **de-lit** with the face's SH lighting exactly as the face albedo is (`computeAlbedo`,
 *    shared brightness, bounded light colour), without its shadow fill: where the shading falls
 *    into the guard zone (S < 2F) the photo's weight goes to 0 instead;
 * 3. **weight** w = confidence × shading weight × skin gate (what is plainly not skin — a cap, a
 *    collar, the background — goes to the fill; {@link HeadTextureOptions.skinGateSigma}) × a soft
 *    erosion of the seen area ({@link HeadTextureOptions.edgeTexels}), so the photo fades out over
 *    a few texels where the depth test cuts it (behind an ear, under the jaw) instead of stopping;
 * 4. **blend**: h = w · photo + (1 − w) · skin, the skin fill being the median albedo of the face's well-seen texels
 *    (already de-lit: a constant, the lowest frequency there is);
 * 5. **junction**: along the face's outer border (the head's vertices there are the detailed
 *    face's own), the difference face albedo − h is measured per border vertex; its smooth part
 *    (Gaussian along the border, {@link HeadTextureOptions.borderSmoothMm}) is added to the head
 *    with a falloff over {@link HeadTextureOptions.junctionMm} from the border, the rest (the
 *    border's fine detail, lightly smoothed: {@link HeadTextureOptions.borderFineMm}) over
 *    {@link HeadTextureOptions.junctionFineMm}. So the head's colour
 *    at the border is the face's, and no colour step is left (measured by {@link junctionStep}).
 */
import { createImage, linearImageToSrgb, luminance, sampleUV, srgbImageToLinear } from '../image/image.js';
import { computeAlbedo } from '../lighting/albedo.js';
import { evalSH } from '../lighting/sh.js';
import { buildEdgeTable } from '../mesh/edges.js';
import { boxSum } from '../detail/box-filter.js';
import { assignDefaults } from '../options.js';
import { renderDepth } from '../raster/depth.js';
import { FaceDetailError } from '../errors.js';
import type { Camera, Image, Mesh } from '../types.js';
import { rasterizeAttribute, rasterizeUV } from '../unwrap/rasterize-uv.js';
import { unwrapTexture } from '../unwrap/unwrap-texture.js';
import { ICT_HEAD_UV_LAYOUT } from '../model/ict/ict-head-uv.js';

/** Options of {@link paintHeadTexture}. */
export interface HeadTextureOptions {
  /** Texture width, texels. @example 1024 */
  width: number;
  /** Texture height, texels. @example 512 */
  height: number;
  /**
   * View ramp: the photo's weight is 0 at cos θ ≤ grazingLow (θ between the normal and the ray to
   * the camera) and 1 at cos θ ≥ grazingHigh (smoothstep): wider than the face's (0.1 … 0.35),
   * since the head is seen mostly at grazing angles and this ramp is the photo-to-fill blend.
   * @example 0.15
   */
  grazingLow: number;
  /** Upper end of the view ramp (cos θ). @example 0.5 */
  grazingHigh: number;
  /** Depth-test tolerance, mm: a point more than this behind the nearest surface is hidden. @example 4 */
  depthToleranceMm: number;
  /** Longest side of the depth buffer, px (bigger photos are tested at reduced scale). @example 1536 */
  depthMaxSize: number;
  /** Width of the soft erosion of the seen area, texels (the photo fades out over this). @example 4 */
  edgeTexels: number;
  /** Reach of the smooth junction correction from the face's border, mm. @example 30 */
  junctionMm: number;
  /** Reach of the fine (per border vertex) junction correction, mm. @example 4 */
  junctionFineMm: number;
  /** σ of the smoothing of the border differences along the border, mm. @example 10 */
  borderSmoothMm: number;
  /** σ of the light smoothing of the fine part of the border differences, mm. @example 1 */
  borderFineMm: number;
  /** Texels of padding around the UV charts (bilinear and mipmapped lookups). @example 4 */
  padTexels: number;
  /**
   * Skin gate: the photo's weight is multiplied by exp(−½ d²), d the distance of the de-lit
   * colour from the face's skin in robust standard deviations (log chromaticity ln R/G, ln B/G
   * and log luminance, each scaled by this many times its MAD-based spread over the seen face),
   * so what is plainly not skin — a cap, a collar, a suit, the background — is left to the fill.
   * 0 turns the gate off. @example 3
   */
  skinGateSigma: number;
}

/** Defaults of {@link HeadTextureOptions}. */
export const HEAD_TEXTURE_DEFAULTS: Readonly<HeadTextureOptions> = Object.freeze({
  width: ICT_HEAD_UV_LAYOUT.width,
  height: ICT_HEAD_UV_LAYOUT.height,
  grazingLow: 0.15,
  grazingHigh: 0.5,
  depthToleranceMm: 4,
  depthMaxSize: 1536,
  edgeTexels: 4,
  junctionMm: 30,
  junctionFineMm: 4,
  borderSmoothMm: 10,
  borderFineMm: 1,
  padTexels: 4,
  skinGateSigma: 3,
});

/** What {@link paintHeadTexture} paints from (camera frame, mm). */
export interface HeadTextureInput {
  /** The photo, sRGB RGB [0, 1]. */
  image: Image;
  camera: Camera;
  /** The head and neck skin: positions, normals and UVs (the texture's layout). */
  head: Mesh;
  /** Everything else that can hide the head in the photo: the detailed face, sockets, teeth, eyes. */
  occluders: readonly Mesh[];
  /** The detailed face (positions, UVs) and its final albedo (linear): the colour the head must meet. */
  face: Mesh;
  faceAlbedoLinear: Image;
  /** The face's SH shading coefficients (27, `fitLighting`). */
  sh: ArrayLike<number>;
  /** The skin fill, linear RGB (the face's median albedo). */
  skin: readonly [number, number, number];
  /** Texels of `faceAlbedoLinear` the photo saw well (the skin gate's statistics); default every non-black texel. */
  faceSeen?: Uint8Array;
}

/** What {@link paintHeadTexture} returns. */
export interface HeadTexture {
  /** The head albedo, linear RGB, `width` × `height`. */
  linear: Image;
  /** The same, sRGB (for `head_albedo.png`). */
  srgb: Image;
  /** The photo's weight per texel in [0, 1] (0: fill only). */
  photoWeight: Float32Array;
  stats: HeadTextureStats;
}

/** Statistics of a painted head texture (`result.json` → `headTexture`). */
export interface HeadTextureStats {
  /** Share of the head's texels with a photo weight ≥ 0.1. */
  seenFraction: number;
  /** Head vertices on the face's border (the junction). */
  junctionVertices: number;
  /** {@link junctionStep} of the flat skin colour (the head as a single colour). */
  junctionStepFlat: number;
  /** {@link junctionStep} of the photo + fill blend before the junction correction. */
  junctionStepBlend: number;
  /** {@link junctionStep} of the final texture. */
  junctionStep: number;
}

/** The junction: head vertices on the face's border, paired with their face vertex. */
export interface HeadJunction {
  /** Head vertex ids. */
  head: Uint32Array;
  /** The face vertex at the same position, per head vertex. */
  face: Uint32Array;
}

/**
 * Paint the head texture (see the module comment for the steps).
 *
 * @example
 * const tex = paintHeadTexture({ image, camera, head: headMesh, occluders: [detailed, sockets], face: detailed,
 *   faceAlbedoLinear: albedo.linear, sh: lighting.coefficients, skin: medianAlbedo(albedo.linear, coverage) });
 * tex.stats.junctionStep; // e.g. 0.01 (linear RGB)
 */
export function paintHeadTexture(input: HeadTextureInput, options: Partial<HeadTextureOptions> = {}): HeadTexture {
  const o = assignDefaults(HEAD_TEXTURE_DEFAULTS, options);
  const { head, camera } = input;
  if (!head.uvs || !head.normals) throw new FaceDetailError('INVALID_INPUT', 'paintHeadTexture: input.head needs uvs and normals');
  if (!input.face.uvs) throw new FaceDetailError('INVALID_INPUT', 'paintHeadTexture: input.face needs uvs');
  if (input.sh.length !== 27) throw new FaceDetailError('INVALID_INPUT', `paintHeadTexture: input.sh must hold 27 coefficients, got ${input.sh.length}`);
  const W = o.width, H = o.height, n = W * H;
  const geom = rasterizeUV(head, W, H);

  // 1. The photo, depth-tested against the whole head.
  const all = mergeMeshes([head, ...input.occluders]);
  const big = Math.max(camera.width, camera.height), s = big > o.depthMaxSize ? o.depthMaxSize / big : 1;
  const depth = renderDepth(all, camera, Math.max(1, Math.round(camera.width * s)), Math.max(1, Math.round(camera.height * s)));
  const raw = unwrapTexture(input.image, camera, head, geom, {
    depth, fill: false, grazingLow: o.grazingLow, grazingHigh: o.grazingHigh, depthToleranceMm: o.depthToleranceMm,
  });

  // 2. De-lit as the face albedo, and the shading guard zone's weight.
  const photo = computeAlbedo(srgbImageToLinear(raw.texture), geom.normal, raw.observed, input.sh, { shadowFill: 'none' });
  const shadeW = shadingWeight(geom.normal, raw.observed, input.sh);

  // 3. Weight: confidence × shading × skin gate × soft erosion of the seen area (charts' own borders excluded).
  const seenShare = boxRatio(raw.observed, geom.coverage, W, H, o.edgeTexels);
  const gate = o.skinGateSigma > 0 ? skinGate(photo, raw.observed, geom.coverage, input.faceAlbedoLinear, input.faceSeen, o.skinGateSigma) : undefined;
  const w = new Float32Array(n);
  let seen = 0, covered = 0;
  for (let k = 0; k < n; k++) {
    if (!geom.coverage[k]) continue;
    covered++;
    if (!raw.observed[k]) continue;
    const erode = smoothstep01(2 * seenShare[k]! - 1);
    w[k] = raw.confidence.data[k]! * shadeW[k]! * erode * (gate ? gate[k]! : 1);
    if (w[k]! >= 0.1) seen++;
  }

  // 4. Blend into the skin fill.
  const out = createImage(W, H, 3);
  const d = out.data, p = photo.data, skin = input.skin;
  for (let k = 0; k < n; k++) {
    const wk = w[k]!;
    for (let c = 0; c < 3; c++) d[3 * k + c] = geom.coverage[k] ? wk * p[3 * k + c]! + (1 - wk) * skin[c]! : skin[c]!;
  }
  padCharts(out, geom.coverage, o.padTexels);

  // 5. The junction correction.
  const junction = findJunction(head, input.face);
  const flat = junctionStep(input.face, input.faceAlbedoLinear, head, { width: 1, height: 1, channels: 3, data: Float32Array.from(skin) }, junction);
  const before = junctionStep(input.face, input.faceAlbedoLinear, head, out, junction);
  if (junction.head.length > 0) {
    const corr = junctionCorrection(head, input.face, input.faceAlbedoLinear, out, junction, o);
    const field = rasterizeAttribute(geom, head, corr, 3);
    for (let k = 0; k < n; k++) {
      if (!geom.coverage[k]) continue;
      for (let c = 0; c < 3; c++) d[3 * k + c] = Math.min(1, Math.max(0, d[3 * k + c]! + field[3 * k + c]!));
    }
    padCharts(out, geom.coverage, o.padTexels);
  }
  const after = junctionStep(input.face, input.faceAlbedoLinear, head, out, junction);
  return {
    linear: out,
    srgb: linearImageToSrgb(out),
    photoWeight: w,
    stats: {
      seenFraction: covered > 0 ? seen / covered : 0,
      junctionVertices: junction.head.length,
      junctionStepFlat: flat,
      junctionStepBlend: before,
      junctionStep: after,
    },
  };
}

/**
 * The head vertices that sit exactly on the face's border vertices (the extra meshes' border is
 * snapped onto the detailed face, so the positions are bit-identical), each with its face vertex.
 *
 * @example
 * const j = findJunction(headMesh, detailedFace); // j.head.length ≈ the face's outer border vertices (+ seam copies)
 */
export function findJunction(head: Mesh, face: Mesh): HeadJunction {
  const F = face.positions, nf = F.length / 3;
  const et = buildEdgeTable(face.indices, nf);
  // Border vertices by their x coordinate (a number key: fast), then an exact xyz comparison.
  const border = new Map<number, number[]>();
  for (let e = 0; e < et.edgeCount; e++) {
    if (et.faceCount[e] !== 1) continue;
    for (const v of [et.vertices[2 * e]!, et.vertices[2 * e + 1]!]) {
      const list = border.get(F[3 * v]!) ?? border.set(F[3 * v]!, []).get(F[3 * v]!)!;
      if (!list.includes(v)) list.push(v);
    }
  }
  const hs: number[] = [], fs: number[] = [];
  const P = head.positions;
  for (let v = 0; v < P.length / 3; v++) {
    const list = border.get(P[3 * v]!);
    if (!list) continue;
    const f = list.find((u) => F[3 * u + 1] === P[3 * v + 1] && F[3 * u + 2] === P[3 * v + 2]);
    if (f !== undefined) { hs.push(v); fs.push(f); }
  }
  return { head: Uint32Array.from(hs), face: Uint32Array.from(fs) };
}

/**
 * The colour step at the face/head junction: the mean, over the junction's vertices, of the
 * Euclidean distance (linear RGB) between the face albedo at the face vertex's UV and the head
 * texture at the head vertex's UV. A head texture of 1 × 1 texel is a flat colour.
 *
 * @example
 * const step = junctionStep(detailed, albedo.linear, headMesh, headTexture.linear, findJunction(headMesh, detailed)); // e.g. 0.01
 */
export function junctionStep(face: Mesh, faceAlbedo: Image, head: Mesh, headTexture: Image, junction: HeadJunction): number {
  if (junction.head.length === 0) return 0;
  const a = new Float32Array(3), b = new Float32Array(3);
  let sum = 0;
  junction.head.forEach((h, i) => {
    const f = junction.face[i]!;
    sampleUV(faceAlbedo, face.uvs![2 * f]!, face.uvs![2 * f + 1]!, a);
    sampleUV(headTexture, head.uvs![2 * h]!, head.uvs![2 * h + 1]!, b);
    sum += Math.hypot(a[0]! - b[0]!, a[1]! - b[1]!, a[2]! - b[2]!);
  });
  return sum / junction.head.length;
}

/** Per head vertex, the colour to add (3 per vertex): the junction's differences spread with their falloffs. */
function junctionCorrection(head: Mesh, face: Mesh, faceAlbedo: Image, headTex: Image, j: HeadJunction, o: HeadTextureOptions): Float32Array {
  const B = j.head.length, P = head.positions;
  const bp = new Float64Array(3 * B), diff = new Float64Array(3 * B);
  const a = new Float32Array(3), b = new Float32Array(3);
  for (let i = 0; i < B; i++) {
    const h = j.head[i]!, f = j.face[i]!;
    for (let c = 0; c < 3; c++) bp[3 * i + c] = P[3 * h + c]!;
    sampleUV(faceAlbedo, face.uvs![2 * f]!, face.uvs![2 * f + 1]!, a);
    sampleUV(headTex, head.uvs![2 * h]!, head.uvs![2 * h + 1]!, b);
    for (let c = 0; c < 3; c++) diff[3 * i + c] = a[c]! - b[c]!;
  }
  // The smooth part (σ borderSmoothMm) and the fine part, itself lightly smoothed (σ
  // borderFineMm: the differences of single border vertices alternate, which combed the texture
  // along the border of small photos).
  const smooth = gaussianAlongBorder(bp, diff, o.borderSmoothMm), fineDiff = gaussianAlongBorder(bp, diff, o.borderFineMm);
  // Per head vertex, from its nearest border point: the smooth part with the long falloff, the
  // fine part with the short one (the smooth part varies slowly along the border, so switching
  // nearest points leaves no visible step; a Gaussian over the neighbours cost 0.4 s at 131k vertices).
  const nv = P.length / 3, out = new Float32Array(3 * nv);
  const R = o.junctionMm, cell = R;
  const grid = new Map<number, number[]>();
  // Cells of `cell` mm, keyed by one number (a head spans far fewer than 1024 cells per axis).
  const cellKey = (ix: number, iy: number, iz: number): number => ((ix + 512) * 1024 + iy + 512) * 1024 + iz + 512;
  for (let i = 0; i < B; i++) {
    const k = cellKey(Math.floor(bp[3 * i]! / cell), Math.floor(bp[3 * i + 1]! / cell), Math.floor(bp[3 * i + 2]! / cell));
    (grid.get(k) ?? grid.set(k, []).get(k)!).push(i);
  }
  for (let v = 0; v < nv; v++) {
    const x = P[3 * v]!, y = P[3 * v + 1]!, z = P[3 * v + 2]!;
    const ix = Math.floor(x / cell), iy = Math.floor(y / cell), iz = Math.floor(z / cell);
    let best = -1, bd = Infinity;
    for (let dx = -1; dx <= 1; dx++) for (let dy = -1; dy <= 1; dy++) for (let dz = -1; dz <= 1; dz++) {
      const list = grid.get(cellKey(ix + dx, iy + dy, iz + dz));
      if (!list) continue;
      for (const i of list) {
        const d2 = (bp[3 * i]! - x) ** 2 + (bp[3 * i + 1]! - y) ** 2 + (bp[3 * i + 2]! - z) ** 2;
        if (d2 < bd) { bd = d2; best = i; }
      }
    }
    if (best < 0 || bd >= R * R) continue;
    const dist = Math.sqrt(bd);
    const fLong = 1 - smoothstep01(dist / R), fShort = 1 - smoothstep01(dist / o.junctionFineMm);
    for (let c = 0; c < 3; c++) {
      const sm = smooth[3 * best + c]!, fine = fineDiff[3 * best + c]! - sm;
      out[3 * v + c] = fLong * sm + fShort * fine;
    }
  }
  return out;
}

/** Log-chromaticity and log-luminance features of a linear RGB colour (floored at 1e-3). */
function skinFeatures(r: number, g: number, b: number, out: Float64Array): void {
  const R = Math.max(1e-3, r), G = Math.max(1e-3, g), B = Math.max(1e-3, b);
  out[0] = Math.log(R / G); out[1] = Math.log(B / G); out[2] = Math.log(luminance(R, G, B));
}

/**
 * Per head texel, the skin gate in [0, 1] (see {@link HeadTextureOptions.skinGateSigma}): the face's
 * feature medians and MAD spreads (floored: 0.05 chroma, 0.15 luminance), the de-lit photo's
 * distance from them, then a 2-texel box mean over the seen texels (no speckle on hair).
 */
function skinGate(photo: Image, seen: Uint8Array, coverage: Uint8Array, face: Image, faceSeen: Uint8Array | undefined, sigma: number): Float32Array {
  // The face's statistics on a regular subsample of its seen texels (≤ ~65k: the medians need no more).
  const nf = face.width * face.height, f = new Float64Array(3);
  const use = (k: number): boolean => (faceSeen ? faceSeen[k] !== 0 : face.data[3 * k]! + face.data[3 * k + 1]! + face.data[3 * k + 2]! > 0);
  let count = 0;
  for (let k = 0; k < nf; k++) if (use(k)) count++;
  const n = seen.length, out = new Float32Array(n);
  if (count === 0) return out.fill(1);
  const stride = Math.max(1, Math.floor(count / 65536)), m = Math.ceil(count / stride);
  const feats = [new Float64Array(m), new Float64Array(m), new Float64Array(m)];
  let i = 0, j = 0;
  for (let k = 0; k < nf; k++) {
    if (!use(k) || i++ % stride !== 0) continue;
    skinFeatures(face.data[3 * k]!, face.data[3 * k + 1]!, face.data[3 * k + 2]!, f);
    for (let c = 0; c < 3; c++) feats[c]![j] = f[c]!;
    j++;
  }
  const med = [0, 0, 0], spread = [0, 0, 0];
  for (let c = 0; c < 3; c++) {
    const v = feats[c]!.subarray(0, j).sort();
    med[c] = v[j >> 1]!;
    const dev = v.map((x) => Math.abs(x - med[c]!)).sort();
    spread[c] = Math.max(c < 2 ? 0.05 : 0.15, 1.4826 * dev[j >> 1]!) * sigma;
  }
  const raw = new Float32Array(n);
  for (let k = 0; k < n; k++) {
    if (!seen[k]) continue;
    skinFeatures(photo.data[3 * k]!, photo.data[3 * k + 1]!, photo.data[3 * k + 2]!, f);
    let d2 = 0;
    for (let c = 0; c < 3; c++) d2 += ((f[c]! - med[c]!) / spread[c]!) ** 2;
    raw[k] = Math.exp(-0.5 * d2);
  }
  const W = photo.width, H = photo.height, a = new Float64Array(n), b = new Float64Array(n), tmp = new Float64Array(n);
  boxSum(raw, W, H, 2, a, tmp);
  boxSum(seen, W, H, 2, b, tmp);
  for (let k = 0; k < n; k++) out[k] = coverage[k] && b[k]! > 0 ? a[k]! / b[k]! : 0;
  return out;
}

/** Per border point, the Gaussian-weighted mean (σ mm, 3D distance) of `values` (3 per point) over the border points: O(B²), B is a few hundred. */
function gaussianAlongBorder(points: Float64Array, values: Float64Array, sigma: number): Float64Array {
  const B = points.length / 3, out = new Float64Array(3 * B), inv2s2 = 1 / (2 * sigma * sigma);
  for (let i = 0; i < B; i++) {
    let ws = 0, r = 0, g = 0, b = 0;
    for (let k = 0; k < B; k++) {
      const d2 = (points[3 * i]! - points[3 * k]!) ** 2 + (points[3 * i + 1]! - points[3 * k + 1]!) ** 2 + (points[3 * i + 2]! - points[3 * k + 2]!) ** 2;
      const w = Math.exp(-d2 * inv2s2);
      ws += w; r += w * values[3 * k]!; g += w * values[3 * k + 1]!; b += w * values[3 * k + 2]!;
    }
    out[3 * i] = r / ws; out[3 * i + 1] = g / ws; out[3 * i + 2] = b / ws;
  }
  return out;
}

/** Per texel, the weight of the photo's de-lit colour from the luminance shading (0 below F, 1 above 2F; F = 0.3 × the mean). */
function shadingWeight(normals: Float32Array, seen: Uint8Array, sh: ArrayLike<number>): Float32Array {
  const n = seen.length, S = new Float32Array(n), out = new Float32Array(n);
  let mean = 0, count = 0;
  for (let k = 0; k < n; k++) {
    if (!seen[k]) continue;
    const x = normals[3 * k]!, y = normals[3 * k + 1]!, z = normals[3 * k + 2]!;
    S[k] = luminance(evalSH(sh, 0, x, y, z), evalSH(sh, 1, x, y, z), evalSH(sh, 2, x, y, z));
    mean += S[k]!; count++;
  }
  const F = Math.max(1e-6, 0.3 * (count > 0 ? mean / count : 1));
  for (let k = 0; k < n; k++) if (seen[k]) out[k] = smoothstep01((S[k]! - F) / F);
  return out;
}

/** Per texel, the share of seen texels among the covered ones in the (2r+1)² window. */
function boxRatio(seen: Uint8Array, coverage: Uint8Array, W: number, H: number, r: number): Float32Array {
  const n = W * H, a = new Float64Array(n), b = new Float64Array(n), tmp = new Float64Array(n);
  boxSum(seen, W, H, r, a, tmp);
  boxSum(coverage, W, H, r, b, tmp);
  const out = new Float32Array(n);
  for (let k = 0; k < n; k++) out[k] = b[k]! > 0 ? a[k]! / b[k]! : 0;
  return out;
}

/** Grow the charts by `pad` texels: each empty texel next to filled ones takes their mean (in place). */
function padCharts(img: Image, coverage: Uint8Array, pad: number): void {
  const { width: W, height: H, data: d } = img;
  let filled = Uint8Array.from(coverage);
  for (let pass = 0; pass < pad; pass++) {
    const next = Uint8Array.from(filled);
    for (let y = 0; y < H; y++) {
      for (let x = 0; x < W; x++) {
        const k = y * W + x;
        if (filled[k]) continue;
        let m = 0, r = 0, g = 0, b = 0;
        for (let dy = -1; dy <= 1; dy++) {
          const yy = y + dy;
          if (yy < 0 || yy >= H) continue;
          for (let dx = -1; dx <= 1; dx++) {
            const xx = x + dx, q = yy * W + xx;
            if (xx < 0 || xx >= W || !filled[q]) continue;
            m++; r += d[3 * q]!; g += d[3 * q + 1]!; b += d[3 * q + 2]!;
          }
        }
        if (m === 0) continue;
        d[3 * k] = r / m; d[3 * k + 1] = g / m; d[3 * k + 2] = b / m;
        next[k] = 1;
      }
    }
    filled = next;
  }
}

/** One mesh of several (positions and indices only), for the depth buffer. */
function mergeMeshes(meshes: readonly Mesh[]): Mesh {
  const nv = meshes.reduce((s, m) => s + m.positions.length, 0), ni = meshes.reduce((s, m) => s + m.indices.length, 0);
  const positions = new Float32Array(nv), indices = new Uint32Array(ni);
  let v = 0, i = 0;
  for (const m of meshes) {
    positions.set(m.positions, v);
    for (let k = 0; k < m.indices.length; k++) indices[i + k] = m.indices[k]! + v / 3;
    v += m.positions.length; i += m.indices.length;
  }
  return { positions, indices };
}

function smoothstep01(t: number): number {
  if (t <= 0) return 0;
  if (t >= 1) return 1;
  return t * t * (3 - 2 * t);
}

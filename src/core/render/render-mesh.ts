import { createImage, linearToSrgb, sampleUV } from '../image/image.js';
import { evalSH } from '../lighting/sh.js';
import { pointOcclusion } from '../lighting/visibility.js';
import { rasterizeTriangles } from '../raster/rasterize.js';
import type { Camera, Image, Mesh } from '../types.js';
import { shadowMap, type ShadowMap } from '../raster/shadow-map.js';

/** The ambient term of a directional {@link RenderLighting} that gives none. */
export const DIRECTIONAL_AMBIENT_DEFAULT = 0.08;

/** Lighting of {@link renderMesh}: SH shading (see lighting/sh.ts) or one directional light. */
export type RenderLighting =
  | { type: 'sh'; coefficients: ArrayLike<number> }
  | {
      type: 'directional';
      /** Direction the light comes FROM, camera frame (normalised internally). */
      direction: [number, number, number];
      /** Light colour (linear). Default [1,1,1]. */
      color?: [number, number, number];
      /** Ambient term added to the Lambert term. Default {@link DIRECTIONAL_AMBIENT_DEFAULT}. */
      ambient?: number;
    };

/**
 * Visibility of the lights in {@link renderMesh}: cast shadows of key lights (a shadow map of the
 * rendered mesh along each, looked up per pixel) and ambient occlusion of the rest of the lighting
 * (per vertex, the cosine-weighted visible fraction of the mesh against itself).
 *
 * Shading with visibility (per colour channel; V_k the key's visibility at the pixel, 0–1, AO the
 * ambient occlusion):
 * - `directional` lighting: `c · (max(0, n·d) · V + ambient · AO)`;
 * - `sh` lighting: `s(n) − Σ_k (1 − V_k) · max(0, s_k(n)) − (1 − AO) · (s(n) − Σ_k s_k(n))`, where
 *   `s` is the SH shading of `lighting.coefficients` and `s_k` that of key k's `coefficients` (its
 *   share of them; the rest is the environment, which AO scales).
 * Unoccluded points (V = AO = 1) shade exactly as without `shadows`. The specular lobe is scaled
 * by the visibility along its own direction.
 */
export interface RenderShadows {
  /**
   * Lights that cast shadows. With `directional` lighting, omit it (the light itself casts the
   * shadow) or give one key without `coefficients`. With `sh` lighting, each key's `coefficients`
   * (27, the sh.ts layout) is its part of `lighting.coefficients`.
   * @example [{ direction: [0.9, -0.25, -0.35], coefficients: directionalSH(0.9, -0.25, -0.35, [1, 1, 1]) }]
   */
  keys?: Array<{ direction: [number, number, number]; coefficients?: ArrayLike<number> }>;
  /**
   * Ambient occlusion per vertex (0–1, e.g. {@link meshAmbientOcclusion}, which is pose-invariant
   * for a rigid mesh, so it can be computed once), `true` to compute it here with the defaults, or
   * `false` for none. Default true.
   */
  ambientOcclusion?: boolean | Float32Array;
  /** Shadow-map side, px, over the mesh's extent across the light. Default 2048. */
  mapSize?: number;
  /** Receiver offset along its (interpolated) normal and depth bias, in shadow-map pixels (acne guard). Default 1.5, 1. */
  normalOffsetPx?: number;
  biasPx?: number;
}

/** Defaults of {@link RenderShadows}. */
export const RENDER_SHADOWS_DEFAULTS = Object.freeze({ mapSize: 2048, normalOffsetPx: 1.5, biasPx: 1 });

/**
 * Ambient occlusion of a mesh against itself, per vertex: the cosine-weighted fraction of the
 * hemisphere about the vertex normal from which the rest of the mesh is not seen (1 = open), from
 * `directions` shadow maps over a Fibonacci sphere (see lighting/visibility.ts `pointOcclusion`).
 * Needs `mesh.normals`. Directions through the mesh's open boundary (a neck, a mask's back) count
 * as open.
 *
 * @example const ao = meshAmbientOcclusion(scan.mesh); // then renderMesh(..., { shadows: { ambientOcclusion: ao } })
 */
export function meshAmbientOcclusion(mesh: Mesh, options: { directions?: number; mapSize?: number } = {}): Float32Array {
  if (!mesh.normals) throw new Error('meshAmbientOcclusion: mesh.normals required');
  return pointOcclusion(mesh, mesh.positions, mesh.normals, { directions: options.directions ?? 256, mapSize: options.mapSize ?? 512 }).visibility;
}

export interface RenderOptions {
  lighting: RenderLighting;
  /** Cast shadows and ambient occlusion (see {@link RenderShadows}); default none (every light reaches every point). */
  shadows?: RenderShadows;
  /** Albedo texture (sRGB RGB, sampled at the mesh UVs); default uniform `albedoColor`. */
  albedo?: Image;
  /** Uniform albedo (linear RGB) when no texture is given. Default clay [0.62, 0.58, 0.55]. */
  albedoColor?: [number, number, number];
  /**
   * Per-vertex albedo (linear RGB, 3 per vertex), interpolated perspective-correctly; used when
   * no `albedo` texture is given (before `albedoColor`).
   */
  vertexColors?: Float32Array;
  /** Tangent-space normal map (glTF convention); needs mesh.uvs and mesh.tangents. */
  normalMap?: Image;
  /** Optional Blinn-Phong specular lobe added to the shading: intensity and exponent. */
  specular?: { intensity: number; exponent: number; direction: [number, number, number] };
  /**
   * Optional map (sampled at the mesh UVs, first channel, values as stored in [0, 1]) that
   * multiplies the specular intensity per pixel, e.g. a scan's specular/gloss map. Needs mesh.uvs.
   */
  specularMap?: Image;
  /** Background colour (sRGB). Default [0, 0, 0]. */
  background?: [number, number, number];
  /** Return sRGB-encoded (default) or linear colours. */
  output?: 'srgb' | 'linear';
}

export interface RenderResult {
  /** RGB colour image. */
  image: Image;
  /** Per-pixel shading normal (camera frame, unit; 0 where empty). */
  normal: Float32Array;
  /** Per-pixel camera z in mm (+Infinity where empty). */
  depth: Float32Array;
  /** Triangle index per pixel (−1 where empty). */
  triangle: Int32Array;
  /**
   * Perspective-correct barycentric weights per pixel (2 per pixel: the weights of the
   * triangle's first and second vertex; the third is 1 − both). Zero where empty. Lets callers
   * interpolate any per-vertex attribute (UVs, head-frame positions, masks) at each pixel.
   */
  barycentric: Float32Array;
}

/**
 * Deterministic CPU renderer: z-buffered rasterization of a triangle mesh given in the camera
 * frame (OpenCV axes, mm), perspective-correct interpolation of normals/UVs, then deferred shading
 * (albedo × lighting [+ specular]), optionally with cast shadows and ambient occlusion
 * (`shadows`). Used by the gallery and the accuracy and albedo benchmarks.
 *
 * @example
 * const r = renderMesh(mesh, camera, { lighting: { type: 'directional', direction: [-1, 0, -0.3] } });
 */
export function renderMesh(mesh: Mesh, camera: Camera, options: RenderOptions): RenderResult {
  const W = camera.width, H = camera.height;
  const P = mesh.positions, N = mesh.normals, UV = mesh.uvs, TG = mesh.tangents;
  if (!N) throw new Error('renderMesh: mesh.normals required');
  const nv = P.length / 3;
  const VC = options.vertexColors;
  if (VC && VC.length !== 3 * nv) throw new Error(`renderMesh: vertexColors needs ${3 * nv} values (3 per vertex), got ${VC.length}`);
  const xy = new Float64Array(nv * 2);
  const invZ = new Float64Array(nv);
  for (let i = 0; i < nv; i++) {
    const z = P[3 * i + 2]!;
    invZ[i] = z > 1e-6 ? 1 / z : NaN;
    xy[2 * i] = camera.fx * P[3 * i]! * invZ[i]! + camera.cx;
    xy[2 * i + 1] = camera.fy * P[3 * i + 1]! * invZ[i]! + camera.cy;
  }
  const depth = new Float32Array(W * H).fill(Infinity);
  const triangle = new Int32Array(W * H).fill(-1);
  const bary = new Float32Array(W * H * 2);
  const I = mesh.indices;
  rasterizeTriangles(W, H, xy, I, (x, y, t, b0, b1, b2) => {
    const a = I[3 * t]!, b = I[3 * t + 1]!, c = I[3 * t + 2]!;
    const w0 = b0 * invZ[a]!, w1 = b1 * invZ[b]!, w2 = b2 * invZ[c]!;
    const s = w0 + w1 + w2;
    if (!(s > 0)) return;
    const z = 1 / s;
    const p = y * W + x;
    if (z < depth[p]!) {
      depth[p] = z;
      triangle[p] = t;
      bary[2 * p] = w0 * z;
      bary[2 * p + 1] = w1 * z;
    }
  });

  const out = createImage(W, H, 3);
  const normal = new Float32Array(W * H * 3);
  const bg = options.background ?? [0, 0, 0];
  const srgb = (options.output ?? 'srgb') === 'srgb';
  const albedoColor = options.albedoColor ?? [0.62, 0.58, 0.55];
  const alb = new Float32Array(4), nm = new Float32Array(4), sm = new Float32Array(4);
  const L = options.lighting;
  let ld = [0, 0, -1], lc = [1, 1, 1], amb = DIRECTIONAL_AMBIENT_DEFAULT;
  if (L.type === 'directional') {
    const n = Math.hypot(...L.direction) || 1;
    ld = [L.direction[0] / n, L.direction[1] / n, L.direction[2] / n];
    lc = L.color ?? [1, 1, 1];
    amb = L.ambient ?? DIRECTIONAL_AMBIENT_DEFAULT;
  }
  const vis = options.shadows ? prepareShadows(mesh, options) : undefined;
  const keyVis = new Float64Array(vis?.keys.length ?? 0);
  for (let p = 0; p < W * H; p++) {
    const t = triangle[p]!;
    if (t < 0) {
      for (let c = 0; c < 3; c++) out.data[3 * p + c] = srgb ? bg[c]! : srgbInv(bg[c]!);
      continue;
    }
    const a = I[3 * t]!, b = I[3 * t + 1]!, c3 = I[3 * t + 2]!;
    const w0 = bary[2 * p]!, w1 = bary[2 * p + 1]!, w2 = 1 - w0 - w1;
    let nx = w0 * N[3 * a]! + w1 * N[3 * b]! + w2 * N[3 * c3]!;
    let ny = w0 * N[3 * a + 1]! + w1 * N[3 * b + 1]! + w2 * N[3 * c3 + 1]!;
    let nz = w0 * N[3 * a + 2]! + w1 * N[3 * b + 2]! + w2 * N[3 * c3 + 2]!;
    let nl = Math.hypot(nx, ny, nz) || 1;
    nx /= nl; ny /= nl; nz /= nl;
    let u = 0, v = 0;
    if (UV) {
      u = w0 * UV[2 * a]! + w1 * UV[2 * b]! + w2 * UV[2 * c3]!;
      v = w0 * UV[2 * a + 1]! + w1 * UV[2 * b + 1]! + w2 * UV[2 * c3 + 1]!;
    }
    if (options.normalMap && UV && TG) {
      // glTF: interpolate tangents unnormalised, orthogonalise, B = cross(N, T) · w.
      let tx = w0 * TG[4 * a]! + w1 * TG[4 * b]! + w2 * TG[4 * c3]!;
      let ty = w0 * TG[4 * a + 1]! + w1 * TG[4 * b + 1]! + w2 * TG[4 * c3 + 1]!;
      let tz = w0 * TG[4 * a + 2]! + w1 * TG[4 * b + 2]! + w2 * TG[4 * c3 + 2]!;
      const hw = TG[4 * a + 3]! < 0 ? -1 : 1;
      const d = tx * nx + ty * ny + tz * nz;
      tx -= d * nx; ty -= d * ny; tz -= d * nz;
      const tl = Math.hypot(tx, ty, tz) || 1;
      tx /= tl; ty /= tl; tz /= tl;
      const bx = (ny * tz - nz * ty) * hw, by = (nz * tx - nx * tz) * hw, bz = (nx * ty - ny * tx) * hw;
      sampleUV(options.normalMap, u, v, nm);
      const mx = nm[0]! * 2 - 1, my = nm[1]! * 2 - 1, mz = nm[2]! * 2 - 1;
      const px = mx * tx + my * bx + mz * nx, py = mx * ty + my * by + mz * ny, pz = mx * tz + my * bz + mz * nz;
      nl = Math.hypot(px, py, pz) || 1;
      nx = px / nl; ny = py / nl; nz = pz / nl;
    }
    let ao = 1, specVis = 1;
    if (vis) {
      // The point on the triangle and its interpolated (pre-normal-map) normal, for the shadow lookups.
      const px = P[3 * a]! * w0 + P[3 * b]! * w1 + P[3 * c3]! * w2;
      const py = P[3 * a + 1]! * w0 + P[3 * b + 1]! * w1 + P[3 * c3 + 1]! * w2;
      const pz = P[3 * a + 2]! * w0 + P[3 * b + 2]! * w1 + P[3 * c3 + 2]! * w2;
      const gx = w0 * N[3 * a]! + w1 * N[3 * b]! + w2 * N[3 * c3]!, gy = w0 * N[3 * a + 1]! + w1 * N[3 * b + 1]! + w2 * N[3 * c3 + 1]!, gz = w0 * N[3 * a + 2]! + w1 * N[3 * b + 2]! + w2 * N[3 * c3 + 2]!;
      const gl = Math.hypot(gx, gy, gz) || 1;
      const lit = (sm: ShadowMap): number => {
        const off = vis.normalOffsetPx * sm.pixelMm / gl;
        return sm.lit(px + off * gx, py + off * gy, pz + off * gz, vis.biasPx * sm.pixelMm);
      };
      for (let k = 0; k < vis.keys.length; k++) keyVis[k] = lit(vis.keys[k]!.map);
      if (vis.specular) specVis = vis.specular.key >= 0 ? keyVis[vis.specular.key]! : lit(vis.specular.map!);
      if (vis.ao) ao = w0 * vis.ao[a]! + w1 * vis.ao[b]! + w2 * vis.ao[c3]!;
    }
    normal[3 * p] = nx; normal[3 * p + 1] = ny; normal[3 * p + 2] = nz;
    if (options.albedo && UV) {
      sampleUV(options.albedo, u, v, alb);
      for (let c = 0; c < 3; c++) alb[c] = srgbInv(alb[c]!);
    } else if (VC) {
      for (let c = 0; c < 3; c++) alb[c] = w0 * VC[3 * a + c]! + w1 * VC[3 * b + c]! + w2 * VC[3 * c3 + c]!;
    } else {
      alb[0] = albedoColor[0]; alb[1] = albedoColor[1]; alb[2] = albedoColor[2];
    }
    let spec = 0;
    if (options.specular) {
      const sd = options.specular.direction, sl = Math.hypot(...sd) || 1;
      // Half vector between light direction and view direction (toward the camera).
      const px = P[3 * a]! * w0 + P[3 * b]! * w1 + P[3 * c3]! * w2;
      const py = P[3 * a + 1]! * w0 + P[3 * b + 1]! * w1 + P[3 * c3 + 1]! * w2;
      const pz = P[3 * a + 2]! * w0 + P[3 * b + 2]! * w1 + P[3 * c3 + 2]! * w2;
      const vl = Math.hypot(px, py, pz) || 1;
      let hx = sd[0] / sl - px / vl, hy = sd[1] / sl - py / vl, hz = sd[2] / sl - pz / vl;
      const hl = Math.hypot(hx, hy, hz) || 1;
      hx /= hl; hy /= hl; hz /= hl;
      const ndh = Math.max(0, nx * hx + ny * hy + nz * hz);
      spec = options.specular.intensity * Math.pow(ndh, options.specular.exponent) * specVis;
      if (options.specularMap && UV) {
        sampleUV(options.specularMap, u, v, sm);
        spec *= sm[0]!;
      }
    }
    for (let c = 0; c < 3; c++) {
      let shade: number;
      if (L.type === 'sh') {
        shade = evalSH(L.coefficients, c, nx, ny, nz);
        if (vis) {
          // Subtract the blocked part of each key and the occluded share of the environment.
          let keys = 0, blocked = 0;
          for (let k = 0; k < vis.keys.length; k++) {
            const sk = evalSH(vis.keys[k]!.coefficients!, c, nx, ny, nz);
            keys += sk;
            blocked += (1 - keyVis[k]!) * Math.max(0, sk);
          }
          shade -= blocked + (1 - ao) * (shade - keys);
        }
      } else {
        const v = vis ? keyVis[0]! : 1;
        shade = lc[c]! * (Math.max(0, nx * ld[0]! + ny * ld[1]! + nz * ld[2]!) * v + amb * ao);
      }
      const lin = alb[c]! * Math.max(0, shade) + spec;
      out.data[3 * p + c] = srgb ? linearToSrgb(lin) : lin;
    }
  }
  return { image: out, normal, depth, triangle, barycentric: bary };
}

interface PreparedShadows {
  keys: Array<{ map: ShadowMap; coefficients?: ArrayLike<number> }>;
  /** The specular lobe's visibility: a key's (index) or its own map (key −1). */
  specular?: { key: number; map?: ShadowMap };
  ao?: Float32Array;
  normalOffsetPx: number;
  biasPx: number;
}

/** Shadow maps of the keys (and of the specular direction when no key shares it) and the per-vertex AO. */
function prepareShadows(mesh: Mesh, options: RenderOptions): PreparedShadows {
  const S = options.shadows!, L = options.lighting, nv = mesh.positions.length / 3;
  const size = S.mapSize ?? RENDER_SHADOWS_DEFAULTS.mapSize;
  if (!(Number.isInteger(size) && size >= 8)) throw new RangeError(`renderMesh: shadows.mapSize must be an integer ≥ 8, got ${size}`);
  const unit = (d: readonly number[]): [number, number, number] => { const l = Math.hypot(d[0]!, d[1]!, d[2]!) || 1; return [d[0]! / l, d[1]! / l, d[2]! / l]; };
  let keys: Array<{ direction: [number, number, number]; coefficients?: ArrayLike<number> }>;
  if (L.type === 'directional') {
    if (S.keys?.length) throw new RangeError('renderMesh: shadows.keys must be omitted with directional lighting (the light itself casts the shadow)');
    keys = [{ direction: L.direction }];
  } else {
    keys = S.keys ?? [];
    keys.forEach((k, i) => {
      if (k.coefficients?.length !== 27) throw new RangeError(`renderMesh: shadows.keys[${i}].coefficients must hold 27 values (the key's share of the SH lighting), got ${k.coefficients?.length ?? 'none'}`);
    });
  }
  const prepared: PreparedShadows = {
    keys: keys.map((k) => ({ map: shadowMap([mesh], unit(k.direction), size), ...(k.coefficients ? { coefficients: k.coefficients } : {}) })),
    normalOffsetPx: S.normalOffsetPx ?? RENDER_SHADOWS_DEFAULTS.normalOffsetPx,
    biasPx: S.biasPx ?? RENDER_SHADOWS_DEFAULTS.biasPx,
  };
  if (options.specular) {
    const sd = unit(options.specular.direction);
    const key = keys.findIndex((k) => { const d = unit(k.direction); return d[0] * sd[0] + d[1] * sd[1] + d[2] * sd[2] > 1 - 1e-9; });
    prepared.specular = key >= 0 ? { key } : { key: -1, map: shadowMap([mesh], sd, size) };
  }
  const ao = S.ambientOcclusion ?? true;
  if (ao instanceof Float32Array) {
    if (ao.length !== nv) throw new RangeError(`renderMesh: shadows.ambientOcclusion needs ${nv} values (1 per vertex), got ${ao.length}`);
    prepared.ao = ao;
  } else if (ao) {
    prepared.ao = meshAmbientOcclusion(mesh);
  }
  return prepared;
}

function srgbInv(c: number): number {
  return c <= 0.04045 ? c / 12.92 : Math.pow((c + 0.055) / 1.055, 2.4);
}

import { createImage, linearToSrgb, sampleUV } from '../image/image.js';
import { evalSH } from '../lighting/sh.js';
import { rasterizeTriangles } from '../raster/rasterize.js';
import type { Camera, Image, Mesh } from '../types.js';

/** Lighting of {@link renderMesh}: SH shading (see lighting/sh.ts) or one directional light. */
export type RenderLighting =
  | { type: 'sh'; coefficients: ArrayLike<number> }
  | {
      type: 'directional';
      /** Direction the light comes FROM, camera frame (normalised internally). */
      direction: [number, number, number];
      /** Light colour (linear). Default [1,1,1]. */
      color?: [number, number, number];
      /** Ambient term added to the Lambert term. Default 0.08. */
      ambient?: number;
    };

export interface RenderOptions {
  lighting: RenderLighting;
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
 * (albedo × lighting [+ specular]). Used by the gallery and the accuracy benchmark.
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
  let ld = [0, 0, -1], lc = [1, 1, 1], amb = 0.08;
  if (L.type === 'directional') {
    const n = Math.hypot(...L.direction) || 1;
    ld = [L.direction[0] / n, L.direction[1] / n, L.direction[2] / n];
    lc = L.color ?? [1, 1, 1];
    amb = L.ambient ?? 0.08;
  }
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
      spec = options.specular.intensity * Math.pow(ndh, options.specular.exponent);
      if (options.specularMap && UV) {
        sampleUV(options.specularMap, u, v, sm);
        spec *= sm[0]!;
      }
    }
    for (let c = 0; c < 3; c++) {
      const shade = L.type === 'sh'
        ? evalSH(L.coefficients, c, nx, ny, nz)
        : lc[c]! * (Math.max(0, nx * ld[0]! + ny * ld[1]! + nz * ld[2]!) + amb);
      const lin = alb[c]! * Math.max(0, shade) + spec;
      out.data[3 * p + c] = srgb ? linearToSrgb(lin) : lin;
    }
  }
  return { image: out, normal, depth, triangle, barycentric: bary };
}

function srgbInv(c: number): number {
  return c <= 0.04045 ? c / 12.92 : Math.pow((c + 0.055) / 1.055, 2.4);
}

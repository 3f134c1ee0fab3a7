/**
 * Training renderer v2: a face with wrinkle-scale relief, rendered on the CPU with the light
 * transport that makes creases look dark in real photos. Deterministic; isomorphic.
 *
 * 1. geometry: the base mesh (camera frame, with UVs) is displaced by the displacement map along
 *    its normals ({@link displaceMesh}: true geometry at the mesh's resolution: silhouettes,
 *    parallax, the mesh-level shadow map); the shading normal per texel is the base normal tilted
 *    by the map's full-resolution gradient ({@link detailedNormals});
 * 2. visibility per texel: height-field ambient occlusion ({@link heightfieldOcclusion}) for the
 *    environment light; for each directional light the height-field cast shadow of the relief
 *    ({@link heightfieldShadow}) times a mesh shadow map (orthographic depth along the light, of the
 *    displaced mesh and any `occluders`: the nose's shadow, glasses, a hand); an area light is
 *    `samples` directions on a cone of `radiusDeg`;
 * 3. diffuse irradiance per texel (Lambert under the lights + SH environment × AO), then a
 *    subsurface approximation: texture-space diffusion, E' = (1 − w)E + w·G_σc(E) with per-channel
 *    σ (red scatters furthest; d'Eon & Luebke's texture-space diffusion, one Gaussian per channel);
 * 4. per image sample: albedo × diffused irradiance (looked up at the sample's UV) + a GGX specular
 *    lobe (Trowbridge–Reitz D, Schlick F with F₀ = 0.028, Smith–Schlick G) per directional light,
 *    roughness from oily (0.25) to dry (0.55), shadowed like the diffuse;
 * 5. camera: `supersample`² samples per pixel box-filtered, optional Gaussian blur and noise (JPEG
 *    compression is the caller's: it needs an encoder).
 * The ground truth of the same samples comes back with the image: detailed and smooth normals,
 * displacement, UV and coverage per pixel.
 */
import { maskedGaussianBlur } from '../eval/angular-error.js';
import { linearToSrgb } from '../image/image.js';
import { evalSH } from '../lighting/sh.js';
import { displaceMesh } from '../mesh/displace.js';
import type { Camera, Image, Mesh } from '../types.js';
import { rasterizeUV } from '../unwrap/rasterize-uv.js';
import { detailedNormals, heightfieldOcclusion, heightfieldShadow, type TexelFrame } from './heightfield.js';
import { renderMesh } from './render-mesh.js';
import { shadowMap } from '../raster/shadow-map.js';

/** A light of {@link renderSkin}. Directions are camera-frame, pointing toward the light. */
export type SkinLight =
  | { type: 'directional'; direction: [number, number, number]; color: [number, number, number]; radiusDeg?: number; samples?: number }
  | { type: 'environment'; coefficients: ArrayLike<number> };

/** Options of {@link renderSkin}. */
export interface SkinRenderOptions {
  lights: SkinLight[];
  /** Displacement map, mm, 1 channel, in the mesh's UV layout (outward positive). */
  displacement: Image;
  /** Albedo, linear RGB, in the mesh's UV layout; default uniform skin. */
  albedo?: Image;
  /** Meshes that only cast shadows (camera frame): glasses, hair, a hand, the rest of the head. */
  occluders?: Mesh[];
  /**
   * Other meshes drawn with the face (z-buffered), Lambert-shaded with a flat or per-vertex colour
   * (linear RGB; camera frame): the rest of the head, eyes, teeth, and occluders (glasses, hair, a
   * hand). Pixels of those with `occluder: true` are counted in {@link SkinRender.occluded}.
   */
  foreground?: Array<{ mesh: Mesh; color: [number, number, number]; vertexColors?: Float32Array; occluder?: boolean }>;
  /** GGX roughness α (0.25 oily … 0.55 dry). Default 0.4. */
  roughness?: number;
  /** Specular scale (0 = none). Default 1. */
  specular?: number;
  /**
   * Scale of the environment's specular reflection (0 = none, the directional lights' GGX only):
   * the environment's shading at the mirror direction × the GGX lobe's directional albedo at n·v
   * ({@link envBrdf}) × the texel's AO as specular occlusion. Default 0.
   */
  environmentSpecular?: number;
  /** Texture-space shading resolution. Default 1024. */
  textureSize?: number;
  /** Subsurface: per-channel σ, mm, and the diffused share. Default [1.2, 0.55, 0.3], 0.7. */
  subsurface?: { sigmaMm: [number, number, number]; weight: number };
  /** Height-field AO / shadow search radii, mm. Default 4 / 8. */
  aoRadiusMm?: number;
  shadowRadiusMm?: number;
  /** Samples per pixel along each axis. Default 2. */
  supersample?: number;
  /** Gaussian camera blur σ, pixels (0 = none). Default 0. */
  blurPx?: number;
  /** Gaussian noise σ (linear units) and its seed. Default 0. */
  noise?: number;
  noiseSeed?: number;
  /** Background, linear RGB. Default [0.2, 0.2, 0.21]. */
  background?: [number, number, number];
  /** Skip the mesh shadow map (height-field shadows only). Default false. */
  noMeshShadows?: boolean;
}

/** Defaults of {@link SkinRenderOptions}. */
export const SKIN_RENDER_DEFAULTS = Object.freeze({
  roughness: 0.4, specular: 1, environmentSpecular: 0, textureSize: 1024, subsurface: { sigmaMm: [1.2, 0.55, 0.3] as [number, number, number], weight: 0.7 },
  aoRadiusMm: 4, shadowRadiusMm: 8, supersample: 2, blurPx: 0, noise: 0, noiseSeed: 1, background: [0.2, 0.2, 0.21] as [number, number, number],
});

/** What {@link renderSkin} returns (per-pixel arrays at the camera's resolution). */
export interface SkinRender {
  /** sRGB image. */
  image: Image;
  /** Linear image before the sRGB encoding. */
  linear: Image;
  /** Ground truth: detailed and smooth unit normals (camera frame), displacement (mm), UV, and skin coverage (0–1). */
  detailedNormal: Float32Array;
  smoothNormal: Float32Array;
  displacement: Float32Array;
  uv: Float32Array;
  coverage: Float32Array;
  /** Share of each pixel covered by a foreground occluder (0–1). */
  occluded: Float32Array;
  /** Texture-space intermediates (for figures and tests): AO, shadow of the first directional light, diffused irradiance (RGB). */
  texture: { size: number; ao: Float32Array; shadow: Float32Array; irradiance: Float32Array };
}

/**
 * Render a skin mesh with displacement, shadows, AO, subsurface and GGX specular.
 *
 * @param mesh base (smooth) mesh in the camera frame (mm), with `uvs` and `normals`.
 * @example
 * const r = renderSkin(faceInCam, camera, { displacement: map, lights: [{ type: 'directional', direction: [-0.7, -0.3, -0.6], color: [2, 2, 2] }] });
 */
export function renderSkin(mesh: Mesh, camera: Camera, options: SkinRenderOptions): SkinRender {
  const o = { ...SKIN_RENDER_DEFAULTS, ...stripUndefined(options), lights: options.lights };
  if (!mesh.uvs || !mesh.normals) throw new RangeError('renderSkin: mesh.uvs and mesh.normals are required');
  const T = o.textureSize;
  const disp = resampleMap(options.displacement, T);
  const frame = rasterizeUV(mesh, T, T);
  const tf: TexelFrame = { width: T, height: T, coverage: frame.coverage, dPdu: frame.dPdu, dPdv: frame.dPdv, normal: frame.normal };
  const nDet = detailedNormals(disp, tf);
  const ao = heightfieldOcclusion(disp, tf, { radiusMm: o.aoRadiusMm });
  const displaced = displaceMesh(mesh, { width: T, height: T, channels: 1, data: disp });
  const mmPerTexel = meanTexelMm(tf);
  // Displaced texel positions (for the mesh shadow map lookups).
  const pos = new Float32Array(3 * T * T);
  for (let p = 0; p < T * T; p++) for (let c = 0; c < 3; c++) pos[3 * p + c] = frame.position[3 * p + c]! + disp[p]! * frame.normal[3 * p + c]!;

  // Per directional light (and area-light sample): visibility per texel.
  const dirs: Array<{ d: [number, number, number]; c: [number, number, number]; vis: Float32Array }> = [];
  for (const L of o.lights) {
    if (L.type !== 'directional') continue;
    const samples = L.radiusDeg ? Math.max(1, L.samples ?? 4) : 1;
    for (const d of coneDirections(L.direction, L.radiusDeg ?? 0, samples)) {
      const vis = heightfieldShadow(disp, tf, d, { radiusMm: o.shadowRadiusMm });
      if (!o.noMeshShadows) {
        const sm = shadowMap([displaced, ...(o.occluders ?? [])], d, 1024);
        for (let p = 0; p < T * T; p++) if (frame.coverage[p] && vis[p]! > 0) vis[p]! *= sm.lit(pos[3 * p]!, pos[3 * p + 1]!, pos[3 * p + 2]!, 0.6 + 0.6 * mmPerTexel);
      }
      dirs.push({ d, c: [L.color[0] / samples, L.color[1] / samples, L.color[2] / samples], vis });
    }
  }
  // Diffuse irradiance per texel, then texture-space diffusion.
  const E = new Float32Array(3 * T * T);
  for (let p = 0; p < T * T; p++) {
    if (!frame.coverage[p]) continue;
    const nx = nDet[3 * p]!, ny = nDet[3 * p + 1]!, nz = nDet[3 * p + 2]!;
    for (const L of o.lights) {
      if (L.type !== 'environment') continue;
      for (let c = 0; c < 3; c++) E[3 * p + c]! += Math.max(0, evalSH(L.coefficients, c, nx, ny, nz)) * ao[p]!;
    }
    for (const L of dirs) {
      const cos = nx * L.d[0] + ny * L.d[1] + nz * L.d[2];
      if (cos <= 0 || !(L.vis[p]! > 0)) continue;
      for (let c = 0; c < 3; c++) E[3 * p + c]! += L.c[c]! * cos * L.vis[p]!;
    }
  }
  const Ed = subsurface(E, T, frame.coverage, mmPerTexel, o.subsurface);

  // Image samples.
  const s = o.supersample, W = camera.width, H = camera.height;
  const big: Camera = { ...camera, width: W * s, height: H * s, fx: camera.fx * s, fy: camera.fy * s, cx: camera.cx * s, cy: camera.cy * s };
  const fg = o.foreground ?? [];
  const all = mergeMeshes([displaced, ...fg.map((f) => f.mesh)]);
  const r = renderMesh(all.mesh, big, { lighting: { type: 'directional', direction: [0, 0, -1] } });
  const out = { lin: new Float32Array(3 * W * H), nd: new Float32Array(3 * W * H), ns: new Float32Array(3 * W * H), d: new Float32Array(W * H), uv: new Float32Array(2 * W * H), cov: new Float32Array(W * H), occ: new Float32Array(W * H) };
  const tmp = new Float64Array(3), tmpN = new Float64Array(3), tmpS = new Float64Array(3), tmpA = new Float64Array(3), tmp1 = new Float64Array(1);
  const alb = options.albedo;
  const visTex = dirs.map((L) => L.vis);
  const vis1 = new Float64Array(1);
  const bg = o.background;
  const faceTris = displaced.indices.length / 3;
  const I = all.mesh.indices, UV = displaced.uvs!;
  const BW = W * s;
  for (let y = 0; y < H * s; y++) {
    for (let x = 0; x < BW; x++) {
      const q = y * BW + x, px = ((y / s) | 0) * W + ((x / s) | 0);
      const t = r.triangle[q]!;
      const acc: [number, number, number] = [bg[0], bg[1], bg[2]];
      if (t >= 0 && t >= faceTris) {
        const f = fg[all.owner[t - faceTris]!]!;
        const n = [r.normal[3 * q]!, r.normal[3 * q + 1]!, r.normal[3 * q + 2]!] as const;
        let sh = 0;
        for (const L of o.lights) if (L.type === 'environment') sh += Math.max(0, evalSH(L.coefficients, 1, n[0], n[1], n[2]));
        for (const L of dirs) sh += Math.max(0, n[0] * L.d[0] + n[1] * L.d[1] + n[2] * L.d[2]) * (L.c[0] + L.c[1] + L.c[2]) / 3;
        let col: ArrayLike<number> = f.color;
        if (f.vertexColors) {
          const base = all.firstVertex[all.owner[t - faceTris]!]!, If = all.mesh.indices;
          const w0 = r.barycentric[2 * q]!, w1 = r.barycentric[2 * q + 1]!, w2 = 1 - w0 - w1;
          const a = If[3 * t]! - base, b = If[3 * t + 1]! - base, c3 = If[3 * t + 2]! - base, VC = f.vertexColors;
          col = [0, 1, 2].map((c) => w0 * VC[3 * a + c]! + w1 * VC[3 * b + c]! + w2 * VC[3 * c3 + c]!);
        }
        for (let c = 0; c < 3; c++) acc[c] = col[c]! * sh;
        if (f.occluder) out.occ[px]! += 1 / (s * s);
      } else if (t >= 0) {
        const a = I[3 * t]!, b = I[3 * t + 1]!, c3 = I[3 * t + 2]!;
        const w0 = r.barycentric[2 * q]!, w1 = r.barycentric[2 * q + 1]!, w2 = 1 - w0 - w1;
        const u = w0 * UV[2 * a]! + w1 * UV[2 * b]! + w2 * UV[2 * c3]!, v = w0 * UV[2 * a + 1]! + w1 * UV[2 * b + 1]! + w2 * UV[2 * c3 + 1]!;
        sampleTex(Ed, 3, T, frame.coverage, u, v, tmp);
        sampleTex(nDet, 3, T, frame.coverage, u, v, tmpN);
        sampleTex(frame.normal, 3, T, frame.coverage, u, v, tmpS);
        sampleTex(disp, 1, T, frame.coverage, u, v, tmp1);
        if (alb) sampleTex(alb.data, 3, alb.width, undefined, u, v, tmpA); else { tmpA[0] = 0.55; tmpA[1] = 0.38; tmpA[2] = 0.3; }
        normalize(tmpN); normalize(tmpS);
        // View vector toward the camera from the sample's camera-frame point.
        const P = displaced.positions;
        const vx0 = -(w0 * P[3 * a]! + w1 * P[3 * b]! + w2 * P[3 * c3]!), vy0 = -(w0 * P[3 * a + 1]! + w1 * P[3 * b + 1]! + w2 * P[3 * c3 + 1]!), vz0 = -(w0 * P[3 * a + 2]! + w1 * P[3 * b + 2]! + w2 * P[3 * c3 + 2]!);
        const vl = Math.hypot(vx0, vy0, vz0) || 1;
        const V: [number, number, number] = [vx0 / vl, vy0 / vl, vz0 / vl];
        let spec: [number, number, number] = [0, 0, 0];
        if (o.specular > 0) {
          for (let k = 0; k < dirs.length; k++) {
            sampleTex(visTex[k]!, 1, T, frame.coverage, u, v, vis1);
            const g = ggx(tmpN, V, dirs[k]!.d, o.roughness) * vis1[0]! * o.specular;
            spec = [spec[0] + g * dirs[k]!.c[0], spec[1] + g * dirs[k]!.c[1], spec[2] + g * dirs[k]!.c[2]];
          }
        }
        if (o.environmentSpecular > 0) {
          const nv = tmpN[0]! * V[0] + tmpN[1]! * V[1] + tmpN[2]! * V[2];
          if (nv > 0) {
            // Mirror direction; the environment's (cosine-convolved) shading there stands in for the rough lobe's radiance.
            const rx = 2 * nv * tmpN[0]! - V[0], ry = 2 * nv * tmpN[1]! - V[1], rz = 2 * nv * tmpN[2]! - V[2];
            sampleTex(ao, 1, T, frame.coverage, u, v, vis1);
            const k = o.environmentSpecular * envBrdf(nv, o.roughness) * vis1[0]!;
            for (const L of o.lights) {
              if (L.type !== 'environment') continue;
              for (let c = 0; c < 3; c++) spec[c] = spec[c]! + k * Math.max(0, evalSH(L.coefficients, c, rx, ry, rz));
            }
          }
        }
        for (let c = 0; c < 3; c++) acc[c] = tmpA[c]! * tmp[c]! + spec[c]!;
        for (let c = 0; c < 3; c++) { out.nd[3 * px + c]! += tmpN[c]!; out.ns[3 * px + c]! += tmpS[c]!; }
        out.d[px]! += tmp1[0]!;
        out.uv[2 * px]! += u; out.uv[2 * px + 1]! += v;
        out.cov[px]! += 1;
      }
      for (let c = 0; c < 3; c++) out.lin[3 * px + c]! += acc[c]! / (s * s);
    }
  }
  for (let p = 0; p < W * H; p++) {
    const k = out.cov[p]!;
    if (k > 0) {
      out.d[p]! /= k; out.uv[2 * p]! /= k; out.uv[2 * p + 1]! /= k;
      for (const f of [out.nd, out.ns]) { const l = Math.hypot(f[3 * p]!, f[3 * p + 1]!, f[3 * p + 2]!) || 1; for (let c = 0; c < 3; c++) f[3 * p + c]! /= l; }
    }
    out.cov[p] = k / (s * s);
  }
  let lin: Float32Array = out.lin;
  if (o.blurPx > 0) lin = maskedGaussianBlur(lin, 3, W, H, new Uint8Array(W * H).fill(1), o.blurPx);
  if (o.noise > 0) {
    let seed = o.noiseSeed >>> 0;
    const rnd = (): number => { seed = (seed + 0x6d2b79f5) >>> 0; let t = seed; t = Math.imul(t ^ (t >>> 15), t | 1); t ^= t + Math.imul(t ^ (t >>> 7), t | 61); return ((t ^ (t >>> 14)) >>> 0) / 4294967296; };
    for (let i = 0; i < lin.length; i++) lin[i]! += o.noise * Math.sqrt(-2 * Math.log(Math.max(1e-12, rnd()))) * Math.cos(2 * Math.PI * rnd()) * (0.5 + Math.sqrt(Math.max(0, lin[i]!)));
  }
  const image: Image = { width: W, height: H, channels: 3, data: new Float32Array(3 * W * H) };
  for (let i = 0; i < lin.length; i++) image.data[i] = linearToSrgb(Math.min(1, Math.max(0, lin[i]!)));
  return {
    image, linear: { width: W, height: H, channels: 3, data: lin },
    detailedNormal: out.nd, smoothNormal: out.ns, displacement: out.d, uv: out.uv, coverage: out.cov, occluded: out.occ,
    texture: { size: T, ao, shadow: dirs[0]?.vis ?? new Float32Array(T * T).fill(1), irradiance: Ed },
  };
}

/**
 * GGX (Trowbridge–Reitz) specular for unit normal n, view v and light l (all toward the surface's
 * outside), returned as the factor on the light's colour such that the Lambert diffuse of the same
 * light is albedo·cosθ: π·D·F·G / (4 n·v). F: Schlick with F₀ = 0.028 (skin's ~1.4 index).
 *
 * @example const k = ggx([0, 0, -1], [0, 0, -1], [0, 0, -1], 0.3);
 */
export function ggx(n: ArrayLike<number>, v: ArrayLike<number>, l: ArrayLike<number>, alpha: number): number {
  const nl = n[0]! * l[0]! + n[1]! * l[1]! + n[2]! * l[2]!, nv = n[0]! * v[0]! + n[1]! * v[1]! + n[2]! * v[2]!;
  if (nl <= 0 || nv <= 0) return 0;
  let hx = v[0]! + l[0]!, hy = v[1]! + l[1]!, hz = v[2]! + l[2]!;
  const hl = Math.hypot(hx, hy, hz) || 1;
  hx /= hl; hy /= hl; hz /= hl;
  const nh = Math.max(0, n[0]! * hx + n[1]! * hy + n[2]! * hz), vh = Math.max(0, v[0]! * hx + v[1]! * hy + v[2]! * hz);
  const a2 = alpha * alpha, den = nh * nh * (a2 - 1) + 1;
  const D = a2 / (Math.PI * den * den);
  const F = 0.028 + (1 - 0.028) * (1 - vh) ** 5;
  const k = alpha / 2;
  const G = (nl / (nl * (1 - k) + k)) * (nv / (nv * (1 - k) + k));
  return (Math.PI * D * F * G) / (4 * nv);
}

/**
 * Directional albedo of the GGX lobe of {@link ggx} under a uniform environment of unit radiance,
 * at n·v = `nv` and roughness α: (1/π) ∫ ggx(n, v, l, α) dω over the hemisphere. Integrated
 * numerically once per α (65 values of n·v, linear in between), so the environment's specular
 * is consistent with the lights' by construction (an analytic split-sum fit was off by up to 65 %
 * at grazing angles for this lobe).
 *
 * @example envBrdf(1, 0.4) // ≈ 0.021: about 2 % of the environment is reflected head-on
 */
export function envBrdf(nv: number, alpha: number): number {
  let table = ENV_BRDF.get(alpha);
  if (!table) {
    table = new Float64Array(ENV_BRDF_STEPS + 1);
    const NT = 64, NP = 64, n = [0, 0, 1], v = [0, 0, 1], l = [0, 0, 1];
    for (let k = 0; k <= ENV_BRDF_STEPS; k++) {
      const c = Math.max(1e-3, k / ENV_BRDF_STEPS);
      v[0] = Math.sqrt(1 - c * c); v[2] = c;
      let sum = 0;
      for (let i = 0; i < NT; i++) {
        const th = (Math.PI / 2) * ((i + 0.5) / NT), st = Math.sin(th);
        for (let j = 0; j < NP; j++) { // φ over [0, π], doubled (the lobe is symmetric about the v–n plane)
          const ph = Math.PI * ((j + 0.5) / NP);
          l[0] = st * Math.cos(ph); l[1] = st * Math.sin(ph); l[2] = Math.cos(th);
          sum += ggx(n, v, l, alpha) * st;
        }
      }
      table[k] = (2 * sum * (Math.PI / 2 / NT) * (Math.PI / NP)) / Math.PI;
    }
    if (ENV_BRDF.size > 64) ENV_BRDF.clear();
    ENV_BRDF.set(alpha, table);
  }
  const f = Math.min(1, Math.max(0, nv)) * ENV_BRDF_STEPS, k = Math.min(ENV_BRDF_STEPS - 1, Math.floor(f)), t = f - k;
  return (1 - t) * table[k]! + t * table[k + 1]!;
}
const ENV_BRDF_STEPS = 64;
const ENV_BRDF = new Map<number, Float64Array>();

/** Directions on a cone of half-angle `radiusDeg` about `d` (the centre first; a golden-angle spiral). */
function coneDirections(d: [number, number, number], radiusDeg: number, n: number): Array<[number, number, number]> {
  const l = Math.hypot(...d) || 1;
  const z: [number, number, number] = [d[0] / l, d[1] / l, d[2] / l];
  if (n <= 1 || radiusDeg <= 0) return [z];
  const a: [number, number, number] = Math.abs(z[0]) < 0.9 ? [1, 0, 0] : [0, 1, 0];
  const e1 = norm3(cross3(z, a)), e2 = cross3(z, e1);
  const out: Array<[number, number, number]> = [];
  for (let i = 0; i < n; i++) {
    const rr = (radiusDeg * Math.PI) / 180 * Math.sqrt((i + 0.5) / n), ph = i * 2.399963;
    const s = Math.sin(rr), c = Math.cos(rr);
    out.push(norm3([c * z[0] + s * (Math.cos(ph) * e1[0] + Math.sin(ph) * e2[0]), c * z[1] + s * (Math.cos(ph) * e1[1] + Math.sin(ph) * e2[1]), c * z[2] + s * (Math.cos(ph) * e1[2] + Math.sin(ph) * e2[2])]));
  }
  return out;
}

/** Texture-space diffusion of an RGB irradiance: (1 − w)E + w·G_σc(E) per channel, σ in mm. */
function subsurface(E: Float32Array, T: number, cov: ArrayLike<number>, mmPerTexel: number, ss: { sigmaMm: [number, number, number]; weight: number }): Float32Array {
  const out = new Float32Array(E.length);
  const ch = new Float32Array(T * T);
  for (let c = 0; c < 3; c++) {
    for (let p = 0; p < T * T; p++) ch[p] = E[3 * p + c]!;
    const b = maskedGaussianBlur(ch, 1, T, T, cov, ss.sigmaMm[c]! / mmPerTexel);
    for (let p = 0; p < T * T; p++) out[3 * p + c] = (1 - ss.weight) * ch[p]! + ss.weight * b[p]!;
  }
  return out;
}

/** Mean √(|dPdu||dPdv|) over covered texels, mm. */
function meanTexelMm(f: TexelFrame): number {
  let s = 0, n = 0;
  for (let p = 0; p < f.width * f.height; p++) {
    if (!(f.coverage[p]! > 0)) continue;
    const o = 3 * p;
    s += Math.sqrt(Math.hypot(f.dPdu[o]!, f.dPdu[o + 1]!, f.dPdu[o + 2]!) * Math.hypot(f.dPdv[o]!, f.dPdv[o + 1]!, f.dPdv[o + 2]!));
    n++;
  }
  return n ? s / n : 1;
}

/** Bilinear lookup of a C-channel texel array at (u, v) (v down), weighted by coverage (no bleeding from off-surface texels). */
function sampleTex(a: ArrayLike<number>, C: number, T: number, cov: ArrayLike<number> | undefined, u: number, v: number, out: Float64Array): void {
  const x = u * T - 0.5, y = v * T - 0.5;
  const x0 = Math.floor(x), y0 = Math.floor(y), fx = x - x0, fy = y - y0;
  out.fill(0);
  let ws = 0;
  for (const [i, j, w] of [[0, 0, (1 - fx) * (1 - fy)], [1, 0, fx * (1 - fy)], [0, 1, (1 - fx) * fy], [1, 1, fx * fy]] as const) {
    const X = Math.min(T - 1, Math.max(0, x0 + i)), Y = Math.min(T - 1, Math.max(0, y0 + j));
    const k = Y * T + X;
    if (cov && !(cov[k]! > 0)) continue;
    for (let c = 0; c < C; c++) out[c]! += w * a[k * C + c]!;
    ws += w;
  }
  if (ws > 0) for (let c = 0; c < C; c++) out[c]! /= ws;
}

/** Nearest-texel resample of a 1-channel map to T×T (identity when already T×T). */
function resampleMap(m: Image, T: number): Float32Array {
  if (m.width === T && m.height === T && m.channels === 1) return Float32Array.from(m.data);
  if (m.channels !== 1) throw new RangeError(`renderSkin: displacement must have 1 channel, got ${m.channels}`);
  const out = new Float32Array(T * T);
  for (let y = 0; y < T; y++) for (let x = 0; x < T; x++) {
    const sx = ((x + 0.5) / T) * m.width - 0.5, sy = ((y + 0.5) / T) * m.height - 0.5;
    const x0 = Math.max(0, Math.min(m.width - 2, Math.floor(sx))), y0 = Math.max(0, Math.min(m.height - 2, Math.floor(sy)));
    const fx = Math.min(1, Math.max(0, sx - x0)), fy = Math.min(1, Math.max(0, sy - y0)), W = m.width;
    out[y * T + x] = (m.data[y0 * W + x0]! * (1 - fx) + m.data[y0 * W + x0 + 1]! * fx) * (1 - fy) + (m.data[(y0 + 1) * W + x0]! * (1 - fx) + m.data[(y0 + 1) * W + x0 + 1]! * fx) * fy;
  }
  return out;
}

/** Concatenate meshes (positions, normals, indices); `owner[t]` = index (in the list after the first) of each appended triangle's mesh. */
function mergeMeshes(ms: Mesh[]): { mesh: Mesh; owner: Int32Array; firstVertex: Int32Array } {
  let nv = 0, nt = 0;
  for (const m of ms) { nv += m.positions.length / 3; nt += m.indices.length / 3; }
  const positions = new Float32Array(3 * nv), normals = new Float32Array(3 * nv), indices = new Uint32Array(3 * nt);
  const owner = new Int32Array(nt - ms[0]!.indices.length / 3);
  let ov = 0, ot = 0;
  const firstVertex = new Int32Array(Math.max(0, ms.length - 1));
  for (const [k, m] of ms.entries()) {
    if (k > 0) firstVertex[k - 1] = ov;
    positions.set(m.positions, 3 * ov);
    if (m.normals) normals.set(m.normals, 3 * ov);
    for (let i = 0; i < m.indices.length; i++) indices[3 * ot + i] = m.indices[i]! + ov;
    if (k > 0) owner.fill(k - 1, ot - ms[0]!.indices.length / 3, ot - ms[0]!.indices.length / 3 + m.indices.length / 3);
    ov += m.positions.length / 3; ot += m.indices.length / 3;
  }
  return { mesh: { positions, normals, indices }, owner, firstVertex };
}

function normalize(a: Float64Array): void { const l = Math.hypot(a[0]!, a[1]!, a[2]!) || 1; a[0]! /= l; a[1]! /= l; a[2]! /= l; }
function cross3(a: ArrayLike<number>, b: ArrayLike<number>): [number, number, number] { return [a[1]! * b[2]! - a[2]! * b[1]!, a[2]! * b[0]! - a[0]! * b[2]!, a[0]! * b[1]! - a[1]! * b[0]!]; }
function norm3(a: [number, number, number]): [number, number, number] { const l = Math.hypot(...a) || 1; return [a[0] / l, a[1] / l, a[2] / l]; }
function stripUndefined<T extends object>(o: T): Partial<T> {
  const out: Partial<T> = {};
  for (const [k, v] of Object.entries(o)) if (v !== undefined) (out as Record<string, unknown>)[k] = v;
  return out;
}

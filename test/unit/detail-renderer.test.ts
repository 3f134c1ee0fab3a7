import { describe, expect, it } from 'vitest';
import { detailedNormals, heightfieldOcclusion, heightfieldShadow, type TexelFrame } from '../../src/core/render/heightfield.js';
import { envBrdf, ggx, renderSkin } from '../../src/core/render/render-skin.js';
import { directionalSH } from '../../src/core/lighting/sh.js';
import type { Camera, Mesh } from '../../src/core/types.js';

/** A flat W×H texel patch in the camera frame facing the camera (normal −z), `mm` per texel. */
function flatFrame(W: number, H: number, mm: number): TexelFrame {
  const n = W * H;
  const dPdu = new Float32Array(3 * n), dPdv = new Float32Array(3 * n), normal = new Float32Array(3 * n);
  for (let p = 0; p < n; p++) { dPdu[3 * p] = mm; dPdv[3 * p + 1] = mm; normal[3 * p + 2] = -1; }
  return { width: W, height: H, coverage: new Uint8Array(n).fill(1), dPdu, dPdv, normal };
}

describe('renderer v2: height-field light transport', () => {
  it('ambient occlusion at the bottom of a V-groove is the analytic 1/√(1 + s²)', () => {
    const W = 241, H = 41, mm = 0.05;
    for (const s of [0.3, 1, 2]) {
      const d = new Float32Array(W * H);
      for (let y = 0; y < H; y++) for (let x = 0; x < W; x++) d[y * W + x] = s * Math.abs(x - 120) * mm; // walls of slope s, groove along v
      const ao = heightfieldOcclusion(d, flatFrame(W, H, mm), { directions: 32, radiusMm: 5.5, steps: 48 });
      expect(ao[20 * W + 120]).toBeCloseTo(1 / Math.sqrt(1 + s * s), 2);
      // A flat plane is unoccluded.
      expect(heightfieldOcclusion(new Float32Array(W * H), flatFrame(W, H, mm))[20 * W + 120]).toBe(1);
    }
  });

  it('a step casts a shadow of length h / tan(elevation)', () => {
    const W = 200, H = 20, mm = 0.1;
    const d = new Float32Array(W * H);
    for (let y = 0; y < H; y++) for (let x = 0; x < 100; x++) d[y * W + x] = 1; // 1 mm wall at x < 100
    // Light from −x (toward the light: −x in the camera frame = −u), 30° above the plane (toward the camera: −z).
    const e = Math.PI / 6;
    const lit = heightfieldShadow(d, flatFrame(W, H, mm), [-Math.cos(e), 0, -Math.sin(e)], { radiusMm: 6, steps: 120, softMm: 0.005 });
    const len = 1 / Math.tan(e); // 1.73 mm = 17.3 texels
    expect(lit[10 * W + 100 + 15]).toBe(0);
    expect(lit[10 * W + 100 + 20]).toBe(1);
    expect(lit[10 * W + 50]).toBe(1);
    let first = 0;
    for (let x = 100; x < W; x++) if (lit[10 * W + x] === 1) { first = x; break; }
    expect(Math.abs((first - 100) * mm - len)).toBeLessThan(0.25);
  });

  it('detailed normals of a planar ramp tilt by its slope', () => {
    const W = 20, H = 20, mm = 0.2, g = 0.5;
    const d = new Float32Array(W * H);
    for (let y = 0; y < H; y++) for (let x = 0; x < W; x++) d[y * W + x] = g * x * mm;
    const n = detailedNormals(d, flatFrame(W, H, mm));
    const p = 10 * W + 10;
    // n = normalize(n0 − ∇d) = normalize((−g, 0, −1)).
    const l = Math.hypot(g, 1);
    expect(n[3 * p]).toBeCloseTo(-g / l, 5);
    expect(n[3 * p + 2]).toBeCloseTo(-1 / l, 5);
  });

  it('GGX: energy peaks at the mirror direction and falls off with roughness', () => {
    const n = [0, 0, -1], v = [0, 0, -1];
    expect(ggx(n, v, [0, 0, -1], 0.25)).toBeGreaterThan(ggx(n, v, [0, 0, -1], 0.55));
    expect(ggx(n, v, [0.6, 0, -0.8], 0.25)).toBeLessThan(ggx(n, v, [0, 0, -1], 0.25));
    expect(ggx(n, v, [0, 0, 1], 0.3)).toBe(0);
  });

  it('the environment specular is the GGX lobe integrated over the hemisphere (a fine quadrature agrees within 1 %)', () => {
    for (const alpha of [0.25, 0.55]) for (const c of [1, 0.5, 0.2]) {
      const nn = [0, 0, 1], v = [Math.sqrt(1 - c * c), 0, c];
      let s = 0;
      const N = 300;
      for (let i = 0; i < N; i++) for (let j = 0; j < 2 * N; j++) {
        const th = ((Math.PI / 2) * (i + 0.5)) / N, ph = (2 * Math.PI * (j + 0.5)) / (2 * N);
        s += ggx(nn, v, [Math.sin(th) * Math.cos(ph), Math.sin(th) * Math.sin(ph), Math.cos(th)], alpha) * Math.sin(th) * (Math.PI / 2 / N) * (Math.PI / N);
      }
      expect(Math.abs(envBrdf(c, alpha) / (s / Math.PI) - 1)).toBeLessThan(0.01);
    }
    // Fresnel: more is reflected at grazing view; never more than a few per cent head-on for skin.
    expect(envBrdf(0.2, 0.4)).toBeGreaterThan(envBrdf(1, 0.4));
    expect(envBrdf(1, 0.4)).toBeGreaterThan(0.015);
    expect(envBrdf(1, 0.4)).toBeLessThan(0.03);
  });
});

/** A UV sphere of radius R at (0, 0, Z), camera frame, normals outward. */
function sphere(R: number, Z: number, nu = 96, nv = 48): Mesh {
  const positions: number[] = [], normals: number[] = [], uvs: number[] = [], idx: number[] = [];
  for (let j = 0; j <= nv; j++) for (let i = 0; i <= nu; i++) {
    const th = (Math.PI * j) / nv, ph = (2 * Math.PI * i) / nu;
    const n = [Math.sin(th) * Math.cos(ph), Math.cos(th), Math.sin(th) * Math.sin(ph)];
    positions.push(R * n[0]!, R * n[1]!, Z + R * n[2]!); normals.push(...n); uvs.push(i / nu, j / nv);
  }
  for (let j = 0; j < nv; j++) for (let i = 0; i < nu; i++) {
    const a = j * (nu + 1) + i, b = a + 1, c = a + nu + 1, d = c + 1;
    idx.push(a, c, b, b, c, d);
  }
  return { positions: new Float32Array(positions), normals: new Float32Array(normals), uvs: new Float32Array(uvs), indices: new Uint32Array(idx) };
}

describe('renderer v2: a Lambert sphere', () => {
  it('reproduces albedo·max(0, n·l) on a smooth sphere (no relief, no subsurface, no specular)', () => {
    const cam: Camera = { width: 96, height: 96, fx: 400, fy: 400, cx: 48, cy: 48, focalSource: 'user' };
    const mesh = sphere(30, 600);
    const L: [number, number, number] = [-0.6, -0.3, -0.74];
    const ll = Math.hypot(...L);
    const r = renderSkin(mesh, cam, {
      displacement: { width: 8, height: 8, channels: 1, data: new Float32Array(64) },
      lights: [{ type: 'directional', direction: L, color: [1, 1, 1] }], specular: 0, textureSize: 256,
      subsurface: { sigmaMm: [1, 1, 1], weight: 0 }, supersample: 1, noMeshShadows: false,
    });
    let worst = 0, n = 0;
    for (let p = 0; p < 96 * 96; p++) {
      if (r.coverage[p]! < 1) continue;
      const nn = [r.smoothNormal[3 * p]!, r.smoothNormal[3 * p + 1]!, r.smoothNormal[3 * p + 2]!];
      const cos = Math.max(0, (nn[0]! * L[0] + nn[1]! * L[1] + nn[2]! * L[2]) / ll);
      if (cos < 0.05) continue; // the terminator: shadow-map bias
      const expected = 0.55 * cos;
      worst = Math.max(worst, Math.abs(r.linear.data[3 * p]! - expected));
      n++;
    }
    expect(n).toBeGreaterThan(800); // the lit part of a 20 px-radius disc
    expect(worst).toBeLessThan(0.02);
  });

  it('under a uniform environment the environment specular adds envBrdf(n·v) × the radiance (no occlusion on a sphere)', () => {
    const cam: Camera = { width: 96, height: 96, fx: 400, fy: 400, cx: 48, cy: 48, focalSource: 'user' };
    const mesh = sphere(30, 600);
    const env = directionalSH(0, 0, -1, [0, 0, 0], 0);
    for (let c = 0; c < 3; c++) env[c * 9] = 0.5 / 0.28209479177387814; // uniform: shading 0.5 at every normal
    const opts = {
      displacement: { width: 8, height: 8, channels: 1, data: new Float32Array(64) },
      lights: [{ type: 'environment' as const, coefficients: env }], specular: 1, roughness: 0.4, textureSize: 256,
      subsurface: { sigmaMm: [1, 1, 1] as [number, number, number], weight: 0 }, supersample: 1,
    };
    const off = renderSkin(mesh, cam, opts), on = renderSkin(mesh, cam, { ...opts, environmentSpecular: 1 });
    let worst = 0, n = 0;
    for (let p = 0; p < 96 * 96; p++) {
      if (on.coverage[p]! < 1) continue;
      // View vector of the pixel's centre ray (toward the camera), against the sphere's normal there.
      const x = (p % 96) + 0.5 - 48, y = Math.floor(p / 96) + 0.5 - 48, l = Math.hypot(x, y, 400);
      const nn = [on.smoothNormal[3 * p]!, on.smoothNormal[3 * p + 1]!, on.smoothNormal[3 * p + 2]!];
      const nv = -(nn[0]! * x + nn[1]! * y + nn[2]! * 400) / l;
      if (nv < 0.3) continue; // the rim: a pixel's footprint spans many n·v
      worst = Math.max(worst, Math.abs(on.linear.data[3 * p]! - off.linear.data[3 * p]! - 0.5 * envBrdf(nv, 0.4)));
      n++;
    }
    expect(n).toBeGreaterThan(900);
    expect(worst).toBeLessThan(0.002); // the added term is ≈ 0.01: a tenth of a per cent of slack
  });
});

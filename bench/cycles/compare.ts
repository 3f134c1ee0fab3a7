/**
 * The measurements of the renderer comparison (`bench/cycles/run.ts`): a cached scene's Cycles
 * image, skin mask and GT creases, and an image of ours against it (crease darkening of both,
 * exposure, image difference, high-pass agreement near the creases).
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import sharp from 'sharp';
import { maskedGaussianBlur } from '../../src/core/eval/angular-error.js';
import { distanceTransform, valleyDepth } from '../../src/core/eval/detail-field.js';
import { luminance } from '../../src/core/image/image.js';

/** Rec. 709 luminance of sRGB bytes, linear. */
function lumLinear(buf: Buffer, n: number): Float32Array {
  const lin = (v: number): number => { const c = v / 255; return c <= 0.04045 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4; };
  const out = new Float32Array(n);
  for (let p = 0; p < n; p++) out[p] = luminance(lin(buf[3 * p]!), lin(buf[3 * p + 1]!), lin(buf[3 * p + 2]!));
  return out;
}

/**
 * Crease darkening of an image: 1 − mean luminance on the crease pixels (GT valley depth > 0.2 mm)
 * ÷ mean luminance of the skin 1.5–4 mm from them.
 */
function creaseContrast(L: Float32Array, crease: Uint8Array, dist: Float32Array, mask: Uint8Array, mmPerPixel: number): number {
  let a = 0, na = 0, b = 0, nb = 0;
  for (let p = 0; p < L.length; p++) {
    if (!mask[p]) continue;
    if (crease[p]) { a += L[p]!; na++; } else { const d = dist[p]! * mmPerPixel; if (d >= 1.5 && d <= 4) { b += L[p]!; nb++; } }
  }
  return na && nb ? 1 - a / na / (b / nb) : NaN;
}

/** One scene's cached inputs for the comparison. */
export interface CachedScene {
  dir: string;
  S: { width: number; height: number; mmPerPixel: number; age: number; preset: string };
  cyc: Buffer;
  mask: Uint8Array;
  crease: Uint8Array;
  dist: Float32Array;
}

export async function loadCached(cache: string, d: string): Promise<CachedScene> {
  const dir = path.join(cache, d);
  const S = JSON.parse(await readFile(path.join(dir, 'scene.json'), 'utf8')) as CachedScene['S'];
  const W = S.width, H = S.height, n = W * H;
  const cyc = await sharp(path.join(dir, 'cycles.png')).removeAlpha().raw().toBuffer();
  const disp = new Float32Array((await readFile(path.join(dir, 'gt-displacement.f32'))).buffer.slice(0));
  const mask = new Uint8Array(await readFile(path.join(dir, 'mask.u8')));
  const depth = valleyDepth(disp, W, H, mask, 3 / S.mmPerPixel);
  const crease = new Uint8Array(n);
  for (let p = 0; p < n; p++) crease[p] = mask[p] && depth[p]! > 0.2 ? 1 : 0;
  return { dir, S, cyc, mask, crease, dist: distanceTransform(crease, W, H) };
}

/** Our image against the Cycles one: crease darkening of both, exposure ratio, image differences, high-pass correlation near creases, and both linear luminances (`Lo`, `Lc`). */
export function measure(sc: CachedScene, ours: Buffer): { co: number; cc: number; k: number; diff: number; diffK: number; hpr: number; Lo: Float32Array; Lc: Float32Array } {
  const { S, cyc, mask, crease, dist } = sc;
  const W = S.width, H = S.height, n = W * H;
  const Lo = lumLinear(ours, n), Lc = lumLinear(cyc, n);
  // Exposure: median ratio over the skin.
  const ratios: number[] = [];
  for (let p = 0; p < n; p++) if (mask[p] && Lc[p]! > 1e-4) ratios.push(Lo[p]! / Lc[p]!);
  ratios.sort((a, b) => a - b);
  const k = ratios[ratios.length >> 1] ?? 1;
  let diff = 0, diffK = 0, m = 0;
  for (let p = 0; p < n; p++) {
    if (!mask[p]) continue;
    for (let c = 0; c < 3; c++) {
      const o = ours[3 * p + c]! / 255, y = cyc[3 * p + c]! / 255;
      diff += Math.abs(o - y);
      const yl = y <= 0.04045 ? y / 12.92 : ((y + 0.055) / 1.055) ** 2.4, ys = Math.min(1, yl * k);
      diffK += Math.abs(o - (ys <= 0.0031308 ? 12.92 * ys : 1.055 * ys ** (1 / 2.4) - 0.055));
    }
    m += 3;
  }
  const co = creaseContrast(Lo, crease, dist, mask, S.mmPerPixel), cc = creaseContrast(Lc, crease, dist, mask, S.mmPerPixel);
  // Shading detail agreement: correlation of the two log-luminance high-passes (σ = 2 mm) on the skin near creases (≤ 4 mm).
  const hp = (L: Float32Array): Float32Array => { const lg = L.map((v) => Math.log(1e-3 + v)); const lo = maskedGaussianBlur(lg, 1, W, H, mask, 2 / S.mmPerPixel); return lg.map((v, p) => v - lo[p]!); };
  const ho = hp(Lo), hc = hp(Lc);
  let sab = 0, saa = 0, sbb = 0;
  for (let p = 0; p < n; p++) if (mask[p] && dist[p]! * S.mmPerPixel <= 4) { sab += ho[p]! * hc[p]!; saa += ho[p]! ** 2; sbb += hc[p]! ** 2; }
  return { co, cc, k, diff: diff / m, diffK: diffK / m, hpr: saa > 0 && sbb > 0 ? sab / Math.sqrt(saa * sbb) : NaN, Lo, Lc };
}

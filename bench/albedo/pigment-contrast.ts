/**
 * `node --import tsx bench/albedo/pigment-contrast.ts <dir>…`: how much of the photo's brow and lip
 * contrast each lightness-equalisation variant keeps, on real photos (no ground truth needed).
 * Each <dir> is an output folder of `facedetail photo.jpg -o <out> --albedo-equalize 0` (the
 * division alone: albedo.png, texture.png, confidence.png); the variants are applied to its
 * albedo exactly as the pipeline's final step would. Per photo and variant: (median ln Y over the
 * brows − median ln Y over the skin) in the variant ÷ the same in the unwrapped photo (texture.png),
 * over seen texels (confidence > 0.5); the same for the lips; then the median over the photos.
 * 1 = the contrast kept, 0 = flattened. Writes bench/results/albedo-pigment.json.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { currentCommit } from '../common.js';
import { equalizeLightness } from '../../src/core/lighting/lightness-equalize.js';
import { buildRegionMask, buildSkinMask } from '../../src/core/lighting/skin-mask.js';
import { faceMeshTopology } from '../../src/core/model/facemesh/facemesh-model.js';
import { decodePng } from '../../src/core/export/png.js';
import { luminance, mapImage, srgbToLinear } from '../../src/core/image/image.js';
import type { Image } from '../../src/core/types.js';
/** A PNG as a linear float image (the project's decoder). */
const load = (f: string): Image => mapImage(decodePng(new Uint8Array(readFileSync(f))).image, srgbToLinear);
const topo = faceMeshTopology();
const rows: Record<string, number[]> = {};
const perPhoto: Array<{ photo: string; kept: Record<string, { brows: number; lips: number }> }> = [];
for (const dir of process.argv.slice(2)) {
  const ph = path.basename(dir);
  const kept: Record<string, { brows: number; lips: number }> = {};
  perPhoto.push({ photo: ph, kept });
  const tex = load(`${dir}/texture.png`), alb = load(`${dir}/albedo.png`);
  const W = alb.width, n = W * W;
  const conf = decodePng(new Uint8Array(readFileSync(`${dir}/confidence.png`))).image;
  const cov = new Uint8Array(n); for (let k = 0; k < n; k++) cov[k] = conf.data[conf.channels * k]! > 0 ? 1 : 0;
  const seen = (k: number): boolean => conf.data[conf.channels * k]! > 0.5;
  const skin = buildSkinMask(W, W, topo.uvs, topo.regions, cov);
  const brows = buildRegionMask(W, W, topo.uvs, topo.regions.filter((r) => /Brow/.test(r.name)).map((r) => ({ ...r, dilate: 0 })), { feather: 0 });
  const lips = buildRegionMask(W, W, topo.uvs, topo.regions.filter((r) => /lips/.test(r.name)).map((r) => ({ ...r, dilate: 0 })), { feather: 0 });
  const lnY = (im: Image, k: number): number => Math.log(luminance(im.data[3 * k]!, im.data[3 * k + 1]!, im.data[3 * k + 2]!) + 1e-4);
  const med = (im: Image, m: ArrayLike<number>): number => { const v: number[] = []; for (let k = 0; k < n; k++) if (m[k]! > 0.5 && cov[k] && seen(k)) v.push(lnY(im, k)); v.sort((a, b) => a - b); return v[v.length >> 1]!; };
  const variants: Record<string, Image> = {
    'division only': alb,
    'eq σ0.007 s0.8': equalizeLightness(alb, cov, { sigmaFraction: 0.007, strength: 0.8, clampLog: 0.7 }),
    'eq σ0.01 s0.8': equalizeLightness(alb, cov, { sigmaFraction: 0.01, strength: 0.8, clampLog: 0.7 }),
    'skin-eq σ0.007 s0.8': equalizeLightness(alb, cov, { sigmaFraction: 0.007, strength: 0.8, clampLog: 0.7 }, skin),
    'skin-eq σ0.01 s0.8': equalizeLightness(alb, cov, { sigmaFraction: 0.01, strength: 0.8, clampLog: 0.7 }, skin),
  };
  const tB = med(tex, brows) - med(tex, skin), tL = med(tex, lips) - med(tex, skin);
  const parts: string[] = [];
  for (const [name, im] of Object.entries(variants)) {
    const b = (med(im, brows) - med(im, skin)) / tB, l = (med(im, lips) - med(im, skin)) / tL;
    kept[name] = { brows: b, lips: l };
    (rows[name + ' brows'] ??= []).push(b); (rows[name + ' lips'] ??= []).push(l);
    parts.push(`${name} ${b.toFixed(2)}/${l.toFixed(2)}`);
  }
  console.log(`${ph}: photo brow ${tB.toFixed(2)} lips ${tL.toFixed(2)} | ${parts.join(', ')}`);
}
const median = (v: number[]): number => [...v].sort((a, b) => a - b)[v.length >> 1]!;
const medians = Object.fromEntries(Object.entries(rows).map(([k, v]) => [k, median(v)]));
for (const [k, v] of Object.entries(medians)) console.log(k.padEnd(28), 'median kept', v.toFixed(2));
const file = path.join('bench', 'results', 'albedo-pigment.json');
writeFileSync(file, JSON.stringify({ commit: currentCommit(), date: new Date().toISOString(), photos: perPhoto.length, medians, perPhoto }, null, 2) + '\n');
console.log(`wrote ${file}`);

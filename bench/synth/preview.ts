/**
 * Preview sheet of the wrinkle generator v2: `node --import tsx bench/synth/preview.ts [--out docs/wrinkles-preview.jpg]`.
 * One ICT identity per column pair; rows: ages 30 / 55 / 80; columns: neutral, brow raise,
 * smile, frown; each tile is the ICT UV-layout displacement map shaded as a height field under a
 * raking light from the upper left (the face's forehead is up). A last row shows the face-mesh
 * layout of the 80-year-old. Needs the imported ICT cache ($FACEDETAIL_MODELS_DIR or --models-dir).
 */
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import sharp from 'sharp';
import { loadIctModel } from '../../src/node/model-import/load-ict.js';
import { rasterizeUV } from '../../src/core/unwrap/rasterize-uv.js';
import { ictShape } from '../../src/core/model/ict/ict-fit.js';
import { faceMeshOnIct, ictFaceMesh, synthFace, synthWrinkleMap } from './faces.js';
import type { WrinkleMap } from './wrinkles.js';

const arg = (k: string): string | undefined => { const i = process.argv.indexOf(k); return i >= 0 ? process.argv[i + 1] : undefined; };
const out = arg('--out') ?? 'docs/wrinkles-preview.jpg';
const modelsDir = arg('--models-dir');
const S = 384;

/** Height-field shading of a displacement map (mm) with a light at elevation `elevDeg` from the upper left. */
export function hillshade(map: WrinkleMap, mmPerTexel: Float32Array, elevDeg = 30): Buffer {
  const W = map.width, H = map.height, d = map.displacement;
  const buf = Buffer.alloc(W * H * 3);
  const el = (elevDeg * Math.PI) / 180;
  const lx = -Math.cos(el) * Math.SQRT1_2, ly = Math.cos(el) * Math.SQRT1_2, lz = Math.sin(el); // from upper left (v down → +y up)
  for (let y = 0; y < H; y++) for (let x = 0; x < W; x++) {
    const p = y * W + x, s = mmPerTexel[p]!;
    if (!(s > 0)) { buf[3 * p] = 30; buf[3 * p + 1] = 30; buf[3 * p + 2] = 34; continue; }
    const dx = (d[y * W + Math.min(W - 1, x + 1)]! - d[y * W + Math.max(0, x - 1)]!) / (2 * s);
    const dy = (d[Math.max(0, y - 1) * W + x]! - d[Math.min(H - 1, y + 1) * W + x]!) / (2 * s);
    const nl = Math.hypot(dx, dy, 1);
    const shade = Math.max(0, (-dx * lx - dy * ly + lz) / nl);
    const v = Math.round(255 * Math.min(1, 0.08 + 0.95 * shade));
    buf[3 * p] = v; buf[3 * p + 1] = Math.round(v * 0.97); buf[3 * p + 2] = Math.round(v * 0.93);
  }
  return buf;
}

async function main(): Promise<void> {
  const data = await loadIctModel(modelsDir ? { modelsDir } : {});
  const tiles: Array<{ input: Buffer; left: number; top: number }> = [];
  const presets = ['neutral', 'browRaise', 'smile', 'frown'];
  const ages = [30, 55, 80];
  const seed = 4242;
  const scale = (face: ReturnType<typeof synthFace>, layout: 'ict' | 'facemesh'): Float32Array => {
    const rest = ictShape(data, face.identity, new Float32Array(data.expressionNames.length));
    const g = rasterizeUV(layout === 'ict' ? ictFaceMesh(data, rest) : faceMeshOnIct(data, rest), S, S);
    const m = new Float32Array(S * S);
    for (let p = 0; p < S * S; p++) if (g.coverage[p]) m[p] = Math.sqrt(Math.hypot(g.dPdu[3 * p]!, g.dPdu[3 * p + 1]!, g.dPdu[3 * p + 2]!) * Math.hypot(g.dPdv[3 * p]!, g.dPdv[3 * p + 1]!, g.dPdv[3 * p + 2]!));
    return m;
  };
  let ictScale: Float32Array | undefined;
  for (const [r, age] of ages.entries()) {
    for (const [c, preset] of presets.entries()) {
      const face = synthFace(data, seed, { age, preset });
      ictScale ??= scale(face, 'ict');
      const map = synthWrinkleMap(data, face, 'ict', S);
      tiles.push({ input: await sharp(hillshade(map, ictScale), { raw: { width: S, height: S, channels: 3 } }).png().toBuffer(), left: c * S, top: r * S });
      const deep = map.primitives.reduce((m, p) => Math.max(m, p.depthMm), 0);
      console.log(`age ${age} ${preset}: ${map.primitives.length} primitives, deepest ${deep.toFixed(2)} mm, displacement ${map.displacement.reduce((a, b) => Math.min(a, b), 0).toFixed(2)}..${map.displacement.reduce((a, b) => Math.max(a, b), 0).toFixed(2)} mm`);
    }
  }
  // Last row: the face-mesh layout, age 80, each preset.
  for (const [c, preset] of presets.entries()) {
    const face = synthFace(data, seed, { age: 80, preset });
    const map = synthWrinkleMap(data, face, 'facemesh', S);
    tiles.push({ input: await sharp(hillshade(map, scale(face, 'facemesh')), { raw: { width: S, height: S, channels: 3 } }).png().toBuffer(), left: c * S, top: ages.length * S });
  }
  const capH = 28;
  const caption = Buffer.from(`<svg width="${4 * S}" height="${capH}"><rect width="100%" height="100%" fill="black"/><text x="6" y="19" font-size="15" font-family="sans-serif" fill="#ddd">wrinkle generator v2, ICT UV layout: rows age 30 / 55 / 80, face-mesh layout age 80; columns neutral | brow raise | smile | frown</text></svg>`);
  tiles.push({ input: caption, left: 0, top: (ages.length + 1) * S });
  await mkdir(path.dirname(out), { recursive: true });
  await sharp({ create: { width: 4 * S, height: (ages.length + 1) * S + capH, channels: 3, background: '#000' } }).composite(tiles).jpeg({ quality: 80 }).toFile(out);
  console.log(`wrote ${out}`);
}

if (import.meta.url === `file://${process.argv[1]}`) await main();

/**
 * Look at the proxy benchmark's renders: writes bench/out/proxy/preview.png (4 renders side by
 * side). `node --import tsx bench/proxy/preview.ts [--models-dir <dir>]`.
 */
import { mkdir } from 'node:fs/promises';
import sharp from 'sharp';
import { loadIctModel } from '../../src/node/model-import/load-ict.js';
import { ictRenderAssets, proxyCases, renderCase } from './scene.js';

const i = process.argv.indexOf('--models-dir');
const modelsDir = i >= 0 ? process.argv[i + 1] : undefined;
const d = await loadIctModel(modelsDir ? { modelsDir } : {});
const assets = ictRenderAssets(d);
const cases = proxyCases(d, { neutral: 1, random: 1, emotionRepeats: 1 });
const tiles: Buffer[] = [];
for (const c of [cases[0]!, cases[1]!, cases[2]!, cases[5]!]) {
  const r = renderCase(d, assets, c);
  const u8 = Buffer.from(r.image.data.map((v) => Math.round(v * 255)));
  tiles.push(await sharp(u8, { raw: { width: r.image.width, height: r.image.height, channels: 3 } }).resize(320, 320).png().toBuffer());
}
await mkdir('bench/out/proxy', { recursive: true });
await sharp({ create: { width: 1280, height: 320, channels: 3, background: 'black' } })
  .composite(tiles.map((t, k) => ({ input: t, left: 320 * k, top: 0 }))).png().toFile('bench/out/proxy/preview.png');
console.log('wrote bench/out/proxy/preview.png');

/**
 * Time per stage in the browser (the built web app in headless Chromium, CPU, wasm) and in Node
 * (`createReconstructor` + `buildOutputFiles`, the same pure-JS export) for one photo: the median
 * of `runs` reconstructions after one warm-up, per map resolution. Not a test; run by hand after
 * `npm run build:web` (the README's browser-vs-Node table):
 *
 *   node --import tsx test/e2e/timing.ts [photo] [runs] [resolutions]
 *   node --import tsx test/e2e/timing.ts ../shared/photos/grace_hopper.jpg 3 512,1024
 *
 * Prints stage → { browser-<res>, node-<res> } medians (ms) and writes test/e2e/out/timing.json.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { chromium } from 'playwright-core';
import { buildOutputFiles } from '../../src/core/index.js';
import { createReconstructor } from '../../src/node/reconstructor.js';
import { serveStatic } from './static-server.js';

const ROOT = resolve(import.meta.dirname, '../..');
const photo = resolve(process.argv[2] ?? join(process.env.FACEDETAIL_SHARED ?? join(ROOT, '../shared'), 'photos/grace_hopper.jpg'));
const runs = Number(process.argv[3] ?? 3);
const resolutions = (process.argv[4] ?? '512,1024').split(',').map(Number);

const server = await serveStatic(join(ROOT, 'dist-web'));
const browser = await chromium.launch({
  executablePath: process.env.FACEDETAIL_CHROMIUM ?? '/usr/bin/chromium',
  args: ['--no-sandbox', '--use-angle=swiftshader', '--enable-unsafe-swiftshader', '--disable-background-networking', '--disable-component-update', '--no-first-run'],
});
type Api = { state: string; timings: Record<string, number>; error?: { message: string } };
const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};
const out: Record<string, Record<string, number>> = {};
try {
  const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
  await page.goto(server.url);
  await page.waitForFunction(() => (window as unknown as { facedetail: Api }).facedetail.state !== 'loading', null, { timeout: 120_000 });
  out['modelLoad'] = { browser: (await page.evaluate(() => (window as unknown as { facedetail: Api }).facedetail.timings['modelLoad'] ?? NaN)) };
  for (const res of resolutions) {
    await page.selectOption('#opt-res', String(res));
    const samples: Record<string, number[]> = {};
    for (let i = 0; i <= runs; i++) {
      await page.setInputFiles('#file', photo);
      await page.waitForFunction(() => ['done', 'error'].includes((window as unknown as { facedetail: Api }).facedetail.state), null, { timeout: 300_000 });
      const api = await page.evaluate(() => (window as unknown as { facedetail: Api }).facedetail);
      if (api.state !== 'done') throw new Error(api.error?.message ?? 'failed');
      if (i === 0) continue; // warm-up
      for (const [k, v] of Object.entries(api.timings)) if (k !== 'modelLoad') (samples[k] ??= []).push(v);
    }
    for (const [k, v] of Object.entries(samples)) (out[k] ??= {})[`browser-${res}`] = Math.round(median(v));
  }
} finally {
  await browser.close();
  await server.close();
}

// Node, in this process, after the browser is gone (the two do not compete for the CPU).
const rec = await createReconstructor();
try {
  for (const res of resolutions) {
    const samples: Record<string, number[]> = {};
    for (let i = 0; i <= runs; i++) {
      const t0 = performance.now();
      const face = await rec.reconstruct(photo, { detailResolution: res, textureResolution: res });
      const t1 = performance.now();
      await buildOutputFiles(face, { formats: ['glb', 'obj', 'ply'], sourceName: 'photo', version: '0' });
      const t2 = performance.now();
      if (i === 0) continue;
      for (const [k, v] of Object.entries({ ...face.timings, export: t2 - t1, total: t2 - t0 })) (samples[k] ??= []).push(v as number);
    }
    for (const [k, v] of Object.entries(samples)) (out[k] ??= {})[`node-${res}`] = Math.round(median(v));
  }
} finally {
  await rec.dispose();
}
mkdirSync(join(ROOT, 'test/e2e/out'), { recursive: true });
writeFileSync(join(ROOT, 'test/e2e/out/timing.json'), JSON.stringify({ photo, runs, stagesMs: out }, null, 2));
console.log(JSON.stringify(out, null, 1));

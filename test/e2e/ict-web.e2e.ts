/**
 * The bundled ICT FaceKit model in the web app (Chromium, as web.e2e.ts): build the app, serve
 * dist-web/, choose the ICT face model, reconstruct grace_hopper.jpg; the model is fetched from
 * the app's own server (models/ict/ict-compact.bin), the pose matches Node's bundled-model run on
 * the same photo, and the downloaded GLB holds the head. Skips, saying why, without Chromium or
 * the shared photos. Screenshot: test/e2e/out/ict-viewer.png (git-ignored).
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readGlb } from '../../src/core/export/glb.js';
import { createReconstructor } from '../../src/node/reconstructor.js';
import { serveStatic, type StaticServer } from './static-server.js';

const ROOT = resolve(import.meta.dirname, '../..');
const OUT = join(ROOT, 'test/e2e/out');
const PHOTOS = resolve(process.env.FACEDETAIL_SHARED ?? join(ROOT, '../shared'), 'photos');
const GRACE = join(PHOTOS, 'grace_hopper.jpg');
const CHROMIUM = process.env.FACEDETAIL_CHROMIUM ?? '/usr/bin/chromium';

const skipReason = !existsSync(CHROMIUM)
  ? `Chromium not found at ${CHROMIUM} (apt-get install -y chromium, or set FACEDETAIL_CHROMIUM)`
  : !existsSync(GRACE) ? `${GRACE} not found (set FACEDETAIL_SHARED)` : undefined;
if (skipReason) console.log(`web app ICT e2e test skipped: ${skipReason}`);

interface PageApi {
  state: 'loading' | 'idle' | 'running' | 'done' | 'error';
  runs: number;
  error: { code: string; message: string } | undefined;
  result: { pose: { yawDeg: number; pitchDeg: number; rollDeg: number }; vertices: number } | undefined;
}
const pageApi = (page: Page): Promise<PageApi> => page.evaluate(() => (window as unknown as { facedetail: PageApi }).facedetail);

describe.skipIf(skipReason !== undefined)('web app with the bundled ICT model', () => {
  let server: StaticServer;
  let browser: Browser;
  let page: Page;
  const foreign: string[] = [];

  beforeAll(async () => {
    mkdirSync(OUT, { recursive: true });
    execFileSync(process.execPath, [join(ROOT, 'node_modules/vite/bin/vite.js'), 'build', '--config', 'web/vite.config.ts', '--logLevel', 'warn'], { cwd: ROOT, stdio: 'inherit' });
    server = await serveStatic(join(ROOT, 'dist-web'));
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--use-angle=swiftshader', '--enable-unsafe-swiftshader', '--disable-background-networking', '--disable-component-update', '--no-first-run'] });
    const context = await browser.newContext({ viewport: { width: 1400, height: 900 }, acceptDownloads: true });
    page = await context.newPage();
    page.on('request', (r) => { if (!r.url().startsWith(server.url) && !r.url().startsWith('data:') && !r.url().startsWith('blob:')) foreign.push(r.url()); });
    page.on('pageerror', (e) => console.log(`page error: ${e.message}`));
    await page.goto(server.url);
    await page.waitForFunction(() => {
      const api = (window as unknown as { facedetail?: PageApi }).facedetail;
      return api !== undefined && api.state !== 'loading';
    }, null, { timeout: 120_000 });
  });
  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  it('reconstructs grace_hopper.jpg with the ICT model: fetched from the app, pose as in Node, the head in the GLB', async () => {
    expect(server.requests).not.toContain('/models/ict/ict-compact.bin'); // loaded on first use only
    await page.selectOption('#opt-model', 'ict');
    const before = (await pageApi(page)).runs;
    await page.setInputFiles('#file', GRACE);
    await page.waitForFunction((n) => {
      const api = (window as unknown as { facedetail: PageApi }).facedetail;
      return api.runs > n && (api.state === 'done' || api.state === 'error');
    }, before, { timeout: 240_000 });
    const api = await pageApi(page);
    expect(api.state, JSON.stringify(api.error)).toBe('done');
    expect(foreign).toEqual([]);
    expect(server.requests).toContain('/models/ict/ict-compact.bin');
    expect(api.result!.vertices).toBeGreaterThan(100_000); // ICT's narrow face, two levels: 106k
    await page.waitForTimeout(300);
    writeFileSync(join(OUT, 'ict-viewer.png'), await page.locator('#viewer').screenshot());

    const [glbDl] = await Promise.all([page.waitForEvent('download'), page.click('[data-download="glb"]')]);
    const glbPath = join(OUT, 'ict-face.glb');
    await glbDl.saveAs(glbPath);
    const glb = readGlb(new Uint8Array(readFileSync(glbPath)));
    expect(glb.json.nodes?.map((n) => n.name)).toEqual(expect.arrayContaining(['face', 'head', 'teeth', 'eyes', 'irises']));

    // Node with the same bundled model (an empty models folder), the page's 512² maps.
    const empty = await mkdtemp(join(tmpdir(), 'facedetail-ict-web-'));
    const rec = await createReconstructor({ model: 'ict', modelsDir: empty, textureResolution: 512, detailResolution: 512 });
    try {
      const node = await rec.reconstruct(GRACE);
      const b = api.result!.pose;
      console.log(`ICT pose on grace_hopper.jpg, browser vs Node: yaw ${b.yawDeg.toFixed(2)} / ${node.pose.yawDeg.toFixed(2)}°, pitch ${b.pitchDeg.toFixed(2)} / ${node.pose.pitchDeg.toFixed(2)}°, roll ${b.rollDeg.toFixed(2)} / ${node.pose.rollDeg.toFixed(2)}°`);
      expect(Math.abs(b.yawDeg - node.pose.yawDeg)).toBeLessThan(1);
      expect(Math.abs(b.pitchDeg - node.pose.pitchDeg)).toBeLessThan(1);
      expect(Math.abs(b.rollDeg - node.pose.rollDeg)).toBeLessThan(1);
      expect(api.result!.vertices).toBe(node.detailedMesh.positions.length / 3);
    } finally {
      await rec.dispose();
      await rm(empty, { recursive: true, force: true });
    }
  });
});

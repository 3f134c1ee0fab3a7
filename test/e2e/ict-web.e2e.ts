/**
 * The bundled ICT FaceKit model in the web app (Chromium, as web.e2e.ts): build the app, serve
 * dist-web/, choose the ICT face model, reconstruct grace_hopper.jpg; the model is fetched from
 * the app's own server (models/ict/ict-compact.bin), the pose matches Node's bundled-model run on
 * the same photo, and the downloaded GLB holds the head. Skips, saying why, without Chromium or
 * the shared photos. Screenshot: test/e2e/out/ict-viewer.png (git-ignored).
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readGlb } from '../../src/core/export/glb.js';
import { createReconstructor } from '../../src/node/reconstructor.js';
import { launchBrowser, OUT, openApp, runAndWait, photo, ROOT, skipReasonFor } from './helpers.js';
import { serveStatic, type StaticServer } from './static-server.js';

const GRACE = photo('grace_hopper.jpg');
const skipReason = skipReasonFor(['grace_hopper.jpg']);
if (skipReason) console.log(`web app ICT e2e test skipped: ${skipReason}`);

describe.skipIf(skipReason !== undefined)('web app with the bundled ICT model', () => {
  let server: StaticServer;
  let browser: Browser;
  let page: Page;
  const foreign: string[] = [];

  beforeAll(async () => {
    mkdirSync(OUT, { recursive: true });
    server = await serveStatic(join(ROOT, 'dist-web')); // built once by global-setup.ts
    browser = await launchBrowser(false);
    page = await openApp(browser, server.url);
    page.on('request', (r) => { if (!r.url().startsWith(server.url) && !r.url().startsWith('data:') && !r.url().startsWith('blob:')) foreign.push(r.url()); });
  });
  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  it('reconstructs grace_hopper.jpg with the ICT model: fetched from the app, pose as in Node, the head in the GLB', async () => {
    expect(server.requests).not.toContain('/models/ict/ict-compact.bin'); // loaded on first use only
    await page.selectOption('#opt-model', 'ict');
    const api = await runAndWait(page, () => page.setInputFiles('#file', GRACE), 240_000);
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

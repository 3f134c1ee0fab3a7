/**
 * Cross-origin isolation and the model cache of the web app (Chromium, as web.e2e.ts): served with
 * COOP/COEP the page is isolated and the wasm backends run threaded (tfjs's threaded SIMD binary,
 * onnxruntime-web on min(4, cores) threads), a run works, and a reload downloads no model and no
 * wasm file (Cache Storage); served without the headers it falls back to one thread and still
 * works. Skips, saying why, without Chromium or the shared photos.
 */
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchBrowser, openApp, pageApi, photo, ROOT, runAndWait, skipReasonFor } from './helpers.js';
import { serveStatic, type StaticServer } from './static-server.js';

const GRACE = photo('grace_hopper.jpg');
const skipReason = skipReasonFor(['grace_hopper.jpg']);
if (skipReason) console.log(`web app isolation e2e tests skipped: ${skipReason}`);

/** Requests for models or wasm binaries (what the cache should answer after the first visit). */
const modelRequests = (paths: string[]): string[] => paths.filter((p) => p.startsWith('/models/') || p.startsWith('/wasm/') || p.endsWith('.wasm'));

describe.skipIf(skipReason !== undefined)('web app: cross-origin isolation and model cache', () => {
  let browser: Browser;
  const servers: StaticServer[] = [];

  beforeAll(async () => {
    browser = await launchBrowser(false);
  });
  afterAll(async () => {
    await browser?.close();
    for (const s of servers) await s.close();
  });

  it('isolated: threaded wasm, and a reload downloads no model or wasm file', async () => {
    const server = await serveStatic(join(ROOT, 'dist-web')); // built once by global-setup.ts
    servers.push(server);
    const page = await openApp(browser, server.url);
    const cores = await page.evaluate(() => navigator.hardwareConcurrency);
    const { wasm } = await pageApi(page);
    console.log(`isolated: ${JSON.stringify(wasm)}, hardwareConcurrency ${cores}`);
    expect(wasm).toMatchObject({ isolated: true, multithread: true, simd: true, ortThreads: Math.min(4, cores) });
    expect(wasm!.tfjsThreads).toBe(Math.max(1, Math.min(4, Math.floor(cores / 2)))); // tfjs's own cap: half the logical cores
    expect(server.requests).toContain('/wasm/tfjs-backend-wasm-threaded-simd.wasm');

    let api = await runAndWait(page, () => page.setInputFiles('#file', GRACE), 240_000); // 512², the learned detail: every model
    expect(api.state, JSON.stringify(api.error)).toBe('done');
    expect(modelRequests(server.requests)).toEqual(expect.arrayContaining(['/models/facemesh.bin', '/models/dfdn/dfdn.onnx']));
    expect(modelRequests(server.requests).some((p) => p.startsWith('/assets/ort-wasm'))).toBe(true);

    const before = server.requests.length;
    await page.reload();
    await page.waitForFunction(() => (window as unknown as { facedetail?: { state: string } }).facedetail?.state === 'idle', null, { timeout: 120_000 });
    api = await runAndWait(page, () => page.setInputFiles('#file', GRACE), 240_000);
    expect(api.state, JSON.stringify(api.error)).toBe('done');
    expect(api.result!.detailMethod).toBe('dfdn');
    const second = server.requests.slice(before);
    expect(second).toContain('/'); // the page itself did load again
    expect(modelRequests(second)).toEqual([]);
    await page.context().close();
  });

  it('not isolated (a host without the headers): single-threaded, and it still works', async () => {
    const server = await serveStatic(join(ROOT, 'dist-web'), { isolated: false });
    servers.push(server);
    const page = await openApp(browser, server.url);
    const { wasm } = await pageApi(page);
    expect(wasm).toMatchObject({ isolated: false, multithread: false, tfjsThreads: 1, ortThreads: 1 });
    expect(server.requests).not.toContain('/wasm/tfjs-backend-wasm-threaded-simd.wasm');
    const api = await runAndWait(page, () => page.setInputFiles('#file', GRACE), 240_000);
    expect(api.state, JSON.stringify(api.error)).toBe('done');
    await page.context().close();
  });
});

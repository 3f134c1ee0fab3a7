/**
 * End-to-end tests of the web app in a real browser (Debian's Chromium driven by playwright-core,
 * WebGL through SwiftShader): build the app, serve dist-web/ from 127.0.0.1, upload photos, and
 * check the result the way a user would see and download it.
 *
 * Needs Chromium (`apt-get install -y chromium`; or FACEDETAIL_CHROMIUM=/path/to/chrome) and the
 * shared photos ($FACEDETAIL_SHARED/photos, default ../shared); skips, saying why, without them.
 * Screenshots, the downloaded GLB and the timings go to test/e2e/out/ (git-ignored). The app is
 * built once for all e2e files by global-setup.ts.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { decode as decodePng } from 'fast-png';
import { unzipSync } from 'fflate';
// @ts-expect-error: gltf-validator ships no type declarations
import { validateBytes } from 'gltf-validator';
import type { Browser, Page } from 'playwright-core';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dfdnProbeInput, inferDisplacement } from '../../src/core/detail/dfdn.js';
import { decodeImage } from '../../src/node/decode-image.js';
import { loadDfdnNetwork } from '../../src/node/dfdn-runtime.js';
import { createHumanAnalyzer } from '../../src/node/human-analyzer.js';
import { createReconstructor } from '../../src/node/reconstructor.js';
import { DFDN_DIR, launchBrowser, ROOT, meanAbsDiff, OUT, pageApi, photo, pixelStats, runAndWait, skipReasonFor } from './helpers.js';
import { serveStatic, type StaticServer } from './static-server.js';

const GRACE = photo('grace_hopper.jpg');
const NON_FACE = photo('non_face.jpg');

const skipReason = skipReasonFor(['grace_hopper.jpg', 'non_face.jpg']);
if (skipReason) console.log(`web app e2e tests skipped: ${skipReason}`);

/** What the page's `dfdnProbe` hook resolves with (src/web/protocol.ts DfdnProbeResult). */
interface ProbeResult { step: number; sample: Record<string, number>; sum: number; sumSq: number; patches: number; networkMs: number; totalMs: number }

describe.skipIf(skipReason !== undefined)('web app in Chromium', () => {
  let server: StaticServer;
  let browser: Browser;
  let page: Page;
  const foreign: string[] = [];

  beforeAll(async () => {
    server = await serveStatic(join(ROOT, 'dist-web'));
    browser = await launchBrowser();
    const context = await browser.newContext({ viewport: { width: 1400, height: 900 }, acceptDownloads: true });
    page = await context.newPage();
    page.on('request', (r) => { if (!r.url().startsWith(server.url) && !r.url().startsWith('data:') && !r.url().startsWith('blob:')) foreign.push(r.url()); });
    page.on('pageerror', (e) => console.log(`page error: ${e.message}`));
    await page.goto(server.url);
    await page.waitForFunction(() => {
      const api = (window as unknown as { facedetail?: { state: string } }).facedetail;
      return api !== undefined && api.state !== 'loading';
    }, null, { timeout: 120_000 });
  });

  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  it('loads the models from its own server only', async () => {
    const api = await pageApi(page);
    expect(api.state, JSON.stringify(api.error)).toBe('idle');
    expect(foreign).toEqual([]);
    for (const f of ['models/facemesh.bin', 'models/blazeface.json', 'models/emotion.json']) expect(server.requests).toContain(`/${f}`);
  });

  it('reconstructs grace_hopper.jpg: viewer not blank, toggles change it, GLB valid, OBJ zip complete, landmarks as in Node', async () => {
    const api = await runAndWait(page, () => page.setInputFiles('#file', GRACE), 240_000);
    expect(api.state, JSON.stringify(api.error)).toBe('done');
    expect(foreign).toEqual([]);
    await page.waitForTimeout(300); // the viewer renders on the next animation frame

    // The 3D canvas shows a lit, textured face: many pixels off the background, with contrast.
    const shot = async (name: string) => {
      const png = await page.locator('#viewer').screenshot();
      writeFileSync(join(OUT, name), png);
      return new Uint8Array(png);
    };
    const detailed = await shot('viewer-detailed.png');
    const stats = pixelStats(detailed, [0x20, 0x24, 0x2b]);
    expect(stats.foreground).toBeGreaterThan(0.15);
    expect(stats.lumaStd).toBeGreaterThan(15);
    writeFileSync(join(OUT, 'page.png'), await page.screenshot());
    writeFileSync(join(OUT, 'overlay.png'), await page.locator('#overlay').screenshot());

    // Toggles: untextured, proxy vs detailed, a stronger detail, a moved light.
    await page.selectOption('#texture', 'none');
    await page.waitForTimeout(200);
    const plainDetailed = await shot('viewer-untextured-detailed.png');
    expect(meanAbsDiff(detailed, plainDetailed)).toBeGreaterThan(2);
    await page.uncheck('#normal-map');
    await page.check('input[name="mesh"][value="proxy"]');
    await page.waitForTimeout(200);
    const bareProxy = await shot('viewer-untextured-proxy-no-normal-map.png');
    expect(meanAbsDiff(plainDetailed, bareProxy)).toBeGreaterThan(0.05);
    await page.check('#normal-map');
    await page.check('input[name="mesh"][value="detailed"]');
    await page.locator('#strength').fill('4');
    await page.waitForTimeout(300);
    const strong = await shot('viewer-untextured-strength4.png');
    expect(meanAbsDiff(plainDetailed, strong)).toBeGreaterThan(0.05);
    await page.locator('#light-az').fill('-90');
    await page.waitForTimeout(200);
    const side = await shot('viewer-untextured-strength4-side-light.png');
    expect(meanAbsDiff(strong, side)).toBeGreaterThan(1);
    expect(pixelStats(side, [0x20, 0x24, 0x2b]).foreground).toBeGreaterThan(0.15);

    // Orbit: dragging on the canvas turns the face.
    const box = (await page.locator('#viewer').boundingBox())!;
    await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
    await page.mouse.down();
    await page.mouse.move(box.x + box.width / 2 + 150, box.y + box.height / 2 + 20, { steps: 8 });
    await page.mouse.up();
    await page.waitForTimeout(200);
    const turned = await shot('viewer-untextured-strength4-side-light-orbited.png');
    expect(meanAbsDiff(side, turned)).toBeGreaterThan(1);
    await page.click('#reset-view');

    // Readout.
    await expect.poll(() => page.locator('#pose').textContent()).toMatch(/yaw [+−]\d/);
    await expect.poll(() => page.locator('#emotion').textContent()).toMatch(/Emotion: \w+/);

    // GLB download: valid glTF.
    const [glbDl] = await Promise.all([page.waitForEvent('download'), page.click('[data-download="glb"]')]);
    expect(glbDl.suggestedFilename()).toBe('grace_hopper.glb');
    const glbPath = join(OUT, 'grace_hopper.glb');
    await glbDl.saveAs(glbPath);
    const report = await validateBytes(new Uint8Array(readFileSync(glbPath)));
    expect(report.issues.numErrors, JSON.stringify(report.issues.messages.slice(0, 3))).toBe(0);

    // OBJ zip: mesh, material and the maps it names.
    const [objDl] = await Promise.all([page.waitForEvent('download'), page.click('[data-download="obj"]')]);
    const objZip = join(OUT, objDl.suggestedFilename());
    await objDl.saveAs(objZip);
    const entries = unzipSync(new Uint8Array(readFileSync(objZip)));
    for (const f of ['face.obj', 'face.mtl', 'albedo.png', 'normal.png', 'displacement.png', 'result.json']) expect(Object.keys(entries)).toContain(f);
    expect(new TextDecoder().decode(entries['face.mtl'])).toContain('map_Kd albedo.png');

    // Same analysis as the Node adapter on the same photo (different JPEG decoders: sharp vs Chromium).
    const r = api.result!;
    const decoded = await decodeImage(GRACE);
    const analyzer = await createHumanAnalyzer();
    try {
      const [node] = await analyzer.analyze(decoded.image);
      expect(node).toBeDefined();
      expect([r.width, r.height]).toEqual([decoded.width, decoded.height]);
      let sum = 0, worst = 0;
      const n = node!.landmarkCount;
      for (let i = 0; i < n; i++) {
        const d = Math.hypot(r.landmarks[3 * i]! - node!.landmarks[3 * i]!, r.landmarks[3 * i + 1]! - node!.landmarks[3 * i + 1]!);
        sum += d;
        worst = Math.max(worst, d);
      }
      console.log(`browser vs Node landmarks on grace_hopper.jpg: mean ${(sum / n).toFixed(3)} px, worst ${worst.toFixed(3)} px`);
      // Identical here (both decoders are libjpeg-turbo; the wasm kernels are deterministic).
      expect(sum / n).toBeLessThan(0.1);
      for (const [e, p] of Object.entries(node!.emotions)) expect(Math.abs(r.emotions[e]! - p), e).toBeLessThan(0.01);
    } finally {
      await analyzer.dispose();
    }

    writeFileSync(join(OUT, 'timings-browser.json'), JSON.stringify({ photo: 'grace_hopper.jpg', maps: 512, timingsMs: api.timings }, null, 2));
    console.log(`browser timings (ms): ${JSON.stringify(Object.fromEntries(Object.entries(api.timings).map(([k, v]) => [k, Math.round(v)])))}`);
  });

  it('runs the detail network (DFDN) in the worker: the same displacement as Node, on a probe and on a photo', async () => {
    // 1. The network alone on identical input (1024², the contract's resolution): onnxruntime-web
    //    (wasm, one thread) vs onnxruntime-node; the tiling and blending are the same core code.
    const net = await loadDfdnNetwork({ modelDir: DFDN_DIR });
    const probeMs: { browser: number[]; node: number[] } = { browser: [], node: [] };
    try {
      const { features, coverage } = dfdnProbeInput(1024, 3);
      let node = await inferDisplacement(features, coverage, net);
      let browser: ProbeResult | undefined;
      for (let i = 0; i < 3; i++) {
        browser = await page.evaluate(() => (window as unknown as { facedetail: { dfdnProbe(s: number, seed: number): Promise<ProbeResult> } }).facedetail.dfdnProbe(1024, 3));
        probeMs.browser.push(browser.networkMs);
        if (i > 0) node = await inferDisplacement(features, coverage, net);
        probeMs.node.push(node.networkMs);
      }
      const b = browser!, d = node.displacement;
      expect(b.patches).toBe(node.patches);
      let worst = 0, peak = 0, sum = 0;
      for (let j = 0; j * b.step < d.length; j++) {
        worst = Math.max(worst, Math.abs(b.sample[j]! - d[j * b.step]!));
        peak = Math.max(peak, Math.abs(d[j * b.step]!));
      }
      for (const v of d) sum += v;
      console.log(`DFDN probe 1024², browser vs Node: worst ${worst.toExponential(2)} mm (peak ${peak.toFixed(3)} mm), sums ${b.sum.toFixed(4)} / ${sum.toFixed(4)}; network ms browser ${probeMs.browser.map((x) => x.toFixed(0)).join(', ')}, Node ${probeMs.node.map((x) => x.toFixed(0)).join(', ')}`);
      expect(peak).toBeGreaterThan(0);
      expect(worst).toBeLessThan(1e-4 + 1e-3 * peak);
      expect(Math.abs(b.sum - sum)).toBeLessThan(1e-3 * Math.max(1, Math.abs(sum)) + 1e-6 * d.length);
    } finally {
      await net.dispose();
    }
    expect(foreign).toEqual([]);
    for (const f of ['models/dfdn/dfdn.onnx', 'models/dfdn/dfdn.json']) expect(server.requests).toContain(`/${f}`);

    // 2. The whole pipeline with detail 'dfdn' at the page's default 512² maps, vs Node's on the
    //    same photo (features resampled to the network's 1024² and back, in both).
    await page.selectOption('#opt-detail', 'dfdn');
    const api = await runAndWait(page, () => page.setInputFiles('#file', GRACE), 240_000);
    await page.selectOption('#opt-detail', 'sfs');
    expect(api.state, JSON.stringify(api.error)).toBe('done');
    expect(api.result!.detailMethod).toBe('dfdn');
    await expect.poll(() => page.locator('#detail-method').textContent()).toMatch(/Detail: learned network \(DFDN\) \(network: \d+ patches, /);
    const [mapsDl] = await Promise.all([page.waitForEvent('download'), page.click('[data-download="maps"]')]);
    const zip = join(OUT, 'grace_hopper-dfdn-maps.zip');
    await mapsDl.saveAs(zip);
    const entries = unzipSync(new Uint8Array(readFileSync(zip)));
    const meta = JSON.parse(new TextDecoder().decode(entries['result.json'])) as { displacement: { scaleMm: number; offsetMm: number }; detail: { method: string } };
    expect(meta.detail.method).toBe('dfdn');
    const png = decodePng(entries['displacement.png']!);
    const rec = await createReconstructor({ dfdnModelDir: DFDN_DIR });
    try {
      const face = await rec.reconstruct(GRACE, { detail: 'dfdn', detailResolution: 512, textureResolution: 512 });
      const d = face.maps.displacement.data;
      expect(png.width * png.height).toBe(d.length);
      let diff2 = 0, ref2 = 0;
      for (let k = 0; k < d.length; k++) {
        const mm = meta.displacement.offsetMm + (meta.displacement.scaleMm * png.data[k]!) / 65535;
        diff2 += (mm - d[k]!) ** 2;
        ref2 += d[k]! ** 2;
      }
      const rmsDiff = Math.sqrt(diff2 / d.length), rms = Math.sqrt(ref2 / d.length);
      console.log(`DFDN pipeline on grace_hopper.jpg (512²), browser vs Node displacement: RMS difference ${rmsDiff.toExponential(2)} mm, RMS ${rms.toFixed(4)} mm; browser detail stage ${api.timings['detail']?.toFixed(0)} ms`);
      // 16-bit quantisation (scale/65535/√12) plus the slightly different landmarks (< 0.001 px).
      expect(rmsDiff).toBeLessThan(0.02 * rms + meta.displacement.scaleMm / 65535);
    } finally {
      await rec.dispose();
    }
    writeFileSync(join(OUT, 'timings-dfdn.json'), JSON.stringify({ probe: '1024², dfdnProbeInput(1024, 3), 25 patches', networkMs: probeMs, model: DFDN_DIR }, null, 2));
  });

  it('says so in plain words when the photo has no face', async () => {
    const api = await runAndWait(page, () => page.setInputFiles('#file', NON_FACE), 120_000);
    expect(api.error?.code).toBe('NO_FACE');
    await expect.poll(() => page.locator('#error').isVisible()).toBe(true);
    expect(await page.locator('#error-title').textContent()).toBe('No face found');
    expect(await page.locator('#error-message').textContent()).toMatch(/No face was found in this photo/);
    writeFileSync(join(OUT, 'page-no-face.png'), await page.screenshot());
  });

  it('takes a camera snapshot and runs it (the fake camera shows no face)', async () => {
    await expect.poll(() => page.locator('#camera-open').isVisible()).toBe(true);
    await page.click('#camera-open');
    await page.waitForFunction(() => (document.getElementById('video') as HTMLVideoElement).videoWidth > 0, null, { timeout: 30_000 });
    const api = await runAndWait(page, () => page.click('#snap'), 120_000);
    expect(api.error?.code).toBe('NO_FACE');
    expect(await page.locator('#camera').isHidden()).toBe(true);
  });

  it('refuses an image over the pixel limit before decoding it', async () => {
    const big = await sharp({ create: { width: 8000, height: 6000, channels: 3, background: '#ffffff' } }).png({ compressionLevel: 1 }).toBuffer();
    const api = await runAndWait(page, () => page.setInputFiles('#file', { name: 'huge.png', mimeType: 'image/png', buffer: big }), 60_000);
    expect(api.error?.code).toBe('IMAGE_TOO_LARGE');
    expect(await page.locator('#error-title').textContent()).toBe('Image too large');
    expect(await page.locator('#error-message').textContent()).toMatch(/48\.0 megapixels \(8000×6000\); the limit is 40/);
  });

  it('rejects a file that is not an image', async () => {
    const api = await runAndWait(page, () => page.setInputFiles('#file', { name: 'notes.txt', mimeType: 'text/plain', buffer: Buffer.from('not a photo') }), 60_000);
    expect(api.error?.code).toBe('UNSUPPORTED_IMAGE');
    expect(await page.locator('#error-title').textContent()).toBe('Unsupported file type');
  });
});

/**
 * Live puppeteering in the web app (Chromium, as web.e2e.ts): reconstruct faceapi_neutral.jpg
 * with the ICT model and the ARKit rig, then "Animate with webcam" with Chromium's fake camera
 * playing a video made here from shared photos (YUV4MPEG2, 640×480, 30 fps): blocks of a neutral
 * face, an open-mouthed (surprised) face and a smiling face, each block tagged by the colour of
 * its top-left 16×16 pixels (black / white / grey) so that every processed frame can be told
 * apart. The rig's weights must follow the video: jawOpen higher on the surprised frames, the
 * smile higher on the smiling ones, than on the neutral frames. Then Stop, a slider, and "Export
 * rig" with the slider's weight as the default, and the camera errors in plain words. Prints the fps and the per-frame times (not
 * gated). Screenshot: test/e2e/out/puppet-viewer.png (git-ignored). Skips, saying why, without
 * Chromium or the photos.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readRigGlb } from '../../src/core/export/rig-glb.js';
import { classOf, FAKE_VIDEO, writeFakeVideo } from './fake-video.js';
import { launchBrowser, OUT, openApp, runAndWait, photo, ROOT, skipReasonFor } from './helpers.js';
import { serveStatic, type StaticServer } from './static-server.js';

const PHOTOS = ['faceapi_neutral.jpg', 'faceapi_surprised.jpg', 'faceapi_happy.jpg'];
const skipReason = skipReasonFor(PHOTOS);
if (skipReason) console.log(`web app puppet e2e test skipped: ${skipReason}`);

const { W, H } = FAKE_VIDEO;

interface PuppetApi {
  state: string; names: string[]; weights: number[]; frames: number; fps: number;
  video: { width: number; height: number } | undefined;
  history: Array<{ t: number; tag: number; source: string; weights: number[]; meshMs: number; fitMs: number; renderMs: number; roundTripMs: number; convertMs: number; grabMs: number }>;
  error: { code: string; message: string } | undefined;
}
const puppetApi = (page: Page): Promise<PuppetApi> => page.evaluate(() => (window as unknown as { facedetailPuppet: PuppetApi }).facedetailPuppet);

describe.skipIf(skipReason !== undefined)('web app: animate the rig with the webcam', () => {
  let server: StaticServer;
  let browser: Browser;
  let page: Page;
  let dir: string;

  beforeAll(async () => {
    mkdirSync(OUT, { recursive: true });
    dir = await mkdtemp(join(tmpdir(), 'facedetail-puppet-'));
    const video = join(dir, 'faces.y4m');
    await writeFakeVideo(video);
    server = await serveStatic(join(ROOT, 'dist-web')); // built once by global-setup.ts
    browser = await launchBrowser(true, [`--use-file-for-fake-video-capture=${video}`]);
    page = await openApp(browser, server.url);
  });
  afterAll(async () => {
    await browser?.close();
    await server?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('drives the rig from the camera: the weights follow the video; sliders and Export rig', async () => {
    const t0 = Date.now();
    await page.selectOption('#opt-model', 'ict');
    await page.check('#opt-rig');
    await page.selectOption('#opt-detail', 'sfs');
    const api = await runAndWait(page, () => page.setInputFiles('#file', photo('faceapi_neutral.jpg')), 240_000);
    expect(api.state, JSON.stringify(api.error)).toBe('done');
    const tRec = Date.now();
    await expect.poll(() => page.isVisible('#puppet-start')).toBe(true);

    await page.click('#puppet-start');
    await page.waitForFunction(() => {
      const p = (window as unknown as { facedetailPuppet: PuppetApi }).facedetailPuppet;
      return p.state === 'error' || (p.state === 'running' && p.frames > 0);
    }, null, { timeout: 60_000 });
    let p = await puppetApi(page);
    expect(p.state, JSON.stringify(p.error)).toBe('running');
    expect(p.names).toHaveLength(52);
    expect(p.video).toEqual({ width: W, height: H });
    const tStart = Date.now();

    // Collect until every block has steady frames (the last three processed frames of one tag), at most 45 s.
    const steady = (h: PuppetApi['history']): Record<string, PuppetApi['history']> => {
      const out: Record<string, PuppetApi['history']> = { neutral: [], happy: [], surprised: [] };
      for (let i = 2; i < h.length; i++) {
        const c = classOf(h[i]!.tag);
        if (classOf(h[i - 1]!.tag) === c && classOf(h[i - 2]!.tag) === c) out[c]!.push(h[i]!);
      }
      return out;
    };
    for (;;) {
      await page.waitForTimeout(1000);
      p = await puppetApi(page);
      const s = steady(p.history);
      if ((s['neutral']!.length >= 6 && s['happy']!.length >= 4 && s['surprised']!.length >= 4) || Date.now() - tStart > 45_000) break;
    }
    const h = p.history, s = steady(h);
    const jaw = p.names.indexOf('jawOpen'), sl = p.names.indexOf('mouthSmileLeft'), sr = p.names.indexOf('mouthSmileRight');
    const mean = (xs: PuppetApi['history'], f: (w: number[]) => number): number => xs.reduce((a, x) => a + f(x.weights), 0) / Math.max(1, xs.length);
    const jawOf = (c: string): number => mean(s[c]!, (w) => w[jaw]!);
    const smileOf = (c: string): number => mean(s[c]!, (w) => (w[sl]! + w[sr]!) / 2);
    const med = (xs: number[]): number => [...xs].sort((a, b) => a - b)[xs.length >> 1] ?? Number.NaN;
    const seconds = (h[h.length - 1]!.t - h[0]!.t) / 1000;
    console.log(`puppet: ${h.length} frames in ${seconds.toFixed(1)} s = ${((h.length - 1) / seconds).toFixed(1)} fps (page readout ${p.fps.toFixed(1)}); per frame: face mesh median ${med(h.map((x) => x.meshMs)).toFixed(1)} ms, fit median ${med(h.filter((x) => x.fitMs > 0).map((x) => x.fitMs)).toFixed(1)} ms, render median ${med(h.map((x) => x.renderMs)).toFixed(1)} ms, grab → result median ${med(h.map((x) => x.roundTripMs)).toFixed(1)} ms (grab ${med(h.map((x) => x.grabMs)).toFixed(1)}, pixels in the worker ${med(h.map((x) => x.convertMs)).toFixed(1)}); detections ${h.filter((x) => x.source === 'detected').length}, no face ${h.filter((x) => x.source === 'none').length}`);
    for (const c of ['neutral', 'surprised', 'happy']) console.log(`  ${c}: ${s[c]!.length} steady frames, jawOpen ${jawOf(c).toFixed(3)}, smile ${smileOf(c).toFixed(3)}`);
    console.log(`  reconstruction ${((tRec - t0) / 1000).toFixed(1)} s, animation set-up ${((tStart - tRec) / 1000).toFixed(1)} s`);
    for (const c of ['neutral', 'surprised', 'happy']) expect(s[c]!.length, c).toBeGreaterThanOrEqual(3);
    expect(jawOf('surprised')).toBeGreaterThan(jawOf('neutral') + 0.1);
    expect(smileOf('happy')).toBeGreaterThan(smileOf('neutral') + 0.05);
    expect(h.filter((x) => x.source === 'none').length).toBeLessThan(h.length / 4);

    // Stop on an open-mouthed frame (the rig keeps its pose) and look at it: SwiftShader presents
    // frames late on this machine, so the screenshot waits for the stopped pose.
    // (Under heavy load the page renders for ~1 s per frame and a later frame may land before the
    // click: the screenshot is then of another pose, which the log says; nothing is gated on it.)
    await page.waitForFunction(() => {
      const q = (window as unknown as { facedetailPuppet: PuppetApi }).facedetailPuppet;
      // Early in an open-mouthed block (2–8 such frames in a row), so that no neutral frame follows before the click.
      let run = 0;
      for (let i = q.history.length - 1; i >= 0 && q.history[i]!.tag > 192; i--) run++;
      return run >= 2 && run <= 8 && q.weights[q.names.indexOf('jawOpen')]! > 0.5;
    }, null, { timeout: 30_000, polling: 50 });
    await page.click('#puppet-stop');
    expect((await puppetApi(page)).state).toBe('stopped');
    await page.waitForTimeout(1500);
    const png = await page.locator('#view-panel').screenshot();
    writeFileSync(join(OUT, 'puppet-viewer.png'), png);
    mkdirSync(join(ROOT, 'scratch'), { recursive: true });
    writeFileSync(join(ROOT, 'scratch', 'puppet-viewer.png'), png);
    const held = await puppetApi(page);
    console.log(`  screenshot at jawOpen ${held.weights[jaw]!.toFixed(2)} (last frames: ${held.history.slice(-4).map((x) => `${classOf(x.tag)} ${x.weights[jaw]!.toFixed(2)}`).join(', ')}): test/e2e/out/puppet-viewer.png`);

    // A slider sets its weight; Export rig writes it as the default weight.
    await page.evaluate(() => {
      const el = document.querySelector<HTMLInputElement>('#puppet-sliders input[data-shape="jawOpen"]')!;
      el.value = '0.9';
      el.dispatchEvent(new Event('input', { bubbles: true }));
    });
    await expect.poll(async () => (await puppetApi(page)).weights[jaw]).toBeCloseTo(0.9, 5);
    const [dl] = await Promise.all([page.waitForEvent('download'), page.click('#puppet-export')]);
    expect(dl.suggestedFilename()).toBe('faceapi_neutral_rig.glb');
    const path = join(OUT, 'puppet-rig.glb');
    await dl.saveAs(path);
    const rig = await readRigGlb(new Uint8Array(readFileSync(path)));
    expect(rig.targetNames).toHaveLength(52);
    expect(rig.weights[rig.targetNames.indexOf('jawOpen')]).toBeCloseTo(0.9, 5);

    // Plain-language camera errors: permission denied, no camera (getUserMedia made to fail as browsers do).
    for (const [name, code, words] of [['NotAllowedError', 'CAMERA_DENIED', 'not allowed'], ['NotFoundError', 'NO_CAMERA', 'no camera']] as const) {
      await page.evaluate((n) => { navigator.mediaDevices.getUserMedia = () => Promise.reject(new DOMException('test', n)); }, name);
      await page.click('#puppet-start');
      await page.waitForFunction(() => (window as unknown as { facedetailPuppet: PuppetApi }).facedetailPuppet.state === 'error');
      const q = await puppetApi(page);
      expect(q.error?.code).toBe(code);
      expect((await page.textContent('#error'))!.toLowerCase()).toContain(words);
      expect(await page.isVisible('#puppet-start')).toBe(true);
    }
    console.log(`  test ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  });
});

/**
 * Shared by the web app's end-to-end tests: where things are, the skip reason, launching Debian's
 * Chromium (WebGL through SwiftShader), opening the app, waiting for runs, pixel statistics.
 */
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { decode as decodePng } from 'fast-png';
import { chromium, type Browser, type BrowserContextOptions, type Page } from 'playwright-core';

export const ROOT = resolve(import.meta.dirname, '../..');
/** Screenshots, downloads and timings (git-ignored). */
export const OUT = join(ROOT, 'test/e2e/out');
export const PHOTOS = resolve(process.env.FACEDETAIL_SHARED ?? join(ROOT, '../shared'), 'photos');
export const photo = (name: string): string => join(PHOTOS, name);
export const CHROMIUM = process.env.FACEDETAIL_CHROMIUM ?? '/usr/bin/chromium';
/**
 * The detail network the build ships: the repository's models/dfdn/ (or $FACEDETAIL_DFDN_DIR);
 * without one, the test fixture model (test/fixtures/dfdn-model.ts) is built into the app instead.
 */
export const REAL_DFDN = resolve(process.env['FACEDETAIL_DFDN_DIR'] || join(ROOT, 'models/dfdn'));
export const DFDN_DIR = existsSync(join(REAL_DFDN, 'dfdn.onnx')) ? REAL_DFDN : join(OUT, 'dfdn-fixture');

/** Why the browser tests cannot run here (Chromium or the listed photos missing), or undefined. */
export function skipReasonFor(photos: readonly string[]): string | undefined {
  if (!existsSync(CHROMIUM)) return `Chromium not found at ${CHROMIUM} (apt-get install -y chromium, or set FACEDETAIL_CHROMIUM)`;
  const missing = photos.filter((p) => !existsSync(photo(p)));
  return missing.length ? `photos not found in ${PHOTOS}: ${missing.join(', ')} (set FACEDETAIL_SHARED)` : undefined;
}

/**
 * Headless Chromium with WebGL on SwiftShader. `fakeCamera`: a synthetic camera (a moving test
 * pattern, no face; `extraArgs` with `--use-file-for-fake-video-capture=<file.y4m>` plays a
 * video instead); without it the browser sees no camera at all.
 */
export function launchBrowser(fakeCamera = true, extraArgs: readonly string[] = []): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--no-sandbox', '--use-angle=swiftshader', '--enable-unsafe-swiftshader', '--disable-background-networking', '--disable-component-update', '--no-first-run',
      '--use-fake-ui-for-media-stream',
      ...(fakeCamera ? ['--use-fake-device-for-media-stream'] : []),
      ...extraArgs,
    ],
  });
}

/** Window state the app exposes for scripts (src/web/main.ts `PageApi`). */
export interface PageApi {
  state: 'loading' | 'idle' | 'running' | 'choosing' | 'done' | 'error';
  runs: number;
  cancelled: number;
  workerStarts: number;
  timings: Record<string, number>;
  error: { code: string; message: string } | undefined;
  formErrors: Record<string, string>;
  faces: { box: [number, number, number, number]; score: number }[] | undefined;
  /** How the wasm backends run (src/web/wasm-threads.ts WasmThreading). */
  wasm: { isolated: boolean; multithread: boolean; simd: boolean; tfjsThreads: number; ortThreads: number } | undefined;
  zipping: number;
  resultCount: number;
  result: {
    sourceName: string; face: number; faceCount: number; box: [number, number, number, number]; detailStrength: number;
    width: number; height: number; landmarks: number[]; pose: { yawDeg: number; pitchDeg: number; rollDeg: number }; emotions: Record<string, number>; vertices: number; detailMethod: string;
  } | undefined;
}
export const pageApi = (page: Page): Promise<PageApi> => page.evaluate(() => (window as unknown as { facedetail: PageApi }).facedetail);

/** A new page on the app at `url`, once its models have loaded (or failed to). */
export async function openApp(browser: Browser, url: string, context: BrowserContextOptions = {}): Promise<Page> {
  const ctx = await browser.newContext({ viewport: { width: 1400, height: 900 }, acceptDownloads: true, ...context });
  const page = await ctx.newPage();
  page.on('pageerror', (e) => console.log(`page error: ${e.message}`));
  await page.goto(url);
  await page.waitForFunction(() => {
    const api = (window as unknown as { facedetail?: PageApi }).facedetail;
    return api !== undefined && api.state !== 'loading';
  }, null, { timeout: 120_000 });
  return page;
}

/** Waits until the page's state is one of `states` and `runs` is past `after`. */
export async function waitForState(page: Page, states: PageApi['state'][], after: number, timeout: number): Promise<PageApi> {
  await page.waitForFunction(
    ([n, s]) => {
      const api = (window as unknown as { facedetail: PageApi }).facedetail;
      return api.runs > (n as number) && (s as string[]).includes(api.state);
    },
    [after, states] as const,
    { timeout },
  );
  return pageApi(page);
}

/** Does `action` (which starts a run) and waits until that run has finished, with a result or an error. */
export async function runAndWait(page: Page, action: () => Promise<unknown>, timeout: number): Promise<PageApi> {
  const before = (await pageApi(page)).runs;
  await action();
  return waitForState(page, ['done', 'error'], before, timeout);
}

/** Pixel statistics of a PNG screenshot: share of pixels away from the background colour, and their luminance spread. */
export function pixelStats(png: Uint8Array, background: [number, number, number]): { foreground: number; lumaStd: number } {
  return regionStats(png, background, 0, 0, 1, 1);
}

/**
 * {@link pixelStats} of a region given as fractions of the image: columns [x0, x1) × rows [y0, y1).
 */
export function regionStats(png: Uint8Array, background: [number, number, number], x0: number, y0: number, x1: number, y1: number): { foreground: number; lumaStd: number } {
  const img = decodePng(png);
  const c = img.channels, d = img.data;
  let fg = 0, sum = 0, sum2 = 0, n = 0;
  const X0 = Math.floor(x0 * img.width), X1 = Math.ceil(x1 * img.width), Y0 = Math.floor(y0 * img.height), Y1 = Math.ceil(y1 * img.height);
  for (let y = Y0; y < Y1; y++) {
    for (let x = X0; x < X1; x++) {
      const i = y * img.width + x;
      const r = d[i * c]!, g = d[i * c + 1]!, b = d[i * c + 2]!;
      n++;
      if (Math.abs(r - background[0]) + Math.abs(g - background[1]) + Math.abs(b - background[2]) > 30) {
        fg++;
        const l = 0.2126 * r + 0.7152 * g + 0.0722 * b;
        sum += l;
        sum2 += l * l;
      }
    }
  }
  const mean = fg ? sum / fg : 0;
  return { foreground: n ? fg / n : 0, lumaStd: fg ? Math.sqrt(Math.max(0, sum2 / fg - mean * mean)) : 0 };
}

/** Mean absolute difference of two same-size PNG screenshots, 0–255. */
export function meanAbsDiff(a: Uint8Array, b: Uint8Array): number {
  const A = decodePng(a), B = decodePng(b);
  if (A.width !== B.width || A.height !== B.height) return 255;
  let s = 0;
  for (let i = 0; i < A.data.length; i++) s += Math.abs(A.data[i]! - B.data[i]!);
  return s / A.data.length;
}

/** The viewer's background colour (src/web/viewer.ts). */
export const VIEWER_BG: [number, number, number] = [0x20, 0x24, 0x2b];

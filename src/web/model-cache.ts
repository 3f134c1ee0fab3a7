/**
 * Cache Storage for the app's models and wasm binaries, so that a reload downloads none of them:
 * cache-first, in one cache named after the app's version and its models
 * (`facedetail-models-v<version>`, the version given by the build), keyed by URL. A new build
 * uses a new cache and deletes the older ones. Where Cache Storage is missing (a page served over
 * plain http from another host than localhost is not a secure context) or refuses (a private
 * window), everything is fetched as before: the browser's HTTP cache is then the only cache.
 *
 * Human and the two emscripten builds (tfjs's and onnxruntime-web's wasm) download with the
 * global `fetch` and offer no hook for another, so the pipeline worker replaces its own global
 * `fetch` with {@link createCachedFetch} (the page's is untouched); only the app's model and wasm
 * URLs go through the cache.
 */

/** The cache's name for this build, e.g. `facedetail-models-v0.1.0+3fa2c1d9`. */
export function modelCacheName(version: string): string {
  return `facedetail-models-v${version}`;
}

/** Which requests are cached: same-origin GETs of `models/…`, `wasm/…` or any `.wasm` under the app's base URL. */
export function isModelUrl(url: URL, base: URL): boolean {
  if (url.origin !== base.origin || !url.pathname.startsWith(base.pathname)) return false;
  const path = url.pathname.slice(base.pathname.length);
  return path.startsWith('models/') || path.startsWith('wasm/') || path.endsWith('.wasm');
}

function requestUrl(input: RequestInfo | URL): string {
  return typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
}

/**
 * A `fetch` that answers the app's model and wasm URLs from Cache Storage, downloading (and
 * storing) only what the cache does not have; everything else goes to `baseFetch` unchanged.
 * Opens the cache on first use and deletes the older `facedetail-models-v*` caches then.
 *
 * @example
 * self.fetch = createCachedFetch(modelCacheName('0.1.0+3fa2c1d9'), new URL('./', location.href), fetch.bind(self));
 */
export function createCachedFetch(cacheName: string, base: URL, baseFetch: typeof fetch): typeof fetch {
  let opened: Promise<Cache | undefined> | undefined;
  const open = (): Promise<Cache | undefined> => (opened ??= openCache(cacheName));
  return async (input, init) => {
    const url = new URL(requestUrl(input), base);
    const method = init?.method ?? (input instanceof Request ? input.method : 'GET');
    if (method !== 'GET' || !isModelUrl(url, base)) return baseFetch(input, init);
    const cache = await open();
    if (!cache) return baseFetch(input, init);
    const key = url.href;
    const hit = await cache.match(key).catch(() => undefined);
    if (hit) return hit;
    const res = await baseFetch(input, init);
    // Only complete same-origin answers: never an error page, a redirect or a partial response.
    if (res.status === 200 && res.type === 'basic') await cache.put(key, res.clone()).catch(() => undefined);
    return res;
  };
}

async function openCache(name: string): Promise<Cache | undefined> {
  const storage = (globalThis as { caches?: CacheStorage }).caches;
  if (!storage) return undefined;
  try {
    const cache = await storage.open(name);
    for (const old of await storage.keys()) if (old !== name && old.startsWith('facedetail-models-')) await storage.delete(old);
    return cache;
  } catch {
    return undefined; // e.g. SecurityError in a private window
  }
}

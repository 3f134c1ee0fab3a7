/**
 * Builds the download zips off the page's main thread (deflating a 113k-vertex OBJ takes 2–4 s,
 * which froze the page when done there). One job at a time, in order; protocol: ToZipWorker /
 * FromZipWorker in src/web/protocol.ts.
 */
import { zipSync, type Zippable } from 'fflate';
import type { FromZipWorker, ToZipWorker } from './protocol.js';

interface ZipScope {
  postMessage(message: FromZipWorker, transfer?: Transferable[]): void;
  onmessage: ((ev: MessageEvent<ToZipWorker>) => void) | null;
}
const scope = self as unknown as ZipScope;

scope.onmessage = (ev) => {
  const { id, entries } = ev.data;
  try {
    const z: Zippable = {};
    for (const [name, e] of Object.entries(entries)) z[name] = [e.bytes, { level: e.level }];
    const bytes = zipSync(z);
    scope.postMessage({ id, bytes }, [bytes.buffer as ArrayBuffer]);
  } catch (e) {
    scope.postMessage({ id, error: e instanceof Error ? e.message : String(e) });
  }
};

/**
 * Downloads of the reconstructions' output files (the same bytes the Node CLI writes, from the
 * core's `buildOutputFiles`): the GLB or PLY alone, the OBJ as a zip with its MTL and maps, the
 * maps alone as a zip, and every face of a group photo in one zip (one folder per face, named as
 * the CLI's `--all-faces` folders). Zips are built by fflate in a worker (src/web/zip-worker.ts),
 * so the page stays responsive; PNGs are stored (already compressed), text is deflated.
 */
import type { FromZipWorker, ToZipWorker } from './protocol.js';

/** Files in the OBJ zip besides face.obj and face.mtl (`head_albedo.png` only with the ICT model's head; missing files are skipped). */
const MAPS = ['albedo.png', 'texture.png', 'normal.png', 'displacement.png', 'confidence.png', 'head_albedo.png'] as const;
/**
 * Files per face in the all-faces zip: the GLB and the OBJ carry the mesh, so the PLY is left
 * out (a 6-face zip is then ~40 MB, not ~75 MB).
 */
const ALL = ['face.glb', 'face.obj', 'face.mtl', ...MAPS, 'result.json'] as const;

export type BundleKind = 'glb' | 'obj' | 'maps' | 'ply';

/** One download: its file name, its bytes and MIME type. */
export interface Bundle {
  name: string;
  bytes: Uint8Array;
  type: string;
}

type Entries = ToZipWorker['entries'];

/**
 * `level` for the text files: 6 for one face; 1 for many (measured on a 21.5 MB OBJ with fflate:
 * level 6 takes 4.8 s → 5.4 MB, level 1 2.1 s → 6.1 MB).
 */
function pick(files: Record<string, Uint8Array>, names: readonly string[], prefix = '', into: Entries = {}, level: 1 | 6 = 6): Entries {
  for (const n of names) {
    const f = files[n];
    if (f) into[prefix + n] = { bytes: f, level: n.endsWith('.png') || n.endsWith('.glb') ? 0 : level };
  }
  return into;
}

/** Builds zips in a worker, one job at a time. */
export class Zipper {
  private worker: Worker | undefined;
  private next = 0;
  private readonly jobs = new Map<number, { resolve: (b: Uint8Array) => void; reject: (e: Error) => void }>();

  /** Number of zips being built now. */
  get busy(): number {
    return this.jobs.size;
  }

  zip(entries: Entries): Promise<Uint8Array> {
    const w = (this.worker ??= this.start());
    const id = ++this.next;
    return new Promise((resolve, reject) => {
      this.jobs.set(id, { resolve, reject });
      const msg: ToZipWorker = { id, entries };
      w.postMessage(msg); // copied: the page keeps its files
    });
  }

  private start(): Worker {
    const w = new Worker(new URL('./zip-worker.ts', import.meta.url), { type: 'module', name: 'facedetail-zip' });
    w.onmessage = (ev: MessageEvent<FromZipWorker>) => {
      const m = ev.data, job = this.jobs.get(m.id);
      this.jobs.delete(m.id);
      if (!job) return;
      if ('error' in m) job.reject(new Error(m.error));
      else job.resolve(m.bytes);
    };
    w.onerror = (ev) => {
      ev.preventDefault();
      for (const j of this.jobs.values()) j.reject(new Error(`the zip worker stopped (${ev.message || 'out of memory?'})`));
      this.jobs.clear();
      w.terminate();
      this.worker = undefined;
    };
    return w;
  }
}

/**
 * One face's downloadable bundle (zips built when asked for).
 *
 * @example const { name, bytes, type } = await makeBundle(zipper, files, 'grace_hopper', 'obj'); // grace_hopper-obj.zip
 */
export async function makeBundle(zipper: Zipper, files: Record<string, Uint8Array>, stem: string, kind: BundleKind): Promise<Bundle> {
  const get = (n: string): Uint8Array => {
    const f = files[n];
    if (!f) throw new Error(`${n} is missing from the results`);
    return f;
  };
  switch (kind) {
    case 'glb': return { name: `${stem}.glb`, bytes: get('face.glb'), type: 'model/gltf-binary' };
    case 'ply': return { name: `${stem}.ply`, bytes: get('face.ply'), type: 'application/octet-stream' };
    case 'obj': return { name: `${stem}-obj.zip`, bytes: await zipper.zip(pick(files, ['face.obj', 'face.mtl', ...MAPS, 'result.json'])), type: 'application/zip' };
    case 'maps': return { name: `${stem}-maps.zip`, bytes: await zipper.zip(pick(files, [...MAPS, 'result.json'])), type: 'application/zip' };
  }
}

/**
 * Every reconstructed face of one photo in one zip: `<stem>_face<i>/face.glb, face.obj, face.mtl,
 * maps, result.json`
 * (`i` is the face's index in the analysis, largest first, as the CLI's `--all-faces`).
 *
 * @example await makeAllFacesBundle(zipper, [{ face: 0, files }, { face: 1, files: files1 }], 'group'); // group-all-faces.zip
 */
export async function makeAllFacesBundle(zipper: Zipper, faces: readonly { face: number; files: Record<string, Uint8Array> }[], stem: string): Promise<Bundle> {
  const entries: Entries = {};
  for (const f of faces) pick(f.files, ALL, `${stem}_face${f.face}/`, entries, 1);
  return { name: `${stem}-all-faces.zip`, bytes: await zipper.zip(entries), type: 'application/zip' };
}

/** Saves `bytes` as a file through a temporary link. */
export function saveBytes(bytes: Uint8Array, name: string, type: string): void {
  const url = URL.createObjectURL(new Blob([bytes as BlobPart], { type }));
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

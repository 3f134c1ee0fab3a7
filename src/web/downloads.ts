/**
 * Downloads of one reconstruction's output files (the same bytes the Node CLI writes, from the
 * core's `buildOutputFiles`): the GLB alone, the OBJ as a zip with its MTL and maps, the maps
 * alone as a zip. Zips are built with fflate; PNGs are stored (already compressed).
 */
import { zipSync, type Zippable } from 'fflate';

/** Files in the OBJ zip besides face.obj and face.mtl. */
const MAPS = ['albedo.png', 'texture.png', 'normal.png', 'displacement.png', 'confidence.png'] as const;

export type BundleKind = 'glb' | 'obj' | 'maps' | 'ply';

/**
 * One downloadable bundle (built when asked for: zipping a large OBJ takes a moment).
 *
 * @example const { name, bytes, type } = makeBundle(files, 'grace_hopper', 'obj'); // grace_hopper-obj.zip
 */
export function makeBundle(files: Record<string, Uint8Array>, stem: string, kind: BundleKind): { name: string; bytes: Uint8Array; type: string } {
  const pick = (names: readonly string[]): Zippable => {
    const z: Zippable = {};
    for (const n of names) {
      const f = files[n];
      if (f) z[n] = [f, { level: n.endsWith('.png') ? 0 : 6 }];
    }
    return z;
  };
  const get = (n: string): Uint8Array => {
    const f = files[n];
    if (!f) throw new Error(`${n} is missing from the results`);
    return f;
  };
  switch (kind) {
    case 'glb': return { name: `${stem}.glb`, bytes: get('face.glb'), type: 'model/gltf-binary' };
    case 'ply': return { name: `${stem}.ply`, bytes: get('face.ply'), type: 'application/octet-stream' };
    case 'obj': return { name: `${stem}-obj.zip`, bytes: zipSync(pick(['face.obj', 'face.mtl', ...MAPS, 'result.json'])), type: 'application/zip' };
    case 'maps': return { name: `${stem}-maps.zip`, bytes: zipSync(pick([...MAPS, 'result.json'])), type: 'application/zip' };
  }
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

/**
 * New default weights for a rig GLB (`setRigGlbWeights`), without glTF-Transform: only the JSON
 * chunk is rewritten, so the web page can use it without loading the writer. Isomorphic.
 */
import { describe, invalid, textDecode, utf8Encode } from './validate.js';

/**
 * A copy of a rig GLB with new default weights (`mesh.weights` of every mesh that has
 * `extras.targetNames`), by target name; names not given keep their weight. Only the JSON chunk
 * is rewritten (the binary chunk is copied byte for byte), so it is cheap enough for a page's
 * "Export rig" with the weights of the moment. Throws `INVALID_OPTION` for bytes that are not a
 * GLB, a rig without target names, or weights that are not finite.
 *
 * @example
 * const posed = setRigGlbWeights(files['rig.glb'], { jawOpen: 0.6, mouthSmileLeft: 0.3 });
 */
export function setRigGlbWeights(bytes: Uint8Array, weights: Readonly<Record<string, number>>): Uint8Array {
  const fn = 'setRigGlbWeights';
  if (!(bytes instanceof Uint8Array) || bytes.byteLength < 20) invalid(fn, `bytes must be a GLB, got ${describe(bytes)}`);
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (dv.getUint32(0, true) !== 0x46546c67 || dv.getUint32(4, true) !== 2) invalid(fn, 'bytes is not a glTF 2.0 binary (GLB)');
  const jsonLength = dv.getUint32(12, true);
  if (dv.getUint32(16, true) !== 0x4e4f534a || 20 + jsonLength > bytes.byteLength) invalid(fn, 'the GLB does not start with a JSON chunk');
  for (const [name, w] of Object.entries(weights)) if (!Number.isFinite(w)) invalid(fn, `weights.${name} must be a finite number, got ${describe(w)}`);
  const json = JSON.parse(textDecode(bytes.subarray(20, 20 + jsonLength))) as { meshes?: Array<{ weights?: number[]; extras?: { targetNames?: unknown } }> };
  let rigs = 0;
  for (const mesh of json.meshes ?? []) {
    const names = mesh.extras?.targetNames;
    if (!Array.isArray(names)) continue;
    rigs++;
    mesh.weights = names.map((n, i) => (typeof n === 'string' && weights[n] !== undefined ? weights[n] : mesh.weights?.[i] ?? 0));
  }
  if (rigs === 0) invalid(fn, 'the GLB has no mesh with extras.targetNames (not a rig)');
  let text = utf8Encode(JSON.stringify(json));
  const padded = (text.byteLength + 3) & ~3;
  if (padded !== text.byteLength) {
    const t = new Uint8Array(padded).fill(0x20);
    t.set(text);
    text = t;
  }
  const rest = bytes.subarray(20 + jsonLength);
  const out = new Uint8Array(20 + padded + rest.byteLength);
  const ov = new DataView(out.buffer);
  ov.setUint32(0, 0x46546c67, true);
  ov.setUint32(4, 2, true);
  ov.setUint32(8, out.byteLength, true);
  ov.setUint32(12, padded, true);
  ov.setUint32(16, 0x4e4f534a, true);
  out.set(text, 20);
  out.set(rest, 20 + padded);
  return out;
}

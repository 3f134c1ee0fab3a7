/**
 * The Draco encoder for `--compress draco` (draco3dgltf: an Emscripten build for Node, so the
 * core receives it instead of importing it). Loaded once per process, on first use.
 *
 * @example
 * const glb = await writeGlb(input, { compress: 'draco', dracoEncoder: await loadDracoEncoder() });
 */
import type { DracoEncoderModule, GlbCompression, GlbWriteOptions } from '../core/export/glb.js';

let encoder: Promise<DracoEncoderModule> | undefined;

/** draco3dgltf's encoder module (created on the first call, then shared). */
export function loadDracoEncoder(): Promise<DracoEncoderModule> {
  encoder ??= import('draco3dgltf').then((m) => m.default.createEncoderModule());
  return encoder;
}

/**
 * The GLB write options for a compression method, with the Draco encoder loaded when needed.
 *
 * @example const glb = await glbWriteOptions('draco'); // { compress: 'draco', dracoEncoder }
 */
export async function glbWriteOptions(compress: GlbCompression): Promise<GlbWriteOptions> {
  return compress === 'draco' ? { compress, dracoEncoder: await loadDracoEncoder() } : { compress };
}

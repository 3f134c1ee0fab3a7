import { buildOutputFilesAsync, createEarlyPngs } from '../core/pipeline/output-files.js';
import type { FacePipelineDeps, OutputBuilder } from '../core/pipeline/orchestrate.js';
import type { MeshFormat } from '../core/pipeline/types.js';
import { encodePngNative } from './encode-png.js';

/** How a face's output files are built, and what the reconstruction call is told as its maps become final. */
export interface OutputSink {
  build: OutputBuilder;
  onMap?: FacePipelineDeps['onMap'];
}

/**
 * Node's output files (the CLI and the queue worker): PNG maps encoded natively on libuv's
 * threads, each started as soon as the pipeline announces its map (`onMap`, passed with the
 * reconstruction call), so they encode on the other cores during the later stages; `build`
 * takes the finished bytes, encodes what was not started, and writes the GLB meanwhile.
 * `formats`: the mesh formats of every photo, when fixed (the residual normal map is then only
 * encoded early for a GLB).
 *
 * @example
 * const out = nativeOutputBuilder(['glb']);
 * await processPhoto(reconstructor, { ..., build: out.build, onMap: out.onMap });
 */
export function nativeOutputBuilder(formats?: readonly MeshFormat[]): OutputSink {
  const early = createEarlyPngs(encodePngNative, formats);
  return { build: (rec, o) => buildOutputFilesAsync(rec, o, encodePngNative, early), onMap: early.start };
}

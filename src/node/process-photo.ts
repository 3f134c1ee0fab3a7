/**
 * One input image of the CLI or of a queue job, through the core's one orchestrator
 * (`orchestratePhoto`): decode → the reconstructor's faces → per face `export` (build the
 * output files with `output-files.ts`, write the face's folder atomically).
 */
import { basename } from 'node:path';
import { orchestratePhoto, type FacePipelineDeps, type OutputBuilder } from '../core/pipeline/orchestrate.js';
import type { GlbWriteOptions } from '../core/export/glb.js';
import type { FaceReconstruction, MeshFormat, ProgressCallback, ReconstructOptions } from '../core/pipeline/types.js';
import type { DecodeImageOptions } from './decode-defaults.js';
import type { Reconstructor } from './reconstructor.js';
import { VERSION } from './version.js';
import { writeOutputFolder } from './write-output.js';

/** What {@link processPhoto} does with one image. */
export interface ProcessPhotoOptions {
  /** The image file (absolute path). */
  path: string;
  /** Its output folder (absolute); with `allFaces` each face goes to `<output>_face<i>`. */
  output: string;
  /** The folder the output folders are made in (`writeOutputFolder`'s `parent`). */
  parent: string;
  allFaces: boolean;
  /** Per-call reconstruction options (the reconstructor's own apply otherwise). */
  options?: Partial<ReconstructOptions>;
  decode: DecodeImageOptions;
  formats: readonly MeshFormat[];
  /** How face.glb stores its geometry (`glbWriteOptions(compress)`); only used with `glb` in `formats`. */
  glb?: GlbWriteOptions;
  build: OutputBuilder;
  /** Passed to the reconstruction call: told as each map becomes final (`nativeOutputBuilder`'s, to encode the PNGs early). */
  onMap?: FacePipelineDeps['onMap'];
  /** Before a face's folder is written (the queue worker removes a killed attempt's leftovers). */
  beforeWrite?: (dir: string) => Promise<void>;
  /** After a face's folder is written (the CLI lists the folders of an input that then fails). */
  onWritten?: (dir: string) => void;
  onProgress?: ProgressCallback;
}

/** The outcome of {@link processPhoto}. */
export interface ProcessedPhoto {
  faces: FaceReconstruction[];
  /** The folders written, absolute, one per face. */
  outputs: string[];
  warnings: string[];
}

/**
 * Decode, reconstruct and write one image's output folder(s).
 *
 * @example
 * const r = await processPhoto(reconstructor, { path: '/in/a.jpg', output: '/out/a', parent: '/out', allFaces: false, decode: {}, formats: ['glb'], build });
 */
export async function processPhoto(reconstructor: Reconstructor, p: ProcessPhotoOptions): Promise<ProcessedPhoto> {
  const { decodeImage } = await import('./decode-image.js'); // sharp loads on first use, not for --help
  const run = await orchestratePhoto({
    decode: () => decodeImage(p.path, p.decode),
    faces: async (decoded, ctx) => {
      const call = { ...p.options, onProgress: ctx.onProgress, ...(p.onMap ? { onMap: p.onMap } : {}) };
      return p.allFaces ? reconstructor.reconstructAll(decoded, call) : [await reconstructor.reconstruct(decoded, call)];
    },
    output: {
      build: p.build,
      options: { formats: p.formats, ...(p.formats.includes('glb') && p.glb ? { glb: p.glb } : {}), sourceName: basename(p.path), version: VERSION },
      write: async (rec, files) => {
        const dir = p.allFaces ? `${p.output}_face${rec.faceIndex}` : p.output;
        await p.beforeWrite?.(dir);
        await writeOutputFolder(dir, files, { parent: p.parent, version: VERSION });
        p.onWritten?.(dir);
        return dir;
      },
    },
  }, p.onProgress);
  return { faces: run.faces, outputs: run.outputs, warnings: run.warnings };
}

/**
 * The `facedetail` command line: photos in, one output folder per face out.
 *
 * `bin/facedetail.js` is a thin shell that calls {@link main}. Everything here is testable
 * in-process through {@link run}, which takes its streams and (optionally) a reconstructor
 * factory and returns the exit code instead of touching `process`.
 *
 * Exit codes: 0 every input succeeded, 1 some input failed, 2 usage error (bad option, no input
 * matched).
 */
import './no-telemetry.js'; // first: privacy guard (see no-telemetry.ts)
import { readdir, realpath, rmdir, stat } from 'node:fs/promises';
import { basename, extname, isAbsolute, join, parse as parsePath, relative, resolve } from 'node:path';
import type { SingleBar } from 'cli-progress';
import { Command, CommanderError } from 'commander';
import { FaceDetailError } from '../core/errors.js';
import { optionSpecs } from '../core/pipeline/option-table.js';
import type { OutputBuilder } from '../core/pipeline/orchestrate.js';
import type { OutputSink } from './output-builder.js';
import type { DetailMethod } from '../core/detail/synthesize-detail.js';
import { STAGES, type FaceModelName } from '../core/pipeline/types.js';
import type { EmotionPriorMode, IctHeadParts } from '../core/model/ict/ict-types.js';
import type { Logger } from '../core/platform.js';
import type { MeshFormat, ProgressCallback } from '../core/pipeline/types.js';
import { addTableOptions, readTableOptions } from './cli-options.js';
import { VERSION } from './version.js';
import type { GlbCompression } from '../core/export/glb.js';
import { glbWriteOptions } from './draco-encoder.js';
import { processPhoto } from './process-photo.js';
import type { Reconstructor, ReconstructorOptions } from './reconstructor.js';
import { safeOutputName, printableName } from './output-name.js';
import { lockOutputFolder } from './write-output.js';

/** Exit codes of the CLI. */
export const EXIT_CODES = Object.freeze({ OK: 0, SOME_FAILED: 1, USAGE: 2 });

/** Extensions (lower case) a folder input contributes. Files named explicitly are tried whatever their extension. */
export const IMAGE_EXTENSIONS: readonly string[] = ['.jpg', '.jpeg', '.png', '.webp', '.gif', '.heic', '.heif', '.avif', '.tif', '.tiff'];


/** A writable text stream; `isTTY` decides between progress bars and plain lines. */
export interface CliStream {
  write(chunk: string): boolean;
  isTTY?: boolean;
  columns?: number;
}

/** What {@link run} needs from its environment; every field has a default (the real one). */
export interface CliIO {
  stdout?: CliStream;
  stderr?: CliStream;
  /** Folder that relative inputs and globs are resolved against. Default `process.cwd()`. */
  cwd?: string;
  /** Reconstructor factory (tests inject a fake). Default: `createReconstructor` of `./reconstructor.js`. */
  createReconstructor?: (options: ReconstructorOptions) => Promise<Reconstructor>;
  /** Output file builder. Default: `buildOutputFilesAsync` with the native PNG encoder. */
  buildOutputFiles?: OutputBuilder;
}

/** Parsed and checked command-line options, by their names in the option table (`core/pipeline/option-table.ts`). */
interface CliOptions {
  out: string;
  formats: MeshFormat[];
  compress: GlbCompression;
  detailResolution: number;
  textureResolution: number;
  detailStrength: number;
  albedoEqualize: number;
  detail: DetailMethod;
  model: FaceModelName;
  emotionPrior: EmotionPriorMode;
  head: IctHeadParts;
  modelsDir?: string;
  allFaces?: boolean;
  focalLength35mm?: number;
  maxPixels: number;
  maxBytes: number;
  maxDimension: number;
  recursive?: boolean;
  json?: boolean;
  quiet?: boolean;
}

/** The outcome of one input, as printed with --json. */
interface InputResult {
  input: string;
  status: 'ok' | 'error';
  faces: number;
  outputs: string[];
  timingsMs: Record<string, number>;
  warnings: string[];
  error?: { code: string; message: string };
}

/**
 * Run the CLI with `argv` (`process.argv` shape: node, script, args…) and resolve with the exit
 * code. Never calls `process.exit` and never sets `process.exitCode` (see {@link main}).
 *
 * @example
 * const code = await run(['node', 'facedetail', 'me.jpg', '-o', 'out', '--format', 'glb']);
 */
export async function run(argv: readonly string[], io: CliIO = {}): Promise<number> {
  const stdout = io.stdout ?? process.stdout;
  const stderr = io.stderr ?? process.stderr;
  const cwd = io.cwd ?? process.cwd();

  // `facedetail model …` sub-commands (model cache management) live in their own module.
  const modelCli = await import('./model-import/model-cli.js');
  if (modelCli.isModelCommand(argv)) return modelCli.runModelCommand(argv, { stdout, stderr, cwd });
  // `facedetail worker | enqueue | queue status` (batch work on a BullMQ queue): src/node/queue/.
  if ((await import('./queue/is-queue-command.js')).isQueueCommand(argv)) {
    return (await import('./queue/queue-cli.js')).runQueueCommand(argv, { stdout, stderr, cwd, ...(io.createReconstructor ? { createReconstructor: io.createReconstructor } : {}) });
  }

  // ---- options -------------------------------------------------------------------------------
  const program = buildProgram(stdout, stderr);
  try {
    program.parse([...argv], { from: 'node' });
  } catch (e) {
    if (e instanceof CommanderError) return e.exitCode === 0 ? EXIT_CODES.OK : EXIT_CODES.USAGE;
    throw e;
  }
  const usage = (message: string): number => {
    stderr.write(`facedetail: ${message}\n(run "facedetail --help" for usage)\n`);
    return EXIT_CODES.USAGE;
  };
  let opts: CliOptions;
  try {
    opts = readTableOptions(program, optionSpecs('flag')) as unknown as CliOptions;
  } catch (e) {
    if (e instanceof FaceDetailError) return usage(`${e.code}: ${e.message}`);
    throw e;
  }
  const outDir = resolve(cwd, opts.out);
  let outExisted = false;
  try {
    if (!(await stat(outDir)).isDirectory()) return usage(`--out: "${printableName(opts.out)}" exists and is not a folder.`);
    outExisted = true;
  } catch {
    // does not exist yet: created for the run's lock, removed again if nothing is written
  }

  // ---- inputs --------------------------------------------------------------------------------
  const { files, unmatched } = await resolveInputs(program.args, cwd, opts.recursive === true);
  if (files.length === 0) {
    return usage(unmatched.length > 0 ? `no input image matched: ${unmatched.map((u) => `"${u}"`).join(', ')}.` : 'no input images.');
  }

  // One run at a time per output folder: a second run would silently replace the first's fresh results.
  let unlock: () => Promise<void>;
  try {
    unlock = await lockOutputFolder(outDir);
  } catch (e) {
    if (e instanceof FaceDetailError) return usage(e.message);
    throw e;
  }
  try {
    return await runLocked(files, unmatched, opts, io, stdout, stderr, outDir, usage);
  } finally {
    await unlock();
    if (!outExisted) await rmdir(outDir).catch(() => undefined); // only when empty: every input failed
  }
}

async function runLocked(
  files: InputFile[], unmatched: string[], opts: CliOptions, io: CliIO, stdout: CliStream, stderr: CliStream, outDir: string, usage: (m: string) => number,
): Promise<number> {
  const cwd = io.cwd ?? process.cwd();
  // Progress bars only on a terminal: cli-progress is loaded then, not for piped or --json runs.
  const Bar = stderr.isTTY === true && opts.quiet !== true ? (await import('cli-progress')).SingleBar : undefined;
  const reporter = new Reporter(stdout, stderr, opts, files.length + unmatched.length, Bar);
  const results: InputResult[] = [];
  for (const u of unmatched) {
    const r = errorResult(u, new FaceDetailError('IO_ERROR', `"${printableName(u)}" matches no file, folder or image.`), 0);
    results.push(r);
    reporter.unmatched(r);
  }

  // ---- one reconstructor for every input ----------------------------------------------------
  // The reconstruction and decoder options of the table (allFaces: the CLI asks for every face itself).
  const recOptions: ReconstructorOptions = { ...(opts.modelsDir !== undefined ? { modelsDir: resolve(cwd, opts.modelsDir) } : {}), logger: reporter.logger };
  const given = opts as unknown as Record<string, unknown>;
  for (const s of [...optionSpecs('reconstruct'), ...optionSpecs('decode')]) {
    if (s.name !== 'allFaces' && given[s.name] !== undefined) (recOptions as Record<string, unknown>)[s.name] = given[s.name];
  }
  let reconstructor: Reconstructor;
  let output: OutputSink;
  try {
    const factory = io.createReconstructor ?? (await import('./reconstructor.js')).createReconstructor;
    // sharp loads here, not for --help.
    output = io.buildOutputFiles ? { build: io.buildOutputFiles } : (await import('./output-builder.js')).nativeOutputBuilder(opts.formats);
    reconstructor = await factory(recOptions);
  } catch (e) {
    if (e instanceof FaceDetailError && e.code === 'INVALID_OPTION') return usage(`${e.code}: ${e.message}`);
    // Nothing can be reconstructed: every input fails with this error.
    for (const f of files) {
      const r = errorResult(f.display, e, 0);
      results.push(r);
      reporter.emitJson(r);
    }
    reporter.summary(results);
    return EXIT_CODES.SOME_FAILED;
  }

  // ---- the inputs, one after the other -------------------------------------------------------
  try {
    const glb = opts.formats.includes('glb') ? await glbWriteOptions(opts.compress) : undefined;
    for (const file of files) {
      const r = await processOne(file, reconstructor, output, glb, opts, outDir, reporter);
      results.push(r);
    }
  } finally {
    await reconstructor.dispose().catch((e: unknown) => reporter.logger.warn(`disposing the reconstructor failed: ${errorMessage(e)}`));
  }
  reporter.summary(results);
  return results.every((r) => r.status === 'ok') ? EXIT_CODES.OK : EXIT_CODES.SOME_FAILED;
}

/**
 * Entry point of `bin/facedetail.js`: runs {@link run} on the real process streams and sets
 * `process.exitCode` (never `process.exit`, so pending output is flushed).
 */
export async function main(argv: readonly string[] = process.argv): Promise<void> {
  // A closed pipe (`facedetail --help | head`) ends the output quietly, as other CLIs do, instead of an unhandled EPIPE.
  process.stdout.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code !== 'EPIPE') throw e;
  });
  try {
    process.exitCode = await run(argv);
  } catch (e) {
    process.stderr.write(`facedetail: internal error: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
    process.exitCode = EXIT_CODES.SOME_FAILED;
  }
}

// ================================================================================================

function buildProgram(stdout: CliStream, stderr: CliStream): Command {
  const program = new Command('facedetail');
  program
    .description('One photo in, a metric 3D face with fine geometric detail out (GLB/OBJ/PLY mesh + PNG maps).')
    .usage('<inputs...> -o <dir> [options]')
    .argument('<inputs...>', 'image files, folders (their images) or quoted glob patterns');
  // Every option from the option table (core/pipeline/option-table.ts).
  addTableOptions(program, optionSpecs('flag'))
    .version(VERSION, '-V, --version', 'print the version')
    .helpOption('-h, --help', 'show this help')
    .addHelpText('after', HELP_EPILOG)
    .showHelpAfterError('(run "facedetail --help" for usage)')
    .configureOutput({ writeOut: (s) => void stdout.write(s), writeErr: (s) => void stderr.write(s) })
    .exitOverride();
  return program;
}

const HELP_EPILOG = `
Inputs:
  A file is tried whatever its extension. A folder contributes its images
  (${IMAGE_EXTENSIONS.join(' ')};
  add -r for sub-folders). Anything else is a glob pattern; quote it so the
  shell does not expand it: "photos/**/*.jpg".
  Formats: JPEG, PNG, WebP, AVIF, TIFF, GIF; HEIC only with a libvips that has
  an HEVC decoder (sharp's prebuilt one has none: convert HEIC photos to JPEG).

Outputs (one folder per face; an existing folder is replaced atomically):
  face.glb (metres; quantised, --compress for smaller files) by default, and
  face.obj + face.mtl, face.ply (millimetres) with --format glb,obj,ply;
  texture.png, albedo.png, normal.png, confidence.png, displacement.png (16-bit,
  mm encoding in result.json) and result.json (camera, pose, scale, timings).
  Two inputs with the same name get <name>, <name>_2, ...

Progress goes to stderr, as bars on a terminal and one line per image otherwise.
A summary of the failures is printed to stderr at the end.

Exit codes:
  0  every input succeeded
  1  some inputs failed (listed in the summary; with --json also on stdout)
  2  usage error: bad option, or no input matched

Models:
  facedetail model import ict <FaceXModel folder> [--models-dir <dir>]
  imports the full ICT FaceKit morphable model (MIT) into the model cache
  (default ~/.cache/facedetail/models, or $FACEDETAIL_MODELS_DIR); without it,
  --model ict uses the compact copy bundled with facedetail (models/ict/).

Examples:
  facedetail portrait.jpg -o out
  facedetail photos/ -o out --format glb --detail-res 2048
  facedetail portrait.jpg -o out --detail dfdn+sfs
  facedetail "shots/*.jpg" -o out --all-faces --json > results.jsonl
`;

// ---- inputs ------------------------------------------------------------------------------------

/** One expanded input (see {@link resolveInputs}). */
export interface InputFile {
  /** The path as shown to the user (relative to cwd when inside it). */
  display: string;
  /** Absolute path. */
  path: string;
  /** Output folder name stem, unique within this run. */
  stem: string;
}

/**
 * Expand inputs (files, folders, globs) as the CLI does and name each one's output folder
 * (`stem`, unique within the call). Also used by `facedetail enqueue`.
 */
export async function resolveInputs(args: readonly string[], cwd: string, recursive: boolean): Promise<{ files: InputFile[]; unmatched: string[] }> {
  const seen = new Set<string>();
  const paths: string[] = [];
  const unmatched: string[] = [];
  // Dedupe by real path: a file reached twice (a symlink, a "**" glob through a link loop) is one input.
  const add = async (p: string): Promise<void> => {
    const abs = resolve(cwd, p);
    const real = await realpath(abs).catch(() => abs);
    if (!seen.has(real)) { seen.add(real); paths.push(abs); }
  };
  const addAll = async (list: readonly string[]): Promise<void> => { for (const p of list) await add(p); };
  const isImageName = (p: string): boolean => IMAGE_EXTENSIONS.includes(extname(p).toLowerCase());

  for (const arg of args) {
    const abs = resolve(cwd, arg);
    const st = await stat(abs).catch(() => undefined);
    if (st?.isFile()) { await add(abs); continue; }
    if (st?.isDirectory()) {
      const entries = await readdir(abs, { withFileTypes: true, recursive }).catch(() => []);
      const found: string[] = [];
      for (const d of entries) {
        if (!isImageName(d.name) || !(d.isFile() || d.isSymbolicLink())) continue;
        const p = join((d as { parentPath?: string; path?: string }).parentPath ?? (d as { path?: string }).path ?? abs, d.name);
        // Symlinked images are followed (a link to a file is that file); broken or folder links are skipped.
        if (d.isSymbolicLink() && !(await stat(p).catch(() => undefined))?.isFile()) continue;
        found.push(p);
      }
      found.sort();
      await addAll(found);
      if (found.length === 0) unmatched.push(arg);
      continue;
    }
    const { glob, isDynamicPattern } = await import('tinyglobby'); // loaded only when an input is no file or folder
    if (isDynamicPattern(arg)) {
      const found = (await glob(arg, { cwd, absolute: true, onlyFiles: true, expandDirectories: false })).filter(isImageName).sort();
      await addAll(found);
      if (found.length === 0) unmatched.push(arg);
      continue;
    }
    unmatched.push(arg);
  }

  const used = new Set<string>();
  const files = paths.map((path) => {
    const name = safeOutputName(parsePath(path).name);
    let stem = name;
    for (let k = 2; used.has(stem.toLowerCase()); k++) stem = `${name}_${k}`;
    used.add(stem.toLowerCase());
    const rel = relative(cwd, path);
    const display = printableName(rel !== '' && !rel.startsWith('..') && !isAbsolute(rel) ? rel : path);
    return { display, path, stem };
  });
  return { files, unmatched };
}

// ---- one input ---------------------------------------------------------------------------------

async function processOne(
  file: InputFile,
  reconstructor: Reconstructor,
  output: OutputSink,
  glb: Awaited<ReturnType<typeof glbWriteOptions>> | undefined,
  opts: CliOptions,
  outDir: string,
  reporter: Reporter,
): Promise<InputResult> {
  const t0 = performance.now();
  const timings: Record<string, number> = {};
  const outputs: string[] = [];
  const warnings: string[] = [];
  const progress = reporter.begin(file.display);
  const onProgress: ProgressCallback = (ev) => {
    if (ev.done && ev.ms !== undefined) timings[ev.stage] = (timings[ev.stage] ?? 0) + ev.ms;
    progress.event(ev);
  };
  reporter.currentWarnings = warnings;
  try {
    const done = await processPhoto(reconstructor, {
      path: file.path,
      output: join(outDir, file.stem),
      parent: outDir,
      allFaces: opts.allFaces === true,
      decode: { maxPixels: opts.maxPixels, maxBytes: opts.maxBytes, maxDimension: opts.maxDimension },
      formats: opts.formats,
      ...(glb ? { glb } : {}),
      build: output.build,
      ...(output.onMap ? { onMap: output.onMap } : {}),
      onProgress,
      onWritten: (dir) => { outputs.push(join(opts.out, basename(dir))); },
    });
    warnings.push(...done.warnings);
    const r: InputResult = { input: file.display, status: 'ok', faces: done.faces.length, outputs, timingsMs: roundTimings(timings, t0), warnings };
    progress.end(r);
    return r;
  } catch (e) {
    const r = errorResult(file.display, e, outputs.length, outputs, warnings, roundTimings(timings, t0));
    progress.end(r);
    return r;
  } finally {
    reporter.currentWarnings = undefined;
  }
}

function roundTimings(t: Record<string, number>, t0: number): Record<string, number> {
  const out: Record<string, number> = {};
  for (const s of STAGES) if (t[s] !== undefined) out[s] = Math.round(t[s]!);
  out['total'] = Math.round(performance.now() - t0);
  return out;
}

function errorResult(input: string, e: unknown, faces: number, outputs: string[] = [], warnings: string[] = [], timingsMs: Record<string, number> = {}): InputResult {
  const code = e instanceof FaceDetailError ? e.code : 'INTERNAL';
  return { input, status: 'error', faces, outputs, timingsMs, warnings, error: { code, message: errorMessage(e) } };
}

function errorMessage(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

// ---- reporting ---------------------------------------------------------------------------------

/** Progress of one image. */
interface ImageProgress {
  event(ev: Parameters<ProgressCallback>[0]): void;
  end(result: InputResult): void;
}

/** Per-face stages: every stage but the two an image's faces share (decode, analyze). */
const PER_FACE_STAGES = STAGES.length - 2;

/**
 * Writes progress to stderr (bars on a TTY, one line per image otherwise, nothing with --quiet),
 * JSON lines to stdout (--json) and the final summary.
 */
class Reporter {
  /** Warnings of the image being processed (the logger appends to it). */
  currentWarnings: string[] | undefined;
  readonly logger: Logger;
  private index = 0;

  constructor(
    private readonly stdout: CliStream,
    private readonly stderr: CliStream,
    private readonly opts: CliOptions,
    private readonly total: number,
    private readonly Bar: typeof SingleBar | undefined,
  ) {
    const warn = (m: string): void => {
      if (this.currentWarnings !== undefined) this.currentWarnings.push(m);
      else if (opts.quiet !== true) stderr.write(`facedetail: warning: ${m}\n`);
    };
    this.logger = { debug: () => undefined, info: () => undefined, warn, error: warn };
  }

  unmatched(r: InputResult): void {
    this.index++;
    this.emitJson(r);
    if (this.opts.quiet !== true) this.stderr.write(`${this.prefix()} ${r.input}: ${r.error?.code}: ${r.error?.message}\n`);
  }

  begin(name: string): ImageProgress {
    this.index++;
    const prefix = this.prefix();
    let bar: SingleBar | undefined;
    let total: number = STAGES.length;
    const done = new Set<string>(); // distinct (face, stage) pairs: a stage may run twice (unwrap at two resolutions)
    let doneCount = 0;
    let faces = 1;
    if (this.Bar !== undefined) {
      bar = new this.Bar({
        stream: this.stderr as unknown as NodeJS.WritableStream,
        format: `${prefix} {name} [{bar}] {percentage}% {stage}`,
        barsize: 24,
        hideCursor: false,
        clearOnComplete: false,
        fps: 10,
      });
      bar.start(total, 0, { name: shorten(name, 32), stage: '' });
    }
    return {
      event: (ev) => {
        if (bar === undefined) return;
        if (ev.faceIndex !== undefined && ev.faceIndex + 1 > faces) faces = ev.faceIndex + 1;
        if (ev.done) {
          done.add(`${ev.faceIndex ?? 'image'}:${ev.stage}`);
          doneCount = done.size;
        }
        total = Math.max(total, 2 + PER_FACE_STAGES * faces, doneCount);
        bar.setTotal(total);
        const face = faces > 1 && ev.faceIndex !== undefined ? ` (face ${ev.faceIndex})` : '';
        bar.update(doneCount, { stage: `${ev.stage}${face}` });
        bar.render(); // the pipeline is synchronous between events: draw now
      },
      end: (r) => {
        const secs = ((r.timingsMs['total'] ?? 0) / 1000).toFixed(1);
        const what = r.status === 'ok'
          ? `→ ${r.outputs.join(', ')} (${r.faces} face${r.faces === 1 ? '' : 's'}, ${secs} s)`
          : `failed: ${r.error?.code}`;
        if (bar !== undefined) {
          if (r.status === 'ok') bar.setTotal(doneCount);
          bar.update(doneCount, { stage: what });
          bar.stop();
          if (r.status !== 'ok') this.stderr.write(`  ${r.error?.message}\n`);
        } else if (this.opts.quiet !== true) {
          this.stderr.write(`${prefix} ${name} ${r.status === 'ok' ? what : `${what}: ${r.error?.message}`}\n`);
        }
        if (this.opts.quiet !== true) for (const w of r.warnings) this.stderr.write(`  warning: ${w}\n`);
        this.emitJson(r);
      },
    };
  }

  emitJson(r: InputResult): void {
    if (this.opts.json !== true) return;
    const { error, ...rest } = r;
    this.stdout.write(JSON.stringify(error === undefined ? rest : { ...rest, error }) + '\n');
  }

  summary(results: readonly InputResult[]): void {
    const failed = results.filter((r) => r.status !== 'ok');
    const ok = results.length - failed.length;
    if (this.opts.quiet === true && failed.length === 0) return;
    const head = `facedetail: ${results.length} input${results.length === 1 ? '' : 's'}: ${ok} ok, ${failed.length} failed`;
    this.stderr.write(`${head}${failed.length > 0 ? ':' : ''}\n`);
    for (const r of failed) this.stderr.write(`  ${r.input}: ${r.error?.code}: ${r.error?.message}\n`);
  }

  private prefix(): string {
    return `[${this.index}/${this.total}]`;
  }
}

function shorten(s: string, n: number): string {
  return s.length <= n ? s.padEnd(n) : `…${s.slice(s.length - n + 1)}`;
}

/**
 * `facedetail model …`: model management sub-commands, dispatched from `src/node/cli.ts` when
 * the first argument is `model` (so the main `facedetail <inputs...> -o <dir>` usage is
 * unchanged). For now: `facedetail model import ict <folder> [--models-dir <dir>]`.
 *
 * Exit codes as in the main CLI: 0 ok, 1 failure (printed as `facedetail: CODE: message`),
 * 2 usage error.
 */
import { Command, CommanderError } from 'commander';
import { FaceDetailError } from '../../core/errors.js';

/** A writable text stream (the CLI's `CliStream`). */
interface Stream {
  write(chunk: string): boolean;
}

/**
 * True when `argv` (node, script, args…) asks for a `model` sub-command rather than naming an
 * input called "model": `model` alone, or followed by `import`, `help`, `-h` or `--help`.
 *
 * @example
 * isModelCommand(['node', 'facedetail', 'model', 'import', 'ict', 'FaceXModel']) // true
 * isModelCommand(['node', 'facedetail', 'model', '-o', 'out'])                   // false: a folder named "model"
 */
export function isModelCommand(argv: readonly string[]): boolean {
  if (argv[2] !== 'model') return false;
  const next = argv[3];
  return next === undefined || next === 'import' || next === 'help' || next === '-h' || next === '--help';
}

/**
 * Run `facedetail model …` and resolve with the exit code.
 *
 * @example
 * await runModelCommand(['node', 'facedetail', 'model', 'import', 'ict', 'ICT-FaceKit/FaceXModel'], { stdout, stderr });
 */
export async function runModelCommand(argv: readonly string[], io: { stdout: Stream; stderr: Stream; cwd: string }): Promise<number> {
  const { stdout, stderr } = io;
  let action: Promise<number> | undefined;
  const program = new Command('facedetail')
    .description('Model management.')
    .helpOption('-h, --help', 'show this help')
    .configureOutput({ writeOut: (s) => void stdout.write(s), writeErr: (s) => void stderr.write(s) })
    .exitOverride();
  const model = program.command('model').description('manage the models facedetail uses').helpOption('-h, --help', 'show this help')
    .configureOutput({ writeOut: (s) => void stdout.write(s), writeErr: (s) => void stderr.write(s) })
    .exitOverride();
  const imp = model.command('import').description('import a model distribution into facedetail\'s model cache').helpOption('-h, --help', 'show this help')
    .configureOutput({ writeOut: (s) => void stdout.write(s), writeErr: (s) => void stderr.write(s) })
    .exitOverride();
  imp.command('ict')
    .description('import the ICT FaceKit morphable model (MIT) from its OBJ folder (FaceXModel of github.com/ICT-VGL/ICT-FaceKit)')
    .argument('<folder>', 'the FaceXModel folder: generic_neutral_mesh.obj, identity*.obj, expression OBJs, vertex_indices.json')
    .option('--models-dir <dir>', 'models folder (default: $FACEDETAIL_MODELS_DIR, else ~/.cache/facedetail/models); the cache goes to <dir>/ict-v2/')
    .helpOption('-h, --help', 'show this help')
    .showHelpAfterError('(run "facedetail model import ict --help" for usage)')
    .configureOutput({ writeOut: (s) => void stdout.write(s), writeErr: (s) => void stderr.write(s) })
    .exitOverride()
    .action((folder: string, opts: { modelsDir?: string }) => {
      action = importIct(folder, opts.modelsDir, io);
    });
  try {
    program.parse([...argv], { from: 'node' });
  } catch (e) {
    if (e instanceof CommanderError) {
      // --help exits 0; `facedetail model` alone prints its help with exit code 1: a usage error.
      return e.exitCode === 0 ? EXIT_OK : EXIT_USAGE;
    }
    throw e;
  }
  return action ?? EXIT_USAGE;
}

const EXIT_OK = 0;
const EXIT_FAILED = 1;
const EXIT_USAGE = 2;

async function importIct(folder: string, modelsDirArg: string | undefined, io: { stdout: Stream; stderr: Stream; cwd: string }): Promise<number> {
  const { resolve } = await import('node:path');
  const { importIctModel } = await import('./ict.js');
  try {
    const modelsDir = modelsDirArg === undefined ? undefined : resolve(io.cwd, modelsDirArg);
    const info = await importIctModel(resolve(io.cwd, folder), modelsDir === undefined ? {} : { modelsDir });
    io.stdout.write(
      `ICT FaceKit model imported: ${info.dir} (${(info.bytes / 1e6).toFixed(1)} MB; ${info.vertexCount} of ${info.sourceVertexCount} vertices, ` +
      `${info.identityCount} identity + ${info.expressionCount} expression shapes, ${info.triangleCount} triangles) in ${(info.ms / 1000).toFixed(1)} s\n`,
    );
    return EXIT_OK;
  } catch (e) {
    const code = e instanceof FaceDetailError ? e.code : 'INTERNAL';
    io.stderr.write(`facedetail: ${code}: ${e instanceof Error ? e.message : String(e)}\n`);
    return EXIT_FAILED;
  }
}

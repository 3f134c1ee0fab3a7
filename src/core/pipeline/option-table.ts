/**
 * The one table of facedetail's options: for each one its name, type, default, range or
 * choices, description and CLI flag. It feeds `resolveOptions` and `RECONSTRUCT_DEFAULTS`
 * (`defaults.ts`), the CLI's flags and their checks (`src/node/cli.ts`), the queue's job options
 * and `enqueue` flags (`src/node/queue/`), and the README's options table
 * (`npm run docs:options` writes it; `test/unit/option-table.test.ts` checks it).
 * Isomorphic: data and pure functions only.
 */
import type { GlbCompression } from '../export/glb.js';
import { EMOTION_PRIOR_MODES, ICT_HEAD_PARTS } from '../model/ict/ict-types.js';
import { checkOption, invalidOption, expectation, type OptionRule } from '../options.js';
import { DETAIL_METHODS } from '../detail/synthesize-detail.js';
import { FACE_MODELS, RIG_MODES, type MeshFormat } from './types.js';

/**
 * What an option configures: `reconstruct` a field of `ReconstructOptions`; `output` the output
 * files (`buildOutputFiles`); `decode` the image decoder's guards; `cli` the command line only
 * (or the Node reconstructor's model folder).
 */
export type OptionGroup = 'reconstruct' | 'output' | 'decode' | 'cli';

/** One row of the option table. */
export interface OptionSpec extends OptionRule {
  group: OptionGroup;
  /** The default value (`undefined`: none, or set elsewhere: see `defaultText`). */
  default?: unknown;
  /** The default as the README and `--help` show it, when the value alone does not say it. */
  defaultText?: string;
  /** What it does (Markdown, for the README's table and the TSDoc). */
  description: string;
  /** The CLI's `--help` line, when shorter than `description`. */
  help?: string;
  /** The CLI flag (commander syntax: `-f, --format <list>`); library-only options have none. */
  flag?: string;
  /** A queue job carries it (and `facedetail enqueue` has the flag). */
  job?: boolean;
  /** The CLI cannot run without it. */
  required?: boolean;
}

const MESH_FORMATS: readonly MeshFormat[] = ['glb', 'obj', 'ply'];
/** `compress` choices: GLB_COMPRESSIONS of core/export/glb.ts (not imported here: it loads glTF-Transform). */
const GLB_COMPRESSION_CHOICES: readonly GlbCompression[] = ['none', 'meshopt', 'draco'];

/**
 * Every option, in the order of the README's table (library-only options last).
 *
 * @example
 * OPTION_TABLE.detailResolution // { name: 'detailResolution', type: 'integer', min: 512, max: 2048, default: 1024, flag: '--detail-res <n>', … }
 */
export const OPTION_TABLE = Object.freeze({
  out: {
    name: 'out', group: 'cli', type: 'string', flag: '-o, --out <dir>', required: true, defaultText: '(required)',
    description: 'output folder; one sub-folder per input face: `<out>/<image name>/` (`<image name>_face<i>/` with `--all-faces`)',
    help: 'output folder; each image gets <dir>/<image name>/',
  },
  formats: {
    name: 'formats', group: 'output', type: 'list', choices: MESH_FORMATS, default: ['glb'], flag: '-f, --format <list>', job: true,
    description: 'mesh formats, any of `glb,obj,ply`; maps and `result.json` are always written',
    help: `mesh formats, comma-separated: ${MESH_FORMATS.join(',')}`,
  },
  compress: {
    name: 'compress', group: 'output', type: 'choice', choices: GLB_COMPRESSION_CHOICES, default: 'none', flag: '--compress <method>', job: true,
    description: '`face.glb` geometry for the web: `none` (quantised, opens everywhere), `meshopt` (EXT_meshopt_compression), `draco` (KHR_draco_mesh_compression); see *GLB size and viewers*',
    help: 'face.glb geometry compression for the web: none (quantised, opens everywhere), meshopt (three.js with MeshoptDecoder), draco (three.js with DRACOLoader, Blender)',
  },
  detailResolution: {
    name: 'detailResolution', group: 'reconstruct', type: 'integer', min: 512, max: 2048, default: 1024, flag: '--detail-res <n>', job: true,
    description: 'displacement / normal map size, 512–2048',
    help: 'displacement / normal map size in texels (512-2048)',
  },
  textureResolution: {
    name: 'textureResolution', group: 'reconstruct', type: 'integer', min: 64, max: 4096, default: 1024, flag: '--texture-res <n>', job: true,
    description: 'texture / albedo / confidence map size',
    help: 'texture / albedo / confidence map size in texels (64-4096)',
  },
  detailStrength: {
    name: 'detailStrength', group: 'reconstruct', type: 'number', min: 0, max: 10, default: 1, flag: '--detail-strength <x>', job: true,
    description: 'multiplier on the synthesized displacement (0 = proxy only)',
    help: 'multiplier on the fine detail, 0 = smooth proxy only (0-10)',
  },
  albedoEqualize: {
    // LIGHTNESS_EQUALIZE_DEFAULTS.strength (the numbers: bench/results/albedo-equalize.json).
    name: 'albedoEqualize', group: 'reconstruct', type: 'number', min: 0, max: 1, default: 0.8, flag: '--albedo-equalize <s>', job: true,
    description: 'share (0–1) of the smooth lightness left in the albedo by shadows and occlusion that is removed (0 = off); see *Albedo colour*',
    help: 'share of the albedo\'s smooth shadow / occlusion lightness removed, 0 = off (0-1)',
  },
  detail: {
    name: 'detail', group: 'reconstruct', type: 'choice', choices: DETAIL_METHODS, default: 'dfdn', flag: '--detail <method>', job: true,
    description: 'where the fine detail comes from: `sfs` shape from shading of this photo, `dfdn` the learned detail network, `dfdn+sfs` the network\'s detail refined by the shading solve (see *Learned detail* below)',
    help: 'fine detail from: sfs = shape from shading of this photo, dfdn = the learned detail network, dfdn+sfs = the network refined by shading',
  },
  model: {
    name: 'model', group: 'reconstruct', type: 'choice', choices: FACE_MODELS, default: 'facemesh', flag: '--model <name>', job: true,
    description: 'face model: `facemesh` (built in, the 468-point face mesh) or `ict` (the ICT FaceKit morphable model with the full head; a compact copy ships in the package, see below)',
    help: 'face model: facemesh = the 468-point face mesh (built in), ict = the ICT FaceKit morphable model with the full head (a compact copy is bundled; "facedetail model import ict <folder>" imports the full model)',
  },
  emotionPrior: {
    // 'none', as ICT_FIT_DEFAULTS.emotionPrior (the numbers are there: bench:proxy).
    name: 'emotionPrior', group: 'reconstruct', type: 'choice', choices: EMOTION_PRIOR_MODES, default: 'none', flag: '--emotion-prior <mode>', job: true,
    description: 'with `--model ict`: how the detected emotion guides the expression fit: `none`, `prior`, `fixed`',
    help: 'with --model ict: how the detected emotion guides the expression fit',
  },
  head: {
    name: 'head', group: 'reconstruct', type: 'choice', choices: ICT_HEAD_PARTS, default: 'full', flag: '--head <parts>', job: true,
    description: 'with `--model ict`: head parts exported around the face: `none`, `skin` (head and neck), `full` (+ sockets, mouth, teeth, eyes)',
    help: 'with --model ict: head parts exported around the face: none, skin (head and neck) or full (+ sockets, mouth, teeth, eyes)',
  },
  rig: {
    name: 'rig', group: 'reconstruct', type: 'choice', choices: RIG_MODES, default: 'none', flag: '--rig <kind>', job: true,
    description: 'with `--model ict`: `arkit` also writes `rig.glb`, the head with ARKit\'s 52 blend shapes as morph targets (see *ARKit rig* below)',
    help: 'with --model ict: also write rig.glb, an animatable head: arkit = ARKit\'s 52 blend shapes as morph targets, the photo\'s expression as the default weights',
  },
  modelsDir: {
    name: 'modelsDir', group: 'cli', type: 'string', flag: '--models-dir <dir>', defaultText: '`$FACEDETAIL_MODELS_DIR`, else `~/.cache/facedetail/models`',
    description: 'folder holding an imported full ICT cache; used instead of the bundled compact model when present',
    help: 'models folder holding the imported ICT cache, used instead of the bundled model when present (default: $FACEDETAIL_MODELS_DIR, else ~/.cache/facedetail/models)',
  },
  allFaces: {
    name: 'allFaces', group: 'reconstruct', type: 'boolean', default: false, flag: '--all-faces', job: true,
    description: 'every face in the photo, largest first (default: the largest only)',
    help: 'reconstruct every face, into <dir>/<image name>_face<i>/ (0 = largest)',
  },
  focalLength35mm: {
    name: 'focalLength35mm', group: 'reconstruct', type: 'number', min: 1, max: 2000, exclusive: true, unit: 'mm', default: undefined, flag: '--focal-35mm <mm>', job: true,
    defaultText: 'EXIF, else 50',
    description: '35 mm-equivalent focal length of the photo',
    help: '35 mm-equivalent focal length of the camera; overrides EXIF (default: EXIF, else 50)',
  },
  maxPixels: {
    name: 'maxPixels', group: 'decode', type: 'integer', min: 1, max: Number.MAX_SAFE_INTEGER, default: 50e6, flag: '--max-pixels <n>', job: true,
    defaultText: '50 000 000',
    description: 'decompression-bomb guard',
    help: 'refuse images with more pixels than this (decompression-bomb guard)',
  },
  maxBytes: {
    name: 'maxBytes', group: 'decode', type: 'integer', min: 1, max: Number.MAX_SAFE_INTEGER, default: 256 * 1024 * 1024, flag: '--max-bytes <n>', job: true,
    defaultText: '268 435 456 (256 MiB)',
    description: 'refuse larger image files (checked before reading); only regular files are read: devices, FIFOs and sockets are refused',
    help: 'refuse image files larger than this many bytes',
  },
  maxDimension: {
    name: 'maxDimension', group: 'decode', type: 'integer', min: 256, max: 65535, default: 4096, flag: '--max-dimension <px>', job: true,
    description: 'photos with a longer side are downscaled to it while decoding (a face rarely needs more; keeps a 50 MP photo under 1 GB of memory: 805 MB peak for a 49 MP JPEG, was 1.3 GB); raise it for tiny faces in huge group photos',
    help: 'downscale photos whose long side exceeds this before analysis (256 or more; raise it for small faces in huge group photos)',
  },
  recursive: {
    name: 'recursive', group: 'cli', type: 'boolean', default: false, flag: '-r, --recursive',
    description: 'recurse into folders', help: 'search folders recursively',
  },
  json: {
    name: 'json', group: 'cli', type: 'boolean', default: false, flag: '--json',
    description: 'one JSON line per input on stdout (status, outputs, timings, error code)',
    help: 'print one JSON line per input to stdout (and nothing else there)',
  },
  quiet: {
    name: 'quiet', group: 'cli', type: 'boolean', default: false, flag: '-q, --quiet',
    description: 'print failures only', help: 'no progress bars or per-image lines; print failures only',
  },
  // ---- library only ----------------------------------------------------------------------------
  proxyLevels: {
    name: 'proxyLevels', group: 'reconstruct', type: 'integer', min: 1, max: 4, default: 3,
    description: 'Loop subdivision levels of the proxy used for unwrapping (the face mesh: 3 → 28.7k vertices; ICT: 1; see `MODEL_LEVEL_DEFAULTS`)',
  },
  meshLevels: {
    name: 'meshLevels', group: 'reconstruct', type: 'integer', min: 1, max: 5, default: 4,
    description: 'Loop subdivision levels of the exported detailed mesh, at least `proxyLevels` (the face mesh: 4 → 113k vertices; ICT: 2)',
  },
  albedoShadows: {
    // The proxy's visibility in the lighting fit and the albedo division (OCCLUSION_DEFAULTS). 1 since bench:albedo's
    // renders have cast shadows and occlusion: best on their tuning half (ΔE > 10 8.40 → 7.96 %; held out 7.94 → 7.51 %;
    // bench/results/albedo-visibility.json); on shadow-free renders 0 was (6.65 vs 6.84 %; albedo-visibility-shadow-free.json).
    name: 'albedoShadows', group: 'reconstruct', type: 'number', min: 0, max: 1, default: 1,
    description: 'share (0–1) of the proxy\'s own cast shadows and occlusion (its SH visibility transfer) modelled by the lighting fit and the albedo division (0 = the shading of the normal alone)',
  },
  interocularMm: {
    name: 'interocularMm', group: 'reconstruct', type: 'number', min: 40, max: 90, unit: 'mm', default: 63,
    description: 'anthropometric prior: distance between the eye centres in mm (63, the adult mean interpupillary distance)',
  },
  sfs: {
    name: 'sfs', group: 'reconstruct', type: 'object', expected: 'an object of detail-solver options', default: {},
    description: 'advanced: the shape-from-shading solver\'s parameters (`DETAIL_DEFAULTS` in core/detail)',
  },
  keepIntermediates: {
    name: 'keepIntermediates', group: 'reconstruct', type: 'boolean', default: false,
    description: 'keep the detail stage\'s inputs in `FaceReconstruction.intermediates` (training-data export, research)',
  },
} as const satisfies Record<string, OptionSpec>);

/** Names of the options in {@link OPTION_TABLE}. */
export type OptionName = keyof typeof OPTION_TABLE;

/** The rows of {@link OPTION_TABLE} in one group (or with a CLI flag, or carried by jobs). */
export function optionSpecs(filter: OptionGroup | 'flag' | 'job'): OptionSpec[] {
  const all: OptionSpec[] = Object.values(OPTION_TABLE);
  if (filter === 'flag') return all.filter((s) => s.flag !== undefined);
  if (filter === 'job') return all.filter((s) => s.job === true);
  return all.filter((s) => s.group === filter);
}

/** The defaults of one group, keyed by option name (options without a default are present as `undefined`). */
export function optionDefaults(group: OptionGroup): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const s of optionSpecs(group)) out[s.name] = Array.isArray(s.default) ? [...(s.default as unknown[])] : s.default;
  return out;
}

/** The long flag of an option, as messages name it (`--detail-res`). */
export function flagName(spec: OptionSpec): string {
  const m = /--[a-z0-9-]+/.exec(spec.flag ?? '');
  return m ? m[0] : spec.name;
}

/**
 * The value of a command-line argument for an option: numbers parsed, lists split at commas
 * (trimmed, lower case, duplicates dropped), then checked by the one validation helper. Throws
 * `INVALID_OPTION` naming the flag.
 *
 * @example
 * parseOptionText(OPTION_TABLE.detailResolution, '2048') // 2048
 * parseOptionText(OPTION_TABLE.detailResolution, '4096') // throws '--detail-res must be an integer from 512 to 2048, got 4096.'
 */
export function parseOptionText(spec: OptionSpec, text: string, label: string = flagName(spec)): unknown {
  switch (spec.type) {
    case 'integer':
    case 'number': {
      const v = text.trim() === '' ? Number.NaN : Number(text.trim());
      if (!Number.isFinite(v)) throw invalidOption(label, expectation(spec), text);
      return checkOption(spec, v, label);
    }
    case 'list': {
      const items: string[] = [];
      for (const s of text.split(',').map((x) => x.trim().toLowerCase())) if (s !== '' && !items.includes(s)) items.push(s);
      if (items.length === 0 || items.some((s) => !(spec.choices ?? []).includes(s))) throw invalidOption(label, expectation(spec), text);
      return items;
    }
    default:
      return checkOption(spec, text, label);
  }
}

/**
 * Check the options of one group (given ones only: `undefined` is "use the default"); throws
 * `INVALID_OPTION` naming the first bad one.
 *
 * @example
 * checkOptions(optionSpecs('job'), { detailResolution: 99 }) // throws 'detailResolution must be an integer from 512 to 2048, got 99.'
 */
export function checkOptions(specs: readonly OptionSpec[], options: Readonly<Record<string, unknown>>): void {
  for (const s of specs) {
    const v = options[s.name];
    if (v !== undefined) checkOption(s, v);
  }
}

/** How a default reads in the README's table. */
function defaultCell(spec: OptionSpec): string {
  if (spec.defaultText !== undefined) return spec.defaultText;
  const d = spec.default;
  if (d === false) return 'off';
  if (Array.isArray(d)) return `\`${d.join(',')}\``;
  if (typeof d === 'string') return `\`${d}\``;
  return String(d);
}

/**
 * The README's options table (Markdown): one row per CLI flag, from {@link OPTION_TABLE}.
 *
 * @example
 * optionsMarkdownTable().split('\n')[0] // '| option | default | meaning |'
 */
export function optionsMarkdownTable(): string {
  const rows = ['| option | default | meaning |', '|---|---|---|'];
  for (const s of optionSpecs('flag')) rows.push(`| \`${s.flag}\` | ${defaultCell(s)} | ${s.description} |`);
  return rows.join('\n');
}

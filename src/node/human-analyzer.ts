/**
 * Node face analyser: the Human library (@vladmandic/human 3.3.6, tfjs wasm backend, models
 * from its npm package) finds the faces; its face-mesh and emotion networks are then re-run on
 * our own crops so the landmarks are sub-pixel, with z in the same pixel units as x and y.
 *
 * The analysis itself (detection, sub-pixel refinement, emotions) is shared with the browser
 * adapter: src/human/analyze-faces.ts. This file only loads Human from node_modules
 * (src/node/human/human-runtime.ts) and hands it over.
 */
import {
  createHumanFaceAnalyzer,
  HUMAN_ANALYSIS_DEFAULTS,
  validateHumanAnalysisOptions,
  type HumanAnalysisOptions,
  type HumanFaceAnalyzer,
} from '../human/analyze-faces.js';
import { acquireHumanRuntime, defaultHumanModelDir, releaseHumanRuntime } from './human/human-runtime.js';
import { assignDefaults } from '../core/options.js';

export type { HumanFaceAnalyzer } from '../human/analyze-faces.js';

/** Options of {@link createHumanAnalyzer}: the shared analysis options plus where the models are. */
export interface HumanAnalyzerOptions extends HumanAnalysisOptions {
  /** Folder with Human's `blazeface`, `facemesh`, `emotion` and `iris` model files. Default: the ones in node_modules/@vladmandic/human/models. */
  modelDir: string | undefined;
}

/** Defaults of {@link HumanAnalyzerOptions}. @public */
export const HUMAN_ANALYZER_DEFAULTS: Readonly<HumanAnalyzerOptions> = Object.freeze({ ...HUMAN_ANALYSIS_DEFAULTS, modelDir: undefined });

/**
 * Creates the Node face analyser. Loads the wasm backend and four models (~5 MB) from
 * node_modules; no network. `analyze(image)` takes RGB float [0, 1] sRGB images (1 or 4
 * channels are accepted: grey is replicated, alpha ignored). Output conventions: see
 * src/human/analyze-faces.ts. Calls are serialised (one at a time per process).
 *
 * @example
 * const analyzer = await createHumanAnalyzer({ maxFaces: 5 });
 * const faces = await analyzer.analyze(photo); // largest first
 * await analyzer.dispose();
 */
export async function createHumanAnalyzer(options: Partial<HumanAnalyzerOptions> = {}): Promise<HumanFaceAnalyzer> {
  const { modelDir, ...rest } = options;
  const opts: HumanAnalysisOptions = assignDefaults(HUMAN_ANALYSIS_DEFAULTS, rest);
  validateHumanAnalysisOptions(opts); // before loading anything
  const runtime = await acquireHumanRuntime(modelDir ?? defaultHumanModelDir(), opts.logger);
  return createHumanFaceAnalyzer(runtime, opts, () => releaseHumanRuntime(runtime));
}

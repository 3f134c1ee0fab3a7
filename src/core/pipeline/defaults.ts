import { FaceDetailError } from '../errors.js';
import { assignDefaults, checkOption, invalidOption } from '../options.js';
import { optionDefaults, optionSpecs } from './option-table.js';
import { DETAIL_METHODS } from '../detail/synthesize-detail.js';
import type { FaceModelName, ReconstructOptions } from './types.js';

/** Defaults of {@link ReconstructOptions}: the `reconstruct` rows of the option table (`option-table.ts`). */
export const RECONSTRUCT_DEFAULTS: Readonly<ReconstructOptions> = Object.freeze(optionDefaults('reconstruct') as unknown as ReconstructOptions);

/**
 * Default Loop subdivision levels per face model (used when `proxyLevels` / `meshLevels` are not
 * given): the face mesh (468 vertices) 3 / 4 → 28k / 113k vertices; the ICT narrow face (6,706
 * vertices) 1 / 2 → 26.6k / 106k vertices, i.e. the same densities.
 *
 * @public
 */
export const MODEL_LEVEL_DEFAULTS: Readonly<Record<FaceModelName, { proxyLevels: number; meshLevels: number }>> = Object.freeze({
  facemesh: { proxyLevels: 3, meshLevels: 4 },
  ict: { proxyLevels: 1, meshLevels: 2 },
});

const RECONSTRUCT_SPECS = optionSpecs('reconstruct');

/**
 * Merge user options with the defaults (`undefined` never overrides one), validating each
 * against the option table (public boundary). Throws `INVALID_OPTION`:
 * `<name> must be <expected>, got <value>.`
 *
 * @example
 * resolveOptions({ detail: 'sfs', detailResolution: undefined }).detailResolution // 1024
 */
export function resolveOptions(options: Partial<ReconstructOptions> = {}): ReconstructOptions {
  const o = assignDefaults(RECONSTRUCT_DEFAULTS, options);
  // Per-model subdivision defaults, unless given: similar vertex counts for both models.
  const levels = MODEL_LEVEL_DEFAULTS[o.model as FaceModelName] as (typeof MODEL_LEVEL_DEFAULTS)[FaceModelName] | undefined;
  if (levels && options.proxyLevels === undefined) o.proxyLevels = levels.proxyLevels;
  if (levels && options.meshLevels === undefined) o.meshLevels = levels.meshLevels;
  o.allFaces = Boolean(o.allFaces);
  o.keepIntermediates = Boolean(o.keepIntermediates);
  if (typeof o.detail === 'object' && o.detail !== null) {
    throw new FaceDetailError('INVALID_OPTION', `detail is now the detail method (${DETAIL_METHODS.map((m) => `'${m}'`).join(', ')}); pass the solver parameters as sfs: {…} instead`);
  }
  const values = o as unknown as Record<string, unknown>;
  for (const spec of RECONSTRUCT_SPECS) {
    // An option without a default (focalLength35mm) may stay unset.
    if (!(spec.default === undefined && values[spec.name] === undefined)) checkOption(spec, values[spec.name]);
  }
  if (o.meshLevels < o.proxyLevels) throw invalidOption('meshLevels', `at least proxyLevels (${o.proxyLevels})`, o.meshLevels);
  if (o.rig !== 'none' && o.model !== 'ict') {
    throw new FaceDetailError('INVALID_OPTION', `rig '${o.rig}' needs model 'ict' (the face mesh has no expression shapes), got model '${o.model}'.`);
  }
  return o;
}

import { FaceDetailError } from '../errors.js';
import { EMOTION_PRIOR_MODES, ICT_HEAD_PARTS } from '../model/ict-types.js';
import { DETAIL_METHODS, FACE_MODELS, RIG_MODES, type FaceModelName, type ReconstructOptions } from './types.js';

/** Defaults of {@link ReconstructOptions}. */
export const RECONSTRUCT_DEFAULTS: Readonly<ReconstructOptions> = Object.freeze({
  textureResolution: 1024,
  detailResolution: 1024,
  detailStrength: 1,
  allFaces: false,
  proxyLevels: 3,
  meshLevels: 4,
  focalLength35mm: undefined,
  interocularMm: 63,
  model: 'facemesh',
  // 'none', as ICT_FIT_DEFAULTS.emotionPrior (the numbers are there: bench:proxy).
  emotionPrior: 'none',
  head: 'full',
  rig: 'none',
  detail: 'dfdn',
  sfs: {},
  keepIntermediates: false,
});

/**
 * Default Loop subdivision levels per face model (used when `proxyLevels` / `meshLevels` are not
 * given): the face mesh (468 vertices) 3 / 4 → 28k / 113k vertices; the ICT narrow face (6,706
 * vertices) 1 / 2 → 26.6k / 106k vertices, i.e. the same densities.
 */
export const MODEL_LEVEL_DEFAULTS: Readonly<Record<FaceModelName, { proxyLevels: number; meshLevels: number }>> = Object.freeze({
  facemesh: { proxyLevels: 3, meshLevels: 4 },
  ict: { proxyLevels: 1, meshLevels: 2 },
});

/** Merge user options with the defaults, validating each (public boundary). */
export function resolveOptions(options: Partial<ReconstructOptions> = {}): ReconstructOptions {
  const o: ReconstructOptions = { ...RECONSTRUCT_DEFAULTS };
  for (const [k, v] of Object.entries(options)) if (v !== undefined) (o as unknown as Record<string, unknown>)[k] = v;
  // Per-model subdivision defaults, unless given: similar vertex counts for both models.
  const levels = MODEL_LEVEL_DEFAULTS[o.model as FaceModelName] as (typeof MODEL_LEVEL_DEFAULTS)[FaceModelName] | undefined;
  if (levels && options.proxyLevels === undefined) o.proxyLevels = levels.proxyLevels;
  if (levels && options.meshLevels === undefined) o.meshLevels = levels.meshLevels;
  const int = (name: keyof ReconstructOptions, lo: number, hi: number): void => {
    const v = o[name];
    if (typeof v !== 'number' || !Number.isInteger(v) || v < lo || v > hi) {
      throw new FaceDetailError('INVALID_OPTION', `${name} must be an integer from ${lo} to ${hi}, got ${String(v)}`);
    }
  };
  int('textureResolution', 64, 4096);
  int('detailResolution', 512, 2048);
  int('proxyLevels', 1, 4);
  int('meshLevels', 1, 5);
  if (!(typeof o.detailStrength === 'number' && o.detailStrength >= 0 && o.detailStrength <= 10)) {
    throw new FaceDetailError('INVALID_OPTION', `detailStrength must be a number from 0 to 10, got ${String(o.detailStrength)}`);
  }
  if (!(typeof o.interocularMm === 'number' && o.interocularMm >= 40 && o.interocularMm <= 90)) {
    throw new FaceDetailError('INVALID_OPTION', `interocularMm must be from 40 to 90 mm, got ${String(o.interocularMm)}`);
  }
  if (o.focalLength35mm !== undefined && !(o.focalLength35mm > 1 && o.focalLength35mm < 2000)) {
    throw new FaceDetailError('INVALID_OPTION', `focalLength35mm must be from 1 to 2000 mm, got ${String(o.focalLength35mm)}`);
  }
  if (o.meshLevels < o.proxyLevels) {
    throw new FaceDetailError('INVALID_OPTION', `meshLevels (${o.meshLevels}) must be at least proxyLevels (${o.proxyLevels})`);
  }
  if (!(FACE_MODELS as readonly unknown[]).includes(o.model)) {
    throw new FaceDetailError('INVALID_OPTION', `model must be one of ${FACE_MODELS.map((m) => `'${m}'`).join(', ')}, got ${JSON.stringify(o.model)}`);
  }
  if (!(EMOTION_PRIOR_MODES as readonly unknown[]).includes(o.emotionPrior)) {
    throw new FaceDetailError('INVALID_OPTION', `emotionPrior must be one of ${EMOTION_PRIOR_MODES.map((m) => `'${m}'`).join(', ')}, got ${JSON.stringify(o.emotionPrior)}`);
  }
  if (!(ICT_HEAD_PARTS as readonly unknown[]).includes(o.head)) {
    throw new FaceDetailError('INVALID_OPTION', `head must be one of ${ICT_HEAD_PARTS.map((m) => `'${m}'`).join(', ')}, got ${JSON.stringify(o.head)}`);
  }
  if (!(RIG_MODES as readonly unknown[]).includes(o.rig)) {
    throw new FaceDetailError('INVALID_OPTION', `rig must be one of ${RIG_MODES.map((m) => `'${m}'`).join(', ')}, got ${JSON.stringify(o.rig)}`);
  }
  if (o.rig !== 'none' && o.model !== 'ict') {
    throw new FaceDetailError('INVALID_OPTION', `rig '${o.rig}' needs model 'ict' (the face mesh has no expression shapes), got model '${o.model}'`);
  }
  o.allFaces = Boolean(o.allFaces);
  o.keepIntermediates = Boolean(o.keepIntermediates);
  if (typeof o.detail === 'object' && o.detail !== null) {
    throw new FaceDetailError('INVALID_OPTION', `detail is now the detail method (${DETAIL_METHODS.map((m) => `'${m}'`).join(', ')}); pass the solver parameters as sfs: {…} instead`);
  }
  if (!(DETAIL_METHODS as readonly unknown[]).includes(o.detail)) {
    throw new FaceDetailError('INVALID_OPTION', `detail must be one of ${DETAIL_METHODS.map((m) => `'${m}'`).join(', ')}, got ${JSON.stringify(o.detail)}`);
  }
  if (typeof o.sfs !== 'object' || o.sfs === null) throw new FaceDetailError('INVALID_OPTION', `sfs must be an object of detail-solver options, got ${String(o.sfs)}`);
  return o;
}

import { FaceDetailError } from '../errors.js';
import type { ReconstructOptions } from './types.js';

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
  detail: {},
  keepIntermediates: false,
});

/** Merge user options with the defaults, validating each (public boundary). */
export function resolveOptions(options: Partial<ReconstructOptions> = {}): ReconstructOptions {
  const o: ReconstructOptions = { ...RECONSTRUCT_DEFAULTS };
  for (const [k, v] of Object.entries(options)) if (v !== undefined) (o as unknown as Record<string, unknown>)[k] = v;
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
  o.allFaces = Boolean(o.allFaces);
  o.keepIntermediates = Boolean(o.keepIntermediates);
  if (typeof o.detail !== 'object' || o.detail === null) throw new FaceDetailError('INVALID_OPTION', `detail must be an object of detail-solver options, got ${String(o.detail)}`);
  return o;
}

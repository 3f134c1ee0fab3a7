/**
 * Option handling shared by every stage and entry point: one defaults merge that ignores
 * `undefined` ({@link assignDefaults}) and one validation helper with one message style
 * ({@link checkOption}: `<name> must be <expected>, got <value>.`, error code `INVALID_OPTION`).
 */
import { FaceDetailError } from './errors.js';

/** Kinds of option values {@link checkOption} knows. */
export type OptionType = 'integer' | 'number' | 'boolean' | 'choice' | 'list' | 'string' | 'object';

/** What a valid value of one option is. */
export interface OptionRule {
  /** The name used in messages (a library option name, or a CLI flag such as `--detail-res`). */
  name: string;
  type: OptionType;
  /** Smallest valid value (`integer`, `number`). */
  min?: number;
  /** Largest valid value (`integer`, `number`); absent: no upper bound. */
  max?: number;
  /** `number` only: `min` and `max` themselves are invalid. */
  exclusive?: boolean;
  /** Unit shown after the range in messages (`mm`). */
  unit?: string;
  /** Valid values (`choice`), or valid items (`list`). */
  choices?: readonly string[];
  /** `object` / `string`: what is expected, in words (`an object of detail-solver options`). */
  expected?: string;
}

/**
 * The expected value of a rule, in words (the middle of {@link checkOption}'s message).
 *
 * @example
 * expectation({ name: 'detailResolution', type: 'integer', min: 512, max: 2048 }) // 'an integer from 512 to 2048'
 */
export function expectation(rule: OptionRule): string {
  const unit = rule.unit ? ` ${rule.unit}` : '';
  const bounded = rule.max !== undefined && rule.max < Number.MAX_SAFE_INTEGER;
  switch (rule.type) {
    case 'integer':
      return bounded ? `an integer from ${rule.min ?? -Infinity} to ${rule.max}${unit}` : `an integer ≥ ${rule.min ?? -Infinity}${unit}`;
    case 'number':
      if (!bounded) return `a number ${rule.exclusive ? '>' : '≥'} ${rule.min ?? -Infinity}${unit}`;
      return rule.exclusive ? `a number strictly between ${rule.min} and ${rule.max}${unit}` : `a number from ${rule.min} to ${rule.max}${unit}`;
    case 'boolean':
      return 'true or false';
    case 'choice':
      return `one of ${(rule.choices ?? []).map((c) => `'${c}'`).join(', ')}`;
    case 'list':
      return `a non-empty list of ${(rule.choices ?? []).join(', ')}`;
    case 'string':
      return rule.expected ?? 'a non-empty string';
    case 'object':
      return rule.expected ?? 'an object';
  }
}

/** True when `value` is valid for `rule`. */
function isValid(rule: OptionRule, value: unknown): boolean {
  switch (rule.type) {
    case 'integer':
    case 'number': {
      if (typeof value !== 'number' || Number.isNaN(value) || (rule.type === 'integer' && !Number.isInteger(value))) return false;
      const lo = rule.min ?? -Infinity, hi = rule.max ?? Infinity;
      return rule.exclusive ? value > lo && value < hi : value >= lo && value <= hi;
    }
    case 'boolean':
      return typeof value === 'boolean';
    case 'choice':
      return typeof value === 'string' && (rule.choices ?? []).includes(value);
    case 'list':
      return Array.isArray(value) && value.length > 0 && value.every((v) => typeof v === 'string' && (rule.choices ?? []).includes(v));
    case 'string':
      return typeof value === 'string' && value !== '';
    case 'object':
      return typeof value === 'object' && value !== null && !Array.isArray(value);
  }
}

/**
 * A value as it appears in messages: strings quoted, arrays and plain objects as JSON (cut at
 * 80 characters), class instances by their class name.
 *
 * @example
 * describeValue('x') // '"x"'
 */
export function describeValue(v: unknown): string {
  if (v === null || v === undefined || typeof v === 'number' || typeof v === 'boolean' || typeof v === 'bigint') return String(v);
  if (typeof v === 'string') return JSON.stringify(v);
  if (typeof v === 'function') return 'a function';
  if (typeof v === 'symbol') return v.toString();
  const proto = Object.getPrototypeOf(v) as unknown;
  if (Array.isArray(v) || proto === Object.prototype || proto === null) {
    let s: string;
    try { s = JSON.stringify(v) ?? String(v); } catch { s = Array.isArray(v) ? 'an array' : 'an object'; }
    return s.length > 80 ? `${s.slice(0, 79)}…` : s;
  }
  return (v as { constructor?: { name?: string } }).constructor?.name ?? 'an object';
}

/**
 * The `INVALID_OPTION` error of the project's one message style: `<name> must be <expected>, got <value>.`
 *
 * @example
 * throw invalidOption('--format', 'a non-empty list of glb, obj, ply', 'fbx');
 */
export function invalidOption(name: string, expected: string, got: unknown): FaceDetailError {
  return new FaceDetailError('INVALID_OPTION', `${name} must be ${expected}, got ${describeValue(got)}.`);
}

/**
 * Check one option value against its rule; returns it unchanged, or throws `INVALID_OPTION`
 * naming the option (`label`, default the rule's name), what was expected and what was received.
 *
 * @example
 * checkOption({ name: 'detailResolution', type: 'integer', min: 512, max: 2048 }, 99)
 * // throws FaceDetailError INVALID_OPTION: 'detailResolution must be an integer from 512 to 2048, got 99.'
 */
export function checkOption<T>(rule: OptionRule, value: T, label: string = rule.name): T {
  if (!isValid(rule, value)) throw invalidOption(label, expectation(rule), value);
  return value;
}

/**
 * The defaults with the given options on top, ignoring options that are `undefined` (so
 * `{ x: undefined }` never overrides a default). A new object; neither argument is changed.
 *
 * @example
 * assignDefaults({ a: 1, b: 2 }, { a: undefined, b: 3 }) // { a: 1, b: 3 }
 */
export function assignDefaults<T extends object>(defaults: Readonly<T>, options: Partial<T> | undefined = {}): T {
  const out = { ...defaults } as T;
  for (const [k, v] of Object.entries(options)) if (v !== undefined) (out as Record<string, unknown>)[k] = v;
  return out;
}

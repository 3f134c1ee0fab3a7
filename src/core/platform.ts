/**
 * What the core takes from its platform: the two Web-platform globals it uses, typed without DOM
 * or Node type libraries (both exist in browsers, workers and Node ≥ 18), and the {@link Logger}
 * interface the adapters inject.
 */
interface PlatformGlobals {
  performance?: { now(): number };
  TextEncoder?: new () => { encode(s: string): Uint8Array };
}
const g = globalThis as unknown as PlatformGlobals;

/** Milliseconds from a monotonic clock (performance.now, else Date.now). */
export const now: () => number = g.performance ? () => g.performance!.now() : () => Date.now();

/** UTF-8 encode a string. */
export function utf8(s: string): Uint8Array {
  if (!g.TextEncoder) throw new Error('TextEncoder is not available on this platform');
  return new g.TextEncoder().encode(s);
}

/** Logger injected into the core (the core never calls `console`). */
export interface Logger {
  debug(message: string): void;
  info(message: string): void;
  warn(message: string): void;
  error(message: string): void;
}

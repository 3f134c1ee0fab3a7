/**
 * Typed errors. Every failure a user can meet carries a stable `code` and a message that says
 * what to do about it.
 *
 * @example
 * try { await rec.reconstruct(bytes) } catch (e) {
 *   if (e instanceof FaceDetailError && e.code === 'NO_FACE') console.log('no face in that photo');
 * }
 */
export type FaceDetailErrorCode =
  | 'NO_FACE'
  | 'UNSUPPORTED_IMAGE'
  | 'CORRUPT_IMAGE'
  | 'IMAGE_TOO_LARGE'
  | 'IMAGE_TOO_SMALL'
  | 'INVALID_OPTION'
  | 'INVALID_INPUT'
  | 'MODEL_CACHE_INVALID'
  | 'MODEL_LOAD_FAILED'
  | 'DEPENDENCY_MISSING'
  | 'IO_ERROR'
  | 'DISPOSED'
  | 'INTERNAL';

export class FaceDetailError extends Error {
  readonly code: FaceDetailErrorCode;
  override readonly cause?: unknown;
  constructor(code: FaceDetailErrorCode, message: string, options?: { cause?: unknown }) {
    super(message);
    this.name = 'FaceDetailError';
    this.code = code;
    if (options?.cause !== undefined) this.cause = options.cause;
  }
}

/** True when `e` is a {@link FaceDetailError}, optionally with the given code. */
export function isFaceDetailError(e: unknown, code?: FaceDetailErrorCode): e is FaceDetailError {
  return e instanceof FaceDetailError && (code === undefined || e.code === code);
}

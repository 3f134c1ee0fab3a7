/**
 * The options of `decodeImage` and their defaults, in a module of their own with no
 * dependencies but the option table, so the CLI can show them (`--help`) without loading the
 * image decoder.
 */
import { OPTION_TABLE } from '../core/pipeline/option-table.js';

/** Options of {@link decodeImage}. */
export interface DecodeImageOptions {
  /**
   * Largest accepted pixel count (width × height, read from the file header before decoding, a
   * guard against decompression bombs). Default 50e6 (50 megapixels; decoding that many pixels
   * takes about 750 MB of memory).
   */
  maxPixels?: number;
  /** Smallest accepted short side in pixels. Default 64. */
  minSize?: number;
  /**
   * Largest accepted input size in bytes (a file's size, checked before it is read, or the
   * length of the given bytes). Default 256 MiB. Only regular files are read: a device
   * (`/dev/zero`), a FIFO or a socket is an `IO_ERROR`, never a read that does not end.
   */
  maxBytes?: number;
  /**
   * Images whose long side exceeds this many pixels are downscaled to it while decoding (JPEG
   * shrink-on-load, then Lanczos), before analysis: a face rarely needs more than ~2k px, and a
   * 50 MP photo would otherwise take over 1 GB. Default 4096. The scale is reported as
   * {@link DecodedImage.scale}; the camera (35 mm-equivalent focal length) is unaffected.
   */
  maxDimension?: number;
}

/** Defaults of {@link DecodeImageOptions} (the guards' from the option table, `option-table.ts`). */
export const DECODE_DEFAULTS: Readonly<Required<DecodeImageOptions>> = Object.freeze({
  maxPixels: OPTION_TABLE.maxPixels.default,
  minSize: 64,
  maxBytes: OPTION_TABLE.maxBytes.default,
  maxDimension: OPTION_TABLE.maxDimension.default,
});


import { now } from '../platform.js';
import type { ProgressCallback, StageName } from './types.js';

/** Runs one named stage: reports its start and end (with its ms) and resolves with its result. */
export type StageTimer = <T>(stage: StageName, f: () => T | Promise<T>, faceIndex?: number) => Promise<T>;

/**
 * The one stage timer of every orchestrator (the core's per-face pipeline, the Node
 * reconstructor, the CLI, the queue worker, the web worker): before the stage it reports
 * `{ stage, done: false, faceIndex? }`, after it `{ stage, done: true, faceIndex?, ms }` (the
 * `faceIndex` key only when a face is given), and `onDone` receives the stage's ms.
 *
 * @example
 * const timed = createStageTimer(onProgress, (stage, ms) => { timings[stage] = ms; });
 * const decoded = await timed('decode', () => decodeImage(path));
 */
export function createStageTimer(onProgress?: ProgressCallback, onDone?: (stage: StageName, ms: number, faceIndex: number | undefined) => void): StageTimer {
  return async (stage, f, faceIndex) => {
    onProgress?.(faceIndex === undefined ? { stage, done: false } : { stage, done: false, faceIndex });
    const t0 = now();
    const r = await f();
    const ms = now() - t0;
    onDone?.(stage, ms, faceIndex);
    onProgress?.(faceIndex === undefined ? { stage, done: true, ms } : { stage, done: true, faceIndex, ms });
    return r;
  };
}

/**
 * The worker thread of `createWorkerFaceJobs`: runs each posted job with the core's own
 * function and posts the result back, its buffers transferred (this thread keeps nothing).
 */
import { parentPort } from 'node:worker_threads';
import { runBlockedShading, runFinalAlbedo, type BlockedShadingJob, type FinalAlbedo, type FinalAlbedoJob } from '../core/lighting/final-albedo.js';
import type { OcclusionField } from '../core/lighting/visibility.js';
import { runOcclusion, type OcclusionJob } from '../core/pipeline/face-jobs.js';
import { runMembrane, type MembraneJob } from '../core/unwrap/fill.js';

/** A job posted to the thread. */
export type FaceJobMessage =
  | { id: number; kind: 'finalAlbedo'; job: FinalAlbedoJob }
  | { id: number; kind: 'blockedShading'; job: BlockedShadingJob }
  | { id: number; kind: 'occlusion'; job: OcclusionJob }
  | { id: number; kind: 'membrane'; job: MembraneJob };

/** The thread's answer to a {@link FaceJobMessage}. */
export type FaceJobReply = { id: number; ok: true; result: FaceJobResult } | { id: number; ok: false; message: string; code?: string };

/** What a job returns. */
type FaceJobResult = FinalAlbedo | OcclusionField | Float32Array;

/** The distinct buffers of a result's arrays (transferred, not copied). */
const buffersOf = (...arrays: ArrayBufferView[]): ArrayBuffer[] => [...new Set(arrays.map((a) => a.buffer as ArrayBuffer))];

function run(m: FaceJobMessage): { result: FaceJobResult; buffers: ArrayBuffer[] } {
  switch (m.kind) {
    case 'finalAlbedo': {
      const r = runFinalAlbedo(m.job);
      return { result: r, buffers: buffersOf(r.linear.data, r.srgb.data) };
    }
    case 'blockedShading': {
      const r = runBlockedShading(m.job);
      return { result: r, buffers: buffersOf(r) };
    }
    case 'membrane': {
      const r = runMembrane(m.job);
      return { result: r, buffers: buffersOf(r) };
    }
    case 'occlusion': {
      const r = runOcclusion(m.job);
      return { result: r, buffers: buffersOf(r.blocked, r.valid) };
    }
  }
}

const port = parentPort;
if (port) {
  port.on('message', (m: FaceJobMessage) => {
    try {
      const { result, buffers } = run(m);
      port.postMessage({ id: m.id, ok: true, result } satisfies FaceJobReply, buffers);
    } catch (e) {
      const err = e as Error & { code?: string };
      port.postMessage({ id: m.id, ok: false, message: err.message, ...(typeof err.code === 'string' ? { code: err.code } : {}) } satisfies FaceJobReply);
    }
  });
}

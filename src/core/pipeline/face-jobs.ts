import { runBlockedShading, runFinalAlbedo, type BlockedShadingJob, type FinalAlbedo, type FinalAlbedoJob } from '../lighting/final-albedo.js';
import { runMembrane, type MembraneJob } from '../unwrap/fill.js';
import { computeOcclusion, type OcclusionField, type OcclusionOptions, type OcclusionReceivers } from '../lighting/visibility.js';

/** One {@link computeOcclusion} call as plain data (typed arrays and numbers only). */
export interface OcclusionJob {
  geom: OcclusionReceivers;
  occluder: { positions: Float32Array; indices: Uint32Array };
  options: Partial<OcclusionOptions>;
}

/** Run an {@link OcclusionJob}: exactly {@link computeOcclusion} on its fields. */
export function runOcclusion(job: OcclusionJob): OcclusionField {
  return computeOcclusion(job.geom, job.occluder, job.options);
}

/**
 * Jobs of the per-face pipeline that an adapter may run on another thread while the pipeline
 * goes on (Node: a worker thread, `createWorkerFaceJobs`). Each job is plain data and each
 * runner must return exactly what the inline function returns (the same code on the same
 * floats): where the work runs changes the timing, never the result.
 *
 * - `occlusion`: the proxy's visibility for the lighting fit ({@link runOcclusion}); the
 *   `unwrap` stage resamples the photo meanwhile.
 * - `membrane`: the membrane fill of the texels the photo did not show ({@link runMembrane});
 *   the lighting is fitted meanwhile (it reads the seen texels only).
 * - `blockedShading`: the light the proxy blocks at texture resolution, for the final albedo
 *   ({@link runBlockedShading}); the `detail` stage runs meanwhile.
 * - `finalAlbedo`: the texture divided by the detailed shading, then the lightness equalisation
 *   ({@link runFinalAlbedo}); the `mesh` stage builds the detailed mesh and its normal maps
 *   meanwhile.
 */
export interface FaceJobs {
  occlusion(job: OcclusionJob): Promise<OcclusionField>;
  membrane(job: MembraneJob): Promise<Float32Array>;
  blockedShading(job: BlockedShadingJob): Promise<Float32Array>;
  finalAlbedo(job: FinalAlbedoJob): Promise<FinalAlbedo>;
}

/** The jobs run inline on the calling thread (the default; the browser's pipeline worker). */
export const INLINE_FACE_JOBS: FaceJobs = Object.freeze({
  occlusion: async (job: OcclusionJob): Promise<OcclusionField> => runOcclusion(job),
  membrane: async (job: MembraneJob): Promise<Float32Array> => runMembrane(job),
  blockedShading: async (job: BlockedShadingJob): Promise<Float32Array> => runBlockedShading(job),
  finalAlbedo: async (job: FinalAlbedoJob): Promise<FinalAlbedo> => runFinalAlbedo(job),
});

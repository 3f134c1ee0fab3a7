import { FaceDetailError } from '../errors.js';
import type { DenseProxy } from '../model/build-proxy.js';
import type { Camera, Image } from '../types.js';
import { rasterizeAttribute, rasterizeUV } from './rasterize-uv.js';
import { type MembraneJob, prepareFill } from './fill.js';
import { unwrapTexture, type UnwrapResult } from './unwrap-texture.js';
import type { UVGeometry } from './uv-geometry.js';

/** The photo unwrapped at one resolution, with the UV geometry it was unwrapped on. */
export interface FaceUnwrap extends UnwrapResult {
  geom: UVGeometry;
}

/** The dense proxy rasterized in UV space at one map size: its UV geometry and each texel's mirror (u, v). */
export interface FaceCharts {
  geom: UVGeometry;
  mirrorUV: Float32Array;
}

/**
 * The first half of the `unwrap` stage: rasterize the dense proxy in UV space (`res` × `res`)
 * and its per-vertex mirror UVs (what the visibility and the texture both need).
 *
 * @example
 * const charts = rasterizeFace(proxy, 1024);
 */
export function rasterizeFace(proxy: DenseProxy, res: number): FaceCharts {
  const geom = rasterizeUV(proxy.mesh, res, res);
  return { geom, mirrorUV: rasterizeAttribute(geom, proxy.mesh, proxy.mirrorUV, 2) };
}

/**
 * The photo unwrapped at one size, all but its membrane fill ({@link unwrapFaceDeferred}):
 * `texture` is final wherever `confidence` > 0; `membrane` completes it ({@link completeUnwrap}).
 */
export interface DeferredUnwrap extends UnwrapResult {
  geom: UVGeometry;
  membrane: MembraneJob;
}

/**
 * The `unwrap` stage at one map size, but for its last step: rasterize the dense proxy in UV space
 * (`res` × `res`), resample the photo into it, give unseen texels their mirror texel, and leave
 * the membrane fill of the rest as a job, so that the lighting fit (which reads only texels of
 * non-zero confidence) can run while another thread solves it. `completeUnwrap(d,
 * runMembrane(d.membrane))` is the finished texture.
 *
 * `charts`: this proxy's {@link rasterizeFace} at `res` when already made.
 *
 * @example
 * const d = unwrapFaceDeferred(image, camera, proxy, 1024, charts);
 * const tex = completeUnwrap(d, await jobs.membrane(d.membrane));
 */
export function unwrapFaceDeferred(image: Image, camera: Camera, proxy: DenseProxy, res: number, charts: FaceCharts = rasterizeFace(proxy, res)): DeferredUnwrap {
  const { geom, mirrorUV } = charts;
  if (geom.width !== res || geom.height !== res) throw new FaceDetailError('INTERNAL', `unwrapFaceDeferred: charts of ${geom.width}×${geom.height} for a ${res}² map`);
  const raw = unwrapTexture(image, camera, proxy.mesh, geom, { mirrorUV, fill: false });
  const p = prepareFill(raw.texture, raw.confidence.data, geom.coverage, mirrorUV);
  return { geom, texture: p.blended, confidence: p.confidence, observed: raw.observed, source: p.source, membrane: p.membrane };
}

/** The {@link FaceUnwrap} of a {@link DeferredUnwrap} once its membrane is solved (`filled` = `runMembrane(d.membrane)`). */
export function completeUnwrap(d: DeferredUnwrap, filled: Float32Array): FaceUnwrap {
  const { texture: t, confidence, observed, source, geom } = d;
  if (filled.length !== t.data.length) throw new FaceDetailError('INTERNAL', `completeUnwrap: ${filled.length} filled values for a ${t.width}×${t.height}×${t.channels} texture`);
  return { geom, texture: { width: t.width, height: t.height, channels: t.channels, data: filled }, confidence, observed, source };
}

/**
 * The proxy surface rasterized in UV space: for every texel whose centre the mesh covers, the
 * surface point, normal and local UV→surface Jacobian in the camera frame (mm). Produced by
 * `rasterizeUV()` (unwrap stage), consumed by unwrapping, lighting and detail.
 */
export interface UVGeometry {
  width: number;
  height: number;
  /** 1 where a texel centre lies inside some triangle of the mesh in UV space, else 0. */
  coverage: Uint8Array;
  /** Triangle index per texel, -1 where not covered. */
  triangle: Int32Array;
  /** Surface point per texel, camera frame, mm (xyz). 0 where not covered. */
  position: Float32Array;
  /** Unit surface normal per texel (interpolated vertex normals), camera frame, pointing out of the face (toward the camera for a frontal face, i.e. negative z). */
  normal: Float32Array;
  /** ∂P/∂(texel step along +u), mm per texel, camera frame (xyz), per texel (constant per triangle). */
  dPdu: Float32Array;
  /** ∂P/∂(texel step along +v), mm per texel (v points down the map), camera frame (xyz). */
  dPdv: Float32Array;
  /**
   * Barycentric weights (b0, b1, b2) per texel of the covering triangle's vertices
   * `indices[3t]`, `indices[3t+1]`, `indices[3t+2]` (sum 1), 0 where not covered. Optional: filled
   * by `rasterizeUV()`; `rasterizeAttribute()` recomputes them from the UVs when absent.
   */
  bary?: Float32Array;
}

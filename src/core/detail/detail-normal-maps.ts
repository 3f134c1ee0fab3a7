import type { Image, Mesh } from '../types.js';
import { rasterizeAttribute, uvFrame } from '../unwrap/rasterize-uv.js';
import type { UVGeometry } from '../unwrap/uv-geometry.js';
import { encodeTangentNormalMap } from './normal-map.js';

/**
 * The two tangent-space normal maps of the detail (a job of the `mesh` stage): `normal`
 * relative to the smooth proxy (for the proxy and low-poly meshes), and `residual` relative to
 * the detailed mesh (what its geometry cannot resolve: the one embedded in the GLB, so the detail
 * is not applied twice).
 *
 * @example
 * const { normal, residual } = detailNormalMaps(detail.normals, det.geom, proxy.mesh, detailed);
 */
export function detailNormalMaps(normals: Float32Array, proxyGeom: UVGeometry, proxy: Mesh, detailed: Mesh): { normal: Image; residual: Image } {
  const D = proxyGeom.width;
  const proxyFrame = { tangent: rasterizeAttribute(proxyGeom, proxy, proxy.tangents!, 4), normal: proxyGeom.normal };
  const normal = encodeTangentNormalMap(normals, proxyFrame, proxyGeom.coverage);
  const residualFrame = uvFrame(detailed, D, D);
  const residual = encodeTangentNormalMap(normals, residualFrame, residualFrame.coverage);
  return { normal, residual };
}

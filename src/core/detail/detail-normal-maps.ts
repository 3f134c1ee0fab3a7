import type { Image, Mesh } from '../types.js';
import { forEachFrameTexel, rasterizeAttribute } from '../unwrap/rasterize-uv.js';
import type { UVGeometry } from '../unwrap/uv-geometry.js';
import { encodeNormalTexel, encodeTangentNormalMap } from './normal-map.js';

/**
 * The two tangent-space normal maps of the detail (a job of the `mesh` stage): `normal`
 * relative to the smooth proxy (for the proxy and low-poly meshes), and `residual` relative to
 * the detailed mesh (what its geometry cannot resolve: the one embedded in the GLB, so the detail
 * is not applied twice). Both are {@link encodeTangentNormalMap} of the frames it would be given
 * (the proxy's rasterized tangents with `proxyGeom.normal`; `uvFrame(detailed)`), encoded texel
 * by texel as the frames are interpolated instead of from frame arrays (the same values: ~50 MB of
 * arrays and two passes fewer).
 *
 * @example
 * const { normal, residual } = detailNormalMaps(detail.normals, det.geom, proxy.mesh, detailed);
 */
export function detailNormalMaps(normals: Float32Array, proxyGeom: UVGeometry, proxy: Mesh, detailed: Mesh): { normal: Image; residual: Image } {
  const D = proxyGeom.width;
  const normal = proxyGeom.bary && proxyGeom.height === D
    ? proxyNormalMap(normals, proxyGeom, proxy)
    : encodeTangentNormalMap(normals, { tangent: rasterizeAttribute(proxyGeom, proxy, proxy.tangents!, 4), normal: proxyGeom.normal }, proxyGeom.coverage);
  const residual = flatMap(D);
  forEachFrameTexel(detailed, D, D, (k, f) => encodeNormalTexel(normals, k, f, residual.data));
  return { normal, residual };
}

/** A D×D normal map, flat (0.5, 0.5, 1) everywhere: what the encoder writes off the coverage. */
function flatMap(D: number): Image {
  const data = new Float32Array(3 * D * D);
  for (let k = 0; k < data.length; k += 3) { data[k] = 0.5; data[k + 1] = 0.5; data[k + 2] = 1; }
  return { width: D, height: D, channels: 3, data };
}

/** The proxy's map: its tangents interpolated per covered texel as {@link rasterizeAttribute} does (float32 barycentrics, float32 result). */
function proxyNormalMap(normals: Float32Array, geom: UVGeometry, proxy: Mesh): Image {
  const img = flatMap(geom.width);
  const { coverage, triangle, normal: nm } = geom, bary = geom.bary!, tg = proxy.tangents!, I = proxy.indices;
  const f = new Float32Array(7);
  for (let k = 0; k < coverage.length; k++) {
    if (coverage[k] === 0) continue;
    const t = triangle[k]!;
    const k3 = 3 * k;
    f[0] = nm[k3]!; f[1] = nm[k3 + 1]!; f[2] = nm[k3 + 2]!;
    if (t < 0) {
      f[3] = 0; f[4] = 0; f[5] = 0; f[6] = 0;
    } else {
      const a0 = 4 * I[3 * t]!, a1 = 4 * I[3 * t + 1]!, a2 = 4 * I[3 * t + 2]!;
      const b0 = bary[k3]!, b1 = bary[k3 + 1]!, b2 = bary[k3 + 2]!;
      for (let c = 0; c < 4; c++) f[3 + c] = b0 * tg[a0 + c]! + b1 * tg[a1 + c]! + b2 * tg[a2 + c]!;
    }
    encodeNormalTexel(normals, k, f, img.data);
  }
  return img;
}

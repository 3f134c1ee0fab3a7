import type { Image, Mesh } from '../types.js';
import { displaceMesh } from './displace.js';
import { computeVertexNormals } from './normals.js';
import { loopSubdivide } from './subdivide.js';
import { computeTangents } from './tangents.js';

/** The meshes of {@link buildDetailedMesh}. */
export interface DetailedMeshes {
  /** The proxy subdivided to the export level, undisplaced, with vertex normals. */
  smooth: Mesh;
  /** `smooth` displaced along its normals by the displacement map, normals and tangents recomputed. */
  detailed: Mesh;
}

/**
 * The detailed mesh (first job of the `mesh` stage): the proxy subdivided `extraLevels` more
 * times (positions and UVs only; normals and tangents are recomputed after displacement), then
 * displaced by the displacement map (mm, along the smooth normal).
 *
 * @example
 * const { smooth, detailed } = buildDetailedMesh(proxy.mesh, displacement, options.meshLevels - options.proxyLevels);
 */
export function buildDetailedMesh(proxy: Mesh, displacement: Image, extraLevels: number): DetailedMeshes {
  const fine = extraLevels > 0 ? loopSubdivide({ positions: proxy.positions, indices: proxy.indices, uvs: proxy.uvs! }, extraLevels).mesh : proxy;
  const smooth: Mesh = { ...fine, normals: computeVertexNormals(fine.positions, fine.indices) };
  const detailed = displaceMesh(smooth, displacement, { strength: 1 });
  if (!detailed.tangents) detailed.tangents = computeTangents(detailed.positions, detailed.normals!, detailed.uvs!, detailed.indices);
  return { smooth, detailed };
}

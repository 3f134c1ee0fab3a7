import type { FaceModelTopology } from './face-model.js';
import type { Mesh } from '../types.js';
import { computeVertexNormals } from '../mesh/normals.js';
import { loopSubdivide } from '../mesh/subdivide.js';
import { computeTangents } from '../mesh/tangents.js';

/** The dense proxy of {@link buildProxy}: the mesh (with normals and tangents) and each vertex's mirror UV. */
export interface DenseProxy {
  /** The fitted model surface, Loop-subdivided, camera frame (mm), with normals and tangents. */
  mesh: Mesh;
  /** Per vertex, the UV of its mirror point (u, v interleaved): unseen texels take their symmetric texel. */
  mirrorUV: Float32Array;
}

/**
 * The `proxy` stage: the fitted base mesh subdivided `levels` times (Loop), with vertex normals
 * and tangents; each vertex's mirror UV is carried through the subdivision so that texels know
 * their symmetric texel.
 *
 * @example
 * const proxy = buildProxy(model.topology, fit.positions, 3); // the face mesh: 468 → 28.7k vertices
 */
export function buildProxy(topo: FaceModelTopology, positions: Float32Array, levels: number): DenseProxy {
  const mirrorUV = new Float32Array(topo.vertexCount * 2);
  for (let i = 0; i < topo.vertexCount; i++) {
    const m = topo.mirror[i]!;
    mirrorUV[2 * i] = topo.uvs[2 * m]!;
    mirrorUV[2 * i + 1] = topo.uvs[2 * m + 1]!;
  }
  const base: Mesh = { positions, indices: topo.indices, uvs: topo.uvs };
  const dense = loopSubdivide(base, levels, { attributes: [{ data: mirrorUV, size: 2 }] });
  const normals = computeVertexNormals(dense.mesh.positions, dense.mesh.indices);
  const mesh: Mesh = { ...dense.mesh, normals };
  mesh.tangents = computeTangents(mesh.positions, normals, mesh.uvs!, mesh.indices);
  return { mesh, mirrorUV: dense.attributes[0]! };
}

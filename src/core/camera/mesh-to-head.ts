import type { Mesh, Pose } from '../types.js';
import { cameraToHead, rotateToHead } from './pose.js';

/**
 * A camera-frame mesh in the head frame (the last job of the `mesh` stage): positions moved,
 * normals and tangents rotated (the tangents' handedness kept); UVs and indices shared.
 *
 * @example
 * const headMesh = meshToHead(fit.pose, detailed);
 */
export function meshToHead(pose: Pose, m: Mesh): Mesh {
  const r: Mesh = { positions: cameraToHead(pose, m.positions), indices: m.indices };
  if (m.uvs) r.uvs = m.uvs;
  if (m.normals) r.normals = rotateToHead(pose, m.normals);
  if (m.tangents) r.tangents = rotateToHead(pose, m.tangents, 4);
  return r;
}

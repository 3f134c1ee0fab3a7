/**
 * Small mesh utilities: bounds, rigid/similarity transforms, winding flips and topology stats.
 */

import type { Mesh } from '../types.js';
import { buildEdgeTable } from './edges.js';

/**
 * Axis-aligned bounds of xyz-interleaved `positions`: `[minX, minY, minZ, maxX, maxY, maxZ]`
 * (same unit as the positions). Empty input gives `[+∞, +∞, +∞, −∞, −∞, −∞]`.
 *
 * @example computeBounds(mesh.positions); // e.g. [-75, -110, 380, 75, 90, 480] mm
 */
export function computeBounds(positions: Float32Array | Float64Array, out?: Float64Array): Float64Array {
  const b = out ?? new Float64Array(6);
  b[0] = b[1] = b[2] = Infinity;
  b[3] = b[4] = b[5] = -Infinity;
  for (let i = 0; i + 2 < positions.length; i += 3) {
    const x = positions[i]!, y = positions[i + 1]!, z = positions[i + 2]!;
    if (x < b[0]!) b[0] = x;
    if (y < b[1]!) b[1] = y;
    if (z < b[2]!) b[2] = z;
    if (x > b[3]!) b[3] = x;
    if (y > b[4]!) b[4] = y;
    if (z > b[5]!) b[5] = z;
  }
  return b;
}

/**
 * Similarity transform of xyz-interleaved points: `out_i = scale · R · p_i + t`, with `R`
 * row-major 3×3 and `t` in the output unit (mm). `out` may be `positions` itself (in place).
 * The same call with `t = [0, 0, 0]` and `scale = 1` rotates normals; for tangents (xyzw) use
 * a stride of 4 by passing `stride`.
 *
 * @example
 * // head frame → camera frame (Pose convention): p_cam = R · p_head + t
 * const cam = transformPositions(head, pose.rotation, pose.translation, 1);
 */
export function transformPositions(
  positions: Float32Array | Float64Array,
  R: ArrayLike<number>,
  t: ArrayLike<number>,
  scale: number,
  out?: Float32Array,
  stride = 3,
): Float32Array {
  const res = out ?? new Float32Array(positions.length);
  const r00 = scale * R[0]!, r01 = scale * R[1]!, r02 = scale * R[2]!;
  const r10 = scale * R[3]!, r11 = scale * R[4]!, r12 = scale * R[5]!;
  const r20 = scale * R[6]!, r21 = scale * R[7]!, r22 = scale * R[8]!;
  const tx = t[0]!, ty = t[1]!, tz = t[2]!;
  for (let i = 0; i + 2 < positions.length; i += stride) {
    const x = positions[i]!, y = positions[i + 1]!, z = positions[i + 2]!;
    res[i] = r00 * x + r01 * y + r02 * z + tx;
    res[i + 1] = r10 * x + r11 * y + r12 * z + ty;
    res[i + 2] = r20 * x + r21 * y + r22 * z + tz;
    for (let k = 3; k < stride; k++) res[i + k] = positions[i + k]!;
  }
  return res;
}

/**
 * Reverse the winding of every triangle (swap its 2nd and 3rd index), which flips the normal
 * direction of {@link computeVertexNormals}. Needed after a transform with negative determinant
 * (a mirror). `out` may be `indices` itself.
 *
 * @example const ccw = flipWinding(mesh.indices);
 */
export function flipWinding(indices: Uint32Array, out?: Uint32Array): Uint32Array {
  const res = out ?? new Uint32Array(indices.length);
  for (let i = 0; i + 2 < indices.length; i += 3) {
    const a = indices[i]!, b = indices[i + 1]!, c = indices[i + 2]!;
    res[i] = a; res[i + 1] = c; res[i + 2] = b;
  }
  return res;
}

/** Counts and measures of a mesh, from {@link meshStats}. */
export interface MeshStats {
  vertexCount: number;
  triangleCount: number;
  /** Unique undirected edges. */
  edgeCount: number;
  /** Edges used by exactly one triangle. */
  boundaryEdgeCount: number;
  /** Edges used by more than two triangles. */
  nonManifoldEdgeCount: number;
  /** Connected components of the boundary-edge graph (the face proxy: outer border, 2 eyes, mouth = 4). */
  boundaryLoopCount: number;
  /** V − E + F (counting only vertices used by some triangle). */
  eulerCharacteristic: number;
  /** Vertices not used by any triangle. */
  unusedVertexCount: number;
  /** Sum of triangle areas, in squared position units (mm²). */
  surfaceArea: number;
  /** `[minX, minY, minZ, maxX, maxY, maxZ]`. */
  bounds: Float64Array;
}

/**
 * Topology and size summary of a mesh, for tests, logs and `result.json`.
 *
 * @example meshStats(proxy).boundaryLoopCount; // 4 for the MediaPipe face mesh
 */
export function meshStats(mesh: Mesh): MeshStats {
  const P = mesh.positions, I = mesh.indices;
  const V = Math.floor(P.length / 3), T = Math.floor(I.length / 3);
  const et = buildEdgeTable(I, V);
  let boundaryEdgeCount = 0, nonManifoldEdgeCount = 0;
  // Union–find over boundary edges.
  const parent = new Int32Array(V).fill(-1);
  const find = (v: number): number => {
    let r = v;
    while (parent[r]! >= 0) r = parent[r]!;
    while (parent[v]! >= 0) { const n = parent[v]!; parent[v] = r; v = n; }
    return r;
  };
  const onBoundary = new Uint8Array(V);
  for (let e = 0; e < et.edgeCount; e++) {
    const f = et.faceCount[e]!;
    if (f > 2) nonManifoldEdgeCount++;
    if (f !== 1) continue;
    boundaryEdgeCount++;
    const a = et.vertices[2 * e]!, b = et.vertices[2 * e + 1]!;
    onBoundary[a] = 1; onBoundary[b] = 1;
    const ra = find(a), rb = find(b);
    if (ra !== rb) parent[ra] = rb;
  }
  let boundaryLoopCount = 0;
  for (let v = 0; v < V; v++) if (onBoundary[v] && parent[v]! < 0) boundaryLoopCount++;
  const used = new Uint8Array(V);
  let area = 0;
  for (let t = 0; t < 3 * T; t += 3) {
    const a = I[t]!, b = I[t + 1]!, c = I[t + 2]!;
    used[a] = used[b] = used[c] = 1;
    const ax = P[3 * b]! - P[3 * a]!, ay = P[3 * b + 1]! - P[3 * a + 1]!, az = P[3 * b + 2]! - P[3 * a + 2]!;
    const bx = P[3 * c]! - P[3 * a]!, by = P[3 * c + 1]! - P[3 * a + 1]!, bz = P[3 * c + 2]! - P[3 * a + 2]!;
    const cx = ay * bz - az * by, cy = az * bx - ax * bz, cz = ax * by - ay * bx;
    area += 0.5 * Math.sqrt(cx * cx + cy * cy + cz * cz);
  }
  let usedCount = 0;
  for (let v = 0; v < V; v++) usedCount += used[v]!;
  return {
    vertexCount: V,
    triangleCount: T,
    edgeCount: et.edgeCount,
    boundaryEdgeCount,
    nonManifoldEdgeCount,
    boundaryLoopCount,
    eulerCharacteristic: usedCount - et.edgeCount + T,
    unusedVertexCount: V - usedCount,
    surfaceArea: area,
    bounds: computeBounds(P),
  };
}

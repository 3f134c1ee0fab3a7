/**
 * The pipeline topology of the ICT FaceKit model: ICT's "narrow face" (vertices [0, 6706): the
 * forehead to the chin, cheek to cheek — the same extent as the face-mesh proxy; eyes and mouth
 * are holes), with our own seam-free, single-chart UV map, the left/right mirror and the mask
 * regions. Isomorphic.
 *
 * Why the narrow face and not ICT's whole face area [0, 9409): the latter also holds the ears,
 * the neck and the temples up to the scalp. In one chart they take ~half of the texels (the ears
 * fold over themselves and would be squeezed into slivers), the photo rarely shows them well, and
 * the detail solver has nothing to gain there. They are exported as the undetailed "head" extra
 * mesh instead (see `ict-model.ts`), joined along the narrow face's outer border.
 *
 * ICT's own UVs cannot be used: in the face area 500 vertices carry several UVs (seams) and 362
 * reach UDIM tile 1, while the pipeline needs one UV per vertex in one chart (Loop subdivision,
 * unwrapping and the detail solve work per vertex and per texel).
 *
 * UV map (see {@link ictUvMap}): a Tutte-type embedding with symmetrised mean-value weights
 * (Floater 2003), i.e. each interior vertex is the positive weighted mean of its neighbours;
 * the three holes are temporarily closed by a virtual fan vertex each (at the hole's centroid,
 * dropped afterwards), and the outer border is pinned to a cylindrical projection (axis vertical
 * through the head's centre: u = r̄·θ, v = −y, in mm) so that the cheeks are not squeezed as in a
 * frontal projection. Positive weights with a convex border guarantee no fold (Tutte/Floater);
 * the cylindrical border is not quite convex, so it is replaced by its convex hull where it dents
 * inward (the forehead's mid-line and the chin's sides: see {@link convexifyLoop}). Scaled into
 * [0.01, 0.99]² keeping the aspect ratio. Alternatives tried: cotangent (harmonic) weights fold
 * near the nostrils (negative weights on obtuse triangles); a frontal border squeezes the
 * cheek sides ~3× in area.
 */
import { FaceDetailError } from '../../errors.js';
import { pcg, type PcgOperator } from '../../numeric/index.js';
import type { FaceModelTopology, FaceRegion } from '../face-model.js';
import { ICT_REGIONS, type IctModelData } from './ict-cache.js';
import type { IctCorrespondence } from './ict-types.js';
import { FACEMESH_LANDMARKS as LM } from '../facemesh/facemesh-landmarks.js';
import { hullLoop } from '../region-loop.js';
import { convexHull } from '../../math/index.js';

/** Vertices of the pipeline topology: ICT's narrow face, the prefix [0, 6706). */
export const ICT_TOPOLOGY_VERTEX_COUNT = ICT_REGIONS.find((r) => r.name === 'narrowFace')!.last + 1;

/** The pipeline topology plus what the ICT model needs besides {@link FaceModelTopology}. */
export interface IctTopology extends FaceModelTopology {
  /** Indices (into `IctModelData.triangles` / 3) of the topology's triangles, in `indices` order. */
  sourceTriangles: Uint32Array;
  /** The outer border loop (ordered vertex ids): shared with the head extra mesh. */
  outerLoop: Uint32Array;
  /** The hole loops (ordered): right eye, left eye, mouth (subject's right/left). */
  holeLoops: { rightEye: Uint32Array; leftEye: Uint32Array; mouth: Uint32Array };
}

/** Options of {@link ictTopology}. */
export interface IctTopologyOptions {
  /** UV margin on each side of the chart. Default 0.01. */
  margin?: number;
  /** Stretch-minimisation re-weightings after the first solve. Default 4. */
  stretchIterations?: number;
  /** Exponent of the stretch re-weighting. Default 1. */
  stretchExponent?: number;
}

const cache = new WeakMap<object, IctTopology>();

/**
 * Build (once per model data and correspondence; cached) the pipeline topology of the ICT face.
 * ~150 ms.
 *
 * @example
 * const topo = ictTopology(data, data.correspondence);
 * topo.vertexCount; // 6706
 */
export function ictTopology(data: IctModelData, correspondence: IctCorrespondence = data.correspondence, options: IctTopologyOptions = {}): IctTopology {
  const key = correspondence as object;
  const hit = cache.get(key);
  const custom = options.margin !== undefined || options.stretchIterations !== undefined || options.stretchExponent !== undefined;
  if (hit && !custom) return hit;
  const n = ICT_TOPOLOGY_VERTEX_COUNT;
  const P = data.neutral;
  const { indices, sourceTriangles, outerLoop, holes, holeLoops } = narrowFace(data);

  // ---- UVs: stored in the cache at import (~3 s to compute), else computed ---------------------
  const stored = data.faceUvs;
  const uvs = !custom && stored !== undefined && stored.length === 2 * n
    ? stored
    : ictUvMap(P, indices, n, outerLoop, holes, options.margin ?? 0.01, options.stretchIterations ?? 4, options.stretchExponent ?? 1);

  // ---- mirror: nearest vertex to the reflection (−x, y, z) ----------------------------------------
  const mirror = mirrorByReflection(P, n);

  // ---- regions: face-mesh landmark groups through the correspondence ------------------------
  const nearestVertex = (fm: number): number => {
    const t = correspondence.triangle[fm]!;
    let best = 0, bw = -1;
    for (let c = 0; c < 3; c++) if (correspondence.bary[3 * fm + c]! > bw) { bw = correspondence.bary[3 * fm + c]!; best = data.triangles[3 * t + c]!; }
    return best < n ? best : nearestTopologyVertex(P, n, best);
  };
  const region = (name: FaceRegion['name'], fms: readonly number[], dilate: number, extra: ArrayLike<number> = []): FaceRegion =>
    ({ name, loop: hullLoop(uvs, [...fms.map(nearestVertex), ...Array.from(extra)]), dilate });
  const regions: FaceRegion[] = [
    region('rightEye', LM.rightEye, 0.012, holeLoops.rightEye),
    region('leftEye', LM.leftEye, 0.012, holeLoops.leftEye),
    region('rightBrow', LM.rightBrow, 0.012),
    region('leftBrow', LM.leftBrow, 0.012),
    region('lips', LM.lipsOuter, 0.008, holeLoops.mouth),
    region('nostrils', LM.nostrils, 0.004),
  ];

  const topo: IctTopology = { vertexCount: n, indices, uvs, mirror, regions, sourceTriangles, outerLoop, holeLoops };
  if (!custom) cache.set(key, topo);
  return topo;
}

/**
 * The single-chart UV map of the narrow face (2 × 6706, v down), as stored in the cache by the
 * import (see the file comment for the method). ~3 s.
 *
 * @example
 * const uvs = computeIctFaceUvs(data); // Float32Array(13412) in [0.01, 0.99]
 */
export function computeIctFaceUvs(data: Pick<IctModelData, 'vertexCount' | 'neutral' | 'triangles'>, options: IctTopologyOptions = {}): Float32Array {
  const { indices, outerLoop, holes } = narrowFace(data);
  return ictUvMap(data.neutral, indices, ICT_TOPOLOGY_VERTEX_COUNT, outerLoop, holes, options.margin ?? 0.01, options.stretchIterations ?? 4, options.stretchExponent ?? 1);
}

/** Triangles (wound outward) and border loops of the narrow face. */
function narrowFace(data: Pick<IctModelData, 'vertexCount' | 'neutral' | 'triangles'>): {
  indices: Uint32Array; sourceTriangles: Uint32Array; outerLoop: Uint32Array;
  holes: Array<{ loop: Uint32Array; centre: [number, number, number] }>;
  holeLoops: IctTopology['holeLoops'];
} {
  const n = ICT_TOPOLOGY_VERTEX_COUNT;
  if (data.vertexCount < n) throw new FaceDetailError('MODEL_CACHE_INVALID', `the ICT model has ${data.vertexCount} vertices, the narrow face needs ${n}`);
  const P = data.neutral;
  const src: number[] = [];
  for (let t = 0; t < data.triangles.length / 3; t++) {
    if (data.triangles[3 * t]! < n && data.triangles[3 * t + 1]! < n && data.triangles[3 * t + 2]! < n) src.push(t);
  }
  const sourceTriangles = Uint32Array.from(src);
  const indices = new Uint32Array(3 * src.length);
  src.forEach((t, k) => { for (let c = 0; c < 3; c++) indices[3 * k + c] = data.triangles[3 * t + c]!; });
  // ICT's winding is outward (toward +z, out of the face, on average); flip if it were not.
  let nz = 0;
  for (let k = 0; k < indices.length; k += 3) {
    const a = indices[k]!, b = indices[k + 1]!, c = indices[k + 2]!;
    nz += (P[3 * b]! - P[3 * a]!) * (P[3 * c + 1]! - P[3 * a + 1]!) - (P[3 * b + 1]! - P[3 * a + 1]!) * (P[3 * c]! - P[3 * a]!);
  }
  if (nz < 0) for (let k = 0; k < indices.length; k += 3) { const t = indices[k + 1]!; indices[k + 1] = indices[k + 2]!; indices[k + 2] = t; }
  const loops = boundaryLoops(indices, n);
  if (loops.length !== 4) throw new FaceDetailError('MODEL_CACHE_INVALID', `the ICT narrow face has ${loops.length} border loops, expected 4 (outer, two eyes, mouth)`);
  const centroid = (loop: Uint32Array): [number, number, number] => {
    let x = 0, y = 0, z = 0;
    for (const v of loop) { x += P[3 * v]!; y += P[3 * v + 1]!; z += P[3 * v + 2]!; }
    return [x / loop.length, y / loop.length, z / loop.length];
  };
  loops.sort((a, b) => b.length - a.length);
  const outerLoop = loops[0]!;
  const holes = loops.slice(1).map((loop) => ({ loop, centre: centroid(loop) }));
  const byY = holes.slice().sort((a, b) => a.centre[1] - b.centre[1]); // mouth lowest
  const eyes = byY.slice(1).sort((a, b) => a.centre[0] - b.centre[0]); // subject's right: x < 0
  return { indices, sourceTriangles, outerLoop, holes, holeLoops: { rightEye: eyes[0]!.loop, leftEye: eyes[1]!.loop, mouth: byY[0]!.loop } };
}

/** UV-map quality of a topology: fold/degenerate counts and distortion statistics. */
export interface UvMapStats {
  /** Triangles whose UV winding differs from the majority. */
  flipped: number;
  /** Triangles with UV area below 1e-12. */
  degenerate: number;
  /** Conformal distortion σ₁/σ₂ of the 3D → UV map per triangle: median and 95th percentile. */
  angleDistortionMedian: number;
  angleDistortionP95: number;
  /** Area ratio (UV / 3D, normalised so the total is 1) per triangle: 5th and 95th percentile. */
  areaRatioP05: number;
  areaRatioP95: number;
}

/**
 * Flips, degenerate triangles and distortion of a per-vertex UV map over a 3D mesh.
 *
 * @example
 * const s = uvMapStats(data.neutral, topo.indices, topo.uvs); // s.flipped === 0
 */
export function uvMapStats(positions: ArrayLike<number>, indices: Uint32Array, uvs: ArrayLike<number>): UvMapStats {
  const T = indices.length / 3;
  const signed = new Float64Array(T), area3 = new Float64Array(T);
  let sumUv = 0, sum3 = 0, pos = 0;
  for (let t = 0; t < T; t++) {
    const a = indices[3 * t]!, b = indices[3 * t + 1]!, c = indices[3 * t + 2]!;
    signed[t] = 0.5 * ((uvs[2 * b]! - uvs[2 * a]!) * (uvs[2 * c + 1]! - uvs[2 * a + 1]!) - (uvs[2 * c]! - uvs[2 * a]!) * (uvs[2 * b + 1]! - uvs[2 * a + 1]!));
    const e1 = [positions[3 * b]! - positions[3 * a]!, positions[3 * b + 1]! - positions[3 * a + 1]!, positions[3 * b + 2]! - positions[3 * a + 2]!];
    const e2 = [positions[3 * c]! - positions[3 * a]!, positions[3 * c + 1]! - positions[3 * a + 1]!, positions[3 * c + 2]! - positions[3 * a + 2]!];
    area3[t] = 0.5 * Math.hypot(e1[1]! * e2[2]! - e1[2]! * e2[1]!, e1[2]! * e2[0]! - e1[0]! * e2[2]!, e1[0]! * e2[1]! - e1[1]! * e2[0]!);
    sumUv += Math.abs(signed[t]!); sum3 += area3[t]!;
    if (signed[t]! > 0) pos++;
  }
  const sign = pos * 2 > T ? 1 : -1;
  let flipped = 0, degenerate = 0;
  const angle: number[] = [], area: number[] = [];
  const s = Math.sqrt(sum3 / sumUv); // UV → mm scale
  for (let t = 0; t < T; t++) {
    if (Math.abs(signed[t]!) < 1e-12) { degenerate++; continue; }
    if (Math.sign(signed[t]!) !== sign) flipped++;
    // Jacobian of UV (scaled to mm) → 3D in a local frame of the 3D triangle.
    const a = indices[3 * t]!, b = indices[3 * t + 1]!, c = indices[3 * t + 2]!;
    const e1 = [positions[3 * b]! - positions[3 * a]!, positions[3 * b + 1]! - positions[3 * a + 1]!, positions[3 * b + 2]! - positions[3 * a + 2]!];
    const e2 = [positions[3 * c]! - positions[3 * a]!, positions[3 * c + 1]! - positions[3 * a + 1]!, positions[3 * c + 2]! - positions[3 * a + 2]!];
    const l1 = Math.hypot(e1[0]!, e1[1]!, e1[2]!);
    const x2 = (e1[0]! * e2[0]! + e1[1]! * e2[1]! + e1[2]! * e2[2]!) / l1, y2 = (2 * area3[t]!) / l1;
    const du1 = s * (uvs[2 * b]! - uvs[2 * a]!), dv1 = s * (uvs[2 * b + 1]! - uvs[2 * a + 1]!);
    const du2 = s * (uvs[2 * c]! - uvs[2 * a]!), dv2 = s * (uvs[2 * c + 1]! - uvs[2 * a + 1]!);
    // M maps local 3D (x, y) → UV: M · [l1 x2; 0 y2] = [du1 du2; dv1 dv2].
    const m00 = du1 / l1, m10 = dv1 / l1;
    const m01 = (du2 - m00 * x2) / y2, m11 = (dv2 - m10 * x2) / y2;
    const fro = m00 * m00 + m01 * m01 + m10 * m10 + m11 * m11, det = Math.abs(m00 * m11 - m01 * m10);
    const disc = Math.sqrt(Math.max(0, fro * fro - 4 * det * det));
    const s1 = Math.sqrt((fro + disc) / 2), s2 = Math.sqrt(Math.max(1e-30, (fro - disc) / 2));
    angle.push(s1 / s2);
    area.push(det);
  }
  const q = (arr: number[], p: number): number => { const v = arr.slice().sort((x, y) => x - y); return v[Math.min(v.length - 1, Math.floor(p * v.length))] ?? NaN; };
  return { flipped, degenerate, angleDistortionMedian: q(angle, 0.5), angleDistortionP95: q(angle, 0.95), areaRatioP05: q(area, 0.05), areaRatioP95: q(area, 0.95) };
}

// ---------------------------------------------------------------------------------------------

/**
 * Single-chart UV map of a disk-with-holes mesh (see the file comment). Returns 2·n UVs, v down,
 * in [margin, 1 − margin]² with the aspect ratio kept.
 */
function ictUvMap(P: Float32Array, indices: Uint32Array, n: number, outer: Uint32Array, holes: Array<{ loop: Uint32Array; centre: [number, number, number] }>, margin: number, stretchIterations: number, stretchExponent: number): Float32Array {
  // Filled mesh: the n vertices + one virtual vertex per hole, fan triangles closing each hole.
  const m = n + holes.length;
  const X = new Float64Array(3 * m);
  for (let i = 0; i < 3 * n; i++) X[i] = P[i]!;
  const tris: number[] = Array.from(indices);
  holes.forEach((h, k) => {
    const c = n + k;
    X[3 * c] = h.centre[0]; X[3 * c + 1] = h.centre[1]; X[3 * c + 2] = h.centre[2];
    const L = h.loop;
    for (let i = 0; i < L.length; i++) tris.push(L[i]!, L[(i + 1) % L.length]!, c); // winding irrelevant for weights
  });
  // Symmetrised mean-value weights: w_ij = (tan(α/2) + tan(β/2)) / |x_i − x_j| at vertex i,
  // α, β the angles at i of the two triangles beside edge ij; w = (w_ij + w_ji) / 2.
  const W = new Map<number, number>();
  const add = (i: number, j: number, w: number): void => {
    const key = i < j ? i * m + j : j * m + i;
    W.set(key, (W.get(key) ?? 0) + w / 2);
  };
  for (let t = 0; t < tris.length; t += 3) {
    for (let c = 0; c < 3; c++) {
      const i = tris[t + c]!, j = tris[t + ((c + 1) % 3)]!, k = tris[t + ((c + 2) % 3)]!;
      // angle at i between edges i→j and i→k: contributes tan(θ/2) to w_ij and w_ik
      const ax = X[3 * j]! - X[3 * i]!, ay = X[3 * j + 1]! - X[3 * i + 1]!, az = X[3 * j + 2]! - X[3 * i + 2]!;
      const bx = X[3 * k]! - X[3 * i]!, by = X[3 * k + 1]! - X[3 * i + 1]!, bz = X[3 * k + 2]! - X[3 * i + 2]!;
      const la = Math.hypot(ax, ay, az), lb = Math.hypot(bx, by, bz);
      const cos = Math.max(-1, Math.min(1, (ax * bx + ay * by + az * bz) / (la * lb)));
      const tanHalf = Math.sqrt((1 - cos) / (1 + cos)); // tan(θ/2)
      add(i, j, tanHalf / la);
      add(i, k, tanHalf / lb);
    }
  }
  // Border: cylindrical projection about a vertical axis through the head's centre.
  let zc = 0;
  { let zmin = Infinity, zmax = -Infinity; for (let i = 0; i < n; i++) { zmin = Math.min(zmin, P[3 * i + 2]!); zmax = Math.max(zmax, P[3 * i + 2]!); } zc = zmax - 1.1 * (zmax - zmin); }
  let rbar = 0;
  for (let i = 0; i < n; i++) rbar += Math.hypot(P[3 * i]!, P[3 * i + 2]! - zc);
  rbar /= n;
  const fixed = new Uint8Array(m);
  const U = new Float64Array(2 * m);
  const border: Array<[number, number]> = [];
  for (const v of outer) {
    fixed[v] = 1;
    border.push([rbar * Math.atan2(P[3 * v]!, P[3 * v + 2]! - zc), -P[3 * v + 1]!]);
  }
  const convex = convexifyLoop(border);
  outer.forEach((v, k) => { U[2 * v] = convex[k]![0]; U[2 * v + 1] = convex[k]![1]; });

  // Assemble the SPD system over the free vertices and solve by Jacobi-preconditioned CG.
  const free = new Int32Array(m).fill(-1);
  let nf = 0;
  for (let i = 0; i < m; i++) if (!fixed[i]) free[i] = nf++;
  const solve = (): void => {
    const rows: Array<Array<[number, number]>> = Array.from({ length: nf }, () => []);
    const diag = new Float64Array(nf);
    const rhs = new Float64Array(2 * nf);
    for (const [key, w] of W) {
      const i = Math.floor(key / m), j = key % m;
      for (const [a, b] of [[i, j], [j, i]] as const) {
        const fa = free[a]!;
        if (fa < 0) continue;
        diag[fa]! += w;
        const fb = free[b]!;
        if (fb >= 0) rows[fa]!.push([fb, -w]);
        else { rhs[2 * fa]! += w * U[2 * b]!; rhs[2 * fa + 1]! += w * U[2 * b + 1]!; }
      }
    }
    for (let d = 0; d < 2; d++) {
      const b = new Float64Array(nf), x0 = new Float64Array(nf);
      for (let i = 0; i < m; i++) if (free[i]! >= 0) { b[free[i]!] = rhs[2 * free[i]! + d]!; x0[free[i]!] = U[2 * i + d]!; }
      const x = conjugateGradient(rows, diag, b, x0);
      for (let i = 0; i < m; i++) if (free[i]! >= 0) U[2 * i + d] = x[free[i]!]!;
    }
  };
  // Stretch minimisation (Yoshizawa, Belyaev & Seidel 2004): divide each weight by the mean L2
  // stretch of its two vertices and re-solve. Weights stay positive (no folds); the squeezed
  // centre (nose, eyes, mouth: a pinned-border Tutte map shrinks them ~100× in area) opens up.
  for (let it = 0; it < 1 + stretchIterations; it++) {
    if (it > 0) {
      const sigma = vertexStretch(X, indices, n, m, U);
      for (const [key, w] of W) {
        const i = Math.floor(key / m), j = key % m;
        W.set(key, w / Math.pow(0.5 * (sigma[i]! + sigma[j]!), stretchExponent));
      }
    }
    solve();
  }
  // Global affine correction: the border's cylindrical shape leaves the whole chart stretched
  // along u on average (median conformal distortion 2.0 → see uvMapStats); A = G^(−1/2), with G
  // the area-weighted mean UV-space stretch tensor M·Mᵀ, removes that mean anisotropy. An affine
  // map of an embedding is still an embedding (no folds).
  {
    let g00 = 0, g01 = 0, g11 = 0;
    for (let t = 0; t < indices.length; t += 3) {
      const M = triangleJacobian(X, U, indices[t]!, indices[t + 1]!, indices[t + 2]!);
      if (!M) continue;
      const [m00, m01, m10, m11, area] = M;
      g00 += area * (m00 * m00 + m01 * m01); g01 += area * (m00 * m10 + m01 * m11); g11 += area * (m10 * m10 + m11 * m11);
    }
    // G^(−1/2) of a symmetric positive 2×2 matrix by its eigen-decomposition.
    const tr = g00 + g11, det = g00 * g11 - g01 * g01, disc = Math.sqrt(Math.max(0, (tr * tr) / 4 - det));
    const l1 = tr / 2 + disc, l2 = tr / 2 - disc;
    const ang = Math.abs(g01) > 1e-30 ? Math.atan2(l1 - g00, g01) : (g00 >= g11 ? 0 : Math.PI / 2);
    const c = Math.cos(ang), sn = Math.sin(ang);
    const i1 = 1 / Math.sqrt(l1), i2 = 1 / Math.sqrt(l2);
    const a00 = c * c * i1 + sn * sn * i2, a01 = c * sn * (i1 - i2), a11 = sn * sn * i1 + c * c * i2;
    for (let i = 0; i < m; i++) {
      const u = U[2 * i]!, v = U[2 * i + 1]!;
      U[2 * i] = a00 * u + a01 * v; U[2 * i + 1] = a01 * u + a11 * v;
    }
  }
  // Normalise into [margin, 1 − margin]², aspect kept, centred.
  let u0 = Infinity, u1 = -Infinity, v0 = Infinity, v1 = -Infinity;
  for (let i = 0; i < n; i++) { u0 = Math.min(u0, U[2 * i]!); u1 = Math.max(u1, U[2 * i]!); v0 = Math.min(v0, U[2 * i + 1]!); v1 = Math.max(v1, U[2 * i + 1]!); }
  const span = 1 - 2 * margin;
  const scale = span / Math.max(u1 - u0, v1 - v0);
  const ou = margin + (span - (u1 - u0) * scale) / 2, ov = margin + (span - (v1 - v0) * scale) / 2;
  const uvs = new Float32Array(2 * n);
  for (let i = 0; i < n; i++) { uvs[2 * i] = ou + (U[2 * i]! - u0) * scale; uvs[2 * i + 1] = ov + (U[2 * i + 1]! - v0) * scale; }
  return uvs;
}

/**
 * Make a closed 2D polygon convex while keeping its vertices in order: each vertex inside the
 * convex hull is moved onto the hull edge between the hull vertices before and after it,
 * at the same arc-length fraction as along the original polygon.
 */
function convexifyLoop(pts: ReadonlyArray<readonly [number, number]>): Array<[number, number]> {
  const L = pts.length;
  const hull = convexHullIndices(pts);
  const onHull = new Uint8Array(L);
  for (const h of hull) onHull[h] = 1;
  const out = pts.map((p) => [p[0], p[1]] as [number, number]);
  for (let k = 0; k < hull.length; k++) {
    const a = hull[k]!, b = hull[(k + 1) % hull.length]!;
    // vertices strictly between a and b along the loop (in loop order; the hull is in loop order)
    const between: number[] = [];
    for (let i = (a + 1) % L; i !== b; i = (i + 1) % L) between.push(i);
    if (between.length === 0) continue;
    const seg: number[] = [0];
    let prev = a;
    for (const i of [...between, b]) { seg.push(seg[seg.length - 1]! + Math.hypot(pts[i]![0] - pts[prev]![0], pts[i]![1] - pts[prev]![1])); prev = i; }
    const total = seg[seg.length - 1]!;
    between.forEach((i, j) => {
      const f = total > 0 ? seg[j + 1]! / total : (j + 1) / (between.length + 1);
      out[i] = [pts[a]![0] + f * (pts[b]![0] - pts[a]![0]), pts[a]![1] + f * (pts[b]![1] - pts[a]![1])];
    });
  }
  return out;
}

/** Indices of the convex hull vertices of a simple polygon, in the polygon's order. */
function convexHullIndices(pts: ReadonlyArray<readonly [number, number]>): number[] {
  const hull = convexHull(Float64Array.from(pts.flat()));
  return hull.sort((a, b) => a - b); // polygon order (a simple polygon visits its hull vertices in hull order)
}

/**
 * Linear map M (row-major 2×2) from a local 2D frame of 3D triangle abc to its UVs, and the 3D
 * area; undefined for a degenerate triangle.
 */
function triangleJacobian(X: ArrayLike<number>, U: ArrayLike<number>, a: number, b: number, c: number): [number, number, number, number, number] | undefined {
  const e1 = [X[3 * b]! - X[3 * a]!, X[3 * b + 1]! - X[3 * a + 1]!, X[3 * b + 2]! - X[3 * a + 2]!];
  const e2 = [X[3 * c]! - X[3 * a]!, X[3 * c + 1]! - X[3 * a + 1]!, X[3 * c + 2]! - X[3 * a + 2]!];
  const l1 = Math.hypot(e1[0]!, e1[1]!, e1[2]!);
  const area2 = Math.hypot(e1[1]! * e2[2]! - e1[2]! * e2[1]!, e1[2]! * e2[0]! - e1[0]! * e2[2]!, e1[0]! * e2[1]! - e1[1]! * e2[0]!);
  if (!(l1 > 0 && area2 > 0)) return undefined;
  const x2 = (e1[0]! * e2[0]! + e1[1]! * e2[1]! + e1[2]! * e2[2]!) / l1, y2 = area2 / l1;
  const du1 = U[2 * b]! - U[2 * a]!, dv1 = U[2 * b + 1]! - U[2 * a + 1]!;
  const du2 = U[2 * c]! - U[2 * a]!, dv2 = U[2 * c + 1]! - U[2 * a + 1]!;
  const m00 = du1 / l1, m10 = dv1 / l1;
  return [m00, (du2 - m00 * x2) / y2, m10, (dv2 - m10 * x2) / y2, area2 / 2];
}

/**
 * Per-vertex L2 stretch (Sander et al. 2001) of the UV → 3D map over the real triangles, with
 * the UVs scaled so that the total UV area equals the 3D area; virtual vertices get 1.
 */
function vertexStretch(X: Float64Array, indices: Uint32Array, n: number, m: number, U: Float64Array): Float64Array {
  const T = indices.length / 3;
  let a3 = 0, auv = 0;
  const tri = new Float64Array(2 * T); // [3D area, L2² (unscaled)] per triangle
  for (let t = 0; t < T; t++) {
    const a = indices[3 * t]!, b = indices[3 * t + 1]!, c = indices[3 * t + 2]!;
    const s1 = U[2 * a]!, t1 = U[2 * a + 1]!, s2 = U[2 * b]!, t2 = U[2 * b + 1]!, s3 = U[2 * c]!, t3 = U[2 * c + 1]!;
    const A = ((s2 - s1) * (t3 - t1) - (s3 - s1) * (t2 - t1)) / 2;
    let ss = 0, tt = 0;
    for (let k = 0; k < 3; k++) {
      const q1 = X[3 * a + k]!, q2 = X[3 * b + k]!, q3 = X[3 * c + k]!;
      const Ss = (q1 * (t2 - t3) + q2 * (t3 - t1) + q3 * (t1 - t2)) / (2 * A);
      const St = (q1 * (s3 - s2) + q2 * (s1 - s3) + q3 * (s2 - s1)) / (2 * A);
      ss += Ss * Ss; tt += St * St;
    }
    const e1x = X[3 * b]! - X[3 * a]!, e1y = X[3 * b + 1]! - X[3 * a + 1]!, e1z = X[3 * b + 2]! - X[3 * a + 2]!;
    const e2x = X[3 * c]! - X[3 * a]!, e2y = X[3 * c + 1]! - X[3 * a + 1]!, e2z = X[3 * c + 2]! - X[3 * a + 2]!;
    const area = 0.5 * Math.hypot(e1y * e2z - e1z * e2y, e1z * e2x - e1x * e2z, e1x * e2y - e1y * e2x);
    tri[2 * t] = area; tri[2 * t + 1] = (ss + tt) / 2;
    a3 += area; auv += Math.abs(A);
  }
  const scale2 = auv / a3; // L2² scales with (UV scale)⁻², i.e. × auv / a3 after normalising
  const num = new Float64Array(m), den = new Float64Array(m);
  for (let t = 0; t < T; t++) {
    const w = tri[2 * t]!, l2 = tri[2 * t + 1]! * scale2;
    for (let c = 0; c < 3; c++) { const v = indices[3 * t + c]!; num[v]! += w * l2; den[v]! += w; }
  }
  const sigma = new Float64Array(m).fill(1);
  for (let v = 0; v < n; v++) if (den[v]! > 0) sigma[v] = Math.sqrt(num[v]! / den[v]!);
  return sigma;
}

/** Jacobi-preconditioned CG on a sparse SPD system given as a diagonal plus off-diagonal rows. */
function conjugateGradient(rows: Array<Array<[number, number]>>, diag: Float64Array, b: Float64Array, x0: Float64Array): Float64Array {
  const n = b.length;
  const x = x0.slice();
  const op: PcgOperator = {
    size: n,
    apply: (src, dst) => { for (let i = 0; i < n; i++) { let s = diag[i]! * src[i]!; for (const [j, w] of rows[i]!) s += w * src[j]!; dst[i] = s; } },
    precondition: (src, dst) => { for (let i = 0; i < n; i++) dst[i] = src[i]! / diag[i]!; },
  };
  pcg(op, b, x, { maxIterations: 5000, absoluteFloor: 1e-24 });
  return x;
}

/** Ordered border loops of a triangle list over `n` vertices (each a closed vertex cycle). */
function boundaryLoops(indices: Uint32Array, n: number): Uint32Array[] {
  // Directed border edges: an edge a→b whose reverse b→a is in no triangle.
  const directed = new Map<number, number>();
  for (let t = 0; t < indices.length; t += 3) for (let c = 0; c < 3; c++) directed.set(indices[t + c]! * n + indices[t + ((c + 1) % 3)]!, 1);
  const next = new Map<number, number>();
  for (const key of directed.keys()) {
    const a = Math.floor(key / n), b = key % n;
    if (!directed.has(b * n + a)) next.set(a, b);
  }
  const loops: Uint32Array[] = [];
  const seen = new Set<number>();
  for (const s of [...next.keys()].sort((x, y) => x - y)) {
    if (seen.has(s)) continue;
    const loop: number[] = [];
    for (let v: number | undefined = s; v !== undefined && !seen.has(v); v = next.get(v)) { seen.add(v); loop.push(v); }
    loops.push(Uint32Array.from(loop));
  }
  return loops;
}

function mirrorByReflection(P: Float32Array, n: number): Uint32Array {
  // Grid over (y, z) buckets of 4 mm; search the reflected point's bucket and its neighbours.
  const cell = 4;
  const buckets = new Map<number, number[]>();
  const key = (x: number, y: number, z: number): number => ((Math.floor(x / cell) + 512) * 1024 + Math.floor(y / cell) + 512) * 1024 + Math.floor(z / cell) + 512;
  for (let i = 0; i < n; i++) {
    const k = key(P[3 * i]!, P[3 * i + 1]!, P[3 * i + 2]!);
    (buckets.get(k) ?? buckets.set(k, []).get(k)!).push(i);
  }
  const mirror = new Uint32Array(n);
  for (let i = 0; i < n; i++) {
    const x = -P[3 * i]!, y = P[3 * i + 1]!, z = P[3 * i + 2]!;
    let best = -1, bd = Infinity;
    for (let r = 1; best < 0 && r <= 8; r *= 2) {
      for (let dx = -r; dx <= r; dx++) for (let dy = -r; dy <= r; dy++) for (let dz = -r; dz <= r; dz++) {
        for (const j of buckets.get(key(x + dx * cell, y + dy * cell, z + dz * cell)) ?? []) {
          const d = (P[3 * j]! - x) ** 2 + (P[3 * j + 1]! - y) ** 2 + (P[3 * j + 2]! - z) ** 2;
          if (d < bd) { bd = d; best = j; }
        }
      }
    }
    mirror[i] = best < 0 ? i : best;
  }
  return mirror;
}

function nearestTopologyVertex(P: Float32Array, n: number, v: number): number {
  let best = 0, bd = Infinity;
  for (let i = 0; i < n; i++) {
    const d = (P[3 * i]! - P[3 * v]!) ** 2 + (P[3 * i + 1]! - P[3 * v + 1]!) ** 2 + (P[3 * i + 2]! - P[3 * v + 2]!) ** 2;
    if (d < bd) { bd = d; best = i; }
  }
  return best;
}


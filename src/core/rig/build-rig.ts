/**
 * The ARKit blend-shape rig of a fitted face (`rig: 'arkit'`): the fitted identity with a neutral
 * expression as the base, the detail displacement applied to it, and ARKit's 52 blend shapes as
 * sparse per-vertex deltas, with the photo's own expression as the default weights. Isomorphic:
 * typed arrays in, typed arrays out; the GLB is written by `writeRigGlb` (core/export).
 *
 * Why the rig's face is coarser than face.glb (one Loop level over ICT's narrow face, 26.5k
 * vertices, instead of face.glb's two, 106k): the morph targets are stored per vertex. Measured
 * on the bundled ICT model (deltas above 0.05 mm, 8 bytes each in a sparse int16 accessor), the
 * face's 53 shapes take 1.1 MB at level 0, 4.5 MB at level 1 and 18 MB at level 2 — level 2 alone
 * is over the rig's 12 MB budget before the head, the sockets and the textures. The detail the
 * level-1 vertices cannot hold is in the rig's own residual normal map, baked against the rig's
 * detailed base (so it stays valid: tangent space, the same UVs).
 */
import { detailNormals, encodeTangentNormalMap } from '../detail/normal-map.js';
import { cameraToHead, rotateToHead } from '../camera/pose.js';
import { FaceDetailError } from '../errors.js';
import { mat3TransposeMulVec3 } from '../math/index.js';
import { computeTangents } from '../mesh/tangents.js';
import type { ExtraMeshMaterial, FaceModel, ProxyFit, RigMeshes } from '../model/face-model.js';
import type { Image, Mesh, Pose } from '../types.js';
import { rasterizeUV, uvFrame } from '../unwrap/rasterize-uv.js';
import { ARKIT_BLENDSHAPE_NAMES, arkitMapping, arkitWeights, type ArkitTargetMapping } from './arkit.js';

/** Options of {@link buildArkitRig}. */
export interface ArkitRigOptions {
  /**
   * Loop subdivision levels of the rig's face over the model's base topology (ICT narrow face:
   * 6,706 vertices; 1 → 26.5k). See the module comment for why not face.glb's 2. @example 1
   */
  levels?: number;
  /**
   * Per-vertex deltas shorter than this (mm) are dropped from a target (sparse storage): a tenth
   * of a millimetre is invisible and cuts the long, faint tails of ICT's shapes (measured on the
   * bundled model's face: 22 % fewer stored deltas than at 0.01 mm, 9 % fewer than at 0.05 mm;
   * grace_hopper.jpg's rig.glb: 11.8 MB at 0.05 mm). @example 0.1
   */
  thresholdMm?: number;
}

/** Defaults of {@link ArkitRigOptions}. */
export const ARKIT_RIG_DEFAULTS: Readonly<Required<ArkitRigOptions>> = Object.freeze({ levels: 1, thresholdMm: 0.1 });

/** One morph target of one rig part: the vertices it moves and their deltas (head frame, mm). */
export interface SparseTarget {
  /** Vertex indices into the part's mesh, increasing. */
  indices: Uint32Array;
  /** xyz per index, mm. */
  deltas: Float32Array;
}

/** One mesh of the rig (the textured face, or a flat-coloured head part). */
export interface RigPart {
  /** `face`, or the extra mesh's name (`head`, `sockets`, `mouth`, `teeth`, `eyes`, `irises`). */
  name: string;
  /** `face` (textured: albedo + the rig's residual normal map) or the extra mesh's material. */
  material: 'face' | ExtraMeshMaterial;
  /** Linear RGB of a flat-coloured part. */
  color?: [number, number, number];
  /** Neutral base, head frame, mm, with normals (the face also UVs and tangents; the head and neck skin UVs in the head texture's layout). */
  mesh: Mesh;
  /** One target per {@link ArkitRig.names}, same order. */
  targets: SparseTarget[];
}

/** The rig of one face. */
export interface ArkitRig {
  /** The 52 ARKit blend-shape names, ARKit's order. */
  names: readonly string[];
  /** Default weights (the photo's expression in ARKit terms), one per name, in [0, 1]. */
  weights: Float32Array;
  /** ARKit names the model has no shape for (all-zero targets). */
  missing: readonly string[];
  parts: RigPart[];
  /** Tangent-space normal map of the detail relative to the rig's detailed face (glTF convention). */
  residualNormal: Image;
  stats: {
    /** Vertices over all parts. */
    vertices: number;
    /** Stored (non-zero) deltas over all parts and targets. */
    targetDeltas: number;
    /** Targets with at least one stored delta. */
    nonEmptyTargets: number;
    /**
     * Largest distance (mm) between the rig at its default weights and the fitted face: ICT's
     * split pairs (browInnerUp, cheekPuff) merged at their mean weight lose the left/right
     * difference of the fit; the rest is exact.
     */
    mergeErrorMm: number;
    levels: number;
    thresholdMm: number;
  };
}

/** What {@link buildArkitRig} needs from the pipeline. */
export interface ArkitRigInput {
  /** The face model that made `fit`; it must implement `rigMeshes` (ICT does). */
  model: FaceModel;
  fit: ProxyFit;
  /** Head pose of the reconstruction (camera point = R · head point + t). */
  pose: Pose;
  /** The detail displacement map (mm along the smooth normal, face UVs), as the pipeline made it. */
  displacement: Image;
  /** Displace a smooth mesh (with UVs and normals) by {@link displacement}; the pipeline's `displaceMesh`. */
  displace: (smooth: Mesh) => Mesh;
  /** Flat colours of the extra meshes by material (the pipeline's, so the rig looks like face.glb). */
  colors?: Partial<Record<ExtraMeshMaterial, [number, number, number]>>;
}

/**
 * Build the ARKit rig of a fitted face.
 *
 * @example
 * const rig = buildArkitRig({ model, fit, pose: fit.pose, displacement, displace: (m) => displaceMesh(m, displacement) });
 * rig.names.length;                          // 52
 * rig.weights[rig.names.indexOf('jawOpen')]; // the photo's jawOpen
 */
export function buildArkitRig(input: ArkitRigInput, options: ArkitRigOptions = {}): ArkitRig {
  const levels = options.levels ?? ARKIT_RIG_DEFAULTS.levels;
  const thresholdMm = options.thresholdMm ?? ARKIT_RIG_DEFAULTS.thresholdMm;
  if (!Number.isInteger(levels) || levels < 0 || levels > 3) throw new FaceDetailError('INVALID_OPTION', `rig levels must be an integer from 0 to 3, got ${String(levels)}`);
  if (!(thresholdMm >= 0 && thresholdMm < 1)) throw new FaceDetailError('INVALID_OPTION', `rig thresholdMm must be a number from 0 to 1 mm, got ${String(thresholdMm)}`);
  if (!input.model.rigMeshes) throw new FaceDetailError('INVALID_OPTION', `rig 'arkit' needs a model with expression shapes (model 'ict'), got model '${input.model.name}'`);
  const src = input.model.rigMeshes(input.fit, levels, input.displace);
  const mapping = arkitMapping(src.names);
  const weights = arkitWeights(src.weights, mapping);
  const face = src.face.detailed;
  const faceTangents = face.tangents ?? computeTangents(face.positions, face.normals!, face.uvs!, face.indices);
  const residualNormal = bakeResidualNormal(src.face.smooth, { ...face, tangents: faceTangents }, input.displacement);

  const pose = input.pose;
  const S = src.names.length;
  const parts: RigPart[] = [];
  const faceHead: Mesh = {
    positions: cameraToHead(pose, face.positions), indices: face.indices, uvs: face.uvs!,
    normals: rotateToHead(pose, face.normals!), tangents: rotateToHead(pose, faceTangents, 4),
  };
  parts.push({ name: 'face', material: 'face', mesh: faceHead, targets: sparseTargets(src.face.deltas, S, mapping, pose, thresholdMm) });
  for (const e of src.extras) {
    const mesh: Mesh = { positions: cameraToHead(pose, e.mesh.positions), indices: e.mesh.indices, normals: rotateToHead(pose, e.mesh.normals!), ...(e.mesh.uvs ? { uvs: e.mesh.uvs } : {}) };
    const color = input.colors?.[e.material] ?? e.color;
    parts.push({ name: e.name, material: e.material, ...(color ? { color } : {}), mesh, targets: sparseTargets(e.deltas, S, mapping, pose, thresholdMm) });
  }
  let vertices = 0, targetDeltas = 0;
  const nonEmpty = new Uint8Array(mapping.length);
  for (const p of parts) {
    vertices += p.mesh.positions.length / 3;
    p.targets.forEach((t, k) => { targetDeltas += t.indices.length; if (t.indices.length > 0) nonEmpty[k] = 1; });
  }
  return {
    names: ARKIT_BLENDSHAPE_NAMES,
    weights,
    missing: mapping.filter((m) => m.sources.length === 0).map((m) => m.name),
    parts,
    residualNormal,
    stats: {
      vertices, targetDeltas,
      nonEmptyTargets: nonEmpty.reduce((a, b) => a + b, 0),
      mergeErrorMm: mergeError(src, mapping, weights),
      levels, thresholdMm,
    },
  };
}

/** Per ARKit target, the deltas (vertex-major source, S shapes) combined, rotated to the head frame and thresholded. */
function sparseTargets(deltas: Float32Array, S: number, mapping: readonly ArkitTargetMapping[], pose: Pose, thresholdMm: number): SparseTarget[] {
  const V = deltas.length / (3 * S), R = pose.rotation, t2 = thresholdMm * thresholdMm;
  const idx: number[] = [], val: number[] = [], d = new Float64Array(3);
  return mapping.map((m) => {
    idx.length = 0; val.length = 0;
    if (m.sources.length === 0) return { indices: new Uint32Array(0), deltas: new Float32Array(0) };
    for (let v = 0; v < V; v++) {
      let x = 0, y = 0, z = 0;
      for (const s of m.sources) {
        const o = v * 3 * S + 3 * s.index;
        x += s.coefficient * deltas[o]!; y += s.coefficient * deltas[o + 1]!; z += s.coefficient * deltas[o + 2]!;
      }
      if (x * x + y * y + z * z <= t2) continue;
      // Head frame: Rᵀ d.
      idx.push(v);
      d[0] = x; d[1] = y; d[2] = z;
      mat3TransposeMulVec3(d, R, d);
      val.push(d[0]!, d[1]!, d[2]!);
    }
    return { indices: Uint32Array.from(idx), deltas: Float32Array.from(val) };
  });
}

/** Largest |Σ_s w_s δ_s − Σ_a w_a Δ_a| over the rig's vertices (mm): what the merged pairs lose. */
function mergeError(src: RigMeshes, mapping: readonly ArkitTargetMapping[], weights: Float32Array): number {
  const S = src.names.length;
  // Per source shape, the weight it effectively gets in the rig.
  const eff = new Float32Array(S);
  mapping.forEach((m, k) => { for (const s of m.sources) eff[s.index] = eff[s.index]! + s.coefficient * weights[k]!; });
  let worst = 0;
  for (const deltas of [src.face.deltas, ...src.extras.map((e) => e.deltas)]) {
    const V = deltas.length / (3 * S);
    for (let v = 0; v < V; v++) {
      let x = 0, y = 0, z = 0;
      for (let s = 0; s < S; s++) {
        const dw = src.weights[s]! - eff[s]!;
        if (dw === 0) continue;
        const o = v * 3 * S + 3 * s;
        x += dw * deltas[o]!; y += dw * deltas[o + 1]!; z += dw * deltas[o + 2]!;
      }
      worst = Math.max(worst, Math.hypot(x, y, z));
    }
  }
  return worst;
}

/**
 * The detail's normal field over the rig's smooth face, expressed in the tangent frame of the
 * rig's detailed face: what its vertices do not resolve (as the pipeline's residual map for face.glb).
 */
function bakeResidualNormal(smooth: Mesh, detailed: Mesh, displacement: Image): Image {
  const D = displacement.width;
  const normals = detailNormals(displacement.data, rasterizeUV(smooth, D, D));
  const frame = uvFrame(detailed, D, D);
  return encodeTangentNormalMap(normals, frame, frame.coverage);
}

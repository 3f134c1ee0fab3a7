import type { FaceAnalysis } from '../analysis/types.js';
import type { Camera, Image, Mesh, Pose } from '../types.js';
import type { Gaze } from './gaze.js';

/** A named region of the face surface given as a closed polygon of vertex indices (in UV). */
export interface FaceRegion {
  name: 'leftEye' | 'rightEye' | 'leftBrow' | 'rightBrow' | 'lips' | 'nostrils' | (string & {});
  /** Closed polygon (counter-clockwise or clockwise) of base-topology vertex indices. */
  loop: Uint32Array;
  /** How much to grow the polygon, in UV units, when it is used as an exclusion mask. */
  dilate: number;
}

/** The fixed topology of a face model: what unwrapping and export need. */
export interface FaceModelTopology {
  vertexCount: number;
  /** Triangles, wound so that (b−a)×(c−a) points out of the face. */
  indices: Uint32Array;
  /** Per-vertex UVs (v down), one chart. */
  uvs: Float32Array;
  /** Per-vertex index of the left/right symmetric vertex (itself on the mid-line). */
  mirror: Uint32Array;
  /** Regions masked out of lighting estimation and kept flat by the detail stage. */
  regions: FaceRegion[];
}

/** Options common to every model's fit. */
export interface FitOptions {
  /** Anthropometric prior: eye-centre distance in mm. */
  interocularMm: number;
}

/** A fitted proxy at the model's base resolution. */
export interface ProxyFit {
  /** Vertex positions in the camera frame (OpenCV axes), mm; same order as the topology. */
  positions: Float32Array;
  /** Head pose (head frame → camera frame). */
  pose: Pose;
  /** Millimetres per pixel at the depth of the head origin. */
  mmPerPixel: number;
  /** RMS landmark reprojection error in pixels. */
  reprojectionErrorPx: number;
  /** The photo's gaze, where the model measures it (ICT, with iris landmarks: see `ict-gaze.ts`). */
  gaze?: Gaze;
}

/** What an extra mesh is made of: the pipeline gives each material a flat colour. */
export type ExtraMeshMaterial = 'skin' | 'socket' | 'mouth' | 'teeth' | 'eye' | 'iris';

/**
 * A mesh that completes the detailed face in the exports (head and neck, eye and mouth sockets,
 * teeth, eyeballs): no detail, one flat colour; the head and neck skin (ICT) also has UVs and a
 * texture of its own (the photo projected onto it, see `head-texture.ts`).
 */
export interface ExtraMesh {
  /** Node / group name in the exported files (e.g. `head`, `teeth`). */
  name: string;
  material: ExtraMeshMaterial;
  /** Positions (and normals), camera frame from a model, head frame in a `FaceReconstruction`; mm. */
  mesh: Mesh;
  /** Linear RGB colour in [0, 1] (set by the pipeline); with a `texture`, the colour it is filled with where unseen. */
  color?: [number, number, number];
  /** Base colour texture in the mesh's `uvs`, sRGB RGB (set by the pipeline; ICT's `head`: `head_albedo.png`). */
  texture?: Image;
}

/** The detailed face mesh the extra meshes must join (camera frame, mm). */
export interface DetailedFaceMesh {
  /** The subdivided proxy before displacement. */
  smooth: Mesh;
  /** The same vertices displaced by the detail (same vertex ids). */
  detailed: Mesh;
  /** Loop subdivision levels from the model's base topology to these meshes. */
  levels: number;
}

/**
 * A face model the pipeline can fit to an analysed photo. The default is the 468-vertex
 * face-mesh topology ({@link createFaceMeshModel}); the ICT FaceKit morphable model plugs in here.
 */
export interface FaceModel {
  readonly name: string;
  readonly topology: FaceModelTopology;
  fit(analysis: FaceAnalysis, camera: Camera, options: FitOptions): ProxyFit;
  /**
   * Optional: meshes completing the head around the detailed face for a fit of this model
   * (camera frame, mm), sharing the detailed face's border vertices exactly, so there is no gap.
   */
  extraMeshes?(fit: ProxyFit, face: DetailedFaceMesh): ExtraMesh[];
  /**
   * Optional: the meshes of an animation rig for a fit of this model (`rig: 'arkit'`): the face
   * and the extra meshes with the fitted identity and a NEUTRAL expression, each vertex carrying
   * its delta under every expression shape. See {@link RigMeshes}.
   *
   * @param levels Loop subdivision levels of the rig's face (the extra meshes follow it).
   * @param displace the detail: turns the smooth neutral face (with normals and UVs) into the
   *   detailed one, same vertices (the pipeline displaces it by the displacement map).
   */
  rigMeshes?(fit: ProxyFit, levels: number, displace: (smooth: Mesh) => Mesh): RigMeshes;
}

/**
 * A face model's rig for one fit (camera frame, mm): neutral-expression meshes plus, per vertex,
 * the delta of every expression shape, vertex-major: `deltas[v·3S + 3s + k]` (S shapes, k = x, y, z).
 * The fitted face is `mesh + Σ_s weights[s] · delta_s` (exactly, for the smooth meshes).
 */
export interface RigMeshes {
  /** The model's expression shape names (ICT: 53, ICT's order). */
  names: readonly string[];
  /** The fit's expression weights, one per name. */
  weights: Float32Array;
  /** The face: `smooth` subdivided neutral (UVs, normals), `detailed` the same displaced by the detail; `deltas` per vertex. */
  face: { smooth: Mesh; detailed: Mesh; deltas: Float32Array };
  /** The extra meshes (head, sockets, teeth, eyes …) built around `face.detailed` as {@link FaceModel.extraMeshes} does, with deltas. */
  extras: Array<ExtraMesh & { deltas: Float32Array }>;
}

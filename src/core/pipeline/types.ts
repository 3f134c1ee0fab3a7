import type { FaceAnalysis } from '../analysis/types.js';
import type { DetailInput, DetailOptions } from '../detail/solve-detail.js';
import type { DetailMethod } from '../detail/synthesize-detail.js';
import type { ExtraMesh } from '../model/face-model.js';
import type { Gaze } from '../model/gaze.js';
import type { HeadTextureStats } from '../head/head-texture.js';
import type { EmotionPriorMode, IctHeadParts } from '../model/ict/ict-types.js';
import type { ArkitRig } from '../rig/build-rig.js';
import type { Camera, Image, Mesh, Pose } from '../types.js';

/** Names of the pipeline stages, in order. Used for progress reporting and `result.json` timings. */
export const STAGES = ['decode', 'analyze', 'camera', 'proxy', 'unwrap', 'lighting', 'detail', 'mesh', 'export'] as const;
export type StageName = (typeof STAGES)[number];

/** Output formats of the mesh. Maps and result.json are always written. */
export type MeshFormat = 'glb' | 'obj' | 'ply';

/** The maps of a face ({@link FaceReconstruction}'s `maps`), by name. */
export type FaceMapName = 'texture' | 'albedo' | 'confidence' | 'displacement' | 'normal' | 'residualNormal';

/** Progress callback: called when a stage starts (`done: false`) and ends (`done: true`). */
export type ProgressCallback = (event: { stage: StageName; done: boolean; faceIndex?: number; ms?: number }) => void;

/** Face models of {@link ReconstructOptions.model}. */
export const FACE_MODELS = ['facemesh', 'ict'] as const;
export type FaceModelName = (typeof FACE_MODELS)[number];

/** Animation rigs of {@link ReconstructOptions.rig}. */
export const RIG_MODES = ['none', 'arkit'] as const;
export type RigMode = (typeof RIG_MODES)[number];

/** Options of one reconstruction. Every field is optional; defaults in `RECONSTRUCT_DEFAULTS`. */
export interface ReconstructOptions {
  /** Texture / albedo / confidence map size in texels (square). Default 1024. */
  textureResolution: number;
  /** Displacement and normal map size in texels (square), 512–2048. Default 1024. */
  detailResolution: number;
  /** Multiplier on the synthesized displacement (0 = proxy only). Default 1. */
  detailStrength: number;
  /**
   * Share (0–1) of the albedo's smooth lightness variation removed after the division by the
   * shading (cast shadows and occlusion the lighting model cannot explain; see
   * `equalizeLightness`); 0 = off. Default 0.8 (chosen on `npm run bench:albedo -- --equalize`).
   */
  albedoEqualize: number;
  /**
   * Share (0–1) of the proxy's own visibility (cast shadows, occlusion: `computeOcclusion`)
   * modelled by the lighting fit and the albedo division; 0 = the SH of the normal alone.
   */
  albedoShadows: number;
  /** Reconstruct every face (largest first) instead of the largest only. Default false. */
  allFaces: boolean;
  /** Loop subdivision levels of the proxy used for unwrapping (468 → ~29k vertices at 3). Default 3. */
  proxyLevels: number;
  /** Loop subdivision levels of the exported detailed mesh (4 → ~115k vertices). Default 4. */
  meshLevels: number;
  /** 35 mm-equivalent focal length override in mm; otherwise EXIF, otherwise the default. */
  focalLength35mm: number | undefined;
  /** Anthropometric prior: distance between the eye centres in mm. Default 63 (adult mean IPD). */
  interocularMm: number;
  /**
   * The face model: `'facemesh'` (MediaPipe's 468-point mesh, back-projected; built in) or
   * `'ict'` (the ICT FaceKit morphable model, fitted; needs `facedetail model import ict` once;
   * exports the full head). Default `'facemesh'`. @example { model: 'ict' }
   */
  model: FaceModelName;
  /**
   * `model: 'ict'` only: how the predicted emotion enters the expression fit — `'none'`,
   * `'prior'` (a Gaussian prior around the emotion's prototype expression) or `'fixed'`.
   * Default `'none'` (measured best on `npm run bench:proxy`; see `ICT_FIT_DEFAULTS`).
   */
  emotionPrior: EmotionPriorMode;
  /**
   * `model: 'ict'` only: the head parts exported around the detailed face: `'none'`, `'skin'`
   * (head and neck) or `'full'` (+ sockets, gums, tongue, teeth, eyeballs). Default `'full'`.
   */
  head: IctHeadParts;
  /**
   * How the fine detail is synthesised: `'sfs'` the per-photo shape-from-shading solve,
   * `'dfdn'` the learned detail network (needs its model: bundled in Node, part of the web build),
   * `'dfdn+sfs'` the solve started from and regularised toward the network's displacement.
   * Default `'dfdn'` (best on the accuracy benchmark). @example { detail: 'dfdn' }
   */
  detail: DetailMethod;
  /**
   * `model: 'ict'` only: also build an animation rig — `'arkit'`: the fitted head with a neutral
   * expression and ARKit's 52 blend shapes as morph targets, the photo's expression as the
   * default weights (written as `rig.glb`). Default `'none'`. @example { model: 'ict', rig: 'arkit' }
   */
  rig: RigMode;
  /** Advanced: shape-from-shading solver parameters (see `DETAIL_DEFAULTS` in core/detail). Default {}. */
  sfs: Partial<DetailOptions>;
  /**
   * Keep the detail stage's inputs (UV geometry, linear texture, confidence, flat mask, SH) in
   * {@link FaceReconstruction.intermediates}: for training-data export and research. Default false.
   */
  keepIntermediates: boolean;
}

/** A reconstructed face: everything the exporters and users need. Lengths in mm. */
export interface FaceReconstruction {
  /** Index of the face in the image (0 = largest). */
  faceIndex: number;
  analysis: FaceAnalysis;
  camera: Camera;
  /** Head pose: camera-frame point = R · head-frame point + t (mm). */
  pose: Pose;
  /** Millimetres per pixel at the face's mean depth. */
  mmPerPixel: number;
  /**
   * Dense proxy (no detail) in the HEAD frame: origin between the eye centres, +X toward the
   * subject's left (image right when frontal), +Y up, +Z out of the face toward the viewer; mm.
   */
  proxy: Mesh;
  /** Detailed mesh (proxy displaced by the detail map), head frame, mm, with normals & tangents. */
  detailedMesh: Mesh;
  /**
   * Undetailed meshes completing the head around {@link detailedMesh} (model `'ict'`: head and
   * neck skin, eye and mouth sockets, gums and tongue, teeth, eyeballs, per the `head` option),
   * head frame, mm, with normals and a flat linear colour; they share the detailed mesh's border
   * positions exactly. The head and neck skin (`head`) also has UVs and a `texture`
   * (`head_albedo.png`: the photo projected onto it, blended into the skin colour). Absent for
   * the face-mesh model.
   */
  extraMeshes?: ExtraMesh[];
  /** How the head texture came out (share seen by the photo, colour step at the face/head junction), when there is one. */
  headTextureStats?: HeadTextureStats;
  /** The ARKit blend-shape rig (head frame, mm), with `rig: 'arkit'` only. */
  rig?: ArkitRig;
  /** The proxy fit: which model, and its RMS landmark reprojection error (px; 0 for the face mesh). */
  fitStats?: { model: string; reprojectionErrorPx: number };
  /** The photo's gaze (ICT with iris landmarks): each eye's yaw / pitch from rest in the head frame, degrees; the static head's eyeballs are turned to it. */
  gaze?: Gaze;
  maps: {
    /** Unwrapped photo, sRGB RGB. */
    texture: Image;
    /** Albedo (texture divided by the detailed shading), sRGB RGB. */
    albedo: Image;
    /** Per-texel confidence [0,1] (1 channel); see unwrap docs for the encoding. */
    confidence: Image;
    /** Displacement along the proxy normal in mm (1 channel, float). */
    displacement: Image;
    /** Tangent-space normal map of the detail relative to the smooth proxy (glTF convention). */
    normal: Image;
    /** Residual normal map relative to the detailed mesh (embedded in the GLB). */
    residualNormal: Image;
  };
  /** Statistics of the detail solve (iterations, energies, rms/max displacement in mm, ms). */
  detailStats: Record<string, unknown>;
  /** Fitted lighting: linear texture ≈ albedo · Σ_k coeff[c*9+k] Y_k(n_camera). */
  lighting: { coefficients: Float64Array; stats: Record<string, number> };
  /** The detail stage's inputs, only when `keepIntermediates` was set. */
  intermediates?: { detailInput: DetailInput };
  /** Milliseconds per stage for this face (decode/analyze shared by all faces of an image). */
  timings: Partial<Record<StageName, number>>;
  warnings: string[];
}

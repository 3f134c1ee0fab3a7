import type { FaceAnalysis } from '../analysis/types.js';
import type { DetailInput, DetailOptions } from '../detail/solve-detail.js';
import type { Camera, Image, Mesh, Pose } from '../types.js';

/** Names of the pipeline stages, in order. Used for progress reporting and `result.json` timings. */
export const STAGES = ['decode', 'analyze', 'camera', 'proxy', 'unwrap', 'lighting', 'detail', 'mesh', 'export'] as const;
export type StageName = (typeof STAGES)[number];

/** Output formats of the mesh. Maps and result.json are always written. */
export type MeshFormat = 'glb' | 'obj' | 'ply';

/** Progress callback: called when a stage starts (`done: false`) and ends (`done: true`). */
export type ProgressCallback = (event: { stage: StageName; done: boolean; faceIndex?: number; ms?: number }) => void;

/** Logger injected into the core (the core never calls `console`). */
export interface Logger {
  debug(message: string): void;
  info(message: string): void;
  warn(message: string): void;
  error(message: string): void;
}

/** Options of one reconstruction. Every field is optional; defaults in `RECONSTRUCT_DEFAULTS`. */
export interface ReconstructOptions {
  /** Texture / albedo / confidence map size in texels (square). Default 1024. */
  textureResolution: number;
  /** Displacement and normal map size in texels (square), 512–2048. Default 1024. */
  detailResolution: number;
  /** Multiplier on the synthesized displacement (0 = proxy only). Default 1. */
  detailStrength: number;
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
  /** Advanced: detail-solver parameters (see `DETAIL_DEFAULTS` in core/detail). Default {}. */
  detail: Partial<DetailOptions>;
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

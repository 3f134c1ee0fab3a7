/**
 * Types shared by the ICT FaceKit stages: the dense correspondence between the face-mesh
 * landmarks and the ICT surface (computed at import time, stored in the cache), the fit's
 * parameters, and the emotion-prior modes. Isomorphic.
 */
import type { Pose } from '../../types.js';

/**
 * Dense correspondence from the face-mesh landmarks (MediaPipe indices 0..L-1) to points on the
 * ICT surface, each a barycentric point of one ICT triangle (of `IctModelData.triangles`).
 *
 * @example
 * // ICT-model-frame position of face-mesh landmark i for given vertex positions `p` (3N, mm)
 * const t = corr.triangle[i]!, [a, b, c] = [tri[3*t]!, tri[3*t+1]!, tri[3*t+2]!];
 * const x = corr.bary[3*i]! * p[3*a]! + corr.bary[3*i+1]! * p[3*b]! + corr.bary[3*i+2]! * p[3*c]!;
 */
export interface IctCorrespondence {
  /** Number of face-mesh landmarks covered (468). */
  count: number;
  /** ICT triangle index per landmark (index into `triangles` / 3), `count`. */
  triangle: Uint32Array;
  /** Barycentric weights per landmark (sum 1), 3·`count`. */
  bary: Float32Array;
  /**
   * Per-landmark reliability in [0, 1]: 0 where the landmark has no trustworthy counterpart
   * (e.g. the face-mesh contour, which slides with the head's yaw and is handled by the fit's
   * moving contour instead), 1 for well-defined points (eye corners, mouth corners, nose).
   */
  weight: Float32Array;
}

/** How the predicted emotion enters the expression fit. */
export type EmotionPriorMode = 'none' | 'prior' | 'fixed';
export const EMOTION_PRIOR_MODES: readonly EmotionPriorMode[] = Object.freeze(['none', 'prior', 'fixed']);

/** The fitted ICT parameters of one face. */
export interface IctFitParams {
  /** Identity (PCA) weights, one per identity shape fitted (≤ 100). */
  identity: Float32Array;
  /** Expression weights in [0, 1], one per ICT expression shape (53, ICT order). */
  expression: Float32Array;
  /** Model frame → camera frame (mm): camera point = R · model point + t. */
  pose: Pose;
}

/**
 * Which parts of the fitted ICT head besides the detailed face go into the exports:
 * `'none'` the face only; `'skin'` + head and neck skin (scalp, ears, neck; the eye and mouth
 * openings stay open); `'full'` + eye and mouth sockets, gums and tongue, teeth and eyeballs.
 */
export type IctHeadParts = 'none' | 'skin' | 'full';
export const ICT_HEAD_PARTS: readonly IctHeadParts[] = Object.freeze(['none', 'skin', 'full']);

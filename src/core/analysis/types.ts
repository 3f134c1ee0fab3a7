import type { Emotion, Image } from '../types.js';

/**
 * What the face analyser found about one face. Produced by a {@link FaceAnalyzer} adapter
 * (Node: `src/node/human-analyzer.ts`; browser: `src/web/human-engine.ts`; both share
 * `src/human/analyze-faces.ts`), consumed by the core.
 */
export interface FaceAnalysis {
  /**
   * Face-mesh landmarks (468, MediaPipe topology; 478 when the 10 iris points are appended —
   * the Node adapter returns 468), xyz interleaved.
   * x, y: continuous image pixels, sub-pixel: (0, 0) is the top-left corner of the image and
   * pixel (i, j) has its centre at (i + 0.5, j + 0.5).
   * z: relative depth in the SAME pixel units as x and y (the network's crop-pixel z scaled by
   * crop size / 192), larger = farther from the camera, zero near the face's centre plane as
   * the network outputs it (the nose tip is negative).
   */
  landmarks: Float32Array;
  /** Number of landmarks (468 or 478). */
  landmarkCount: number;
  /**
   * Face box in image pixels [x, y, width, height]; "largest face" means largest box area.
   * Node adapter: the bounding box of the landmarks' x, y (not clamped to the image).
   */
  box: [number, number, number, number];
  /** Detector/mesh confidence in [0, 1]. */
  score: number;
  /**
   * Head rotation estimated from the landmarks, degrees, in the convention of `Pose`
   * (`poseFromAxes` in camera/pose.ts): yaw > 0 = face turned toward the subject's left
   * (image right), pitch > 0 = chin down, roll > 0 = head tilted toward the subject's right
   * shoulder (counter-clockwise on screen). A few degrees of network noise (adapter docs).
   */
  rotation: { yawDeg: number; pitchDeg: number; rollDeg: number };
  /** Emotion probabilities over the 7 classes of `EMOTIONS` (sum ≈ 1, every class present). */
  emotions: Record<Emotion, number>;
}

/**
 * Finds faces in an image. The core receives one; it never imports a detector itself.
 * Implementations must be deterministic: the same image gives the same result.
 */
export interface FaceAnalyzer {
  /** All faces in the image, largest first. An empty array when there is none. */
  analyze(image: Image): Promise<FaceAnalysis[]>;
  /** Free models and backend memory. */
  dispose(): Promise<void> | void;
}

import type { Emotion, Image } from '../types.js';

/**
 * What the face analyser found about one face. Produced by a {@link FaceAnalyzer} adapter
 * (Node: `src/node/human-analyzer.ts`; browser: later), consumed by the core.
 */
export interface FaceAnalysis {
  /**
   * Face-mesh landmarks (468, MediaPipe topology; 478 when the 10 iris points are appended),
   * xyz interleaved. x, y: image pixels, sub-pixel (pixel centre at +0.5... i.e. continuous
   * image coordinates, top-left corner of the image at (0, 0)). z: relative depth in the SAME
   * pixel units as x and y (scaled from the 192-px crop by crop size / 192), larger = farther
   * from the camera, zero near the face's centre plane as the network outputs it.
   */
  landmarks: Float32Array;
  /** Number of landmarks (468 or 478). */
  landmarkCount: number;
  /** Face box in image pixels [x, y, width, height]. */
  box: [number, number, number, number];
  /** Detector/mesh confidence in [0, 1]. */
  score: number;
  /** Head rotation as estimated by the analyser (degrees; yaw + = face turned to its left?) — see adapter docs. */
  rotation: { yawDeg: number; pitchDeg: number; rollDeg: number };
  /** Emotion probabilities over the 7 classes (sum ≈ 1). */
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

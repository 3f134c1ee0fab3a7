/**
 * Data types shared by the pipeline stages. Everything is flat typed arrays (see STYLE.md).
 *
 * Conventions used throughout the core:
 * - Images are row-major, channels interleaved, float values in [0, 1] (sRGB-encoded unless a
 *   name says `linear`). Pixel (x, y) has its centre at (x + 0.5, y + 0.5) in image coordinates.
 * - Camera frame (internal): OpenCV style, +X right, +Y down, +Z forward (into the scene),
 *   units millimetres. A pinhole camera maps (X, Y, Z) to (fx·X/Z + cx, fy·Y/Z + cy) pixels.
 * - UV: u right, v DOWN (glTF convention); texel (i, j) of a W×H map covers
 *   u ∈ [i/W, (i+1)/W], v ∈ [j/H, (j+1)/H]; its centre is at ((i + 0.5)/W, (j + 0.5)/H).
 * - Triangles are wound so that (b − a) × (c − a) points out of the face (in any right-handed
 *   frame); seen from outside in the glTF export frame they are counter-clockwise.
 */

/** An image: `data.length === width * height * channels`. */
export interface Image {
  width: number;
  height: number;
  channels: number;
  data: Float32Array;
}

/** A triangle mesh. `positions`/`normals` are xyz interleaved, `uvs` uv interleaved. */
export interface Mesh {
  positions: Float32Array;
  indices: Uint32Array;
  uvs?: Float32Array;
  normals?: Float32Array;
  /** xyzw interleaved, w = handedness (±1), MikkTSpace-style (see mesh/tangents.ts). */
  tangents?: Float32Array;
}

/** Pinhole camera intrinsics in pixels for an image of `width`×`height`. */
export interface Camera {
  width: number;
  height: number;
  fx: number;
  fy: number;
  cx: number;
  cy: number;
  /** Where fx came from: EXIF 35 mm equivalent focal length, or the documented default. */
  focalSource: 'exif' | 'default' | 'user';
}

/** Rigid head pose: camera-frame point = R · head-frame point + t (R row-major 3×3, t in mm). */
export interface Pose {
  rotation: Float64Array; // 9, row-major
  translation: Float64Array; // 3, mm
  /** Convenience Euler angles in degrees (yaw about Y, pitch about X, roll about Z). */
  yawDeg: number;
  pitchDeg: number;
  rollDeg: number;
}

/** Second-order spherical harmonics lighting: 9 coefficients per colour channel, [c*9 + k]. */
export interface SHLighting {
  coefficients: Float64Array; // 27 = 3 channels × 9
}

/** The seven emotion classes of Human's emotion model. */
export type Emotion = 'angry' | 'disgust' | 'fear' | 'happy' | 'sad' | 'surprise' | 'neutral';
export const EMOTIONS: readonly Emotion[] = ['angry', 'disgust', 'fear', 'happy', 'sad', 'surprise', 'neutral'];

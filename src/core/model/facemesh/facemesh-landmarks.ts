/**
 * Landmark index sets of the MediaPipe 468-point face mesh topology (Apache-2.0, Google), as
 * listed in MediaPipe's face_mesh_connections. "Left"/"right" are the SUBJECT's.
 */
export const FACEMESH_LANDMARKS = {
  rightEye: [33, 7, 163, 144, 145, 153, 154, 155, 133, 173, 157, 158, 159, 160, 161, 246],
  leftEye: [263, 249, 390, 373, 374, 380, 381, 382, 362, 398, 384, 385, 386, 387, 388, 466],
  rightBrow: [46, 53, 52, 65, 55, 70, 63, 105, 66, 107],
  leftBrow: [276, 283, 282, 295, 285, 300, 293, 334, 296, 336],
  lipsOuter: [61, 146, 91, 181, 84, 17, 314, 405, 321, 375, 291, 409, 270, 269, 267, 0, 37, 39, 40, 185],
  /** Nostril openings and alar creases below the nose tip. */
  nostrils: [2, 97, 98, 64, 240, 75, 79, 326, 327, 294, 460, 305, 309, 99, 328],
  /** Top of the forehead (mid-line) and chin (mid-line). */
  foreheadTop: 10,
  chin: 152,
  noseTip: 1,
} as const;

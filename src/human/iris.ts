/**
 * The iris landmarks: Human's iris network (MediaPipe's iris landmark model, 64×64 eye crop →
 * 71 eye-contour points + 5 iris points) run on our own eye crops of the full-resolution image,
 * as the face mesh is (see analyze-faces.ts). No Node or DOM imports.
 *
 * The crop follows Human's `getEyeBox` (src/face/iris.ts): a square of 2.3 × the eye-corner
 * distance centred between the corners, here rotated like the face crop (eye line horizontal),
 * values in [0, 1]; the subject's LEFT eye (image right) is mirrored, as Human mirrors it, so the
 * network always sees a subject's-right eye. The 10 points are appended in MediaPipe's order
 * (`refine_landmarks`): 468 the subject's right iris centre, 469–472 its contour; 473 the left
 * iris centre, 474–477 its contour. (Human itself appends the left eye first.) x, y in image
 * pixels; z is the mean z of the eye's upper and lower lid midpoints (Human's
 * `getAdjustedIrisCoords`: the network's z is not in the mesh's units).
 */
import type { Tensor } from '@tensorflow/tfjs-core';
import type { Image } from '../core/types.js';
import { cropToImage, sampleFaceCrop, type FaceCrop } from './face-crop.js';
import type { HumanEngine } from './analyze-faces.js';

/** Eye corners and lid midpoints of each eye (face-mesh indices), subject's right then left. */
const EYES = [
  { outer: 33, inner: 133, upper: 159, lower: 145, mirror: false },
  { outer: 263, inner: 362, upper: 386, lower: 374, mirror: true },
] as const;

/** Crop side over the eye-corner distance (Human's `face.iris.scale` default). */
const IRIS_CROP_SCALE = 2.3;
/** Points per eye in the network's output: 71 contour points, then the 5 iris points. */
const IRIS_OUTPUT_POINTS = 76;
const IRIS_FIRST = 71;

/** The eye crop of one eye: centred between its corners, 2.3 × their distance, rotated as the eye line 33 → 263. */
function eyeCrop(landmarks: ArrayLike<number>, outer: number, inner: number): FaceCrop {
  const ax = landmarks[3 * outer]!, ay = landmarks[3 * outer + 1]!, bx = landmarks[3 * inner]!, by = landmarks[3 * inner + 1]!;
  const angle = Math.atan2(landmarks[3 * 263 + 1]! - landmarks[3 * 33 + 1]!, landmarks[3 * 263]! - landmarks[3 * 33]!);
  return { cx: (ax + bx) / 2, cy: (ay + by) / 2, size: IRIS_CROP_SCALE * Math.hypot(bx - ax, by - ay), angle };
}

/** Mirror an N×N×3 crop left–right in place. */
function mirrorCrop(data: Float32Array, n: number): void {
  for (let y = 0; y < n; y++) {
    for (let x = 0; x < n >> 1; x++) {
      const a = (y * n + x) * 3, b = (y * n + n - 1 - x) * 3;
      for (let c = 0; c < 3; c++) { const t = data[a + c]!; data[a + c] = data[b + c]!; data[b + c] = t; }
    }
  }
}

/**
 * The 10 iris landmarks (468–477, xyz interleaved, image pixels) of a face whose 468 refined
 * face-mesh landmarks are `landmarks`: one batch of two eye crops through Human's iris network.
 *
 * @example
 * const iris = runIris(engine, photo, landmarks); // Float32Array(30): right centre, 4 contour, left centre, 4 contour
 */
export function runIris(rt: HumanEngine, image: Image, landmarks: Float32Array): Float32Array {
  const { tf } = rt;
  const model = rt.models.iris;
  const n = model.inputs[0]?.shape?.[2] ?? 64;
  const crops = EYES.map((e) => eyeCrop(landmarks, e.outer, e.inner));
  const batch = new Float32Array(2 * n * n * 3);
  crops.forEach((crop, k) => {
    const px = sampleFaceCrop(image, crop, n);
    if (EYES[k]!.mirror) mirrorCrop(px, n);
    batch.set(px, k * n * n * 3);
  });
  const input = tf.tensor4d(batch, [2, n, n, 3], 'float32');
  let output: Tensor | undefined;
  try {
    output = model.execute(input) as Tensor;
    const raw = output.dataSync();
    const out = new Float32Array(30);
    const p = new Float64Array(2);
    EYES.forEach((e, k) => {
      const crop = crops[k]!;
      const z = (landmarks[3 * e.upper + 2]! + landmarks[3 * e.lower + 2]!) / 2;
      for (let j = 0; j < 5; j++) {
        const o = (k * IRIS_OUTPUT_POINTS + IRIS_FIRST + j) * 3;
        const x = raw[o]!, y = raw[o + 1]!;
        cropToImage(crop, n, e.mirror ? n - x : x, y, p);
        out[15 * k + 3 * j] = p[0]!;
        out[15 * k + 3 * j + 1] = p[1]!;
        out[15 * k + 3 * j + 2] = z;
      }
    });
    return out;
  } finally {
    tf.dispose(output ? [input, output] : [input]);
  }
}

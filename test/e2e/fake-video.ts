/**
 * The fake camera's video for puppet.e2e.ts: YUV4MPEG2 (640×480, 30 fps, C420jpeg: a webcam's usual rate, so the rig's rate is not capped by the source) made from
 * shared photos: blocks of a neutral face, an open-mouthed (surprised) face, the neutral face
 * again and a smiling face, 2 s each, each tagged by the colour of its top-left 16×16 pixels
 * (black / white / grey) so that a processed frame can be told apart. Chromium loops it.
 */
import { writeFileSync } from 'node:fs';
import sharp from 'sharp';
import { photo } from './helpers.js';

const W = 640, H = 480, FPS = 30, BLOCK = 60; // frames per block: 2 s
/** The video's size and rate. */
export const FAKE_VIDEO = Object.freeze({ W, H, FPS, BLOCK });
/** The video's blocks: photo, crop around the face (similar framing), tag luminance. */
const BLOCKS = [
  { name: 'neutral', file: 'faceapi_neutral.jpg', crop: { left: 154, top: 8, width: 300, height: 225 }, tag: 0 },
  { name: 'surprised', file: 'faceapi_surprised.jpg', crop: { left: 53, top: 1, width: 400, height: 300 }, tag: 255 },
  { name: 'neutral', file: 'faceapi_neutral.jpg', crop: { left: 154, top: 8, width: 300, height: 225 }, tag: 0 },
  { name: 'happy', file: 'faceapi_happy.jpg', crop: { left: 160, top: 0, width: 340, height: 255 }, tag: 128 },
] as const;
/** The block of a frame from its tag. */
export const classOf = (tag: number): 'neutral' | 'happy' | 'surprised' => (tag < 64 ? 'neutral' : tag < 192 ? 'happy' : 'surprised');

/** One I420 frame (full-range BT.601, as C420jpeg) of a photo letterboxed to W×H, with its tag square. */
async function i420Frame(file: string, crop: { left: number; top: number; width: number; height: number }, tag: number): Promise<Uint8Array> {
  const rgb = await sharp(photo(file)).extract(crop).resize(W, H, { fit: 'contain', background: '#000' }).removeAlpha().raw().toBuffer();
  for (let y = 0; y < 16; y++) for (let x = 0; x < 16; x++) rgb.fill(tag, 3 * (y * W + x), 3 * (y * W + x) + 3);
  const out = new Uint8Array((W * H * 3) / 2);
  const U = W * H, V = U + U / 4;
  for (let i = 0; i < W * H; i++) out[i] = Math.round(0.299 * rgb[3 * i]! + 0.587 * rgb[3 * i + 1]! + 0.114 * rgb[3 * i + 2]!);
  for (let y = 0; y < H / 2; y++) {
    for (let x = 0; x < W / 2; x++) {
      let r = 0, g = 0, b = 0;
      for (const [dx, dy] of [[0, 0], [1, 0], [0, 1], [1, 1]] as const) {
        const p = 3 * ((2 * y + dy) * W + 2 * x + dx);
        r += rgb[p]!; g += rgb[p + 1]!; b += rgb[p + 2]!;
      }
      r /= 4; g /= 4; b /= 4;
      const c = y * (W / 2) + x;
      out[U + c] = Math.max(0, Math.min(255, Math.round(128 - 0.168736 * r - 0.331264 * g + 0.5 * b)));
      out[V + c] = Math.max(0, Math.min(255, Math.round(128 + 0.5 * r - 0.418688 * g - 0.081312 * b)));
    }
  }
  return out;
}

/** The YUV4MPEG2 video of {@link BLOCKS} (Chromium loops it). */
export async function writeFakeVideo(path: string): Promise<void> {
  const frames = await Promise.all(BLOCKS.map((b) => i420Frame(b.file, b.crop, b.tag)));
  const header = Buffer.from(`YUV4MPEG2 W${W} H${H} F${FPS}:1 Ip A1:1 C420jpeg\n`);
  const tag = Buffer.from('FRAME\n');
  const parts: Uint8Array[] = [header];
  for (const f of frames) for (let k = 0; k < BLOCK; k++) parts.push(tag, f);
  writeFileSync(path, Buffer.concat(parts));
}


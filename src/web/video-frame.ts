/**
 * A camera frame's pixels as the core's float RGB image, in the worker. A WebCodecs `VideoFrame`
 * is read with `copyTo` in its own format (I420, NV12, RGBA/BGRA…), converted here: a camera's
 * frame is usually in CPU memory, and this avoids drawing it into a canvas and reading that back
 * (measured in headless Chromium with SwiftShader on this project's loaded 2-core machine, per
 * 640×480 frame: ~600 ms through an OffscreenCanvas; 9–13 ms with copyTo of a frame from
 * MediaStreamTrackProcessor, conversion included; a `VideoFrame` made from the <video> element
 * is GPU-backed there and its copyTo took ~1.1 s). Anything else (an ImageBitmap, a format this
 * does not know) goes through an OffscreenCanvas.
 */
import type { Image } from '../core/index.js';

let canvas: OffscreenCanvas | undefined;

/** The frame as float RGB in [0, 1] (sRGB-encoded), top row first; the frame is closed. */
export async function frameToImage(frame: VideoFrame | ImageBitmap): Promise<Image> {
  try {
    if (typeof VideoFrame !== 'undefined' && frame instanceof VideoFrame) {
      const img = await fromVideoFrame(frame);
      if (img) return img;
    }
    return fromCanvas(frame);
  } finally {
    frame.close();
  }
}

async function fromVideoFrame(f: VideoFrame): Promise<Image | undefined> {
  const format = f.format;
  const rect = f.visibleRect;
  if (!format || !rect) return undefined;
  const w = rect.width, h = rect.height;
  if (!['I420', 'I420A', 'NV12', 'RGBA', 'RGBX', 'BGRA', 'BGRX'].includes(format)) return undefined;
  const buf = new Uint8Array(f.allocationSize());
  const layout = await f.copyTo(buf);
  const data = new Float32Array(w * h * 3);
  if (format === 'RGBA' || format === 'RGBX' || format === 'BGRA' || format === 'BGRX') {
    const { offset, stride } = layout[0]!;
    const [r, b] = format.startsWith('RGB') ? [0, 2] : [2, 0];
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) {
        const p = offset + y * stride + 4 * x, q = 3 * (y * w + x);
        data[q] = buf[p + r]! / 255; data[q + 1] = buf[p + 1]! / 255; data[q + 2] = buf[p + b]! / 255;
      }
    }
    return { width: w, height: h, channels: 3, data };
  }
  // YUV: the frame's matrix and range (BT.601 unless it says BT.709).
  const cs = f.colorSpace;
  const bt709 = cs?.matrix === 'bt709';
  const full = cs?.fullRange === true;
  const kr = bt709 ? 0.2126 : 0.299, kb = bt709 ? 0.0722 : 0.114, kg = 1 - kr - kb;
  const crR = 2 * (1 - kr), cbB = 2 * (1 - kb), cbG = (-2 * kb * (1 - kb)) / kg, crG = (-2 * kr * (1 - kr)) / kg;
  const ys = full ? 1 / 255 : 1 / 219, yo = full ? 0 : 16, cs2 = full ? 1 / 255 : 1 / 224;
  const Y = layout[0]!, nv12 = format === 'NV12';
  const U = layout[1]!, V = nv12 ? layout[1]! : layout[2]!;
  for (let y = 0; y < h; y++) {
    const cy = y >> 1;
    for (let x = 0; x < w; x++) {
      const cx = x >> 1;
      const yy = (buf[Y.offset + y * Y.stride + x]! - yo) * ys;
      const u = ((nv12 ? buf[U.offset + cy * U.stride + 2 * cx]! : buf[U.offset + cy * U.stride + cx]!) - 128) * cs2;
      const v = ((nv12 ? buf[V.offset + cy * V.stride + 2 * cx + 1]! : buf[V.offset + cy * V.stride + cx]!) - 128) * cs2;
      const q = 3 * (y * w + x);
      data[q] = clamp01(yy + crR * v);
      data[q + 1] = clamp01(yy + cbG * u + crG * v);
      data[q + 2] = clamp01(yy + cbB * u);
    }
  }
  return { width: w, height: h, channels: 3, data };
}

function fromCanvas(frame: VideoFrame | ImageBitmap): Image {
  const w = frame instanceof ImageBitmap ? frame.width : frame.displayWidth;
  const h = frame instanceof ImageBitmap ? frame.height : frame.displayHeight;
  if (!canvas || canvas.width !== w || canvas.height !== h) canvas = new OffscreenCanvas(w, h);
  const ctx = canvas.getContext('2d', { willReadFrequently: true });
  if (!ctx) throw new Error('no 2D canvas in the worker');
  ctx.drawImage(frame, 0, 0);
  const rgba = ctx.getImageData(0, 0, w, h).data;
  const data = new Float32Array(w * h * 3);
  for (let i = 0, q = 0; i < rgba.length; i += 4, q += 3) { data[q] = rgba[i]! / 255; data[q + 1] = rgba[i + 1]! / 255; data[q + 2] = rgba[i + 2]! / 255; }
  return { width: w, height: h, channels: 3, data };
}

function clamp01(x: number): number {
  return x < 0 ? 0 : x > 1 ? 1 : x;
}

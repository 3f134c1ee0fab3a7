import type { Image } from '../core/types.js';

/**
 * Area-averaging (box filter) resize to a smaller `outW`×`outH` RGB image scaled to [0, 255]
 * as Human expects, returned as a flat HWC Float32Array. Output pixel (i, j) is the exact
 * area-weighted mean of the input over [i·W/outW, (i+1)·W/outW) × [j·H/outH, (j+1)·H/outH),
 * so continuous coordinates map as x_in = x_out · W/outW. With outW = W and outH = H it is a
 * plain copy. One channel is replicated to RGB; a 4th channel is dropped.
 *
 * @example const rgb255 = downscaleToRgb255(photo, 1024, 768);
 */
export function downscaleToRgb255(img: Image, outW: number, outH: number): Float32Array {
  const { width: W, height: H, channels: C, data } = img;
  const ch = C >= 3 ? [0, 1, 2] : [0, 0, 0];
  const out = new Float32Array(outW * outH * 3);
  if (outW === W && outH === H) {
    for (let p = 0, q = 0; p < W * H; p++, q += 3) {
      const s = p * C;
      out[q] = data[s + ch[0]!]! * 255;
      out[q + 1] = data[s + ch[1]!]! * 255;
      out[q + 2] = data[s + ch[2]!]! * 255;
    }
    return out;
  }
  const xs = areaWeights(W, outW);
  const ys = areaWeights(H, outH);
  // Horizontal pass: H rows × outW columns × 3.
  const tmp = new Float64Array(H * outW * 3);
  for (let y = 0; y < H; y++) {
    for (let i = 0; i < outW; i++) {
      const { start, weights } = xs[i]!;
      let r = 0, g = 0, b = 0;
      for (let k = 0; k < weights.length; k++) {
        const w = weights[k]!, s = (y * W + start + k) * C;
        r += w * data[s + ch[0]!]!;
        g += w * data[s + ch[1]!]!;
        b += w * data[s + ch[2]!]!;
      }
      const q = (y * outW + i) * 3;
      tmp[q] = r; tmp[q + 1] = g; tmp[q + 2] = b;
    }
  }
  for (let j = 0; j < outH; j++) {
    const { start, weights } = ys[j]!;
    for (let i = 0; i < outW; i++) {
      let r = 0, g = 0, b = 0;
      for (let k = 0; k < weights.length; k++) {
        const w = weights[k]!, s = ((start + k) * outW + i) * 3;
        r += w * tmp[s]!; g += w * tmp[s + 1]!; b += w * tmp[s + 2]!;
      }
      const q = (j * outW + i) * 3;
      out[q] = r * 255; out[q + 1] = g * 255; out[q + 2] = b * 255;
    }
  }
  return out;
}

/** For each output sample of an n → m (m ≤ n) box resize: first input index and normalised weights. */
function areaWeights(n: number, m: number): { start: number; weights: Float64Array }[] {
  const scale = n / m;
  const res: { start: number; weights: Float64Array }[] = [];
  for (let i = 0; i < m; i++) {
    const a = i * scale, b = (i + 1) * scale;
    const start = Math.floor(a), end = Math.min(n, Math.ceil(b));
    const weights = new Float64Array(end - start);
    for (let k = start; k < end; k++) weights[k - start] = (Math.min(b, k + 1) - Math.max(a, k)) / scale;
    res.push({ start, weights });
  }
  return res;
}

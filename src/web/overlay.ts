/**
 * Alignment check: the photo around the face with the fitted proxy projected onto it through
 * the estimated camera and pose (wireframe of the 468-vertex face-mesh topology; Loop
 * subdivision keeps the base vertices' ids, so the dense proxy's first 468 vertices are their
 * smoothed positions) and the analyser's landmarks as dots.
 */
import { faceMeshTopology } from '../core/index.js';
import type { ViewData } from './protocol.js';

export interface OverlaySettings {
  mesh: boolean;
  landmarks: boolean;
}

/**
 * Draws onto `canvas` (its size is set here): the face box ×1.8 of `photo`, the projected mesh
 * and the landmarks.
 */
export function drawOverlay(canvas: HTMLCanvasElement, photo: ImageBitmap, view: ViewData, settings: OverlaySettings): void {
  const [bx, by, bw, bh] = view.analysis.box;
  const side = Math.max(bw, bh) * 1.8;
  const sx = bx + bw / 2 - side / 2, sy = by + bh / 2 - side / 2;
  const size = Math.round(Math.min(720, Math.max(240, canvas.clientWidth || 360)) * (window.devicePixelRatio || 1));
  canvas.width = size;
  canvas.height = size;
  const k = size / side;
  const ctx = canvas.getContext('2d')!;
  ctx.fillStyle = '#000';
  ctx.fillRect(0, 0, size, size);
  ctx.drawImage(photo, sx, sy, side, side, 0, 0, size, size);
  const toCanvas = (x: number, y: number): [number, number] => [(x - sx) * k, (y - sy) * k];

  if (settings.mesh) {
    const topo = faceMeshTopology();
    const n = topo.vertexCount;
    const R = view.pose.rotation, t = view.pose.translation, c = view.camera, p = view.proxy.positions;
    const px = new Float32Array(2 * n);
    for (let i = 0; i < n; i++) {
      const X = p[3 * i]!, Y = p[3 * i + 1]!, Z = p[3 * i + 2]!;
      const cx = R[0]! * X + R[1]! * Y + R[2]! * Z + t[0]!;
      const cy = R[3]! * X + R[4]! * Y + R[5]! * Z + t[1]!;
      const cz = R[6]! * X + R[7]! * Y + R[8]! * Z + t[2]!;
      const [u, v] = toCanvas((c.fx * cx) / cz + c.cx, (c.fy * cy) / cz + c.cy);
      px[2 * i] = u;
      px[2 * i + 1] = v;
    }
    ctx.strokeStyle = 'rgba(80, 220, 255, 0.75)';
    ctx.lineWidth = Math.max(0.75, size / 700);
    ctx.beginPath();
    const idx = topo.indices;
    for (let f = 0; f < idx.length; f += 3) {
      const a = idx[f]!, b = idx[f + 1]!, d = idx[f + 2]!;
      ctx.moveTo(px[2 * a]!, px[2 * a + 1]!);
      ctx.lineTo(px[2 * b]!, px[2 * b + 1]!);
      ctx.lineTo(px[2 * d]!, px[2 * d + 1]!);
      ctx.closePath();
    }
    ctx.stroke();
  }
  if (settings.landmarks) {
    const l = view.analysis.landmarks;
    ctx.fillStyle = 'rgba(255, 190, 40, 0.95)';
    const r = Math.max(1, size / 400);
    for (let i = 0; i < l.length / 3; i++) {
      const [u, v] = toCanvas(l[3 * i]!, l[3 * i + 1]!);
      ctx.fillRect(u - r, v - r, 2 * r, 2 * r);
    }
  }
}

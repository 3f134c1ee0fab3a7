/**
 * Diagnostic: how well is our reconstruction registered with the ground truth in the image?
 * For a few tuning views, shifts our rendered proxy normals by (dx, dy) px and reports the shift
 * that minimises the mean angular error over the face mask (a systematic non-zero best shift means
 * a landmark / camera bias, which costs every method and most of all fine detail).
 *   node --import tsx bench/accuracy/registration.ts [viewId ...]
 */
import { createReconstructor } from '../../src/node/reconstructor.js';
import { renderMethod } from './methods.js';
import { loadScan } from './scan.js';
import { benchSet, renderView } from './scene.js';

const scan = await loadScan();
const wanted = process.argv.slice(2);
const views = benchSet().filter((v) => v.split === 'tune' && (wanted.length ? wanted.includes(v.id) : Math.abs(v.yawDeg) < 25 && Math.abs(v.pitchDeg) < 12)).slice(0, 8);
const rec = await createReconstructor();
const R = 6;
for (const view of views) {
  const r = renderView(scan, view);
  const face = await rec.reconstruct({ image: r.image, width: r.camera.width, height: r.camera.height, format: 'raw', exif: { focalLength35mm: view.focalLength35mm } });
  const ours = renderMethod(face, 'proxy', r.camera, 63);
  const W = r.camera.width, H = r.camera.height;
  let best = { dx: 0, dy: 0, err: Infinity }, zero = NaN;
  for (let dy = -R; dy <= R; dy++) for (let dx = -R; dx <= R; dx++) {
    let s = 0, n = 0;
    for (let y = R; y < H - R; y++) for (let x = R; x < W - R; x++) {
      const p = y * W + x;
      if (!r.mask[p]) continue;
      const q = (y - dy) * W + (x - dx); // our pixel that lands on p after shifting ours by (dx, dy)
      if (!(ours.coverage[q]! > 0.99)) continue;
      const d = r.gt.normal[3 * p]! * ours.normal[3 * q]! + r.gt.normal[3 * p + 1]! * ours.normal[3 * q + 1]! + r.gt.normal[3 * p + 2]! * ours.normal[3 * q + 2]!;
      s += Math.acos(Math.max(-1, Math.min(1, d))); n++;
    }
    const err = (s / n) * 180 / Math.PI;
    if (dx === 0 && dy === 0) zero = err;
    if (err < best.err) best = { dx, dy, err };
  }
  console.log(`${view.id} ${view.size}px yaw ${view.yawDeg.toFixed(1)} pitch ${view.pitchDeg.toFixed(1)}: best shift of ours (${best.dx}, ${best.dy}) px → ${best.err.toFixed(2)}° (unshifted ${zero.toFixed(2)}°)`);
}
await rec.dispose();

/**
 * DFDN training data: synthetic wrinkled faces (generator v2 + training renderer v2, with
 * glasses, hair and hand occluders) run through the product's own pipeline, so the network learns from
 * exactly the features it will see at inference, against a ground truth it cannot get from its
 * own image model.
 *
 * Per sample (`synth/<id>/`, planar float32 at the detail resolution, 1024² by default):
 *   features.f32  the 6 `dfdnFeatures()` channels of the reconstruction of the render;
 *   target.f32    the ground-truth wrinkle displacement (mm, outward) in OUR UV layout: each
 *                 covered, camera-facing texel's proxy point is projected into the render with the
 *                 pipeline's own camera and the render's per-pixel displacement is read there
 *                 (bilinear; the proxy's low-frequency error against the true surface is not part
 *                 of the target: the network predicts the detail only);
 *   class.u8      0 no ground truth (off the rendered face, or a tap off it), 1 skin (target as
 *                 read), 2 under an occluder (glasses, hair, a hand: target 0, "no relief here");
 *   meta.json     seed, age, expression preset, size, occluders, the camera error, timings.
 *
 * Seeds must stay below 7000 (7001+ are the detail benchmark's held-out identities).
 *
 *   node --import tsx training/export/export-synth.ts [--out training/data/synth] [--seed-start 1] [--count 100] [--res 1024] [--hands 0.25] [--sizes 768,1024]
 *
 * `--hands` is the share of seeds that get a hand on one cheek (drawn from the seed alone, so a
 * seed's face, lights and other occluders are the same with or without it; 0 = the v2 data).
 */
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { dfdnFeatures } from '../../src/core/detail/dfdn-features.js';
import { projectTexel } from './project-texels.js';
import type { FaceReconstruction } from '../../src/core/pipeline/types.js';
import { loadIctModel } from '../../src/node/model-import/load-ict.js';
import { createReconstructor } from '../../src/node/reconstructor.js';
import { jpegRoundTrip } from '../../bench/detail/evaluate.js';
import { EXPRESSION_PRESETS } from '../../bench/synth/faces.js';
import { mulberry } from '../../bench/synth/wrinkles.js';
import { renderSynthCase, synthCase } from '../../bench/synth/scene.js';
import { currentCommit } from '../../bench/common.js';

const args = process.argv.slice(2);
const opt = (name: string, def: string): string => { const i = args.indexOf(name); return i >= 0 && args[i + 1] ? args[i + 1]! : def; };
const OUT = path.resolve(opt('--out', 'training/data/synth'));
const SEED0 = Number(opt('--seed-start', '1')), COUNT = Number(opt('--count', '100')), RES = Number(opt('--res', '1024'));
const HANDS = Number(opt('--hands', '0.25'));
/** Render sizes drawn uniformly (px; the face spans about half the width): v2 / v3 used 768 and 1024, v4 adds 384 and 512 (faces as small as in many real photos). */
const SIZES = opt('--sizes', '768,1024').split(',').map(Number);
for (const s of SIZES) if (!(Number.isInteger(s) && s >= 256 && s <= 2048)) throw new Error(`--sizes: each size must be an integer from 256 to 2048 px, got "${s}"`);
if (!(HANDS >= 0 && HANDS <= 1)) throw new Error(`--hands must be a share in 0…1, got ${opt('--hands', '')}`);
if (!(SEED0 >= 1 && SEED0 + COUNT <= 7001)) throw new Error(`--seed-start + --count must stay within 1…7000 (7001+ are the benchmark's), got ${SEED0}…${SEED0 + COUNT - 1}`);

const f32 = (a: Float32Array): Buffer => Buffer.from(a.buffer, a.byteOffset, a.byteLength);

/** The scene draw of a training seed: age 25–85, any expression preset, a render size from `SIZES`, a hand on a `HANDS` share. */
function draw(seed: number): { age: number; preset: string; size: number; hand: boolean } {
  const rnd = mulberry(seed * 31337 + 11);
  const presets = Object.keys(EXPRESSION_PRESETS);
  const d = { age: Math.round(25 + 60 * rnd()), preset: presets[Math.floor(rnd() * presets.length)]!, size: SIZES[Math.min(SIZES.length - 1, Math.floor(rnd() * SIZES.length))]! };
  // Its own stream, so the draws above (and every other field of the case) are as in the v2 data.
  return { ...d, hand: mulberry(seed * 7919 + 5)() < HANDS };
}

async function main(): Promise<void> {
  const t0 = performance.now();
  const data = await loadIctModel({});
  const rec = await createReconstructor({ keepIntermediates: true, textureResolution: RES, detailResolution: RES, detail: 'sfs' });
  await mkdir(OUT, { recursive: true });
  try {
    for (let seed = SEED0; seed < SEED0 + COUNT; seed++) {
      const ts = performance.now();
      const d = draw(seed);
      const c = synthCase(data, seed, d);
      const r = renderSynthCase(data, c);
      const tRender = performance.now() - ts;
      const image = await jpegRoundTrip(r.render.image, c.jpegQuality);
      let face: FaceReconstruction;
      try {
        face = await rec.reconstruct({ image, width: r.camera.width, height: r.camera.height, format: 'raw', exif: { focalLength35mm: c.focalLength35mm } });
      } catch (e) {
        console.log(`${c.id}: skipped (${(e as Error).message})`);
        continue;
      }
      const di = face.intermediates?.detailInput;
      if (!di) throw new Error('keepIntermediates did not expose detailInput');
      const { geom, texture, confidence, sh, flatMask } = di;
      const feats = dfdnFeatures({ geom, texture, confidence, sh, ...(flatMask ? { flatMask } : {}) });
      const W = geom.width, H = geom.height, n = W * H;
      const cam = face.camera, Wi = r.camera.width, Hi = r.camera.height;
      const target = new Float32Array(n), cls = new Uint8Array(n);
      const { coverage, occluded, displacement } = r.render;
      let nSkin = 0, nOcc = 0;
      for (let i = 0; i < n; i++) {
        if (!geom.coverage[i]) continue;
        const taps = projectTexel(geom, cam, i, Wi, Hi);
        if (!taps) continue;
        let ok = true, occ = 0, s = 0;
        for (const [p, w] of taps) {
          occ = Math.max(occ, occluded[p]!);
          if (!(coverage[p]! >= 0.999)) { ok = false; continue; }
          s += w * displacement[p]!;
        }
        if (occ > 0.25) { cls[i] = 2; target[i] = 0; nOcc++; } else if (ok) { cls[i] = 1; target[i] = s; nSkin++; }
      }
      const dir = path.join(OUT, c.id);
      await mkdir(dir, { recursive: true });
      await Promise.all([
        writeFile(path.join(dir, 'features.f32'), f32(feats.data)),
        writeFile(path.join(dir, 'target.f32'), f32(target)),
        writeFile(path.join(dir, 'class.u8'), Buffer.from(cls.buffer)),
        writeFile(path.join(dir, 'meta.json'), JSON.stringify({
          id: c.id, seed, age: c.face.age, preset: d.preset, size: d.size, width: W, height: H, glasses: c.glasses ?? null, hair: c.hair ? { strands: c.hair.strands } : null, hand: c.hand ? { side: c.hand.side } : null,
          skinTexels: nSkin, occludedTexels: nOcc, yawDeg: c.yawDeg, pitchDeg: c.pitchDeg, fittedYawDeg: face.pose.yawDeg, mmPerPixel: face.mmPerPixel,
          renderMs: Math.round(tRender), totalMs: Math.round(performance.now() - ts), commit: currentCommit(),
        }, null, 1)),
      ]);
      console.log(`${c.id}: skin ${nSkin} occluded ${nOcc} texels, render ${(tRender / 1000).toFixed(1)} s, total ${((performance.now() - ts) / 1000).toFixed(1)} s, elapsed ${((performance.now() - t0) / 60000).toFixed(1)} min`);
    }
  } finally {
    await rec.dispose();
  }
}

await main();

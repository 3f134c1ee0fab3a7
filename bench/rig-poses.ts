/**
 * `npm run docs:rig-poses [-- photo.jpg ...]`: the animatable head in three poses of its own rig,
 * as one sheet (docs/rig-poses.jpg): per photo, the photo | rig.glb at its default weights (the
 * photo's expression) | brows up, jaw open, eyes turned, head turned left | a smile with squinted
 * eyes, head turned right. Each pose is the exported `rig.glb` (`--model ict --rig arkit`)
 * imported into Blender and rendered with Cycles (scripts/blender-rig-poses.py), so the sheet
 * shows what an artist gets, through a glTF importer that is not ours. Needs Debian's `blender`.
 */
import { execFileSync } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { buildOutputFiles } from '../src/core/pipeline/output-files.js';
import { createReconstructor } from '../src/node/reconstructor.js';

const SHARED = process.env.FACEDETAIL_SHARED ?? path.resolve('..', 'shared');
const args = process.argv.slice(2);
const PHOTOS = args.length > 0 ? args : ['grace_hopper.jpg', 'faceapi_neutral.jpg'];
const TILE = 300;
const OUT = process.env.RIG_POSES_OUT ?? 'docs/rig-poses.jpg';

/** The three poses: `weights: null` keeps the GLB's default weights. */
const POSES = [
  { weights: null, yawDeg: 0, pitchDeg: 0 },
  {
    weights: { jawOpen: 0.55, browInnerUp: 0.9, browOuterUpLeft: 0.7, browOuterUpRight: 0.7, eyeWideLeft: 0.6, eyeWideRight: 0.6, eyeLookOutRight: 0.5, eyeLookInLeft: 0.5 },
    yawDeg: -30, pitchDeg: 5,
  },
  {
    weights: { mouthSmileLeft: 0.9, mouthSmileRight: 0.9, cheekSquintLeft: 0.6, cheekSquintRight: 0.6, eyeSquintLeft: 0.5, eyeSquintRight: 0.5, eyeBlinkLeft: 0.3, eyeBlinkRight: 0.3 },
    yawDeg: 30, pitchDeg: -5,
  },
];

const H = Math.round(TILE * 1.2);
const work = await mkdtemp(path.join(tmpdir(), 'facedetail-rig-poses-'));
try {
  const rec = await createReconstructor({ model: 'ict', rig: 'arkit' });
  await writeFile(path.join(work, 'poses.json'), JSON.stringify(POSES));
  const rows: Buffer[] = [];
  for (const name of PHOTOS) {
    const photoPath = path.join(SHARED, 'photos', name);
    const face = await rec.reconstruct(await readFile(photoPath));
    const rig = (await buildOutputFiles(face, { formats: ['glb'], sourceName: name, version: 'docs' }))['rig.glb'];
    if (!rig) throw new Error(`${name}: no rig.glb`);
    const glb = path.join(work, `${path.parse(name).name}.glb`);
    await writeFile(glb, rig);
    const prefix = path.join(work, path.parse(name).name);
    const t0 = performance.now();
    execFileSync('blender', ['-b', '--factory-startup', '-noaudio', '--python', 'scripts/blender-rig-poses.py', '--', glb, path.join(work, 'poses.json'), prefix, String(TILE)], { stdio: ['ignore', 'ignore', 'inherit'] });
    console.log(`${name}: rig.glb ${(rig.length / 1e6).toFixed(1)} MB, 3 Cycles renders in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
    // The photo cropped around the face to the tiles' aspect.
    const [bx, by, bw, bh] = face.analysis.box;
    const cx = bx + bw / 2, cy = by + bh / 2, h = bh * 1.9, w = h / 1.2;
    const meta = await sharp(photoPath).metadata();
    const left = Math.max(0, Math.round(cx - w / 2)), top = Math.max(0, Math.round(cy - h / 2));
    const width = Math.min(meta.width! - left, Math.round(w)), height = Math.min(meta.height! - top, Math.round(h));
    const photo = await sharp(photoPath).extract({ left, top, width, height }).resize(TILE, H, { fit: 'contain', background: '#0b0b0e' }).png().toBuffer();
    const tiles = [photo, ...POSES.map((_, i) => `${prefix}-${i}.png`)];
    rows.push(await sharp({ create: { width: TILE * tiles.length, height: H, channels: 3, background: '#0b0b0e' } })
      .composite(await Promise.all(tiles.map(async (t, i) => ({ input: await sharp(t).resize(TILE, H).png().toBuffer(), left: i * TILE, top: 0 }))))
      .png().toBuffer());
  }
  await sharp({ create: { width: TILE * 4, height: H * rows.length, channels: 3, background: '#0b0b0e' } })
    .composite(rows.map((input, i) => ({ input, left: 0, top: i * H })))
    .jpeg({ quality: 82 }).toFile(OUT);
  console.log(`wrote ${OUT}`);
  await rec.dispose();
} finally {
  await rm(work, { recursive: true, force: true });
}

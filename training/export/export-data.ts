/**
 * DFDN training-data export (issue 6 part C): runs the facedetail pipeline with
 * `keepIntermediates` and writes, per sample, the detail stage's inputs as raw little-endian
 * binaries that `training/*.py` memory-maps. The 6 feature channels come from the product's own
 * `dfdnFeatures()` (the contract); Python never recomputes them for real samples.
 *
 * Samples:
 * - `photos/<name>/`: the largest face of each real photo of `$FACEDETAIL_SHARED/photos`
 *   (non_face.jpg excluded), split train / held-out by the fixed list {@link HELDOUT_PHOTOS}.
 * - `scan/<view id>/`: the accuracy benchmark's renders of the Lee Perry-Smith scan, ALL exported
 *   with split `heldout`: the scan is an unseen subject, used for evaluation only (never a
 *   training target or a training albedo; `meta.benchSplit` keeps the benchmark's own half), plus the scan's ground-truth
 *   normal sampled into OUR UV layout: each covered texel's proxy point is projected into the
 *   render and the GT normal map (scan geometry ⊕ its normal map, camera frame) is read there.
 *
 * Files per sample (planar = channel-major, H × W = 1024²):
 *   features.f32 (6 planar, dfdnFeatures), texture.f32 (3 planar, linear RGB), normal.f32,
 *   dpdu.f32, dpdv.f32 (3 planar each, camera frame, mm), coverage.u8, confidence.f32, flat.f32,
 *   skin.f32 (buildSkinMask: lighting-fit weight), sfs.f32 (the current solver's displacement, mm,
 *   a baseline), meta.json (sh, exposure, shadingMean, split,
 *   pose…); scan views also gtnormal.f32 (3 planar, camera frame) and gtvalid.u8.
 * Plus `landmarks.json` (face-mesh UVs, landmark index sets, regions) and `index.json`.
 *
 * Usage: node --import tsx training/export/export-data.ts [--out training/data] [--res 1024]
 *        [--photos-only | --scan-only] [--limit N]
 */
import { mkdir, readFile, readdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { dfdnFeatures } from '../../src/core/detail/dfdn-features.js';
import { projectTexel } from './project-texels.js';
import { buildSkinMask } from '../../src/core/lighting/skin-mask.js';
import { FACEMESH_LANDMARKS } from '../../src/core/model/facemesh/facemesh-landmarks.js';
import { faceMeshTopology } from '../../src/core/model/facemesh/facemesh-model.js';
import type { FaceReconstruction } from '../../src/core/pipeline/types.js';
import { createReconstructor } from '../../src/node/reconstructor.js';
import { SHARED, currentCommit } from '../../bench/common.js';
import { loadScan } from '../../bench/accuracy/scan.js';
import { benchSet, renderView } from '../../bench/accuracy/scene.js';

/** Real photos kept out of training (evaluation only). Chosen by hand to span the set: studio,
 * official portraits, web images with expressions, stock portraits, a two-person photo. */
export const HELDOUT_PHOTOS = [
  'grace_hopper.jpg', 'obama.jpg', 'faceapi_happy.jpg', 'faceapi_surprised.jpg', 'stock-emotions-a-2.jpg',
  'stock-emotions-b-5.jpg', 'stock-teen-8.jpg', 'person-vlado.jpg', 'two_people.jpg',
];
/** Never used: no face. */
const EXCLUDED_PHOTOS = ['non_face.jpg'];

const args = process.argv.slice(2);
const opt = (name: string, def: string): string => {
  const i = args.indexOf(name);
  return i >= 0 && args[i + 1] ? args[i + 1]! : def;
};
const OUT = path.resolve(opt('--out', 'training/data'));
const RES = Number(opt('--res', '1024'));
const LIMIT = Number(opt('--limit', '1000000'));
const photosOnly = args.includes('--photos-only'), scanOnly = args.includes('--scan-only');

const f32 = (a: Float32Array): Buffer => Buffer.from(a.buffer, a.byteOffset, a.byteLength);

/** Interleaved xyz → planar (3 × n). */
function planar3(a: Float32Array, n: number): Float32Array {
  const o = new Float32Array(3 * n);
  for (let i = 0; i < n; i++) { o[i] = a[3 * i]!; o[n + i] = a[3 * i + 1]!; o[2 * n + i] = a[3 * i + 2]!; }
  return o;
}

interface Written { dir: string; meta: Record<string, unknown>; face: FaceReconstruction }

async function writeSample(dir: string, face: FaceReconstruction, meta: Record<string, unknown>): Promise<Written> {
  const di = face.intermediates?.detailInput;
  if (!di) throw new Error('keepIntermediates did not expose detailInput');
  const { geom, texture, confidence, sh, flatMask } = di;
  const W = geom.width, H = geom.height, n = W * H;
  const feats = dfdnFeatures({ geom, texture, confidence, sh, ...(flatMask ? { flatMask } : {}) });
  const topo = faceMeshTopology();
  const skin = buildSkinMask(W, H, topo.uvs, topo.regions, geom.coverage);
  const tex = new Float32Array(3 * n);
  const C = texture.channels;
  for (let i = 0; i < n; i++) for (let c = 0; c < 3; c++) tex[c * n + i] = texture.data[C * i + c]!;
  await mkdir(dir, { recursive: true });
  await Promise.all([
    writeFile(path.join(dir, 'features.f32'), f32(feats.data)),
    writeFile(path.join(dir, 'texture.f32'), f32(tex)),
    writeFile(path.join(dir, 'normal.f32'), f32(planar3(geom.normal, n))),
    writeFile(path.join(dir, 'dpdu.f32'), f32(planar3(geom.dPdu, n))),
    writeFile(path.join(dir, 'dpdv.f32'), f32(planar3(geom.dPdv, n))),
    writeFile(path.join(dir, 'coverage.u8'), Buffer.from(geom.coverage.buffer, geom.coverage.byteOffset, n)),
    writeFile(path.join(dir, 'confidence.f32'), f32(confidence)),
    writeFile(path.join(dir, 'flat.f32'), f32(flatMask ?? new Float32Array(n))),
    writeFile(path.join(dir, 'skin.f32'), f32(skin)),
    // The product's shape-from-shading solver's displacement (mm): a baseline for evaluation.
    writeFile(path.join(dir, 'sfs.f32'), f32(face.maps.displacement.data)),
  ]);
  const full = {
    ...meta, width: W, height: H, sh: Array.from(sh), exposure: feats.exposure, shadingMean: feats.shadingMean,
    yawDeg: face.pose.yawDeg, pitchDeg: face.pose.pitchDeg, mmPerPixel: face.mmPerPixel,
  };
  await writeFile(path.join(dir, 'meta.json'), JSON.stringify(full, null, 1));
  return { dir, meta: full, face };
}

async function main(): Promise<void> {
  const t0 = performance.now();
  await mkdir(OUT, { recursive: true });
  const topo = faceMeshTopology();
  await writeFile(path.join(OUT, 'landmarks.json'), JSON.stringify({
    uvs: Array.from(topo.uvs), landmarks: FACEMESH_LANDMARKS,
    regions: topo.regions.map((r) => ({ name: r.name, loop: Array.from(r.loop), dilate: r.dilate })),
  }));
  const rec = await createReconstructor({ keepIntermediates: true, textureResolution: RES, detailResolution: RES, meshLevels: 3 });
  const index: Array<Record<string, unknown>> = [];

  if (!scanOnly) {
    const dir = path.join(SHARED, 'photos');
    const names = (await readdir(dir)).filter((f) => /\.(jpe?g|png)$/i.test(f) && !EXCLUDED_PHOTOS.includes(f)).sort().slice(0, LIMIT);
    for (const name of names) {
      const split = HELDOUT_PHOTOS.includes(name) ? 'heldout' : 'train';
      try {
        const face = await rec.reconstruct(path.join(dir, name));
        const id = name.replace(/\.[^.]+$/, '');
        const w = await writeSample(path.join(OUT, 'photos', id), face, { kind: 'photo', id, source: name, split });
        index.push({ kind: 'photo', id, split, dir: path.relative(OUT, w.dir) });
        console.log(`photo ${name} (${split}) yaw ${face.pose.yawDeg.toFixed(0)}° ${((performance.now() - t0) / 1000).toFixed(0)} s`);
      } catch (e) {
        console.log(`photo ${name}: skipped (${(e as Error).message})`);
      }
    }
  }

  if (!photosOnly) {
    const scan = await loadScan();
    const views = benchSet().slice(0, LIMIT);
    for (const view of views) {
      const r = renderView(scan, view);
      let face: FaceReconstruction;
      try {
        face = await rec.reconstruct({ image: r.image, width: r.camera.width, height: r.camera.height, format: 'raw', exif: { focalLength35mm: view.focalLength35mm } });
      } catch (e) {
        console.log(`scan ${view.id}: skipped (${(e as Error).message})`);
        continue;
      }
      // The Lee Perry-Smith scan is an unseen subject: evaluation only, whichever benchmark half.
      const split = 'heldout';
      const w = await writeSample(path.join(OUT, 'scan', view.id), face, { kind: 'scan', id: view.id, split, benchSplit: view.split, light: view.light, renderSize: view.size, trueYawDeg: view.yawDeg, truePitchDeg: view.pitchDeg });
      // Ground-truth normals in our UV layout.
      const geom = face.intermediates!.detailInput.geom;
      const cam = face.camera, gt = r.gt, Wi = gt.width, Hi = gt.height;
      const n = geom.width * geom.height;
      const gtn = new Float32Array(3 * n), valid = new Uint8Array(n);
      // Pass 1: project every front-facing covered texel; bilinear GT normal where all 4 pixels
      // are fully covered and inside the scan's face region. Pass 2 keeps texels whose proxy
      // depth agrees with the GT depth up to the view's median offset (our estimated depth is
      // off by several mm, so an absolute tolerance would drop whole bands of the face) ± 6 mm:
      // this rejects texels that the scan itself occludes (nose sides, under the chin).
      const dz = new Float32Array(n).fill(NaN);
      for (let i = 0; i < n; i++) {
        if (!geom.coverage[i]) continue;
        const taps = projectTexel(geom, cam, i, Wi, Hi);
        if (!taps) continue;
        const Z = geom.position[3 * i + 2]!;
        let ok = true, sx = 0, sy = 0, sz = 0, sd = 0;
        for (const [p, wgt] of taps) {
          if (!(gt.region[p]! >= 0.999) || !(gt.coverage[p]! >= 0.999)) { ok = false; break; }
          sx += wgt * gt.normal[3 * p]!; sy += wgt * gt.normal[3 * p + 1]!; sz += wgt * gt.normal[3 * p + 2]!;
          sd += wgt * gt.depth[p]!;
        }
        if (!ok) continue;
        const l = Math.hypot(sx, sy, sz) || 1;
        gtn[i] = sx / l; gtn[n + i] = sy / l; gtn[2 * n + i] = sz / l;
        dz[i] = sd - Z;
      }
      const offs = Array.from(dz).filter((v) => !Number.isNaN(v)).sort((p, q) => p - q);
      const medOff = offs.length ? offs[offs.length >> 1]! : 0;
      let nValid = 0;
      for (let i = 0; i < n; i++) {
        if (!Number.isNaN(dz[i]!) && Math.abs(dz[i]! - medOff) < 6) { valid[i] = 1; nValid++; }
        else { gtn[i] = 0; gtn[n + i] = 0; gtn[2 * n + i] = 0; }
      }
      await writeFile(path.join(w.dir, 'gtnormal.f32'), f32(gtn));
      await writeFile(path.join(w.dir, 'gtvalid.u8'), Buffer.from(valid.buffer));
      index.push({ kind: 'scan', id: view.id, split, dir: path.relative(OUT, w.dir), gtValid: nValid, depthOffsetMm: medOff });
      console.log(`scan ${view.id} (${split}) gt texels ${nValid} depth offset ${medOff.toFixed(1)} mm ${((performance.now() - t0) / 1000).toFixed(0)} s`);
    }
  }
  await rec.dispose();
  // Merge with an earlier index (e.g. a --scan-only re-run keeps the photos' entries).
  try {
    const old = JSON.parse(await readFile(path.join(OUT, 'index.json'), 'utf8')) as { samples: Array<Record<string, unknown>> };
    const seen = new Set(index.map((e) => `${String(e.kind)}/${String(e.id)}`));
    index.unshift(...old.samples.filter((e) => !seen.has(`${String(e.kind)}/${String(e.id)}`)));
  } catch { /* no earlier index */ }
  await writeFile(path.join(OUT, 'index.json'), JSON.stringify({
    commit: currentCommit(), resolution: RES, heldoutPhotos: HELDOUT_PHOTOS, excluded: EXCLUDED_PHOTOS,
    samples: index, seconds: (performance.now() - t0) / 1000,
  }, null, 1));
  console.log(`wrote ${index.length} samples to ${OUT} in ${((performance.now() - t0) / 1000).toFixed(0)} s`);
}

await main();

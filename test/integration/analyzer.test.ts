/**
 * The Node face analyser (Human + our sub-pixel face-mesh refinement) on real photos from
 * `$FACEDETAIL_SHARED/photos` (default ../shared). Photo tests skip, saying why, when absent.
 */
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FaceAnalysis } from '../../src/core/analysis/types.js';
import { isFaceDetailError } from '../../src/core/errors.js';
import { createImage, sampleBilinear } from '../../src/core/image/image.js';
import { EMOTIONS, type Emotion, type Image } from '../../src/core/types.js';
import { createHumanAnalyzer, type HumanFaceAnalyzer } from '../../src/node/human-analyzer.js';
import { cropToImage, imageToCrop, sampleFaceCrop, type FaceCrop } from '../../src/human/face-crop.js';
import { acquireHumanRuntime, defaultHumanModelDir, releaseHumanRuntime } from '../../src/node/human/human-runtime.js';

// tfjs-core exactly as Human loads it (CommonJS), to read the engine's tensor count.
const tf = createRequire(import.meta.url)('@tensorflow/tfjs-core') as typeof import('@tensorflow/tfjs-core');

const PHOTOS = resolve(process.env.FACEDETAIL_SHARED ?? '../shared', 'photos');
const HAVE_PHOTOS = existsSync(join(PHOTOS, 'grace_hopper.jpg'));
if (!HAVE_PHOTOS) console.log(`analyzer tests on photos skipped: ${PHOTOS} not found (set FACEDETAIL_SHARED)`);

async function loadPhoto(name: string): Promise<Image> {
  const { data, info } = await sharp(join(PHOTOS, name)).removeAlpha().toColourspace('srgb').raw().toBuffer({ resolveWithObject: true });
  const img = createImage(info.width, info.height, 3);
  for (let i = 0; i < data.length; i++) img.data[i] = data[i]! / 255;
  return img;
}

/** `img` rotated by `deg` clockwise on screen about its centre (same size, border clamped). */
function rotateImage(img: Image, deg: number): Image {
  const out = createImage(img.width, img.height, img.channels);
  const a = (deg * Math.PI) / 180, c = Math.cos(a), s = Math.sin(a);
  const cx = img.width / 2, cy = img.height / 2, px = new Float32Array(img.channels);
  for (let y = 0; y < img.height; y++) {
    for (let x = 0; x < img.width; x++) {
      const dx = x + 0.5 - cx, dy = y + 0.5 - cy; // source = R(−a)·(q − c) + c
      sampleBilinear(img, cx + c * dx + s * dy, cy - s * dx + c * dy, px);
      out.data.set(px, (y * img.width + x) * img.channels);
    }
  }
  return out;
}

function mirrorImage(img: Image): Image {
  const out = createImage(img.width, img.height, img.channels);
  const C = img.channels;
  for (let y = 0; y < img.height; y++) {
    for (let x = 0; x < img.width; x++) {
      const s = (y * img.width + (img.width - 1 - x)) * C;
      out.data.set(img.data.subarray(s, s + C), (y * img.width + x) * C);
    }
  }
  return out;
}

const lm = (f: FaceAnalysis, i: number): [number, number, number] => [f.landmarks[3 * i]!, f.landmarks[3 * i + 1]!, f.landmarks[3 * i + 2]!];

describe('face crop mapping (no models)', () => {
  it('cropToImage and imageToCrop are inverse', () => {
    const crop: FaceCrop = { cx: 123.4, cy: 88.8, size: 301.7, angle: 0.37 };
    const p = new Float64Array(2), q = new Float64Array(2);
    let worst = 0;
    for (const [x, y] of [[0, 0], [192, 0], [96, 96], [17.25, 180.5]] as const) {
      cropToImage(crop, 192, x, y, p);
      imageToCrop(crop, 192, p[0]!, p[1]!, q);
      worst = Math.max(worst, Math.abs(q[0]! - x), Math.abs(q[1]! - y));
    }
    expect(worst).toBeLessThan(1e-9);
    cropToImage(crop, 192, 96, 96, p);
    expect([p[0], p[1]]).toEqual([crop.cx, crop.cy]);
  });

  it('samples a linear ramp exactly at the mapped pixel centres (rotated, supersampled)', () => {
    const img = createImage(400, 300, 3);
    const f = (x: number, y: number, c: number): number => 0.001 * x + 0.002 * y + 0.1 * c;
    for (let y = 0; y < 300; y++) for (let x = 0; x < 400; x++) for (let c = 0; c < 3; c++) img.data[(y * 400 + x) * 3 + c] = f(x + 0.5, y + 0.5, c);
    const n = 32, p = new Float64Array(2);
    for (const crop of [{ cx: 200, cy: 150, size: 150, angle: 0.3 }, { cx: 190.3, cy: 160.7, size: 20, angle: -1.1 }]) {
      const out = sampleFaceCrop(img, crop, n);
      let worst = 0;
      for (let j = 0; j < n; j++) {
        for (let i = 0; i < n; i++) {
          cropToImage(crop, n, i + 0.5, j + 0.5, p);
          for (let c = 0; c < 3; c++) worst = Math.max(worst, Math.abs(out[(j * n + i) * 3 + c]! - f(p[0]!, p[1]!, c)));
        }
      }
      expect(worst).toBeLessThan(1e-5);
    }
  });
});

describe('createHumanAnalyzer: model files', () => {
  it('fails with MODEL_LOAD_FAILED naming the missing file and `npm ci`', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'facedetail-models-'));
    try {
      const err = await createHumanAnalyzer({ modelDir: dir }).then(() => undefined, (e: unknown) => e);
      expect(isFaceDetailError(err, 'MODEL_LOAD_FAILED')).toBe(true);
      expect((err as Error).message).toContain(join(dir, 'blazeface.json'));
      expect((err as Error).message).toContain('npm ci');
      // A JSON that does not parse, and one whose weight file is missing.
      writeFileSync(join(dir, 'blazeface.json'), '{ not json');
      const bad = await createHumanAnalyzer({ modelDir: dir }).then(() => undefined, (e: unknown) => e);
      expect(isFaceDetailError(bad, 'MODEL_LOAD_FAILED')).toBe(true);
      writeFileSync(join(dir, 'blazeface.json'), JSON.stringify({ weightsManifest: [{ paths: ['blazeface.bin'], weights: [] }] }));
      const noWeights = await createHumanAnalyzer({ modelDir: dir }).then(() => undefined, (e: unknown) => e);
      expect(isFaceDetailError(noWeights, 'MODEL_LOAD_FAILED')).toBe(true);
      expect((noWeights as Error).message).toContain(join(dir, 'blazeface.bin'));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('rejects bad options with INVALID_OPTION', async () => {
    for (const o of [{ maxFaces: 0 }, { minConfidence: 1.5 }, { refinePasses: 9 }, { refineTolerance: -1 }]) {
      const err = await createHumanAnalyzer(o).then(() => undefined, (e: unknown) => e);
      expect(isFaceDetailError(err, 'INVALID_OPTION')).toBe(true);
    }
  });
});

describe.skipIf(!HAVE_PHOTOS)('createHumanAnalyzer on photos', () => {
  let analyzer: HumanFaceAnalyzer;
  let grace: Image;
  let graceFaces: Awaited<ReturnType<HumanFaceAnalyzer['analyzeDetailed']>>;

  beforeAll(async () => {
    analyzer = await createHumanAnalyzer();
    grace = await loadPhoto('grace_hopper.jpg');
    await analyzer.analyze(grace); // warm-up
    graceFaces = await analyzer.analyzeDetailed(grace);
  });

  afterAll(async () => {
    await analyzer?.dispose();
  });

  it('finds one face in grace_hopper.jpg with 468 sub-pixel landmarks (+ 10 iris points) inside the detector\'s box', () => {
    expect(graceFaces).toHaveLength(1);
    const { analysis: f, diagnostics: d } = graceFaces[0]!;
    expect(f.landmarkCount).toBe(478);
    expect(f.landmarks).toHaveLength(478 * 3);
    expect(f.score).toBeGreaterThan(0.9);
    const [bx, by, bw, bh] = d.humanBox;
    const m = 0.05 * Math.max(bw, bh);
    let outside = 0, fractional = 0;
    for (let i = 0; i < 468; i++) {
      const [x, y, z] = lm(f, i);
      expect(Number.isFinite(x) && Number.isFinite(y) && Number.isFinite(z)).toBe(true);
      if (x < bx - m || x > bx + bw + m || y < by - m || y > by + bh + m) outside++;
      if (!Number.isInteger(x) || !Number.isInteger(y)) fractional++;
    }
    expect(outside).toBe(0);
    expect(fractional).toBeGreaterThan(460);
  });

  it('puts each iris centre (468 right, 473 left, MediaPipe order) inside its own eye opening, 4 contour points around it', () => {
    const f = graceFaces[0]!.analysis;
    for (const [centre, outer, inner, upper, lower] of [[468, 33, 133, 159, 145], [473, 263, 362, 386, 374]] as const) {
      const [cx, cy] = lm(f, centre), [ox, oy] = lm(f, outer), [ix, iy] = lm(f, inner);
      const w = Math.hypot(ix - ox, iy - oy);
      // Position along the corner line (0 outer, 1 inner) and across it (fraction of the eye width).
      const t = ((cx - ox) * (ix - ox) + (cy - oy) * (iy - oy)) / (w * w);
      expect(t, `iris ${centre} along the eye`).toBeGreaterThan(0.35);
      expect(t, `iris ${centre} along the eye`).toBeLessThan(0.65);
      expect(cy).toBeGreaterThan(lm(f, upper)[1] - 0.05 * w);
      expect(cy).toBeLessThan(lm(f, lower)[1] + 0.05 * w);
      // Contour: ≈ the iris radius (adult ≈ 5.9 mm on a ≈ 30 mm eye: ≈ 0.2 of the width) from the centre.
      for (let k = 1; k <= 4; k++) {
        const [px, py] = lm(f, centre + k);
        const r = Math.hypot(px - cx, py - cy) / w;
        expect(r, `iris ${centre} contour ${k}`).toBeGreaterThan(0.12);
        expect(r, `iris ${centre} contour ${k}`).toBeLessThan(0.3);
      }
    }
  });

  it('leaves the iris out with iris: false (same 468 landmarks)', async () => {
    const plain = await createHumanAnalyzer({ iris: false });
    try {
      const [f] = await plain.analyze(grace);
      expect(f!.landmarkCount).toBe(468);
      expect(Array.from(f!.landmarks)).toEqual(Array.from(graceFaces[0]!.analysis.landmarks.subarray(0, 468 * 3)));
    } finally {
      await plain.dispose();
    }
  });

  it('stays close to Human\'s whole-pixel mesh', () => {
    const { analysis: f, diagnostics: d } = graceFaces[0]!;
    let sum = 0, sx = 0, sy = 0, worst = 0;
    for (let i = 0; i < 468; i++) {
      const dx = f.landmarks[3 * i]! - d.humanMesh[3 * i]!, dy = f.landmarks[3 * i + 1]! - d.humanMesh[3 * i + 1]!;
      const e = Math.hypot(dx, dy);
      sum += e; sx += dx; sy += dy; worst = Math.max(worst, e);
    }
    const faceWidth = lm(f, 454)[0] - lm(f, 234)[0];
    console.log(
      `grace_hopper: ours − Human's truncated mesh: mean |d| ${(sum / 468).toFixed(2)} px, mean d (${(sx / 468).toFixed(2)}, ${(sy / 468).toFixed(2)}) px, ` +
        `worst ${worst.toFixed(2)} px (face width ${faceWidth.toFixed(0)} px); refinement shift per pass ${d.passShiftPx.map((s) => s.toFixed(2)).join(', ')} px`,
    );
    // Most of the difference is the network's dependence on the crop (ours is rotated and
    // framed as MediaPipe does); with Human's own crop the mapping is exact (next test).
    expect(sum / 468).toBeLessThan(3);
  });

  it('reproduces Human\'s mesh exactly when fed Human\'s own crop (sampler + mapping check)', async () => {
    const rt = await acquireHumanRuntime(defaultHumanModelDir());
    try {
      const { width: w, height: h } = grace;
      const input = tf.tensor4d(Float32Array.from(grace.data, (v) => v * 255), [1, h, w, 3]);
      const off = { enabled: false };
      const cfg = (mesh: boolean) => ({
        cacheSensitivity: 0, filter: off, gesture: off, body: off, hand: off, object: off, segmentation: off,
        face: { enabled: true, detector: { rotation: false, maxDetected: 1, skipFrames: 0, skipTime: 0 }, mesh: { enabled: mesh }, iris: off, emotion: off, description: off, antispoof: off, liveness: off, attention: off },
      });
      const detector = await rt.run(() => rt.human.detect(input, cfg(false))); // box = the crop Human feeds the mesh
      const meshed = await rt.run(() => rt.human.detect(input, cfg(true)));
      input.dispose();
      const [rx, ry, rw, rh] = detector.face[0]!.boxRaw;
      const x1 = rx * w, y1 = ry * h, bw = rw * w, bh = rh * h;
      // tf.image.cropAndResize: output index i ↔ input pixel index (x1 + i·bw/191)·(w − 1)/w.
      const size = (192 * bw * (w - 1)) / (191 * w);
      const crop: FaceCrop = { cx: (x1 * (w - 1)) / w + 0.5 + size / 2 - size / 384, cy: (y1 * (h - 1)) / h + 0.5 + size / 2 - size / 384, size, angle: 0 };
      const t = tf.tensor4d(sampleFaceCrop(grace, crop, 192, 1), [1, 192, 192, 3]);
      const outs = rt.models.facemesh.execute(t) as import('@tensorflow/tfjs-core').Tensor[];
      const raw = outs.find((o) => o.shape[1] === 1404)!.dataSync();
      tf.dispose([t, ...outs]);
      const mesh = meshed.face[0]!.mesh;
      let same = 0, worst = 0;
      for (let i = 0; i < 468; i++) {
        // Human's transformRawCoords: trunc(box centre + box/192 · (raw − 96)).
        const hx = Math.trunc(x1 + bw / 2 + (bw / 192) * (raw[3 * i]! - 96));
        const hy = Math.trunc(y1 + bh / 2 + (bh / 192) * (raw[3 * i + 1]! - 96));
        const p = mesh[i]!;
        const d = Math.max(Math.abs(hx - p[0]), Math.abs(hy - p[1]));
        if (d === 0) same++;
        worst = Math.max(worst, d);
      }
      console.log(`Human's crop through our sampler: ${same}/468 landmarks identical to Human's truncated mesh, worst ${worst} px`);
      expect(worst).toBeLessThanOrEqual(1); // only truncation-boundary flips
      expect(same).toBeGreaterThan(400);
    } finally {
      await releaseHumanRuntime(rt);
    }
  });

  it('gives z in the units of x and y (nose tip well in front of the cheek contours)', () => {
    const { analysis: f } = graceFaces[0]!;
    const nose = lm(f, 1), right = lm(f, 234), left = lm(f, 454);
    const faceWidth = left[0] - right[0];
    const depth = (right[2] + left[2]) / 2 - nose[2];
    let zMin = Infinity, zMax = -Infinity, yMin = Infinity, yMax = -Infinity;
    for (let i = 0; i < 468; i++) {
      const [, y, z] = lm(f, i);
      zMin = Math.min(zMin, z); zMax = Math.max(zMax, z); yMin = Math.min(yMin, y); yMax = Math.max(yMax, y);
    }
    console.log(`grace_hopper: face width ${faceWidth.toFixed(1)} px, nose-tip depth below the cheek contours ${depth.toFixed(1)} px (${(depth / faceWidth).toFixed(2)} × width), z range ${(zMax - zMin).toFixed(1)} px, y range ${(yMax - yMin).toFixed(1)} px`);
    expect(depth / faceWidth).toBeGreaterThan(0.3);
    expect(depth / faceWidth).toBeLessThan(1.0);
    expect((zMax - zMin) / (yMax - yMin)).toBeGreaterThan(0.3);
    expect((zMax - zMin) / (yMax - yMin)).toBeLessThan(1.5);
  });

  it('is deterministic and leaks no tensors', async () => {
    const before = tf.engine().state.numTensors;
    const a = await analyzer.analyze(grace);
    const b = await analyzer.analyze(grace);
    expect(tf.engine().state.numTensors).toBe(before);
    expect(Array.from(a[0]!.landmarks)).toEqual(Array.from(b[0]!.landmarks));
    expect(Array.from(a[0]!.landmarks)).toEqual(Array.from(graceFaces[0]!.analysis.landmarks));
    expect(a[0]!.emotions).toEqual(b[0]!.emotions);
    expect(a[0]!.rotation).toEqual(b[0]!.rotation);
    expect(a[0]!.score).toBe(b[0]!.score);
  });

  it('finds no face in non_face.jpg', async () => {
    expect(await analyzer.analyze(await loadPhoto('non_face.jpg'))).toEqual([]);
  });

  it('reports a face the detector finds twice once (biden.jpg, 970×2204, detected downscaled)', async () => {
    const faces = await analyzer.analyzeDetailed(await loadPhoto('biden.jpg'));
    expect(faces).toHaveLength(1);
    expect(faces[0]!.analysis.box[2]).toBeGreaterThan(200);
  });

  it('accepts grey and RGBA images', async () => {
    const grey = createImage(grace.width, grace.height, 1), rgba = createImage(grace.width, grace.height, 4);
    for (let p = 0; p < grace.width * grace.height; p++) {
      const [r, g, b] = [grace.data[3 * p]!, grace.data[3 * p + 1]!, grace.data[3 * p + 2]!];
      grey.data[p] = 0.299 * r + 0.587 * g + 0.114 * b;
      rgba.data.set([r, g, b, 1], 4 * p);
    }
    expect(await analyzer.analyze(grey)).toHaveLength(1);
    const [f] = await analyzer.analyze(rgba);
    expect(Array.from(f!.landmarks)).toEqual(Array.from(graceFaces[0]!.analysis.landmarks));
  });

  it('detects on a downscaled copy but refines at full resolution', async () => {
    const small = await createHumanAnalyzer({ detectMaxSize: 256 });
    try {
      const [f] = await small.analyze(grace);
      const ref = graceFaces[0]!.analysis;
      let sum = 0;
      for (let i = 0; i < 468; i++) sum += Math.hypot(f!.landmarks[3 * i]! - ref.landmarks[3 * i]!, f!.landmarks[3 * i + 1]! - ref.landmarks[3 * i + 1]!);
      console.log(`grace_hopper detected at 256 px: mean landmark distance to the full-size result ${(sum / 468).toFixed(2)} px`);
      expect(sum / 468).toBeLessThan(2);
    } finally {
      await small.dispose();
    }
  });

  it('signs rotations as documented (roll by rotating the photo, yaw/roll flip with a mirror, yaw by the nose)', async () => {
    const r0 = graceFaces[0]!.analysis.rotation, d0 = graceFaces[0]!.diagnostics.humanRotation;
    const [rolled] = await analyzer.analyze(rotateImage(grace, 15));
    const [mirrored] = await analyzer.analyze(mirrorImage(grace));
    console.log(
      `grace_hopper rotation (yaw, pitch, roll)°: (${[r0.yawDeg, r0.pitchDeg, r0.rollDeg].map((v) => v.toFixed(1)).join(', ')}); ` +
        `photo turned 15° clockwise: roll ${rolled!.rotation.rollDeg.toFixed(1)}; Human's (converted): (${[d0.yawDeg, d0.pitchDeg, d0.rollDeg].map((v) => v.toFixed(1)).join(', ')}); mirrored: (${[mirrored!.rotation.yawDeg, mirrored!.rotation.pitchDeg, mirrored!.rotation.rollDeg].map((v) => v.toFixed(1)).join(', ')})`,
    );
    // Clockwise on screen = toward the subject's left shoulder = negative roll.
    expect(r0.rollDeg - rolled!.rotation.rollDeg).toBeGreaterThan(12);
    expect(r0.rollDeg - rolled!.rotation.rollDeg).toBeLessThan(18);
    expect(Math.abs(mirrored!.rotation.yawDeg + r0.yawDeg)).toBeLessThan(3);
    expect(Math.abs(mirrored!.rotation.rollDeg + r0.rollDeg)).toBeLessThan(3);
    expect(Math.abs(mirrored!.rotation.pitchDeg - r0.pitchDeg)).toBeLessThan(6); // the network is not mirror-symmetric: ~4° here
    // yaw > 0 = face turned toward the image's right: the nose tip lies right of the cheek contours' midpoint;
    // Human's converted angles agree in sign.
    const detailed = await analyzer.analyzeDetailed(await loadPhoto('group_sitcom.jpg'));
    const group = detailed.map((d) => d.analysis);
    expect(group).toHaveLength(6);
    let turned = 0;
    for (const { analysis: f, diagnostics: d } of detailed) {
      const mid = (lm(f, 234)[0] + lm(f, 454)[0]) / 2;
      if (Math.abs(f.rotation.yawDeg) < 8) continue;
      turned++;
      expect(Math.sign(lm(f, 1)[0] - mid)).toBe(Math.sign(f.rotation.yawDeg));
      expect(Math.sign(d.humanRotation.yawDeg)).toBe(Math.sign(f.rotation.yawDeg));
    }
    expect(turned).toBeGreaterThan(0);
    for (let i = 1; i < group.length; i++) expect(group[i - 1]!.box[2] * group[i - 1]!.box[3]).toBeGreaterThanOrEqual(group[i]!.box[2] * group[i]!.box[3]);
  });

  it('gives 7 emotion probabilities; most faceapi_* photos get their named emotion', async () => {
    const names: [string, Emotion][] = [
      ['angry', 'angry'], ['disgusted', 'disgust'], ['fearful', 'fear'], ['happy', 'happy'],
      ['neutral', 'neutral'], ['sad', 'sad'], ['surprised', 'surprise'],
    ];
    let hits = 0;
    const rows: string[] = [];
    for (const [file, expected] of names) {
      const faces = await analyzer.analyze(await loadPhoto(`faceapi_${file}.jpg`));
      expect(faces).toHaveLength(1);
      const e = faces[0]!.emotions;
      expect(Object.keys(e).sort()).toEqual([...EMOTIONS].sort());
      expect(Math.abs(EMOTIONS.reduce((s, k) => s + e[k], 0) - 1)).toBeLessThan(1e-5);
      const top = EMOTIONS.reduce((a, b) => (e[b] > e[a] ? b : a));
      if (top === expected) hits++;
      rows.push(`${file.padEnd(10)} → ${top.padEnd(8)} ${top === expected ? '✓' : '✗'}  ${EMOTIONS.map((k) => `${k} ${e[k].toFixed(2)}`).join('  ')}`);
    }
    console.log(`faceapi_* top-1 emotion = file name: ${hits}/7 (Human's own: 4/7)\n${rows.join('\n')}`);
    expect(hits).toBeGreaterThanOrEqual(3);
  });

  it('rejects calls after dispose, and a new analyser works after the last one is gone', async () => {
    const extra = await createHumanAnalyzer();
    await extra.dispose();
    const err = await extra.analyze(grace).then(() => undefined, (e: unknown) => e);
    expect(isFaceDetailError(err, 'DISPOSED')).toBe(true);
    // Dispose the shared one too: the engine is reset and everything freed; then start afresh.
    await analyzer.dispose();
    expect(tf.engine().state.numTensors).toBe(0);
    analyzer = await createHumanAnalyzer();
    const [f] = await analyzer.analyze(grace);
    expect(Array.from(f!.landmarks)).toEqual(Array.from(graceFaces[0]!.analysis.landmarks));
  });
});

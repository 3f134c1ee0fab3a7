import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
// @ts-expect-error: gltf-validator ships no type declarations
import { validateBytes } from 'gltf-validator';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isFaceDetailError } from '../../src/core/errors.js';
import { buildOutputFiles, buildOutputFilesAsync, createEarlyPngs } from '../../src/core/pipeline/output-files.js';
import { encodePngNative } from '../../src/node/encode-png.js';
import type { FaceReconstruction } from '../../src/core/pipeline/types.js';
import { EMOTIONS } from '../../src/core/types.js';
import { decodeImage } from '../../src/node/decode-image.js';
import { createHumanAnalyzer, type HumanFaceAnalyzer } from '../../src/node/human-analyzer.js';
import { createReconstructor, type Reconstructor } from '../../src/node/reconstructor.js';

const SHARED = process.env.FACEDETAIL_SHARED ?? path.resolve('..', 'shared');
const PHOTOS = path.join(SHARED, 'photos');
const haveShared = existsSync(PHOTOS);
if (!haveShared) console.log(`[skip] pipeline integration tests: no shared photos at ${PHOTOS} (set FACEDETAIL_SHARED)`);
const faceNames = haveShared ? readdirSync(PHOTOS).filter((n) => /\.jpe?g$/i.test(n) && n !== 'non_face.jpg').sort() : [];

// Small maps keep the whole-photo-set run fast; the defaults are covered by the CLI test and below.
const FAST = { textureResolution: 256, detailResolution: 512, proxyLevels: 2, meshLevels: 3 } as const;

describe.skipIf(!haveShared)('pipeline on the shared photos', () => {
  let analyzer: HumanFaceAnalyzer;
  let rec: Reconstructor;
  const emotionRows: string[] = [];
  beforeAll(async () => {
    analyzer = await createHumanAnalyzer();
    rec = await createReconstructor({ analyzer, ...FAST });
  });
  afterAll(async () => {
    if (emotionRows.length) console.log(`faceapi_* top-1 emotion = file name: ${emotionRows.filter((r) => r.endsWith('✓')).length} of ${emotionRows.length}\n  ${emotionRows.join('\n  ')}`);
    await rec?.dispose();
    await analyzer?.dispose();
  });

  it.each(faceNames)('%s: a face, landmarks in the detector box, a valid GLB', async (name) => {
    const decoded = await decodeImage(path.join(PHOTOS, name));
    const detailed = await analyzer.analyzeDetailed(decoded.image);
    expect(detailed.length).toBeGreaterThan(0);
    const { analysis, diagnostics } = detailed[0]!;
    // Every landmark inside Human's detector box (enlarged 10 %: the box is a square crop).
    const [bx, by, bw, bh] = diagnostics.humanBox;
    const mx = 0.1 * bw, my = 0.1 * bh;
    let outside = 0;
    for (let i = 0; i < analysis.landmarkCount; i++) {
      const x = analysis.landmarks[3 * i]!, y = analysis.landmarks[3 * i + 1]!;
      if (x < bx - mx || x > bx + bw + mx || y < by - my || y > by + bh + my) outside++;
    }
    expect(outside).toBe(0);

    const face: FaceReconstruction = await rec.reconstruct(decoded);
    expect(face.detailedMesh.positions.every(Number.isFinite)).toBe(true);
    const files = await buildOutputFiles(face, { formats: ['glb'], sourceName: name, version: 'test' });
    const report = await validateBytes(files['face.glb']!);
    expect(report.issues.numErrors, JSON.stringify(report.issues.messages.slice(0, 3))).toBe(0);

    const m = /^faceapi_(\w+)\.jpg$/.exec(name);
    if (m) {
      const top = EMOTIONS.reduce((a, b) => (face.analysis.emotions[b] > face.analysis.emotions[a] ? b : a));
      const want = { angry: 'angry', disgusted: 'disgust', fearful: 'fear', happy: 'happy', sad: 'sad', surprised: 'surprise', neutral: 'neutral' }[m[1]!];
      emotionRows.push(`${name}: ${top} ${top === want ? '✓' : '✗'}`);
    }
  });

  it('non_face.jpg gives the typed NO_FACE error', async () => {
    const err = await rec.reconstruct(path.join(PHOTOS, 'non_face.jpg')).catch((e: unknown) => e);
    expect(isFaceDetailError(err, 'NO_FACE')).toBe(true);
  });

  it('default options: dense proxy ≥ 15k vertices, detailed mesh with real displacement, metric scale', async () => {
    const face = await rec.reconstruct(path.join(PHOTOS, 'grace_hopper.jpg'), { textureResolution: 1024, detailResolution: 1024, proxyLevels: 3, meshLevels: 4 });
    expect(face.proxy.positions.length / 3).toBeGreaterThanOrEqual(15000);
    expect(face.detailedMesh.positions.length / 3).toBeGreaterThan(100000);
    expect(face.maps.displacement.width).toBe(1024);
    let sq = 0;
    for (const v of face.maps.displacement.data) sq += v * v;
    const rms = Math.sqrt(sq / face.maps.displacement.data.length);
    expect(rms).toBeGreaterThan(0.005); // some detail (mm)
    expect(rms).toBeLessThan(2);
    // Landmark 10 (upper forehead, below the hairline) to the chin (152): ~125–185 mm for adults.
    const P = face.proxy.positions;
    const h = Math.hypot(P[3 * 10]! - P[3 * 152]!, P[3 * 10 + 1]! - P[3 * 152 + 1]!, P[3 * 10 + 2]! - P[3 * 152 + 2]!);
    expect(h).toBeGreaterThan(115);
    expect(h).toBeLessThan(200);
  });

  it('PNGs encoded early (as each map is final) are the bytes the export stage writes, and each map is announced once, final', async () => {
    const announced: string[] = [];
    const early = createEarlyPngs(encodePngNative, ['glb']);
    const face = await rec.reconstruct(path.join(PHOTOS, 'obama.jpg'), {
      onMap: (name, image) => { announced.push(name); early.start(name, image); },
    });
    expect([...announced].sort()).toEqual(['albedo', 'confidence', 'displacement', 'normal', 'residualNormal', 'texture']);
    for (const name of announced) expect(early.take(face.maps[name as keyof typeof face.maps])).toBeDefined();
    const withEarly = await buildOutputFilesAsync(face, { formats: ['glb'], sourceName: 'obama.jpg', version: 'test' }, encodePngNative, early);
    // The same face's files encoded only now: every byte equal (the maps did not change after they were announced).
    const late = await buildOutputFilesAsync(face, { formats: ['glb'], sourceName: 'obama.jpg', version: 'test' }, encodePngNative);
    expect(Object.keys(withEarly).sort()).toEqual(Object.keys(late).sort());
    for (const [f, bytes] of Object.entries(late)) {
      expect(Buffer.compare(Buffer.from(withEarly[f]!), Buffer.from(bytes)), f).toBe(0);
    }
    // Without a GLB the residual normal map is not encoded early.
    const noGlb = createEarlyPngs(encodePngNative, ['obj']);
    noGlb.start('residualNormal', face.maps.residualNormal);
    expect(noGlb.take(face.maps.residualNormal)).toBeUndefined();
  });

  it('all faces of a group photo, largest first', async () => {
    const faces = await rec.reconstructAll(path.join(PHOTOS, 'group_sitcom.jpg'));
    expect(faces.length).toBe(6);
    const area = (f: FaceReconstruction) => f.analysis.box[2] * f.analysis.box[3];
    for (let i = 1; i < faces.length; i++) expect(area(faces[i - 1]!)).toBeGreaterThanOrEqual(area(faces[i]!));
  });
});

it('rejects bad options with a typed error', async () => {
  const err = await createReconstructor({ detailResolution: 100 }).catch((e: unknown) => e);
  expect(isFaceDetailError(err, 'INVALID_OPTION')).toBe(true);
});

/**
 * `npm run gallery` (wrinkle gallery): reconstruct ≥ 8 shared photos with visible wrinkles or
 * folds (and one with a fringe), write each face's GLB with the product's own writer, read the
 * GLB back and render it: photo | proxy, raking light | detailed mesh from the GLB under two
 * raking lights (from the subject's left; from above right) | the GLB textured (its albedo) under
 * a soft key — one contact sheet, docs/gallery.jpg. Every mesh column is the exported file, not
 * an in-memory mesh, so what is shown is what users open. `--sfs` adds the shape-from-shading
 * detail (`--detail sfs`) under the first raking light, for comparison. Photo names as arguments
 * replace the default list.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import sharp from 'sharp';
import { headToCamera, rotateToHead } from '../src/core/camera/pose.js';
import { readGlb } from '../src/core/export/glb.js';
import { buildOutputFilesAsync } from '../src/core/pipeline/output-files.js';
import { renderMesh, type RenderLighting } from '../src/core/render/render-mesh.js';
import type { Camera, Image, Mesh } from '../src/core/types.js';
import type { FaceReconstruction } from '../src/core/pipeline/types.js';
import { encodePngNative } from '../src/node/encode-png.js';
import { createReconstructor } from '../src/node/reconstructor.js';
import { VERSION } from '../src/node/version.js';

const SHARED = process.env.FACEDETAIL_SHARED ?? path.resolve('..', 'shared');
const WITH_SFS = process.argv.includes('--sfs');
const ARGS = process.argv.slice(2).filter((a) => !a.startsWith('--'));
/** Wrinkles or folds in the photo (age, frown, brow raise, squint, smile, disgust), glasses (grace_hopper), a fringe (stock-teen-6). */
const PHOTOS = ARGS.length > 0 ? ARGS : [
  'grace_hopper.jpg', 'biden.jpg', 'faceapi_angry.jpg', 'faceapi_fearful.jpg', 'faceapi_disgusted.jpg', 'faceapi_sad.jpg',
  'obama.jpg', 'person-vlado.jpg', 'stock-emotions-b-1.jpg', 'stock-teen-6.jpg',
];
/** Tile size in px (`GALLERY_TILE`, default 320): larger for a close look. */
const TILE = Number(process.env.GALLERY_TILE ?? 320);
const OUT = process.env.GALLERY_OUT ?? 'docs/gallery.jpg';
const BG: [number, number, number] = [0.1, 0.1, 0.12];
/** Raking lights (toward the light, camera frame: +X right, +Y down, +Z forward). */
const RAKE_LEFT: RenderLighting = { type: 'directional', direction: [0.85, -0.3, -0.42], ambient: 0.04 };
const RAKE_TOP: RenderLighting = { type: 'directional', direction: [-0.35, -0.88, -0.32], ambient: 0.04 };
const SOFT: RenderLighting = { type: 'directional', direction: [0.5, -0.3, -0.8], ambient: 0.25 };

/** The mesh back in the camera frame (head → camera), normals rotated with it. */
export function meshInCamera(rec: FaceReconstruction, m: Mesh): Mesh {
  const inv = { ...rec.pose };
  const positions = headToCamera(rec.pose, m.positions);
  // Rotate normals head → camera: R n  (rotateToHead applies Rᵀ, so use the transpose pose).
  const Rt = new Float64Array(9);
  for (let r = 0; r < 3; r++) for (let c = 0; c < 3; c++) Rt[r * 3 + c] = rec.pose.rotation[c * 3 + r]!;
  const normals = rotateToHead({ ...inv, rotation: Rt }, m.normals!);
  return { ...m, positions, normals };
}

/** A camera looking at the face box (same intrinsics, cropped and scaled to TILE px). */
export function cropCamera(rec: FaceReconstruction, size: number): { camera: Camera; box: [number, number, number] } {
  const [bx, by, bw, bh] = rec.analysis.box;
  const side = Math.max(bw, bh) * 1.35;
  const x0 = bx + bw / 2 - side / 2, y0 = by + bh / 2 - side / 2;
  const s = size / side;
  const c = rec.camera;
  return {
    camera: { width: size, height: size, fx: c.fx * s, fy: c.fy * s, cx: (c.cx - x0) * s, cy: (c.cy - y0) * s, focalSource: c.focalSource },
    box: [x0, y0, side],
  };
}

/** An RGB [0, 1] float image as PNG bytes. */
export function toPng(img: Image): Promise<Buffer> {
  const buf = Buffer.alloc(img.width * img.height * 3);
  for (let i = 0; i < buf.length; i++) buf[i] = Math.round(Math.max(0, Math.min(1, img.data[i]!)) * 255);
  return sharp(buf, { raw: { width: img.width, height: img.height, channels: 3 } }).png().toBuffer();
}

/** The exported GLB of a face read back: its mesh in the camera frame (mm) and its albedo texture. */
async function glbInCamera(face: FaceReconstruction): Promise<{ mesh: Mesh; albedo?: Image; bytes: number }> {
  const files = await buildOutputFilesAsync(face, { formats: ['glb'], sourceName: 'gallery', version: VERSION }, encodePngNative);
  const glb = files['face.glb'];
  if (!glb) throw new Error('no face.glb written');
  const { mesh, images } = readGlb(glb);
  const mm = new Float32Array(mesh.positions.length);
  for (let i = 0; i < mm.length; i++) mm[i] = mesh.positions[i]! * 1000;
  const inCam = meshInCamera(face, { ...mesh, positions: mm });
  let albedo: Image | undefined;
  const img = images[0];
  if (img) {
    const { data, info } = await sharp(img.bytes).removeAlpha().raw().toBuffer({ resolveWithObject: true });
    albedo = { width: info.width, height: info.height, channels: 3, data: Float32Array.from(data, (v) => v / 255) };
  }
  return { mesh: inCam, ...(albedo ? { albedo } : {}), bytes: glb.byteLength };
}

async function main(): Promise<void> {
  // `GALLERY_DFDN=<model folder>`: a candidate detail network instead of models/dfdn.
  const rec = await createReconstructor(process.env.GALLERY_DFDN ? { dfdnModelDir: process.env.GALLERY_DFDN } : {});
  const tiles: { input: Buffer; left: number; top: number }[] = [];
  const heads = ['photo', 'proxy, raking L', 'GLB, raking L', 'GLB, raking top', ...(WITH_SFS ? ['sfs, raking L'] : []), 'GLB textured'];
  const cols = heads.length;
  let row = 0, method = '';
  for (const name of PHOTOS) {
    const file = path.join(SHARED, 'photos', name);
    let face: FaceReconstruction;
    try {
      face = await rec.reconstruct(file);
    } catch (e) {
      console.error(`${name}: ${(e as Error).message}`);
      continue;
    }
    const { camera, box } = cropCamera(face, TILE);
    const [x0, y0, side] = box;
    // Dimensions after the EXIF rotation (metadata() reports the stored, unrotated size).
    const upright = await sharp(file).rotate().toBuffer({ resolveWithObject: true });
    const W = upright.info.width, H = upright.info.height;
    // Photo crop (pad outside with black).
    const left = Math.round(x0), top = Math.round(y0), sz = Math.round(side);
    const ext = { top: Math.max(0, -top), left: Math.max(0, -left), bottom: Math.max(0, top + sz - H), right: Math.max(0, left + sz - W) };
    // Extend first, as its own step: in one sharp pipeline the extract would run before the extend.
    const padded = await sharp(upright.data).extend({ ...ext, background: '#000' }).toBuffer();
    const photo = await sharp(padded)
      .extract({ left: left + ext.left, top: top + ext.top, width: sz, height: sz }).resize(TILE, TILE).png().toBuffer();
    const g = await glbInCamera(face);
    method ||= String(face.detailStats['method']);
    const shot = (m: Mesh, lighting: RenderLighting, albedo?: Image): Promise<Buffer> => toPng(renderMesh(m, camera, { lighting, background: BG, ...(albedo ? { albedo } : {}) }).image);
    const imgs = [photo, await shot(meshInCamera(face, face.proxy), RAKE_LEFT), await shot(g.mesh, RAKE_LEFT), await shot(g.mesh, RAKE_TOP)];
    if (WITH_SFS) {
      const f = await rec.reconstruct(file, { detail: 'sfs' });
      imgs.push(await shot(meshInCamera(f, f.detailedMesh), RAKE_LEFT));
    }
    imgs.push(await shot(g.mesh, SOFT, g.albedo));
    imgs.forEach((input, c) => { tiles.push({ input, left: c * TILE, top: row * TILE }); });
    console.log(`${name}: yaw ${face.pose.yawDeg.toFixed(1)}°, GLB ${(g.bytes / 1e6).toFixed(1)} MB, ${g.mesh.positions.length / 3} vertices, detail ${String(face.detailStats['method'])} rms ${Number(face.detailStats['rmsMm']).toFixed(3)} mm`);
    row++;
  }
  await rec.dispose();
  if (row === 0) throw new Error('no photo could be reconstructed');
  const capH = 22;
  tiles.push({ input: Buffer.from(`<svg width="${cols * TILE}" height="${capH}"><rect width="100%" height="100%" fill="black"/><text x="4" y="15" font-size="13" font-family="sans-serif" fill="#ddd">${heads.join(' | ')} (detail: ${method})</text></svg>`), left: 0, top: row * TILE });
  await mkdir(path.dirname(OUT), { recursive: true });
  const sheet = await sharp({ create: { width: cols * TILE, height: row * TILE + capH, channels: 3, background: '#000' } })
    .composite(tiles).jpeg({ quality: 80 }).toBuffer();
  await writeFile(OUT, sheet);
  console.log(`wrote ${OUT} (${row} faces; columns: ${heads.join(' | ')})`);
}

if (import.meta.url === `file://${process.argv[1]}`) await main();

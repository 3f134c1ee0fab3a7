/**
 * `npm run gallery`: reconstruct ≥ 8 shared photos and render the proxy and the detailed mesh
 * under a raking light, next to the photo, into one contact sheet (docs/gallery.jpg). A fourth
 * column repeats the detailed mesh at `detailStrength` 4 to show what the solver recovers. When
 * the DFDN model is installed (models/dfdn or $FACEDETAIL_DFDN_DIR), two more columns show the
 * `detail: 'dfdn'` and `'dfdn+sfs'` meshes under the same light (`--no-dfdn` leaves them out).
 */
import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import sharp from 'sharp';
import { headToCamera, rotateToHead } from '../src/core/camera/pose.js';
import { renderMesh } from '../src/core/render/render-mesh.js';
import type { Camera, Image, Mesh } from '../src/core/types.js';
import type { FaceReconstruction } from '../src/core/pipeline/types.js';
import { defaultDfdnModelDir } from '../src/node/dfdn-runtime.js';
import { createReconstructor } from '../src/node/reconstructor.js';

const SHARED = process.env.FACEDETAIL_SHARED ?? path.resolve('..', 'shared');
const ARGS = process.argv.slice(2).filter((a) => a !== '--no-dfdn');
const DFDN = !process.argv.includes('--no-dfdn') && existsSync(path.join(defaultDfdnModelDir(), 'dfdn.onnx'));
const PHOTOS = ARGS.length > 0 ? ARGS : [
  'grace_hopper.jpg', 'obama.jpg', 'faceapi_happy.jpg', 'faceapi_surprised.jpg', 'stock-emotions-a-3.jpg',
  'stock-emotions-b-5.jpg', 'person-vlado.jpg', 'stock-teen-8.jpg', 'faceapi_angry.jpg', 'stock-models-13.jpg',
];
const TILE = 320;
/** Extra column: the same photo at this `detailStrength`, to show what the solver recovers. */
const BOOST = 4;
const OUT = process.env.GALLERY_OUT ?? 'docs/gallery.jpg';

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

async function main(): Promise<void> {
  const rec = await createReconstructor();
  const tiles: { input: Buffer; left: number; top: number }[] = [];
  const cols = DFDN ? 7 : 5; // photo | proxy | detailed | detailed ×BOOST | [dfdn | dfdn+sfs |] detailed + albedo
  let row = 0;
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
    const meta = await sharp(file).rotate().metadata();
    const W = meta.width ?? 0, H = meta.height ?? 0;
    // Photo crop (pad outside with black).
    const left = Math.round(x0), top = Math.round(y0), sz = Math.round(side);
    const ext = { top: Math.max(0, -top), left: Math.max(0, -left), bottom: Math.max(0, top + sz - H), right: Math.max(0, left + sz - W) };
    const photo = await sharp(file).rotate().extend({ ...ext, background: '#000' })
      .extract({ left: left + ext.left, top: top + ext.top, width: sz, height: sz }).resize(TILE, TILE).png().toBuffer();
    // Raking light: from the subject's left side, slightly above, grazing the face.
    const raking = { type: 'directional' as const, direction: [0.85, -0.3, -0.42] as [number, number, number], ambient: 0.04 };
    const proxy = renderMesh(meshInCamera(face, face.proxy), camera, { lighting: raking, background: [0.1, 0.1, 0.12] });
    const detailed = renderMesh(meshInCamera(face, face.detailedMesh), camera, { lighting: raking, background: [0.1, 0.1, 0.12] });
    const boostedFace = await rec.reconstruct(file, { detailStrength: BOOST });
    const boosted = renderMesh(meshInCamera(boostedFace, boostedFace.detailedMesh), camera, { lighting: raking, background: [0.1, 0.1, 0.12] });
    const textured = renderMesh(meshInCamera(face, face.detailedMesh), camera, {
      lighting: { type: 'directional', direction: [0.5, -0.3, -0.8], ambient: 0.25 }, albedo: face.maps.albedo, background: [0.1, 0.1, 0.12],
    });
    const net: Buffer[] = [];
    if (DFDN) {
      for (const detail of ['dfdn', 'dfdn+sfs'] as const) {
        const f = await rec.reconstruct(file, { detail });
        net.push(await toPng(renderMesh(meshInCamera(f, f.detailedMesh), camera, { lighting: raking, background: [0.1, 0.1, 0.12] }).image));
      }
    }
    const imgs = [photo, await toPng(proxy.image), await toPng(detailed.image), await toPng(boosted.image), ...net, await toPng(textured.image)];
    imgs.forEach((input, c) => { tiles.push({ input, left: c * TILE, top: row * TILE }); });
    console.log(`${name}: yaw ${face.pose.yawDeg.toFixed(1)}°, ${face.detailedMesh.positions.length / 3} vertices, detail rms ${String(face.detailStats['rmsMm'])} mm`);
    row++;
  }
  await rec.dispose();
  if (row === 0) throw new Error('no photo could be reconstructed');
  await mkdir(path.dirname(OUT), { recursive: true });
  const sheet = await sharp({ create: { width: cols * TILE, height: row * TILE, channels: 3, background: '#000' } })
    .composite(tiles).jpeg({ quality: 82 }).toBuffer();
  await writeFile(OUT, sheet);
  console.log(`wrote ${OUT} (${row} faces; columns: photo | proxy, raking light | detailed (defaults), raking light | detailed at --detail-strength ${BOOST}, raking light${DFDN ? ' | --detail dfdn, raking light | --detail dfdn+sfs, raking light' : ''} | detailed + albedo)`);
  if (!DFDN) console.log(`(no DFDN model in ${defaultDfdnModelDir()}, or --no-dfdn: no dfdn columns)`);
}

if (import.meta.url === `file://${process.argv[1]}`) await main();

/**
 * `npm run gallery:ict`: the ICT FaceKit model (`--model ict`) on a few shared photos, as one
 * contact sheet (docs/gallery-ict.jpg): photo | the fitted head (textured face + flat-coloured
 * head, eyes, teeth) from the photo's camera | that render over the photo (alignment check) | the
 * same head turned 40° | the detailed grey head under a raking light. Uses the imported ICT cache
 * when there is one (`facedetail model import ict <FaceXModel>`; `--models-dir` or
 * $FACEDETAIL_MODELS_DIR), else the bundled compact model.
 */
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import sharp from 'sharp';
import { makePose } from '../src/core/camera/pose.js';
import { computeVertexNormals } from '../src/core/mesh/normals.js';
import { renderMesh, type RenderLighting } from '../src/core/render/render-mesh.js';
import type { FaceReconstruction } from '../src/core/pipeline/types.js';
import type { Camera, Mesh } from '../src/core/types.js';
import { createReconstructor } from '../src/node/reconstructor.js';
import { cropCamera, meshInCamera, toPng } from './gallery.js';

const SHARED = process.env.FACEDETAIL_SHARED ?? path.resolve('..', 'shared');
const args = process.argv.slice(2);
const mdIndex = args.indexOf('--models-dir');
const modelsDir = mdIndex >= 0 ? args[mdIndex + 1] : undefined;
const named = args.filter((_, i) => mdIndex < 0 || (i !== mdIndex && i !== mdIndex + 1));
const PHOTOS = named.length > 0 ? named : ['grace_hopper.jpg', 'faceapi_happy.jpg', 'faceapi_surprised.jpg', 'stock-emotions-b-5.jpg'];
const TILE = 320;
const TURN_DEG = 40;
const OUT = process.env.GALLERY_OUT ?? 'docs/gallery-ict.jpg';
const BG: [number, number, number] = [0.1, 0.1, 0.12];

/** The face with `pose` replaced by the same pose turned by `deg` about the head's vertical axis. */
function turned(face: FaceReconstruction, deg: number): FaceReconstruction {
  const a = (deg * Math.PI) / 180, c = Math.cos(a), s = Math.sin(a);
  const Ry = [c, 0, s, 0, 1, 0, -s, 0, c];
  const R = face.pose.rotation, out = new Float64Array(9);
  for (let i = 0; i < 3; i++) for (let j = 0; j < 3; j++) {
    let v = 0;
    for (let k = 0; k < 3; k++) v += R[3 * i + k]! * Ry[3 * k + j]!;
    out[3 * i + j] = v;
  }
  return { ...face, pose: makePose(out, face.pose.translation) };
}

/** The face (albedo texture) and every extra mesh (flat colour), z-composited, from `camera`. */
function renderHead(face: FaceReconstruction, camera: Camera, lighting: RenderLighting, textured: boolean): Float32Array {
  const main = renderMesh(meshInCamera(face, face.detailedMesh), camera, { lighting, background: BG, ...(textured ? { albedo: face.maps.albedo } : {}) });
  const img = main.image.data as Float32Array, depth = main.depth;
  for (const e of face.extraMeshes ?? []) {
    const m: Mesh = { ...e.mesh, normals: e.mesh.normals ?? computeVertexNormals(e.mesh.positions, e.mesh.indices) };
    const col = new Float32Array(m.positions.length);
    const rgb = textured ? e.color ?? [0.5, 0.5, 0.5] : [0.62, 0.58, 0.55];
    for (let i = 0; i < col.length; i += 3) { col[i] = rgb[0]!; col[i + 1] = rgb[1]!; col[i + 2] = rgb[2]!; }
    const r = renderMesh(meshInCamera(face, m), camera, { lighting, vertexColors: col, background: BG });
    for (let k = 0; k < depth.length; k++) {
      if (r.depth[k]! < depth[k]!) { depth[k] = r.depth[k]!; for (let ch = 0; ch < 3; ch++) img[3 * k + ch] = r.image.data[3 * k + ch]!; }
    }
  }
  return img;
}

async function main(): Promise<void> {
  const rec = await createReconstructor({ model: 'ict', ...(modelsDir ? { modelsDir } : {}) });
  const tiles: { input: Buffer; left: number; top: number }[] = [];
  const front: RenderLighting = { type: 'directional', direction: [0.3, -0.3, -0.9], ambient: 0.3 };
  const raking: RenderLighting = { type: 'directional', direction: [0.85, -0.3, -0.42], ambient: 0.04 };
  let row = 0;
  for (const name of PHOTOS) {
    const file = path.join(SHARED, 'photos', name);
    const face = await rec.reconstruct(file);
    const { camera, box } = cropCamera(face, TILE);
    const [x0, y0, side] = box;
    const pad = Math.ceil(side);
    const padded = await sharp(file).rotate().removeAlpha().extend({ top: pad, bottom: pad, left: pad, right: pad, background: '#000' }).png().toBuffer();
    const photo = await sharp(padded).extract({ left: Math.round(x0) + pad, top: Math.round(y0) + pad, width: Math.round(side), height: Math.round(side) })
      .resize(TILE, TILE).removeAlpha().raw().toBuffer();
    const head = renderHead(face, camera, front, true);
    const over = new Float32Array(head.length);
    for (let i = 0; i < head.length; i++) {
      const covered = head[i - (i % 3)] !== BG[0] || head[i - (i % 3) + 1] !== BG[1] || head[i - (i % 3) + 2] !== BG[2];
      over[i] = covered ? 0.5 * head[i]! + 0.5 * (photo[i]! / 255) : photo[i]! / 255;
    }
    const side40 = renderHead(turned(face, TURN_DEG), camera, front, true);
    const grey = renderHead(turned(face, TURN_DEG / 2), camera, raking, false);
    const cols = [photo, head, over, side40, grey];
    for (let c = 0; c < cols.length; c++) {
      const img = cols[c]!;
      const input = c === 0
        ? await sharp(img as Buffer, { raw: { width: TILE, height: TILE, channels: 3 } }).png().toBuffer()
        : await toPng({ width: TILE, height: TILE, channels: 3, data: img as Float32Array });
      tiles.push({ input, left: c * TILE, top: row * TILE });
    }
    console.log(`${name}: reprojection ${face.fitStats?.reprojectionErrorPx.toFixed(2)} px, yaw ${face.pose.yawDeg.toFixed(1)}°, ${(face.extraMeshes ?? []).map((e) => e.name).join(', ')}`);
    row++;
  }
  await rec.dispose();
  const sheet = await sharp({ create: { width: 5 * TILE, height: row * TILE, channels: 3, background: '#000' } })
    .composite(tiles).jpeg({ quality: 82 }).toBuffer();
  await writeFile(OUT, sheet);
  console.log(`wrote ${OUT} (${row} faces; columns: photo | fitted ICT head | over the photo | turned ${TURN_DEG}° | detailed, raking light)`);
}

if (import.meta.url === `file://${process.argv[1]}`) await main();

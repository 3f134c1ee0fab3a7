/**
 * `facedetail model import ict <folder>`: turns the ICT FaceKit OBJ distribution (the
 * `FaceXModel` folder of https://github.com/ICT-VGL/ICT-FaceKit: `generic_neutral_mesh.obj`,
 * `identity000.obj` … `identity099.obj`, the 53 expression OBJs, `vertex_indices.json`) into
 * the compact cache that {@link loadIctModel} reads. See `src/core/model/ict/ict-cache.ts` for what
 * the cache holds and why.
 *
 * Storage choice: float32 deltas (45 MB for 24,591 vertices × 153 shapes). fp16 would halve it
 * but rounds mm deltas of up to ~30 mm to ~0.015 mm steps; float32 keeps the import exact to
 * the OBJ's 6 significant digits and the cache lives outside the repository anyway.
 */
import { mkdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { FaceDetailError } from '../../core/errors.js';
import {
  ICT_CACHE_FILES, ICT_CACHE_FORMAT, ICT_CACHE_VERSION, ICT_EXPRESSION_NAMES, ICT_IDENTITY_NAMES,
  ICT_KEPT_VERTEX_COUNT, ICT_LANDMARKS_68, ICT_REGIONS, ICT_SOURCE_VERTEX_COUNT, ICT_UNIT_SCALE_TO_MM,
  ictChecksum, type IctCacheHeader, type IctSection, type IctSectionType,
} from '../../core/model/ict/ict-cache.js';
import { computeIctCorrespondence } from '../../core/model/ict/ict-correspondence.js';
import { computeIctFaceUvs } from '../../core/model/ict/ict-topology.js';
import { parseObj, type ObjData } from './parse-obj.js';
import { defaultModelsDir, ictCacheDir } from './load-ict.js';

/** Options of {@link importIctModel}. */
export interface ImportIctOptions {
  /** Models folder; the cache is written to its `ict-v<version>/` sub-folder. Default: `defaultModelsDir()`. */
  modelsDir?: string;
  /** Files read in parallel. Default 4. */
  concurrency?: number;
}

/** What {@link importIctModel} wrote. */
export interface IctCacheInfo {
  /** Folder holding `header.json` and `model.bin`. */
  dir: string;
  headerPath: string;
  blobPath: string;
  /** Total bytes written (header + blob). */
  bytes: number;
  sourceVertexCount: number;
  vertexCount: number;
  triangleCount: number;
  uvCount: number;
  identityCount: number;
  expressionCount: number;
  checksum: string;
  /** Wall time of the import, ms. */
  ms: number;
}

/** The neutral mesh file of the distribution. */
const ICT_NEUTRAL_FILE = 'generic_neutral_mesh.obj';
/** ICT's index file. */
const ICT_INDEX_FILE = 'vertex_indices.json';

/**
 * Import the ICT FaceKit OBJ folder into the model cache (replacing an existing one atomically).
 * Throws `IO_ERROR` when the folder or a file cannot be read and `MODEL_CACHE_INVALID` when the
 * distribution is incomplete or inconsistent (the message names the file).
 *
 * @example
 * const info = await importIctModel('ICT-FaceKit/FaceXModel');
 * console.log(`${info.dir}: ${(info.bytes / 1e6).toFixed(1)} MB`);
 */
export async function importIctModel(folder: string, options: ImportIctOptions = {}): Promise<IctCacheInfo> {
  const t0 = performance.now();
  const src = resolve(folder);
  const st = await stat(src).catch((cause: unknown) => {
    throw new FaceDetailError('IO_ERROR', `ICT FaceKit folder "${folder}" cannot be read: ${(cause as Error).message}`, { cause });
  });
  if (!st.isDirectory()) throw new FaceDetailError('IO_ERROR', `"${folder}" is not a folder; give the FaceXModel folder of ICT-FaceKit`);

  // ---- every expected file present? (before the slow part) ---------------------------------
  const shapeFiles = [...ICT_EXPRESSION_NAMES, ...ICT_IDENTITY_NAMES].map((s) => `${s}.obj`);
  const needed = [ICT_NEUTRAL_FILE, ICT_INDEX_FILE, ...shapeFiles];
  const missing: string[] = [];
  await Promise.all(needed.map(async (f) => { if (!(await stat(join(src, f)).then((s) => s.isFile(), () => false))) missing.push(f); }));
  if (missing.length > 0) {
    missing.sort();
    throw new FaceDetailError('MODEL_CACHE_INVALID', `${src} is not a complete ICT FaceKit FaceXModel folder: missing ${missing.slice(0, 5).join(', ')}${missing.length > 5 ? ` and ${missing.length - 5} more` : ''}`);
  }

  const read = async (f: string): Promise<Buffer> => {
    try {
      return await readFile(join(src, f));
    } catch (cause) {
      throw new FaceDetailError('IO_ERROR', `cannot read ${join(src, f)}: ${(cause as Error).message}`, { cause });
    }
  };

  // ---- vertex_indices.json ------------------------------------------------------------------
  const index = parseIndexFile(await read(ICT_INDEX_FILE), join(src, ICT_INDEX_FILE));

  // ---- neutral: topology, UVs ---------------------------------------------------------------
  const neutral = parseObj(await read(ICT_NEUTRAL_FILE), { name: join(src, ICT_NEUTRAL_FILE) });
  if (neutral.vertexCount !== ICT_SOURCE_VERTEX_COUNT) {
    throw new FaceDetailError('MODEL_CACHE_INVALID', `${join(src, ICT_NEUTRAL_FILE)} has ${neutral.vertexCount} vertices, ICT FaceKit has ${ICT_SOURCE_VERTEX_COUNT}`);
  }
  const N = ICT_KEPT_VERTEX_COUNT;
  const topo = keptTopology(neutral, N, join(src, ICT_NEUTRAL_FILE));

  // ---- shapes: deltas from the neutral, in mm -----------------------------------------------
  const shapeCount = shapeFiles.length;
  const deltas = new Float32Array(shapeCount * 3 * N);
  const concurrency = Math.max(1, Math.floor(options.concurrency ?? 4));
  let next = 0;
  const worker = async (): Promise<void> => {
    for (let s = next++; s < shapeCount; s = next++) {
      const file = shapeFiles[s]!;
      const path = join(src, file);
      const obj = parseObj(await read(file), { name: path, positionsOnly: true });
      if (obj.vertexCount !== neutral.vertexCount || obj.uvCount !== neutral.uvCount || obj.polygonCount !== neutral.polygonCount) {
        throw new FaceDetailError('MODEL_CACHE_INVALID', `${path} has ${obj.vertexCount} vertices, ${obj.uvCount} UVs and ${obj.polygonCount} faces; ${ICT_NEUTRAL_FILE} has ${neutral.vertexCount}, ${neutral.uvCount} and ${neutral.polygonCount} (not the same topology)`);
      }
      const out = deltas.subarray(s * 3 * N, (s + 1) * 3 * N);
      const a = obj.positions;
      const b = neutral.positions;
      for (let i = 0; i < 3 * N; i++) out[i] = (a[i]! - b[i]!) * ICT_UNIT_SCALE_TO_MM;
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));

  // ---- regions, landmarks -------------------------------------------------------------------
  const regionMasks = new Uint16Array(N);
  ICT_REGIONS.forEach((r, bit) => {
    for (let v = r.first; v <= r.last && v < N; v++) regionMasks[v]! |= 1 << bit;
  });
  const neutralMm = new Float32Array(3 * N);
  for (let i = 0; i < 3 * N; i++) neutralMm[i] = neutral.positions[i]! * ICT_UNIT_SCALE_TO_MM;
  const nExpr = ICT_EXPRESSION_NAMES.length;
  const triangles = topo.triangles;
  const landmarks68 = Uint32Array.from(ICT_LANDMARKS_68);
  // The detector-calibrated table when it matches this mesh; else the geometric method, warned.
  const corr = computeIctCorrespondence({ vertexCount: N, neutral: neutralMm, triangles, landmarks68 }, { logger: { warn: (m) => process.emitWarning(m) } });
  const faceUvs = computeIctFaceUvs({ vertexCount: N, neutral: neutralMm, triangles });

  // ---- blob + header ------------------------------------------------------------------------
  const parts: Array<{ name: string; type: IctSectionType; data: Float32Array | Uint32Array | Uint16Array }> = [
    { name: 'neutral', type: 'f32', data: neutralMm },
    { name: 'identityDeltas', type: 'f32', data: deltas.subarray(nExpr * 3 * N) },
    { name: 'expressionDeltas', type: 'f32', data: deltas.subarray(0, nExpr * 3 * N) },
    { name: 'triangles', type: 'u32', data: topo.triangles },
    { name: 'triangleUvIndices', type: 'u32', data: topo.triangleUvIndices },
    { name: 'uvs', type: 'f32', data: topo.uvs },
    { name: 'regionMasks', type: 'u16', data: regionMasks },
    { name: 'landmarks68', type: 'u32', data: landmarks68 },
    { name: 'fittingVertices', type: 'u32', data: Uint32Array.from(index.fitting) },
    { name: 'rigidVertices', type: 'u32', data: Uint32Array.from(index.rigid) },
    { name: 'correspondenceTriangle', type: 'u32', data: corr.triangle },
    { name: 'correspondenceBary', type: 'f32', data: corr.bary },
    { name: 'correspondenceWeight', type: 'f32', data: corr.weight },
    { name: 'faceUvs', type: 'f32', data: faceUvs },
  ];
  const sections: IctSection[] = [];
  let offset = 0;
  for (const part of parts) {
    sections.push({ name: part.name, type: part.type, byteOffset: offset, length: part.data.length });
    offset += Math.ceil(part.data.byteLength / 4) * 4;
  }
  const blob = new Uint8Array(offset);
  parts.forEach((part, i) => { blob.set(new Uint8Array(part.data.buffer, part.data.byteOffset, part.data.byteLength), sections[i]!.byteOffset); });
  const checksum = ictChecksum(blob);
  const header: IctCacheHeader = {
    format: ICT_CACHE_FORMAT,
    version: ICT_CACHE_VERSION,
    units: 'mm',
    uvOrigin: 'top-left',
    endianness: 'little',
    source: {
      name: 'ICT-FaceKit FaceXModel (ICT Face Model Light)',
      license: 'MIT, Copyright (c) 2020 USC Institute for Creative Technologies',
      upstream: 'https://github.com/ICT-VGL/ICT-FaceKit',
      vertexCount: neutral.vertexCount,
      uvCount: neutral.uvCount,
      polygonCount: neutral.polygonCount,
    },
    vertexCount: N,
    triangleCount: topo.triangles.length / 3,
    uvCount: topo.uvs.length / 2,
    identityNames: [...ICT_IDENTITY_NAMES],
    expressionNames: [...ICT_EXPRESSION_NAMES],
    regionNames: ICT_REGIONS.map((r) => r.name),
    regions: ICT_REGIONS.map((r) => ({ ...r })),
    blobByteLength: blob.byteLength,
    checksum,
    sections,
  };
  const headerText = `${JSON.stringify(header, null, 1)}\n`;

  // ---- write atomically: a fresh sibling folder renamed over the old one -------------------
  const modelsDir = resolve(options.modelsDir ?? defaultModelsDir());
  const dir = ictCacheDir(modelsDir);
  const tmp = `${dir}.tmp-${process.pid}-${Date.now()}`;
  try {
    await mkdir(tmp, { recursive: true });
    await writeFile(join(tmp, ICT_CACHE_FILES.blob), blob);
    await writeFile(join(tmp, ICT_CACHE_FILES.header), headerText);
    await rm(dir, { recursive: true, force: true });
    await rename(tmp, dir);
  } catch (cause) {
    await rm(tmp, { recursive: true, force: true }).catch(() => undefined);
    throw new FaceDetailError('IO_ERROR', `cannot write the ICT model cache to ${dir}: ${(cause as Error).message}`, { cause });
  }
  return {
    dir,
    headerPath: join(dir, ICT_CACHE_FILES.header),
    blobPath: join(dir, ICT_CACHE_FILES.blob),
    bytes: blob.byteLength + Buffer.byteLength(headerText),
    sourceVertexCount: neutral.vertexCount,
    vertexCount: N,
    triangleCount: header.triangleCount,
    uvCount: header.uvCount,
    identityCount: ICT_IDENTITY_NAMES.length,
    expressionCount: nExpr,
    checksum,
    ms: performance.now() - t0,
  };
}

/** `vertex_indices.json`: check it is the file we expect, return the vertex sets we keep. */
function parseIndexFile(bytes: Buffer, path: string): { fitting: number[]; rigid: number[] } {
  const bad = (what: string): never => {
    throw new FaceDetailError('MODEL_CACHE_INVALID', `${path}: ${what}`);
  };
  let json: unknown;
  try {
    json = JSON.parse(bytes.toString('utf8'));
  } catch {
    return bad('not valid JSON');
  }
  const j = json as Record<string, unknown>;
  const ints = (key: string): number[] => {
    const v = j[key];
    if (!Array.isArray(v) || !v.every((x) => Number.isInteger(x) && (x as number) >= 0 && (x as number) < ICT_KEPT_VERTEX_COUNT)) {
      return bad(`"${key}" is not a list of vertex indices below ${ICT_KEPT_VERTEX_COUNT}`);
    }
    return v as number[];
  };
  const expressions = j['expressions'];
  if (!Array.isArray(expressions) || expressions.join(',') !== ICT_EXPRESSION_NAMES.join(',')) {
    bad(`"expressions" is not the 53 expected ARKit-named shapes (${ICT_EXPRESSION_NAMES.slice(0, 3).join(', ')}, …)`);
  }
  if (ints('idx_to_landmark_verts').join(',') !== ICT_LANDMARKS_68.join(',')) bad('"idx_to_landmark_verts" differs from the 68 landmarks of the ICT FaceKit README');
  return { fitting: ints('idx_to_fitting_verts'), rigid: ints('idx_to_rigid_verts') };
}

/**
 * Triangles whose vertices are all kept (< n), their UV corners, and the UVs they use, compacted
 * and flipped to v down. A polygon straddling the cut would be a wrong cut: refused.
 */
function keptTopology(obj: ObjData, n: number, path: string): { triangles: Uint32Array; triangleUvIndices: Uint32Array; uvs: Float32Array } {
  const t = obj.triangles;
  const keep: number[] = [];
  for (let i = 0; i < t.length; i += 3) {
    const inside = Number(t[i]! < n) + Number(t[i + 1]! < n) + Number(t[i + 2]! < n);
    if (inside === 3) keep.push(i / 3);
    else if (inside !== 0) throw new FaceDetailError('MODEL_CACHE_INVALID', `${path}: polygon ${obj.trianglePolygon[i / 3]} joins kept and dropped vertices; not the ICT FaceKit topology`);
  }
  const triangles = new Uint32Array(keep.length * 3);
  const triangleUvIndices = new Uint32Array(keep.length * 3);
  const uvRemap = new Int32Array(obj.uvCount).fill(-1);
  const uvs: number[] = [];
  keep.forEach((k, j) => {
    for (let c = 0; c < 3; c++) {
      triangles[3 * j + c] = t[3 * k + c]!;
      const u = obj.triangleUvs[3 * k + c]!;
      if (u === 0xffffffff) throw new FaceDetailError('MODEL_CACHE_INVALID', `${path}: polygon ${obj.trianglePolygon[k]} has a corner without UV`);
      if (uvRemap[u] === -1) {
        uvRemap[u] = uvs.length / 2;
        uvs.push(obj.uvs[2 * u]!, 1 - obj.uvs[2 * u + 1]!);
      }
      triangleUvIndices[3 * j + c] = uvRemap[u]!;
    }
  });
  return { triangles, triangleUvIndices, uvs: Float32Array.from(uvs) };
}

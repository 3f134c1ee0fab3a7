/**
 * ICT FaceKit import: `facedetail model import ict <folder>` → model cache → `loadIctModel()`.
 *
 * Unpacks (test/fixtures/ict.ts) $FACEDETAIL_SHARED/models/ict-facekit/FaceXModel.tar.xz (default ../shared beside the
 * project) into a temp folder once; skipped, with the reason printed, when it is absent or `tar`
 * cannot unpack it. Everything is written under os.tmpdir() and removed afterwards.
 */
import { existsSync } from 'node:fs';
import { copyFile, mkdir, mkdtemp, readdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FaceDetailError } from '../../src/core/errors.js';
import {
  ICT_CACHE_DIRNAME, ICT_EXPRESSION_NAMES, ICT_KEPT_VERTEX_COUNT, ICT_REGIONS, ICT_SOURCE_VERTEX_COUNT,
  ictRegionVertices, parseIctCache, type IctModelData,
} from '../../src/core/model/ict/ict-cache.js';
import { run, type CliStream } from '../../src/node/cli.js';
import { importIctModel, type IctCacheInfo } from '../../src/node/model-import/ict.js';
import { defaultModelsDir, ictCacheDir, loadIctModel } from '../../src/node/model-import/load-ict.js';
import { parseObj } from '../../src/node/model-import/parse-obj.js';
import { importSharedIct, ictSkipReason, type SharedIct } from '../fixtures/ict.js';


class Sink implements CliStream {
  text = '';
  write(chunk: string): boolean { this.text += chunk; return true; }
}

/** Reference OBJ reader, deliberately naive and independent of parse-obj.ts: `v` lines only. */
function referencePositions(text: string): number[] {
  const out: number[] = [];
  for (const line of text.split('\n')) {
    if (!line.startsWith('v ')) continue;
    const t = line.trim().split(/\s+/);
    out.push(Number(t[1]), Number(t[2]), Number(t[3]));
  }
  return out;
}

async function expectCode(p: Promise<unknown>, code: string, message?: RegExp): Promise<void> {
  const e = await p.then(() => undefined, (err: unknown) => err);
  expect(e, `expected ${code}`).toBeInstanceOf(FaceDetailError);
  expect((e as FaceDetailError).code, (e as Error).message).toBe(code);
  if (message) expect((e as Error).message).toMatch(message);
}

describe('parseObj (small inline OBJ)', () => {
  it('reads v, vt, quads and triangles with per-corner UVs, v/vt/vn and negative indices', () => {
    const obj = parseObj(new TextEncoder().encode([
      '# comment', 'v 0 0 0', 'v 1.5 0 -2e-1', 'v 1 1 0', 'v 0 1 0 1.0', 'vt 0 0', 'vt 1 0', 'vt 1 1', 'vt 0 1', 'vt 0.5 0.5',
      'vn 0 0 1', 'g grp', 'usemtl m', 'f 1/1 2/2 3/3 4/4', 'f 1/5/1 3/3/1 -1/4/1', 'f 1//1 2//1 3//1', '',
    ].join('\r\n')), { name: 'inline.obj' });
    expect(obj.vertexCount).toBe(4);
    expect(Array.from(obj.positions)).toEqual([0, 0, 0, 1.5, 0, -0.2, 1, 1, 0, 0, 1, 0]);
    expect(obj.uvCount).toBe(5);
    expect(obj.polygonCount).toBe(3);
    expect(Array.from(obj.triangles)).toEqual([0, 1, 2, 0, 2, 3, 0, 2, 3, 0, 1, 2]);
    expect(Array.from(obj.triangleUvs)).toEqual([0, 1, 2, 0, 2, 3, 4, 2, 3, 0xffffffff, 0xffffffff, 0xffffffff]);
    expect(Array.from(obj.trianglePolygon)).toEqual([0, 0, 1, 2]);
  });

  it('names the file and line of a bad face', () => {
    expect(() => parseObj(new TextEncoder().encode('v 0 0 0\nf 1 2 3\n'), { name: 'bad.obj' })).toThrow(/bad\.obj: line 2: face refers to vertex 2/);
  });
});

describe('models folder', () => {
  it('defaults to $FACEDETAIL_MODELS_DIR, else $XDG_CACHE_HOME/facedetail/models, else ~/.cache', () => {
    expect(defaultModelsDir({ FACEDETAIL_MODELS_DIR: '/m' })).toBe('/m');
    expect(defaultModelsDir({ XDG_CACHE_HOME: '/x' })).toBe('/x/facedetail/models');
    expect(defaultModelsDir({})).toMatch(/\.cache[/\\]facedetail[/\\]models$/);
    expect(ictCacheDir('/m')).toBe(join('/m', ICT_CACHE_DIRNAME));
  });

  it('a missing cache names the import command (source: cache; auto falls back to the bundled model)', async () => {
    const empty = await mkdtemp(join(tmpdir(), 'facedetail-ict-empty-'));
    try {
      await expectCode(loadIctModel({ modelsDir: empty, source: 'cache' }), 'MODEL_LOAD_FAILED', /facedetail model import ict <FaceXModel folder>/);
    } finally {
      await rm(empty, { recursive: true, force: true });
    }
  });
});

describe('CLI: facedetail model …', () => {
  const cli = async (args: string[]): Promise<{ code: number; stdout: string; stderr: string }> => {
    const stdout = new Sink();
    const stderr = new Sink();
    const code = await run(['node', 'facedetail', ...args], { stdout, stderr, cwd: tmpdir() });
    return { code, stdout: stdout.text, stderr: stderr.text };
  };
  it('usage errors exit 2, a missing folder exits 1 with IO_ERROR, --help exits 0', async () => {
    expect((await cli(['model', 'import', 'ict'])).code).toBe(2);
    expect((await cli(['model', 'import', 'nope', 'x'])).code).toBe(2);
    expect((await cli(['model'])).code).toBe(2);
    const h = await cli(['model', 'import', 'ict', '--help']);
    expect(h.code).toBe(0);
    expect(h.stdout).toMatch(/--models-dir/);
    const m = await cli(['model', 'import', 'ict', '/definitely/not/here']);
    expect(m.code).toBe(1);
    expect(m.stderr).toMatch(/facedetail: IO_ERROR: .*\/definitely\/not\/here/);
    expect((await cli(['--help'])).stdout).toMatch(/facedetail model import ict/);
  });
});

const skipReason = ictSkipReason;
if (skipReason) console.warn(`[ict-import] skipped: ${skipReason}`);

describe.skipIf(skipReason !== undefined)('import of the real ICT FaceKit distribution', () => {
  let tmp = '';
  let src = '';
  let modelsDir = '';
  let info: IctCacheInfo;
  let data: IctModelData;

  let ict: SharedIct | undefined;

  beforeAll(async () => {
    ict = await importSharedIct('facedetail-ict-');
    ({ tmp, src, modelsDir, info, data } = ict);
    console.log(`[ict-import] imported in ${(info.ms / 1000).toFixed(2)} s → ${(info.bytes / 1e6).toFixed(1)} MB`);
  });
  afterAll(async () => { await ict?.cleanup(); });

  it('keeps the documented vertex subset, 100 identities and the 53 ARKit-named expressions', () => {
    expect(info.dir).toBe(join(modelsDir, ICT_CACHE_DIRNAME));
    expect(data.sourceVertexCount).toBe(ICT_SOURCE_VERTEX_COUNT);
    expect(data.vertexCount).toBe(ICT_KEPT_VERTEX_COUNT);
    expect(data.neutral).toHaveLength(3 * ICT_KEPT_VERTEX_COUNT);
    expect(data.identityNames).toHaveLength(100);
    expect(data.identityNames[0]).toBe('identity000');
    expect(data.identityNames[99]).toBe('identity099');
    expect(data.identityDeltas).toHaveLength(100 * 3 * data.vertexCount);
    expect(data.expressionNames).toEqual([...ICT_EXPRESSION_NAMES]);
    expect(data.expressionNames).toHaveLength(53);
    expect(data.expressionNames).toContain('jawOpen');
    expect(data.expressionNames).toContain('mouthSmile_L');
    expect(data.expressionDeltas).toHaveLength(53 * 3 * data.vertexCount);
    // Topology: every kept quad/triangle, with per-corner UVs.
    expect(data.triangles.length / 3).toBe(info.triangleCount);
    expect(data.triangleUvIndices).toHaveLength(data.triangles.length);
    expect(data.triangles.reduce((a, b) => Math.max(a, b), 0)).toBe(data.vertexCount - 1);
    // ICT lays its UVs out in UDIM tiles along u: 0 face (and eyeballs), 1 head/neck, 2 gums, 3 teeth.
    for (let i = 0; i < data.uvs.length; i += 2) {
      expect(data.uvs[i]!).toBeGreaterThanOrEqual(0);
      expect(data.uvs[i]!).toBeLessThan(4);
      expect(data.uvs[i + 1]!).toBeGreaterThanOrEqual(0);
      expect(data.uvs[i + 1]!).toBeLessThanOrEqual(1);
    }
    // More UVs than vertices on the face: the seams are kept.
    expect(data.uvs.length / 2).toBeGreaterThan(data.vertexCount);
  });

  it('neutral + identity delta reproduces identity042.obj, and an expression delta jawOpen.obj (mm = 10 × OBJ cm)', async () => {
    const neutralRef = referencePositions(await readFile(join(src, 'generic_neutral_mesh.obj'), 'utf8'));
    expect(neutralRef).toHaveLength(3 * ICT_SOURCE_VERTEX_COUNT);
    for (const [name, deltas, index] of [
      ['identity042', data.identityDeltas, data.identityNames.indexOf('identity042')],
      ['jawOpen', data.expressionDeltas, data.expressionNames.indexOf('jawOpen')],
    ] as const) {
      const ref = referencePositions(await readFile(join(src, `${name}.obj`), 'utf8'));
      const n3 = 3 * data.vertexCount;
      let worst = 0;
      let worstAt = -1;
      let moved = 0;
      for (let i = 0; i < n3; i++) {
        const got = data.neutral[i]! + deltas[index * n3 + i]!;
        const err = Math.abs(got - 10 * ref[i]!);
        if (err > worst) { worst = err; worstAt = i; }
        moved = Math.max(moved, Math.abs(deltas[index * n3 + i]!));
        expect(Math.abs(data.neutral[i]! - 10 * neutralRef[i]!)).toBeLessThan(1e-4);
      }
      // float32 of values up to ~200 mm: ≤ 2e-5 mm rounding, twice.
      expect(worst, `${name}: worst error ${worst} mm at vertex ${Math.floor(worstAt / 3)}`).toBeLessThan(1e-4);
      expect(moved, `${name} moves something`).toBeGreaterThan(0.5); // identity042: 0.78 mm, jawOpen: far more
    }
  });

  it('face is 9,409 vertices of a human-sized face in mm; regions and landmarks in range', () => {
    expect(data.regionNames).toEqual(ICT_REGIONS.map((r) => r.name));
    expect(ictRegionVertices(data, 'face')).toHaveLength(9409);
    expect(ictRegionVertices(data, 'narrowFace')).toHaveLength(6706);
    expect(ictRegionVertices(data, 'mouthSocket')).toHaveLength(2046);
    expect(ictRegionVertices(data, 'eyeSocketLeft')).toHaveLength(384);
    expect(ictRegionVertices(data, 'teeth')).toHaveLength(4412);
    expect(ictRegionVertices(data, 'eyeballRight')).toHaveLength(1570);
    let minX = Infinity;
    let maxX = -Infinity;
    for (let v = 0; v < 9409; v++) { minX = Math.min(minX, data.neutral[3 * v]!); maxX = Math.max(maxX, data.neutral[3 * v]!); }
    expect(maxX - minX).toBeGreaterThan(150); // the face area spans ear to ear: ~184 mm
    expect(maxX - minX).toBeLessThan(220);
    expect(data.landmarks68).toHaveLength(68);
    const face = ictRegionVertices(data, 'face');
    for (const l of data.landmarks68) expect(face.includes(l)).toBe(true);
    // Landmarks 36 and 45 (outer eye corners) are ~90 mm apart on an adult face.
    const d = Math.hypot(...[0, 1, 2].map((k) => data.neutral[3 * data.landmarks68[36]! + k]! - data.neutral[3 * data.landmarks68[45]! + k]!));
    expect(d).toBeGreaterThan(75);
    expect(d).toBeLessThan(110);
    expect(data.fittingVertices.length).toBeGreaterThan(1000);
    expect(data.rigidVertices.length).toBeGreaterThan(100);
  });

  it('a damaged cache is MODEL_CACHE_INVALID: truncated, flipped byte, other version', async () => {
    const header = JSON.parse(await readFile(info.headerPath, 'utf8')) as Record<string, unknown>;
    const blob = await readFile(info.blobPath);
    // A copy (Buffer#slice would share memory with the whole file).
    const ab = (b: Uint8Array): ArrayBuffer => { const c = new Uint8Array(b.length); c.set(b); return c.buffer; };
    expect(() => parseIctCache(header, ab(blob))).not.toThrow();
    const invalid = (h: unknown, b: ArrayBuffer, re: RegExp): void => {
      let err: unknown;
      try { parseIctCache(h, b); } catch (e) { err = e; }
      expect(err).toBeInstanceOf(FaceDetailError);
      expect((err as FaceDetailError).code).toBe('MODEL_CACHE_INVALID');
      expect((err as Error).message).toMatch(re);
      expect((err as Error).message).toMatch(/facedetail model import ict/);
    };
    invalid(header, ab(blob.subarray(0, blob.length - 4096)), /truncated/);
    const flipped = new Uint8Array(blob);
    flipped[12345] = flipped[12345]! ^ 0x10;
    invalid(header, ab(flipped), /checksum/);
    invalid({ ...header, version: 1 }, ab(blob), /version 1/);
    invalid({ ...header, vertexCount: 100 }, ab(blob), /section neutral/);
    invalid('nope', ab(blob), /not a JSON object/);
    // And on disk, through the loader.
    const other = join(tmp, 'damaged');
    await mkdir(join(other, ICT_CACHE_DIRNAME), { recursive: true });
    await writeFile(join(other, ICT_CACHE_DIRNAME, 'header.json'), JSON.stringify(header));
    await writeFile(join(other, ICT_CACHE_DIRNAME, 'model.bin'), blob.subarray(0, 1000));
    await expectCode(loadIctModel({ modelsDir: other }), 'MODEL_CACHE_INVALID');
  });

  it('an incomplete or inconsistent folder is refused naming the file', async () => {
    const partial = join(tmp, 'partial');
    await mkdir(partial);
    for (const f of await readdir(src)) if (f !== 'identity042.obj') await symlink(join(src, f), join(partial, f));
    await expectCode(importIctModel(partial, { modelsDir: join(tmp, 'm2') }), 'MODEL_CACHE_INVALID', /missing identity042\.obj/);
    // A shape with fewer vertices (cut short): refused, the file named.
    const text = await readFile(join(src, 'browDown_L.obj'), 'utf8');
    await writeFile(join(partial, 'identity042.obj'), text.slice(0, Math.floor(text.length / 2)).replace(/\n[^\n]*$/, '\n'));
    await expectCode(importIctModel(partial, { modelsDir: join(tmp, 'm2') }), 'MODEL_CACHE_INVALID', /identity042\.obj has \d+ vertices/);
    expect(existsSync(join(tmp, 'm2', ICT_CACHE_DIRNAME))).toBe(false);
    await copyFile(join(src, 'identity042.obj'), join(partial, 'identity042.obj'));
  });

  it('the CLI imports, prints the cache folder and its size, and exits 0', async () => {
    const stdout = new Sink();
    const stderr = new Sink();
    const code = await run(['node', 'facedetail', 'model', 'import', 'ict', 'FaceXModel', '--models-dir', 'cli-models'], { stdout, stderr, cwd: tmp });
    expect(code, stderr.text).toBe(0);
    expect(stdout.text).toContain(join(tmp, 'cli-models', ICT_CACHE_DIRNAME));
    expect(stdout.text).toMatch(/\d+\.\d MB/);
    const again = await loadIctModel({ modelsDir: join(tmp, 'cli-models') });
    expect(again.vertexCount).toBe(data.vertexCount);
  });
});

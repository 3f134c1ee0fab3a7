/**
 * The one orchestrator (src/core/pipeline/orchestrate.ts) with stand-in steps: stage order and
 * progress, timings, the export stage per face, warnings, and reconstructFaces' errors.
 */
import { describe, expect, it } from 'vitest';
import type { FaceAnalysis } from '../../src/core/analysis/types.js';
import { createFaceMeshModel } from '../../src/core/model/facemesh/facemesh-model.js';
import { resolveOptions } from '../../src/core/pipeline/defaults.js';
import { orchestratePhoto, reconstructFaces, type DecodedPhoto } from '../../src/core/pipeline/orchestrate.js';
import type { FaceReconstruction, ProgressCallback } from '../../src/core/pipeline/types.js';

const decoded: DecodedPhoto = { image: { width: 2, height: 2, channels: 3, data: new Float32Array(12) }, width: 2, height: 2 };
const face = (i: number, warnings: string[] = []): FaceReconstruction => ({ faceIndex: i, warnings, timings: {} }) as unknown as FaceReconstruction;

describe('orchestratePhoto', () => {
  it('decode → faces → export per face, one stage timer, warnings per face', async () => {
    const events: string[] = [];
    const onProgress: ProgressCallback = (ev) => events.push(`${ev.stage}${ev.faceIndex ?? ''}:${ev.done ? 'done' : 'start'}`);
    const built: Array<Record<string, number> | undefined> = [];
    const seen: number[] = [];
    const run = await orchestratePhoto({
      decode: async () => decoded,
      faces: async function* (_d, ctx) {
        await ctx.timed('analyze', () => undefined);
        yield face(0);
        yield face(1, ['small face']);
      },
      output: {
        build: (_rec, o) => { built.push(o.imageTimings); return { 'a.txt': new Uint8Array([1]) }; },
        options: { formats: ['glb'], sourceName: 'x.jpg', version: '0' },
        write: (rec, files) => `${rec.faceIndex}:${Object.keys(files).join()}`,
      },
      onFace: (rec) => { seen.push(rec.faceIndex); },
    }, onProgress);
    expect(events).toEqual(['decode:start', 'decode:done', 'analyze:start', 'analyze:done', 'export0:start', 'export0:done', 'export1:start', 'export1:done']);
    expect(run.outputs).toEqual(['0:a.txt', '1:a.txt']);
    expect(seen).toEqual([0, 1]);
    expect(run.warnings).toEqual(['face 1: small face']);
    expect(Object.keys(run.timings).sort()).toEqual(['analyze', 'decode', 'export']);
    expect(built[0]).toEqual({ decode: run.timings.decode });
  });

  it('a decoded photo is not decoded again; without output the faces are only returned', async () => {
    const events: string[] = [];
    const run = await orchestratePhoto({ decode: decoded, faces: async () => [face(0, ['w'])] }, (ev) => events.push(ev.stage));
    expect(events).toEqual([]);
    expect(run.faces).toHaveLength(1);
    expect(run.warnings).toEqual(['w']);
  });
});

describe('reconstructFaces', () => {
  const deps = { faceModel: () => createFaceMeshModel() };
  it('no face is NO_FACE (with the caller\'s message); a face index out of range is INVALID_OPTION', async () => {
    const all = async (it: AsyncIterable<unknown>) => { for await (const _ of it) { /* drain */ } };
    await expect(all(reconstructFaces(decoded, [], deps, resolveOptions({ detail: 'sfs' }), { noFaceMessage: 'none here' }))).rejects.toMatchObject({ code: 'NO_FACE', message: 'none here' });
    const one = [{} as FaceAnalysis];
    await expect(all(reconstructFaces(decoded, one, deps, resolveOptions({ detail: 'sfs' }), { select: [3] }))).rejects.toMatchObject({ code: 'INVALID_OPTION', message: 'face must be an integer from 0 to 0, got 3.' });
  });
});

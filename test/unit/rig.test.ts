/**
 * The ARKit rig's pieces without a photo: the ICT → ARKit name mapping and weights, and the rig
 * GLB writer on procedural meshes (sparse, quantised morph targets; validator; read back).
 * The whole rig from a real photo is test/integration/rig.test.ts.
 */
import { describe, expect, it } from 'vitest';
// @ts-expect-error -- gltf-validator ships no type declarations
import { validateBytes } from 'gltf-validator';
import { FaceDetailError } from '../../src/core/errors.js';
import { readRigGlb, writeRigGlb, type RigGlbPart } from '../../src/core/export/rig-glb.js';
import { setRigGlbWeights } from '../../src/core/export/rig-weights.js';
import { ICT_EXPRESSION_NAMES } from '../../src/core/model/ict/ict-cache.js';
import { ARKIT_BLENDSHAPE_NAMES, ICT_MISSING_ARKIT, arkitMapping, arkitNameOf, arkitWeights } from '../../src/core/rig/arkit.js';
import { uvSphere } from '../fixtures/meshes.js';

describe('ICT → ARKit names', () => {
  const map = arkitMapping(ICT_EXPRESSION_NAMES);

  it('gives ARKit\'s 52 names exactly, each ICT shape used once', () => {
    expect(ARKIT_BLENDSHAPE_NAMES).toHaveLength(52);
    expect(new Set(ARKIT_BLENDSHAPE_NAMES).size).toBe(52);
    expect(map.map((m) => m.name)).toEqual(ARKIT_BLENDSHAPE_NAMES);
    const used = map.flatMap((m) => m.sources.map((s) => s.index)).sort((a, b) => a - b);
    expect(used).toEqual(ICT_EXPRESSION_NAMES.map((_, i) => i));
  });

  it('renames _L/_R to Left/Right, merges the split pairs, and lists what ICT lacks', () => {
    expect(arkitNameOf('eyeBlink_L')).toBe('eyeBlinkLeft');
    expect(arkitNameOf('mouthSmile_R')).toBe('mouthSmileRight');
    expect(arkitNameOf('jawOpen')).toBe('jawOpen');
    const src = (name: string): string[] => map.find((m) => m.name === name)!.sources.map((s) => ICT_EXPRESSION_NAMES[s.index]!);
    expect(src('browInnerUp')).toEqual(['browInnerUp_L', 'browInnerUp_R']);
    expect(src('cheekPuff')).toEqual(['cheekPuff_L', 'cheekPuff_R']);
    expect(src('eyeLookInLeft')).toEqual(['eyeLookIn_L']);
    expect(map.filter((m) => m.sources.length === 0).map((m) => m.name)).toEqual([...ICT_MISSING_ARKIT]);
    expect(ICT_MISSING_ARKIT).toEqual(['tongueOut']);
  });

  it('weights: renamed shapes keep theirs, a merged pair takes the mean, a missing shape 0', () => {
    const e = new Float32Array(ICT_EXPRESSION_NAMES.length).map((_, i) => (i + 1) / 100);
    const w = arkitWeights(e, map);
    const at = (n: string): number => w[ARKIT_BLENDSHAPE_NAMES.indexOf(n)]!;
    const ict = (n: string): number => e[ICT_EXPRESSION_NAMES.indexOf(n)]!;
    expect(at('jawOpen')).toBeCloseTo(ict('jawOpen'), 7);
    expect(at('eyeBlinkRight')).toBeCloseTo(ict('eyeBlink_R'), 7);
    expect(at('browInnerUp')).toBeCloseTo((ict('browInnerUp_L') + ict('browInnerUp_R')) / 2, 7);
    expect(at('tongueOut')).toBe(0);
  });

  it('refuses a model with a shape ARKit has no name for', () => {
    expect(() => arkitMapping([...ICT_EXPRESSION_NAMES, 'PupilDilate_L'])).toThrow(new FaceDetailError('MODEL_CACHE_INVALID', `arkitMapping: no ARKit name for the model's expression shapes PupilDilate_L`));
  });
});

/** Two parts on a sphere (metres): a textured cap and a flat part; two targets, one empty. */
function rigParts(): RigGlbPart[] {
  const a = uvSphere([0, 0, 0], 0.1, 24, 48), b = uvSphere([0, -0.12, 0], 0.03, 8, 16);
  const lift = (m: typeof a, dz: number) => {
    const idx: number[] = [], d: number[] = [];
    for (let v = 0; v < m.positions.length / 3; v++) if (m.positions[3 * v + 1]! < -0.05) { idx.push(v); d.push(0, -0.01, dz); }
    return { indices: Uint32Array.from(idx), deltas: Float32Array.from(d) };
  };
  const empty = { indices: new Uint32Array(0), deltas: new Float32Array(0) };
  return [
    { name: 'face', mesh: a, targets: [lift(a, 0.002), empty], textured: true },
    { name: 'teeth', mesh: { positions: b.positions, indices: b.indices, normals: b.normals! }, targets: [lift(b, 0), empty], color: [0.9, 0.88, 0.8] },
  ];
}

describe('writeRigGlb', () => {
  it('writes a valid GLB with named, sparse, quantised morph targets and reads them back', async () => {
    const parts = rigParts();
    const bytes = await writeRigGlb({ parts, targetNames: ['jawOpen', 'tongueOut'], weights: [0.25, 0] });
    const report = await validateBytes(bytes, { maxIssues: 100 });
    // (one info: the UVs are unused without a texture)
    expect([report.issues.numErrors, report.issues.numWarnings], JSON.stringify(report.issues.messages.slice(0, 5))).toEqual([0, 0]);

    const json = JSON.parse(new TextDecoder().decode(bytes.subarray(20, 20 + new DataView(bytes.buffer, bytes.byteOffset).getUint32(12, true))));
    const mesh = json.meshes[0];
    expect(mesh.extras.targetNames).toEqual(['jawOpen', 'tongueOut']);
    expect(mesh.weights).toEqual([0.25, 0]);
    expect(json.extensionsUsed).toContain('KHR_mesh_quantization');
    const target = (p: number, k: number) => json.accessors[mesh.primitives[p].targets[k].POSITION];
    expect(target(0, 0).sparse.count).toBeGreaterThan(0);
    expect(target(0, 0).componentType).toBe(5122); // SHORT
    expect(target(0, 1).bufferView).toBeUndefined(); // an empty target costs no bytes
    expect(target(0, 1).sparse).toBeUndefined();

    const back = await readRigGlb(bytes);
    expect(back.targetNames).toEqual(['jawOpen', 'tongueOut']);
    expect(back.primitives.map((p) => p.material)).toEqual(['face', 'teeth']);
    const step = 0.15 / 32767; // the grid: largest half-extent / 32767
    parts.forEach((part, p) => {
      const got = back.primitives[p]!;
      let worstPos = 0, worstDelta = 0;
      for (let i = 0; i < part.mesh.positions.length; i++) worstPos = Math.max(worstPos, Math.abs(got.positions[i]! - part.mesh.positions[i]!));
      const dense = new Float32Array(part.mesh.positions.length);
      const t = part.targets[0]!;
      t.indices.forEach((v, j) => { for (let c = 0; c < 3; c++) dense[3 * v + c] = t.deltas[3 * j + c]!; });
      for (let i = 0; i < dense.length; i++) worstDelta = Math.max(worstDelta, Math.abs(got.targets[0]![i]! - dense[i]!));
      expect(worstPos).toBeLessThan(step);
      expect(worstDelta).toBeLessThan(step);
      expect(got.targets[1]!.every((x) => x === 0)).toBe(true);
    });
  });

  it('writes float targets without quantisation', async () => {
    const bytes = await writeRigGlb({ parts: rigParts(), targetNames: ['a', 'b'], weights: [0, 1] }, { quantize: false });
    const report = await validateBytes(bytes, { maxIssues: 100 });
    expect(report.issues.numErrors).toBe(0);
    const back = await readRigGlb(bytes);
    const t = rigParts()[0]!.targets[0]!;
    expect(back.primitives[0]!.targets[0]![3 * t.indices[0]! + 1]).toBeCloseTo(-0.01, 7);
  });

  it('setRigGlbWeights rewrites the default weights by name, keeps the rest byte for byte, stays valid', async () => {
    const bytes = await writeRigGlb({ parts: rigParts(), targetNames: ['a', 'b'], weights: [0.25, 1] });
    const posed = setRigGlbWeights(bytes, { b: 0.5, missing: 1 });
    const report = await validateBytes(posed, { maxIssues: 100 });
    expect(report.issues.numErrors).toBe(0);
    const back = await readRigGlb(posed), before = await readRigGlb(bytes);
    expect(back.weights).toEqual([0.25, 0.5]);
    expect(back.primitives[0]!.positions).toEqual(before.primitives[0]!.positions);
    expect(back.primitives[0]!.targets[0]).toEqual(before.primitives[0]!.targets[0]);
    expect(posed.byteLength % 4).toBe(0);
    expect(() => setRigGlbWeights(new Uint8Array(40), { a: 1 })).toThrow(FaceDetailError);
    expect(() => setRigGlbWeights(bytes, { a: Number.NaN })).toThrow(/weights\.a must be a finite number/);
  });

  it('names the parameter that is wrong', async () => {
    const parts = rigParts();
    await expect(writeRigGlb({ parts, targetNames: ['a', 'b'], weights: [0] })).rejects.toThrow(new FaceDetailError('INVALID_OPTION', 'writeRigGlb: input.weights must have one weight per target name (2), got Array(1)'));
    await expect(writeRigGlb({ parts: [{ ...parts[0]!, targets: [parts[0]!.targets[0]!] }], targetNames: ['a', 'b'], weights: [0, 0] })).rejects.toThrow(/input\.parts\[0\]\.targets must have one target per name \(2\)/);
  });
});

describe('the rig option', () => {
  it('defaults to none, takes arkit with model ict, refuses it with the face mesh', async () => {
    const { resolveOptions } = await import('../../src/core/pipeline/defaults.js');
    expect(resolveOptions({}).rig).toBe('none');
    expect(resolveOptions({ model: 'ict', rig: 'arkit' }).rig).toBe('arkit');
    expect(() => resolveOptions({ rig: 'arkit' })).toThrow(new FaceDetailError('INVALID_OPTION', `rig 'arkit' needs model 'ict' (the face mesh has no expression shapes), got model 'facemesh'.`));
    expect(() => resolveOptions({ model: 'ict', rig: 'bones' as never })).toThrow(new FaceDetailError('INVALID_OPTION', `rig must be one of 'none', 'arkit', got "bones".`));
  });
});

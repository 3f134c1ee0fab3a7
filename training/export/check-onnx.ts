/**
 * Check and time an exported DFDN ONNX model with onnxruntime-node (the product's runtime):
 * - equality with PyTorch: runs the reference input written by training/export_onnx.py and
 *   prints the max |onnx − torch| (mm);
 * - speed: 25 patches of 256² (a 1024² map at stride 192) in one batch, 2 intra-op threads,
 *   median of `--runs` timed runs after a warm-up.
 * Prints one JSON line. Usage: node --import tsx training/export/check-onnx.ts MODEL.onnx [--ref DIR] [--runs 7] [--patches 25]
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import '../../src/node/no-telemetry.js'; // before onnxruntime-node loads
import * as ort from 'onnxruntime-node';

const args = process.argv.slice(2);
const opt = (name: string, def: string): string => {
  const i = args.indexOf(name);
  return i >= 0 && args[i + 1] ? args[i + 1]! : def;
};
const modelPath = args[0]!;
const ref = opt('--ref', '');
const runs = Number(opt('--runs', '7'));
const patches = Number(opt('--patches', '25'));

const session = await ort.InferenceSession.create(modelPath, { intraOpNumThreads: 2, interOpNumThreads: 1, graphOptimizationLevel: 'all' });
const out: Record<string, unknown> = { model: modelPath, inputNames: session.inputNames, outputNames: session.outputNames };
if (ref) {
  const meta = JSON.parse(await readFile(path.join(ref, 'ref.json'), 'utf8')) as { n: number; size: number };
  const inBuf = await readFile(path.join(ref, 'ref-input.f32'));
  const refBuf = await readFile(path.join(ref, 'ref-output.f32'));
  const x = new Float32Array(inBuf.buffer, inBuf.byteOffset, inBuf.byteLength / 4);
  const yRef = new Float32Array(refBuf.buffer, refBuf.byteOffset, refBuf.byteLength / 4);
  const r = await session.run({ features: new ort.Tensor('float32', x, [meta.n, 6, meta.size, meta.size]) });
  const y = r.displacement!.data as Float32Array;
  let maxDiff = 0, maxRef = 0;
  for (let i = 0; i < y.length; i++) { maxDiff = Math.max(maxDiff, Math.abs(y[i]! - yRef[i]!)); maxRef = Math.max(maxRef, Math.abs(yRef[i]!)); }
  out.maxAbsDiffMm = maxDiff;
  out.maxAbsOutputMm = maxRef;
  out.outputDims = r.displacement!.dims;
}
const S = 256;
const x = new Float32Array(patches * 6 * S * S);
for (let i = 0; i < x.length; i++) x[i] = ((i * 2654435761) % 1000) / 500;
const feed = { features: new ort.Tensor('float32', x, [patches, 6, S, S]) };
await session.run(feed);
const times: number[] = [];
for (let k = 0; k < runs; k++) {
  const t0 = performance.now();
  await session.run(feed);
  times.push(performance.now() - t0);
}
times.sort((a, b) => a - b);
out.patches = patches;
out.msMedian = times[times.length >> 1];
out.msAll = times.map((t) => Math.round(t));
console.log(JSON.stringify(out));

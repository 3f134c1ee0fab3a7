/**
 * `npm run bench`: speed and memory of the whole pipeline over $FACEDETAIL_SHARED/photos.
 * Per-stage median times (export as the CLI does it: native PNG encoding), the median total, peak RSS, and in the same run the baseline
 * "Human detect + mesh alone" (the library's own detect() on the same decoded images).
 * Also the DFDN detail network's inference on a 1024² map (onnxruntime-node, 2 threads: the
 * development machine's cores; median of 7 after a warm-up) when its model is installed.
 * In the same run: the GC share of the timed loop (Node's `gc` performance entries), the output
 * sizes per photo (the files the CLI writes by default: face.glb + 5 maps + result.json), and
 * the cold start in fresh processes: `facedetail --help`, model loading (`createReconstructor`)
 * and one photo through the CLI, each the median of 3 (5 for --help) runs of the built CLI
 * (`npm run build` first).
 * Writes bench/results/speed.json. Options: --quick (6 photos), --res N (map resolution),
 * --formats glb,obj,ply (mesh formats written, default the CLI's: glb),
 * --detail sfs|dfdn|dfdn+sfs (the pipeline's detail method, default the pipeline's),
 * --model facemesh|ict (the face model, default the pipeline's; ict: the imported cache, else the
 * bundled model; results to bench/results/speed-<model>.json when it is not the default).
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { readdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { PerformanceObserver } from 'node:perf_hooks';
import path from 'node:path';
import { buildOutputFilesAsync, createEarlyPngs } from '../src/core/pipeline/output-files.js';
import { encodePngNative } from '../src/node/encode-png.js';
import { STAGES, type StageName } from '../src/core/pipeline/types.js';
import { decodeImage } from '../src/node/decode-image.js';
import { acquireHumanRuntime, defaultHumanModelDir, releaseHumanRuntime } from '../src/node/human/human-runtime.js';
import { existsSync } from 'node:fs';
import { dfdnProbeInput, inferDisplacement } from '../src/core/detail/dfdn.js';
import { RECONSTRUCT_DEFAULTS } from '../src/core/pipeline/defaults.js';
import { DETAIL_METHODS, type DetailMethod } from '../src/core/detail/synthesize-detail.js';
import { FACE_MODELS, type FaceModelName, type MeshFormat } from '../src/core/pipeline/types.js';

const MESH_FORMATS: readonly MeshFormat[] = ['glb', 'obj', 'ply'];
import { defaultDfdnModelDir, loadDfdnNetwork } from '../src/node/dfdn-runtime.js';
import { createReconstructor, VERSION } from '../src/node/reconstructor.js';
import { currentCommit, markdownTable, median, SHARED } from './common.js';
import { updateReadmeSpeedTable } from './speed-table.js';

const args = process.argv.slice(2);
const quick = args.includes('--quick');
const resArg = args.indexOf('--res');
const res = resArg >= 0 ? Number(args[resArg + 1]) : 1024;
const detailArg = args.indexOf('--detail');
const detail = (detailArg >= 0 ? args[detailArg + 1] : RECONSTRUCT_DEFAULTS.detail) as DetailMethod;
if (!(DETAIL_METHODS as readonly string[]).includes(detail)) throw new Error(`--detail must be one of ${DETAIL_METHODS.join(', ')}`);
const modelArg = args.indexOf('--model');
const model = (modelArg >= 0 ? args[modelArg + 1] : RECONSTRUCT_DEFAULTS.model) as FaceModelName;
if (!(FACE_MODELS as readonly string[]).includes(model)) throw new Error(`--model must be one of ${FACE_MODELS.join(', ')}`);
const formatsArg = args.indexOf('--formats');
const formats = (formatsArg >= 0 ? args[formatsArg + 1]!.split(',') : ['glb']) as MeshFormat[];
for (const f of formats) if (!(MESH_FORMATS as readonly string[]).includes(f)) throw new Error(`--formats: unknown format "${f}" (expected ${MESH_FORMATS.join(', ')})`);

/** Wall ms of `node <args>` in a fresh process, median of `runs`. */
function processMs(nodeArgs: string[], runs: number): number {
  const ms: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    execFileSync(process.execPath, nodeArgs, { stdio: 'ignore' });
    ms.push(performance.now() - t0);
  }
  return median(ms);
}

/**
 * Cold start in fresh processes (the built CLI in dist/): `--help`; loading every model
 * (`createReconstructor`, a child that prints its time); one photo from process start to files
 * written. Undefined when dist/ is missing.
 */
function coldStart(photo: string): Record<string, number> | undefined {
  const cli = path.resolve('bin', 'facedetail.js');
  if (!existsSync(path.resolve('dist', 'node', 'cli.js'))) return undefined;
  const out = mkdtempSync(path.join(tmpdir(), 'facedetail-bench-'));
  try {
    const helpMs = processMs([cli, '--help'], 5);
    const onePhotoMs = processMs([cli, photo, '-o', out, '-q'], 3);
    const load: number[] = [];
    const script = `const t0 = performance.now(); const { createReconstructor } = await import(${JSON.stringify(path.resolve('dist', 'node', 'index.js'))}); const t1 = performance.now(); const r = await createReconstructor({}); const t2 = performance.now(); await r.dispose(); console.log(JSON.stringify({ importMs: t1 - t0, loadMs: t2 - t1 }));`;
    const imports: number[] = [];
    for (let i = 0; i < 3; i++) {
      const j = JSON.parse(execFileSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' })) as { importMs: number; loadMs: number };
      imports.push(j.importMs); load.push(j.loadMs);
    }
    return { helpMs, importMs: median(imports), modelLoadMs: median(load), onePhotoMs };
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
}

/**
 * DFDN inference on a 1024² map (the network's resolution): the deterministic face-sized probe
 * input (every patch of the UV chart is covered, as for a real face), onnxruntime-node with
 * `threads` intra-op threads; median of `runs` after one warm-up. Undefined without the model.
 */
async function dfdnInference(threads: number, runs: number): Promise<Record<string, number> | undefined> {
  if (!existsSync(path.join(defaultDfdnModelDir(), 'dfdn.onnx'))) return undefined;
  const net = await loadDfdnNetwork({ threads });
  try {
    const R = net.metadata.uvResolution;
    const { features, coverage } = dfdnProbeInput(R, 1);
    await inferDisplacement(features, coverage, net);
    const total: number[] = [], network: number[] = [];
    let patches = 0, checksum = 0;
    for (let i = 0; i < runs; i++) {
      const t0 = performance.now();
      const r = await inferDisplacement(features, coverage, net);
      total.push(performance.now() - t0);
      network.push(r.networkMs);
      patches = r.patches;
      for (const v of r.displacement) checksum += Math.abs(v);
    }
    return { resolution: R, threads, patches, medianMs: median(total), networkMedianMs: median(network), runs, checksum };
  } finally {
    await net.dispose();
  }
}
async function main(): Promise<void> {
  const dir = path.join(SHARED, 'photos');
  let names = (await readdir(dir)).filter((n) => /\.(jpe?g|png|webp)$/i.test(n) && n !== 'non_face.jpg').sort();
  if (quick) names = names.filter((_, i) => i % Math.ceil(names.length / 6) === 0).slice(0, 6);
  const rec = await createReconstructor({ textureResolution: res, detailResolution: res, detail, model });
  const perStage: Record<string, number[]> = {};
  const totals: number[] = [];
  const sizes: Record<string, number[]> = {};
  const failures: string[] = [];
  let checksum = 0;
  // Warm-up (model compilation, JIT) on the first photo, not counted.
  await rec.reconstruct(path.join(dir, names[0]!));
  // GC time inside the timed loop (decoding outside it is excluded from both sides).
  let gcMs = 0, timedMs = 0, timing = false;
  const gcObserver = new PerformanceObserver((list) => { if (timing) for (const e of list.getEntries()) gcMs += e.duration; });
  gcObserver.observe({ entryTypes: ['gc'] });
  for (const name of names) {
    const decoded = await decodeImage(path.join(dir, name));
    const t0 = performance.now();
    timing = true;
    try {
      // As the CLI: each map's PNG starts encoding (libuv's threads) as soon as the map is final.
      const early = createEarlyPngs(encodePngNative, formats);
      const face = await rec.reconstruct(decoded, { onMap: early.start });
      const te = performance.now();
      const files = await buildOutputFilesAsync(face, { formats, sourceName: name, version: VERSION }, encodePngNative, early);
      const exportMs = performance.now() - te;
      timing = false;
      // GC entries are delivered asynchronously: let the observer see this photo's before the next.
      await new Promise((r) => setImmediate(r));
      totals.push(performance.now() - t0);
      timedMs += exportMs + (te - t0);
      let all = 0;
      for (const [f, bytes] of Object.entries(files)) { (sizes[f] ??= []).push(bytes.length); all += bytes.length; }
      (sizes['(all files)'] ??= []).push(all);
      for (const [k, v] of Object.entries({ ...face.timings, export: exportMs })) (perStage[k] ??= []).push(v);
      // Checksum outside the timed part: proves the work was done and catches silent changes.
      for (const v of face.maps.displacement.data) checksum += Math.abs(v);
      checksum += Object.values(files).reduce((s, f) => s + f.length, 0) * 1e-9;
      process.stderr.write(`${name}: ${(performance.now() - t0).toFixed(0)} ms\n`);
    } catch (e) {
      timing = false;
      failures.push(`${name}: ${(e as Error).message}`);
    }
  }
  gcObserver.disconnect();
  await rec.dispose();

  // Baseline: Human's detect() (detector + face mesh + emotion, as configured by the adapter).
  const runtime = await acquireHumanRuntime(defaultHumanModelDir());
  const baseline: number[] = [];
  for (const [i, name] of names.entries()) {
    const decoded = await decodeImage(path.join(dir, name));
    const { width: W, height: H } = decoded;
    const px = new Float32Array(W * H * 3);
    for (let k = 0; k < px.length; k++) px[k] = decoded.image.data[k]! * 255;
    const tensor = runtime.tf.tensor4d(px, [1, H, W, 3], 'float32');
    const t0 = performance.now();
    await runtime.run(() => runtime.human.detect(tensor as never));
    const ms = performance.now() - t0;
    runtime.tf.dispose(tensor);
    if (i > 0 || names.length === 1) baseline.push(ms); // first call warms up
  }
  await releaseHumanRuntime(runtime);

  const peakRssMb = (process.resourceUsage().maxRSS * 1024) / 2 ** 20;
  // After the pipeline's peak RSS is read: the DFDN timing is a separate measurement.
  const dfdn = await dfdnInference(2, 7);
  const cold = coldStart(path.join(dir, names[0]!));
  const gcShare = timedMs > 0 ? gcMs / timedMs : 0;
  const sizeRows = Object.entries(sizes).sort(([a], [b]) => a.localeCompare(b)).map(([f, v]) => [f, (median(v) / 2 ** 20).toFixed(2)]);
  const stageRows = (STAGES as readonly StageName[]).filter((s) => perStage[s]).map((s) => [s, median(perStage[s]!).toFixed(0)]);
  const totalMedian = median(totals), baseMedian = median(baseline);
  console.log(`\nfacedetail ${VERSION} @ ${currentCommit()}, ${names.length} photos, maps ${res}², model ${model}, detail ${detail}, ${failures.length} failed`);
  console.log(markdownTable(['stage', 'median ms'], [...stageRows,
    ['**total (decoded image → all files)**', totalMedian.toFixed(0)],
    ['baseline: Human detect + mesh alone', baseMedian.toFixed(0)],
    ['ratio total / baseline', (totalMedian / baseMedian).toFixed(1) + '×'],
    ['GC share of the timed loop', `${(100 * gcShare).toFixed(1)} %`],
    ['peak RSS (MB)', peakRssMb.toFixed(0)],
    ...(cold ? [
      ['cold: `facedetail --help` (fresh process)', cold['helpMs']!.toFixed(0)],
      ['cold: import + load every model (createReconstructor, fresh process)', `${cold['importMs']!.toFixed(0)} + ${cold['modelLoadMs']!.toFixed(0)}`],
      ['cold: one photo through the CLI (fresh process, files written)', cold['onePhotoMs']!.toFixed(0)],
    ] : []),
    ...(dfdn ? [[`DFDN inference, ${dfdn['resolution']}² map (${dfdn['patches']} patches, onnxruntime-node, ${dfdn['threads']} threads)`, `${dfdn['medianMs']!.toFixed(0)} (network ${dfdn['networkMedianMs']!.toFixed(0)})`]] : []),
  ]));
  console.log(`\nOutput sizes, median MiB per photo (formats ${formats.join(',')}):`);
  console.log(markdownTable(['file', 'MiB'], sizeRows));
  if (dfdn) console.log(`target: DFDN inference ≤ 300 ms (${dfdn['medianMs']! <= 300 ? 'met' : 'NOT met'})`);
  else console.log(`no DFDN model in ${defaultDfdnModelDir()}: DFDN inference not measured`);
  console.log(`targets: total ≤ 1000 ms (${totalMedian <= 1000 ? 'met' : 'NOT met'}), ≤ 20× Human (${totalMedian / baseMedian <= 20 ? 'met' : 'NOT met'}), peak RSS ≤ 1024 MB (${peakRssMb <= 1024 ? 'met' : 'NOT met'})${cold ? `, cold one photo ≤ 2500 ms (${cold['onePhotoMs']! <= 2500 ? 'met' : 'NOT met'}), --help ≤ 300 ms (${cold['helpMs']! <= 300 ? 'met' : 'NOT met'})` : ''}`);
  if (failures.length) console.log('failures:\n' + failures.map((f) => '  ' + f).join('\n'));
  const result = {
    commit: currentCommit(), date: new Date().toISOString(), version: VERSION, machine: `${process.platform} ${process.arch}, node ${process.version}`,
    photos: names.length, resolution: res, model, detail, formats,
    stagesMedianMs: Object.fromEntries(stageRows.map(([s, v]) => [s, Number(v)])),
    totalMedianMs: totalMedian, baselineMedianMs: baseMedian, ratio: totalMedian / baseMedian, gcShare, peakRssMb, failures, checksum,
    outputMiBMedian: Object.fromEntries(sizeRows.map(([f, v]) => [f, Number(v)])),
    ...(cold ? { coldStartMs: cold } : {}),
    ...(dfdn ? { dfdnInference: dfdn } : {}),
  };
  if (quick) return;
  const isDefault = model === RECONSTRUCT_DEFAULTS.model && formats.join() === 'glb' && res === RECONSTRUCT_DEFAULTS.detailResolution && detail === RECONSTRUCT_DEFAULTS.detail;
  await writeFile(model === RECONSTRUCT_DEFAULTS.model ? 'bench/results/speed.json' : `bench/results/speed-${model}.json`, JSON.stringify(result, null, 2) + '\n');
  // The README's speed table shows the default configuration's run.
  if (isDefault && (await updateReadmeSpeedTable(result))) console.log('README.md: speed table updated from this run');
}

await main();

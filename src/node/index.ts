/**
 * facedetail for Node: the core pipeline plus the Node adapters (image decoding with sharp, the
 * Human face analyser on the wasm backend, atomic output folders).
 *
 * @example
 * import { createReconstructor, buildOutputFiles, writeOutputFolder } from 'facedetail';
 * const rec = await createReconstructor();
 * const face = await rec.reconstruct('photo.jpg');
 * await writeOutputFolder('out/photo', await buildOutputFiles(face, { formats: ['glb'], sourceName: 'photo.jpg', version: VERSION }));
 * await rec.dispose();
 */
import './no-telemetry.js'; // first: privacy guard (see no-telemetry.ts)
export * from '../core/index.js';
export { loadDracoEncoder, glbWriteOptions } from './draco-encoder.js';
export { createReconstructor, VERSION } from './reconstructor.js';
export type { Reconstructor, ReconstructorOptions, ReconstructCallOptions } from './reconstructor.js';
export { decodeImage, DECODE_DEFAULTS } from './decode-image.js';
export type { DecodedImage, DecodeImageOptions, ExifInfo } from './decode-image.js';
export { createHumanAnalyzer } from './human-analyzer.js';
export { loadDfdnNetwork, defaultDfdnModelDir } from './dfdn-runtime.js';
export type { DfdnRuntimeOptions, NodeDetailNetwork } from './dfdn-runtime.js';
export { writeOutputFolder, writeFileAtomic } from './write-output.js';
export { encodePngNative } from './encode-png.js';

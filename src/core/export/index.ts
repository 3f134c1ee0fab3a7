/**
 * Exporters: PNG maps, glTF binary, OBJ/MTL and PLY. Every writer returns bytes or strings (no
 * file I/O) and takes data already in the frame and units the target expects — GLB: metres,
 * +Y up, +Z toward the viewer; OBJ/PLY: millimetres, same axes (the caller converts).
 *
 * @example
 * import { writeGlb, encodePng } from './export/index.js';
 * const glb = await writeGlb({ mesh, baseColorPng: encodePng(albedo), generator: 'facedetail 0.1.0' }, { compress: 'meshopt' });
 */
export { encodePng, decodePng, ENCODE_PNG_DEFAULTS } from './png.js';
export type { EncodePngOptions, DecodedPngImage } from './png.js';
export { writeGlb, readGlb, GLB_DEFAULTS, GLB_MATERIAL_DEFAULTS, GLB_WRITE_DEFAULTS, GLB_COMPRESSIONS, GLB_DRACO_POSITION_BITS } from './glb.js';
export type { GlbInput, GlbMaterial, GlbExtraMesh, GlbCamera, GlbContents, GltfJson, GlbWriteOptions, GlbCompression, DracoEncoderModule } from './glb.js';
export { writeRigGlb, readRigGlb, RIG_GLB_DEFAULTS } from './rig-glb.js';
export { setRigGlbWeights } from './rig-weights.js';
export type { RigGlbInput, RigGlbPart, RigGlbTarget, RigGlbContents, RigGlbWriteOptions } from './rig-glb.js';
export { writeObj, OBJ_DEFAULTS } from './obj.js';
export type { ObjOptions } from './obj.js';
export { writePly, readPly } from './ply.js';
export type { PlyOptions, PlyContents } from './ply.js';

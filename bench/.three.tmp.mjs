globalThis.self = globalThis;
import { readFileSync } from 'node:fs';
import { GLTFLoader } from 'three/addons/loaders/GLTFLoader.js';
import { MeshoptDecoder } from 'meshoptimizer';
for (const f of process.argv.slice(2)) {
  const b = readFileSync(f);
  const ab = b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength);
  const loader = new GLTFLoader(); loader.setMeshoptDecoder(MeshoptDecoder);
  const errs = []; const ce = console.error; console.error = (...a) => errs.push(a.map(String).join(' ').slice(0, 120));
  try {
    const gltf = await loader.parseAsync(ab, '');
    let v = 0, tris = 0, meshes = 0; const attrs = new Set();
    gltf.scene.traverse((o) => { if (o.isMesh) { meshes++; v += o.geometry.attributes.position.count; tris += o.geometry.index.count / 3; Object.keys(o.geometry.attributes).forEach(a => attrs.add(a + ':' + o.geometry.attributes[a].array.constructor.name)); } });
    console.log(f, { meshes, v, tris, attrs: [...attrs], cameras: gltf.cameras.length, userData: gltf.scene.userData, normalMap: !!gltf.scene.getObjectByName('face')?.material?.normalMap, errs: errs.slice(0, 3) });
  } catch (e) { console.log(f, 'FAIL', e.message, errs.slice(0, 3)); }
  console.error = ce;
}

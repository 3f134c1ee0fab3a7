/**
 * The three.js viewer: the proxy or the detailed mesh (head frame, millimetres: +X the subject's
 * left, +Y up, +Z toward the viewer), orbit controls, texture / normal-map toggles, a detail
 * strength that rescales the displacement live, and a movable directional light. Renders on
 * demand (after a change), not in a loop, so an idle page costs nothing.
 */
import * as THREE from 'three';
import { OrbitControls } from 'three/addons/controls/OrbitControls.js';
import { GLTFLoader } from 'three/addons/loaders/GLTFLoader.js';
import type { ViewData, ViewMesh } from './protocol.js';

/** What the controls choose. */
export interface ViewerSettings {
  mesh: 'detailed' | 'proxy';
  texture: 'albedo' | 'photo' | 'none';
  /** Apply the normal map (proxy: the detail's normal map; detailed mesh: the residual one). */
  normalMap: boolean;
  /** Multiplier on the reconstructed displacement, detailed mesh only (1 = as exported). */
  strength: number;
  /** Light direction: azimuth around the vertical axis (0 = from the front, + = from the subject's left) and elevation, degrees. */
  lightAzimuthDeg: number;
  lightElevationDeg: number;
}

export const VIEWER_DEFAULTS: Readonly<ViewerSettings> = Object.freeze({ mesh: 'detailed', texture: 'albedo', normalMap: true, strength: 1, lightAzimuthDeg: 35, lightElevationDeg: 25 });

interface Loaded {
  proxy: THREE.BufferGeometry;
  detailed: THREE.BufferGeometry;
  detailedPositions: Float32Array;
  detailedNormals: Float32Array;
  /** Undisplaced positions of the detailed mesh (arrive after the result; until then the strength is fixed at 1). */
  detailedBase: Float32Array | undefined;
  maps: { albedo: THREE.Texture; texture: THREE.Texture; normal: THREE.Texture; residualNormal: THREE.Texture };
  strength: number;
}

export class FaceViewer {
  private readonly renderer: THREE.WebGLRenderer;
  private readonly scene = new THREE.Scene();
  private readonly camera = new THREE.PerspectiveCamera(30, 1, 10, 5000);
  private readonly controls: OrbitControls;
  private readonly light = new THREE.DirectionalLight(0xffffff, 2.6);
  private readonly material = new THREE.MeshStandardMaterial({ color: 0xffffff, roughness: 0.75, metalness: 0, side: THREE.DoubleSide });
  private readonly mesh = new THREE.Mesh(new THREE.BufferGeometry(), this.material);
  private loaded: Loaded | undefined;
  private settings: ViewerSettings = { ...VIEWER_DEFAULTS };
  private frame = 0;
  /** Wall time of the last render call, ms (the GPU work it waited for included only where the driver blocks). */
  renderMs = 0;
  /** True while the camera is at the framed front view (cleared when the user orbits or zooms). */
  private framed = false;
  /** The ARKit rig (rig.glb) while it is shown instead of the face: its root (head rotation) and its morphing meshes. */
  private rig: { root: THREE.Group; meshes: THREE.Mesh[]; dispose: () => void } | undefined;

  constructor(private readonly canvas: HTMLCanvasElement) {
    this.renderer = new THREE.WebGLRenderer({ canvas, antialias: true, preserveDrawingBuffer: true });
    this.renderer.setPixelRatio(Math.min(2, window.devicePixelRatio || 1));
    this.scene.background = new THREE.Color(0x20242b);
    this.scene.add(new THREE.HemisphereLight(0xffffff, 0x404048, 0.55));
    this.scene.add(this.light);
    this.mesh.visible = false;
    this.scene.add(this.mesh);
    this.camera.position.set(0, 0, 480);
    this.controls = new OrbitControls(this.camera, canvas);
    this.controls.enableDamping = false;
    this.controls.addEventListener('change', () => this.requestRender());
    this.controls.addEventListener('start', () => { this.framed = false; });
    new ResizeObserver(() => this.resize()).observe(canvas);
    this.resize();
  }

  /** Shows a new reconstruction (replaces the previous one). */
  async show(view: ViewData): Promise<void> {
    const [albedo, texture, normal, residualNormal] = await Promise.all([
      pngTexture(view.png.albedo, true),
      pngTexture(view.png.texture, true),
      pngTexture(view.png.normal, false),
      pngTexture(view.png.residualNormal, false),
    ]);
    this.hideRig();
    this.disposeLoaded();
    this.loaded = {
      proxy: geometry(view.proxy),
      detailed: geometry(view.detailed),
      detailedPositions: view.detailed.positions,
      detailedNormals: view.detailed.normals,
      detailedBase: undefined,
      maps: { albedo, texture, normal, residualNormal },
      strength: 1,
    };
    this.loaded.detailed.computeBoundingSphere();
    const s = this.loaded.detailed.boundingSphere!;
    this.camera.near = s.radius * 0.05;
    this.camera.far = s.radius * 50;
    this.resetView();
    this.mesh.visible = this.rig === undefined;
    this.apply(this.settings);
  }

  /** Applies control settings (cheap unless the strength changes: then ~100k vertices are moved). */
  apply(settings: ViewerSettings): void {
    this.settings = { ...settings };
    const l = this.loaded;
    if (!l) return;
    const geo = settings.mesh === 'proxy' ? l.proxy : l.detailed;
    if (settings.mesh === 'detailed' && l.detailedBase && settings.strength !== l.strength) this.setStrength(l, l.detailedBase, settings.strength);
    this.mesh.geometry = geo;
    const m = this.material;
    m.map = settings.texture === 'albedo' ? l.maps.albedo : settings.texture === 'photo' ? l.maps.texture : null;
    m.color.set(settings.texture === 'none' ? 0xcfc4bb : 0xffffff);
    m.normalMap = settings.normalMap ? (settings.mesh === 'proxy' ? l.maps.normal : l.maps.residualNormal) : null;
    m.needsUpdate = true;
    const az = (settings.lightAzimuthDeg * Math.PI) / 180, el = (settings.lightElevationDeg * Math.PI) / 180;
    this.light.position.set(Math.sin(az) * Math.cos(el), Math.sin(el), Math.cos(az) * Math.cos(el)).multiplyScalar(1000).add(this.controls.target);
    this.light.target.position.copy(this.controls.target);
    this.light.target.updateMatrixWorld();
    this.requestRender();
  }

  /** Positions = base + s · (detailed − base); normals recomputed (exact ones kept at s = 1). */
  private setStrength(l: Loaded, b: Float32Array, s: number): void {
    const pos = l.detailed.getAttribute('position') as THREE.BufferAttribute;
    const out = pos.array as Float32Array;
    const d = l.detailedPositions;
    for (let i = 0; i < out.length; i++) out[i] = b[i]! + s * (d[i]! - b[i]!);
    pos.needsUpdate = true;
    if (s === 1) {
      const n = l.detailed.getAttribute('normal') as THREE.BufferAttribute;
      (n.array as Float32Array).set(l.detailedNormals);
      n.needsUpdate = true;
    } else {
      l.detailed.computeVertexNormals();
    }
    l.strength = s;
  }

  /** The detailed mesh's undisplaced positions: enables the detail-strength control. */
  setDetailBase(positions: Float32Array): void {
    if (!this.loaded || positions.length !== this.loaded.detailedPositions.length) return;
    this.loaded.detailedBase = positions;
    this.apply(this.settings);
  }

  /** True once {@link setDetailBase} has been given the undisplaced positions. */
  get canRescaleDetail(): boolean {
    return this.loaded?.detailedBase !== undefined;
  }

  /**
   * Shows the rig (rig.glb bytes: metres, head frame) in place of the face, at the same place
   * (millimetres), with its morph targets driven by {@link setRigWeights}. Returns the target names.
   */
  async showRig(glb: Uint8Array): Promise<string[]> {
    this.hideRig();
    const buf = glb.buffer.slice(glb.byteOffset, glb.byteOffset + glb.byteLength) as ArrayBuffer;
    const gltf = await new GLTFLoader().parseAsync(buf, '');
    const root = new THREE.Group();
    const model = gltf.scene;
    model.scale.multiplyScalar(1000); // metres → the viewer's millimetres
    root.add(model);
    const meshes: THREE.Mesh[] = [];
    model.traverse((o) => { if ((o as THREE.Mesh).isMesh && (o as THREE.Mesh).morphTargetDictionary) meshes.push(o as THREE.Mesh); });
    this.scene.add(root);
    this.mesh.visible = false;
    this.rig = {
      root, meshes,
      dispose: () => {
        model.traverse((o) => {
          const m = o as THREE.Mesh;
          if (!m.isMesh) return;
          m.geometry.dispose();
          for (const mat of Array.isArray(m.material) ? m.material : [m.material]) {
            for (const v of Object.values(mat)) if (v instanceof THREE.Texture) v.dispose();
            mat.dispose();
          }
        });
      },
    };
    this.requestRender();
    return Object.keys(meshes[0]?.morphTargetDictionary ?? {});
  }

  /** Sets the rig's morph weights by name (names it does not have are ignored). */
  setRigWeights(names: readonly string[], weights: ArrayLike<number>): void {
    const rig = this.rig;
    if (!rig) return;
    for (const m of rig.meshes) {
      const dict = m.morphTargetDictionary!, inf = m.morphTargetInfluences!;
      for (let i = 0; i < names.length; i++) {
        const k = dict[names[i]!];
        if (k !== undefined) inf[k] = weights[i]!;
      }
    }
    this.requestRender();
  }

  /** The rig's weights now (its defaults until {@link setRigWeights}), by name; 0 for names it does not have. */
  rigWeights(names: readonly string[]): number[] {
    const m = this.rig?.meshes[0];
    return names.map((n) => {
      const k = m?.morphTargetDictionary?.[n];
      return k === undefined ? 0 : m!.morphTargetInfluences![k] ?? 0;
    });
  }

  /**
   * Poses the rig: rotated about the head-frame origin (between the eyes) by the quaternion
   * [x, y, z, w], then moved by `offsetMm` (the viewer's millimetres) from where it was shown.
   */
  setRigPose(q: readonly number[], offsetMm: readonly number[] = [0, 0, 0]): void {
    if (!this.rig) return;
    this.rig.root.quaternion.set(q[0]!, q[1]!, q[2]!, q[3]!);
    this.rig.root.position.set(offsetMm[0] ?? 0, offsetMm[1] ?? 0, offsetMm[2] ?? 0);
    this.requestRender();
  }

  /** True while the rig is shown. */
  get showingRig(): boolean {
    return this.rig !== undefined;
  }

  /** Back to the face (the rig is dropped). */
  hideRig(): void {
    if (!this.rig) return;
    this.scene.remove(this.rig.root);
    this.rig.dispose();
    this.rig = undefined;
    this.mesh.visible = this.loaded !== undefined;
    this.requestRender();
  }

  /** Shows nothing (before a new photo's result arrives). */
  clear(): void {
    this.hideRig();
    this.mesh.visible = false;
    this.mesh.geometry = new THREE.BufferGeometry();
    this.material.map = null;
    this.material.normalMap = null;
    this.disposeLoaded();
    this.requestRender();
  }

  /**
   * Back to the front view: the mesh's bounding sphere fills the narrower of the two fields of
   * view, so the whole face shows on a tall (phone) canvas too, not only on a wide one.
   */
  resetView(): void {
    const l = this.loaded;
    if (!l) return;
    const s = l.detailed.boundingSphere!;
    const halfV = (this.camera.fov * Math.PI) / 360;
    const half = Math.min(halfV, Math.atan(Math.tan(halfV) * this.camera.aspect));
    this.controls.target.copy(s.center);
    this.camera.position.set(s.center.x, s.center.y, s.center.z + (s.radius / Math.tan(half)) * 1.05);
    this.camera.updateProjectionMatrix();
    this.controls.update();
    this.framed = true;
  }

  private resize(): void {
    const w = Math.max(1, this.canvas.clientWidth), h = Math.max(1, this.canvas.clientHeight);
    this.renderer.setSize(w, h, false);
    this.camera.aspect = w / h;
    this.camera.updateProjectionMatrix();
    if (this.framed) this.resetView(); // keep the face framed (a phone turned, a panel resized) until the user orbits
    this.requestRender();
  }

  private requestRender(): void {
    if (this.frame) return;
    this.frame = requestAnimationFrame(() => {
      this.frame = 0;
      const t0 = performance.now();
      this.renderer.render(this.scene, this.camera);
      this.renderMs = performance.now() - t0;
    });
  }

  private disposeLoaded(): void {
    const l = this.loaded;
    if (!l) return;
    l.proxy.dispose();
    l.detailed.dispose();
    for (const t of Object.values(l.maps)) t.dispose();
    this.loaded = undefined;
  }
}

function geometry(m: ViewMesh): THREE.BufferGeometry {
  const g = new THREE.BufferGeometry();
  g.setAttribute('position', new THREE.BufferAttribute(m.positions.slice(), 3));
  g.setAttribute('normal', new THREE.BufferAttribute(m.normals.slice(), 3));
  g.setAttribute('uv', new THREE.BufferAttribute(m.uvs, 2));
  g.setAttribute('tangent', new THREE.BufferAttribute(m.tangents, 4));
  g.setIndex(new THREE.BufferAttribute(m.indices, 1));
  return g;
}

/** A texture from PNG bytes; UVs are glTF-style (v down), so no flip. */
async function pngTexture(bytes: Uint8Array, srgb: boolean): Promise<THREE.Texture> {
  const bitmap = await createImageBitmap(new Blob([bytes as BlobPart], { type: 'image/png' }), { premultiplyAlpha: 'none', colorSpaceConversion: 'none' });
  const t = new THREE.Texture(bitmap);
  t.flipY = false;
  t.colorSpace = srgb ? THREE.SRGBColorSpace : THREE.NoColorSpace;
  t.anisotropy = 4;
  t.needsUpdate = true;
  return t;
}

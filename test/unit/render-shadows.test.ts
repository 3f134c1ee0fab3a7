import { describe, expect, it } from 'vitest';
import { directionalSH } from '../../src/core/lighting/sh.js';
import { meshAmbientOcclusion, renderMesh, type RenderOptions } from '../../src/core/render/render-mesh.js';
import type { Camera, Mesh } from '../../src/core/types.js';

const camera: Camera = { width: 256, height: 256, fx: 500, fy: 500, cx: 128, cy: 128 } as Camera;

/**
 * A flat grid (camera frame, mm) through `origin` spanned by `u` (nu segments) and `v` (nv
 * segments), every vertex with normal `n`.
 */
function grid(origin: number[], u: number[], v: number[], nu: number, nv: number, n: number[]): Mesh {
  const positions: number[] = [], normals: number[] = [], indices: number[] = [];
  for (let j = 0; j <= nv; j++) for (let i = 0; i <= nu; i++) {
    for (let c = 0; c < 3; c++) positions.push(origin[c]! + (i / nu) * u[c]! + (j / nv) * v[c]!);
    normals.push(...n);
  }
  for (let j = 0; j < nv; j++) for (let i = 0; i < nu; i++) {
    const a = j * (nu + 1) + i, b = a + 1, c = a + nu + 1, d = c + 1;
    indices.push(a, b, d, a, d, c);
  }
  return { positions: Float32Array.from(positions), normals: Float32Array.from(normals), indices: Uint32Array.from(indices) };
}

function merge(...ms: Mesh[]): Mesh {
  const pos: number[] = [], nrm: number[] = [], idx: number[] = [];
  for (const m of ms) { const o = pos.length / 3; pos.push(...m.positions); nrm.push(...m.normals!); idx.push(...Array.from(m.indices, (i) => i + o)); }
  return { positions: Float32Array.from(pos), normals: Float32Array.from(nrm), indices: Uint32Array.from(idx) };
}

/** Linear colour (first channel) at the pixel where camera-frame point (x, y, z) projects. */
function pixelAt(img: { data: Float32Array; width: number }, x: number, y: number, z: number): number {
  const px = Math.floor((camera.fx * x) / z + camera.cx), py = Math.floor((camera.fy * y) / z + camera.cy);
  return img.data[3 * (py * img.width + px)]!;
}

describe('renderMesh shadows: a plate casting a shadow on a plane', () => {
  // A wall at z = 1000 mm facing the camera, and an 80 mm square plate at z = 900 in front of it.
  // The light comes from the right and the camera side: d = (0.4472, 0, −0.8944). The plate's
  // shadow on the wall spans x ∈ [−90, −10] mm; the part left of x ≈ −44 (the plate's outline
  // seen from the camera) is visible.
  const wall = grid([-300, -300, 1000], [600, 0, 0], [0, 600, 0], 60, 60, [0, 0, -1]);
  const plate = grid([-40, -40, 900], [80, 0, 0], [0, 80, 0], 4, 4, [0, 0, -1]);
  const scene = merge(wall, plate);
  const d: [number, number, number] = [1 / Math.sqrt(5), 0, -2 / Math.sqrt(5)];
  const cos = 2 / Math.sqrt(5), ambient = 0.1;
  const base: RenderOptions = { lighting: { type: 'directional', direction: d, color: [1, 1, 1], ambient }, albedoColor: [0.5, 0.5, 0.5], output: 'linear' };

  it('without shadows the wall is lit the same in and out of the shadow (the old render)', () => {
    const r = renderMesh(scene, camera, base);
    expect(pixelAt(r.image, -70, 0, 1000)).toBeCloseTo(0.5 * (cos + ambient), 5);
    expect(pixelAt(r.image, 150, 0, 1000)).toBeCloseTo(0.5 * (cos + ambient), 5);
  });

  it('with shadows (no AO) the texels in the shadow keep the ambient only: darker by ambient / (cos + ambient)', () => {
    const r = renderMesh(scene, camera, { ...base, shadows: { ambientOcclusion: false } });
    const lit = pixelAt(r.image, 150, 0, 1000), dark = pixelAt(r.image, -70, 0, 1000);
    expect(lit).toBeCloseTo(0.5 * (cos + ambient), 5);
    expect(dark).toBeCloseTo(0.5 * ambient, 5);
    expect(dark / lit).toBeCloseTo(ambient / (cos + ambient), 4);
    // Just outside the shadow's far edge (x = −100 mm) the wall is lit again; the plate itself is lit.
    expect(pixelAt(r.image, -100, 0, 1000)).toBeCloseTo(0.5 * (cos + ambient), 5);
    expect(pixelAt(r.image, 0, 0, 900)).toBeCloseTo(0.5 * (cos + ambient), 5);
  });

  it('SH lighting: the key share is removed in the shadow, the environment stays (no AO)', () => {
    const key = directionalSH(d[0], d[1], d[2], [1, 1, 1]);
    const coefficients = directionalSH(d[0], d[1], d[2], [1, 1, 1], 0);
    for (let c = 0; c < 3; c++) coefficients[c * 9]! += ambient / 0.28209479177387814;
    const opts: RenderOptions = { lighting: { type: 'sh', coefficients }, albedoColor: [0.5, 0.5, 0.5], output: 'linear' };
    const plain = renderMesh(scene, camera, opts);
    const r = renderMesh(scene, camera, { ...opts, shadows: { keys: [{ direction: d, coefficients: key }], ambientOcclusion: false } });
    expect(pixelAt(r.image, 150, 0, 1000)).toBeCloseTo(pixelAt(plain.image, 150, 0, 1000), 6);
    expect(pixelAt(r.image, -70, 0, 1000)).toBeCloseTo(0.5 * ambient, 5);
    expect(pixelAt(plain.image, -70, 0, 1000)).toBeGreaterThan(0.5 * (ambient + 0.8));
  });

  it('the specular highlight is shadowed along its own direction', () => {
    const spec = { intensity: 0.3, exponent: 2, direction: d };
    const r = renderMesh(scene, camera, { ...base, specular: spec, shadows: { ambientOcclusion: false } });
    expect(pixelAt(r.image, -70, 0, 1000)).toBeCloseTo(0.5 * ambient, 5);
  });

  it('rejects keys with directional lighting and SH keys without their coefficients', () => {
    expect(() => renderMesh(scene, camera, { ...base, shadows: { keys: [{ direction: d }] } })).toThrow(/keys must be omitted with directional lighting/);
    expect(() => renderMesh(scene, camera, { lighting: { type: 'sh', coefficients: new Float64Array(27) }, shadows: { keys: [{ direction: d }] } })).toThrow(/keys\[0\]\.coefficients must hold 27 values/);
  });
});

describe('renderMesh shadows: ambient occlusion in a V-groove', () => {
  // A 90° groove along y (300 mm long), its crease at z = 1000 mm, faces 40 mm wide opening
  // toward the camera. Per face (2-D cross-section, an infinitely long groove), a point at
  // distance x from the crease sees the other face over the angles up to its far edge E, so its
  // cosine-weighted visible fraction is (1 − sin φ_E)/2, φ_E the angle of E from the normal
  // (toward the crease positive): (1 − cos α)/2 = 0.5 at the crease, 0.854 at the rim.
  const L = 40, half = Math.PI / 4, s = Math.sin(half), c = Math.cos(half);
  const faceA = grid([0, -150, 1000], [-L * s, 0, -L * c], [0, 300, 0], 32, 12, [c, 0, -s]);
  const faceB = grid([0, -150, 1000], [L * s, 0, -L * c], [0, 300, 0], 32, 12, [-c, 0, -s]);
  const groove = merge(faceA, faceB);
  const expected = (x: number): number => {
    const ex = L * Math.cos(2 * half) - x, ez = L * Math.sin(2 * half);
    return (1 - ex / Math.hypot(ex, ez)) / 2;
  };

  const ao = meshAmbientOcclusion(groove, { directions: 256, mapSize: 512 });

  it('per-vertex AO matches the 2-D closed form mid-groove (near the crease 0.52, half-way 0.72, rim 0.85)', () => {
    // Vertices of face A on the row at y = 0 (row 6 of 12), columns 1 (x = 1.25 mm), 16 (x = L/2),
    // 32 (rim). (The crease vertex itself, column 0, reads ≈ 0.82: the receiver offset along its
    // normal lands in the plane of the other face, which then no longer occludes it.)
    const at = (i: number): number => ao[6 * 33 + i]!;
    for (const [i, x] of [[1, L / 32], [16, L / 2], [32, L]] as const) expect(Math.abs(at(i) - expected(x))).toBeLessThan(0.03);
    expect(at(1)).toBeLessThan(at(16));
    expect(at(16)).toBeLessThan(at(32));
  });

  it('the render under a uniform environment is darker at the bottom of the groove by the AO ratio', () => {
    const a = 0.6, coefficients = new Float64Array(27);
    for (let ch = 0; ch < 3; ch++) coefficients[ch * 9] = a / 0.28209479177387814;
    const opts: RenderOptions = { lighting: { type: 'sh', coefficients }, albedoColor: [0.5, 0.5, 0.5], output: 'linear' };
    const plain = renderMesh(groove, camera, opts);
    const r = renderMesh(groove, camera, { ...opts, shadows: { ambientOcclusion: ao } });
    // Face A at 2 mm and 38 mm from the crease (x = −1.4 and −26.9 mm).
    const near = [-2 * s, 0, 1000 - 2 * c] as const, rim = [-38 * s, 0, 1000 - 38 * c] as const;
    expect(pixelAt(plain.image, ...near)).toBeCloseTo(0.5 * a, 5);
    expect(pixelAt(plain.image, ...rim)).toBeCloseTo(0.5 * a, 5);
    const bottom = pixelAt(r.image, ...near) / (0.5 * a), top = pixelAt(r.image, ...rim) / (0.5 * a);
    expect(Math.abs(bottom - expected(2))).toBeLessThan(0.04);
    expect(Math.abs(top - expected(38))).toBeLessThan(0.04);
    expect(bottom).toBeLessThan(top - 0.25);
  });
});

/**
 * The head texture on a synthetic scene with a known answer: a flat square "face" 500 mm in front
 * of the camera, a "head" ring around it sharing the face's border vertices, and a hidden patch of
 * head behind the face. The photo is one colour under a white, constant SH light (shading 1), so
 * the de-lit photo is that colour exactly; the face albedo is another colour. Expected: the ring
 * takes the photo's colour away from the face, the face's colour at the junction (no step), and
 * the hidden patch the skin fill. Also the ICT head UVs' subdivision and seam splitting.
 */
import { describe, expect, it } from 'vitest';
import { linearToSrgb, sampleUV } from '../../src/core/image/image.js';
import { SH_C0 } from '../../src/core/lighting/sh.js';
import { findJunction, junctionStep, paintHeadTexture } from '../../src/core/head/head-texture.js';
import { splitUvSeams, subdivideCornerUvs } from '../../src/core/model/ict/ict-head-uv.js';
import { loopSubdivide } from '../../src/core/mesh/subdivide.js';
import type { Camera, Image, Mesh } from '../../src/core/types.js';

const camera: Camera = { width: 512, height: 512, fx: 1000, fy: 1000, cx: 256, cy: 256, focalSource: 'user' };
const Z = 500, HALF_FACE = 20, HALF_HEAD = 60;
const PHOTO = [0.3, 0.2, 0.15] as const, FACE = [0.36, 0.24, 0.17] as const, SKIN = [0.5, 0.4, 0.35] as const;

/** A grid of quads over [x0, x1] × [y0, y1] at depth z (step mm), facing the camera (normals −z); `keep` drops cells. */
function grid(x0: number, x1: number, y0: number, y1: number, z: number, step: number, uv: (x: number, y: number) => [number, number], keep: (x: number, y: number) => boolean = () => true): Mesh {
  const nx = Math.round((x1 - x0) / step), ny = Math.round((y1 - y0) / step);
  const P: number[] = [], U: number[] = [], N: number[] = [], I: number[] = [];
  for (let j = 0; j <= ny; j++) {
    for (let i = 0; i <= nx; i++) {
      const x = x0 + i * step, y = y0 + j * step;
      P.push(x, y, z); N.push(0, 0, -1); U.push(...uv(x, y));
    }
  }
  const id = (i: number, j: number): number => j * (nx + 1) + i;
  for (let j = 0; j < ny; j++) {
    for (let i = 0; i < nx; i++) {
      if (!keep(x0 + (i + 0.5) * step, y0 + (j + 0.5) * step)) continue;
      // Wound so that (b − a) × (c − a) points toward the camera (−z).
      I.push(id(i, j), id(i, j + 1), id(i + 1, j), id(i + 1, j), id(i, j + 1), id(i + 1, j + 1));
    }
  }
  return { positions: Float32Array.from(P), uvs: Float32Array.from(U), normals: Float32Array.from(N), indices: Uint32Array.from(I) };
}

/** Two meshes as one (the head ring and the hidden patch). */
function concat(a: Mesh, b: Mesh): Mesh {
  const n = a.positions.length / 3;
  return {
    positions: Float32Array.from([...a.positions, ...b.positions]),
    uvs: Float32Array.from([...a.uvs!, ...b.uvs!]),
    normals: Float32Array.from([...a.normals!, ...b.normals!]),
    indices: Uint32Array.from([...a.indices, ...Array.from(b.indices, (v) => v + n)]),
  };
}

function scene(photo: readonly number[] = PHOTO) {
  const face = grid(-HALF_FACE, HALF_FACE, -HALF_FACE, HALF_FACE, Z, 2, (x, y) => [(x + HALF_FACE) / 40, (y + HALF_FACE) / 40]);
  // The ring: u, v over [0, 1] × [0, 0.8]; the hidden patch (60 mm behind the face) inside the ring's hole in UV.
  const ringUv = (x: number, y: number): [number, number] => [(x + HALF_HEAD) / 120, ((y + HALF_HEAD) / 120) * 0.8];
  const ring = grid(-HALF_HEAD, HALF_HEAD, -HALF_HEAD, HALF_HEAD, Z, 2, ringUv, (x, y) => Math.max(Math.abs(x), Math.abs(y)) > HALF_FACE);
  const hidden = grid(-12, 12, -12, 12, Z + 60, 2, (x, y) => [0.4 + ((x + 12) / 24) * 0.2, 0.3 + ((y + 12) / 24) * 0.2]);
  const head = concat(ring, hidden);
  const image: Image = { width: 512, height: 512, channels: 3, data: new Float32Array(512 * 512 * 3) };
  for (let k = 0; k < 512 * 512; k++) for (let c = 0; c < 3; c++) image.data[3 * k + c] = linearToSrgb(photo[c]!);
  const faceAlbedo: Image = { width: 32, height: 32, channels: 3, data: new Float32Array(32 * 32 * 3) };
  for (let k = 0; k < 32 * 32; k++) for (let c = 0; c < 3; c++) faceAlbedo.data[3 * k + c] = FACE[c]!;
  // White light, shading 1 for every normal: only the DC term.
  const sh = new Float64Array(27);
  for (let c = 0; c < 3; c++) sh[9 * c] = 1 / SH_C0;
  return { face, head, image, faceAlbedo, sh };
}

const dist = (a: ArrayLike<number>, b: ArrayLike<number>): number => Math.hypot(a[0]! - b[0]!, a[1]! - b[1]!, a[2]! - b[2]!);

describe('paintHeadTexture', () => {
  it('paints the photo where the head is seen, the skin fill where it is hidden, and meets the face without a step', () => {
    const { face, head, image, faceAlbedo, sh } = scene();
    // The skin gate off: the photo's colour is skin-like but not the face's.
    const tex = paintHeadTexture({ image, camera, head, occluders: [face], face, faceAlbedoLinear: faceAlbedo, sh, skin: SKIN }, { width: 256, height: 256, skinGateSigma: 0 });
    const at = (u: number, v: number): Float32Array => { const o = new Float32Array(3); sampleUV(tex.linear, u, v, o); return o; };
    // Seen, 35 mm from the face's border (beyond the 30 mm junction reach): the de-lit photo.
    expect(dist(at((55 + HALF_HEAD) / 120, 0.4), PHOTO)).toBeLessThan(0.01);
    // Hidden behind the face (the depth test): the fill.
    expect(dist(at(0.5, 0.4), SKIN)).toBeLessThan(0.01);
    // The junction: the face's colour on the head's side of the border.
    const j = findJunction(head, face);
    expect(j.head.length).toBe(80); // the face's 20 × 4 border vertices
    expect(tex.stats.junctionStepBlend).toBeCloseTo(dist(FACE, PHOTO), 2);
    expect(tex.stats.junctionStep).toBeLessThan(0.005);
    expect(junctionStep(face, faceAlbedo, head, tex.linear, j)).toBe(tex.stats.junctionStep);
    // And the correction fades: halfway (15 mm out) between the face's colour and the photo's.
    const mid = at((35 + HALF_HEAD) / 120, 0.4);
    expect(dist(mid, PHOTO)).toBeGreaterThan(0.005);
    expect(dist(mid, FACE)).toBeGreaterThan(0.005);
    expect(tex.stats.seenFraction).toBeGreaterThan(0.9);
    console.log(`[head-texture] junction step: flat ${tex.stats.junctionStepFlat.toFixed(4)}, blend ${tex.stats.junctionStepBlend.toFixed(4)}, final ${tex.stats.junctionStep.toFixed(4)}`);
  });

  it('leaves what is plainly not skin (a navy collar) to the fill, unless the skin gate is off', () => {
    const NAVY = [0.02, 0.03, 0.08] as const;
    const { face, head, image, faceAlbedo, sh } = scene(NAVY);
    const uv = [(55 + HALF_HEAD) / 120, 0.4] as const, o = new Float32Array(3);
    const gated = paintHeadTexture({ image, camera, head, occluders: [face], face, faceAlbedoLinear: faceAlbedo, sh, skin: SKIN }, { width: 256, height: 256 });
    sampleUV(gated.linear, uv[0], uv[1], o);
    expect(dist(o, SKIN)).toBeLessThan(0.01);
    expect(gated.stats.seenFraction).toBeLessThan(0.01);
    const plain = paintHeadTexture({ image, camera, head, occluders: [face], face, faceAlbedoLinear: faceAlbedo, sh, skin: SKIN }, { width: 256, height: 256, skinGateSigma: 0 });
    sampleUV(plain.linear, uv[0], uv[1], o);
    expect(dist(o, NAVY)).toBeLessThan(0.01);
  });

  it('rejects a head without UVs', () => {
    const { face, head, image, faceAlbedo, sh } = scene();
    const { uvs: _uvs, ...bare } = head;
    expect(() => paintHeadTexture({ image, camera, head: bare, occluders: [], face, faceAlbedoLinear: faceAlbedo, sh, skin: SKIN }))
      .toThrow(expect.objectContaining({ code: 'INVALID_INPUT', message: 'paintHeadTexture: input.head needs uvs and normals' }));
  });
});

describe('ICT head UVs', () => {
  it('subdivides per-corner UVs in loopSubdivide\'s triangle order', () => {
    // One triangle whose UVs equal its xy. Level 1 with fixed boundaries keeps its new points on
    // the edges' midpoints: each child's corner UVs are its corners' xy. Level 2: every fine vertex
    // gets one UV from all its corners (the order matches; a mismatch would look like seams).
    const tri: Mesh = { positions: Float32Array.from([0, 0, 0, 1, 0, 0, 0, 1, 0]), indices: Uint32Array.from([0, 1, 2]) };
    const corners = Float32Array.from([0, 0, 1, 0, 0, 1]);
    const fine = loopSubdivide(tri, 1, { boundary: 'fixed' }).mesh;
    const uv = subdivideCornerUvs(corners, 1);
    expect(uv.length).toBe(2 * fine.indices.length);
    for (let k = 0; k < fine.indices.length; k++) {
      const v = fine.indices[k]!;
      expect(uv[2 * k]).toBeCloseTo(fine.positions[3 * v]!, 6);
      expect(uv[2 * k + 1]).toBeCloseTo(fine.positions[3 * v + 1]!, 6);
    }
    const fine3 = loopSubdivide(tri, 3).mesh;
    expect(splitUvSeams(fine3, subdivideCornerUvs(corners, 3)).mesh.positions.length).toBe(fine3.positions.length);
  });

  it('splits the vertices on a UV seam, and only those', () => {
    // Two triangles sharing the edge 1–2, each with its own UVs along it (a seam).
    const mesh: Mesh = { positions: Float32Array.from([0, 0, 0, 1, 0, 0, 0, 1, 0, 1, 1, 0]), indices: Uint32Array.from([0, 1, 2, 2, 1, 3]), normals: new Float32Array(12) };
    const seam = splitUvSeams(mesh, Float32Array.from([0, 0, 0.5, 0, 0, 0.5, 0.6, 0.5, 1, 0, 1, 0.5]));
    expect(seam.mesh.positions.length / 3).toBe(6);
    expect(Array.from(seam.sources)).toEqual([0, 1, 2, 2, 1, 3]);
    const same = splitUvSeams(mesh, Float32Array.from([0, 0, 0.5, 0, 0, 0.5, 0, 0.5, 0.5, 0, 0.5, 0.5]));
    expect(same.mesh.positions.length / 3).toBe(4);
    expect(Array.from(same.mesh.uvs!)).toEqual([0, 0, 0.5, 0, 0, 0.5, 0.5, 0.5]);
  });
});

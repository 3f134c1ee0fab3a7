/**
 * Synthetic faces for the wrinkle ground truth: ICT identities / expressions, their narrow face in
 * the pipeline's UV layout (and the face-mesh layout through the dense correspondence), and the
 * wrinkle map of each (generator v2, wrinkles.ts). Isomorphic.
 */
import { computeVertexNormals } from '../../src/core/mesh/normals.js';
import type { IctModelData } from '../../src/core/model/ict/ict-cache.js';
import { ictShape } from '../../src/core/model/ict/ict-fit.js';
import { ICT_TOPOLOGY_VERTEX_COUNT, ictTopology } from '../../src/core/model/ict/ict-topology.js';
import { FACEMESH_TRIANGLES, FACEMESH_UVS } from '../../src/core/model/facemesh/generated/facemesh-topology.js';
import type { Mesh } from '../../src/core/types.js';
import { rasterizeUV } from '../../src/core/unwrap/rasterize-uv.js';
import {
  expressionFromArkit, faceMeshWrinkleAnchors, generateWrinkles, ictWrinkleAnchors, mulberry,
  type WrinkleExpression, type WrinkleMap,
} from './wrinkles.js';

/** A synthetic subject: identity, age, expression (seeded). */
export interface SynthFace {
  seed: number;
  identity: Float32Array;
  /** ICT expression weights (53). */
  expression: Float32Array;
  age: number;
  /** The wrinkle-relevant expression intensities derived from `expression`. */
  wrinkleExpression: WrinkleExpression;
}

/** Expression presets used by the benchmark and the preview: neutral, brow raise, smile, frown. */
export const EXPRESSION_PRESETS: Record<string, Record<string, number>> = {
  neutral: {},
  browRaise: { browInnerUp: 0.9, browOuterUp_L: 0.8, browOuterUp_R: 0.8, eyeWide_L: 0.3, eyeWide_R: 0.3 },
  smile: { mouthSmile_L: 0.85, mouthSmile_R: 0.85, cheekSquint_L: 0.7, cheekSquint_R: 0.7, eyeSquint_L: 0.3, eyeSquint_R: 0.3 },
  frown: { browDown_L: 0.85, browDown_R: 0.85, noseSneer_L: 0.2, noseSneer_R: 0.2 },
};

/**
 * A seeded synthetic face: identity ~ N(0, 1) on the first `identityCount` ICT shapes (at most
 * the model's own count), the given
 * expression preset (by name) or a random one, and an age.
 *
 * @example const f = synthFace(data, 101, { age: 72, preset: 'smile' });
 */
export function synthFace(data: IctModelData, seed: number, opts: { age?: number; preset?: string; identityCount?: number } = {}): SynthFace {
  const rnd = mulberry(seed * 7919 + 5);
  const gauss = (): number => Math.sqrt(-2 * Math.log(Math.max(1e-12, rnd()))) * Math.cos(2 * Math.PI * rnd());
  // 100 draws whatever the model holds (the same seed gives the same first weights); the bundled
  // compact model carries fewer identity modes, so the vector is cut to what the model has.
  const drawn = Float32Array.from({ length: opts.identityCount ?? 100 }, gauss);
  const identity = drawn.slice(0, Math.min(drawn.length, data.identityNames.length));
  const names = data.expressionNames;
  const expression = new Float32Array(names.length);
  const presets = Object.keys(EXPRESSION_PRESETS);
  const preset = opts.preset ?? presets[Math.floor(rnd() * presets.length)]!;
  const p = EXPRESSION_PRESETS[preset];
  if (!p) throw new RangeError(`synthFace: preset must be one of ${presets.join(', ')}, got ${preset}`);
  for (const [k, v] of Object.entries(p)) { const i = names.indexOf(k); if (i >= 0) expression[i] = v * (0.8 + 0.2 * rnd()); }
  const age = opts.age ?? Math.round(22 + 63 * rnd());
  return { seed, identity, expression, age, wrinkleExpression: expressionFromArkit(names, expression) };
}

/** The narrow face of a shape in the pipeline's ICT UV layout (head frame, mm). */
export function ictFaceMesh(data: IctModelData, shape: ArrayLike<number>): Mesh {
  const topo = ictTopology(data);
  const positions = Float32Array.from({ length: 3 * ICT_TOPOLOGY_VERTEX_COUNT }, (_, i) => shape[i]!);
  return { positions, indices: topo.indices, uvs: topo.uvs, normals: computeVertexNormals(positions, topo.indices) };
}

/** The 468-vertex face mesh placed on an ICT shape through the dense correspondence (head frame, mm), face-mesh UVs. */
export function faceMeshOnIct(data: IctModelData, shape: ArrayLike<number>): Mesh {
  const c = data.correspondence, T = data.triangles;
  const positions = new Float32Array(3 * c.count);
  for (let i = 0; i < c.count; i++) {
    const t = c.triangle[i]!;
    for (let k = 0; k < 3; k++) {
      const v = T[3 * t + k]!, w = c.bary[3 * i + k]!;
      for (let d = 0; d < 3; d++) positions[3 * i + d]! += w * shape[3 * v + d]!;
    }
  }
  return { positions, indices: FACEMESH_TRIANGLES, uvs: FACEMESH_UVS, normals: computeVertexNormals(positions, FACEMESH_TRIANGLES) };
}

/** Which UV layout a map is drawn in. */
export type WrinkleLayout = 'ict' | 'facemesh';

/**
 * The wrinkle map of a synthetic face in a layout: drawn on the identity's neutral face (so the
 * wrinkles stay attached to the skin when the expression moves it), deepened by its expression.
 *
 * @example const map = synthWrinkleMap(data, face, 'ict', 1024);
 */
export function synthWrinkleMap(data: IctModelData, face: SynthFace, layout: WrinkleLayout, size: number, opts: { pores?: boolean } = {}): WrinkleMap {
  const rest = ictShape(data, face.identity, new Float32Array(data.expressionNames.length));
  const mesh = layout === 'ict' ? ictFaceMesh(data, rest) : faceMeshOnIct(data, rest);
  const geom = rasterizeUV(mesh, size, size);
  const anchors = layout === 'ict' ? ictWrinkleAnchors(rest, data.landmarks68) : faceMeshWrinkleAnchors(mesh.positions);
  return generateWrinkles(geom, anchors, { seed: face.seed, age: face.age, expression: face.wrinkleExpression, ...(opts.pores === undefined ? {} : { pores: opts.pores }) });
}

/**
 * Wrinkle generator v2: seeded, deterministic displacement maps of real magnitude and anatomy for
 * any UV layout of the face (the ICT narrow face, the 468-point face mesh), in millimetres along
 * the surface normal (outward positive, so creases are negative).
 *
 * How it works. Every wrinkle is a *primitive*: a curve on the face with a cross-section profile
 * (depth, width) that tapers at both ends. Curves are placed from a few anatomical anchors (eye
 * corners, inner / outer brow, nose tip, alae, mouth corners, lip tops, chin), so the same seed
 * puts the same wrinkle on the same anatomy in every layout. They live in a 2D *face plane*: the
 * head-frame point (x, y, z) (x subject's left, y up, z out of the face, mm) unrolled on a vertical
 * cylinder of radius {@link FACE_CYLINDER_RADIUS_MM} about the head's axis, q = (R·atan2(x, z − z₀),
 * y), so distances in q are close to distances along the skin on the front and sides of the face.
 * The map is evaluated per texel from the layout's per-texel surface points ({@link WrinkleSurface},
 * from `rasterizeUV` of the layout's mesh): no layout-specific code.
 *
 * Calibration (what the numbers are tied to; the ranges are the ones the detail benchmark and the
 * tests check, {@link WRINKLE_RANGES}):
 * - wrinkle depth 0.1–1.0 mm, fold depth 1.0–2.5 mm, widths (full width at half depth) 0.5–4 mm:
 *   the magnitudes of replica / fringe-projection profilometry of facial skin (forehead and
 *   crow's-feet lines of a few tenths of a mm in middle age, up to ~1 mm in the elderly;
 *   nasolabial folds of 1–3 mm), as set out in the issue that asked for this generator. The
 *   previous generator (training/procedural.py) peaked near 0.03 mm RMS, ten times too faint;
 * - counts and lengths grow with age (25 → 80 years: forehead lines 1 → 6, crow's feet 1 → 5 per
 *   side, perioral lines 0 → 12, marionette folds and cheek lines only past ~45 and ~50 years);
 * - dynamic wrinkles deepen with the expression that creates them: forehead lines with a brow
 *   raise (frontalis), glabellar lines with a frown (corrugator), crow's feet and the nasolabial
 *   fold with a smile (orbicularis oculi, zygomaticus); a young face shows them only under the
 *   expression;
 * - pores: pits of 0.06–0.15 mm radius, 0.01–0.04 mm deep on a ~0.9 mm jittered grid (denser and
 *   larger on the nose and cheeks); fine roughness 0.005–0.015 mm.
 *
 * Every generated primitive is returned with its parameters ({@link WrinkleMap.primitives}); a
 * primitive whose depth would fall under its kind's minimum (a faint young wrinkle) is not drawn.
 *
 * Isomorphic (no Node, no DOM): the benchmark, the training renderer and the tests share it; the
 * Python training reads the maps it writes (`bench/synth/write-maps.ts`).
 */
import { mulberry32 as mulberry } from '../common.js';

/** The bench's mulberry32 PRNG in [0, 1) (bench/common.ts). */
export { mulberry };

/** Radius of the unrolling cylinder of the face plane, mm (about the head's half-breadth). */
export const FACE_CYLINDER_RADIUS_MM = 75;

/** What kind of relief a primitive is; "fold" kinds use the fold depth range. */
export type WrinkleKind =
  | 'forehead' | 'glabellar' | 'crowsFeet' | 'underEye' | 'lidCheek' | 'nasolabial' | 'marionette'
  | 'perioral' | 'lip' | 'cheek' | 'mentalCrease' | 'neck';

/** Kinds that are folds (deeper, with a bulge on one side). */
export const FOLD_KINDS: readonly WrinkleKind[] = Object.freeze(['nasolabial', 'marionette']);

/** Documented ranges (mm) every generated primitive satisfies. */
export const WRINKLE_RANGES = Object.freeze({
  wrinkleDepthMm: [0.1, 1.0] as const,
  foldDepthMm: [1.0, 2.5] as const,
  widthMm: [0.5, 4.0] as const,
  /** Under-eye bag: broad bulge amplitude, mm. */
  bagHeightMm: [0.2, 1.5] as const,
  poreDepthMm: [0.01, 0.04] as const,
  roughnessMm: [0.005, 0.015] as const,
});

/** Anchors of the face, head frame (x subject's left, y up, z out), mm. `R`/`L` = subject's right / left. */
export interface FaceAnchors {
  eyeOuterR: Vec3; eyeInnerR: Vec3; eyeInnerL: Vec3; eyeOuterL: Vec3;
  browOuterR: Vec3; browInnerR: Vec3; browInnerL: Vec3; browOuterL: Vec3;
  noseTip: Vec3; alaR: Vec3; alaL: Vec3;
  mouthCornerR: Vec3; mouthCornerL: Vec3; upperLipTop: Vec3; lowerLipBottom: Vec3; chin: Vec3;
}
export type Vec3 = [number, number, number];

/** Expression intensities in [0, 1] that deepen the dynamic wrinkles. */
export interface WrinkleExpression {
  /** Brow raise (frontalis): forehead lines. */
  browRaise: number;
  /** Smile (zygomaticus + orbicularis oculi): crow's feet, nasolabial fold, cheek lines. */
  smile: number;
  /** Frown (corrugator): glabellar lines. */
  frown: number;
}

/** Options of {@link generateWrinkles}. */
export interface WrinkleOptions {
  /** Seed of the random draw (same seed, same face → same map). */
  seed: number;
  /** Age in years, 20–90. Default 55. */
  age?: number;
  /** Expression; default none. */
  expression?: Partial<WrinkleExpression>;
  /** Include pores and fine roughness. Default true. */
  pores?: boolean;
  /** Overall depth multiplier on top of age (individual variation is drawn from the seed). Default 1. */
  severity?: number;
}

/** Defaults of {@link WrinkleOptions}. */
export const WRINKLE_DEFAULTS = Object.freeze({ age: 55, pores: true, severity: 1 });

/** The surface of a UV layout, per texel: head-frame point and validity (e.g. from `rasterizeUV`). */
export interface WrinkleSurface {
  width: number;
  height: number;
  /** 1 where the texel is on the surface. */
  coverage: ArrayLike<number>;
  /** Head-frame surface point per texel, mm (xyz), on the face the map is made for. */
  position: ArrayLike<number>;
}

/** One generated relief element. */
export interface WrinklePrimitive {
  kind: WrinkleKind;
  /** Face-plane polyline (q coordinates, mm): x0, y0, x1, y1, … */
  curve: number[];
  /** Peak depth of the groove, mm (positive number; the map holds −depth at the centre line). */
  depthMm: number;
  /** Full width at half depth, mm. */
  widthMm: number;
  /** Curve length, mm. */
  lengthMm: number;
  /** Folds: side of the bulge (+1 = left of the curve direction, −1 = right), else 0. */
  bulgeSide: number;
}

/** Output of {@link generateWrinkles}. */
export interface WrinkleMap {
  width: number;
  height: number;
  /** Displacement along the outward normal, mm, per texel (0 off the surface). */
  displacement: Float32Array;
  /** Depth below the local skin of the creases alone (wrinkles + folds, no pores/bags), mm, ≥ 0. */
  creaseDepth: Float32Array;
  primitives: WrinklePrimitive[];
  /** Under-eye bags: centre (q), radii (mm), height (mm). */
  bags: Array<{ centre: [number, number]; radii: [number, number]; heightMm: number }>;
}

/** Map ICT expression weights (ARKit names) to {@link WrinkleExpression}. */
export function expressionFromArkit(names: readonly string[], weights: ArrayLike<number>): WrinkleExpression {
  const w = (n: string): number => { const i = names.indexOf(n); return i >= 0 ? weights[i]! : 0; };
  const c = (x: number): number => Math.max(0, Math.min(1, x));
  return {
    browRaise: c(Math.max(w('browInnerUp'), (w('browOuterUp_L') + w('browOuterUp_R')) / 2)),
    smile: c(Math.max((w('mouthSmile_L') + w('mouthSmile_R')) / 2, (w('cheekSquint_L') + w('cheekSquint_R')) / 2)),
    frown: c((w('browDown_L') + w('browDown_R')) / 2),
  };
}

/** Face-plane coordinates of a head-frame point: q = (R·atan2(x, z − z₀), y). */
export function facePlane(x: number, y: number, z: number, z0: number): [number, number] {
  return [FACE_CYLINDER_RADIUS_MM * Math.atan2(x, z - z0), y];
}

/** Axis depth z₀ of the unrolling cylinder for these anchors (one radius behind the eye corners). */
export function cylinderAxisZ(a: FaceAnchors): number {
  return (a.eyeInnerR[2] + a.eyeInnerL[2]) / 2 - FACE_CYLINDER_RADIUS_MM;
}

/**
 * The seeded wrinkle set of a face (primitives and bags only, no map): what {@link generateWrinkles} draws.
 *
 * @example const { primitives } = wrinklePrimitives(anchors, { seed: 7, age: 70 });
 */
export function wrinklePrimitives(anchors: FaceAnchors, options: WrinkleOptions): Pick<WrinkleMap, 'primitives' | 'bags'> {
  const age = clamp(options.age ?? WRINKLE_DEFAULTS.age, 20, 90);
  const ex: WrinkleExpression = { browRaise: 0, smile: 0, frown: 0, ...options.expression };
  const severity = options.severity ?? WRINKLE_DEFAULTS.severity;
  const rnd = mulberry(options.seed * 2654435761 + 17);
  const U = (lo: number, hi: number): number => lo + (hi - lo) * rnd();
  const a = clamp((age - 25) / 50, 0, 1); // 0 at 25, 1 at 75
  const indiv = severity * U(0.75, 1.25); // individual skin ageing
  const z0 = cylinderAxisZ(anchors);
  const Q = (p: Vec3): [number, number] => facePlane(p[0], p[1], p[2], z0);
  const prims: WrinklePrimitive[] = [];
  const [wMin, wMax] = WRINKLE_RANGES.wrinkleDepthMm, [fMin, fMax] = WRINKLE_RANGES.foldDepthMm;
  const add = (kind: WrinkleKind, curve: number[], depth: number, width: number, bulgeSide = 0): void => {
    const fold = FOLD_KINDS.includes(kind);
    const lo = fold ? fMin : wMin, hi = fold ? fMax : wMax;
    if (!(depth >= lo)) return; // too faint to be this kind: not drawn
    prims.push({ kind, curve, depthMm: Math.min(hi, depth), widthMm: clamp(width, WRINKLE_RANGES.widthMm[0], WRINKLE_RANGES.widthMm[1]), lengthMm: polyLength(curve), bulgeSide });
  };
  const browInR = Q(anchors.browInnerR), browInL = Q(anchors.browInnerL), browOutR = Q(anchors.browOuterR), browOutL = Q(anchors.browOuterL);
  const eyeOutR = Q(anchors.eyeOuterR), eyeOutL = Q(anchors.eyeOuterL), eyeInR = Q(anchors.eyeInnerR), eyeInL = Q(anchors.eyeInnerL);
  const alaR = Q(anchors.alaR), alaL = Q(anchors.alaL), mcR = Q(anchors.mouthCornerR), mcL = Q(anchors.mouthCornerL);
  const ulip = Q(anchors.upperLipTop), llip = Q(anchors.lowerLipBottom), chin = Q(anchors.chin);
  const midX = (browInR[0] + browInL[0]) / 2;
  const browY = (browInR[1] + browInL[1] + browOutR[1] + browOutL[1]) / 4;
  const browHalf = Math.abs(browOutL[0] - browOutR[0]) / 2;

  // Forehead lines: horizontal, gently arched, stacked 8–12 mm apart from ~12 mm above the brows.
  {
    const n = Math.round(1 + 5 * a * U(0.7, 1.1));
    let y = browY + U(11, 15);
    for (let i = 0; i < n; i++) {
      const half = browHalf * U(0.45, 0.95) * (0.6 + 0.4 * a);
      const cx = midX + U(-6, 6), arch = U(-3, 4), tilt = U(-0.04, 0.04);
      const depth = (U(0.08, 0.3) + 0.45 * a * U(0.6, 1.2)) * indiv * (1 + 1.4 * ex.browRaise) + 0.15 * ex.browRaise;
      const pts: number[] = [];
      // Break long lines into two pieces at random (real forehead lines are often interrupted).
      const broken = half > 30 && rnd() < 0.4;
      const gap = broken ? U(-0.3, 0.3) : 2;
      for (let k = 0; k <= 12; k++) {
        const s = -1 + (2 * k) / 12;
        if (broken && Math.abs(s - gap) < 0.08) { if (pts.length >= 4) add('forehead', pts.splice(0), depth, U(1.0, 3.0)); continue; }
        pts.push(cx + s * half, y + arch * (1 - s * s) * -1 + tilt * s * half + 1.2 * Math.sin(3 * s + i));
      }
      if (pts.length >= 4) add('forehead', pts, depth * U(0.85, 1.1), U(1.0, 3.0));
      y += U(8, 12);
    }
  }
  // Glabellar lines: 1–2 near-vertical lines each side between the inner brows, and a horizontal procerus line.
  for (const side of [-1, 1]) {
    const inner = side < 0 ? browInR : browInL;
    const n = 1 + (rnd() < 0.3 + 0.5 * a ? 1 : 0);
    for (let i = 0; i < n; i++) {
      const x = midX + side * U(3.5, 8) + side * 2.5 * i;
      const yb = inner[1] - U(6, 10), len = U(8, 14) * (0.7 + 0.3 * a) + 4 * ex.frown;
      const lean = side * U(0.05, 0.25);
      const depth = (U(0.05, 0.2) + 0.45 * a * U(0.6, 1.2)) * indiv * (1 + 1.6 * ex.frown) + 0.2 * ex.frown;
      add('glabellar', [x, yb, x + lean * len * 0.5, yb + len * 0.5, x + lean * len, yb + len], depth, U(0.8, 2.0));
    }
  }
  add('glabellar', [midX - U(6, 9), (eyeInR[1] + eyeInL[1]) / 2 + U(3, 6), midX + U(6, 9), (eyeInR[1] + eyeInL[1]) / 2 + U(3, 6)], (0.4 * a * U(0.3, 1.2)) * indiv, U(1.0, 2.5));

  for (const side of [-1, 1]) {
    const eyeOut = side < 0 ? eyeOutR : eyeOutL, eyeIn = side < 0 ? eyeInR : eyeInL;
    const ala = side < 0 ? alaR : alaL, mc = side < 0 ? mcR : mcL;
    // Crow's feet: a fan of 1–5 lines from 5–8 mm lateral of the outer canthus.
    {
      const n = Math.round(1 + 4 * Math.max(a, 0.6 * ex.smile) * U(0.7, 1.1));
      const x0 = eyeOut[0] + side * U(5, 8), y0 = eyeOut[1];
      for (let i = 0; i < n; i++) {
        const ang = (n === 1 ? 0 : -0.6 + (1.2 * i) / (n - 1)) + U(-0.12, 0.12) - 0.15;
        const len = U(7, 16) * (0.6 + 0.4 * a) + 4 * ex.smile;
        const r0 = U(0, 3);
        const pts = [0, 0.5, 1].flatMap((s) => { const r = r0 + s * len; return [x0 + side * r * Math.cos(ang), y0 + r * Math.sin(ang) + s * s * U(-1, 1)]; });
        const depth = (U(0.05, 0.2) + 0.35 * a * U(0.6, 1.2)) * indiv * (1 + 1.5 * ex.smile) + 0.15 * ex.smile;
        add('crowsFeet', pts, depth, U(0.5, 1.5));
      }
    }
    // Under-eye: fine lines parallel to the lower lid, the lid–cheek junction, and the bag.
    const ecx = (eyeOut[0] + eyeIn[0]) / 2, ecy = (eyeOut[1] + eyeIn[1]) / 2, ew = Math.abs(eyeOut[0] - eyeIn[0]);
    {
      const n = Math.round(3 * a * U(0.5, 1.2));
      for (let i = 0; i < n; i++) {
        const dy = U(3.5, 6.5) + 1.5 * i, half = ew * U(0.25, 0.45);
        const pts = [-1, -0.5, 0, 0.5, 1].flatMap((s) => [ecx + side * 0.1 * ew + s * half, ecy - dy + 1.5 * (1 - s * s) * -1 + s * side * 1.2]);
        add('underEye', pts, (0.08 + 0.25 * a * U(0.6, 1.2)) * indiv * (1 + 0.5 * ex.smile), U(0.5, 1.2));
      }
      const dy = U(9, 12), half = ew * U(0.45, 0.6);
      const pts = [-1, -0.5, 0, 0.5, 1].flatMap((s) => [ecx + side * 0.05 * ew + s * half, ecy - dy - 2.5 * (1 - s * s) + side * s * 2]);
      add('lidCheek', pts, (0.05 + 0.6 * a * U(0.5, 1.2)) * indiv, U(2.5, 4.0));
    }
    // Nasolabial fold: from above-lateral of the ala, curving down and out past the mouth corner; bulge on the cheek side.
    {
      const sx = ala[0] + side * U(2, 4), sy = ala[1] + U(2, 5);
      const ex2 = mc[0] + side * U(7, 11), ey = mc[1] - U(4, 12) * (0.5 + 0.5 * a);
      const bow = U(2, 5);
      const pts = [0, 0.25, 0.5, 0.75, 1].flatMap((s) => [sx + (ex2 - sx) * s + side * bow * Math.sin(Math.PI * s), sy + (ey - sy) * s]);
      const depth = (0.6 + 1.2 * a * U(0.7, 1.2)) * indiv * (1 + 0.6 * ex.smile) + 0.4 * ex.smile;
      // Walking down the curve, the cheek is on the right when side = +1 (subject's left, +x)... on the lateral side.
      add('nasolabial', pts, depth, U(2.5, 4.0), lateralSide(pts, side));
    }
    // Marionette fold: down from the mouth corner toward the jaw (past ~45 years).
    {
      const sx = mc[0] + side * U(1, 3), sy = mc[1] - U(1, 3), len = U(14, 24) * (0.5 + 0.5 * a);
      const pts = [0, 0.5, 1].flatMap((s) => [sx + side * s * U(1, 4), sy - s * len]);
      add('marionette', pts, (0.3 + 1.6 * a * a * U(0.7, 1.2)) * indiv, U(2.0, 3.5), lateralSide(pts, side));
    }
    // Cheek lines: oblique lines lateral to the fold (past ~50 years).
    {
      const n = Math.round(3 * Math.max(0, a - 0.4) * U(0.8, 1.6));
      for (let i = 0; i < n; i++) {
        const x = ala[0] + side * U(18, 32), y = ala[1] - U(0, 18), len = U(10, 22), ang = -Math.PI / 2 + side * U(0.2, 0.6);
        add('cheek', [x, y, x + len * 0.5 * Math.cos(ang), y + len * 0.5 * Math.sin(ang), x + len * Math.cos(ang), y + len * Math.sin(ang)], (0.05 + 0.35 * a * U(0.6, 1.2)) * indiv * (1 + 0.4 * ex.smile), U(0.8, 2.0));
      }
    }
  }
  // Perioral lines above the upper lip, lip lines on the vermilion, the mental crease above the chin.
  {
    const n = Math.round(12 * a * a * U(0.5, 1.1));
    const half = Math.abs(mcL[0] - mcR[0]) / 2;
    for (let i = 0; i < n; i++) {
      const x = ulip[0] + U(-0.85, 0.85) * half, y0 = ulip[1] + U(0, 2), len = U(3, 9);
      add('perioral', [x, y0, x + U(-0.8, 0.8), y0 + len], (0.05 + 0.3 * a * U(0.6, 1.3)) * indiv, U(0.5, 1.0));
    }
    const m = Math.round(4 + 10 * a * U(0.5, 1.2));
    for (let i = 0; i < m; i++) {
      const upper = rnd() < 0.5;
      const x = ulip[0] + U(-0.75, 0.75) * half, y0 = upper ? ulip[1] - U(0.5, 2) : llip[1] + U(0.5, 2), len = U(2, 4);
      add('lip', [x, y0, x + U(-0.4, 0.4), y0 + (upper ? -len : len)], (0.06 + 0.15 * a * U(0.6, 1.3)) * indiv * U(0.8, 1.3), U(0.5, 0.9));
    }
    const my = llip[1] + (chin[1] - llip[1]) * U(0.35, 0.5), mh = half * U(0.5, 0.8);
    add('mentalCrease', [llip[0] - mh, my + 2, llip[0], my - U(0, 2), llip[0] + mh, my + 2], (0.1 + 0.6 * a * U(0.5, 1.2)) * indiv, U(2.0, 4.0));
  }
  // Neck lines (only on layouts that include the neck): horizontal arcs 30–70 mm below the chin.
  {
    const n = Math.round(1 + 2 * a * U(0.7, 1.3));
    for (let i = 0; i < n; i++) {
      const y = chin[1] - U(30, 40) - 12 * i, half = U(35, 55);
      add('neck', [-1, -0.5, 0, 0.5, 1].flatMap((s) => [midX + s * half, y + 5 * (1 - s * s)]), (0.1 + 0.6 * a * U(0.6, 1.2)) * indiv, U(2.0, 4.0));
    }
  }
  // Under-eye bags: broad bulges below the lower lid, growing with age.
  const bags: WrinkleMap['bags'] = [];
  for (const side of [-1, 1]) {
    const eyeOut = side < 0 ? eyeOutR : eyeOutL, eyeIn = side < 0 ? eyeInR : eyeInL;
    const h = (0.15 + 1.1 * a * U(0.6, 1.2)) * indiv;
    if (h < WRINKLE_RANGES.bagHeightMm[0]) continue;
    bags.push({ centre: [(eyeOut[0] + eyeIn[0]) / 2 + side * 1.5, (eyeOut[1] + eyeIn[1]) / 2 - U(6, 8)], radii: [Math.abs(eyeOut[0] - eyeIn[0]) * 0.45, U(3.5, 5)], heightMm: Math.min(WRINKLE_RANGES.bagHeightMm[1], h) });
  }
  return { primitives: prims, bags };
}

/**
 * Draw the displacement map of a face into its UV layout.
 *
 * @param surface per-texel head-frame points of the layout's mesh (e.g. `rasterizeUV(headFrameMesh, 1024, 1024)`).
 * @param anchors the face's anchors, same frame ({@link ictWrinkleAnchors}, {@link faceMeshWrinkleAnchors}).
 * @example
 * const map = generateWrinkles(rasterizeUV(faceMesh, 1024, 1024), ictWrinkleAnchors(shape, data.landmarks68), { seed: 3, age: 70, expression: { smile: 0.8 } });
 */
export function generateWrinkles(surface: WrinkleSurface, anchors: FaceAnchors, options: WrinkleOptions): WrinkleMap {
  const { width: W, height: H, coverage, position } = surface;
  const { primitives, bags } = wrinklePrimitives(anchors, options);
  const z0 = cylinderAxisZ(anchors);
  const n = W * H;
  const qx = new Float32Array(n), qy = new Float32Array(n);
  for (let p = 0; p < n; p++) {
    if (!(coverage[p]! > 0)) continue;
    const q = facePlane(position[3 * p]!, position[3 * p + 1]!, position[3 * p + 2]!, z0);
    qx[p] = q[0]; qy[p] = q[1];
  }
  const disp = new Float32Array(n), crease = new Float32Array(n);
  for (const pr of primitives) drawPrimitive(pr, qx, qy, coverage, disp, crease);
  for (const b of bags) {
    for (let p = 0; p < n; p++) {
      if (!(coverage[p]! > 0)) continue;
      const dx = (qx[p]! - b.centre[0]) / b.radii[0], dy = (qy[p]! - b.centre[1]) / b.radii[1];
      const r2 = dx * dx + dy * dy;
      if (r2 < 9) disp[p]! += b.heightMm * Math.exp(-r2 * 0.8);
    }
  }
  if (options.pores ?? WRINKLE_DEFAULTS.pores) addPores(qx, qy, coverage, disp, options.seed, anchors);
  return { width: W, height: H, displacement: disp, creaseDepth: crease, primitives, bags };
}

/**
 * Groove profile across the curve at signed distance s (mm) for full width at half depth w:
 * −depth·exp(−s²/(2σ²)), σ = w/2.355; a fold adds a bulge of 0.35·depth on its `bulgeSide`,
 * 1.3 w from the centre line (the overhanging cheek of a nasolabial fold).
 */
function drawPrimitive(pr: WrinklePrimitive, qx: Float32Array, qy: Float32Array, coverage: ArrayLike<number>, disp: Float32Array, crease: Float32Array): void {
  const c = pr.curve, m = c.length / 2;
  const sigma = pr.widthMm / 2.3548;
  const reach = 3.5 * sigma + (pr.bulgeSide ? 2.6 * pr.widthMm : 0);
  let x0 = Infinity, x1 = -Infinity, y0 = Infinity, y1 = -Infinity;
  for (let i = 0; i < m; i++) { x0 = Math.min(x0, c[2 * i]!); x1 = Math.max(x1, c[2 * i]!); y0 = Math.min(y0, c[2 * i + 1]!); y1 = Math.max(y1, c[2 * i + 1]!); }
  x0 -= reach; x1 += reach; y0 -= reach; y1 += reach;
  const cum = [0];
  for (let i = 1; i < m; i++) cum.push(cum[i - 1]! + Math.hypot(c[2 * i]! - c[2 * i - 2]!, c[2 * i + 1]! - c[2 * i - 1]!));
  const L = cum[m - 1]! || 1;
  const taper = Math.min(0.35 * L, 6);
  for (let p = 0; p < qx.length; p++) {
    if (!(coverage[p]! > 0)) continue;
    const x = qx[p]!, y = qy[p]!;
    if (x < x0 || x > x1 || y < y0 || y > y1) continue;
    // Closest point on the polyline: distance, arc length, side.
    let best = Infinity, bestS = 0, side = 0;
    for (let i = 0; i + 1 < m; i++) {
      const ax = c[2 * i]!, ay = c[2 * i + 1]!, dx = c[2 * i + 2]! - ax, dy = c[2 * i + 3]! - ay;
      const l2 = dx * dx + dy * dy || 1;
      const t = Math.max(0, Math.min(1, ((x - ax) * dx + (y - ay) * dy) / l2));
      const ex = x - ax - t * dx, ey = y - ay - t * dy, d = Math.hypot(ex, ey);
      if (d < best) { best = d; bestS = cum[i]! + t * Math.sqrt(l2); side = dx * ey - dy * ex >= 0 ? 1 : -1; }
    }
    if (best > reach) continue;
    // Taper: smooth fade over the last `taper` mm at each end (and a rounded end cap beyond).
    const along = Math.min(bestS, L - bestS);
    const env = along >= taper ? 1 : 0.5 - 0.5 * Math.cos((Math.PI * Math.max(0, along)) / taper);
    if (env <= 0) continue;
    const g = Math.exp(-(best * best) / (2 * sigma * sigma));
    let v = -pr.depthMm * g * env;
    if (pr.bulgeSide && side === pr.bulgeSide) {
      const s = best - 1.3 * pr.widthMm;
      v += 0.35 * pr.depthMm * Math.exp(-(s * s) / (2 * (0.9 * pr.widthMm) ** 2)) * env;
    }
    disp[p]! += v;
    const cd = pr.depthMm * g * env;
    if (cd > crease[p]!) crease[p] = cd;
  }
}

/** Pores (jittered grid of pits, denser on nose and cheeks) and fine two-octave roughness. */
function addPores(qx: Float32Array, qy: Float32Array, coverage: ArrayLike<number>, disp: Float32Array, seed: number, a: FaceAnchors): void {
  const z0 = cylinderAxisZ(a);
  const nose = facePlane(a.noseTip[0], a.noseTip[1], a.noseTip[2], z0);
  const cell = 0.9;
  const [pMin, pMax] = WRINKLE_RANGES.poreDepthMm, [rMin, rMax] = WRINKLE_RANGES.roughnessMm;
  const rough = rMin + (rMax - rMin) * hash01(seed, 1, 2, 3);
  for (let p = 0; p < qx.length; p++) {
    if (!(coverage[p]! > 0)) continue;
    const x = qx[p]!, y = qy[p]!;
    // Pore density / size: higher near the nose and mid-cheeks.
    const dn = Math.hypot((x - nose[0]) / 35, (y - nose[1]) / 25);
    const k = Math.exp(-dn * dn);
    const ci = Math.floor(x / cell), cj = Math.floor(y / cell);
    let pit = 0;
    for (let j = cj - 1; j <= cj + 1; j++) {
      for (let i = ci - 1; i <= ci + 1; i++) {
        if (hash01(seed, i, j, 0) > 0.45 + 0.5 * k) continue;
        const px = (i + hash01(seed, i, j, 1)) * cell, py = (j + hash01(seed, i, j, 2)) * cell;
        const r = 0.06 + 0.09 * hash01(seed, i, j, 3) * (0.5 + 0.5 * k);
        const d2 = ((x - px) ** 2 + (y - py) ** 2) / (r * r);
        if (d2 < 4) pit = Math.min(pit, -(pMin + (pMax - pMin) * hash01(seed, i, j, 4)) * Math.exp(-d2));
      }
    }
    disp[p]! += pit + rough * (0.6 * valueNoise(seed, x / 1.4, y / 1.4) + 0.4 * valueNoise(seed + 7, x / 0.6, y / 0.6));
  }
}

/** Side (+1 left / −1 right of the walking direction) that points laterally (away from the midline). */
function lateralSide(pts: number[], side: number): number {
  const dy = pts[pts.length - 1]! - pts[1]!;
  // Left normal of the walking direction (dx, dy) is (−dy, dx); lateral = +x·side.
  return -dy * side >= 0 ? 1 : -1;
}

function polyLength(c: number[]): number {
  let L = 0;
  for (let i = 2; i < c.length; i += 2) L += Math.hypot(c[i]! - c[i - 2]!, c[i + 1]! - c[i - 1]!);
  return L;
}

function clamp(x: number, lo: number, hi: number): number { return Math.max(lo, Math.min(hi, x)); }


/** Integer hash of (seed, i, j, k) → [0, 1). */
function hash01(seed: number, i: number, j: number, k: number): number {
  let h = Math.imul(seed | 0, 0x27d4eb2d) ^ Math.imul(i | 0, 0x165667b1) ^ Math.imul(j | 0, 0x9e3779b1) ^ Math.imul(k | 0, 0x85ebca77);
  h = Math.imul(h ^ (h >>> 15), 0x2c1b3c6d);
  h = Math.imul(h ^ (h >>> 12), 0x297a2d39);
  h ^= h >>> 15;
  return (h >>> 0) / 4294967296;
}

/** Smooth value noise in [−1, 1] on the unit grid. */
function valueNoise(seed: number, x: number, y: number): number {
  const i = Math.floor(x), j = Math.floor(y), fx = x - i, fy = y - j;
  const sx = fx * fx * (3 - 2 * fx), sy = fy * fy * (3 - 2 * fy);
  const v = (a: number, b: number): number => hash01(seed, a, b, 9) * 2 - 1;
  return (v(i, j) * (1 - sx) + v(i + 1, j) * sx) * (1 - sy) + (v(i, j + 1) * (1 - sx) + v(i + 1, j + 1) * sx) * sy;
}

/**
 * Anchors from the ICT 68 Multi-PIE landmark vertices of a shape (3N positions, head frame, mm).
 * Multi-PIE numbering: 36/39 one eye's outer/inner corner and 42/45 the other's, 17–21 and 22–26
 * the brows, 30 nose tip, 31/35 nostril extremes, 48/54 mouth corners, 51 upper lip top, 57
 * lower lip bottom, 8 chin; sides are assigned by the sign of x (x = subject's left).
 *
 * @example const anchors = ictWrinkleAnchors(ictShape(data, identity, expr), data.landmarks68);
 */
export function ictWrinkleAnchors(positions: ArrayLike<number>, landmarks68: ArrayLike<number>): FaceAnchors {
  const P = (i: number): Vec3 => { const v = landmarks68[i]!; return [positions[3 * v]!, positions[3 * v + 1]!, positions[3 * v + 2]!]; };
  return orient({
    eyeOuterR: P(36), eyeInnerR: P(39), eyeInnerL: P(42), eyeOuterL: P(45), browOuterR: P(17), browInnerR: P(21), browInnerL: P(22), browOuterL: P(26),
    noseTip: P(30), alaR: P(31), alaL: P(35), mouthCornerR: P(48), mouthCornerL: P(54), upperLipTop: P(51), lowerLipBottom: P(57), chin: P(8),
  });
}

/** MediaPipe face-mesh indices of the anchors (subject's right first). */
export const FACEMESH_ANCHOR_INDICES = Object.freeze({
  eyeOuterR: 33, eyeInnerR: 133, eyeInnerL: 362, eyeOuterL: 263, browOuterR: 70, browInnerR: 107, browInnerL: 336, browOuterL: 300,
  noseTip: 1, alaR: 129, alaL: 358, mouthCornerR: 61, mouthCornerL: 291, upperLipTop: 0, lowerLipBottom: 17, chin: 152,
});

/**
 * Anchors from the 468 face-mesh vertex positions (head frame, mm).
 *
 * @example const anchors = faceMeshWrinkleAnchors(faceMeshPositions);
 */
export function faceMeshWrinkleAnchors(positions: ArrayLike<number>): FaceAnchors {
  const out = {} as Record<keyof FaceAnchors, Vec3>;
  for (const [k, v] of Object.entries(FACEMESH_ANCHOR_INDICES)) out[k as keyof FaceAnchors] = [positions[3 * v]!, positions[3 * v + 1]!, positions[3 * v + 2]!];
  return orient(out);
}

/** Make "R" anchors the ones with smaller x (x = subject's left), whatever the source's naming. */
function orient(a: FaceAnchors): FaceAnchors {
  const pairs: Array<[keyof FaceAnchors, keyof FaceAnchors]> = [['eyeOuterR', 'eyeOuterL'], ['eyeInnerR', 'eyeInnerL'], ['browOuterR', 'browOuterL'], ['browInnerR', 'browInnerL'], ['alaR', 'alaL'], ['mouthCornerR', 'mouthCornerL']];
  const o = { ...a };
  for (const [r, l] of pairs) if (o[r][0] > o[l][0]) { const t = o[r]; o[r] = o[l]; o[l] = t; }
  return o;
}

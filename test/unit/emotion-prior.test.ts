import { describe, expect, it } from 'vitest';
import { FaceDetailError } from '../../src/core/errors.js';
import { AU_TO_ICT_SHAPES, EMFACS_PROTOTYPES, emotionPrior, emotionPrototype } from '../../src/core/model/ict/emotion-prior.js';
import { ICT_EXPRESSION_NAMES } from '../../src/core/model/ict/ict-cache.js';
import { EMOTIONS, type Emotion } from '../../src/core/types.js';

const idx = (name: string): number => ICT_EXPRESSION_NAMES.indexOf(name);
const oneHot = (e: Emotion): Record<Emotion, number> => Object.fromEntries(EMOTIONS.map((x) => [x, x === e ? 1 : 0])) as Record<Emotion, number>;

describe('emotion prior', () => {
  it('every AU of the prototypes maps onto existing ICT shapes', () => {
    for (const e of EMOTIONS) {
      for (const { au, intensity } of EMFACS_PROTOTYPES[e]) {
        expect(intensity).toBeGreaterThan(0);
        expect(intensity).toBeLessThanOrEqual(1);
        const shapes = AU_TO_ICT_SHAPES[au];
        expect(shapes, `AU${au}`).toBeDefined();
        for (const s of shapes!) expect(ICT_EXPRESSION_NAMES, s.shape).toContain(s.shape);
      }
    }
  });

  it('prototypes: happy smiles and squints cheeks, surprise raises brows and opens the jaw, neutral is zero', () => {
    const happy = emotionPrototype('happy');
    expect(happy[idx('mouthSmile_L')]).toBeCloseTo(0.9, 6);
    expect(happy[idx('mouthSmile_R')]).toBeCloseTo(0.9, 6);
    expect(happy[idx('cheekSquint_L')]).toBeCloseTo(0.7, 6);
    expect(happy[idx('browDown_L')]).toBe(0);
    const surprise = emotionPrototype('surprise');
    expect(surprise[idx('browInnerUp_L')]).toBeCloseTo(0.8, 6);
    expect(surprise[idx('jawOpen')]).toBeCloseTo(0.32, 6);
    expect(emotionPrototype('neutral').every((v) => v === 0)).toBe(true);
    for (const e of EMOTIONS) for (const v of emotionPrototype(e)) { expect(v).toBeGreaterThanOrEqual(0); expect(v).toBeLessThanOrEqual(1); }
  });

  it('a certain emotion gives its prototype as mean with the base variance; a mixture widens the variance', () => {
    const p = emotionPrior(oneHot('sad'), { baseSigma: 0.2 });
    const proto = emotionPrototype('sad');
    for (let k = 0; k < proto.length; k++) {
      expect(p.mean[k]).toBeCloseTo(proto[k]!, 6);
      expect(p.variance[k]).toBeCloseTo(0.04, 6);
    }
    const mix = emotionPrior({ ...oneHot('happy'), happy: 0.5, neutral: 0.5 });
    const k = idx('mouthSmile_L');
    expect(mix.mean[k]).toBeCloseTo(0.45, 6);
    // σ₀² + ½(0.9 − 0.45)² + ½(0 − 0.45)²
    expect(mix.variance[k]).toBeCloseTo(0.04 + 0.45 ** 2, 5);
  });

  it('normalises the probabilities; all zero is neutral; invalid inputs throw INVALID_OPTION', () => {
    const a = emotionPrior({ ...oneHot('fear'), fear: 3 });
    const b = emotionPrior(oneHot('fear'));
    expect(Array.from(a.mean)).toEqual(Array.from(b.mean));
    const z = emotionPrior(Object.fromEntries(EMOTIONS.map((e) => [e, 0])) as Record<Emotion, number>);
    expect(z.mean.every((v) => v === 0)).toBe(true);
    expect(() => emotionPrior({ ...oneHot('sad'), angry: -0.1 })).toThrow(FaceDetailError);
    expect(() => emotionPrior({ ...oneHot('sad'), angry: NaN })).toThrow(/angry/);
    expect(() => emotionPrior(oneHot('sad'), { baseSigma: 0 })).toThrow(/baseSigma/);
  });
});

import { beforeAll, describe, expect, it } from 'vitest';
import type { IctModelData } from '../../src/core/model/ict/ict-cache.js';
import { loadIctModel } from '../../src/node/model-import/load-ict.js';
import { renderSynthCase, synthCase } from '../../bench/synth/scene.js';

describe('training scenes: hair-fringe and hand occluders', () => {
  let data: IctModelData;
  beforeAll(async () => { data = await loadIctModel({ source: 'bundled' }); });

  it('a fringe covers forehead pixels, which leave the skin mask; without it nothing is occluded', () => {
    const base = { age: 60, preset: 'browRaise', size: 256, glasses: false } as const;
    const withHair = synthCase(data, 21, { ...base, hair: true });
    const without = synthCase(data, 21, { ...base, hair: false });
    expect(withHair.hair?.strands).toBeGreaterThanOrEqual(8);
    expect(without.hair).toBeUndefined();
    // The hair draw comes last: the rest of the scene is the same.
    expect(withHair.yawDeg).toBe(without.yawDeg);
    const a = renderSynthCase(data, withHair), b = renderSynthCase(data, without);
    const W = a.camera.width, H = a.camera.height;
    let occ = 0, occInMask = 0, occRowSum = 0, maskRowSum = 0, maskN = 0;
    for (let p = 0; p < W * H; p++) {
      if (a.render.occluded[p]! > 0.5) { occ++; occRowSum += Math.floor(p / W); if (a.mask[p]) occInMask++; }
      if (b.mask[p]) { maskRowSum += Math.floor(p / W); maskN++; }
      expect(b.render.occluded[p]).toBe(0);
    }
    expect(occ).toBeGreaterThan(20);
    expect(occInMask).toBe(0);
    // Above the face's centre (image rows grow downward): the forehead.
    expect(occRowSum / occ).toBeLessThan(maskRowSum / maskN);
  }, 60_000);

  it('a hand covers a cheek only when asked for: its pixels leave the skin mask, below the eyes, on its side', () => {
    const base = { age: 60, preset: 'smile', size: 256, glasses: false, hair: false } as const;
    const withHand = synthCase(data, 7005, { ...base, hand: true });
    const without = synthCase(data, 7005, base);
    expect(without.hand).toBeUndefined();
    expect(withHand.hand).toBeDefined();
    // The hand draw comes last: the rest of the scene is the same.
    expect({ ...withHand, hand: undefined }).toEqual({ ...without, hand: undefined });
    const a = renderSynthCase(data, withHand), b = renderSynthCase(data, without);
    const W = a.camera.width, H = a.camera.height;
    let occ = 0, occInMask = 0, occRow = 0, occCol = 0, maskRow = 0, maskCol = 0, maskN = 0, lost = 0;
    for (let p = 0; p < W * H; p++) {
      const x = p % W, y = Math.floor(p / W);
      if (a.render.occluded[p]! > 0.5) { occ++; occRow += y; occCol += x; if (a.mask[p]) occInMask++; }
      if (b.mask[p]) { maskRow += y; maskCol += x; maskN++; if (!a.mask[p]) lost++; }
    }
    expect(occInMask).toBe(0);
    // A real share of the face (5–40 % of the skin mask) is hidden.
    expect(lost / maskN).toBeGreaterThan(0.05);
    expect(lost / maskN).toBeLessThan(0.4);
    // Below the face's centre (the cheek and jaw) and off to one side.
    expect(occRow / occ).toBeGreaterThan(maskRow / maskN);
    expect(Math.abs(occCol / occ - maskCol / maskN)).toBeGreaterThan(0.05 * W);
  }, 60_000);
});

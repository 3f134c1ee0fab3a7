import { describe, expect, it } from 'vitest';
import { LIGHTS, viewLighting, type BenchView } from '../../bench/accuracy/scene.js';
import { directionalSH } from '../../src/core/lighting/sh.js';
import { DIRECTIONAL_AMBIENT_DEFAULT } from '../../src/core/render/render-mesh.js';

/**
 * The accuracy / detail benchmarks' lights as plain sources (`LightSetup.sources`), which the
 * Blender Cycles export of the scan turns into suns and a uniform world: they must be the same
 * lighting as the one our renderer shades with.
 */
const view = (light: BenchView['light'], seed: number): BenchView => ({
  id: `t-${light}`, seed, split: 'tune', light, size: 256, focalLength35mm: 50, yawDeg: 0, pitchDeg: 0, rollDeg: 0, faceFraction: 0.5,
});

describe('viewLighting sources', () => {
  for (const light of LIGHTS) {
    for (const seed of [1, 3]) {
      it(`${light} (seed ${seed}): the sources rebuild the rendered lighting`, () => {
        const s = viewLighting(view(light, seed));
        const { keys, ambient } = s.sources;
        expect(keys.length).toBeGreaterThan(0);
        for (const k of keys) expect(Math.hypot(...k.direction)).toBeCloseTo(1, 9);
        if (s.lighting.type === 'sh') {
          // Σ directionalSH(key) + ambient / Y00 in each channel's constant term = the coefficients.
          const sum = new Float64Array(27);
          for (const k of keys) { const c = directionalSH(...k.direction, k.rgb, 0); for (let i = 0; i < 27; i++) sum[i]! += c[i]!; }
          for (let ch = 0; ch < 3; ch++) sum[9 * ch]! += ambient[ch]! / 0.28209479177387814;
          for (let i = 0; i < 27; i++) expect(sum[i]!).toBeCloseTo(s.lighting.coefficients[i]!, 9);
        } else {
          const l = s.lighting, n = Math.hypot(...l.direction);
          expect(keys).toHaveLength(1);
          for (let k = 0; k < 3; k++) expect(keys[0]!.direction[k]!).toBeCloseTo(l.direction[k]! / n, 9);
          expect(keys[0]!.rgb).toEqual(l.color ?? [1, 1, 1]);
          const a = l.ambient ?? DIRECTIONAL_AMBIENT_DEFAULT;
          expect(ambient).toEqual([a, a, a]);
        }
      });
    }
  }
});

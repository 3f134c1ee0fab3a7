import { describe, expect, it } from 'vitest';
import { blockedShading, computeAlbedo } from '../../src/core/lighting/albedo.js';
import { runBlockedShading, runFinalAlbedo, type FinalAlbedoJob } from '../../src/core/lighting/final-albedo.js';
import type { OcclusionField } from '../../src/core/lighting/visibility.js';
import { INLINE_FACE_JOBS } from '../../src/core/pipeline/face-jobs.js';
import { prepareFill, runMembrane } from '../../src/core/unwrap/fill.js';
import { createWorkerFaceJobs } from '../../src/node/face-jobs.js';

/** A 96² albedo job: a curved patch (normals tilting across x) under a side light, a mottled skin, a soft shadow on the left. */
function job(): FinalAlbedoJob {
  const W = 96, n = W * W, tex = new Float32Array(3 * n), normal = new Float32Array(3 * n), coverage = new Uint8Array(n), skin = new Float32Array(n);
  for (let y = 0; y < W; y++) for (let x = 0; x < W; x++) {
    const k = y * W + x, a = (x - 48) / 60;
    normal[3 * k] = Math.sin(a); normal[3 * k + 2] = -Math.cos(a);
    coverage[k] = (x - 48) ** 2 + (y - 48) ** 2 < 46 ** 2 ? 1 : 0;
    skin[k] = coverage[k]!;
    const f = (0.7 + 0.3 * Math.cos(a - 0.4)) * (0.6 + 0.4 / (1 + Math.exp(-(x - 30) / 6))) * (1 + 0.05 * Math.sin(x * 1.7) * Math.cos(y * 2.3));
    tex[3 * k] = 0.62 * f; tex[3 * k + 1] = 0.44 * f; tex[3 * k + 2] = 0.36 * f;
  }
  const sh = new Float64Array(27);
  for (let c = 0; c < 3; c++) { sh[9 * c] = 1.1; sh[9 * c + 2] = -0.3; sh[9 * c + 3] = 0.35; }
  return { texture: { texLinear: { width: W, height: W, channels: 3, data: tex }, geom: { coverage, normal } }, normals: normal, D: W, sh, equalize: { strength: 0.8, skin } };
}

describe('per-face jobs on a worker thread', () => {
  it('the worker\'s albedo is the inline one bit for bit, the job\'s arrays stay usable, jobs run concurrently', async () => {
    const j = job();
    const inline = runFinalAlbedo(j);
    expect(Array.from((await INLINE_FACE_JOBS.finalAlbedo(j)).linear.data)).toEqual(Array.from(inline.linear.data));
    const jobs = createWorkerFaceJobs();
    try {
      const [a, b] = await Promise.all([jobs.finalAlbedo(j), jobs.finalAlbedo({ ...j, equalize: { strength: 0 } })]);
      expect(a.linear.width).toBe(96);
      expect(Array.from(a.linear.data)).toEqual(Array.from(inline.linear.data));
      expect(Array.from(a.srgb.data)).toEqual(Array.from(inline.srgb.data));
      expect(Array.from(b.linear.data)).toEqual(Array.from(runFinalAlbedo({ ...j, equalize: { strength: 0 } }).linear.data));
      // Copied, not transferred: the pipeline still reads the texture and the normals.
      expect(j.texture.texLinear.data.length).toBe(3 * 96 * 96);
      expect(j.normals.length).toBe(3 * 96 * 96);
    } finally {
      await jobs.dispose();
    }
  });

  it('the worker\'s membrane fill is the inline one bit for bit', async () => {
    const j = job(), W = 96, n = W * W;
    const conf = new Float32Array(n);
    for (let k = 0; k < n; k++) conf[k] = j.texture.geom.coverage[k] && (k % W) > 30 && Math.abs(Math.floor(k / W) - 48) > 6 ? 1 : 0; // a hidden band and side
    const p = prepareFill({ width: W, height: W, channels: 3, data: j.texture.texLinear.data }, conf, j.texture.geom.coverage);
    const inline = runMembrane(p.membrane);
    const jobs = createWorkerFaceJobs();
    try {
      expect(Array.from(await jobs.membrane(p.membrane))).toEqual(Array.from(inline));
      expect(p.membrane.values.length).toBe(3 * n); // copied, not transferred
    } finally {
      await jobs.dispose();
    }
  });

  it('the light the proxy blocks, computed ahead (on the worker), gives the albedo of the occlusion bit for bit', async () => {
    const j = job(), W = 96, G = 8;
    // A visibility grid: more blocked light towards the left (a cast shadow's side), some cells without receivers.
    const occ: OcclusionField = { size: G, blocked: new Float32Array(9 * G * G), valid: new Uint8Array(G * G), meanVisibility: 0.8 };
    for (let c = 0; c < G * G; c++) {
      occ.valid[c] = c % 11 === 3 ? 0 : 1;
      for (let q = 0; q < 9; q++) occ.blocked[9 * c + q] = occ.valid[c] ? (0.3 * (G - (c % G))) / G * (q === 0 ? 1 : 0.2 * Math.cos(q + c)) : 0;
    }
    const { texLinear, geom } = j.texture;
    const inline = computeAlbedo(texLinear, j.normals, geom.coverage, j.sh, { chromaNormals: geom.normal, occlusion: occ });
    const blocked = blockedShading(occ, j.sh, geom.coverage, W, W);
    expect(blocked.some((v) => v !== 0)).toBe(true);
    const ahead = runFinalAlbedo({ ...j, equalize: { strength: 0, blocked } }); // no equalisation: the division alone
    expect(Array.from(ahead.linear.data)).toEqual(Array.from(inline.data));
    expect(Array.from(ahead.linear.data)).not.toEqual(Array.from(runFinalAlbedo({ ...j, equalize: { strength: 0 } }).linear.data)); // the occlusion matters here
    const bj = { occlusion: occ, sh: j.sh as Float64Array, coverage: j.texture.geom.coverage, width: W, height: W };
    expect(Array.from(await INLINE_FACE_JOBS.blockedShading(bj))).toEqual(Array.from(runBlockedShading(bj)));
    const jobs = createWorkerFaceJobs();
    try {
      expect(Array.from(await jobs.blockedShading(bj))).toEqual(Array.from(blocked));
    } finally {
      await jobs.dispose();
    }
  });

  it('a job that throws rejects with its typed error; a disposed runner starts a fresh thread on next use', async () => {
    const jobs = createWorkerFaceJobs();
    try {
      const bad = job();
      bad.equalize = { strength: 3 };
      await expect(jobs.finalAlbedo(bad)).rejects.toMatchObject({ code: 'INVALID_OPTION' });
      const ok = await jobs.finalAlbedo(job());
      expect(ok.linear.data.length).toBe(3 * 96 * 96);
    } finally {
      await jobs.dispose();
    }
    // A disposed runner starts a fresh thread when used again (a reconstructor never does: it refuses first).
    const again = await jobs.finalAlbedo(job());
    expect(again.srgb.data.length).toBe(3 * 96 * 96);
    await jobs.dispose();
  });
});

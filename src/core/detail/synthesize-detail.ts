import { FaceDetailError } from '../errors.js';
import { runDfdn, type DetailNetwork } from './dfdn.js';
import { detailNormals } from './normal-map.js';
import { DETAIL_DEFAULTS, solveDetail, type DetailInput, type DetailOptions } from './solve-detail.js';

/** Detail synthesis methods (the pipeline's `detail` option): see {@link synthesizeDetail}. */
export const DETAIL_METHODS = ['sfs', 'dfdn', 'dfdn+sfs'] as const;
export type DetailMethod = (typeof DETAIL_METHODS)[number];

/** Options of {@link synthesizeDetail}. */
export interface SynthesizeDetailOptions {
  method: DetailMethod;
  /** Multiplier on the displacement (0 = proxy only). */
  strength: number;
  /** The shape-from-shading solver's parameters (`DETAIL_DEFAULTS`). */
  sfs: Partial<DetailOptions>;
}

/** The displacement (mm, per texel), the detailed normals (3 per texel) and the method's statistics. */
export interface SynthesizedDetail {
  displacement: Float32Array;
  normals: Float32Array;
  stats: Record<string, unknown> & { method: DetailMethod };
}

/**
 * The `detail` stage: the displacement from the shading solve (`sfs`), the learned network
 * (`dfdn`), or the solve started from and regularised toward the network's (`dfdn+sfs`).
 * Asynchronous because the network is an injected, asynchronous {@link DetailNetwork}.
 *
 * @example
 * const detail = await synthesizeDetail(detailInput, { method: 'dfdn', strength: 1, sfs: {} }, network);
 */
export async function synthesizeDetail(input: DetailInput, options: SynthesizeDetailOptions, network?: DetailNetwork): Promise<SynthesizedDetail> {
  const { method, strength } = options;
  const sfsStrength = (options.sfs.strength ?? DETAIL_DEFAULTS.strength) * strength;
  if (method === 'sfs') {
    const r = solveDetail(input, { ...options.sfs, strength: sfsStrength });
    return { ...r, stats: { method, ...r.stats } };
  }
  if (!network) throw new FaceDetailError('DEPENDENCY_MISSING', `detail '${method}' needs the DFDN detail network`);
  const net = await runDfdn(input, network);
  // The model's own calibration (dfdn.json `outputScale`), then the user's strength.
  const netStrength = strength * (network.metadata.outputScale ?? 1);
  if (method === 'dfdn+sfs') {
    const r = solveDetail({ ...input, prior: net.displacement }, { ...options.sfs, strength: sfsStrength, priorStrength: netStrength });
    return { ...r, stats: { method, ...r.stats, dfdn: net.stats } };
  }
  // The network's displacement alone; normals from it (as the solver's normalMap output).
  const displacement = net.displacement;
  if (netStrength !== 1) for (let k = 0; k < displacement.length; k++) displacement[k] = displacement[k]! * netStrength;
  const stats = { method, rmsMm: netStrength * net.stats.rmsMm, maxAbsMm: netStrength * net.stats.maxAbsMm, dfdn: net.stats };
  return { displacement, normals: detailNormals(displacement, input.geom), stats };
}

/** Shared numerics: dense Cholesky and LU solves, preconditioned conjugate gradients and the multigrid V-cycle (see each module). */
export { choleskyFactor, choleskySolve } from './cholesky.js';
export { luSolve } from './lu.js';
export { pcg, createPcgWork, type PcgOperator, type PcgWork } from './pcg.js';
export { multigridVCycle, type MultigridCycle } from './multigrid.js';

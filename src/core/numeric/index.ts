/** Shared numerics: dense Cholesky and preconditioned conjugate gradients (see each module). */
export { choleskyFactor, choleskySolve, type CholeskyOptions } from './cholesky.js';
export { pcg, createPcgWork, type PcgOperator, type PcgOptions, type PcgResult, type PcgWork } from './pcg.js';

/**
 * Shared small maths: 3-vectors, row-major 3×3 matrices and rotations (all with `out`
 * arguments), and the planar convex hull. See each module for its layout.
 */
export { vec3Cross, vec3Dot, vec3Normalize } from './vec3.js';
export { mat3FromAxisAngle, mat3Multiply, mat3MulVec3, mat3TransformPoint, mat3TransposeMulVec3 } from './mat3.js';
export { convexHull } from './hull.js';

import { createRequire } from 'node:module';

/** facedetail's version, from package.json (`../../package.json` from both `src/node` and `dist/node`). */
export const VERSION: string = (createRequire(import.meta.url)('../../package.json') as { version: string }).version;

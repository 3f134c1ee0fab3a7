/**
 * Builds the web app once for all end-to-end test files (into dist-web/, with the shipped
 * detail network, or the test fixture model when the repository has none).
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { writeFixtureDfdnModel } from '../fixtures/dfdn-model.js';
import { CHROMIUM, DFDN_DIR, OUT, REAL_DFDN, ROOT } from './helpers.js';

export default function setup(): void {
  if (!existsSync(CHROMIUM)) return; // the tests skip, saying why
  mkdirSync(OUT, { recursive: true });
  if (DFDN_DIR !== REAL_DFDN) writeFixtureDfdnModel(DFDN_DIR);
  execFileSync(process.execPath, [join(ROOT, 'node_modules/vite/bin/vite.js'), 'build', '--config', 'web/vite.config.ts', '--logLevel', 'warn'], {
    cwd: ROOT, stdio: 'inherit', env: { ...process.env, FACEDETAIL_DFDN_DIR: DFDN_DIR },
  });
}

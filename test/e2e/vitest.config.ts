import { defineConfig } from 'vitest/config';

/** End-to-end tests of the web app (`npm run test:e2e`): *.e2e.ts, kept out of the default `vitest run`. */
export default defineConfig({
  test: {
    include: ['test/e2e/**/*.e2e.ts'],
    globalSetup: ['test/e2e/global-setup.ts'],
    testTimeout: 300_000,
    hookTimeout: 300_000,
    pool: 'forks',
    // Privacy: onnxruntime-node's telemetry off in every test process (see src/node/no-telemetry.ts).
    env: { ORT_DISABLE_TELEMETRY: '1' },
    fileParallelism: false,
  },
});

import { defineConfig } from 'vitest/config';

/** End-to-end tests of the web app (`npm run test:e2e`): *.e2e.ts, kept out of the default `vitest run`. */
export default defineConfig({
  test: {
    include: ['test/e2e/**/*.e2e.ts'],
    globalSetup: ['test/e2e/global-setup.ts'],
    testTimeout: 300_000,
    hookTimeout: 300_000,
    pool: 'forks',
    fileParallelism: false,
  },
});

import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 300_000,
    hookTimeout: 300_000,
    pool: 'forks',
    // Privacy: onnxruntime-node's telemetry off in every test process (see src/node/no-telemetry.ts).
    env: { ORT_DISABLE_TELEMETRY: '1' },
    poolOptions: { forks: { maxForks: 2, minForks: 1 } },
  },
});

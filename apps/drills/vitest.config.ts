import { fileURLToPath } from 'node:url';
import { redisTestConfig } from '@hitpool/testing/vitest-preset';
import { defineConfig, mergeConfig } from 'vitest/config';

// Drills measure stalls and recovery times: one file at a time, so they do not
// compete for the two cores, and long enough timeouts for Cluster start-up.
// The extra global setup prints every drill's row as one table at the end.
export default mergeConfig(
  redisTestConfig,
  defineConfig({
    test: {
      fileParallelism: false,
      testTimeout: 90_000,
      globalSetup: [fileURLToPath(new URL('./src/results-setup.ts', import.meta.url))],
    },
  }),
);

import { redisTestConfig } from '@hitpool/testing/vitest-preset';
import { defineConfig, mergeConfig } from 'vitest/config';

// Drills measure stalls and recovery times: one file at a time, so they do not
// compete for the two cores, and long enough timeouts for Cluster start-up.
export default mergeConfig(
  redisTestConfig,
  defineConfig({ test: { fileParallelism: false, testTimeout: 90_000 } }),
);

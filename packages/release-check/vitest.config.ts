import { redisTestConfig } from '@hitpool/testing/vitest-preset';
import { defineConfig, mergeConfig } from 'vitest/config';

// The rehearsal builds, publishes and installs for real: minutes, not seconds.
export default mergeConfig(
  redisTestConfig,
  defineConfig({ test: { testTimeout: 240_000, hookTimeout: 300_000 } }),
);

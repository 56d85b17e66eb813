import { redisTestConfig } from '@hitpool/testing/vitest-preset';
import { defineConfig, mergeConfig } from 'vitest/config';

// The rehearsal builds, publishes and installs for real: minutes, not seconds. Files run one
// after the other: the package checks and the rehearsal both pack and type-check, on 2 cores.
export default mergeConfig(
  redisTestConfig,
  defineConfig({ test: { testTimeout: 240_000, hookTimeout: 300_000, fileParallelism: false } }),
);

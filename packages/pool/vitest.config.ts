import { redisTestConfig } from '@hitpool/testing/vitest-preset';
import { defineConfig, mergeConfig, type ViteUserConfig } from 'vitest/config';

const config: ViteUserConfig = mergeConfig(
  redisTestConfig,
  defineConfig({ test: { fileParallelism: true, maxWorkers: 2 } }),
);

export default config;

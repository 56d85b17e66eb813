import { redisTestConfig } from '@hitpool/testing/vitest-preset';
import { defineConfig, mergeConfig, type ViteUserConfig } from 'vitest/config';

const config: ViteUserConfig = mergeConfig(redisTestConfig, defineConfig({}));

export default config;

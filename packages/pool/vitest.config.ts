import { redisTestConfig } from '@hitpool/testing/vitest-preset';
import { defineConfig, mergeConfig } from 'vitest/config';

export default mergeConfig(redisTestConfig, defineConfig({}));

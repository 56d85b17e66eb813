import { defineConfig, mergeConfig } from 'vitest/config';
import { redisTestConfig } from './src/vitest-preset.js';

export default mergeConfig(redisTestConfig, defineConfig({}));

import { redisTestConfig } from '@hitpool/testing/vitest-preset';
import { defineConfig, mergeConfig } from 'vitest/config';

// One file at a time: the experiment test measures round trips on the shared
// server, and the machine's cores are shared with the other packages' suites.
export default mergeConfig(redisTestConfig, defineConfig({ test: { fileParallelism: false } }));

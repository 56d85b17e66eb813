import { fileURLToPath } from 'node:url';
import type { ViteUserConfig } from 'vitest/config';
// Brings the ProvidedContext augmentation (typed `inject('redisUrl')`) to every package using the preset.
import type {} from './global-setup.js';

/**
 * The vitest settings every package shares: a real redis-server for the run
 * (global setup) and timeouts that fit tests which start servers.
 */
export const redisTestConfig: ViteUserConfig = {
  test: {
    globalSetup: [fileURLToPath(new URL('./global-setup.ts', import.meta.url))],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    teardownTimeout: 30_000,
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    // The JSON report feeds the one-line summary that `pnpm test` ends with (scripts/test.mjs).
    reporters: ['default', ['json', { outputFile: 'test-results/vitest.json' }]],
  },
};

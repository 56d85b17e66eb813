import { expect, it } from 'vitest';
import { benchCommand } from './environment.js';

it('records the command as the BENCH_* settings and the package script with its arguments', () => {
  const env = {
    BENCH_ROUNDS: '3',
    BENCH_JSON: '/tmp/a b.json',
    HOME: '/root',
    npm_package_name: '@hitpool/demo',
    npm_lifecycle_event: 'experiment',
  };
  expect(benchCommand(env, ['node', 'cli.ts', '--keys', 'zipf', "--url=it's"])).toBe(
    "BENCH_JSON='/tmp/a b.json' BENCH_ROUNDS=3 pnpm --filter @hitpool/demo experiment --keys zipf '--url=it'\\''s'",
  );
  expect(benchCommand({}, ['node', '/repo/bench/index.ts'])).toBe('node /repo/bench/index.ts');
  expect(benchCommand({}, ['node', 'cli.ts', '--url', 'redis://app:s3cret@db:6380/2'])).toBe(
    "node cli.ts --url 'redis://app:***@db:6380/2'",
  );
});

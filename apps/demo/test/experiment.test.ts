import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { ExperimentReport } from '@hitpool/workload';
import { Redis } from 'ioredis';
import { afterAll, expect, inject, it } from 'vitest';
import { runExperiment } from '../src/experiment/experiment.js';
import type { KeyMode } from '../src/experiment/keys.js';
import type { Scenario } from '../src/experiment/scenarios/index.js';

const repoRoot = fileURLToPath(new URL('../../..', import.meta.url));

function run(command: string, args: string[], env: NodeJS.ProcessEnv) {
  return new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve, reject) => {
    const child = spawn(command, args, { cwd: repoRoot, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => {
      stdout += chunk;
    });
    child.stderr.on('data', (chunk) => {
      stderr += chunk;
    });
    child.once('error', reject);
    child.once('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

// `pnpm` itself: the one running this suite when there is one, else the one on PATH.
function pnpm(args: string[]): [string, string[]] {
  const execPath = process.env.npm_execpath;
  if (!execPath?.includes('pnpm')) return ['pnpm', args];
  // pnpm ships as a script or as a single executable, depending on how it was installed.
  return /\.[cm]?js$/.test(execPath) ? [process.execPath, [execPath, ...args]] : [execPath, args];
}

const redis = new Redis(inject('redisUrl'));
afterAll(() => redis.quit());

it('`pnpm demo --users 50 --duration 1 --json` reports every scenario with sane numbers and cleans up', async () => {
  const [command, args] = pnpm(['--silent', 'demo', '--users', '50', '--duration', '1', '--json']);
  const { code, stdout, stderr } = await run(command, args, {
    ...process.env,
    REDIS_URL: inject('redisUrl'),
  });
  expect(code, stderr).toBe(0);
  expect(stderr).toContain('using the Redis you named: redis://127.0.0.1:');
  expect(stderr).toContain('keys: 10,000 distinct keys');
  expect(stderr).toMatch(/\[7\/7\] hits\.get, buffered, near cache: [\d,]+ calls\/s/); // plain progress lines off a TTY

  const line = stdout.split('\n').find((l) => l.startsWith('{'));
  const report = JSON.parse(line ?? 'null') as ExperimentReport;
  expect(report).toMatchObject({
    users: 50,
    durationSeconds: 1,
    keys: 'distinct',
    redis: { source: 'url' },
    environment: {
      node: process.version,
      command: 'pnpm --filter @hitpool/demo experiment --users 50 --duration 1 --json',
    },
  });
  expect(report.environment.redisVersion).toMatch(/^\d+\.\d+/);
  expect(report.scenarios.map((s) => s.id)).toEqual([
    'connection-per-call',
    'pool-two-round-trips',
    'pool-pipeline',
    'ioredis-promise-all',
    'hits-get',
    'hits-buffered',
    'hits-cached',
  ]);
  for (const s of report.scenarios) {
    expect(s.calls, s.id).toBeGreaterThan(50);
    expect(s.callsPerSecond, s.id).toBeGreaterThan(0);
    expect(s.p50Ms, s.id).toBeGreaterThan(0);
    expect(s.p99Ms, s.id).toBeGreaterThanOrEqual(s.p50Ms);
    // The harness server allows 10,000 clients: nothing fails here.
    expect(s.errors, s.id).toEqual({ total: 0, byMessage: {} });
  }
  const byId = Object.fromEntries(report.scenarios.map((s) => [s.id, s]));
  // Round trips, measured on the server with one caller at a time.
  expect(byId['pool-two-round-trips']?.roundTripsPerCall).toBe(2);
  expect(byId['pool-pipeline']?.roundTripsPerCall).toBe(1);
  expect(byId['ioredis-promise-all']?.roundTripsPerCall).toBe(1); // GET and INCR in one write
  expect(byId['hits-get']?.roundTripsPerCall).toBe(1);
  expect(byId['connection-per-call']?.roundTripsPerCall).toBeGreaterThanOrEqual(3);
  // Connections: one per user at once vs the pool's 10 vs one shared client.
  expect(byId['connection-per-call']?.peakConnections).toBeGreaterThan(10);
  expect(byId['pool-pipeline']?.peakConnections).toBeLessThanOrEqual(10);
  expect(byId['hits-get']?.peakConnections).toBeLessThanOrEqual(2);
  expect(byId['ioredis-promise-all']?.peakConnections).toBeLessThanOrEqual(2);
  expect(report.verdict).toMatch(
    /^verdict: hits\.get did [\d,]+ calls\/s in 1\.0 round trip on 1 connection, /,
  );
  // Next to what a user would write instead.
  expect(report.verdict).toMatch(
    /Next to what a user would write instead, Promise\.all\(\[get, incr\]\) on one auto-pipelined ioredis client \([\d,]+ calls\/s\), hits\.get did [\d.]+×\./,
  );

  // It removed its keys.
  const [, left] = await redis.scan('0', 'MATCH', 'hitpool-demo:*', 'COUNT', 10_000);
  expect(left).toEqual([]);
}, 90_000);

it('--keys: distinct keys in turn, Zipf(1) with item 0 the most read, or one hot key; all seeded', async () => {
  const read = async (keys: KeyMode) => {
    const seen: string[] = [];
    let missing = 0;
    const recorder: Scenario = {
      id: 'recorder',
      title: 'records the keys it reads',
      async open(url) {
        const client = new Redis(url);
        return {
          async call(key) {
            seen.push(key);
            if ((await client.get(key)) === null) missing++;
          },
          close: async () => void (await client.quit()),
        };
      },
    };
    const [result] = await runExperiment({
      url: inject('redisUrl'),
      users: 4,
      durationMs: 200,
      keys,
      scenarios: [recorder],
    });
    expect(result?.errors.total, keys).toBe(0);
    expect(missing, keys).toBe(0); // every key read had a value
    return seen.slice(0, result?.calls); // the load, without the round-trip calibration after it
  };

  const distinct = await read('distinct');
  expect(distinct.length).toBeGreaterThan(10);
  expect(distinct.slice(0, 3).map((key) => key.split(':').pop())).toEqual(['0', '1', '2']);
  expect(new Set(distinct).size).toBe(Math.min(distinct.length, 10_000));

  const zipf = await read('zipf');
  const counts = new Map<string, number>();
  for (const key of zipf) counts.set(key, (counts.get(key) ?? 0) + 1);
  const [top] = [...counts.entries()].sort((a, b) => b[1] - a[1]);
  expect(top?.[0]).toMatch(/:item:0$/);
  expect(counts.size).toBeGreaterThan(1);

  const hot = await read('hot');
  expect(new Set(hot).size).toBe(1);

  // Each run removed its keys.
  const [, left] = await redis.scan('0', 'MATCH', 'hitpool-demo:*', 'COUNT', 10_000);
  expect(left).toEqual([]);
}, 60_000);

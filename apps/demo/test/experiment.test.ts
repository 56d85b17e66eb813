import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import { afterAll, expect, inject, it } from 'vitest';
import type { ExperimentReport } from '../src/experiment/report.js';

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
  expect(stderr).toMatch(/\[5\/5\] hits\.get, buffered: [\d,]+ calls\/s/); // plain progress lines off a TTY

  const line = stdout.split('\n').find((l) => l.startsWith('{'));
  const report = JSON.parse(line ?? 'null') as ExperimentReport;
  expect(report).toMatchObject({ users: 50, durationSeconds: 1, redis: { source: 'url' } });
  expect(report.scenarios.map((s) => s.id)).toEqual([
    'connection-per-call',
    'pool-two-round-trips',
    'pool-pipeline',
    'hits-get',
    'hits-buffered',
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
  expect(byId['hits-get']?.roundTripsPerCall).toBe(1);
  expect(byId['connection-per-call']?.roundTripsPerCall).toBeGreaterThanOrEqual(3);
  // Connections: one per user at once vs the pool's 10 vs one shared client.
  expect(byId['connection-per-call']?.peakConnections).toBeGreaterThan(10);
  expect(byId['pool-pipeline']?.peakConnections).toBeLessThanOrEqual(10);
  expect(byId['hits-get']?.peakConnections).toBeLessThanOrEqual(2);
  expect(report.verdict).toMatch(
    /^verdict: hits\.get did [\d,]+ calls\/s in 1\.0 round trip on 1 connection, /,
  );

  // It removed its keys.
  const [, left] = await redis.scan('0', 'MATCH', 'hitpool-demo:*', 'COUNT', 10_000);
  expect(left).toEqual([]);
}, 90_000);

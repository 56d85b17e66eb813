import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { createHitTracker } from '@hitpool/hits';
import { freePort, randomPrefix, waitFor } from '@hitpool/testing';
import { Redis } from 'ioredis';
import { afterAll, expect, inject, it } from 'vitest';
import { removeKeysContaining } from '../src/experiment/keys.js';

const appDir = fileURLToPath(new URL('..', import.meta.url));
const prefix = randomPrefix('demo-shutdown');
const KEYS = ['a', 'b', 'c', 'd'];
let child: ChildProcess | undefined;
let redis: Redis | undefined;

afterAll(async () => {
  if (child && child.exitCode === null) child.kill('SIGKILL');
  if (redis) {
    await removeKeysContaining(redis, prefix);
    await redis.quit();
  }
});

it('on SIGTERM finishes in-flight requests, flushes buffered hits and exits 0: Redis counts every reported hit', async () => {
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  // A flush interval far longer than the test: every hit is still buffered at SIGTERM,
  // so only the shutdown flush can write it.
  child = spawn(process.execPath, ['--import', 'tsx', 'src/server/main.ts'], {
    cwd: appDir,
    env: {
      ...process.env,
      HOST: '127.0.0.1',
      PORT: String(port),
      REDIS_URL: inject('redisUrl'),
      KEY_PREFIX: prefix,
      FLUSH_INTERVAL_MS: '600000',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (chunk) => {
    output += chunk;
  });
  child.stderr?.on('data', (chunk) => {
    output += chunk;
  });
  const exited = new Promise<number | null>((resolve) =>
    child?.once('exit', (code) => resolve(code)),
  );
  await waitFor('the server to listen', () => output.includes('listening on'), 20_000);

  const ok = new Map<string, number>();
  const maxReported = new Map<string, number>();
  let refused = 0;
  const user = async (id: number) => {
    for (let i = 0; ; i++) {
      const key = KEYS[(id + i) % KEYS.length] ?? 'a';
      let response: Response;
      try {
        response = await fetch(`${base}/api/items/${key}`);
      } catch {
        refused++;
        return; // the server stopped listening
      }
      if (response.status !== 200) {
        // Arrived while closing: refused, so not counted.
        expect(response.status).toBe(503);
        expect(await response.json()).toMatchObject({ error: { code: 'SHUTTING_DOWN' } });
        continue;
      }
      const body = (await response.json()) as { hits: number };
      ok.set(key, (ok.get(key) ?? 0) + 1);
      maxReported.set(key, Math.max(maxReported.get(key) ?? 0, body.hits));
    }
  };
  const users = Array.from({ length: 16 }, (_, id) => user(id));
  const total = () => [...ok.values()].reduce((a, b) => a + b, 0);
  await waitFor('some load', () => total() >= 300, 20_000);
  child.kill('SIGTERM');
  expect(await exited).toBe(0);
  await Promise.all(users);
  expect(output).toContain('SIGTERM: finishing in-flight requests');
  expect(output).toContain('stopped');
  expect(refused).toBe(16);

  redis = new Redis(inject('redisUrl'));
  const tracker = createHitTracker({ redis });
  for (const key of KEYS) {
    const counted = (await tracker.peek(`${prefix}item:${key}`)).hits;
    expect({ key, counted }).toEqual({ key, counted: ok.get(key) ?? 0 });
    expect(maxReported.get(key) ?? 0).toBeLessThanOrEqual(counted);
  }
  expect(total()).toBeGreaterThanOrEqual(300);
  await tracker.close();
});

import { randomPrefix, startTcpProxy, type TcpProxy } from '@hitpool/testing';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createHitTracker, type HitTrackerOptions } from '../src/index.js';

let proxy: TcpProxy;
let redis: Redis;
let plain: Redis;
beforeAll(async () => {
  proxy = await startTcpProxy(inject('redisPort'));
  // No auto-pipelining on purpose: the tracker batches by itself.
  redis = new Redis({ host: '127.0.0.1', port: proxy.port });
  plain = new Redis(inject('redisUrl'));
  await redis.ping();
});
afterAll(async () => {
  await redis.quit();
  await plain.quit();
  await proxy.close();
});

/** Round trips the proxy saw while `run` ran. */
async function roundTrips(run: () => Promise<unknown>): Promise<number> {
  proxy.resetStats();
  await run();
  return proxy.stats.roundTrips;
}

const everything = (p: string): Omit<HitTrackerOptions, 'redis'> => ({
  windows: ['minute', 'hour', 'day'],
  leaderboard: { key: `${p}board` },
  uniques: true,
});

describe('one round trip per call on a standalone server', () => {
  for (const mode of ['pipeline', 'atomic'] as const) {
    it(`get costs exactly one round trip (${mode}) with every feature on`, async () => {
      const p = randomPrefix(`rt-${mode}`);
      await plain.set(`${p}k`, 'v');
      for (const features of [{}, everything(p)]) {
        const hits = createHitTracker({ redis, mode, ...features });
        for (let i = 1; i <= 3; i++) {
          let result: unknown;
          expect(
            await roundTrips(async () => {
              result = await hits.get(`${p}k`, { visitor: `v${i}` });
            }),
          ).toBe(1);
          expect(result).toMatchObject({ value: 'v' });
        }
        expect(await roundTrips(() => hits.hit(`${p}k`))).toBe(1);
        expect(await roundTrips(() => hits.peek(`${p}k`))).toBe(1);
        await hits.reset(`${p}k`);
        await hits.close();
      }
      await plain.del(`${p}k`, `${p}board`);
    });
  }

  it('getMany of 50 keys and 200 concurrent gets each cost one round trip', async () => {
    const p = randomPrefix('rt-many');
    const hits = createHitTracker({ redis, ...everything(p) });
    const keys = Array.from({ length: 50 }, (_, i) => `${p}${i}`);
    let results: Array<{ hits: number }> = [];
    expect(
      await roundTrips(async () => {
        results = await hits.getMany(keys, { visitor: 'me' });
      }),
    ).toBe(1);
    expect(results.map((r) => r.hits)).toEqual(keys.map(() => 1));
    expect(
      await roundTrips(() =>
        Promise.all(Array.from({ length: 200 }, (_, i) => hits.get(keys[i % 50] as string))),
      ),
    ).toBe(1);
    for (const key of keys) await hits.reset(key);
    await plain.del(`${p}board`);
    await hits.close();
  });

  it('a buffered get costs one round trip and a flush one more', async () => {
    const p = randomPrefix('rt-buffer');
    const hits = createHitTracker({ redis, ...everything(p), buffer: { flushIntervalMs: 60_000 } });
    expect(await roundTrips(() => hits.get(`${p}k`, { visitor: 'a' }))).toBe(1);
    expect(await roundTrips(() => hits.flush())).toBe(1);
    expect(await roundTrips(() => hits.flush())).toBe(0);
    await hits.reset(`${p}k`);
    await plain.del(`${p}board`);
    await hits.close();
  });
});

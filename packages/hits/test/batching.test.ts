import { type RedisServer, randomPrefix, startRedisServer } from '@hitpool/testing';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHitTracker, defaultHitKey, type HitTrackerOptions } from '../src/index.js';
import { awayFromWindowEdge } from './clock.js';

// A server of this file's own: INFO commandstats must see only this file's commands.
let server: RedisServer;
let admin: Redis;
let client: Redis;
beforeAll(async () => {
  server = await startRedisServer();
  admin = server.connect();
  client = server.connect();
  await client.ping();
});
afterAll(async () => {
  await client.quit();
  await admin.quit();
  await server.close();
});

const MODES: Record<string, Omit<HitTrackerOptions, 'redis'>> = {
  plain: {},
  windows: { windows: ['minute', 'hour', 'day'] },
  uniques: { uniques: true },
  leaderboard: { leaderboard: { key: 'batching:board' } },
  'windows, uniques and leaderboard': {
    windows: ['minute', 'hour', 'day'],
    uniques: true,
    leaderboard: { key: 'batching:full-board' },
  },
  atomic: { mode: 'atomic', windows: ['minute'], uniques: true },
  buffered: { buffer: { flushIntervalMs: 60_000 } },
};

/** Calls per command name since the last RESETSTAT (commands scripts ran included). */
async function commandStats(): Promise<Map<string, number>> {
  const info = await admin.info('commandstats');
  const stats = new Map<string, number>();
  for (const match of info.matchAll(/^cmdstat_([^:]+):calls=(\d+)/gm))
    stats.set(match[1] as string, Number(match[2]));
  return stats;
}

describe('one turn of calls is a handful of script calls', () => {
  for (const [mode, options] of Object.entries(MODES)) {
    it(`${mode}: a turn of 1,200 distinct keys sends at most ⌈1200 / 500⌉ = 3 commands`, async () => {
      await awayFromWindowEdge();
      const p = randomPrefix(`turn-${mode}`);
      const keys = Array.from({ length: 1_200 }, (_, i) => `${p}${i}`);
      const hits = createHitTracker({ redis: client, ...options });
      // The first call loads the scripts (EVAL); the measured turn then runs on EVALSHA.
      await hits.get(`${p}warm`, { visitor: 'w' });
      await admin.config('RESETSTAT');
      const results = await Promise.all(keys.map((key) => hits.get(key, { visitor: 'v' })));
      const stats = await commandStats();
      expect(results.every((result, i) => result.key === keys[i] && result.hits === 1)).toBe(true);
      const scripts = (stats.get('evalsha') ?? 0) + (stats.get('eval') ?? 0);
      expect(scripts).toBeGreaterThanOrEqual(1);
      expect(scripts).toBeLessThanOrEqual(3);
      if (mode === 'plain') {
        // Nothing else went to the server: what the scripts ran is all there is.
        expect(Object.fromEntries(stats)).toEqual({
          evalsha: scripts,
          get: 1_200,
          incrby: 1_200,
          'config|resetstat': 1,
        });
      }
      await hits.close();
    });
  }
});

describe('one bad key does not spoil a batch', () => {
  for (const [mode, options] of Object.entries(MODES)) {
    it(`${mode}: a key of the wrong type in the middle of a batch fails only its own callers`, async () => {
      await awayFromWindowEdge();
      const p = randomPrefix(`bad-${mode}`);
      const keys = Array.from({ length: 9 }, (_, i) => `${p}${i}`);
      const bad = keys[4] as string;
      for (const key of keys) await admin.set(key, `value of ${key}`);
      await admin.del(bad);
      await admin.hset(bad, 'field', 'x');
      const hits = createHitTracker({ redis: client, ...options });
      const settled = await Promise.allSettled(
        keys.flatMap((key) => [hits.get(key, { visitor: 'a' }), hits.get(key, { visitor: 'b' })]),
      );
      settled.forEach((outcome, i) => {
        const key = keys[Math.floor(i / 2)] as string;
        if (key === bad) {
          expect(outcome.status).toBe('rejected');
          expect(String((outcome as PromiseRejectedResult).reason)).toMatch(/WRONGTYPE/);
        } else {
          expect(outcome).toEqual({
            status: 'fulfilled',
            value: expect.objectContaining({ key, value: `value of ${key}`, hits: (i % 2) + 1 }),
          });
        }
      });
      await hits.flush();
      // The failed key did not count, in any mode (its value is read before its first write).
      expect(await admin.exists(defaultHitKey(bad))).toBe(0);
      expect(await admin.get(defaultHitKey(keys[0] as string))).toBe('2');
      expect(hits.stats().dropped).toBe(0);
      await hits.close();
    });
  }

  it('a counter that is not an integer fails only its key, the others count', async () => {
    const p = randomPrefix('bad-counter');
    const keys = [`${p}a`, `${p}b`, `${p}c`];
    await admin.set(defaultHitKey(`${p}b`), 'not a number');
    for (const options of [MODES.plain, MODES.windows, MODES.atomic]) {
      const hits = createHitTracker({ redis: client, ...options });
      const settled = await Promise.allSettled(keys.map((key) => hits.get(key)));
      expect(settled.map((outcome) => outcome.status)).toEqual([
        'fulfilled',
        'rejected',
        'fulfilled',
      ]);
      expect(String((settled[1] as PromiseRejectedResult).reason)).toMatch(/integer/);
      expect(await admin.get(defaultHitKey(`${p}b`))).toBe('not a number');
      await hits.close();
    }
    expect(await admin.get(defaultHitKey(`${p}a`))).toBe('3');
  });
});

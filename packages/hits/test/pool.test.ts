import { createPool } from '@hitpool/pool';
import { randomPrefix, startTcpProxy } from '@hitpool/testing';
import { describe, expect, inject, it } from 'vitest';
import { createHitTracker, defaultHitKey } from '../src/index.js';
import { awayFromWindowEdge } from './clock.js';

describe('with a RedisPool', () => {
  it("uses the pool's shared client, one round trip per get, and never closes the pool", async () => {
    await awayFromWindowEdge();
    const proxy = await startTcpProxy(inject('redisPort'));
    const pool = createPool({ url: `redis://127.0.0.1:${proxy.port}` });
    const p = randomPrefix('pool');
    await pool.client.set(`${p}k`, 'v');
    {
      await using hits = createHitTracker({ redis: pool, windows: ['hour'], uniques: true });
      expect(await hits.get(`${p}k`, { visitor: 'a' })).toMatchObject({ value: 'v', hits: 1 });
      proxy.resetStats();
      expect(await hits.get(`${p}k`, { visitor: 'b' })).toMatchObject({
        hits: 2,
        windows: { hour: 2 },
        uniques: 2,
      });
      expect(proxy.stats.roundTrips).toBe(1);
      await hits.reset(`${p}k`);
    }
    // The tracker was disposed; the pool and its client still work.
    expect(pool.stats().closed).toBe(false);
    expect(await pool.client.get(`${p}k`)).toBe('v');
    expect(await pool.client.get(defaultHitKey(`${p}k`))).toBeNull();
    await pool.client.del(`${p}k`);
    await pool.close();
    await proxy.close();
  });
});

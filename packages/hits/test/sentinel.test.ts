import { type RedisSentinelGroup, startRedisSentinel, waitFor } from '@hitpool/testing';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHitTracker } from '../src/index.js';
import { awayFromWindowEdge } from './clock.js';

let group: RedisSentinelGroup;
let redis: Redis;
beforeAll(async () => {
  group = await startRedisSentinel();
  redis = group.connect();
  redis.on('error', () => undefined);
});
afterAll(async () => {
  redis?.disconnect();
  await group?.close();
});

describe('behind Sentinel', () => {
  it('keeps counting across a failover; atomic mode reloads its script on the new master', async () => {
    await awayFromWindowEdge(20_000);
    const hits = createHitTracker({ redis, mode: 'atomic', windows: ['hour'] });
    await redis.set('page', 'v');
    for (let i = 1; i <= 3; i++) expect(await hits.get('page')).toMatchObject({ hits: i });
    await redis.wait(1, 2000);
    const previous = await group.currentMaster();
    const next = await group.failover();
    expect(next).not.toBe(previous);
    // The new master got the counters by replication but not the script cache (NOSCRIPT → EVAL).
    await waitFor(
      'the client to follow the new master',
      async () => {
        try {
          return (await hits.get('page')).hits >= 4;
        } catch {
          return false;
        }
      },
      15_000,
      100,
    );
    const after = await hits.get('page');
    expect(after.value).toBe('v');
    expect(after.hits).toBeGreaterThanOrEqual(5);
    expect(after.windows?.hour).toBe(after.hits);
    await hits.reset('page');
    await hits.close();
  });

  it('a failover empties the near cache; it then reads from and is kept correct by the new master', async () => {
    // A client of this test's own, made after the previous failover: it starts on the master.
    const client = group.connect();
    client.on('error', () => undefined);
    const hits = createHitTracker({ redis: client, cache: {} });
    await client.set('cached', 'v1');
    await waitFor('the near cache to connect', () => hits.stats().cache?.connected === true);
    expect((await hits.get('cached')).value).toBe('v1');
    expect((await hits.get('cached')).value).toBe('v1');
    expect(hits.stats().cache).toMatchObject({ size: 1, hits: 1, resets: 0 });
    await client.wait(1, 2000);
    await group.failover();
    await waitFor('the cache to be emptied', () => (hits.stats().cache?.resets ?? 0) >= 1, 15_000);
    await waitFor(
      'the client to follow the new master',
      async () => {
        try {
          await client.set('cached', 'v2');
          return true;
        } catch {
          return false;
        }
      },
      15_000,
      100,
    );
    await waitFor(
      'the near cache to connect again',
      () => hits.stats().cache?.connected === true,
      15_000,
    );
    expect((await hits.get('cached')).value).toBe('v2');
    expect((await hits.get('cached')).value).toBe('v2');
    const invalidations = hits.stats().cache?.invalidations ?? 0;
    await client.set('cached', 'v3');
    await waitFor(
      'the invalidation',
      () => (hits.stats().cache?.invalidations ?? 0) > invalidations,
    );
    expect((await hits.get('cached')).value).toBe('v3');
    await hits.close();
    client.disconnect();
  });
});

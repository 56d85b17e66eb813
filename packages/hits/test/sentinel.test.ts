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
});

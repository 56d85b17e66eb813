import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { delay, randomPrefix, waitFor } from '@hitpool/testing';
import type { Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';
import { type PoolEventMap, PoolLeaseReclaimedError } from '../src/index.js';
import { trackedPools } from './pools.js';

const pool = trackedPools();

describe('leakReclaimMs', () => {
  it('a borrower that never releases cannot starve the pool: its connection is taken back', async () => {
    const p = pool({ max: 1, leakReclaimMs: 300 });
    const reclaims: PoolEventMap['reclaim'][] = [];
    const onChannel: PoolEventMap['reclaim'][] = [];
    const destroyed: string[] = [];
    p.on('reclaim', (event) => reclaims.push(event));
    p.on('destroy', (event) => destroyed.push(event.reason));
    const listener = (message: unknown) => onChannel.push(message as PoolEventMap['reclaim']);
    subscribe('hitpool:pool:reclaim', listener);
    try {
      const leaked = await (async function acquireAndForget() {
        return p.acquire();
      })();
      const start = performance.now();
      const next = await p.acquire({ timeoutMs: 5_000 });
      const waited = performance.now() - start;
      expect(await next.redis.ping()).toBe('PONG');
      expect(waited).toBeGreaterThanOrEqual(290);
      // Loose upper bound: timers fire late on a loaded machine; without reclaim it never comes.
      expect(waited).toBeLessThan(3_000);
      expect(reclaims).toHaveLength(1);
      expect(reclaims[0]).toMatchObject({ pool: p.name, connectionId: 1 });
      expect(reclaims[0]?.heldMs).toBeGreaterThanOrEqual(295);
      expect(reclaims[0]?.stack).toContain('acquireAndForget');
      expect(reclaims[0]?.stack).toContain('reclaim.test.ts');
      expect(onChannel).toEqual(reclaims);
      expect(destroyed).toEqual(['reclaimed']);
      expect(p.stats()).toMatchObject({ reclaimed: 1, borrowed: 1, size: 1, created: 2 });
      next.release();
      // The leaked lease is dead: release() changes nothing.
      const { released } = p.stats();
      leaked.release();
      await leaked.destroy();
      expect(p.stats()).toMatchObject({ released, reclaimed: 1, idle: 1, destroyed: 1 });
    } finally {
      unsubscribe('hitpool:pool:reclaim', listener);
    }
  });

  it("the reclaimed borrower's next command rejects with PoolLeaseReclaimedError", async () => {
    const p = pool({ max: 1, leakReclaimMs: 200 });
    const key = `${randomPrefix('reclaim')}k`;
    let kept: Redis | undefined;
    const outcome = p.use(async (redis) => {
      kept = redis as Redis;
      await delay(500);
      return redis.set(key, 'late');
    });
    await expect(outcome).rejects.toBeInstanceOf(PoolLeaseReclaimedError);
    await expect(outcome).rejects.toMatchObject({
      code: 'POOL_LEASE_RECLAIMED',
      name: 'PoolLeaseReclaimedError',
      leakReclaimMs: 200,
      message: expect.stringMatching(/longer than leakReclaimMs \(200 ms\).*Release every lease/),
    });
    // Every later command on it too, pipelines included; nothing was written.
    await expect(kept?.get(key)).rejects.toMatchObject({ code: 'POOL_LEASE_RECLAIMED' });
    const replies = await kept?.pipeline().get(key).exec();
    expect(replies?.[0]?.[0]).toMatchObject({ code: 'POOL_LEASE_RECLAIMED' });
    expect(await p.client.get(key)).toBeNull();
    // use() released the lease after the callback threw: a no-op, counted once.
    expect(p.stats()).toMatchObject({ reclaimed: 1, acquired: 1, released: 1, borrowed: 0 });

    const lease = await p.acquire();
    await delay(400);
    await expect(lease.redis.ping()).rejects.toMatchObject({ code: 'POOL_LEASE_RECLAIMED' });
    lease.release();
    expect(p.stats()).toMatchObject({ reclaimed: 2, acquired: 2, released: 2, borrowed: 0 });
  });

  it('does not reclaim a lease parked in BLPOP … 0; once it returns, the clock starts again', async () => {
    const p = pool({ max: 1, leakReclaimMs: 200 });
    const list = `${randomPrefix('reclaim')}list`;
    const lease = await p.acquire();
    const redis = lease.redis as Redis;
    const popped = redis.blpop(list, 0);
    await delay(700);
    expect(p.stats()).toMatchObject({ reclaimed: 0, borrowed: 1 });
    await p.client.rpush(list, 'job');
    expect(await popped).toEqual([list, 'job']);
    // Just returned: a fresh leakReclaimMs from now, so the consumer can go on.
    expect(await redis.ping()).toBe('PONG');
    expect(p.stats().reclaimed).toBe(0);
    // A lease that walks away after its BLPOP is reclaimed like any other.
    await waitFor('the lease to be reclaimed', () => p.stats().reclaimed === 1, 3_000, 10);
    await expect(redis.ping()).rejects.toMatchObject({ code: 'POOL_LEASE_RECLAIMED' });
    lease.release();
    expect(await p.use((r) => r.ping())).toBe('PONG');
  });

  it('reclaims a lease stuck in a blocking command with a timeout longer than leakReclaimMs', async () => {
    const p = pool({ max: 1, leakReclaimMs: 200 });
    const lease = await p.acquire();
    const popped = (lease.redis as Redis).blpop(randomPrefix('reclaim'), 30);
    await expect(popped).rejects.toThrow();
    expect(p.stats().reclaimed).toBe(1);
    lease.release();
  });
});

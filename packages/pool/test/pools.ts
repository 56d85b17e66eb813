import type { RedisSentinelGroup } from '@hitpool/testing';
import { afterEach, inject } from 'vitest';
import { createPool, type PoolOptions, type RedisPool } from '../src/index.js';

/**
 * Pools against the run's shared redis-server, each closed after the test that made it. Call
 * once at the top of a test file; use the returned function instead of `createPool`.
 */
export function trackedPools(): (options?: PoolOptions) => RedisPool {
  const pools: RedisPool[] = [];
  afterEach(async () => {
    await Promise.all(pools.splice(0).map((p) => p.close({ timeoutMs: 100 })));
  });
  return (options = {}) => {
    const created = createPool({ url: inject('redisUrl'), ...options });
    pools.push(created);
    return created;
  };
}

/**
 * A pool that finds the master of `group` through its sentinels, as an application would. The
 * `slice()` is for the types: ioredis's `sentinels` option wants a mutable array.
 */
export function sentinelPool(group: RedisSentinelGroup, options: PoolOptions = {}): RedisPool {
  return createPool({
    redis: { sentinels: group.sentinelAddresses.slice(), name: group.masterName },
    ...options,
  });
}

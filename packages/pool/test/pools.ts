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

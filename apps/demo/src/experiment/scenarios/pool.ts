import { createPool, type RedisPool } from '@hitpool/pool';
import { hitKey, type Scenario } from './types.js';

/** Most connections a scenario's pool leases at once (the pool's default). */
export const POOL_MAX = 10;

/** A pool for one scenario; connection failures surface as failed calls, so the event is muted. */
export function openPool(url: string): RedisPool {
  return createPool({ url, max: POOL_MAX }).on('error', () => undefined);
}

/** 2: a shared pool, each call leases a connection and sends GET, then INCR. */
export const poolTwoRoundTrips: Scenario = {
  id: 'pool-two-round-trips',
  title: 'pool, GET then INCR',
  async open(url) {
    const pool = openPool(url);
    return {
      call: (key) =>
        pool.use(async (redis) => {
          const value = await redis.get(key);
          await redis.incr(hitKey(key));
          return value;
        }),
      close: () => pool.close(),
    };
  },
};

/** 3: a shared pool, each call leases a connection and sends GET + INCR in one pipeline. */
export const poolPipeline: Scenario = {
  id: 'pool-pipeline',
  title: 'pool, pipeline GET + INCR',
  async open(url) {
    const pool = openPool(url);
    return {
      call: (key) => pool.use((redis) => redis.pipeline().get(key).incr(hitKey(key)).exec()),
      close: () => pool.close(),
    };
  },
};

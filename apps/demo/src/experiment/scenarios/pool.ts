import { createPool, type RedisConnection, type RedisPool } from '@hitpool/pool';
import { hitKey, type Scenario, type ScenarioSession } from './types.js';

/** Most connections a scenario's pool leases at once (the pool's default). */
export const POOL_MAX = 10;

/** A pool for one scenario; connection failures surface as failed calls, so the event is muted. */
export function openPool(url: string): RedisPool {
  return createPool({ url, max: POOL_MAX }).on('error', () => undefined);
}

/** A scenario on one pool of its own, opened per run; `session` makes the calls from it. */
export function poolScenario(
  id: string,
  title: string,
  session: (pool: RedisPool) => ScenarioSession,
): Scenario {
  return { id, title, open: async (url) => session(openPool(url)) };
}

/** A scenario whose calls each lease a connection from the pool. */
function leasingScenario(
  id: string,
  title: string,
  call: (redis: RedisConnection, key: string) => Promise<unknown>,
): Scenario {
  return poolScenario(id, title, (pool) => ({
    call: (key) => pool.use((redis) => call(redis, key)),
    close: () => pool.close(),
  }));
}

/** 2: a shared pool, each call leases a connection and sends GET, then INCR. */
export const poolTwoRoundTrips: Scenario = leasingScenario(
  'pool-two-round-trips',
  'pool, GET then INCR',
  async (redis, key) => {
    const value = await redis.get(key);
    await redis.incr(hitKey(key));
    return value;
  },
);

/** 3: a shared pool, each call leases a connection and sends GET + INCR in one pipeline. */
export const poolPipeline: Scenario = leasingScenario(
  'pool-pipeline',
  'pool, pipeline GET + INCR',
  (redis, key) => redis.pipeline().get(key).incr(hitKey(key)).exec(),
);

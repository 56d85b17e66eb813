import { createHitTracker, type HitTracker, type HitTrackerOptions } from '@hitpool/hits';
import type { RedisPool } from '@hitpool/pool';
import { poolScenario } from './pool.js';
import type { Scenario, ScenarioSession } from './types.js';

function trackerSession(pool: RedisPool, tracker: HitTracker): ScenarioSession {
  return {
    call: (key) => tracker.get(key),
    async close() {
      await tracker.close();
      await pool.close();
    },
  };
}

function hitsScenario(
  id: string,
  title: string,
  options: Omit<HitTrackerOptions, 'redis'>,
): Scenario {
  return poolScenario(id, title, (pool) =>
    trackerSession(pool, createHitTracker({ redis: pool, ...options })),
  );
}

/** 5: `@hitpool/hits` `get` with its defaults: value and count in one round trip on the pool's shared client. */
export const hitsGet: Scenario = hitsScenario('hits-get', 'hits.get', {});

/** 6: `@hitpool/hits` buffered: hits summed in memory and written once per interval. */
export const hitsBuffered: Scenario = hitsScenario('hits-buffered', 'hits.get, buffered', {
  buffer: {},
});

/**
 * 7: `@hitpool/hits` buffered with a near cache: a value read once is served from memory until
 * Redis reports it changed, and counting stays in memory until the next flush.
 */
export const hitsCached: Scenario = hitsScenario('hits-cached', 'hits.get, buffered, near cache', {
  buffer: {},
  cache: {},
});

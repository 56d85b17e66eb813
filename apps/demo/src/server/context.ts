import type { HitTracker } from '@hitpool/hits';
import type { RedisPool } from '@hitpool/pool';
import type { AppMetrics } from './metrics.js';

/** What route modules share: the process's pool, its tracker, and the key naming. */
export interface AppContext {
  readonly pool: RedisPool;
  readonly tracker: HitTracker;
  readonly metrics: AppMetrics;
  /** Redis key of an item. */
  itemKey(key: string): string;
  /** The item key of a Redis key, or undefined when it is not one of ours. */
  keyOfItem(redisKey: string): string | undefined;
}

/** Key naming under `prefix`: items live at `<prefix>item:<key>`. */
export function itemKeys(prefix: string): Pick<AppContext, 'itemKey' | 'keyOfItem'> {
  const itemPrefix = `${prefix}item:`;
  return {
    itemKey: (key) => itemPrefix + key,
    keyOfItem: (redisKey) =>
      redisKey.startsWith(itemPrefix) ? redisKey.slice(itemPrefix.length) : undefined,
  };
}

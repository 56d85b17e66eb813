import { Redis } from 'ioredis';
import { hitKey, type Scenario } from './types.js';

/**
 * 4: the best a user writes by hand: one plain ioredis client for the process with
 * `enableAutoPipelining`, each call sending `GET` and `INCR` together with `Promise.all`;
 * the commands of all callers in one event-loop turn travel in one write.
 */
export const ioredisPromiseAll: Scenario = {
  id: 'ioredis-promise-all',
  title: 'ioredis Promise.all([get, incr])',
  async open(url) {
    // Connection failures surface as failed calls, so the event is muted.
    const redis = new Redis(url, { enableAutoPipelining: true });
    redis.on('error', () => undefined);
    return {
      call: (key) => Promise.all([redis.get(key), redis.incr(hitKey(key))]),
      async close() {
        await redis.quit().catch(() => redis.disconnect());
      },
    };
  },
};

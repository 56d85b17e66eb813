import type { Redis } from 'ioredis';

/** Delete every key containing `prefix` (the app's items, counters and leaderboard). */
export async function removeKeysWith(redis: Redis, prefix: string): Promise<void> {
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `*${prefix}*`, 'COUNT', 1000);
    cursor = next;
    if (keys.length > 0) await redis.unlink(...keys);
  } while (cursor !== '0');
}

import { randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';

/** Keys of one experiment run: all of them, and every key derived from them, contain `prefix`. */
export interface RunKeys {
  readonly prefix: string;
  readonly keys: readonly string[];
}

/** A fresh prefix (`hitpool-demo:<random>:`) and `count` item keys under it. */
export function makeRunKeys(count: number): RunKeys {
  const prefix = `hitpool-demo:${randomBytes(5).toString('hex')}:`;
  return { prefix, keys: Array.from({ length: count }, (_, i) => `${prefix}item:${i}`) };
}

/** Give every item a small value, in one round trip. */
export async function seedKeys(redis: Redis, run: RunKeys): Promise<void> {
  const pipeline = redis.pipeline();
  for (const [i, key] of run.keys.entries()) pipeline.set(key, `value ${i}`);
  await pipeline.exec();
}

/**
 * Delete every key containing `prefix` (SCAN + UNLINK), never anything else:
 * the items, their `_hit` counters and whatever @hitpool/hits derived from them
 * (its companion keys keep the original key inside). Returns how many were removed.
 */
export async function removeKeysContaining(redis: Redis, prefix: string): Promise<number> {
  let removed = 0;
  let cursor = '0';
  do {
    const [next, found] = await redis.scan(cursor, 'MATCH', `*${prefix}*`, 'COUNT', 1000);
    cursor = next;
    if (found.length > 0) removed += await redis.unlink(...found);
  } while (cursor !== '0');
  return removed;
}

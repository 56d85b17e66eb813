import { randomBytes } from 'node:crypto';
import { distinctKeys, hotKey, type KeySource, zipfKeys } from '@hitpool/workload';
import type { Redis } from 'ioredis';

/** Which keys the simulated users read (`--keys`). */
export type KeyMode = 'distinct' | 'zipf' | 'hot';

/** Every `--keys` value, the default first. */
export const KEY_MODES: readonly KeyMode[] = ['distinct', 'zipf', 'hot'];

/** Keys of the `distinct` and `zipf` modes. */
export const KEY_COUNT = 10_000;

/** A fresh prefix, `hitpool-demo:<random>:`: every key of one run, and every key derived from one, contains it. */
export function makeRunPrefix(): string {
  return `hitpool-demo:${randomBytes(5).toString('hex')}:`;
}

/**
 * The keys of one scenario under `prefix`: `distinct` hands out 10,000 keys in turn (consecutive
 * calls on different keys), `zipf` draws from a Zipf(1) law over the same 10,000 keys (a few hot
 * ones, a long tail; seeded, so every scenario gets the same sequence), `hot` is one key.
 */
export function keySource(mode: KeyMode, prefix: string): KeySource {
  const items = `${prefix}item:`;
  if (mode === 'zipf') return zipfKeys(KEY_COUNT, 1, items, 1);
  if (mode === 'hot') return hotKey(`${items}hot`);
  return distinctKeys(KEY_COUNT, items);
}

/** Give every key a small value, in one round trip. */
export async function seedKeys(redis: Redis, keys: readonly string[]): Promise<void> {
  const pipeline = redis.pipeline();
  for (const [i, key] of keys.entries()) pipeline.set(key, `value ${i}`);
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

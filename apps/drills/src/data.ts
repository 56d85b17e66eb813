import { seedValue } from './workload.js';

/** The commands seeding and reading back need (an ioredis `Redis` or `Cluster` fits). */
export interface DataClient {
  set(key: string, value: string): Promise<unknown>;
  get(key: string): Promise<string | null>;
}

/** `count` key names under `prefix`; with `tag`, all share the hash slot of `{tag}`. */
export function keyNames(prefix: string, count: number, tag?: string): string[] {
  const slot = tag === undefined ? '' : `{${tag}}`;
  return Array.from({ length: count }, (_, index) => `${prefix}${slot}k${index}`);
}

/** Write {@link seedValue} into every key. */
export async function seedKeys(redis: DataClient, keys: readonly string[]): Promise<void> {
  await Promise.all(keys.map((key) => redis.set(key, seedValue(key))));
}

/** Read integer counters (a missing key reads 0). */
export async function readIntegers(
  redis: DataClient,
  keys: readonly string[],
): Promise<Map<string, number>> {
  const values = await Promise.all(keys.map((key) => redis.get(key)));
  return new Map(keys.map((key, index) => [key, Number(values[index] ?? 0)]));
}

/** Read each key's hit count without counting (`HitTracker.peek`). */
export async function readHits(
  tracker: { peek(key: string): Promise<{ hits: number }> },
  keys: readonly string[],
): Promise<Map<string, number>> {
  const results = await Promise.all(keys.map((key) => tracker.peek(key)));
  return new Map(keys.map((key, index) => [key, results[index]?.hits ?? 0]));
}

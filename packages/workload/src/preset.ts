/** Anything with `SET`, such as an ioredis `Redis` or `Cluster`. */
export interface SetTarget {
  set(key: string, value: string): Promise<unknown>;
}

/**
 * Give every key a value of `bytes` bytes (`x` repeated), 1,000 `SET`s in flight at a time:
 * on an auto-pipelined client each batch travels in one or a few round trips, on a Cluster
 * each `SET` goes to its own slot's master.
 */
export async function presetValues(
  target: SetTarget,
  keys: readonly string[],
  bytes = 100,
): Promise<void> {
  const value = 'x'.repeat(bytes);
  for (let i = 0; i < keys.length; i += 1000) {
    await Promise.all(keys.slice(i, i + 1000).map((key) => target.set(key, value)));
  }
}

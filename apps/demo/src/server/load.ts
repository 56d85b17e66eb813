import type { HitTracker } from '@hitpool/hits';

/** What the dashboard's load button asked for and got. */
export interface LoadReport {
  calls: number;
  errors: number;
  ms: number;
}

/** Keys the load button reads: a few, hit unevenly so the chart has a shape. */
export const LOAD_KEYS: readonly string[] = Array.from({ length: 8 }, (_, i) => `load-${i + 1}`);

/** Most calls one press may ask for. */
export const MAX_LOAD_CALLS = 20_000;

/**
 * Read `calls` items through the tracker from `concurrency` simulated
 * visitors; key i is picked about twice as often as key i+1.
 */
export async function generateLoad(
  tracker: HitTracker,
  toRedisKey: (key: string) => string,
  calls: number,
  concurrency = 32,
): Promise<LoadReport> {
  const started = performance.now();
  let left = calls;
  let errors = 0;
  const visitor = async (id: number) => {
    while (left > 0) {
      left--;
      // Geometric pick: load-1 half the time, load-2 a quarter, …
      const index = Math.min(LOAD_KEYS.length - 1, Math.floor(-Math.log2(Math.random() || 1e-9)));
      try {
        await tracker.get(toRedisKey(LOAD_KEYS[index] ?? 'load-1'), { visitor: `load-${id}` });
      } catch {
        errors++;
      }
    }
  };
  await Promise.all(Array.from({ length: concurrency }, (_, id) => visitor(id)));
  return { calls: calls - errors, errors, ms: Math.round(performance.now() - started) };
}

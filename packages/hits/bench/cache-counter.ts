/**
 * One of the processes `bench/cache.ts` starts to count the same keys at once: a pool and a
 * tracker with `cache` on the server at HITS_BENCH_URL, CALLERS closed-loop callers of
 * `hits.get` on Zipf(1) keys for HITS_BENCH_WARMUP_MS, then HITS_BENCH_MS measured. Prints one
 * JSON line: the calls made and the keys Redis reported changed while measured.
 */
import { createPool } from '@hitpool/pool';
import { runLoad, zipfKeys } from '@hitpool/workload';
import { createHitTracker } from '../src/index.js';

const env = (name: string) => {
  const value = process.env[name];
  if (value === undefined) throw new Error(`${name} is not set: bench/cache.ts starts this file`);
  return value;
};

const pool = createPool({ url: env('HITS_BENCH_URL') });
const hits = createHitTracker({
  redis: pool,
  cache: { maxKeys: Number(env('HITS_BENCH_MAX_KEYS')) },
});
const source = zipfKeys(
  Number(env('HITS_BENCH_KEYS')),
  1,
  env('HITS_BENCH_PREFIX'),
  Number(env('HITS_BENCH_SEED')),
);
const load = (durationMs: number) =>
  runLoad({
    callers: Number(env('HITS_BENCH_CALLERS')),
    durationMs,
    call: () => hits.get(source.next()),
  });
try {
  await load(Number(env('HITS_BENCH_WARMUP_MS')));
  const before = hits.stats().cache?.invalidations ?? 0;
  const measured = await load(Number(env('HITS_BENCH_MS')));
  const invalidations = (hits.stats().cache?.invalidations ?? 0) - before;
  console.log(
    JSON.stringify({ calls: measured.calls, elapsedMs: measured.elapsedMs, invalidations }),
  );
} finally {
  await hits.close();
  await pool.close();
}

/**
 * `./pnpmw --filter @hitpool/hits bench:cache`: the near cache under the load it is meant for,
 * next to what a user would write instead. Zipf(1) over 10,000 keys with values of 100 bytes,
 * `maxKeys: 5000` (smaller than the keyspace), 200 closed-loop callers, while another client
 * rewrites 1,000 keys a second drawn from the same distribution. Contenders run round-robin
 * (medians of BENCH_ROUNDS interleaved rounds). Then, under the same load on the cached buffered
 * tracker, how long after a writer's `SET` reply a `get` can still return the old value, what
 * a cached entry costs in memory, and how many invalidations each of several processes counting
 * the same keys receives, without and with the writer. Not a test: it prints figures and goal
 * lines.
 */
import { execFile } from 'node:child_process';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { getHeapStatistics, setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { createPool } from '@hitpool/pool';
import { startRedisServer } from '@hitpool/testing';
import {
  benchEnvironment,
  benchSettings,
  callsPerSecondOf,
  contenderTable,
  environmentLine,
  finishBench,
  goal,
  interleave,
  LatencyHistogram,
  presetValues,
  runLoad,
  serverSnapshot,
  zipfKeys,
} from '@hitpool/workload';
import { Redis } from 'ioredis';
import { NearCache } from '../src/cache.js';
import { createHitTracker, defaultHitKey, type HitTracker } from '../src/index.js';
import { counterKeys } from '../src/layout.js';
import { resolveOptions } from '../src/options.js';

const CALLERS = 200;
const KEY_COUNT = 10_000;
const MAX_KEYS = 5_000;
const VALUE_BYTES = 100;
const WRITES_PER_SECOND = 1_000;
const PREFIX = 'bench:item:';
const STALENESS_MS = 10_000;
/** One write in this many is followed by a staleness probe. */
const PROBE_EVERY = 10;
const settings = benchSettings({ rounds: 5, roundMs: 1_000, warmupMs: 300 });
/** Processes counting the same keys at once, each with its own tracker and cache. */
const PROCESSES = 3;
const PROCESS_CALLERS = 50;
const PROCESS_MS = 3_000;

const NAMES = {
  getOnly: 'ioredis get(k), no counting',
  promiseAll: 'ioredis Promise.all([get(k), incr(defaultHitKey(k))])',
  noCache: 'hits.get, no cache (pool)',
  cache: 'hits.get, cache (pool)',
  cacheBuffer: 'hits.get, cache + buffer (pool)',
} as const;

const keys = () => zipfKeys(KEY_COUNT, 1, PREFIX, 42);
/** Every write's value starts with a number that grows across writers: `<version>:xxx…`. */
let versions = 0;
const value = (version: number) => `${version}:`.padEnd(VALUE_BYTES, 'x');
const versionOf = (text: string | null) => (text === null ? -1 : Number.parseInt(text, 10));

/**
 * Rewrites `perSecond` keys a second (Zipf, another seed) with new values until stopped;
 * `onWrite` sees each key, its new value and when the SET was answered.
 */
function startWriter(
  redis: Redis,
  onWrite?: (key: string, version: number, at: number) => void,
  perSecond = WRITES_PER_SECOND,
) {
  const source = zipfKeys(KEY_COUNT, 1, PREFIX, 7);
  let running = true;
  const done = (async () => {
    const start = performance.now();
    let written = 0;
    while (running) {
      const due = Math.floor(((performance.now() - start) / 1_000) * perSecond);
      const writes: Array<Promise<void>> = [];
      for (; written < due; written++) {
        const key = source.next();
        const version = ++versions;
        writes.push(
          redis.set(key, value(version)).then(() => onWrite?.(key, version, performance.now())),
        );
      }
      await Promise.all(writes);
      await new Promise((resolve) => setTimeout(resolve, 2));
    }
  })();
  return {
    async stop() {
      running = false;
      await done;
    },
  };
}

/**
 * After `at` (the reply to the SET of `version`), gets `key` every turn until a get started then
 * returns that version or a later one: how long the old value could still be read.
 */
async function staleFor(hits: HitTracker, key: string, version: number, at: number) {
  for (;;) {
    const started = performance.now();
    const { value: seen } = await hits.get(key);
    if (versionOf(seen) >= version) return started - at;
    await nextTurn();
  }
}

/** What {@link countInProcesses} measured with the writer at `writesPerSecond`. */
interface ProcessesRun {
  writesPerSecond: number;
  /** `hits.get` calls per second of all processes together. */
  callsPerSecond: number;
  /** Keys Redis reported changed per second, per process (mean). */
  invalidationsPerSecond: number;
}

/**
 * PROCESSES processes (bench/cache-counter.ts) count the same Zipf keys with a cached tracker
 * each, while `writes` rewrites keys (or nothing): how many invalidations each receives. Their
 * counting writes counters only, which are never tracked, so without writes there are none.
 */
async function countInProcesses(url: string, writes: number): Promise<ProcessesRun> {
  const counter = fileURLToPath(new URL('./cache-counter.ts', import.meta.url));
  const writer = writes > 0 ? startWriter(writerClient, undefined, writes) : undefined;
  const outputs = await Promise.all(
    Array.from({ length: PROCESSES }, (_, index) =>
      promisify(execFile)(process.execPath, [...process.execArgv, counter], {
        env: {
          ...process.env,
          HITS_BENCH_URL: url,
          HITS_BENCH_MAX_KEYS: String(MAX_KEYS),
          HITS_BENCH_KEYS: String(KEY_COUNT),
          HITS_BENCH_PREFIX: PREFIX,
          HITS_BENCH_SEED: String(100 + index),
          HITS_BENCH_CALLERS: String(PROCESS_CALLERS),
          HITS_BENCH_WARMUP_MS: '1000',
          HITS_BENCH_MS: String(PROCESS_MS),
        },
      }),
    ),
  );
  await writer?.stop();
  const measured = outputs.map(
    ({ stdout }) =>
      JSON.parse(stdout.trim().split('\n').at(-1) ?? '{}') as {
        calls: number;
        elapsedMs: number;
        invalidations: number;
      },
  );
  const perSecond = (count: number, elapsedMs: number) => count / (elapsedMs / 1_000);
  return {
    writesPerSecond: writes,
    callsPerSecond: measured.reduce((sum, run) => sum + perSecond(run.calls, run.elapsedMs), 0),
    invalidationsPerSecond:
      measured.reduce((sum, run) => sum + perSecond(run.invalidations, run.elapsedMs), 0) /
      measured.length,
  };
}

/**
 * Heap bytes per entry of a NearCache holding MAX_KEYS copies of 100-byte values under keys of
 * their own, each with the counter keys a tracker keeps with a copy once a turn has used it: the
 * median of three fills, after one that is not counted (it also allocates compiled code and type
 * feedback). Every filled cache stays alive until the last reading, so that no earlier one is
 * collected in the middle of another's; two full collections before each reading (the first can
 * keep what was allocated while it marked). Measured before any load.
 */
function bytesPerEntry(): number {
  setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc') as () => void;
  const heapAfterGc = () => {
    gc();
    gc();
    return getHeapStatistics().used_heap_size;
  };
  const options = resolveOptions({ redis: pool, cache: { maxKeys: MAX_KEYS } });
  const source = keys().keys.slice(0, MAX_KEYS);
  const filled: NearCache[] = [];
  const fill = (round: number) => {
    const before = heapAfterGc();
    const cache = new NearCache(MAX_KEYS, Number.POSITIVE_INFINITY);
    const copies = source.map((key) => `${key}:${round}`);
    const read = cache.beginRead(copies);
    cache.endRead(
      read,
      copies.map((_, i) => value(i)),
      0,
    );
    for (const key of copies) {
      const copy = cache.lookup(key, 0, 0);
      if (copy) copy.keys = counterKeys(options, false, 0, key);
    }
    if (cache.stats().size !== MAX_KEYS) throw new Error('the cache did not fill');
    filled.push(cache);
    return (heapAfterGc() - before) / MAX_KEYS;
  };
  fill(0);
  const measured = [fill(1), fill(2), fill(3)].sort((a, b) => a - b);
  return measured[1] as number;
}

const server = await startRedisServer();
const admin = server.connect();
const peer = new Redis(server.url, { enableAutoPipelining: true });
const writerClient = new Redis(server.url);
const pool = createPool({ url: server.url });
const noCache = createHitTracker({ redis: pool });
const cache = createHitTracker({ redis: pool, cache: { maxKeys: MAX_KEYS } });
const cacheBuffer = createHitTracker({
  redis: pool,
  cache: { maxKeys: MAX_KEYS },
  buffer: {},
});
try {
  const environment = await benchEnvironment(admin);
  console.log('# @hitpool/hits near cache benchmark\n');
  console.log(`${environmentLine(environment)}\n`);
  console.log(
    `${CALLERS} closed-loop callers, Zipf(1) over ${KEY_COUNT.toLocaleString('en-US')} keys, values of ${VALUE_BYTES} bytes, maxKeys ${MAX_KEYS}, another client rewriting ${WRITES_PER_SECOND.toLocaleString('en-US')} keys a second from the same distribution; median of ${settings.rounds} interleaved rounds of ${settings.roundMs} ms per contender.\n`,
  );
  const memory = bytesPerEntry();
  await presetValues(peer, keys().keys, VALUE_BYTES);
  const withKeys = (name: string, call: (key: string) => Promise<unknown>) => {
    const source = keys();
    return { name, call: () => call(source.next()) };
  };
  const writer = startWriter(writerClient);
  const results = await interleave(
    [
      withKeys(NAMES.getOnly, (key) => peer.get(key)),
      withKeys(NAMES.promiseAll, (key) =>
        Promise.all([peer.get(key), peer.incr(defaultHitKey(key))]),
      ),
      withKeys(NAMES.noCache, (key) => noCache.get(key)),
      withKeys(NAMES.cache, (key) => cache.get(key)),
      {
        ...withKeys(NAMES.cacheBuffer, (key) => cacheBuffer.get(key)),
        settle: () => cacheBuffer.flush(),
      },
    ],
    {
      rounds: settings.rounds,
      roundMs: settings.roundMs,
      warmupMs: settings.warmupMs,
      callers: CALLERS,
      snapshot: () => serverSnapshot(admin),
    },
  );
  await writer.stop();
  console.log(
    `## Zipf(1), ${WRITES_PER_SECOND.toLocaleString('en-US')} writes/s\n\n${contenderTable(
      results,
      [
        { header: '× get only', name: NAMES.getOnly },
        { header: '× Promise.all', name: NAMES.promiseAll },
        { header: '× no cache', name: NAMES.noCache },
      ],
    )}\n`,
  );
  for (const [name, tracker] of [
    [NAMES.cache, cache],
    [NAMES.cacheBuffer, cacheBuffer],
  ] as const)
    console.log(`- ${name}: stats().cache ${JSON.stringify(tracker.stats().cache)}`);

  // Staleness: the cached buffered tracker under the same callers and writes, probed after
  // every PROBE_EVERY-th write.
  const staleness = new LatencyHistogram();
  const probes: Array<Promise<void>> = [];
  let writes = 0;
  const probed = startWriter(writerClient, (key, version, at) => {
    if (writes++ % PROBE_EVERY !== 0) return;
    probes.push(
      staleFor(cacheBuffer, key, version, at).then((ms) => staleness.record(Math.max(0, ms))),
    );
  });
  const source = keys();
  const invalidationsBefore = cacheBuffer.stats().cache?.invalidations ?? 0;
  const load = await runLoad({
    callers: CALLERS,
    durationMs: STALENESS_MS,
    call: () => cacheBuffer.get(source.next()),
  });
  await probed.stop();
  await Promise.all(probes);
  const invalidationsPerSecond =
    ((cacheBuffer.stats().cache?.invalidations ?? 0) - invalidationsBefore) /
    (STALENESS_MS / 1_000);
  const stale = {
    probes: staleness.count,
    p50Ms: staleness.quantile(0.5),
    p99Ms: staleness.quantile(0.99),
    maxMs: staleness.maxMs,
    callsPerSecond: load.callsPerSecond,
    invalidationsPerSecond,
  };
  console.log(
    `\n## Staleness under load (cache + buffer)\n\nFrom a writer's SET reply until a get started then returns the new value, ${stale.probes} probes (every ${PROBE_EVERY}th write of ${WRITES_PER_SECOND.toLocaleString('en-US')}/s): p50 ${stale.p50Ms.toFixed(2)} ms, p99 ${stale.p99Ms.toFixed(2)} ms, max ${stale.maxMs.toFixed(2)} ms, while serving ${Math.round(stale.callsPerSecond).toLocaleString('en-US')} calls/s; ${Math.round(invalidationsPerSecond).toLocaleString('en-US')} invalidated keys/s.\n`,
  );
  console.log(
    `## Memory\n\n${Math.round(memory)} bytes of heap per cached entry (${MAX_KEYS} entries, keys of about ${`${PREFIX}1234`.length} characters, values of ${VALUE_BYTES} bytes).\n`,
  );
  const runs: ProcessesRun[] = [];
  for (const writes of [0, WRITES_PER_SECOND])
    runs.push(await countInProcesses(server.url, writes));
  const processes = {
    count: PROCESSES,
    callersEach: PROCESS_CALLERS,
    durationMs: PROCESS_MS,
    runs,
  };
  console.log(
    `## Several processes counting the same keys\n\n${PROCESSES} processes, ${PROCESS_CALLERS} callers each, \`hits.get\` with \`cache\` on the same Zipf keys for ${PROCESS_MS} ms:\n\n| writes/s by another client | calls/s (all processes) | invalidated keys/s per process |\n| ---: | ---: | ---: |\n${runs
      .map(
        (run) =>
          `| ${run.writesPerSecond.toLocaleString('en-US')} | ${Math.round(run.callsPerSecond).toLocaleString('en-US')} | ${Math.round(run.invalidationsPerSecond).toLocaleString('en-US')} |`,
      )
      .join('\n')}\n`,
  );
  const rate = (name: string) => callsPerSecondOf(results, name);
  const goals = [
    goal(
      'cache + buffer hits.get ≥ 5× plain auto-pipelined get',
      rate(NAMES.cacheBuffer),
      rate(NAMES.getOnly),
      5,
    ),
    goal(
      'cache hits.get ≥ 2.5× Promise.all([get, incr])',
      rate(NAMES.cache),
      rate(NAMES.promiseAll),
      2.5,
    ),
    goal(
      'cache hits.get ≥ 1× the same tracker without cache',
      rate(NAMES.cache),
      rate(NAMES.noCache),
      1,
    ),
    goal(
      'staleness p99 ≤ 5 ms',
      5,
      Math.max(stale.p99Ms, 0.001),
      1,
      `p99 ${stale.p99Ms.toFixed(2)} ms`,
    ),
  ];
  finishBench(goals, settings.jsonPath, {
    bench: '@hitpool/hits cache',
    environment,
    callers: CALLERS,
    settings,
    keyCount: KEY_COUNT,
    maxKeys: MAX_KEYS,
    valueBytes: VALUE_BYTES,
    writesPerSecond: WRITES_PER_SECOND,
    results,
    staleness: stale,
    bytesPerEntry: memory,
    processes,
    goals,
  });
} finally {
  for (const tracker of [noCache, cache, cacheBuffer]) await tracker.close();
  await pool.close();
  await peer.quit();
  await writerClient.quit();
  await admin.quit();
  await server.close();
}

import { createHitTracker, type HitTracker } from '@hitpool/hits';
import { createPool, type RedisPool } from '@hitpool/pool';
import { delay, type RedisCluster, randomPrefix, waitFor } from '@hitpool/testing';
import type { Cluster, Redis } from 'ioredis';
import { expect } from 'vitest';
import { AckLedger, type LedgerComparison } from '../src/counters.js';
import { keyNames, readHits } from '../src/data.js';
import { type DrillFigures, type DrillSetup, type DrillSubject, drill } from '../src/runner.js';
import type { ScenarioContext } from '../src/timeline.js';
import { CALLERS, DRILL_POOL } from './common.js';

/**
 * How long after a write's reply every read must see it: far above the invalidation's delivery
 * (a few ms), so a read older than this can only be a copy the cache should have dropped.
 */
const DELIVERY_MS = 100;

/** The version a value carries (`v<n>`), 0 for the seeded one. */
const versionOf = (value: string | null) => (value?.startsWith('v') ? Number(value.slice(1)) : 0);

/**
 * A near-cache drill's subject: {@link CALLERS} callers read `keys` through a tracker with
 * `cache` and `buffer` on `pool`, while `writer` gives the keys new values in rounds.
 */
export interface CacheSubject extends DrillSubject {
  pool: RedisPool;
  tracker: HitTracker;
  /** The other process's client: it writes new values, and reads the counts back afterwards. */
  writer: Redis | Cluster;
  keys: readonly string[];
  /** Per key, the version every read started from now on must return at least. */
  floor: Map<string, number>;
  /** Reads that returned a value older than their floor. */
  stale: string[];
  /** `get`s that resolved, per key: each counted one hit. */
  acknowledged: AckLedger;
  /** The last version written. */
  version: number;
  /** The cache's hits when its tracking was set up again after the fault. */
  hitsWhenTrackingAgain: number;
}

/** Seed `keys` through `writer` and build the subject on `pool` (closed by the runner). */
export async function cacheSubject(
  pool: RedisPool,
  writer: Redis | Cluster,
  keys: readonly string[],
  { defer }: DrillSetup,
): Promise<CacheSubject> {
  // It stays connected through the fault: its connection errors are expected.
  writer.on('error', () => undefined);
  defer(() => writer.disconnect());
  await Promise.all(keys.map((key) => writer.set(key, 'seed')));
  const tracker = createHitTracker({ redis: pool, cache: {}, buffer: { flushIntervalMs: 100 } });
  const floor = new Map<string, number>();
  const stale: string[] = [];
  const acknowledged = new AckLedger();
  return {
    callers: CALLERS,
    pool,
    tracker,
    writer,
    keys,
    floor,
    stale,
    acknowledged,
    version: 0,
    hitsWhenTrackingAgain: Number.NaN,
    async call(caller) {
      const key = keys[caller % keys.length] as string;
      const atLeast = floor.get(key) ?? 0;
      const { value } = await tracker.get(key);
      acknowledged.ack(key);
      if (versionOf(value) < atLeast) stale.push(`${key}: ${value} after v${atLeast}`);
    },
  };
}

/** {@link CacheSubject} on a Cluster, with the one slot all its keys live in. */
type ClusterCacheSubject = CacheSubject & { slot: number };

/** A {@link CacheSubject} on `cluster`: 50 keys under one hash tag, so one slot holds them all. */
async function clusterCacheSubject(
  cluster: RedisCluster,
  label: string,
  context: DrillSetup,
): Promise<ClusterCacheSubject> {
  const prefix = randomPrefix(label);
  const keys = keyNames(prefix, 50, prefix);
  const pool = createPool({ cluster: { nodes: cluster.startupNodes.slice() }, ...DRILL_POOL });
  const subject = await cacheSubject(pool, cluster.connect(), keys, context);
  // The same object: its callers and the scenario share its version and counts.
  return Object.assign(subject, { slot: await cluster.keySlot(keys[0] as string) });
}

/** Wait until every key of `subject` is held by its cache. */
export async function allCached(subject: CacheSubject): Promise<void> {
  await waitFor(
    'values cached',
    () => (subject.tracker.stats().cache?.size ?? 0) >= subject.keys.length,
  );
}

/**
 * After the fault: wait until the cache tracks again (mark `tracking again`; until then it serves
 * every read from Redis), then write `rounds` rounds of new values (mark `new values read`).
 */
export async function afterTheFault(
  subject: CacheSubject,
  { mark }: ScenarioContext,
  rounds: number,
): Promise<void> {
  await waitFor(
    'the near cache to track again',
    () => subject.tracker.stats().cache?.connected === true,
    15_000,
    10,
  );
  mark('tracking again');
  subject.hitsWhenTrackingAgain = subject.tracker.stats().cache?.hits ?? 0;
  await writeRounds(subject, rounds);
  mark('new values read');
}

/**
 * Give every key a new value `rounds` times; {@link DELIVERY_MS} after each round's replies,
 * every read must return that value or a newer one.
 */
async function writeRounds(subject: CacheSubject, rounds: number): Promise<void> {
  for (let round = 0; round < rounds; round++) {
    const version = ++subject.version;
    await Promise.all(subject.keys.map((key) => subject.writer.set(key, `v${version}`)));
    await delay(DELIVERY_MS);
    for (const key of subject.keys) subject.floor.set(key, version);
  }
}

/**
 * The scenario of a fault on a Cluster: once every key is cached, `fault` runs while another
 * process rewrites every key in rounds; then {@link afterTheFault} with `rounds` more.
 */
async function faultUnderWrites(
  subject: CacheSubject,
  context: ScenarioContext,
  fault: () => Promise<void>,
  rounds: number,
): Promise<void> {
  await allCached(subject);
  let faulting = true;
  const writing = (async () => {
    while (faulting) await writeRounds(subject, 1);
  })();
  try {
    await fault();
  } finally {
    faulting = false;
    await writing;
  }
  await afterTheFault(subject, context, rounds);
}

/** What a near-cache drill measures: the cache's stats, and the buffered hits against Redis. */
export interface CacheFigures extends DrillFigures {
  counters: { hits: LedgerComparison };
  resets: number;
  /** Reads served from memory once the cache tracked again after the fault. */
  hitsAfterFault: number;
}

/** Flush the tracker, then compare each key's count in Redis with the `get`s acknowledged. */
async function cacheFigures(subject: CacheSubject): Promise<CacheFigures> {
  const { tracker, writer, keys, acknowledged, stale } = subject;
  const cache = tracker.stats().cache;
  await tracker.flush();
  const reader = createHitTracker({ redis: writer });
  const hits = acknowledged.compare(await readHits(reader, keys));
  await reader.close();
  const hitsAfterFault = (cache?.hits ?? 0) - subject.hitsWhenTrackingAgain;
  return {
    counters: { hits },
    details: {
      'stale reads after the writes were delivered': stale.length,
      'cache hits once tracking again': hitsAfterFault,
      'cache after the drill': cache,
    },
    resets: cache?.resets ?? 0,
    hitsAfterFault,
  };
}

/**
 * What every near-cache drill must hold: no read older than a delivered write, the fault
 * emptied the cache at least once, it served from memory again once it tracked again, and each
 * acknowledged buffered `get` counted exactly once.
 */
function expectCacheCorrect(figures: CacheFigures, subject: CacheSubject): void {
  expect(subject.stale, 'reads older than a delivered write').toEqual([]);
  expect(figures.resets, 'cache resets').toBeGreaterThanOrEqual(1);
  expect(figures.hitsAfterFault, 'cache hits after the fault').toBeGreaterThan(0);
  expect(figures.counters.hits, 'buffered hits').toMatchObject({ lost: 0, extra: 0 });
}

/**
 * The `measure` and `assert` of every near-cache drill (generic, so a drill's subject type is
 * the one its `setup` returns).
 */
export const CACHE_CHECKS = {
  measure: <S extends CacheSubject>(subject: S) => cacheFigures(subject),
  assert: <S extends CacheSubject>(_: unknown, figures: CacheFigures, subject: S) =>
    expectCacheCorrect(figures, subject),
};

/** What a near-cache drill on a Cluster states: its fault, and what comes before it. */
export interface ClusterCacheDrill {
  /** Prefix of the drill's keys. */
  label: string;
  /** Run before the subject is set up (a previous drill's replicas still syncing). */
  before?: () => Promise<void>;
  /** What breaks, once every key is cached, while another process rewrites the keys. */
  fault(subject: ClusterCacheSubject, context: ScenarioContext): Promise<void>;
  /** Rounds of writes once the cache tracks again. */
  rounds: number;
  recoverFrom?: string;
}

/** Register a near-cache drill on the Cluster `cluster()` returns (see {@link faultUnderWrites}). */
export function clusterCacheDrill(
  name: string,
  cluster: () => RedisCluster,
  spec: ClusterCacheDrill,
): void {
  drill(name, {
    async setup(context: DrillSetup) {
      await spec.before?.();
      return clusterCacheSubject(cluster(), spec.label, context);
    },
    tailMs: 1_000,
    maxMs: 40_000,
    scenario: (context, subject: ClusterCacheSubject) =>
      faultUnderWrites(subject, context, () => spec.fault(subject, context), spec.rounds),
    ...(spec.recoverFrom === undefined ? {} : { recoverFrom: spec.recoverFrom }),
    ...CACHE_CHECKS,
  });
}

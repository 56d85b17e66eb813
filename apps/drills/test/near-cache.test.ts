import { createHitTracker, type HitTracker } from '@hitpool/hits';
import { createPool, type RedisPool } from '@hitpool/pool';
import { delay, type RedisServer, randomPrefix, startRedisServer, waitFor } from '@hitpool/testing';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, expect } from 'vitest';
import { keyNames } from '../src/data.js';
import { drill } from '../src/runner.js';
import type { ScenarioContext } from '../src/timeline.js';
import { CALLERS, DRILL_POOL, killAndRestart } from './common.js';

/** Rounds of writes after the restart: each key gets a new value per round. */
const ROUNDS = 5;
/**
 * How long after a write's reply every read must see it: far above the invalidation's delivery
 * (a few ms), so a read older than this can only be a copy the cache should have dropped.
 */
const DELIVERY_MS = 100;

let server: RedisServer;

beforeAll(async () => {
  // fsync on every write: buffered hits acknowledged before the kill are not lost by Redis.
  server = await startRedisServer({ config: { appendonly: 'yes', appendfsync: 'always' } });
});

afterAll(async () => {
  await server?.close();
});

/** The version a value carries (`v<n>`), 0 for the seeded one. */
const versionOf = (value: string | null) => (value?.startsWith('v') ? Number(value.slice(1)) : 0);

interface CacheSubject {
  callers: number;
  pool: RedisPool;
  call(caller: number): Promise<unknown>;
  tracker: HitTracker;
  writer: Redis;
  keys: string[];
  /** Per key, the version every read started from now on must return at least. */
  floor: Map<string, number>;
  /** Reads that returned a value older than their floor. */
  stale: string[];
  /** `get`s that resolved, per key: each counted one hit. */
  acknowledged: Map<string, number>;
}

drill('11 near cache: kill -9 with cached values, back after 2 s, then new values', {
  async setup({ defer }): Promise<CacheSubject> {
    const writer = server.connect();
    // It stays connected through the kill: its connection errors are expected.
    writer.on('error', () => undefined);
    defer(() => writer.disconnect());
    const keys = keyNames(randomPrefix('near'), 50);
    await Promise.all(keys.map((key) => writer.set(key, 'seed')));
    const pool = createPool({ url: server.url, ...DRILL_POOL });
    const tracker = createHitTracker({
      redis: pool,
      cache: {},
      buffer: { flushIntervalMs: 100 },
    });
    const floor = new Map<string, number>();
    const stale: string[] = [];
    const acknowledged = new Map<string, number>();
    return {
      callers: CALLERS,
      pool,
      tracker,
      writer,
      keys,
      floor,
      stale,
      acknowledged,
      async call(caller) {
        const key = keys[caller % keys.length] as string;
        const atLeast = floor.get(key) ?? 0;
        const { value } = await tracker.get(key);
        acknowledged.set(key, (acknowledged.get(key) ?? 0) + 1);
        if (versionOf(value) < atLeast) stale.push(`${key}: ${value} after v${atLeast}`);
      },
    };
  },
  tailMs: 500,
  async scenario(context: ScenarioContext, { tracker, writer, keys, floor }) {
    await waitFor('values cached', () => (tracker.stats().cache?.size ?? 0) >= keys.length);
    await killAndRestart(server, 2_000, context);
    await waitFor('the writer back', () =>
      writer.ping().then(
        () => true,
        () => false,
      ),
    );
    for (let round = 1; round <= ROUNDS; round++) {
      await Promise.all(keys.map((key) => writer.set(key, `v${round}`)));
      await delay(DELIVERY_MS);
      for (const key of keys) floor.set(key, round);
    }
    context.mark('new values read');
  },
  recoverFrom: 'server back',
  async measure({ tracker, stale, keys, acknowledged, writer }) {
    const cache = tracker.stats().cache;
    await tracker.flush();
    const reader = createHitTracker({ redis: writer });
    const counted = await Promise.all(
      keys.map(async (key) => [key, (await reader.peek(key)).hits] as const),
    );
    await reader.close();
    const lost = counted.reduce(
      (sum, [key, hits]) => sum + Math.max(0, (acknowledged.get(key) ?? 0) - hits),
      0,
    );
    const extra = counted.reduce(
      (sum, [key, hits]) => sum + Math.max(0, hits - (acknowledged.get(key) ?? 0)),
      0,
    );
    return {
      details: {
        'stale reads after the writes were delivered': stale.length,
        'cache after the drill': cache,
        'buffered hits acknowledged but not in Redis': lost,
        'hits in Redis beyond those acknowledged': extra,
      },
      lost,
      extra,
      resets: cache?.resets ?? 0,
      hits: cache?.hits ?? 0,
    };
  },
  assert(_, { lost, extra, resets, hits }, { stale }) {
    expect(stale).toEqual([]);
    // The restart emptied the cache, and it served from memory before and after.
    expect(resets).toBeGreaterThanOrEqual(1);
    expect(hits).toBeGreaterThan(0);
    // Buffered hits: each acknowledged get counted once.
    expect(lost).toBe(0);
    expect(extra).toBe(0);
  },
});

import { createPool, type RedisPool } from '@hitpool/pool';
import { instrumentPool } from '@hitpool/pool/otel';
import { type RedisServer, randomPrefix, startRedisServer, waitFor } from '@hitpool/testing';
import { collectingMeterProvider, histogramOf } from '@hitpool/testing/metrics';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHitTracker, defaultHitKey, HitsConfigError, type HitTracker } from '../src/index.js';

// A server of this file's own: the tests read INFO commandstats and run FLUSHALL.
let server: RedisServer;
let admin: Redis;
let pool: RedisPool;
beforeAll(async () => {
  server = await startRedisServer();
  admin = server.connect();
  pool = createPool({ url: server.url });
});
afterAll(async () => {
  await pool.close();
  await admin.quit();
  await server.close();
});

const NAME = 'hitpool-hits-near-cache';

/** A tracker with a cache whose tracking connections are set up. */
async function cachedTracker(
  options: Omit<Parameters<typeof createHitTracker>[0], 'redis' | 'cache'> = {},
  cache: { maxKeys?: number; ttlMs?: number } = {},
): Promise<HitTracker> {
  const hits = createHitTracker({ redis: pool, cache, ...options });
  await waitFor('the near cache to connect', () => hits.stats().cache?.connected === true);
  return hits;
}

const cacheOf = (hits: HitTracker) => {
  const cache = hits.stats().cache;
  if (cache === undefined) throw new Error('no cache stats');
  return cache;
};

async function commandCalls(): Promise<Map<string, number>> {
  const info = await admin.info('commandstats');
  const calls = new Map<string, number>();
  for (const match of info.matchAll(/^cmdstat_([^:]+):calls=(\d+)/gm))
    calls.set(match[1] as string, Number(match[2]));
  return calls;
}

/** The ids of the connections named `name` in CLIENT LIST, with their flags. */
async function clientsNamed(name: string): Promise<Array<{ id: string; flags: string }>> {
  const list = (await admin.client('LIST')) as string;
  return list
    .split('\n')
    .filter((line) => line.includes(` name=${name} `))
    .map((line) => ({
      id: /\bid=(\d+)/.exec(line)?.[1] as string,
      flags: /\bflags=(\S+)/.exec(line)?.[1] as string,
    }));
}

describe('near cache', () => {
  it('serves a value it read from memory; for a cached key only the counting is sent', async () => {
    const p = randomPrefix('served');
    await admin.set(`${p}k`, 'v');
    const hits = await cachedTracker();
    expect(await hits.get(`${p}k`)).toEqual({ key: `${p}k`, value: 'v', hits: 1 });
    await admin.config('RESETSTAT');
    const results = await Promise.all(Array.from({ length: 5 }, () => hits.get(`${p}k`)));
    expect(results.map((result) => result.value)).toEqual(['v', 'v', 'v', 'v', 'v']);
    expect(results.map((result) => result.hits)).toEqual([2, 3, 4, 5, 6]);
    expect(await hits.peek(`${p}k`)).toEqual({ key: `${p}k`, value: 'v', hits: 6 });
    const calls = await commandCalls();
    // The counts were read and written inside scripts; the value was not read again.
    expect(calls.get('get') ?? 0).toBe(1);
    expect(calls.get('mget') ?? 0).toBe(0);
    expect(calls.get('incrby')).toBe(1);
    expect(cacheOf(hits)).toEqual(expect.objectContaining({ size: 1, hits: 6, misses: 1 }));
    await hits.close();
  });

  it('in a turn that also misses, reads only the values it does not hold', async () => {
    const p = randomPrefix('mixed');
    await admin.mset(`${p}a`, 'A', `${p}b`, 'B', `${p}c`, 'C');
    const hits = await cachedTracker();
    await hits.getMany([`${p}a`, `${p}b`]);
    await admin.config('RESETSTAT');
    const results = await hits.getMany([`${p}a`, `${p}b`, `${p}c`]);
    expect(results.map((result) => [result.value, result.hits])).toEqual([
      ['A', 2],
      ['B', 2],
      ['C', 1],
    ]);
    const calls = await commandCalls();
    // The missing value was read once (on the tracking connection); the held ones only counted.
    expect(calls.get('mget') ?? 0).toBe(1);
    expect(calls.get('get') ?? 0).toBe(0);
    expect(calls.get('incrby')).toBe(3);
    expect(cacheOf(hits)).toEqual(expect.objectContaining({ size: 3, hits: 2, misses: 3 }));
    await hits.close();
  });

  it('caches missing keys and getMany reads, and drops least recently used copies beyond maxKeys', async () => {
    const p = randomPrefix('lru');
    await admin.mset(`${p}a`, 'A', `${p}b`, 'B', `${p}c`, 'C');
    const hits = await cachedTracker({}, { maxKeys: 2 });
    const first = await hits.getMany([`${p}a`, `${p}b`, `${p}missing`]);
    expect(first.map((result) => result.value)).toEqual(['A', 'B', null]);
    expect(cacheOf(hits).size).toBe(2);
    await hits.get(`${p}c`);
    expect(cacheOf(hits)).toEqual(expect.objectContaining({ size: 2, misses: 4 }));
    expect((await hits.get(`${p}missing`)).value).toBe(null);
    expect(cacheOf(hits).hits).toBe(1);
    await hits.close();
  });

  it("drops a copy when another client changes the key, and never tracks the tracker's counters", async () => {
    const p = randomPrefix('invalidate');
    await admin.set(`${p}k`, 'old');
    const hits = await cachedTracker();
    const counter = createHitTracker({ redis: admin });
    expect((await hits.get(`${p}k`)).value).toBe('old');
    // Another process counting the same key writes its counters: no invalidation for them.
    for (let i = 0; i < 50; i++) await counter.get(`${p}k`);
    await counter.hit(`${p}k`);
    expect((await hits.get(`${p}k`)).hits).toBe(53);
    expect(cacheOf(hits).invalidations).toBe(0);
    await admin.set(`${p}k`, 'new');
    await waitFor('the invalidation', () => cacheOf(hits).invalidations === 1);
    expect((await hits.get(`${p}k`)).value).toBe('new');
    expect(cacheOf(hits).invalidations).toBe(1);
    await counter.close();
    await hits.close();
  });

  it('sends a turn that misses in one write on its tracking connection, tracking no counter', async () => {
    const p = randomPrefix('along');
    await admin.mset(`${p}a`, 'A', `${p}b`, 'B');
    const hits = await cachedTracker();
    const monitor = await admin.duplicate().monitor();
    const sources = new Set<string>();
    monitor.on('monitor', (_time: string, args: string[], source: string) => {
      if (source !== 'lua' && args.some((arg) => arg.includes(p))) sources.add(source);
    });
    // A miss, a peek (its script reads a counter) and a hit, in one turn.
    const [got, peeked, counted] = await Promise.all([
      hits.get(`${p}a`),
      hits.peek(`${p}b`),
      hits.hit(`${p}b`),
    ]);
    expect([got, peeked, counted]).toEqual([
      { key: `${p}a`, value: 'A', hits: 1 },
      { key: `${p}b`, value: 'B', hits: 0 },
      1,
    ]);
    await admin.ping();
    await monitor.disconnect();
    // Everything of the turn came from one connection: the tracker's tracking connection.
    const list = (await admin.client('LIST')) as string;
    const tracking = list
      .split('\n')
      .filter((line) => line.includes(` name=${NAME} `) && /\bflags=\S*t/.test(line))
      .map((line) => /\baddr=(\S+)/.exec(line)?.[1]);
    expect([...sources]).toEqual(tracking);
    // Its counters are not tracked: only the value's change is reported.
    await admin.incr(defaultHitKey(`${p}a`));
    await admin.incr(defaultHitKey(`${p}b`));
    await admin.set(`${p}a`, 'A2');
    await waitFor('the invalidation', () => cacheOf(hits).invalidations > 0);
    expect(cacheOf(hits)).toEqual(expect.objectContaining({ invalidations: 1, size: 1 }));
    await hits.close();
  });

  it("is timed by an instrumented pool: its tracking connection's commands count with the pool client's", async () => {
    const otel = collectingMeterProvider();
    const instrumented = createPool({ url: server.url });
    instrumentPool(instrumented, { meterProvider: otel.provider, operationDuration: true });
    const p = randomPrefix('otel');
    await admin.set(`${p}a`, 'A');
    const hits = createHitTracker({ redis: instrumented, cache: {} });
    await waitFor('the near cache to connect', () => cacheOf(hits).connected);
    // A miss (its read and counting on the tracking connection), then a hit (through the pool).
    await hits.get(`${p}a`);
    await hits.get(`${p}a`);
    const { dataPoints } = histogramOf(await otel.collect(), 'db.client.operation.duration');
    const counts = new Map(
      dataPoints.map((point) => [point.attributes['db.operation.name'], point.value.count]),
    );
    // Setting up: ROLE and CLIENT TRACKING; the miss: CLIENT CACHING, the tracked read's EVAL and
    // the batch script's first call (an EVAL, which loads it); the hit: an EVALSHA.
    expect(Object.fromEntries(counts)).toEqual({ ROLE: 1, CLIENT: 2, EVAL: 2, EVALSHA: 1 });
    await hits.close();
    await instrumented.close();
    await otel.provider.shutdown();
  });

  it("carries no more counting on its tracking connection than the pool's maxPendingCommands", async () => {
    const p = randomPrefix('bounded');
    const small = createPool({ url: server.url, maxPendingCommands: 10 });
    const hits = createHitTracker({ redis: small, cache: {} });
    await waitFor('the near cache to connect', () => hits.stats().cache?.connected === true);
    await hits.get(`${p}warm`);
    const monitor = await admin.duplicate().monitor();
    const sources = new Map<string, string>();
    monitor.on('monitor', (_time: string, args: string[], source: string) => {
      if (source === 'lua') return;
      for (const arg of args) if (arg.includes(`:hits:total:${p}`)) sources.set(arg, source);
    });
    await admin.ping();
    // While Redis is stopped the first turn's 10 calls stay in flight on the tracking
    // connection; the second turn's counting would exceed 10 there, so it goes through the pool.
    server.freeze();
    const first = hits.getMany(Array.from({ length: 10 }, (_, i) => `${p}a${i}`));
    await new Promise((resolve) => setImmediate(resolve));
    const second = hits.getMany(Array.from({ length: 10 }, (_, i) => `${p}b${i}`));
    await new Promise((resolve) => setImmediate(resolve));
    server.thaw();
    const results = await Promise.all([first, second]);
    expect(results.flat().map((result) => result.hits)).toEqual(Array(20).fill(1));
    await admin.ping();
    await monitor.disconnect();
    const list = (await admin.client('LIST')) as string;
    const tracking = list
      .split('\n')
      .find((line) => line.includes(` name=${NAME} `) && /\bflags=\S*t/.test(line));
    const trackingAddress = /\baddr=(\S+)/.exec(tracking ?? '')?.[1];
    const from = (prefix: string) =>
      new Set(
        [...sources].filter(([key]) => key.endsWith(prefix, key.length - 1)).map(([, at]) => at),
      );
    const firstSources = from(`${p}a`);
    const secondSources = from(`${p}b`);
    expect([...firstSources]).toEqual([trackingAddress]);
    expect(secondSources.size).toBe(1);
    expect(secondSources.has(trackingAddress as string)).toBe(false);
    await hits.close();
    await small.close();
  });

  it("keeps and invalidates copies under a client's keyPrefix", async () => {
    const prefix = randomPrefix('prefixed');
    await admin.set(`${prefix}k`, 'old');
    const client = server.connect({ keyPrefix: prefix });
    const hits = createHitTracker({ redis: client, cache: {} });
    await waitFor('the near cache to connect', () => hits.stats().cache?.connected === true);
    expect(await hits.get('k')).toEqual({ key: 'k', value: 'old', hits: 1 });
    expect(await hits.get('k')).toEqual({ key: 'k', value: 'old', hits: 2 });
    expect(cacheOf(hits)).toEqual(expect.objectContaining({ hits: 1, misses: 1 }));
    await admin.set(`${prefix}k`, 'new');
    await waitFor('the invalidation', () => cacheOf(hits).invalidations === 1);
    expect(await hits.get('k')).toEqual({ key: 'k', value: 'new', hits: 3 });
    expect(await admin.get(`${prefix}${defaultHitKey('k')}`)).toBe('3');
    await hits.close();
    await client.quit();
  });

  it('turns tracking on only for connections of its own, and closes them on close()', async () => {
    const hits = await cachedTracker();
    await hits.get(randomPrefix('own'));
    const own = await clientsNamed(NAME);
    expect(own).toHaveLength(2);
    expect(own.filter((client) => client.flags.includes('t'))).toHaveLength(1);
    const list = (await admin.client('LIST')) as string;
    const tracked = list.split('\n').filter((line) => /\bflags=\S*t/.test(line));
    expect(tracked).toHaveLength(1);
    await hits.close();
    expect(await clientsNamed(NAME)).toEqual([]);
    expect(cacheOf(hits).connected).toBe(false);
  });

  it('fails a read of a key of the wrong type, as without a cache, and keeps nothing for it', async () => {
    const p = randomPrefix('wrongtype');
    await admin.hset(`${p}hash`, 'field', 'value');
    await admin.set(`${p}ok`, 'v');
    const hits = await cachedTracker();
    const [bad, ok] = await Promise.allSettled([hits.get(`${p}hash`), hits.get(`${p}ok`)]);
    expect(String((bad as PromiseRejectedResult).reason)).toMatch(/WRONGTYPE/);
    expect(ok).toEqual({ status: 'fulfilled', value: { key: `${p}ok`, value: 'v', hits: 1 } });
    await expect(hits.get(`${p}hash`)).rejects.toThrow(/WRONGTYPE/);
    expect(cacheOf(hits).size).toBe(1);
    await hits.close();
  });

  it('reads more than a thousand misses in one turn, the missing and the wrong-typed beyond the first thousand included', async () => {
    const p = randomPrefix('many');
    const keys = Array.from({ length: 1_200 }, (_, i) => `${p}k${i}`);
    // k1100 is missing, k1150 a hash: both are in the read's second MGET.
    await admin.mset(...keys.flatMap((key, i) => (i === 1_100 ? [] : [key, `v${i}`])));
    await admin.del(keys[1_150] as string);
    await admin.hset(keys[1_150] as string, 'field', 'value');
    const hits = await cachedTracker();
    await admin.config('RESETSTAT');
    const settled = await Promise.allSettled(keys.map((key) => hits.get(key)));
    const values = settled.map((outcome) =>
      outcome.status === 'fulfilled' ? outcome.value.value : String(outcome.reason),
    );
    expect(values[0]).toBe('v0');
    expect(values[1_099]).toBe('v1099');
    expect(values[1_100]).toBeNull();
    expect(values[1_150]).toMatch(/WRONGTYPE/);
    expect(values[1_199]).toBe('v1199');
    expect(values.filter((value, i) => value === (i === 1_100 ? null : `v${i}`))).toHaveLength(
      1_199,
    );
    // Two MGETs; a GET only for the two keys the second one answered nil.
    const calls = await commandCalls();
    expect([calls.get('mget'), calls.get('get')]).toEqual([2, 2]);
    expect(cacheOf(hits).size).toBe(1_199);
    await hits.close();
  });

  it('after FLUSHALL serves nothing it held', async () => {
    const p = randomPrefix('flush');
    await admin.set(`${p}k`, 'v');
    const hits = await cachedTracker();
    expect((await hits.get(`${p}k`)).value).toBe('v');
    const resets = cacheOf(hits).resets;
    await admin.flushall();
    await waitFor('the flush invalidation', () => cacheOf(hits).resets > resets);
    expect(await hits.get(`${p}k`)).toEqual({ key: `${p}k`, value: null, hits: 1 });
    await hits.close();
  });

  it('empties itself when a tracking connection is lost, serves from Redis meanwhile, then tracks again', async () => {
    const p = randomPrefix('lost');
    await admin.set(`${p}k`, 'v1');
    const hits = await cachedTracker();
    expect((await hits.get(`${p}k`)).value).toBe('v1');
    for (const { id } of await clientsNamed(NAME)) await admin.client('KILL', 'ID', id);
    await waitFor('the reset', () => cacheOf(hits).resets === 1);
    expect(cacheOf(hits).size).toBe(0);
    await admin.set(`${p}k`, 'v2');
    expect((await hits.get(`${p}k`)).value).toBe('v2');
    await waitFor('tracking again', () => cacheOf(hits).connected);
    expect((await hits.get(`${p}k`)).value).toBe('v2');
    expect((await hits.get(`${p}k`)).value).toBe('v2');
    expect(cacheOf(hits).size).toBe(1);
    const invalidations = cacheOf(hits).invalidations;
    await admin.set(`${p}k`, 'v3');
    await waitFor('the invalidation', () => cacheOf(hits).invalidations > invalidations);
    expect((await hits.get(`${p}k`)).value).toBe('v3');
    await hits.close();
  });

  it('fails the calls of a turn that misses when Redis stops answering, instead of holding them', async () => {
    const key = `${randomPrefix('frozen')}k`;
    const hits = await cachedTracker();
    const monitor = await admin.duplicate().monitor();
    const seen: Array<{ command: string; source: string }> = [];
    monitor.on('monitor', (_time: string, args: string[], source: string) => {
      if (source !== 'lua' && (args[1] === key || args[0] === 'ping'))
        seen.push({ command: String(args[0]).toLowerCase(), source });
    });
    server.freeze();
    try {
      const outcome = await hits.get(key).then(
        () => undefined,
        (error: unknown) => error,
      );
      expect(outcome).toBeInstanceOf(Error);
    } finally {
      server.thaw();
    }
    // Its counting failed with the read, so the value was not read again through the pool:
    // once the pool's connection has answered a PING, no GET of the key came from it.
    await pool.client.ping();
    await waitFor('the PING in MONITOR', () => seen.some(({ command }) => command === 'ping'));
    await monitor.disconnect();
    expect(seen.filter(({ command }) => command === 'get')).toEqual([]);
    await hits.close();
  }, 30_000);

  it("gives up on a reply on its own connections after the pool's commandTimeoutMs", async () => {
    const quick = createPool({ url: server.url, commandTimeoutMs: 400 });
    const hits = createHitTracker({ redis: quick, cache: {} });
    try {
      await waitFor('the near cache to connect', () => cacheOf(hits).connected);
      const key = `${randomPrefix('deadline')}k`;
      await admin.set(key, 'v1');
      server.freeze();
      const started = performance.now();
      let outcome: unknown;
      try {
        outcome = await hits.get(key).then(
          () => undefined,
          (error: unknown) => error,
        );
      } finally {
        server.thaw();
      }
      // The pool's deadline, not the 5 s the cache's connections wait when the client sets none.
      expect(performance.now() - started).toBeLessThan(2_000);
      expect(outcome).toBeInstanceOf(Error);
      expect((outcome as Error).message).toBe('Command timed out');
      // Nothing of the read that timed out was kept; the next one is.
      expect(cacheOf(hits).size).toBe(0);
      expect((await hits.get(key)).value).toBe('v1');
      expect((await hits.get(key)).value).toBe('v1');
      expect(cacheOf(hits)).toEqual(expect.objectContaining({ size: 1, hits: 1 }));
    } finally {
      await hits.close();
      await quick.close();
    }
  }, 30_000);

  it('forgets a copy older than ttlMs', async () => {
    const p = randomPrefix('ttl');
    await admin.set(`${p}k`, 'v');
    const hits = await cachedTracker({}, { ttlMs: 50 });
    await hits.get(`${p}k`);
    await hits.get(`${p}k`);
    expect(cacheOf(hits)).toEqual(expect.objectContaining({ hits: 1, misses: 1 }));
    await new Promise((resolve) => setTimeout(resolve, 60));
    await hits.get(`${p}k`);
    expect(cacheOf(hits)).toEqual(expect.objectContaining({ hits: 1, misses: 2 }));
    await hits.close();
  });

  it.each([
    ['reading the counts', { windows: ['minute'], uniques: true, leaderboard: true }],
    // Answered from memory, at most 1,024 calls per turn of the event loop.
    ['buffered', { buffer: { flushIntervalMs: 60_000 } }],
  ] as const)(
    'once an invalidation is delivered, no get started then returns the old value (writes racing reads, %s)',
    async (_, options) => {
      const key = `${randomPrefix('race')}k`;
      await admin.set(key, '0');
      const hits = await cachedTracker(options);
      let delivered = 0;
      let writing = true;
      const stale: string[] = [];
      const readers = Array.from({ length: 8 }, async () => {
        while (writing) {
          const floor = delivered;
          const { value } = await hits.get(key, { visitor: 'v' });
          if (Number(value) < floor) stale.push(`${value} after ${floor} was delivered`);
        }
      });
      for (let i = 1; i <= 5_000; i++) {
        const before = cacheOf(hits).invalidations;
        // Whether Redis tracked the key when the write ran, read in the same transaction: only
        // then does an invalidation come (one; the key is tracked again only once read again).
        // Otherwise no copy of the old value can be held or be on its way.
        const replies = await admin.multi().info('stats').set(key, String(i)).info('stats').exec();
        const tracked = (reply: [Error | null, unknown] | undefined) =>
          Number(/tracking_total_keys:(\d+)/.exec(String(reply?.[1]))?.[1]);
        if (tracked(replies?.[0]) === tracked(replies?.[2])) continue;
        // The next write waits for this one's invalidation, so a count that went up is always
        // this write's, never a late one of the write before.
        await waitFor('the invalidation', () => cacheOf(hits).invalidations > before, 5_000, 0);
        delivered = i;
      }
      writing = false;
      await Promise.all(readers);
      expect(stale).toEqual([]);
      expect(cacheOf(hits).invalidations).toBeGreaterThan(100);
      await hits.close();
    },
  );

  it('with buffer, a cached get does no I/O: hits are the last flushed total plus unwritten hits', async () => {
    const p = randomPrefix('buffered');
    await admin.set(`${p}k`, 'v');
    const hits = await cachedTracker({ buffer: { flushIntervalMs: 60_000 } });
    expect(await hits.get(`${p}k`)).toEqual({ key: `${p}k`, value: 'v', hits: 1 });
    await hits.flush();
    // Another process counts 10 hits meanwhile.
    await admin.incrby(defaultHitKey(`${p}k`), 10);
    await admin.config('RESETSTAT');
    expect(await hits.get(`${p}k`)).toEqual({ key: `${p}k`, value: 'v', hits: 2 });
    expect(await hits.hit(`${p}k`)).toBe(3);
    expect(Object.fromEntries(await commandCalls())).toEqual({ 'config|resetstat': 1 });
    await hits.flush();
    expect(await hits.get(`${p}k`)).toEqual({ key: `${p}k`, value: 'v', hits: 14 });
    await hits.close();
    expect(await admin.get(defaultHitKey(`${p}k`))).toBe('14');
  });

  it('with buffer, a caller that only ever hits the cache still sees a write once its invalidation arrives', async () => {
    const key = `${randomPrefix('spin')}k`;
    await admin.set(key, 'v1');
    const hits = await cachedTracker({ buffer: { flushIntervalMs: 60_000 } });
    // The first get reads the value and the total; from then on gets need no I/O.
    await hits.get(key);
    await admin.set(key, 'v2');
    // Calls answered from memory alone never let the event loop read the invalidation, unless
    // the tracker makes them wait for a turn now and then. Bounded by time, not by calls: how
    // many calls fit before the invalidation arrives depends on the machine.
    let seen = 'v1';
    const deadline = performance.now() + 5_000;
    while (seen !== 'v2' && performance.now() < deadline)
      seen = String((await hits.get(key)).value);
    expect(seen).toBe('v2');
    await hits.close();
  });

  it('with buffer, a miss of a key whose total it knows reads only the value', async () => {
    const key = `${randomPrefix('known')}k`;
    await admin.set(key, 'v1');
    const hits = await cachedTracker({ buffer: { flushIntervalMs: 60_000 } });
    expect(await hits.get(key)).toEqual({ key, value: 'v1', hits: 1 });
    await admin.set(key, 'v2');
    await waitFor('the invalidation', () => cacheOf(hits).invalidations === 1);
    await admin.config('RESETSTAT');
    expect(await hits.get(key)).toEqual({ key, value: 'v2', hits: 2 });
    // The value, read on the tracking connection; not the counter, whose total it knew.
    expect(Object.fromEntries(await commandCalls())).toEqual({
      'client|caching': 1,
      'config|resetstat': 1,
      eval: 1,
      mget: 1,
    });
    await hits.close();
    expect(await admin.get(defaultHitKey(key))).toBe('2');
  });

  it('refuses bad cache options and atomic mode with HitsConfigError', () => {
    const bad = [
      { maxKeys: 0 },
      { maxKeys: 1.5 },
      { maxKeys: '10' },
      { ttlMs: 0 },
      { ttlMs: -5 },
      { ttlMs: Number.NaN },
      'yes',
    ];
    for (const cache of bad)
      expect(() => createHitTracker({ redis: pool, cache: cache as { maxKeys?: number } })).toThrow(
        HitsConfigError,
      );
    expect(() => createHitTracker({ redis: pool, cache: {}, mode: 'atomic' })).toThrow(
      /cannot be combined with cache/,
    );
  });
});

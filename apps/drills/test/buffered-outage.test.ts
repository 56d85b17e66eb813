import { createHitTracker } from '@hitpool/hits';
import { createPool } from '@hitpool/pool';
import { delay, type RedisServer, randomPrefix, startRedisServer } from '@hitpool/testing';
import { afterAll, beforeAll, expect, inject, it } from 'vitest';
import { AckLedger } from '../src/counters.js';
import { keyNames, readHits } from '../src/data.js';
import { reportDrill } from '../src/figures.js';
import { runLoad } from '../src/load.js';
import { watchUnhandled } from '../src/unhandled.js';
import { CALLERS, DRILL_POOL } from './common.js';

const cases = [
  {
    name: '7a buffered counting through a 3 s outage',
    keys: 200,
    buffer: { flushIntervalMs: 100, maxPendingKeys: 1_000 },
  },
  {
    // More distinct keys than the buffer may hold while it cannot flush: memory stays bounded
    // and whatever does not fit is reported as dropped, never lost silently.
    name: '7b buffered outage, 2,000 keys > maxPendingKeys 500',
    keys: 2_000,
    buffer: { flushIntervalMs: 100, maxPendingKeys: 500 },
  },
];

let server: RedisServer;

beforeAll(async () => {
  // fsync on every write, so what was flushed before the outage survives it.
  server = await startRedisServer({ config: { appendonly: 'yes', appendfsync: 'always' } });
});

afterAll(async () => {
  await server?.close();
});

it.each(cases)('$name', async ({ name, keys: keyCount, buffer }) => {
  const prefix = randomPrefix('buffered');
  const keys = keyNames(prefix, keyCount);
  const pool = createPool({ url: server.url, ...DRILL_POOL });
  const tracker = createHitTracker({ redis: pool, buffer });
  let errorEvents = 0;
  tracker.on('error', () => {
    errorEvents++;
  });
  // Every call counts a hit the moment it is made (the buffer adds it before any I/O), so the
  // reference is the calls made; `acknowledged` is what resolved.
  const counted = new AckLedger();
  const acknowledged = new AckLedger();
  const turns: number[] = [];
  const unhandled = watchUnhandled();
  let peakPendingKeys = 0;
  let peakPendingHits = 0;
  const heapBefore = process.memoryUsage().heapUsed;
  let peakHeap = heapBefore;
  const sampler = setInterval(() => {
    const { pending, pendingKeys } = tracker.stats();
    peakPendingKeys = Math.max(peakPendingKeys, pendingKeys);
    peakPendingHits = Math.max(peakPendingHits, pending);
    peakHeap = Math.max(peakHeap, process.memoryUsage().heapUsed);
  }, 50);
  try {
    const load = await runLoad({
      callers: CALLERS,
      call: async (caller) => {
        const turn = turns[caller] ?? 0;
        turns[caller] = turn + 1;
        // Each turn moves every caller to a fresh block of keys, so all keys get hits.
        const key = keys[(turn * CALLERS + caller) % keys.length] as string;
        counted.ack(key);
        await tracker.hit(key);
        acknowledged.ack(key);
      },
      tailMs: 1_500,
      scenario: async ({ mark }) => {
        await server.kill();
        mark('kill');
        await delay(3_000);
        await server.start();
        mark('server back');
      },
    });
    if (load.scenarioError) throw load.scenarioError;
    clearInterval(sampler);
    await tracker.flush();
    const stats = tracker.stats();

    const reader = server.connect();
    const readTracker = createHitTracker({ redis: reader });
    const final = await readHits(readTracker, counted.keys);
    const hits = counted.compare(final);
    const acked = acknowledged.compare(final);
    await readTracker.close();
    reader.disconnect();

    reportDrill({
      drill: name,
      load,
      recoverFrom: 'server back',
      counters: { 'hits acknowledged': acked },
      details: {
        'hits made vs Redis': hits,
        buffer,
        'tracker error events': errorEvents,
        'peak pending keys / hits': `${peakPendingKeys} / ${peakPendingHits}`,
        'heap before / peak MB': `${(heapBefore / 2 ** 20).toFixed(1)} / ${(peakHeap / 2 ** 20).toFixed(1)}`,
        'tracker stats': stats,
        'unhandled rejections': unhandled.errors.length,
      },
      resultsFile: inject('drillResults'),
    });

    expect(load.pending, 'calls left pending').toBe(0);
    // Every hit made is in Redis exactly once, except those reported as dropped: none lost
    // silently, none written twice by a retried flush.
    expect(hits.final + stats.dropped).toBe(hits.acknowledged);
    expect(hits.extra).toBe(0);
    if (keyCount <= buffer.maxPendingKeys) expect(stats.dropped).toBe(0);
    else {
      // 2,000 keys cannot fit in 500 for 3 s: some hits must be dropped, and said so.
      expect(stats.dropped).toBeGreaterThan(0);
      expect(errorEvents).toBeGreaterThan(0);
    }
    expect(peakPendingKeys).toBeLessThanOrEqual(buffer.maxPendingKeys);
    // Counting into the buffer needs no Redis, so a buffered hit() must not reject during the outage.
    expect(load.failures.counts).toEqual({});
    expect(unhandled.errors).toEqual([]);
  } finally {
    clearInterval(sampler);
    unhandled.stop();
    await tracker.close();
    await pool.close({ timeoutMs: 1_000 });
  }
});

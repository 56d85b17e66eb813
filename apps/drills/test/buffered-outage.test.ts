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

const BUFFER = { flushIntervalMs: 100, maxPendingKeys: 1_000 } as const;

let server: RedisServer;

beforeAll(async () => {
  // fsync on every write, so what was flushed before the outage survives it.
  server = await startRedisServer({ config: { appendonly: 'yes', appendfsync: 'always' } });
});

afterAll(async () => {
  await server?.close();
});

it('buffered counting through a 3 s outage: counters equal the hits counted', async () => {
  const prefix = randomPrefix('buffered');
  const keys = keyNames(prefix, 200);
  const pool = createPool({ url: server.url, ...DRILL_POOL });
  const tracker = createHitTracker({ redis: pool, buffer: BUFFER });
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
        const key = keys[(caller + turn) % keys.length] as string;
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
      drill: '7 buffered counting through a 3 s outage',
      load,
      recoverFrom: 'server back',
      counters: { 'hits acknowledged': acked },
      details: {
        'hits made vs Redis': hits,
        buffer: BUFFER,
        'peak pending keys / hits': `${peakPendingKeys} / ${peakPendingHits}`,
        'heap before / peak MB': `${(heapBefore / 2 ** 20).toFixed(1)} / ${(peakHeap / 2 ** 20).toFixed(1)}`,
        'tracker stats': stats,
        'unhandled rejections': unhandled.errors.length,
      },
      resultsFile: inject('drillResults'),
    });

    expect(load.pending, 'calls left pending').toBe(0);
    // Every hit made is in Redis once: none lost, none written twice by a retried flush.
    expect(stats.dropped).toBe(0);
    expect(hits).toMatchObject({ lost: 0, extra: 0 });
    expect(acked.lost).toBe(0);
    expect(peakPendingKeys).toBeLessThanOrEqual(BUFFER.maxPendingKeys);
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

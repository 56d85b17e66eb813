import { createHitTracker } from '@hitpool/hits';
import { createPool } from '@hitpool/pool';
import { type RedisServer, randomPrefix, startRedisServer } from '@hitpool/testing';
import { afterAll, beforeAll, expect } from 'vitest';
import { AckLedger } from '../src/counters.js';
import { keyNames, readHits } from '../src/data.js';
import { drill } from '../src/runner.js';
import { CALLERS, DRILL_POOL, killAndRestart } from './common.js';

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

for (const { name, keys: keyCount, buffer } of cases) {
  drill(name, {
    async setup({ defer }) {
      const prefix = randomPrefix('buffered');
      const keys = keyNames(prefix, keyCount);
      const pool = createPool({ url: server.url, ...DRILL_POOL });
      const tracker = createHitTracker({ redis: pool, buffer });
      const peaks = { errorEvents: 0, pendingKeys: 0, pendingHits: 0, heap: 0 };
      tracker.on('error', () => {
        peaks.errorEvents++;
      });
      const heapBefore = process.memoryUsage().heapUsed;
      peaks.heap = heapBefore;
      const sampler = setInterval(() => {
        const { pending, pendingKeys } = tracker.stats();
        peaks.pendingKeys = Math.max(peaks.pendingKeys, pendingKeys);
        peaks.pendingHits = Math.max(peaks.pendingHits, pending);
        peaks.heap = Math.max(peaks.heap, process.memoryUsage().heapUsed);
      }, 50);
      const stopSampling = () => clearInterval(sampler);
      defer(stopSampling);
      // Every call counts a hit the moment it is made (the buffer adds it before any I/O), so
      // the reference is the calls made; `acknowledged` is what resolved.
      const counted = new AckLedger();
      const acknowledged = new AckLedger();
      const turns: number[] = [];
      return {
        pool,
        tracker,
        callers: CALLERS,
        async call(caller: number) {
          const turn = turns[caller] ?? 0;
          turns[caller] = turn + 1;
          // Each turn moves every caller to a fresh block of keys, so all keys get hits.
          const key = keys[(turn * CALLERS + caller) % keys.length] as string;
          counted.ack(key);
          await tracker.hit(key);
          acknowledged.ack(key);
        },
        counted,
        acknowledged,
        peaks,
        heapBefore,
        stopSampling,
      };
    },
    tailMs: 1_500,
    scenario: (context) => killAndRestart(server, 3_000, context),
    recoverFrom: 'server back',
    async measure({ tracker, counted, acknowledged, peaks, heapBefore, stopSampling }) {
      stopSampling();
      await tracker.flush();
      const stats = tracker.stats();
      const reader = server.connect();
      const readTracker = createHitTracker({ redis: reader });
      const final = await readHits(readTracker, counted.keys);
      await readTracker.close();
      reader.disconnect();
      const hits = counted.compare(final);
      const mb = (bytes: number) => (bytes / 2 ** 20).toFixed(1);
      return {
        counters: { 'hits acknowledged': acknowledged.compare(final) },
        details: {
          'hits made vs Redis': hits,
          buffer,
          'tracker error events': peaks.errorEvents,
          'peak pending keys / hits': `${peaks.pendingKeys} / ${peaks.pendingHits}`,
          'heap before / peak MB': `${mb(heapBefore)} / ${mb(peaks.heap)}`,
          'tracker stats': stats,
        },
        hits,
        stats,
      };
    },
    assert(load, { hits, stats }, { peaks }) {
      // Every hit made is in Redis exactly once, except those reported as dropped: none lost
      // silently, none written twice by a retried flush.
      expect(hits.final + stats.dropped).toBe(hits.acknowledged);
      expect(hits.extra).toBe(0);
      if (keyCount <= buffer.maxPendingKeys) expect(stats.dropped).toBe(0);
      else {
        // 2,000 keys cannot fit in 500 for 3 s: some hits must be dropped, and said so.
        expect(stats.dropped).toBeGreaterThan(0);
        expect(peaks.errorEvents).toBeGreaterThan(0);
      }
      expect(peaks.pendingKeys).toBeLessThanOrEqual(buffer.maxPendingKeys);
      // Counting into the buffer needs no Redis, so a buffered hit() must not reject during the outage.
      expect(load.failures.counts).toEqual({});
    },
  });
}

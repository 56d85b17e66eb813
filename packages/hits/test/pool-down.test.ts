import { createPool } from '@hitpool/pool';
import { randomPrefix, startRedisServer, waitFor } from '@hitpool/testing';
import { describe, expect, it } from 'vitest';
import { createHitTracker } from '../src/index.js';

describe('a tracker on a pool that fails fast or is full', () => {
  it('buffered hits stay pending while the pool is down and are written once when Redis is back', async () => {
    // Every write on disk at once: what was written before the kill is still there after.
    const server = await startRedisServer({ config: { appendonly: 'yes', appendfsync: 'always' } });
    const pool = createPool({ url: server.url, commandTimeoutMs: 300 });
    pool.on('error', () => {});
    const hits = createHitTracker({ redis: pool, buffer: { flushIntervalMs: 50 } });
    const errors: Error[] = [];
    hits.on('error', (error) => errors.push(error));
    const key = `${randomPrefix('down')}k`;
    try {
      await hits.hit(key);
      await hits.flush();
      await server.kill();
      await pool.client.get(key).catch(() => undefined);
      await waitFor('the pool to be down', () => pool.stats().health !== 'up', 3_000, 5);
      // Counting goes on; a flush now is refused unsent and its hits are kept, not dropped.
      for (let i = 0; i < 5; i++) await hits.hit(key);
      await expect(hits.flush()).rejects.toMatchObject({
        code: 'HITS_FLUSH_FAILED',
        cause: { code: 'POOL_UNAVAILABLE' },
      });
      expect(hits.stats()).toMatchObject({ pending: 5, dropped: 0 });
      await server.start();
      await waitFor('the hits to be written', () => hits.stats().pending === 0, 5_000, 20);
      expect(hits.stats().dropped).toBe(0);
      expect(await pool.client.get(`${key}_hit`).catch(() => null)).toBeDefined();
      const total = await createHitTracker({ redis: pool }).peek(key);
      expect(total.hits).toBe(6);
      expect(errors.every((error) => (error as { dropped?: number }).dropped === 0)).toBe(true);
    } finally {
      await hits.close().catch(() => undefined);
      await pool.close({ timeoutMs: 100 });
      await server.close();
    }
  });

  it('calls beyond maxPendingCommands in one turn reject at once with PoolQueueFullError', async () => {
    const server = await startRedisServer();
    const pool = createPool({ url: server.url, maxPendingCommands: 10 });
    const hits = createHitTracker({ redis: pool });
    const key = `${randomPrefix('full')}k`;
    try {
      const calls = await Promise.allSettled(Array.from({ length: 12 }, () => hits.get(key)));
      expect(calls.filter((call) => call.status === 'fulfilled')).toHaveLength(10);
      for (const call of calls.slice(10)) {
        expect(call).toMatchObject({
          status: 'rejected',
          reason: { name: 'PoolQueueFullError', code: 'POOL_QUEUE_FULL' },
        });
      }
      // A batch counts as its callers on the pool's client: with the server stopped, 10 calls in
      // flight fill it, and the pool's own commands are refused too.
      server.freeze();
      const held = Array.from({ length: 10 }, () => hits.get(key).catch((error: Error) => error));
      await new Promise((resolve) => setImmediate(resolve));
      await new Promise((resolve) => setImmediate(resolve));
      await expect(pool.client.get(key)).rejects.toMatchObject({ code: 'POOL_QUEUE_FULL' });
      server.thaw();
      await Promise.all(held);
    } finally {
      server.thaw();
      await hits.close();
      await pool.close({ timeoutMs: 100 });
      await server.close();
    }
  });
});

import { createPool } from '@hitpool/pool';
import {
  delay,
  type RedisServer,
  randomPrefix,
  startRedisServer,
  startTcpProxy,
  type TcpProxy,
  waitFor,
} from '@hitpool/testing';
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { createHitTracker, defaultHitKey, type HitsError, HitsFlushError } from '../src/index.js';

// Buffered counting through outages and lost replies: a flush is applied once, counting goes on
// while Redis is away, drops are reported at most once per interval. Flushes run when the test
// says so (explicit flush() or a faked interval), never on a real timer.

let server: RedisServer;
beforeAll(async () => {
  server = await startRedisServer();
});
afterEach(async () => {
  // A failed test must not leave the next one with fake timers or a stopped or frozen server.
  vi.useRealTimers();
  server.thaw();
  if (!server.running) await server.start();
});
afterAll(async () => {
  await server.close();
});

async function ready(client: Redis): Promise<Redis> {
  client.on('error', () => undefined);
  if (client.status !== 'ready') await new Promise((resolve) => client.once('ready', resolve));
  return client;
}

describe('a buffered flush is applied once', () => {
  it('a flush that timed out but still ran is not counted again when it is sent again', async () => {
    const client = await ready(server.connect({ commandTimeout: 200 }));
    const hits = createHitTracker({ redis: client, buffer: { flushIntervalMs: 60_000 } });
    const key = `${randomPrefix('f5-timeout')}k`;
    for (let i = 0; i < 5; i++) await hits.hit(key);
    server.freeze();
    // The script reaches the frozen server's socket; the client gives up on it after 200 ms.
    await expect(hits.flush()).rejects.toBeInstanceOf(HitsFlushError);
    expect(hits.stats()).toMatchObject({ pending: 5, flushes: 0, errors: 1 });
    server.thaw();
    // The server runs the script it had received: the caller was told it failed, yet it counted.
    await waitFor('the late script', async () => (await client.get(defaultHitKey(key))) === '5');
    // The kept batch goes out again with the same number: Redis recognises it.
    await hits.flush();
    expect(await client.get(defaultHitKey(key))).toBe('5');
    expect(hits.stats()).toMatchObject({ pending: 0, pendingKeys: 0, flushes: 1, dropped: 0 });
    // New hits of the same key are a new batch and do count.
    await hits.hit(key);
    await hits.flush();
    expect(await client.get(defaultHitKey(key))).toBe('6');
    await hits.close();
    await client.quit();
  });

  it('a flush whose reply was lost in a connection drop is resent by ioredis and counted once', async () => {
    const proxy: TcpProxy = await startTcpProxy(server.port);
    const client = await ready(
      new Redis({ host: '127.0.0.1', port: proxy.port, retryStrategy: () => 20 }),
    );
    const hits = createHitTracker({ redis: client, buffer: { flushIntervalMs: 60_000 } });
    const key = `${randomPrefix('f5-drop')}k`;
    for (let i = 0; i < 3; i++) await hits.hit(key);
    try {
      server.freeze();
      const flushed = hits.flush();
      await delay(50);
      // The script sits in the frozen server's socket; the client's connection dies unanswered,
      // so ioredis sends it again on its next connection (autoResendUnfulfilledCommands).
      proxy.resetConnections();
      await waitFor('the client to reconnect', () => proxy.stats.open > 0, 5000, 10);
      server.thaw();
      await flushed;
      expect(await client.get(defaultHitKey(key))).toBe('3');
      expect(hits.stats()).toMatchObject({ pending: 0, flushes: 1, dropped: 0 });
    } finally {
      server.thaw();
      await hits.close();
      client.disconnect();
      await proxy.close();
    }
  });

  it('starts no interval flush while the client reconnects, and writes everything once after', async () => {
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval'] });
    const pool = createPool({ url: server.url, commandTimeoutMs: 300 });
    const hits = createHitTracker({ redis: pool, buffer: { flushIntervalMs: 100 } });
    const keys = Array.from({ length: 20 }, (_, i) => `${randomPrefix('f5-pool')}${i}`);
    const hitAll = () => Promise.all(keys.map((key) => hits.hit(key)));
    try {
      await hitAll();
      vi.advanceTimersByTime(100);
      await waitFor('a flush', () => hits.stats().flushes === 1, 5000, 10);
      await hitAll();
      await server.kill();
      await waitFor('the client to notice', () => pool.client.status !== 'ready', 5000, 10);
      // Counting goes on while Redis is away: every hit() resolves.
      const during = await Promise.all([hitAll(), hitAll()]);
      expect(during.flat().every((total) => Number.isInteger(total) && total >= 1)).toBe(true);
      // (stats().errors counts the reads that failed; no flush may add to it.)
      const { errors } = hits.stats();
      vi.advanceTimersByTime(100);
      await delay(20);
      expect(hits.stats()).toMatchObject({ flushes: 1, errors, pending: 60, dropped: 0 });
      await server.start();
      await waitFor('the client to reconnect', () => pool.client.status === 'ready', 10_000, 10);
      vi.advanceTimersByTime(100);
      await waitFor('the flush after the outage', () => hits.stats().pending === 0, 5000, 10);
      // The server restarted empty (no persistence): it holds exactly the hits made since.
      for (const key of keys) expect(await pool.client.get(defaultHitKey(key))).toBe('3');
    } finally {
      await hits.close().catch(() => undefined);
      await pool.close();
    }
  });
});

describe('buffered hit() and get() while Redis is away', () => {
  it('hit() resolves with the best known total; get() rejects and does not count', async () => {
    const client = await ready(
      server.connect({ maxRetriesPerRequest: 0, enableOfflineQueue: false }),
    );
    const hits = createHitTracker({ redis: client, buffer: { flushIntervalMs: 60_000 } });
    const p = randomPrefix('f6');
    expect(await hits.hit(`${p}k`)).toBe(1);
    expect(await hits.hit(`${p}k`)).toBe(2);
    await hits.flush();
    expect(await hits.hit(`${p}k`)).toBe(3);
    await server.stop();
    await waitFor('the client to notice', () => client.status !== 'ready', 5000, 10);
    // Counted in memory, so it resolves: last total read (3) plus the hits counted since.
    expect(await hits.hit(`${p}k`)).toBe(4);
    expect(await Promise.all([hits.hit(`${p}k`), hits.hit(`${p}k`)])).toEqual([5, 6]);
    // A key never read by this tracker: only its hits held here are known.
    expect(await hits.hit(`${p}new`)).toBe(1);
    // get() needs the value: it rejects, and a rejected get() did not count.
    await expect(hits.get(`${p}k`)).rejects.toThrow();
    expect(hits.stats()).toMatchObject({ pending: 5, dropped: 0 });
    await server.start();
    await ready(client);
    await hits.flush();
    // The server restarted empty (no persistence): it holds the 4 hits kept during the outage.
    expect(await client.get(defaultHitKey(`${p}k`))).toBe('4');
    expect(await client.get(defaultHitKey(`${p}new`))).toBe('1');
    expect(await hits.get(`${p}k`)).toMatchObject({ hits: 5 });
    await hits.close();
    expect(await client.get(defaultHitKey(`${p}k`))).toBe('5');
    await client.quit();
  });
});

describe('dropped hits are reported at most once per interval', () => {
  it('merges drops into one error event per flush interval, carrying the count and keys', async () => {
    const client = await ready(
      server.connect({ maxRetriesPerRequest: 0, enableOfflineQueue: false }),
    );
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval'] });
    const hits = createHitTracker({
      redis: client,
      buffer: { flushIntervalMs: 60_000, maxPendingKeys: 2 },
    });
    const drops: HitsFlushError[] = [];
    hits.on('error', (error: HitsError) => {
      if (error instanceof HitsFlushError && error.dropped > 0) drops.push(error);
    });
    await server.stop();
    await waitFor('the client to notice', () => client.status !== 'ready', 5000, 10);
    await hits.hit('a');
    await hits.hit('b');
    // Full: every new key is dropped. The first drop is reported at once...
    await hits.hit('c');
    expect(drops.map((e) => e.dropped)).toEqual([1]);
    // ...the next 300 wait for the interval: one event, not 300.
    await Promise.all(Array.from({ length: 300 }, (_, i) => hits.hit(`d${i}`)));
    expect(drops).toHaveLength(1);
    vi.advanceTimersByTime(60_000);
    expect(drops.map((e) => e.dropped)).toEqual([1, 300]);
    expect(drops[1]).toMatchObject({ code: 'HITS_FLUSH_FAILED', firstKey: 'd0', lastKey: 'd299' });
    expect(drops[1]?.message).toMatch(/dropped 300 buffered hit\(s\) \(keys "d0" … "d299"\)/);
    vi.advanceTimersByTime(60_000);
    expect(drops).toHaveLength(2);
    expect(hits.stats()).toMatchObject({ dropped: 301, pending: 2, pendingKeys: 2 });
    await server.start();
    await ready(client);
    await hits.close();
    expect(await client.mget(defaultHitKey('a'), defaultHitKey('b'))).toEqual(['1', '1']);
    await client.del(defaultHitKey('a'), defaultHitKey('b'));
    await client.quit();
  });
});

import { delay, type RedisServer, randomPrefix, startRedisServer, waitFor } from '@hitpool/testing';
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, inject, it, vi } from 'vitest';
import {
  createHitTracker,
  defaultHitKey,
  type HitsError,
  HitsFlushError,
  slotTagOfKey,
} from '../src/index.js';
import { windowIndex } from '../src/layout.js';
import { awayFromWindowEdge } from './clock.js';

let redis: Redis;
beforeAll(() => {
  redis = new Redis(inject('redisUrl'));
});
afterAll(async () => {
  await redis.quit();
});

afterEach(() => {
  vi.useRealTimers();
});

describe('buffered mode', () => {
  it('sums hits in memory, returns server + unflushed, writes them on each interval', async () => {
    await awayFromWindowEdge();
    const p = randomPrefix('buffer');
    const key = `${p}k`;
    await redis.set(key, 'v');
    const board = `${p}board`;
    // Only the flush interval is faked, so the test decides when it fires, however busy the machine.
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval'] });
    const hits = createHitTracker({
      redis,
      buffer: { flushIntervalMs: 150 },
      windows: ['minute'],
      leaderboard: { key: board },
      uniques: true,
    });
    expect(await hits.get(key, { visitor: 'a' })).toMatchObject({
      value: 'v',
      hits: 1,
      windows: { minute: 1 },
    });
    expect(await hits.hit(key, { visitor: 'b' })).toBe(2);
    expect(await hits.get(key)).toMatchObject({ hits: 3, windows: { minute: 3 } });
    // Nothing written yet.
    expect(await redis.get(defaultHitKey(key))).toBeNull();
    expect(hits.stats()).toMatchObject({ pending: 3, pendingKeys: 1, flushes: 0 });
    vi.advanceTimersByTime(150);
    vi.useRealTimers();
    await waitFor('a flush', () => hits.stats().flushes === 1, 5000, 20);
    const minuteKey = `{${slotTagOfKey(key)}}:hits:minute:${windowIndex('minute', Date.now())}:${key}`;
    expect(await redis.get(defaultHitKey(key))).toBe('3');
    expect(await redis.get(minuteKey)).toBe('3');
    expect(await redis.ttl(minuteKey)).toBeGreaterThan(0);
    expect(await redis.zscore(board, key)).toBe('3');
    expect(await hits.get(key)).toMatchObject({ hits: 4, uniques: 2 });
    expect(hits.stats()).toMatchObject({ pending: 1, errors: 0, dropped: 0 });
    await hits.close();
    // close() flushed the last hit.
    expect(await redis.get(defaultHitKey(key))).toBe('4');
    await hits.close();
    await redis.del(
      key,
      board,
      defaultHitKey(key),
      minuteKey,
      `{${slotTagOfKey(key)}}:hits:uniques:${key}`,
    );
  });

  it('flushes early when maxPendingKeys would be exceeded', async () => {
    const p = randomPrefix('early');
    const hits = createHitTracker({
      redis,
      buffer: { flushIntervalMs: 60_000, maxPendingKeys: 3 },
    });
    for (const k of ['a', 'b', 'c']) await hits.hit(`${p}${k}`);
    expect(hits.stats()).toMatchObject({ pendingKeys: 3, flushes: 0 });
    await hits.hit(`${p}d`);
    await waitFor('the early flush', () => hits.stats().flushes === 1, 5000, 10);
    expect(await redis.get(defaultHitKey(`${p}a`))).toBe('1');
    expect(hits.stats()).toMatchObject({ pendingKeys: 1, dropped: 0 });
    await hits.close();
    for (const k of ['a', 'b', 'c', 'd']) await redis.del(defaultHitKey(`${p}${k}`));
  });

  it('runs an unref()ed timer and clears it on close()', async () => {
    const set = vi.spyOn(globalThis, 'setInterval');
    const clear = vi.spyOn(globalThis, 'clearInterval');
    try {
      const hits = createHitTracker({ redis, buffer: { flushIntervalMs: 50 } });
      expect(set).toHaveBeenCalledTimes(1);
      const timer = set.mock.results[0]?.value as NodeJS.Timeout;
      expect(timer.hasRef()).toBe(false);
      await hits.close();
      expect(clear).toHaveBeenCalledWith(timer);
    } finally {
      set.mockRestore();
      clear.mockRestore();
    }
  });

  it('reset forgets unflushed hits too', async () => {
    const p = randomPrefix('reset');
    const hits = createHitTracker({ redis, buffer: { flushIntervalMs: 60_000 } });
    await hits.hit(`${p}k`);
    await hits.flush();
    await hits.hit(`${p}k`);
    await hits.reset(`${p}k`);
    expect(await hits.peek(`${p}k`)).toMatchObject({ hits: 0 });
    await hits.close();
    expect(await redis.get(defaultHitKey(`${p}k`))).toBeNull();
  });
});

describe('buffered mode when the server is away', () => {
  let server: RedisServer;
  beforeAll(async () => {
    server = await startRedisServer();
  });
  afterEach(async () => {
    // A failed test must not leave the next one with fake timers or a stopped server.
    vi.useRealTimers();
    if (!server.running) await server.start();
  });
  afterAll(async () => {
    await server.close();
  });

  /** A client whose commands fail at once while the server is down. */
  async function failFastClient(): Promise<Redis> {
    const client = server.connect({ maxRetriesPerRequest: 0, enableOfflineQueue: false });
    client.on('error', () => undefined);
    await new Promise((resolve) => client.once('ready', resolve));
    return client;
  }

  it('keeps the hits of a failed flush and writes them once the server is back', async () => {
    const client = await failFastClient();
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval'] });
    const hits = createHitTracker({ redis: client, buffer: { flushIntervalMs: 100 } });
    const errors: HitsError[] = [];
    hits.on('error', (error) => errors.push(error));
    await hits.hit('k');
    await hits.hit('k');
    await server.stop();
    await waitFor('the client to notice', () => client.status !== 'ready', 5000, 10);
    // The interval does not start a flush while the client reconnects...
    vi.advanceTimersByTime(100);
    await delay(50);
    expect(hits.stats()).toMatchObject({ pending: 2, flushes: 0, errors: 0 });
    // ...an explicit flush() tries, fails and keeps the hits.
    await expect(hits.flush()).rejects.toBeInstanceOf(HitsFlushError);
    expect(errors[0]).toBeInstanceOf(HitsFlushError);
    expect(errors[0]?.message).toMatch(/kept and sent again/);
    expect(hits.stats()).toMatchObject({ pending: 2, dropped: 0, errors: 1 });
    await server.start();
    if (client.status !== 'ready') await new Promise((resolve) => client.once('ready', resolve));
    vi.advanceTimersByTime(100);
    vi.useRealTimers();
    await waitFor('a flush after the restart', () => hits.stats().flushes > 0, 10_000, 20);
    expect(await client.get(defaultHitKey('k'))).toBe('2');
    expect(hits.stats()).toMatchObject({ pending: 0, dropped: 0 });
    await hits.close();
    await client.quit();
  });

  it('reports what it cannot keep in stats().dropped and an error event; close() rejects', async () => {
    const client = await failFastClient();
    const hits = createHitTracker({
      redis: client,
      buffer: { flushIntervalMs: 60_000, maxPendingKeys: 2 },
    });
    const dropped: number[] = [];
    hits.on('error', (error) => {
      if (error instanceof HitsFlushError && error.dropped > 0) dropped.push(error.dropped);
    });
    await server.stop();
    hits.hit('a').catch(() => undefined);
    hits.hit('a').catch(() => undefined);
    hits.hit('b').catch(() => undefined);
    await delay(0);
    await expect(hits.flush()).rejects.toBeInstanceOf(HitsFlushError);
    // The map is full with kept hits: a new key cannot be kept.
    hits.hit('c').catch(() => undefined);
    await waitFor('the drop', () => hits.stats().dropped === 1, 5000, 10);
    expect(dropped).toEqual([1]);
    expect(hits.stats()).toMatchObject({ pending: 3, pendingKeys: 2 });
    await expect(hits.close()).rejects.toMatchObject({ code: 'HITS_FLUSH_FAILED', dropped: 3 });
    expect(hits.stats()).toMatchObject({ pending: 0, dropped: 4 });
    expect(dropped).toEqual([1, 3]);
    await server.start();
    client.disconnect();
  });
});

import { delay, type RedisServer, randomPrefix, startRedisServer, waitFor } from '@hitpool/testing';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPool } from '../src/index.js';
import { trackedPools } from './pools.js';

const pool = trackedPools();

describe('the blocking lane', () => {
  it('lends up to maxBlocking connections outside max, with waiters, timeouts and clean releases', async () => {
    const p = pool({ max: 1, maxBlocking: 2 });
    const ordinary = await p.acquire();
    const a = await p.acquire({ blocking: true });
    const b = await p.acquire({ blocking: true });
    expect(p.stats()).toMatchObject({
      size: 1,
      borrowed: 1,
      max: 1,
      blocking: { size: 2, idle: 0, borrowed: 2, pending: 0, max: 2 },
    });
    await expect(p.acquire({ blocking: true, timeoutMs: 50 })).rejects.toMatchObject({
      code: 'POOL_ACQUIRE_TIMEOUT',
      message: expect.stringMatching(
        /blocking lane: size=2 idle=0 borrowed=2 pending=0 maxBlocking=2/,
      ),
    });
    const waiting = p.acquire({ blocking: true });
    await delay(10);
    expect(p.stats().blocking.pending).toBe(1);
    // A dirty blocking lease is cleaned like any other before the next borrower gets it.
    await (a.redis as Redis).select(4);
    a.release();
    const next = await waiting;
    expect(await (next.redis as Redis).call('CLIENT', 'INFO')).toMatch(/ db=0 /);
    next.release();
    b.release();
    ordinary.release();
    expect(p.stats()).toMatchObject({
      size: 1,
      idle: 1,
      blocking: { size: 2, idle: 2, borrowed: 0, pending: 0 },
      resets: 1,
    });
    // use() takes the blocking lane too.
    const list = `${randomPrefix('lane')}list`;
    await p.client.rpush(list, 'job');
    expect(await p.use((redis) => redis.blpop(list, 1), { blocking: true })).toEqual([list, 'job']);
  });

  it('applies maxWaiting per lane and rejects a bad maxBlocking with PoolConfigError', async () => {
    const p = pool({ max: 1, maxBlocking: 1, maxWaiting: 1 });
    const held = [await p.acquire(), await p.acquire({ blocking: true })];
    const waiting = [p.acquire(), p.acquire({ blocking: true })];
    await expect(p.acquire({ blocking: true })).rejects.toMatchObject({
      code: 'POOL_QUEUE_FULL',
      message: expect.stringContaining('1 blocking acquires are already waiting'),
    });
    for (const lease of held) lease.release();
    for (const lease of await Promise.all(waiting)) lease.release();
    expect(() => createPool({ maxBlocking: 0 })).toThrow(
      /`maxBlocking`: got 0; must be a positive/,
    );
  });
});

describe('the blocking lane on a server of its own', () => {
  let server: RedisServer;
  let admin: Redis;
  beforeAll(async () => {
    server = await startRedisServer();
    admin = server.connect();
  });
  afterAll(async () => {
    admin?.disconnect();
    await server?.close();
  });

  async function blockedClients(): Promise<number> {
    const info = await admin.info('clients');
    return Number(/blocked_clients:(\d+)/.exec(info)?.[1] ?? -1);
  }

  it('never opens more than max + maxBlocking + 1 connections', async () => {
    const p = createPool({ url: server.url, max: 2, maxBlocking: 3 });
    const list = `${randomPrefix('lane')}list`;
    const base = await server.connectedClients();
    let peak = 0;
    let sampling = true;
    const sampler = (async () => {
      while (sampling) {
        peak = Math.max(peak, (await server.connectedClients()) - base);
        await delay(5);
      }
    })();
    try {
      await Promise.all([
        ...Array.from({ length: 30 }, () => p.use((redis) => redis.blpop(list, 0.05))),
        ...Array.from({ length: 30 }, () =>
          p.use((redis) => redis.blpop(list, 0.05), { blocking: true }),
        ),
        ...Array.from({ length: 200 }, (_, i) => p.client.set(`${list}:${i}`, 'v')),
      ]);
    } finally {
      sampling = false;
      await sampler;
      await p.close();
    }
    expect(peak).toBeGreaterThanOrEqual(4);
    expect(peak).toBeLessThanOrEqual(2 + 3 + 1);
  });

  it('50 consumers parked in BLPOP 0 on the blocking lane do not slow WATCH/MULTI transactions (max 2)', async () => {
    const p = createPool({ url: server.url, max: 2, maxBlocking: 50 });
    const prefix = randomPrefix('lane');
    const list = `${prefix}jobs`;
    const CALLERS = 8;
    const PER_ROUND = 2_000;
    const ROUNDS = 7;

    /** One round of transactions from CALLERS concurrent callers; p99 latency in ms. */
    async function round(): Promise<{ p99: number; p50: number }> {
      const latencies: number[] = [];
      let left = PER_ROUND;
      await Promise.all(
        Array.from({ length: CALLERS }, async (_, caller) => {
          const key = `${prefix}balance:${caller}`;
          while (left-- > 0) {
            const start = performance.now();
            await p.use(async (redis) => {
              await redis.watch(key);
              const balance = Number(await redis.get(key));
              await redis
                .multi()
                .set(key, balance + 1)
                .exec();
            });
            latencies.push(performance.now() - start);
          }
        }),
      );
      latencies.sort((a, b) => a - b);
      const at = (q: number) =>
        latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] ?? 0;
      return { p50: at(0.5), p99: at(0.99) };
    }

    let consumers: Promise<unknown>[] = [];
    async function park(): Promise<void> {
      consumers = Array.from({ length: 50 }, () =>
        p.use((redis) => redis.blpop(list, 0), { blocking: true }),
      );
      await waitFor('50 consumers parked in BLPOP 0', async () => (await blockedClients()) === 50);
    }
    async function wake(): Promise<void> {
      await p.client.rpush(list, ...Array.from({ length: 50 }, (_, i) => `job${i}`));
      await Promise.all(consumers);
      expect(await blockedClients()).toBe(0);
    }

    try {
      await round(); // warm-up
      const without: number[] = [];
      const withConsumers: number[] = [];
      const lines: string[] = [];
      for (let i = 0; i < ROUNDS; i++) {
        const alone = await round();
        without.push(alone.p99);
        await park();
        expect(p.stats()).toMatchObject({
          max: 2,
          blocking: { borrowed: 50, max: 50 },
        });
        const loaded = await round();
        // Nobody was woken or disturbed while the transactions ran.
        expect(await blockedClients()).toBe(50);
        withConsumers.push(loaded.p99);
        await wake();
        lines.push(
          `round ${i + 1}: without consumers p50 ${alone.p50.toFixed(2)} p99 ${alone.p99.toFixed(2)} ms; with 50 parked p50 ${loaded.p50.toFixed(2)} p99 ${loaded.p99.toFixed(2)} ms`,
        );
      }
      const median = (v: number[]) => [...v].sort((a, b) => a - b)[Math.floor(ROUNDS / 2)] ?? 0;
      const ratio = median(withConsumers) / median(without);
      console.log(
        `${lines.join('\n')}\nWATCH/MULTI p99 (median of ${ROUNDS} interleaved rounds of ${PER_ROUND}, ${CALLERS} callers, max 2): ${median(without).toFixed(2)} ms without, ${median(withConsumers).toFixed(2)} ms with 50 consumers parked: ${ratio.toFixed(2)}×`,
      );
      expect(p.stats()).toMatchObject({ timeouts: 0, size: 2 });
      expect(ratio).toBeLessThanOrEqual(1.5);
    } finally {
      await p.close({ timeoutMs: 100 });
    }
  }, 60_000);
});

import { randomPrefix, startRedisServer, startTcpProxy, waitFor } from '@hitpool/testing';
import type { Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';
import { PoolLeaseReleasedError, PoolQueueFullError } from '../src/index.js';
import { trackedPools } from './pools.js';

const pool = trackedPools();

/** `CLIENT INFO` of a lease's connection as a field map. */
async function clientInfo(redis: Redis): Promise<Record<string, string>> {
  const line = String(await redis.call('CLIENT', 'INFO')).trim();
  return Object.fromEntries(line.split(' ').map((pair) => pair.split('=', 2) as [string, string]));
}

describe('leases', () => {
  it('is lazy: no connection until the first acquire', async () => {
    const server = await startRedisServer();
    try {
      const lazy = pool({ url: server.url });
      const before = await server.connectedClients(); // redis-cli's own connection
      expect(lazy.stats()).toMatchObject({ size: 0, created: 0 });
      await new Promise((resolve) => setTimeout(resolve, 100));
      expect(await server.connectedClients()).toBe(before);
      await lazy.use((redis) => redis.ping());
      expect(await server.connectedClients()).toBe(before + 1);
      expect(lazy.stats()).toMatchObject({ size: 1, idle: 1, created: 1, acquired: 1 });
    } finally {
      await server.close();
    }
  });

  it('never lends more than max and serves waiters first come, first served', async () => {
    const p = pool({ max: 2 });
    const held = [await p.acquire(), await p.acquire()];
    const order: number[] = [];
    const waiting = [1, 2, 3, 4].map((n) =>
      p.acquire().then(async (lease) => {
        order.push(n);
        expect(p.stats().borrowed).toBeLessThanOrEqual(2);
        await new Promise((resolve) => setTimeout(resolve, 5));
        lease.release();
      }),
    );
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(p.stats()).toMatchObject({ size: 2, borrowed: 2, pending: 4 });
    for (const lease of held) lease.release();
    await Promise.all(waiting);
    expect(order).toEqual([1, 2, 3, 4]);
    const { waitMs } = p.stats();
    expect(waitMs.max).toBeGreaterThanOrEqual(20);
    expect(waitMs.p99).toBeLessThanOrEqual(waitMs.max);
    expect(p.stats()).toMatchObject({ size: 2, created: 2, borrowed: 0, pending: 0 });
  });

  it('rejects at once with PoolQueueFullError when maxWaiting acquires already wait', async () => {
    const p = pool({ max: 1, maxWaiting: 2 });
    const held = await p.acquire();
    const waiting = [p.acquire(), p.acquire()].map((acquiring) =>
      acquiring.then((lease) => lease.release()),
    );
    await expect(p.acquire()).rejects.toBeInstanceOf(PoolQueueFullError);
    await expect(p.acquire()).rejects.toMatchObject({ code: 'POOL_QUEUE_FULL' });
    expect(p.stats().rejected).toBe(2);
    held.release();
    await Promise.all(waiting);
  });

  it('rejects an aborted acquire with the signal reason and keeps the queue intact', async () => {
    const p = pool({ max: 1 });
    const held = await p.acquire();
    const controller = new AbortController();
    const aborted = p.acquire({ signal: controller.signal });
    const next = p.acquire();
    controller.abort();
    await expect(aborted).rejects.toMatchObject({ name: 'AbortError' });
    expect(p.stats().pending).toBe(1);
    held.release();
    (await next).release();
    await expect(p.acquire({ signal: AbortSignal.abort(new Error('gone')) })).rejects.toThrow(
      'gone',
    );
  });

  it('honours a per-call timeoutMs and rejects a bad one with PoolConfigError', async () => {
    const p = pool({ max: 1 });
    const held = await p.acquire();
    const start = performance.now();
    await expect(p.acquire({ timeoutMs: 50 })).rejects.toMatchObject({
      code: 'POOL_ACQUIRE_TIMEOUT',
      message: expect.stringContaining('within 50 ms'),
    });
    expect(performance.now() - start).toBeGreaterThanOrEqual(45);
    await expect(p.acquire({ timeoutMs: -1 })).rejects.toMatchObject({
      code: 'POOL_INVALID_OPTIONS',
      option: 'timeoutMs',
    });
    held.release();
  });

  it('makes the lease unusable after release; release is idempotent', async () => {
    const p = pool();
    const lease = await p.acquire();
    lease.release();
    lease.release();
    expect(() => lease.redis).toThrow(PoolLeaseReleasedError);
    expect(p.stats()).toMatchObject({ borrowed: 0, released: 1 });
  });

  it('gives a clean connection back to the next borrower after SELECT, MULTI, WATCH and SETNAME', async () => {
    const p = pool({ max: 1 });
    const key = `${randomPrefix('clean')}k`;
    const first = await p.acquire();
    const id = (await clientInfo(first.redis as Redis)).id;
    await (first.redis as Redis).select(5);
    await (first.redis as Redis).client('SETNAME', 'borrower');
    await (first.redis as Redis).watch(key);
    await (first.redis as Redis).call('MULTI');
    await (first.redis as Redis).call('SET', key, 'x');
    first.release();
    const second = await p.acquire();
    const info = await clientInfo(second.redis as Redis);
    expect(info).toMatchObject({ id, db: '0', name: '', multi: '-1', resp: '3' });
    expect(info.flags).not.toContain('x');
    // The queued SET was discarded, not executed.
    expect(await (second.redis as Redis).get(key)).toBeNull();
    second.release();
    expect(p.stats()).toMatchObject({ resets: 1, created: 1, destroyed: 0 });
  });

  it('returns a lease untouched (no RESET) when it stayed clean, even after a full transaction', async () => {
    const p = pool({ max: 1 });
    const key = `${randomPrefix('txn')}k`;
    await p.use(async (redis) => {
      await redis.watch(key);
      await redis.multi().set(key, '1').incr(key).exec();
      await redis.select(0);
    });
    expect(p.stats()).toMatchObject({ resets: 0, destroyed: 0 });
    await p.use((redis) => redis.del(key));
  });

  it('destroys a lease that subscribed, and one released with a blocking command pending', async () => {
    const p = pool({ max: 1 });
    const destroyed: string[] = [];
    p.on('destroy', (event) => destroyed.push(event.reason));
    const subscriber = await p.acquire();
    await (subscriber.redis as Redis).subscribe(randomPrefix('chan'));
    subscriber.release();
    const blocker = await p.acquire();
    const pending = (blocker.redis as Redis).blpop(randomPrefix('list'), 5).catch(() => 'closed');
    blocker.release();
    await expect(pending).resolves.toBe('closed');
    const fresh = await p.acquire();
    const info = await clientInfo(fresh.redis as Redis);
    expect(info.sub).toBe('0');
    fresh.release();
    expect(destroyed).toEqual(['dirty', 'dirty']);
    expect(p.stats().created).toBe(3);
  });

  it('sends nothing on release of a clean lease, and one round trip to reset a dirty one', async () => {
    const server = await startRedisServer();
    const proxy = await startTcpProxy(server.port);
    try {
      const p = pool({ url: `redis://127.0.0.1:${proxy.port}`, max: 1 });
      await p.use((redis) => redis.ping());
      proxy.resetStats();
      const lease = await p.acquire();
      await lease.redis.ping();
      lease.release();
      await new Promise((resolve) => setTimeout(resolve, 20));
      expect(proxy.stats.roundTrips).toBe(1);
      proxy.resetStats();
      await p.use((redis) => (redis as Redis).select(3));
      await waitFor('the reset to finish', () => p.stats().idle === 1);
      // SELECT itself, then RESET + HELLO + SELECT + CLIENT SETNAME written together.
      expect(proxy.stats.roundTrips).toBe(2);
    } finally {
      await proxy.close();
      await server.close();
    }
  });

  it('never hands out a connection whose socket failed', async () => {
    const server = await startRedisServer();
    const proxy = await startTcpProxy(server.port);
    try {
      const p = pool({ url: `redis://127.0.0.1:${proxy.port}`, max: 2 });
      const lease = await p.acquire();
      const idleOne = await p.acquire();
      idleOne.release();
      proxy.resetConnections();
      await expect((lease.redis as Redis).ping()).rejects.toThrow();
      lease.release();
      // The idle one is dropped as soon as its socket reports the reset.
      await waitFor('the idle connection to be dropped', () => p.stats().idle === 0);
      const after = await p.acquire();
      expect(await after.redis.ping()).toBe('PONG');
      after.release();
      expect(p.stats()).toMatchObject({ created: 3, destroyed: 2, size: 1 });
    } finally {
      await proxy.close();
      await server.close();
    }
  });

  it('PINGs a connection idle longer than validateAfterIdleMs and replaces a dead one', async () => {
    const server = await startRedisServer();
    const proxy = await startTcpProxy(server.port);
    try {
      const p = pool({
        url: `redis://127.0.0.1:${proxy.port}`,
        validateAfterIdleMs: 50,
        connectTimeoutMs: 1_000,
      });
      const reasons: string[] = [];
      p.on('destroy', (event) => reasons.push(event.reason));
      await p.use((redis) => redis.ping());
      await new Promise((resolve) => setTimeout(resolve, 80));
      // The socket stays open but nothing comes back: only a PING can tell.
      proxy.blackhole(true);
      const acquiring = p.acquire();
      setTimeout(() => proxy.blackhole(false), 100);
      const lease = await acquiring;
      expect(await lease.redis.ping()).toBe('PONG');
      lease.release();
      expect(reasons).toEqual(['validation']);
      expect(p.stats()).toMatchObject({ created: 2, destroyed: 1 });
    } finally {
      await proxy.close();
      await server.close();
    }
  });

  it('destroy() closes the connection instead of returning it', async () => {
    const p = pool();
    const lease = await p.acquire();
    await lease.destroy();
    await lease.destroy();
    expect(p.stats()).toMatchObject({ size: 0, destroyed: 1, borrowed: 0 });
  });

  it('use() releases even when the callback throws', async () => {
    const p = pool();
    await expect(
      p.use(() => {
        throw new Error('boom');
      }),
    ).rejects.toThrow('boom');
    expect(p.stats()).toMatchObject({ borrowed: 0, idle: 1 });
  });
});

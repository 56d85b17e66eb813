import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { freePort, startRedisServer, waitFor } from '@hitpool/testing';
import { describe, expect, inject, it } from 'vitest';
import {
  createPool,
  PoolClosedError,
  type PoolEventMap,
  type PooledConnection,
  type RedisPool,
} from '../src/index.js';

const url = (): string => inject('redisUrl');

describe('lifecycle', () => {
  it('fills min in the background; a failure there is an error event, not an unhandled rejection', async () => {
    const server = await startRedisServer();
    const filled = createPool({ url: server.url, min: 2, max: 4 });
    const port = await freePort();
    const failing = createPool({ url: `redis://127.0.0.1:${port}`, min: 1 });
    const errors: Error[] = [];
    failing.on('error', (error) => errors.push(error));
    try {
      await waitFor('min connections', () => filled.stats().idle === 2);
      expect(filled.stats()).toMatchObject({ size: 2, created: 2, acquired: 0 });
      await waitFor('a connection error event', () => errors.length > 0);
      expect(errors[0]?.message).toContain('ECONNREFUSED');
      expect(failing.stats().size).toBe(0);
    } finally {
      await filled.close();
      await failing.close();
      await server.close();
    }
  });

  it('closes idle connections above min after idleTimeoutMs, keeping min', async () => {
    const pool = createPool({ url: url(), min: 1, max: 3, idleTimeoutMs: 150 });
    const reasons: string[] = [];
    pool.on('destroy', (event) => reasons.push(event.reason));
    try {
      const leases = await Promise.all([pool.acquire(), pool.acquire(), pool.acquire()]);
      for (const lease of leases) lease.release();
      expect(pool.stats().idle).toBe(3);
      await waitFor('idle connections to be closed', () => pool.stats().size === 1, 5_000, 20);
      expect(reasons).toEqual(['idle', 'idle']);
      await new Promise((resolve) => setTimeout(resolve, 250));
      expect(pool.stats()).toMatchObject({ size: 1, idle: 1 });
    } finally {
      await pool.close();
    }
  });

  it('retires each connection after maxLifetimeMs ± jitter, also when returned late', async () => {
    const pool = createPool({
      url: url(),
      max: 6,
      maxLifetimeMs: 400,
      lifetimeJitterMs: 150,
      idleTimeoutMs: 0,
    });
    const created = new Map<number, number>();
    const lifetimes: number[] = [];
    const reasons = new Set<string>();
    pool.on('create', (event) => created.set(event.connectionId, Date.now()));
    pool.on('destroy', (event) => {
      reasons.add(event.reason);
      lifetimes.push(Date.now() - (created.get(event.connectionId) ?? 0));
    });
    try {
      const leases = await Promise.all(Array.from({ length: 6 }, () => pool.acquire()));
      for (const lease of leases) lease.release();
      await waitFor('every connection to retire', () => lifetimes.length === 6, 6_000, 20);
      // Lower bound exact (never early); upper bound loose, timers run late on a busy machine.
      for (const ms of lifetimes) {
        expect(ms).toBeGreaterThanOrEqual(240);
        expect(ms).toBeLessThan(2_000);
      }
      expect([...reasons]).toEqual(['lifetime']);
      // A lease returned after its lifetime is closed instead of parked.
      const late = await pool.acquire();
      await new Promise((resolve) => setTimeout(resolve, 600));
      late.release();
      expect(pool.stats()).toMatchObject({ size: 0, destroyed: 7 });
    } finally {
      await pool.close();
    }
  });

  it('emits leak with the stack of the code that acquired the lease', async () => {
    const pool = createPool({ url: url(), leakDetectionMs: 300 });
    const leaks: PoolEventMap['leak'][] = [];
    pool.on('leak', (event) => leaks.push(event));
    try {
      const lease = await (async function acquireAndForget() {
        return pool.acquire();
      })();
      await waitFor('a leak event', () => leaks.length === 1, 5_000, 10);
      expect(leaks[0]?.stack).toContain('acquireAndForget');
      expect(leaks[0]?.stack).toContain('lifecycle.test.ts');
      expect(leaks[0]?.heldMs).toBeGreaterThanOrEqual(295);
      expect(pool.stats().leaks).toBe(1);
      lease.release();
      // A lease released in time is no leak.
      await pool.use((redis) => redis.ping());
      await new Promise((resolve) => setTimeout(resolve, 350));
      expect(pool.stats().leaks).toBe(1);
    } finally {
      await pool.close();
    }
  });

  it('close(): rejects new and waiting acquires, waits for leases up to timeoutMs, is idempotent', async () => {
    const server = await startRedisServer();
    const pool = createPool({ url: server.url, max: 1 });
    try {
      expect(await pool.client.ping()).toBe('PONG');
      const lease = await pool.acquire();
      const waiting = pool.acquire();
      let closed = false;
      const closing = pool.close({ timeoutMs: 2_000 }).then(() => {
        closed = true;
      });
      await expect(waiting).rejects.toBeInstanceOf(PoolClosedError);
      await expect(pool.acquire()).rejects.toMatchObject({ code: 'POOL_CLOSED' });
      // The borrower may finish its work during the grace period.
      expect(await lease.redis.ping()).toBe('PONG');
      await new Promise((resolve) => setTimeout(resolve, 50));
      expect(closed).toBe(false);
      lease.release();
      await closing;
      expect(pool.close()).toBe(pool.close());
      await pool.close();
      await waitFor('every socket to be gone', async () => (await server.connectedClients()) === 1);
      expect(pool.stats()).toMatchObject({ size: 0, closed: true, borrowed: 0 });
    } finally {
      await server.close();
    }
  });

  it('close(): a lease kept past timeoutMs is closed under its borrower', async () => {
    const pool = createPool({ url: url(), leakDetectionMs: 200 });
    const leaks: unknown[] = [];
    pool.on('leak', (event) => leaks.push(event));
    const lease = await pool.acquire();
    await pool.close({ timeoutMs: 50 });
    // The leak clock stopped with the pool: no late report about a pool that is gone.
    await new Promise((resolve) => setTimeout(resolve, 250));
    expect(leaks).toEqual([]);
    await expect(lease.redis.ping()).rejects.toThrow();
    lease.release();
    expect(pool.stats()).toMatchObject({ size: 0, borrowed: 0 });
  });

  it('supports await using for pools and leases', async () => {
    let lease: PooledConnection | undefined;
    let pool: RedisPool | undefined;
    {
      await using scoped = createPool({ url: url() });
      pool = scoped;
      {
        await using scopedLease = await scoped.acquire();
        lease = scopedLease;
        expect(await scopedLease.redis.ping()).toBe('PONG');
      }
      expect(() => lease?.redis).toThrow(/released/);
      expect(scoped.stats()).toMatchObject({ borrowed: 0, idle: 1, closed: false });
    }
    expect(pool.stats()).toMatchObject({ closed: true, size: 0 });
  });

  it('publishes events on diagnostics_channel hitpool:pool:*', async () => {
    const seen: string[] = [];
    const onAcquire = (message: unknown) =>
      seen.push(`acquire:${(message as PoolEventMap['acquire']).pool}`);
    const onRelease = (message: unknown) =>
      seen.push(`release:${(message as PoolEventMap['release']).pool}`);
    subscribe('hitpool:pool:acquire', onAcquire);
    subscribe('hitpool:pool:release', onRelease);
    const pool = createPool({ url: url() });
    try {
      await pool.use((redis) => redis.ping());
      expect(seen).toEqual([`acquire:${pool.name}`, `release:${pool.name}`]);
    } finally {
      unsubscribe('hitpool:pool:acquire', onAcquire);
      unsubscribe('hitpool:pool:release', onRelease);
      await pool.close();
    }
  });
});

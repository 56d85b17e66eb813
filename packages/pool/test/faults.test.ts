import { once } from 'node:events';
import { delay, randomPrefix, startRedisServer, startTcpProxy, waitFor } from '@hitpool/testing';
import type { Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';
import { createPool, PoolConnectionLostError } from '../src/index.js';
import { SLACK_MS, succeeds, timed } from './helpers.js';

describe('network faults and outages', () => {
  it('the shared client serves again, with the right replies, soon after a blackhole heals', async () => {
    const server = await startRedisServer();
    const proxy = await startTcpProxy(server.port);
    const pool = createPool({ url: `redis://127.0.0.1:${proxy.port}`, commandTimeoutMs: 300 });
    pool.on('error', () => {});
    const prefix = randomPrefix('f1');
    try {
      const client = pool.client as Redis;
      await client.mset(`${prefix}a`, 'A', `${prefix}b`, 'B');
      proxy.blackhole(true);
      const lost = await Promise.all(
        Array.from({ length: 20 }, (_, i) => timed(client.get(`${prefix}${i % 2 ? 'a' : 'b'}`))),
      );
      for (const call of lost) {
        expect(String(call.error)).toMatch(/Command timed out|closed before the reply/);
        expect(call.ms).toBeLessThan(300 + SLACK_MS);
      }
      await delay(700);
      proxy.blackhole(false);
      const healed = performance.now();
      await waitFor('the shared client to answer again', () =>
        succeeds(client.get(`${prefix}a`), (value) => value === 'A'),
      );
      // A timeout (300) + a reconnect (≤ 500 + handshake), with slack.
      expect(performance.now() - healed).toBeLessThan(300 + 500 + 2 * SLACK_MS);
      // Every reply goes to the command it answers (before the fix, replies were shifted).
      const values = await Promise.all(
        Array.from({ length: 50 }, (_, i) => client.get(`${prefix}${i % 2 ? 'a' : 'b'}`)),
      );
      expect(values).toEqual(Array.from({ length: 50 }, (_, i) => (i % 2 ? 'A' : 'B')));
    } finally {
      await pool.close({ timeoutMs: 200 });
      await proxy.close();
      await server.close();
    }
  });

  it('a command that rejected with a timeout is never sent after the reconnect', async () => {
    // Every write on disk at once: a kill -9 loses nothing, so a late INCR would show.
    const server = await startRedisServer({ config: { appendonly: 'yes', appendfsync: 'always' } });
    const pool = createPool({ url: server.url, commandTimeoutMs: 20 });
    pool.on('error', () => {});
    const key = `${randomPrefix('f4')}counter`;
    try {
      await pool.client.set(key, '0');
      const reconnecting = once(pool.client, 'reconnecting');
      await server.kill();
      await reconnecting;
      // Parked in ioredis's offline queue; times out before the next reconnect attempt (≥ 50 ms).
      const incr = await timed(pool.client.incr(key));
      expect(String(incr.error)).toContain('Command timed out');
      await server.start();
      await waitFor('the shared client to reconnect', () => pool.client.status === 'ready');
      // Give a late resend every chance to arrive before reading.
      await delay(300);
      expect(await pool.client.get(key)).toBe('0');
    } finally {
      await pool.close({ timeoutMs: 200 });
      await server.close();
    }
  });

  it('a command in flight when the connection drops rejects at once and is not resent', async () => {
    const server = await startRedisServer();
    const proxy = await startTcpProxy(server.port);
    const pool = createPool({ url: `redis://127.0.0.1:${proxy.port}`, commandTimeoutMs: 2_000 });
    pool.on('error', () => {});
    const key = `${randomPrefix('f4b')}counter`;
    try {
      await pool.client.set(key, '0');
      proxy.blackhole(true);
      const incr = timed(pool.client.incr(key));
      await delay(50);
      proxy.resetConnections();
      proxy.blackhole(false);
      const { error, ms } = await incr;
      expect(error).toBeInstanceOf(PoolConnectionLostError);
      expect(error).toMatchObject({ code: 'POOL_CONNECTION_LOST' });
      expect(ms).toBeLessThan(1_000);
      await waitFor('the shared client to reconnect', () => pool.client.status === 'ready');
      await delay(200);
      // The blackhole swallowed the INCR, and the pool did not write it again.
      expect(await pool.client.get(key)).toBe('0');
    } finally {
      await pool.close({ timeoutMs: 200 });
      await proxy.close();
      await server.close();
    }
  });

  it('a lease whose request is lost rejects within commandTimeoutMs and its connection is not reused', async () => {
    const server = await startRedisServer();
    const proxy = await startTcpProxy(server.port);
    const pool = createPool({
      url: `redis://127.0.0.1:${proxy.port}`,
      commandTimeoutMs: 300,
      max: 1,
    });
    const reasons: string[] = [];
    pool.on('destroy', (event) => reasons.push(event.reason));
    try {
      await pool.use((redis) => redis.ping());
      proxy.blackhole(true);
      const hung = await timed(pool.use((redis) => redis.get('k')));
      expect(String(hung.error)).toContain('Command timed out');
      expect(hung.ms).toBeLessThan(300 + SLACK_MS);
      proxy.blackhole(false);
      expect(reasons).toEqual(['broken']);
      // A new connection, with its replies in step.
      expect(await pool.use((redis) => redis.echo('fresh'))).toBe('fresh');
      expect(pool.stats()).toMatchObject({ created: 2, destroyed: 1 });
    } finally {
      await pool.close({ timeoutMs: 200 });
      await proxy.close();
      await server.close();
    }
  });

  it('blocking commands get their block time on top; commandTimeoutMs: 0 opts a lease out', async () => {
    const server = await startRedisServer();
    const pool = createPool({ url: server.url, commandTimeoutMs: 200, max: 1 });
    const list = `${randomPrefix('f2')}list`;
    try {
      // BLPOP for 0.6 s outlives the 200 ms command timeout and still answers (null: empty list).
      const blocked = await timed(pool.use((redis) => (redis as Redis).blpop(list, 0.6)));
      expect(blocked.error).toBeUndefined();
      expect(blocked.value).toBeNull();
      expect(blocked.ms).toBeGreaterThanOrEqual(550);
      // A slow server: the default rejects, the opt-out waits for the reply.
      await server.clientPause(600);
      const limited = await timed(pool.use((redis) => redis.ping()));
      expect(String(limited.error)).toContain('Command timed out');
      await server.clientPause(600);
      const unlimited = await timed(pool.use((redis) => redis.ping(), { commandTimeoutMs: 0 }));
      expect(unlimited.value).toBe('PONG');
      await expect(pool.acquire({ commandTimeoutMs: -1 })).rejects.toMatchObject({
        code: 'POOL_INVALID_OPTIONS',
        option: 'commandTimeoutMs',
      });
    } finally {
      await pool.close({ timeoutMs: 200 });
      await server.close();
    }
  });

  it('client commands reject by their deadline from the call while the server does not answer', async () => {
    const server = await startRedisServer();
    const pool = createPool({ url: server.url, commandTimeoutMs: 300 });
    pool.on('error', () => {});
    try {
      await pool.client.ping();
      await server.clientPause(1_500);
      // One call every 50 ms, each written at once to the paused server.
      const calls: Promise<{ ms: number; error: unknown }>[] = [];
      for (let i = 0; i < 6; i++) {
        calls.push(timed(pool.client.get('k')));
        await delay(50);
      }
      const settled = await Promise.all(calls);
      // The first times out at its deadline; its connection is dropped (a late reply would be
      // matched to the next command), so the others, written on it, fail then as lost: never
      // after their own deadline.
      const [first, ...rest] = settled;
      expect(String(first?.error)).toContain('Command timed out');
      expect(first?.ms).toBeGreaterThanOrEqual(290);
      for (const call of settled) {
        expect(call.error).toBeInstanceOf(Error);
        expect(call.ms).toBeLessThan(300 + 150);
      }
      for (const call of rest) {
        expect(
          call.error instanceof PoolConnectionLostError ||
            String(call.error).includes('Command timed out'),
        ).toBe(true);
      }
      await waitFor('the pause to end and the client to serve', () => succeeds(pool.client.ping()));
    } finally {
      await pool.close({ timeoutMs: 200 });
      await server.close();
    }
  });

  it('after a 2 s outage the shared client serves again within 1 s of Redis returning', async () => {
    const server = await startRedisServer();
    const pool = createPool({ url: server.url, commandTimeoutMs: 200 });
    pool.on('error', () => {});
    try {
      await pool.client.ping();
      await server.kill();
      // Callers keep calling through the outage, as in production.
      let stop = false;
      let firstSuccess = 0;
      const load = (async () => {
        while (!stop) {
          const ok = await succeeds(pool.client.ping());
          if (ok && firstSuccess === 0) firstSuccess = performance.now();
          await delay(10);
        }
      })();
      await delay(2_000);
      await server.start();
      const back = performance.now();
      await waitFor('a successful call', () => firstSuccess > 0, 5_000);
      stop = true;
      await load;
      expect(firstSuccess - back).toBeLessThan(1_000);
    } finally {
      await pool.close({ timeoutMs: 200 });
      await server.close();
    }
  });

  it('leases back off with one probe at a time during an outage and serve within 1 s of Redis returning', async () => {
    const server = await startRedisServer();
    const pool = createPool({ url: server.url, max: 10, acquireTimeoutMs: 1_000 });
    pool.on('error', () => {});
    try {
      await pool.use((redis) => redis.ping());
      await server.kill();
      // 20 borrowers keep asking through a 2 s outage, as the restart drill's transactions do.
      let stop = false;
      let firstSuccess = 0;
      const borrowers = Array.from({ length: 20 }, async () => {
        while (!stop) {
          const ok = await succeeds(pool.use((redis) => redis.ping()));
          if (ok && firstSuccess === 0) firstSuccess = performance.now();
          await delay(10);
        }
      });
      await delay(2_000);
      const refusedDuringOutage = pool.stats().connectErrors;
      await server.start();
      const back = performance.now();
      await waitFor('a lease after the restart', () => firstSuccess > 0, 5_000);
      stop = true;
      await Promise.all(borrowers);
      // Backoff 50 ms doubling to 400 ms + jitter: about 8 attempts in 2 s. Before the fix every
      // failed attempt scheduled its own retry of `max` connects: thousands.
      expect(refusedDuringOutage).toBeLessThan(20);
      expect(firstSuccess - back).toBeLessThan(1_000);
      expect(pool.stats().size).toBeLessThanOrEqual(10);
    } finally {
      await pool.close({ timeoutMs: 200 });
      await server.close();
    }
  });
});

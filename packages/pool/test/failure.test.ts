import { freePort, startRedisServer, waitFor } from '@hitpool/testing';
import { describe, expect, it } from 'vitest';
import { createPool, PoolAuthError, PoolTimeoutError } from '../src/index.js';
import { succeeds, timed } from './helpers.js';

describe('under failure', () => {
  it('without failFast, acquire waits acquireTimeoutMs with Redis down: PoolTimeoutError with the last connection error and stats', async () => {
    const port = await freePort();
    const pool = createPool({
      url: `redis://127.0.0.1:${port}`,
      acquireTimeoutMs: 300,
      failFast: false,
    });
    const timeouts: unknown[] = [];
    pool.on('timeout', (event) => timeouts.push(event.error));
    try {
      const { ms, error } = await timed(pool.acquire());
      expect(timeouts).toEqual([error]);
      expect(error).toBeInstanceOf(PoolTimeoutError);
      expect(error).toMatchObject({ code: 'POOL_ACQUIRE_TIMEOUT', name: 'PoolTimeoutError' });
      const message = (error as Error).message;
      expect(message).toContain(`ECONNREFUSED 127.0.0.1:${port}`);
      expect(message).toMatch(/size=\d+ idle=0 borrowed=0 pending=\d+ max=10/);
      expect(ms).toBeGreaterThanOrEqual(290);
      // Loose upper bound: timers fire late on a loaded machine; what matters is no hang.
      expect(ms).toBeLessThan(2_500);
      expect(pool.stats()).toMatchObject({ timeouts: 1, pending: 0 });
      expect(pool.stats().connectErrors).toBeGreaterThan(0);
    } finally {
      await pool.close();
    }
  });

  it('without failFast, client commands reject within commandTimeoutMs while Redis is down, and both recover when it is back', async () => {
    const server = await startRedisServer();
    const pool = createPool({
      url: server.url,
      commandTimeoutMs: 300,
      acquireTimeoutMs: 300,
      failFast: false,
    });
    const errors: Error[] = [];
    pool.on('error', (error) => errors.push(error));
    try {
      expect(await pool.client.ping()).toBe('PONG');
      await pool.use((redis) => redis.ping());
      await server.kill();
      const down = await timed(pool.client.get('k'));
      expect(down.error).toBeInstanceOf(Error);
      expect(down.ms).toBeLessThan(2_500);
      await expect(pool.acquire()).rejects.toBeInstanceOf(PoolTimeoutError);
      expect(errors.length).toBeGreaterThan(0);

      await server.start();
      await waitFor('the shared client to reconnect', () =>
        succeeds(pool.client.ping(), (reply) => reply === 'PONG'),
      );
      expect(await pool.use((redis) => redis.ping())).toBe('PONG');
      expect(pool.stats().lastError).toBeUndefined();
    } finally {
      await pool.close();
      await server.close();
    }
  });

  it('a wrong password fails fast with PoolAuthError and never shows the password', async () => {
    const server = await startRedisServer({ password: 'right-secret' });
    const pool = createPool({
      url: `redis://:wrong-secret@127.0.0.1:${server.port}/0`,
      acquireTimeoutMs: 20_000,
      commandTimeoutMs: 20_000,
    });
    const seen: string[] = [];
    pool.on('error', (error) => seen.push(error.message));
    try {
      const { ms, error } = await timed(pool.acquire());
      expect(error).toBeInstanceOf(PoolAuthError);
      expect(error).toMatchObject({ code: 'POOL_AUTH_FAILED' });
      // Far below the 20 s timeouts: refused at once, not retried until a deadline.
      expect(ms).toBeLessThan(5_000);
      const client = await timed(pool.client.get('k'));
      expect(client.error).toBeInstanceOf(PoolAuthError);
      expect(String(client.error)).toMatch(/WRONGPASS|NOAUTH|invalid/i);
      expect(client.ms).toBeLessThan(5_000);
      // The shared client stopped retrying: no reconnect loop against wrong credentials.
      const clients = await server.connectedClients();
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(await server.connectedClients()).toBe(clients);
      expect(pool.client.status).toBe('end');

      const everything = [
        (error as Error).message,
        String((error as Error).stack),
        JSON.stringify(pool.stats()),
        ...seen,
      ].join('\n');
      expect(everything).not.toContain('wrong-secret');
      expect(everything).not.toContain('right-secret');
    } finally {
      await pool.close();
      await server.close();
    }
  });

  it('works with an ACL user, and refuses a wrong one with PoolAuthError', async () => {
    const server = await startRedisServer({
      users: [{ name: 'app', password: 'app-pass', rules: '~app:* &* +@all' }],
    });
    const good = createPool({ url: `redis://app:app-pass@127.0.0.1:${server.port}/0` });
    const bad = createPool({
      url: `redis://app:nope@127.0.0.1:${server.port}/0`,
      acquireTimeoutMs: 10_000,
    });
    try {
      expect(await good.client.acl('WHOAMI')).toBe('app');
      expect(await good.use((redis) => redis.acl('WHOAMI'))).toBe('app');
      // A dirty lease is reset and re-authenticated as the same user.
      await good.use((redis) => redis.call('CLIENT', 'SETNAME', 'x'));
      expect(await good.use((redis) => redis.acl('WHOAMI'))).toBe('app');
      expect(good.stats()).toMatchObject({ resets: 1, created: 1 });
      await expect(bad.acquire()).rejects.toBeInstanceOf(PoolAuthError);
    } finally {
      await good.close();
      await bad.close();
      await server.close();
    }
  });
});

import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { delay, type RedisServer, randomPrefix, startRedisServer, waitFor } from '@hitpool/testing';
import { afterEach, describe, expect, it } from 'vitest';
import {
  createPool,
  type PoolEventMap,
  type PoolOptions,
  PoolUnavailableError,
  type RedisPool,
} from '../src/index.js';
import { expectRefusedAtOnce, SLACK_MS, succeeds, timed } from './helpers.js';

const servers: RedisServer[] = [];
const pools: RedisPool[] = [];
afterEach(async () => {
  await Promise.all(pools.splice(0).map((pool) => pool.close({ timeoutMs: 100 })));
  for (const server of servers.splice(0)) server.thaw();
  await Promise.all(servers.map((server) => server.close()));
});

async function setUp(
  options: PoolOptions = {},
  serverOptions: Parameters<typeof startRedisServer>[0] = {},
): Promise<{
  server: RedisServer;
  pool: RedisPool;
  events: Array<['down', PoolEventMap['down']] | ['up', PoolEventMap['up']]>;
}> {
  const server = await startRedisServer(serverOptions);
  servers.push(server);
  const pool = createPool({ url: server.url, commandTimeoutMs: 300, ...options });
  pools.push(pool);
  pool.on('error', () => {});
  const events: Array<['down', PoolEventMap['down']] | ['up', PoolEventMap['up']]> = [];
  pool.on('down', (event) => events.push(['down', event]));
  pool.on('up', (event) => events.push(['up', event]));
  return { server, pool, events };
}

/** Wait until `pool` reports Redis down; resolves with the ms it took. */
async function downWithin(pool: RedisPool, limitMs: number): Promise<number> {
  const start = performance.now();
  await waitFor('the breaker to open', () => pool.stats().health !== 'up', limitMs, 5);
  return performance.now() - start;
}

describe('fail fast while Redis is down', () => {
  it('a killed server: client commands, acquire and use reject at once with PoolUnavailableError, and serve again soon after it is back', async () => {
    const { server, pool, events } = await setUp({ acquireTimeoutMs: 2_000 });
    const published: unknown[] = [];
    const onDown = (message: unknown) => published.push(message);
    subscribe('hitpool:pool:down', onDown);
    try {
      expect(await pool.client.ping()).toBe('PONG');
      await pool.use((redis) => redis.ping());
      expect(pool.stats().health).toBe('up');

      await server.kill();
      // Callers keep calling: each failed reconnect is evidence.
      const pending = pool.client.get('k').catch(() => undefined);
      const openedMs = await downWithin(pool, 300 + 1_000 + SLACK_MS);
      await pending;
      expect(openedMs).toBeLessThan(300 + 1_000 + SLACK_MS);

      const calls: Array<() => Promise<unknown>> = [
        () => pool.client.get('k'),
        () => pool.use((redis) => redis.ping()),
        () => pool.acquire(),
      ];
      for (const call of calls) {
        const { ms, error } = await timed(call());
        expect(error).toBeInstanceOf(PoolUnavailableError);
        expect(error).toMatchObject({
          name: 'PoolUnavailableError',
          code: 'POOL_UNAVAILABLE',
          node: `redis://127.0.0.1:${server.port}`,
        });
        expect((error as PoolUnavailableError).retryInMs).toBeLessThanOrEqual(300);
        expect((error as Error).message).toMatch(/nothing was sent to Redis/);
        expect((error as Error).message).toMatch(/next probe is due in \d+ ms|a probe is checking/);
        expect(String((error as Error).cause)).toMatch(/ECONNREFUSED|Connection is closed/);
        expect(ms).toBeLessThan(50);
      }
      expect(pool.stats()).toMatchObject({ health: expect.stringMatching(/down|probing/) });
      expect(pool.stats().unavailable).toBeGreaterThanOrEqual(3);
      expect(events.map(([name]) => name)).toEqual(['down']);
      expect(published).toHaveLength(1);
      expect(published[0]).toMatchObject({ pool: pool.name, node: expect.any(String) });

      await server.start();
      const back = performance.now();
      await waitFor('the client to serve again', () => succeeds(pool.client.ping()), 5_000, 5);
      // One probe every 50–300 ms, then the client reconnects.
      expect(performance.now() - back).toBeLessThan(500 + SLACK_MS);
      expect(await pool.use((redis) => redis.ping())).toBe('PONG');
      expect(pool.stats().health).toBe('up');
      expect(events.map(([name]) => name)).toEqual(['down', 'up']);
      expect(events[1]?.[1]).toMatchObject({ pool: pool.name, downMs: expect.any(Number) });
    } finally {
      unsubscribe('hitpool:pool:down', onDown);
    }
  });

  it('commands queued for a connection while it is lost, before the breaker opens, also reject as never sent', async () => {
    const { server, pool } = await setUp({ commandTimeoutMs: 2_000 });
    expect(await pool.client.ping()).toBe('PONG');
    await server.kill();
    // Queued for a connection that will not come back: ioredis gives them up after its second
    // failed reconnect, which is about when the breaker opens.
    await waitFor('the connection to be lost', () => pool.client.status !== 'ready', 2_000, 1);
    const settled = await Promise.allSettled(
      Array.from({ length: 20 }, (_, i) => pool.client.get(`queued:${i}`)),
    );
    const errors = settled.map((result) =>
      result.status === 'rejected' ? (result.reason as Error) : undefined,
    );
    expect(errors.map((error) => error?.name)).toEqual(
      Array.from({ length: 20 }, () => 'PoolUnavailableError'),
    );
    expect(errors[0]?.message).toMatch(/nothing was sent to Redis/);
    expect(pool.stats().unavailable).toBeGreaterThanOrEqual(20);
  });

  it('a hung server (SIGSTOP) opens it within commandTimeoutMs + 1 s; once open, calls fail at once; SIGCONT closes it', async () => {
    const { server, pool, events } = await setUp({ acquireTimeoutMs: 2_000 });
    const key = `${randomPrefix('hung')}k`;
    await pool.client.set(key, 'v');
    server.freeze();
    const frozenAt = performance.now();
    const first = await timed(pool.client.get(key));
    expect(String(first.error)).toMatch(/Command timed out/);
    await waitFor('the breaker to open', () => pool.stats().health !== 'up', 3_000, 5);
    expect(performance.now() - frozenAt).toBeLessThan(300 + 1_000 + SLACK_MS);
    await expectRefusedAtOnce(pool, key);
    server.thaw();
    const thawed = performance.now();
    await waitFor(
      'the client to serve again',
      () => succeeds(pool.client.get(key), (value) => value === 'v'),
      5_000,
      5,
    );
    expect(performance.now() - thawed).toBeLessThan(500 + SLACK_MS);
    expect(events.map(([name]) => name)).toEqual(['down', 'up']);
  });

  it('one slow command that times out does not open it', async () => {
    const { pool, events } = await setUp({}, { config: { 'enable-debug-command': 'yes' } });
    await pool.client.ping();
    // Longer than commandTimeoutMs (300), shorter than it + the 0.5 s the breaker waits for
    // a fresh connection to be answered.
    const slow = await timed(pool.client.call('DEBUG', 'SLEEP', '0.6'));
    expect(String(slow.error)).toMatch(/Command timed out/);
    await delay(1_200);
    expect(await pool.client.ping()).toBe('PONG');
    expect(events).toEqual([]);
    expect(pool.stats().health).toBe('up');
  });

  it("'max number of clients reached' does not open it", async () => {
    const { pool, events } = await setUp({ max: 5, acquireTimeoutMs: 1_000 }, { maxclients: 3 });
    await pool.client.ping();
    const leases = await Promise.allSettled(Array.from({ length: 5 }, () => pool.acquire()));
    for (const lease of leases) if (lease.status === 'fulfilled') lease.value.release();
    expect(leases.some((lease) => lease.status === 'rejected')).toBe(true);
    expect(events).toEqual([]);
    expect(pool.stats().health).toBe('up');
    expect(await pool.client.ping()).toBe('PONG');
  });

  it('failFast: false reports the outage but keeps waiting for the timeouts', async () => {
    const { server, pool, events } = await setUp({ failFast: false, acquireTimeoutMs: 300 });
    await pool.client.ping();
    await server.kill();
    await pool.client.get('k').catch(() => undefined);
    await downWithin(pool, 300 + 1_000 + SLACK_MS);
    const { ms, error } = await timed(pool.acquire());
    expect(error).toMatchObject({ code: 'POOL_ACQUIRE_TIMEOUT' });
    expect(ms).toBeGreaterThanOrEqual(290);
    expect(events[0]?.[1]).toMatchObject({ retryInMs: 0 });
    await server.start();
    await waitFor('the client to serve again', () => succeeds(pool.client.ping()), 5_000);
    await waitFor('health to be up', () => pool.stats().health === 'up', 2_000);
  });

  it('close() releases the breaker: a process that closes a pool that is down exits by itself', async () => {
    const { server, pool } = await setUp();
    await pool.client.ping();
    await server.kill();
    await pool.client.get('k').catch(() => undefined);
    await downWithin(pool, 300 + 1_000 + SLACK_MS);
    await pool.close();
    // No probe runs after close (one would show as a new connect error).
    const errors = pool.stats().connectErrors;
    await delay(700);
    expect(pool.stats().connectErrors).toBe(errors);
  });
});

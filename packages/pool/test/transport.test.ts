/** `@hitpool/pool/transport`, the internal entry point `@hitpool/hits` sends through. */
import { randomPrefix, startTcpProxy } from '@hitpool/testing';
import { describe, expect, it } from 'vitest';
import { createPool, PoolUnsupportedClientError } from '../src/index.js';
import { clientSource, commandTimeoutOf, createExecutor } from '../src/transport/index.js';
import { ownServer } from './helpers.js';

const server = ownServer();

describe('transport executor', () => {
  it('finds the client of a pool or an ioredis client, and nothing else', async () => {
    const pool = createPool({ url: server().url });
    const redis = server().connect({ lazyConnect: true });
    expect(clientSource(pool)?.()).toBe(pool.client);
    expect(clientSource(redis)?.()).toBe(redis);
    expect(clientSource({})).toBeUndefined();
    expect(clientSource({ client: 42 })).toBeUndefined();
    expect(clientSource(undefined)).toBeUndefined();
    redis.disconnect();
    await pool.close();
  });

  it("tells the reply deadline a pool's shared client gives its commands, and nothing for others", async () => {
    const pool = createPool({ url: server().url, commandTimeoutMs: 1_234 });
    const redis = server().connect({ lazyConnect: true, commandTimeout: 99 });
    expect(commandTimeoutOf(pool.client)).toBe(1_234);
    // An ioredis client of the caller's own: its options say, not the transport.
    expect(commandTimeoutOf(redis)).toBeUndefined();
    redis.disconnect();
    await pool.close();
  });

  it('sends a batch in one write and one round trip, replies in order, an error only where it happened', async () => {
    const proxy = await startTcpProxy(server().port);
    const pool = createPool({ url: `redis://127.0.0.1:${proxy.port}` });
    try {
      const executor = createExecutor(() => pool.client);
      expect(executor.isCluster).toBe(false);
      const p = randomPrefix('executor');
      await pool.client.set(`${p}s`, 'v');
      await pool.client.hset(`${p}h`, 'f', 'v');
      proxy.resetStats();
      const replies = await executor.send([
        { name: 'get', args: [`${p}s`], slot: -1 },
        { name: 'get', args: [`${p}h`], slot: -1 },
        { name: 'incrby', args: [`${p}n`, 5], slot: -1 },
      ]);
      expect(proxy.stats.roundTrips).toBe(1);
      expect(replies[0]).toEqual([null, 'v']);
      expect(String(replies[1]?.[0])).toMatch(/WRONGTYPE/);
      expect(replies[2]).toEqual([null, 5]);
      await pool.client.del(`${p}s`, `${p}h`, `${p}n`);
    } finally {
      await pool.close();
      await proxy.close();
    }
  });

  it("applies the client's keyPrefix to the keys of a script call", async () => {
    const prefixed = server().connect({ keyPrefix: 'pfx:' });
    const executor = createExecutor(() => prefixed);
    expect(executor.keyPrefix).toBe('pfx:');
    const [reply] = await executor.send([
      { name: 'eval', args: ["return redis.call('SET', KEYS[1], ARGV[1])", 1, 'k', 'v'], slot: -1 },
    ]);
    expect(reply).toEqual([null, 'OK']);
    const plain = server().connect();
    expect(await plain.get('pfx:k')).toBe('v');
    await plain.del('pfx:k');
    await plain.quit();
    await prefixed.quit();
  });

  it('refuses a client without the internals it relies on, naming them', () => {
    const crippled = server().connect({ lazyConnect: true });
    Object.defineProperty(crippled, 'offlineQueue', { value: undefined });
    expect(() => createExecutor(() => crippled)).toThrow(PoolUnsupportedClientError);
    expect(() => createExecutor(() => crippled)).toThrow(/Redis#offlineQueue/);
    // Never connected (lazy), so there is nothing to close; disconnect() itself needs the member.
  });
});

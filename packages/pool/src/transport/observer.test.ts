import { randomPrefix } from '@hitpool/testing';
import { Redis } from 'ioredis';
import { afterEach, describe, expect, inject, it } from 'vitest';
import { createPool, PoolError, type RedisPool } from '../index.js';
import { type CommandObserver, observeBeside, observeCommands } from './observer.js';

type Seen = { name: string; durationMs: number; error: Error | undefined };

const pools: RedisPool[] = [];
afterEach(async () => {
  await Promise.all(pools.splice(0).map((pool) => pool.close({ timeoutMs: 100 })));
});

function pool(): RedisPool {
  const created = createPool({ url: inject('redisUrl') });
  pools.push(created);
  return created;
}

function recorder(): { seen: Seen[]; observer: CommandObserver } {
  const seen: Seen[] = [];
  return { seen, observer: (name, durationMs, error) => seen.push({ name, durationMs, error }) };
}

describe('a command observer on the shared client', () => {
  it('hears of each command once, when it settles, with its error', async () => {
    const p = pool();
    const key = randomPrefix('observer');
    const { seen, observer } = recorder();
    const detach = observeCommands(p.client, observer);
    await p.client.set(key, 'v');
    await Promise.all([p.client.get(key), p.client.get(key)]);
    await expect(p.client.incr(key)).rejects.toThrow(/not an integer/);
    await p.client.del(key);
    // The lazy client's handshake commands (none with a URL without a password) are not the caller's.
    expect(seen.map((s) => s.name)).toEqual(['set', 'get', 'get', 'incr', 'del']);
    expect(seen.every((s) => s.durationMs >= 0 && s.durationMs < 5_000)).toBe(true);
    expect(seen[3]?.error?.message).toMatch(/^ERR value is not an integer/);
    expect(seen.filter((s) => s.error !== undefined)).toHaveLength(1);

    detach();
    await p.client.get(key);
    expect(seen).toHaveLength(5);
  });

  it('takes one observer per pool client, and only a pool client', async () => {
    const p = pool();
    const detach = observeCommands(p.client, () => {});
    expect(() => observeCommands(p.client, () => {})).toThrow(PoolError);
    detach();
    observeCommands(p.client, () => {})();
    const plain = new Redis(inject('redisUrl'), { lazyConnect: true });
    expect(() => observeCommands(plain, () => {})).toThrow(/pool's shared client/);
    plain.disconnect();
  });

  it('hears of the commands of a connection opened beside the shared client, not of its handshake', async () => {
    const p = pool();
    const key = randomPrefix('beside');
    const { seen, observer } = recorder();
    const beside = new Redis(inject('redisUrl'), { lazyConnect: true, connectionName: 'beside' });
    observeBeside(p.client, beside);
    await beside.connect();
    await beside.set(key, '1');
    const detach = observeCommands(p.client, observer);
    await beside.incr(key);
    await expect(beside.hset(key, 'f', 'v')).rejects.toThrow(/WRONGTYPE/);
    await p.client.get(key);
    expect(seen.map((s) => s.name)).toEqual(['incr', 'hset', 'get']);
    expect(seen[1]?.error?.message).toMatch(/^WRONGTYPE/);
    detach();
    await beside.del(key);
    expect(seen).toHaveLength(3);
    beside.disconnect();
  });

  it('leaves a connection beside a client that is not a pool client as it is', () => {
    const plain = new Redis(inject('redisUrl'), { lazyConnect: true });
    const beside = plain.duplicate();
    const send = beside.sendCommand;
    observeBeside(plain, beside);
    expect(beside.sendCommand).toBe(send);
    beside.disconnect();
    plain.disconnect();
  });
});

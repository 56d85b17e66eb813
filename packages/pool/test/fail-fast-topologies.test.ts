import {
  type RedisCluster,
  type RedisSentinelGroup,
  randomPrefix,
  startRedisCluster,
  startRedisSentinel,
  waitFor,
} from '@hitpool/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPool, PoolUnavailableError, type RedisPool } from '../src/index.js';
import { expectRefusedAtOnce, succeeds, timed } from './helpers.js';
import { sentinelPool } from './pools.js';

describe('fail fast on a Cluster', () => {
  let cluster: RedisCluster;
  let pool: RedisPool;
  beforeAll(async () => {
    // Without full coverage the other masters keep serving while one is down.
    cluster = await startRedisCluster({
      replicasPerMaster: 0,
      config: { 'cluster-require-full-coverage': 'no' },
    });
    pool = createPool({ cluster: { nodes: cluster.startupNodes }, commandTimeoutMs: 500 });
    pool.on('error', () => {});
  }, 60_000);
  afterAll(async () => {
    await pool?.close({ timeoutMs: 100 });
    await cluster?.close();
  });

  it('a dead master refuses only the calls for its slots; the others never see it', async () => {
    const prefix = randomPrefix('ff-cluster');
    const keys = Array.from({ length: 30 }, (_, i) => `${prefix}{k${i}}`);
    await Promise.all(keys.map((key) => pool.client.set(key, '1')));
    const slotOf = new Map(
      await Promise.all(keys.map(async (key) => [key, await cluster.keySlot(key)] as const)),
    );
    const dead = await cluster.masterForSlot(slotOf.get(keys[0] as string) as number);
    const onDead = new Set<string>();
    for (const key of keys) {
      if ((await cluster.masterForSlot(slotOf.get(key) as number)) === dead) onDead.add(key);
    }
    const healthy = keys.filter((key) => !onDead.has(key));
    expect(healthy.length).toBeGreaterThan(0);
    const address = `127.0.0.1:${dead.port}`;

    const downs: string[] = [];
    pool.on('down', (event) => downs.push(event.node));
    await dead.kill();
    // Callers of the dead node's slots give the breaker its evidence.
    await waitFor(
      'the dead node to be down',
      async () => {
        await Promise.all([...onDead].map((key) => pool.client.get(key).catch(() => null)));
        return (
          pool.stats().nodes?.[address] !== undefined && pool.stats().nodes?.[address] !== 'up'
        );
      },
      5_000,
      20,
    );
    expect(downs).toEqual([address]);
    expect(pool.stats().health).not.toBe('up');
    for (const [node, health] of Object.entries(pool.stats().nodes ?? {})) {
      if (node !== address) expect(health).toBe('up');
    }
    for (const key of onDead) {
      const { ms, error } = await timed(pool.client.get(key));
      expect(error).toBeInstanceOf(PoolUnavailableError);
      expect(error).toMatchObject({ code: 'POOL_UNAVAILABLE', node: address });
      expect(ms).toBeLessThan(50);
    }
    // The other masters keep serving, without a single refusal.
    expect(await Promise.all(healthy.map((key) => pool.client.get(key)))).toEqual(
      healthy.map(() => '1'),
    );

    await dead.start();
    await waitFor(
      'the node to serve again',
      () => succeeds(pool.client.get([...onDead][0] as string)),
      10_000,
      20,
    );
    await waitFor('every node up', () => pool.stats().health === 'up', 5_000);
  }, 60_000);

  it('refuses leases at once while every master is down, and lends again once they are back', async () => {
    const prefix = randomPrefix('ff-cluster-all');
    const masters = await cluster.masters();
    // One key per master, so callers give every node's breaker its evidence.
    const keyOf = new Map<number, string>();
    for (let i = 0; keyOf.size < masters.length && i < 1_000; i++) {
      const key = `${prefix}{k${i}}`;
      const { port } = await cluster.masterForSlot(await cluster.keySlot(key));
      if (!keyOf.has(port)) keyOf.set(port, key);
    }
    const keys = [...keyOf.values()];
    expect(keys).toHaveLength(masters.length);
    await Promise.all(keys.map((key) => pool.client.set(key, '1')));
    // An idle lease connection exists: it must not be lent while every node is down.
    await pool.use((redis) => redis.get(keys[0] as string));
    expect(pool.stats().idle).toBeGreaterThan(0);

    await Promise.all(masters.map((master) => master.kill()));
    await waitFor(
      'every node to be down',
      async () => {
        await Promise.all(keys.map((key) => pool.client.get(key).catch(() => null)));
        const nodes = Object.values(pool.stats().nodes ?? {});
        return nodes.length === masters.length && nodes.every((health) => health !== 'up');
      },
      10_000,
      20,
    );
    const { ms, error } = await timed(pool.acquire());
    expect(error).toBeInstanceOf(PoolUnavailableError);
    expect(error).toMatchObject({ code: 'POOL_UNAVAILABLE' });
    expect(ms).toBeLessThan(50);
    // The shared client has no node connection left: its calls are refused at once too.
    for (const key of keys) await expectRefusedAtOnce(pool, key);

    await Promise.all(masters.map((master) => master.start()));
    await waitFor(
      'a lease to serve again',
      () => succeeds(pool.use((redis) => redis.get(keys[0] as string))),
      20_000,
      50,
    );
  }, 90_000);
});

describe('fail fast through a Sentinel failover', () => {
  let group: RedisSentinelGroup;
  let pool: RedisPool;
  beforeAll(async () => {
    group = await startRedisSentinel();
    pool = sentinelPool(group, { commandTimeoutMs: 500, acquireTimeoutMs: 2_000 });
    pool.on('error', () => {});
  }, 60_000);
  afterAll(async () => {
    await pool?.close({ timeoutMs: 100 });
    await group?.close();
  });

  it('fails fast while the master is dead, and serves on the promoted replica', async () => {
    const key = `${randomPrefix('ff-sentinel')}k`;
    await pool.client.set(key, '1');
    await pool.use((redis) => redis.ping());
    const master = await group.currentMaster();
    const events: string[] = [];
    pool.on('down', () => events.push('down'));
    pool.on('up', () => events.push('up'));
    await master.kill();
    await waitFor(
      'the breaker to open',
      async () => {
        await pool.client.get(key).catch(() => null);
        return pool.stats().health !== 'up';
      },
      5_000,
      20,
    );
    await expectRefusedAtOnce(pool, key);
    // The sentinels promote the replica; a probe finds it through them.
    await waitFor(
      'the client on the new master',
      () => succeeds(pool.client.get(key), (value) => value === '1'),
      40_000,
      50,
    );
    expect(await pool.use((redis) => redis.get(key))).toBe('1');
    expect(pool.stats().health).toBe('up');
    expect(events).toEqual(['down', 'up']);
  }, 60_000);
});

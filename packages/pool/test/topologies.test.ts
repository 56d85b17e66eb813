import {
  delay,
  freePort,
  type RedisCluster,
  type RedisSentinelGroup,
  randomPrefix,
  startRedisCluster,
  startRedisSentinel,
  waitFor,
} from '@hitpool/testing';
import { Cluster } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPool, type RedisPool } from '../src/index.js';
import { commandTimeoutOf } from '../src/transport/index.js';
import { succeeds } from './helpers.js';
import { sentinelPool } from './pools.js';

describe('Redis Cluster', () => {
  let cluster: RedisCluster;
  let pool: RedisPool;
  beforeAll(async () => {
    cluster = await startRedisCluster();
    pool = createPool({
      cluster: { nodes: cluster.startupNodes },
      max: 2,
      commandTimeoutMs: 1_000,
    });
  }, 60_000);
  afterAll(async () => {
    await pool?.close();
    await cluster?.close();
  });

  it('routes shared-client commands across slots', async () => {
    expect(pool.client).toBeInstanceOf(Cluster);
    // The deadline the near cache of @hitpool/hits follows on its own node connections.
    expect(commandTimeoutOf(pool.client)).toBe(1_000);
    const keys = ['a', 'b', 'c', 'd', 'e'].map((k) => `${randomPrefix('cl')}${k}`);
    const slots = new Set(await Promise.all(keys.map((key) => cluster.keySlot(key))));
    expect(slots.size).toBeGreaterThan(1);
    await Promise.all(keys.map((key) => pool.client.set(key, key)));
    expect(await Promise.all(keys.map((key) => pool.client.get(key)))).toEqual(keys);
    await Promise.all(keys.map((key) => pool.client.del(key)));
  });

  it('client follows a MOVED to the node it names, whatever ioredis redirect budget is set', async () => {
    // ioredis alone, with maxRedirections 1, fails these with "Too many Cluster redirections":
    // the pool's redirect policy does not spend ioredis's budget, and goes straight to the node
    // a MOVED names.
    const strict = createPool({
      cluster: { nodes: cluster.startupNodes, options: { maxRedirections: 1 } },
      commandTimeoutMs: 1_000,
    });
    try {
      const client = strict.client as Cluster;
      const key = `${randomPrefix('moved')}k`;
      const slot = await cluster.keySlot(key);
      await client.set(key, '0');
      const right = client.slots[slot]?.[0] as string;
      const wrong = client.slots.find((nodes) => nodes[0] !== right)?.[0] as string;
      for (let i = 1; i <= 20; i++) {
        client.slots[slot] = [wrong];
        expect(await client.incr(key)).toBe(i);
      }
      // Keyless and multi-key commands of one slot still route as ioredis routes them.
      expect(await client.ping()).toBe('PONG');
      const tag = `{${randomPrefix('tag')}}`;
      expect(await client.mset(`${tag}a`, '1', `${tag}b`, '2')).toBe('OK');
      expect(await client.mget(`${tag}a`, `${tag}b`)).toEqual(['1', '2']);
      await client.del(key);
      await client.del(`${tag}a`, `${tag}b`);
    } finally {
      await strict.close();
    }
  });

  it('runs a WATCH/MULTI/EXEC transaction on keys of one slot through a lease', async () => {
    const tag = `{${randomPrefix('tx')}}`;
    const [balance, log] = [`${tag}:balance`, `${tag}:log`];
    await pool.client.set(balance, '10');
    const result = await pool.use(async (redis) => {
      await redis.watch(balance);
      const current = Number(await redis.get(balance));
      return redis
        .multi()
        .set(balance, String(current - 3))
        .rpush(log, 'debit 3')
        .exec();
    });
    expect(result).toEqual([
      [null, 'OK'],
      [null, 1],
    ]);
    expect(await pool.client.get(balance)).toBe('7');

    // A concurrent write between WATCH and EXEC aborts the transaction.
    const aborted = await pool.use(async (redis) => {
      await redis.watch(balance);
      await pool.client.set(balance, '100');
      return redis.multi().set(balance, '0').exec();
    });
    expect(aborted).toBeNull();
    expect(await pool.client.get(balance)).toBe('100');
    await pool.client.del(balance, log);
    expect(pool.stats()).toMatchObject({ borrowed: 0, destroyed: 0 });
  });

  it('destroys a Cluster lease left with a transaction open instead of lending it again', async () => {
    const tag = `{${randomPrefix('open')}}`;
    const before = pool.stats();
    await pool.use(async (redis) => {
      await redis.watch(`${tag}:k`);
    });
    expect(pool.stats()).toMatchObject({
      destroyed: before.destroyed + 1,
      resets: before.resets + 1,
    });
    expect(await pool.use((redis) => redis.set(`${tag}:k`, '1'))).toBe('OK');
    await pool.client.del(`${tag}:k`);
  });

  it('lends blocking connections from their own lane on a Cluster, beside ordinary leases', async () => {
    // A pool of this test's own: the leases it leaves idle must not serve the tests below.
    const lanes = createPool({ cluster: { nodes: cluster.startupNodes }, max: 2 });
    const list = `{${randomPrefix('lane')}}:list`;
    const consumers = Array.from({ length: 3 }, () =>
      lanes.use((redis) => redis.blpop(list, 5), { blocking: true }),
    );
    await waitFor('the consumers to park', () => lanes.stats().blocking.borrowed === 3);
    // Ordinary leases (max 2) still lend while three connections block.
    expect(await Promise.all([1, 2].map(() => lanes.use((redis) => redis.ping())))).toEqual([
      'PONG',
      'PONG',
    ]);
    await lanes.client.rpush(list, 'a', 'b', 'c');
    const served = (await Promise.all(consumers)).map((reply) => reply?.[1]).sort();
    expect(served).toEqual(['a', 'b', 'c']);
    expect(lanes.stats().blocking).toMatchObject({ borrowed: 0, pending: 0 });
    await lanes.close();
  });

  it('destroys a Cluster lease released while a BLPOP is still waiting', async () => {
    const before = pool.stats();
    const lease = await pool.acquire();
    const waiting = lease.redis.blpop(`{${randomPrefix('bl')}}:list`, 5).catch(() => 'closed');
    lease.release();
    await expect(waiting).resolves.toBe('closed');
    expect(pool.stats().destroyed).toBe(before.destroyed + 1);
  });

  // Last in this group: it stops the cluster.
  it('rejects client commands within commandTimeoutMs once every node is down', async () => {
    await pool.client.set('{down}:k', '1');
    await Promise.all(cluster.nodes.map((node) => node.kill()));
    const start = performance.now();
    await expect(pool.client.get('{down}:k')).rejects.toThrow();
    expect(performance.now() - start).toBeLessThan(3_500);
    // Every node's breaker opens (failFast): a lease, which spans every node, is refused at once.
    await waitFor('every node to be down', () =>
      Object.values(pool.stats().nodes ?? {}).every((health) => health !== 'up'),
    );
    await expect(pool.acquire({ timeoutMs: 500 })).rejects.toMatchObject({
      code: 'POOL_UNAVAILABLE',
    });
  });
});

describe('Redis Cluster, unreachable', () => {
  it('fails fast and closes at once when no startup node answers', async () => {
    const port = await freePort();
    const pool = createPool({
      cluster: { nodes: [{ host: '127.0.0.1', port }] },
      acquireTimeoutMs: 300,
      commandTimeoutMs: 300,
    });
    await expect(pool.client.get('k')).rejects.toThrow(/startup nodes|timed out|unreachable/);
    await waitFor('the node to be down', () => pool.stats().health !== 'up');
    const error = await pool.acquire().catch((caught: unknown) => caught);
    expect(error).toMatchObject({ code: 'POOL_UNAVAILABLE' });
    // It names the node, and the last failure seen (a refused connect or a failed refresh).
    expect((error as Error).message).toContain(`Redis at 127.0.0.1:${port} is unreachable`);
    const start = performance.now();
    await pool.close();
    expect(performance.now() - start).toBeLessThan(1_000);
  });
});

describe('Redis Sentinel', () => {
  let group: RedisSentinelGroup;
  let pool: RedisPool;
  beforeAll(async () => {
    group = await startRedisSentinel();
    pool = sentinelPool(group, { acquireTimeoutMs: 10_000, commandTimeoutMs: 2_000 });
  }, 60_000);
  afterAll(async () => {
    await pool?.close();
    await group?.close();
  });

  it('finds the master through the sentinels, for the client and for leases, and follows a failover', async () => {
    const key = `${randomPrefix('sentinel')}k`;
    const master = await group.currentMaster();
    const reasons: string[] = [];
    pool.on('destroy', (event) => reasons.push(event.reason));
    await pool.client.set(key, '1');
    const port = await pool.use(async (redis) => {
      expect(await redis.incr(key)).toBe(2);
      return Number(/tcp_port:(\d+)/.exec(await redis.info('server'))?.[1]);
    });
    expect(port).toBe(master.port);

    const promoted = await group.failover();
    // Leases follow the sentinels: connections to the demoted master are dropped and the
    // replacements resolve the new master.
    const leasePort = () =>
      pool.use(async (redis) => {
        await redis.incr(key);
        return Number(/tcp_port:(\d+)/.exec(await redis.info('server'))?.[1]);
      });
    await waitFor(
      'leases on the new master',
      () => succeeds(leasePort(), (port) => port === promoted.port),
      20_000,
      100,
    );
    expect(reasons).toContain('failover');
    await waitFor(
      'the client on the new master',
      () => succeeds(pool.client.incr(key)),
      20_000,
      100,
    );
    await pool.client.del(key);
  }, 40_000);

  it('the blocking lane follows a failover: consumers block and are served on the new master', async () => {
    const list = `${randomPrefix('lane')}list`;
    const parked = pool
      .use((redis) => redis.blpop(list, 10), { blocking: true })
      .then(
        () => 'answered',
        () => 'let go',
      );
    await waitFor('the consumer to park', () => pool.stats().blocking.borrowed === 1);
    const promoted = await group.failover();
    const blockingPort = () =>
      pool.use(async (redis) => Number(/tcp_port:(\d+)/.exec(await redis.info('server'))?.[1]), {
        blocking: true,
      });
    await waitFor(
      'blocking leases on the new master',
      () => succeeds(blockingPort(), (port) => port === promoted.port),
      20_000,
      100,
    );
    // The consumer parked on the demoted master was let go (or its BLPOP ran out); it is not
    // lent again either way.
    expect(['answered', 'let go']).toContain(await parked);
    const consumer = pool.use((redis) => redis.blpop(list, 10), { blocking: true });
    await waitFor('the next consumer to park', () => pool.stats().blocking.borrowed === 1);
    await waitFor(
      'the client on the new master',
      () => succeeds(pool.client.rpush(list, 'x')),
      20_000,
      100,
    );
    expect((await consumer)?.[1]).toBe('x');
  }, 60_000);
});

describe('Redis Sentinel: a failover announced while the client is resolving the master', () => {
  let group: RedisSentinelGroup;
  let pool: RedisPool;
  beforeAll(async () => {
    group = await startRedisSentinel();
    pool = sentinelPool(group, { commandTimeoutMs: 1_000 });
  }, 60_000);
  afterAll(async () => {
    for (const sentinel of group?.sentinels ?? []) sentinel.thaw();
    await pool?.close();
    await group?.close();
  });

  // ioredis's failover detector of the dead connection used to survive into the reconnect and,
  // on +switch-master, abort the connect in flight: the client ended for good ("Connection is
  // closed." on every later command). Seen once in 4 runs of the Sentinel drill.
  it('keeps the shared client reconnecting and serving on the new master', async () => {
    const key = `${randomPrefix('sentinel-switch')}k`;
    await pool.client.set(key, '1');
    // Let the client's failover detector subscribe on every sentinel.
    await delay(500);
    const [first, second] = group.sentinels;
    if (!first || !second) throw new Error('the group has fewer than 2 sentinels');
    const master = await group.currentMaster();
    // The client resolves the master through the first sentinel: frozen, that lookup hangs
    // while the other two sentinels promote the replica and announce +switch-master.
    first.freeze();
    await master.kill();
    await waitFor(
      'the other sentinels to promote the replica',
      async () => {
        const reply = await second.cli('SENTINEL', 'get-master-addr-by-name', group.masterName);
        const port = Number(reply.trim().split('\n')[1]);
        return port > 0 && port !== master.port;
      },
      20_000,
      100,
    );
    await delay(500);
    first.thaw();
    await waitFor(
      'the client on the new master',
      () => succeeds(pool.client.get(key), (value) => value === '1'),
      10_000,
      100,
    );
    expect(pool.client.status).toBe('ready');
    await pool.client.del(key);
  }, 60_000);
});

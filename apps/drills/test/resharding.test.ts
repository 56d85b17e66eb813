import { createPool } from '@hitpool/pool';
import { type RedisCluster, randomPrefix, startRedisCluster } from '@hitpool/testing';
import { afterAll, beforeAll, expect } from 'vitest';
import { keyNames, seedKeys } from '../src/data.js';
import { drill } from '../src/runner.js';
import { CLIENT_LABEL } from '../src/workload.js';
import { clusterCacheDrill } from './cache-drill.js';
import { compareCounters, DRILL_POOL, drillClients, failuresOf } from './common.js';

let cluster: RedisCluster;

beforeAll(async () => {
  cluster = await startRedisCluster();
});

afterAll(async () => {
  await cluster?.close();
});

drill('4 Cluster resharding: slot moved twice', {
  async setup({ defer }) {
    const prefix = randomPrefix('reshard');
    // One hash tag: the keys, their hit counters, the transaction keys and the counters the
    // `pool.client` callers increment share one slot.
    const keys = keyNames(prefix, 50, prefix);
    const clientKeys = keyNames(`${prefix}n`, 10, prefix);
    const slot = await cluster.keySlot(keys[0] as string);
    const admin = cluster.connect();
    defer(() => admin.disconnect());
    await seedKeys(admin, keys);
    const pool = createPool({ cluster: { nodes: cluster.startupNodes.slice() }, ...DRILL_POOL });
    return {
      ...drillClients(pool, keys, (caller) => `${prefix}{${prefix}}tx:${caller}`, { clientKeys }),
      admin,
      slot,
      moves: [] as Array<{ from: number; to: number; keys: number; ms: number }>,
    };
  },
  tailMs: 1_500,
  maxMs: 40_000,
  async scenario({ mark, elapsed }, { slot, moves }) {
    for (let hop = 0; hop < 2; hop++) {
      const source = await cluster.masterForSlot(slot);
      const target = (await cluster.masters()).find((node) => node !== source);
      if (!target) throw new Error('no other master to move the slot to');
      const startedAt = elapsed();
      const moved = await cluster.moveSlot(slot, source, target);
      moves.push({
        from: source.port,
        to: target.port,
        keys: moved,
        ms: Math.round(elapsed() - startedAt),
      });
      mark(`moved ${hop + 1}`);
    }
  },
  async measure({ workload, admin, slot, moves }) {
    const { hits, transactions, client } = await compareCounters(workload, admin);
    return { counters: { hits, transactions }, client, details: { slot, moves } };
  },
  assert(load, { counters, client }, { moves }) {
    expect(moves.every((move) => move.keys > 0)).toBe(true);
    // MOVED and ASK are followed: no call fails and every counter is exact.
    expect(load.failures.counts).toEqual({});
    expect(counters.hits).toMatchObject({ lost: 0, extra: 0 });
    expect(counters.transactions).toMatchObject({ lost: 0, extra: 0 });
    // The same for plain commands on the shared client.
    expect(load.okByLabel[CLIENT_LABEL], 'pool.client calls ok').toBeGreaterThan(0);
    expect(failuresOf(load, CLIENT_LABEL), 'pool.client failures').toEqual({});
    expect(client).toMatchObject({ lost: 0, extra: 0 });
  },
});

clusterCacheDrill(
  '11d near cache: Cluster resharding under writes, slot moved twice',
  () => cluster,
  {
    label: 'near-reshard',
    async fault({ slot }, { mark }) {
      for (let hop = 0; hop < 2; hop++) {
        const source = await cluster.masterForSlot(slot);
        const target = (await cluster.masters()).find((node) => node !== source);
        if (!target) throw new Error('no other master to move the slot to');
        await cluster.moveSlot(slot, source, target);
        mark(`moved ${hop + 1}`);
      }
    },
    rounds: 3,
  },
);

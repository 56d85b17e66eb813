import { createPool } from '@hitpool/pool';
import { type RedisCluster, randomPrefix, startRedisCluster } from '@hitpool/testing';
import { afterAll, beforeAll, expect, inject, it } from 'vitest';
import { keyNames, seedKeys } from '../src/data.js';
import { reportDrill } from '../src/figures.js';
import { CLIENT_LABEL } from '../src/workload.js';
import { compareCounters, DRILL_POOL, failuresOf, startDrillClients } from './common.js';

let cluster: RedisCluster;

beforeAll(async () => {
  cluster = await startRedisCluster();
});

afterAll(async () => {
  await cluster?.close();
});

it('resharding: the slot of the tracked keys moves twice under load', async () => {
  const prefix = randomPrefix('reshard');
  // One hash tag: the keys, their hit counters, the transaction keys and the counters the
  // `pool.client` callers increment share one slot.
  const keys = keyNames(prefix, 50, prefix);
  const clientKeys = keyNames(`${prefix}n`, 10, prefix);
  const slot = await cluster.keySlot(keys[0] as string);
  const admin = cluster.connect();
  await seedKeys(admin, keys);

  const pool = createPool({ cluster: { nodes: cluster.startupNodes.slice() }, ...DRILL_POOL });
  const { workload, unhandled, runWorkload, close } = startDrillClients(
    pool,
    keys,
    (caller) => `${prefix}{${prefix}}tx:${caller}`,
    { clientKeys },
  );
  const moves: Array<{ from: number; to: number; keys: number; ms: number }> = [];
  try {
    const load = await runWorkload({
      tailMs: 1_500,
      maxMs: 40_000,
      scenario: async ({ mark, elapsed }) => {
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
    });
    if (load.scenarioError) throw load.scenarioError;

    const { hits, transactions, client } = await compareCounters(workload, admin);

    reportDrill({
      drill: '4 Cluster resharding: slot moved twice',
      load,
      counters: { hits, transactions },
      client,
      details: {
        slot,
        moves,
        'unhandled rejections': unhandled.errors.length,
        'pool stats': pool.stats(),
      },
      resultsFile: inject('drillResults'),
    });

    expect(load.pending, 'calls left pending').toBe(0);
    expect(moves.every((move) => move.keys > 0)).toBe(true);
    // MOVED and ASK are followed: no call fails and every counter is exact.
    expect(load.failures.counts).toEqual({});
    expect(hits).toMatchObject({ lost: 0, extra: 0 });
    expect(transactions).toMatchObject({ lost: 0, extra: 0 });
    // The same for plain commands on the shared client.
    expect(load.okByLabel[CLIENT_LABEL], 'pool.client calls ok').toBeGreaterThan(0);
    expect(failuresOf(load, CLIENT_LABEL), 'pool.client failures').toEqual({});
    expect(client).toMatchObject({ lost: 0, extra: 0 });
    expect(unhandled.errors).toEqual([]);
  } finally {
    admin.disconnect();
    await close();
  }
});

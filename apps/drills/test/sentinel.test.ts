import { createPool } from '@hitpool/pool';
import { type RedisSentinelGroup, randomPrefix, startRedisSentinel } from '@hitpool/testing';
import { afterAll, beforeAll, expect, inject, it } from 'vitest';
import { keyNames, seedKeys } from '../src/data.js';
import { reportDrill } from '../src/figures.js';
import {
  compareCounters,
  DRILL_POOL,
  expectSettledAndCorrect,
  startDrillClients,
} from './common.js';

let group: RedisSentinelGroup;

beforeAll(async () => {
  group = await startRedisSentinel();
});

afterAll(async () => {
  await group?.close();
});

it('Sentinel failover: kill -9 of the master', async () => {
  const prefix = randomPrefix('sentinel');
  const keys = keyNames(prefix, 50);
  const admin = group.connect();
  await seedKeys(admin, keys);
  // The seed must be on the replica before the master dies.
  expect(await admin.call('WAIT', '1', '5000')).toBe(1);
  admin.disconnect();

  const pool = createPool({
    redis: { sentinels: group.sentinelAddresses.slice(), name: group.masterName },
    ...DRILL_POOL,
  });
  const { tracker, workload, unhandled, runWorkload, close } = startDrillClients(
    pool,
    keys,
    (caller) => `${prefix}tx:${caller}`,
  );
  const oldMaster = await group.currentMaster();
  let newMasterPort = 0;
  try {
    const load = await runWorkload({
      tailMs: 2_000,
      maxMs: 40_000,
      scenario: async ({ mark }) => {
        await oldMaster.kill();
        mark('kill');
        newMasterPort = (await group.waitForNewMaster(oldMaster, 30_000)).port;
        mark('promoted');
      },
    });
    if (load.scenarioError) throw load.scenarioError;

    // A lease taken now must talk to the promoted master.
    const leased = await pool.use(async (redis) => {
      const info = String(await redis.info('server'));
      const role = (await redis.call('ROLE')) as unknown[];
      return { port: Number(/tcp_port:(\d+)/.exec(info)?.[1]), role: role[0] };
    });
    const afterwards = await tracker.get(keys[0] as string);

    const reader = group.connect();
    const { hits, transactions } = await compareCounters(workload, reader);
    reader.disconnect();

    reportDrill({
      drill: '2 Sentinel failover: kill -9 of the master',
      load,
      recoverFrom: 'kill',
      counters: { hits, transactions },
      details: {
        'promoted after kill ms': Math.round(
          (load.marks.promoted?.atMs ?? 0) - (load.marks.kill?.atMs ?? 0),
        ),
        'first success after promotion ms': load.marks.promoted?.firstSuccessAfterMs,
        'lease after failover': leased,
        'unhandled rejections': unhandled.errors.length,
        'pool stats': pool.stats(),
      },
      resultsFile: inject('drillResults'),
    });

    expectSettledAndCorrect(load);
    expect(leased).toEqual({ port: newMasterPort, role: 'master' });
    expect(afterwards.value).not.toBeNull();
    expect(load.marks.promoted?.firstSuccessAfterMs).not.toBeNull();
    expect(unhandled.errors).toEqual([]);
  } finally {
    await close();
  }
});

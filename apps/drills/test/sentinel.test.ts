import { createPool } from '@hitpool/pool';
import {
  type RedisSentinelGroup,
  randomPrefix,
  startRedisSentinel,
  waitFor,
} from '@hitpool/testing';
import { afterAll, beforeAll, expect } from 'vitest';
import { keyNames } from '../src/data.js';
import { drill } from '../src/runner.js';
import { afterTheFault, allCached, CACHE_CHECKS, cacheSubject } from './cache-drill.js';
import { compareCounters, DRILL_POOL, drillClients, seedDrillKeys } from './common.js';

let group: RedisSentinelGroup;

beforeAll(async () => {
  group = await startRedisSentinel();
});

afterAll(async () => {
  await group?.close();
});

drill('2 Sentinel failover: kill -9 of the master', {
  async setup() {
    const admin = group.connect();
    const { keys, transactionKey } = await seedDrillKeys(admin, 'sentinel');
    // The seed must be on the replica before the master dies.
    expect(await admin.call('WAIT', '1', '5000')).toBe(1);
    admin.disconnect();
    const pool = createPool({
      redis: { sentinels: group.sentinelAddresses.slice(), name: group.masterName },
      ...DRILL_POOL,
    });
    return {
      ...drillClients(pool, keys, transactionKey),
      keys,
      oldMaster: await group.currentMaster(),
      newMasterPort: 0,
    };
  },
  tailMs: 2_000,
  maxMs: 40_000,
  async scenario({ mark }, subject) {
    await subject.oldMaster.kill();
    mark('kill');
    subject.newMasterPort = (await group.waitForNewMaster(subject.oldMaster, 30_000)).port;
    mark('promoted');
  },
  recoverFrom: 'kill',
  async measure({ pool, tracker, workload, keys }, load) {
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
    return {
      counters: { hits, transactions },
      details: {
        'promoted after kill ms': Math.round(
          (load.marks.promoted?.atMs ?? 0) - (load.marks.kill?.atMs ?? 0),
        ),
        'first success after promotion ms': load.marks.promoted?.firstSuccessAfterMs,
        'lease after failover': leased,
      },
      leased,
      afterwards,
    };
  },
  assert(load, { leased, afterwards }, { newMasterPort }) {
    expect(leased).toEqual({ port: newMasterPort, role: 'master' });
    expect(afterwards.value).not.toBeNull();
    expect(load.marks.promoted?.firstSuccessAfterMs).not.toBeNull();
  },
});

drill('11b near cache: Sentinel failover, kill -9 of the master with cached values', {
  async setup(context) {
    // The previous drill killed a master: start it again and wait until it replicates the
    // promoted one, so there is a replica to fail over to.
    for (const node of group.dataNodes) if (!node.running) await node.start();
    await waitFor(
      'both data nodes in replication',
      async () => {
        const roles = await Promise.all(
          group.dataNodes.map((node) => node.cli('INFO', 'replication')),
        );
        return roles.some(
          (info) => info.includes('role:slave') && info.includes('master_link_status:up'),
        );
      },
      30_000,
      100,
    );
    const pool = createPool({
      redis: { sentinels: group.sentinelAddresses.slice(), name: group.masterName },
      ...DRILL_POOL,
    });
    const keys = keyNames(randomPrefix('near-sentinel'), 50);
    return cacheSubject(pool, group.connect(), keys, context);
  },
  tailMs: 1_000,
  maxMs: 40_000,
  async scenario(context, subject) {
    const { mark } = context;
    await allCached(subject);
    // The seeded values must be on the replica before the master dies.
    await subject.writer.call('WAIT', '1', '5000');
    const master = await group.currentMaster();
    await master.kill();
    mark('kill');
    await group.waitForNewMaster(master, 30_000);
    mark('promoted');
    await waitFor(
      'the writer on the promoted master',
      () =>
        subject.writer.set(subject.keys[0] as string, `v${subject.version}`).then(
          () => true,
          () => false,
        ),
      15_000,
      100,
    );
    await afterTheFault(subject, context, 5);
  },
  recoverFrom: 'kill',
  ...CACHE_CHECKS,
});

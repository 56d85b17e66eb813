import { createPool } from '@hitpool/pool';
import { type RedisCluster, randomPrefix, startRedisCluster, waitFor } from '@hitpool/testing';
import { afterAll, beforeAll, expect } from 'vitest';
import { keyNames, seedKeys } from '../src/data.js';
import { type DrillLoad, loadDuring } from '../src/drill-load.js';
import { type DrillSetup, drill } from '../src/runner.js';
import { CLIENT_LABEL } from '../src/workload.js';
import { clusterCacheDrill } from './cache-drill.js';
import {
  CLIENT_CALLERS,
  compareCounters,
  DRILL_POOL,
  drillClients,
  failuresOf,
  firstSuccessAfter,
} from './common.js';

let cluster: RedisCluster;

beforeAll(async () => {
  cluster = await startRedisCluster({
    config: {
      // With full coverage required (Redis's default) every master answers CLUSTERDOWN from the
      // moment the crash is detected until the replica is promoted (about 1 s here), so no
      // client could keep the other masters serving; turn it off to measure what the client does.
      'cluster-require-full-coverage': 'no',
    },
  });
});

afterAll(async () => {
  await cluster?.close();
});

/** A key (hash tag) whose slot another master serves than `slot`'s. */
async function keyOnOtherMaster(prefix: string, slot: number): Promise<string> {
  const master = await cluster.masterForSlot(slot);
  for (let i = 0; i < 50; i++) {
    const key = `${prefix}{${prefix}other${i}}`;
    if ((await cluster.masterForSlot(await cluster.keySlot(key))) !== master) return key;
  }
  throw new Error('no key found on another master');
}

/**
 * The standard load on keys that all live in one slot (one hash tag), so the stall is the
 * stall of the shard that fails over. Besides the `hits.get` and lease callers,
 * {@link CLIENT_CALLERS} callers `INCR` 10 counters of that slot on `pool.client` (label
 * `client`). Meanwhile 10 bystander callers read a key on another master, to show the rest of
 * the cluster keeps serving; `bystander()` stops them and gives their figures.
 */
async function clusterSetup(label: string, { defer }: DrillSetup) {
  // The previous drill's failover or restart leaves a replica resyncing.
  await cluster.waitForReplicas();
  const prefix = randomPrefix(label);
  const keys = keyNames(prefix, 50, prefix);
  const clientKeys = keyNames(`${prefix}n`, 10, prefix);
  const slot = await cluster.keySlot(keys[0] as string);
  const other = await keyOnOtherMaster(prefix, slot);
  const admin = cluster.connect();
  defer(() => admin.disconnect());
  await seedKeys(admin, [...keys, other]);
  const pool = createPool({ cluster: { nodes: cluster.startupNodes.slice() }, ...DRILL_POOL });
  const clients = drillClients(pool, keys, (caller) => `${prefix}{${prefix}}tx:${caller}`, {
    clientKeys,
  });
  let mainDone = () => {};
  const bystanderRun = loadDuring({
    callers: 10,
    call: () => clients.tracker.get(other),
    warmupMs: 0,
    tailMs: 0,
    maxMs: 45_000,
    scenario: () => new Promise<void>((resolve) => (mainDone = resolve)),
  });
  const bystander = (): Promise<DrillLoad> => {
    mainDone();
    return bystanderRun;
  };
  defer(bystander);
  return { ...clients, admin, slot, bystander };
}

async function clusterFigures({
  workload,
  admin,
  bystander,
}: Awaited<ReturnType<typeof clusterSetup>>) {
  const other = await bystander();
  const { hits, transactions, client } = await compareCounters(workload, admin);
  return {
    counters: { hits, transactions },
    client,
    details: {
      'other master (10 callers)': {
        ok: other.ok,
        failed: other.failures.counts,
        longestStallMs: Math.round(other.longestStallMs),
      },
    },
    bystander: other,
  };
}

/** The `client` callers' failures whose message says ioredis gave up redirecting. */
function tooManyRedirections(load: DrillLoad): Record<string, number> {
  return Object.fromEntries(
    Object.entries(failuresOf(load, CLIENT_LABEL)).filter(
      ([code]) =>
        code.includes('Too many Cluster redirections') ||
        (load.failures.samples[code] ?? '').includes('Too many Cluster redirections'),
    ),
  );
}

/** How many `CLUSTER FAILOVER` attempts drill 3a's failover took (see `assert`). */
let plannedAttempts = 0;

drill('3a Cluster planned failover', {
  setup: (context) => clusterSetup('cluster-planned', context),
  tailMs: 2_000,
  maxMs: 40_000,
  async scenario({ mark }, { slot }) {
    const master = await cluster.masterForSlot(slot);
    const replica = await cluster.replicaOf(master);
    mark('failover');
    plannedAttempts = await cluster.failover(replica);
    mark('promoted');
  },
  recoverFrom: 'promoted',
  async measure(subject) {
    const figures = await clusterFigures(subject);
    return { ...figures, details: { ...figures.details, 'failover attempts': plannedAttempts } };
  },
  assert(load, { counters, client, bystander }) {
    expect(counters.hits.lost).toBe(0);
    expect(counters.transactions.lost).toBe(0);
    expect(load.okByLabel[CLIENT_LABEL], 'pool.client calls ok').toBeGreaterThan(0);
    // The shared client's own callers: a planned failover is a MOVED away, followed without a
    // single failed call, and nothing they were told was applied goes missing. Under heavy load
    // Redis can give up a planned failover after pausing the master's writes for 5 s (the
    // harness then asks again): calls to that master then time out at commandTimeoutMs, as they
    // must, and nothing else may fail.
    const failures = failuresOf(load, CLIENT_LABEL);
    if (plannedAttempts === 1) expect(failures, 'pool.client failures').toEqual({});
    else
      expect(Object.keys(failures), 'pool.client failures').toEqual(['client:Command timed out']);
    expect(client.lost, 'pool.client increments lost').toBe(0);
    expect(bystander.failures.counts).toEqual({});
  },
});

drill('3b Cluster failover: kill -9 of a master', {
  setup: (context) => clusterSetup('cluster-kill', context),
  tailMs: 2_000,
  maxMs: 40_000,
  async scenario({ mark }, { slot }) {
    const master = await cluster.masterForSlot(slot);
    await master.kill();
    mark('kill');
    await waitFor(
      'a replica to take over the slot',
      async () => (await cluster.masterForSlot(slot).catch(() => master)) !== master,
      30_000,
      100,
    );
    await cluster.waitUntilHealthy();
    mark('promoted');
  },
  recoverFrom: 'kill',
  async measure(subject, load) {
    const figures = await clusterFigures(subject);
    return {
      ...figures,
      details: {
        'promoted after kill ms': Math.round(
          (load.marks.promoted?.atMs ?? 0) - (load.marks.kill?.atMs ?? 0),
        ),
        'first success after promotion ms': load.marks.promoted?.firstSuccessAfterMs,
        'pool.client: first success after promotion ms': firstSuccessAfter(
          load,
          'promoted',
          CLIENT_LABEL,
        ),
        ...figures.details,
      },
    };
  },
  assert(load, { bystander }) {
    expect(load.marks.promoted?.firstSuccessAfterMs).not.toBeNull();
    // The shared client's own callers come back once the replica serves the slot, and the
    // pool's redirect policy never lets ioredis give up with "Too many Cluster redirections".
    expect(
      firstSuccessAfter(load, 'promoted', CLIENT_LABEL),
      'pool.client calls after the promotion',
    ).toBeDefined();
    expect(tooManyRedirections(load), 'pool.client redirect errors').toEqual({});
    // The other masters keep serving: their callers never fail and never wait for the dead
    // node's command timeout.
    expect(bystander.failures.counts).toEqual({});
    expect(bystander.pending).toBe(0);
    expect(bystander.longestStallMs).toBeLessThan(DRILL_POOL.commandTimeoutMs);
    // Lost acknowledged increments are reported, not asserted: Redis replicates
    // asynchronously, so a crash can lose what the master acknowledged last.
  },
});

clusterCacheDrill('11c near cache: Cluster planned failover under writes', () => cluster, {
  label: 'near-cluster',
  async before() {
    // The kill drill leaves its master down: back as a replica, every slot has one to fail over to.
    for (const node of cluster.nodes) if (!node.running) await node.start();
    await cluster.waitUntilHealthy();
    await cluster.waitForReplicas();
  },
  async fault({ slot }, { mark }) {
    const replica = await cluster.replicaOf(await cluster.masterForSlot(slot));
    mark('failover');
    // The demoted master keeps its connections open: only the slot table tells the cache.
    await cluster.failover(replica);
    mark('promoted');
  },
  rounds: 5,
  recoverFrom: 'failover',
});

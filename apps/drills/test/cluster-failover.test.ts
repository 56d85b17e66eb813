import { createPool, type PoolStats } from '@hitpool/pool';
import { type RedisCluster, randomPrefix, startRedisCluster, waitFor } from '@hitpool/testing';
import { afterAll, beforeAll, expect, inject, it } from 'vitest';
import type { LedgerComparison } from '../src/counters.js';
import { keyNames, seedKeys } from '../src/data.js';
import { reportDrill } from '../src/figures.js';
import { type LoadResult, runLoad, type ScenarioContext } from '../src/load.js';
import { CLIENT_LABEL } from '../src/workload.js';
import {
  CLIENT_CALLERS,
  compareCounters,
  DRILL_POOL,
  expectSettledAndCorrect,
  failuresOf,
  firstSuccessAfter,
  startDrillClients,
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
 * Run the standard load on keys that all live in one slot (one hash tag), so
 * the stall is the stall of the shard that fails over, then compare what was
 * acknowledged with what the cluster holds. Besides the `hits.get` and lease
 * callers, {@link CLIENT_CALLERS} callers `INCR` 10 counters of that slot on
 * `pool.client` (label `client`). Meanwhile 10 bystander callers read a key on
 * another master, to show the rest of the cluster keeps serving.
 */
async function clusterDrill(
  label: string,
  scenario: (slot: number) => (context: ScenarioContext) => Promise<void>,
): Promise<{
  load: LoadResult;
  hits: LedgerComparison;
  transactions: LedgerComparison;
  client: LedgerComparison;
  bystander: LoadResult;
  poolStats: PoolStats;
  unhandled: number;
}> {
  // The previous drill's failover or restart leaves a replica resyncing.
  await cluster.waitForReplicas();
  const prefix = randomPrefix(label);
  const keys = keyNames(prefix, 50, prefix);
  const clientKeys = keyNames(`${prefix}n`, 10, prefix);
  const slot = await cluster.keySlot(keys[0] as string);
  const other = await keyOnOtherMaster(prefix, slot);
  const admin = cluster.connect();
  await seedKeys(admin, [...keys, other]);
  const pool = createPool({ cluster: { nodes: cluster.startupNodes.slice() }, ...DRILL_POOL });
  const { tracker, workload, unhandled, runWorkload, close } = startDrillClients(
    pool,
    keys,
    (caller) => `${prefix}{${prefix}}tx:${caller}`,
    { clientKeys },
  );
  try {
    let mainDone = () => {};
    const bystanderRun = runLoad({
      callers: 10,
      call: () => tracker.get(other),
      warmupMs: 0,
      tailMs: 0,
      maxMs: 45_000,
      scenario: () => new Promise<void>((resolve) => (mainDone = resolve)),
    });
    const load = await runWorkload({
      tailMs: 2_000,
      maxMs: 40_000,
      scenario: scenario(slot),
    });
    mainDone();
    const bystander = await bystanderRun;
    if (load.scenarioError) throw load.scenarioError;
    const { hits, transactions, client } = await compareCounters(workload, admin);
    return {
      load,
      bystander,
      hits,
      transactions,
      client,
      poolStats: pool.stats(),
      unhandled: unhandled.errors.length,
    };
  } finally {
    admin.disconnect();
    await close();
  }
}

/** The `client` callers' failures whose message says ioredis gave up redirecting. */
function tooManyRedirections(load: LoadResult): Record<string, number> {
  return Object.fromEntries(
    Object.entries(failuresOf(load, CLIENT_LABEL)).filter(
      ([code]) =>
        code.includes('Too many Cluster redirections') ||
        (load.failures.samples[code] ?? '').includes('Too many Cluster redirections'),
    ),
  );
}

function bystanderFigures(load: LoadResult): Record<string, unknown> {
  return {
    ok: load.ok,
    failed: load.failures.counts,
    longestStallMs: Math.round(load.longestStallMs),
  };
}

it('Cluster planned failover (CLUSTER FAILOVER on a replica) loses nothing', async () => {
  const result = await clusterDrill('cluster-planned', (slot) => async ({ mark }) => {
    const master = await cluster.masterForSlot(slot);
    const replica = await cluster.replicaOf(master);
    mark('failover');
    await cluster.failover(replica);
    mark('promoted');
  });
  reportDrill({
    drill: '3a Cluster planned failover',
    load: result.load,
    recoverFrom: 'promoted',
    counters: { hits: result.hits, transactions: result.transactions },
    client: result.client,
    details: {
      'other master (10 callers)': bystanderFigures(result.bystander),
      'unhandled rejections': result.unhandled,
      'pool stats': result.poolStats,
    },
    resultsFile: inject('drillResults'),
  });
  expectSettledAndCorrect(result.load);
  expect(result.hits.lost).toBe(0);
  expect(result.transactions.lost).toBe(0);
  // The shared client's own callers: a planned failover is a MOVED away, followed without a
  // single failed call, and nothing they were told was applied goes missing.
  expect(result.load.okByLabel[CLIENT_LABEL], 'pool.client calls ok').toBeGreaterThan(0);
  expect(failuresOf(result.load, CLIENT_LABEL), 'pool.client failures').toEqual({});
  expect(result.client.lost, 'pool.client increments lost').toBe(0);
  expect(result.unhandled).toBe(0);
  expect(result.bystander.failures.counts).toEqual({});
});

it('Cluster kill -9 of a master: the replica takes over, lost increments counted', async () => {
  const result = await clusterDrill('cluster-kill', (slot) => async ({ mark }) => {
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
  });
  reportDrill({
    drill: '3b Cluster failover: kill -9 of a master',
    load: result.load,
    recoverFrom: 'kill',
    counters: { hits: result.hits, transactions: result.transactions },
    client: result.client,
    details: {
      'promoted after kill ms': Math.round(
        (result.load.marks.promoted?.atMs ?? 0) - (result.load.marks.kill?.atMs ?? 0),
      ),
      'first success after promotion ms': result.load.marks.promoted?.firstSuccessAfterMs,
      'pool.client: first success after promotion ms': firstSuccessAfter(
        result.load,
        'promoted',
        CLIENT_LABEL,
      ),
      'other master (10 callers)': bystanderFigures(result.bystander),
      'unhandled rejections': result.unhandled,
      'pool stats': result.poolStats,
    },
    resultsFile: inject('drillResults'),
  });
  expectSettledAndCorrect(result.load);
  expect(result.load.marks.promoted?.firstSuccessAfterMs).not.toBeNull();
  expect(result.unhandled).toBe(0);
  // The shared client's own callers come back once the replica serves the slot, and the
  // pool's redirect policy never lets ioredis give up with "Too many Cluster redirections".
  expect(
    firstSuccessAfter(result.load, 'promoted', CLIENT_LABEL),
    'pool.client calls after the promotion',
  ).toBeDefined();
  expect(tooManyRedirections(result.load), 'pool.client redirect errors').toEqual({});
  // The other masters keep serving: their callers never fail and never wait for the dead
  // node's command timeout.
  expect(result.bystander.failures.counts).toEqual({});
  expect(result.bystander.pending).toBe(0);
  expect(result.bystander.longestStallMs).toBeLessThan(DRILL_POOL.commandTimeoutMs);
  // Lost acknowledged increments are reported, not asserted: Redis replicates
  // asynchronously, so a crash can lose what the master acknowledged last.
});

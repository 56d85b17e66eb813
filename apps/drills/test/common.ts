import { createHitTracker, type HitTracker } from '@hitpool/hits';
import type { RedisPool } from '@hitpool/pool';
import { delay, type RedisServer, randomPrefix, waitFor } from '@hitpool/testing';
import type { Cluster, Redis } from 'ioredis';
import { expect } from 'vitest';
import type { LedgerComparison } from '../src/counters.js';
import { type DataClient, keyNames, readHits, readIntegers, seedKeys } from '../src/data.js';
import { type DrillLoad, recovery } from '../src/drill-load.js';
import type { DrillSubject } from '../src/runner.js';
import type { ScenarioContext } from '../src/timeline.js';
import { createWorkload, type Workload } from '../src/workload.js';

/**
 * Settings every drill shares: 200 concurrent callers; 20 of them run a
 * WATCH/MULTI transaction on a lease, the rest call `hits.get`. Drills that
 * ask for it (the Cluster ones) turn 20 of the `hits.get` callers into callers
 * of plain commands (`INCR`) on the pool's shared client.
 */
export const CALLERS = 200;
export const TRANSACTION_CALLERS = 20;
export const CLIENT_CALLERS = 20;

/**
 * Slack allowed over a configured timeout before a drill calls it broken: the
 * timers fire on an event loop that is also running 200 callers on a shared
 * 2-core machine.
 */
export const TIMEOUT_TOLERANCE_MS = 250;

/** Pool settings for the fault drills: short timeouts so a fault shows within a second. */
export const DRILL_POOL = {
  max: 10,
  acquireTimeoutMs: 1_000,
  commandTimeoutMs: 1_000,
  connectTimeoutMs: 1_000,
} as const;

/** Both the shared client (`hits.get`, label `main`) and the leases (`tx`) served again within `limitMs` of `mark`. */
export function expectBothServeAgainWithin(load: DrillLoad, mark: string, limitMs: number): void {
  const { byLabel } = recovery(load, mark);
  expect(byLabel.main, `hits.get after "${mark}"`).toBeLessThanOrEqual(limitMs);
  expect(byLabel.tx, `leases after "${mark}"`).toBeLessThanOrEqual(limitMs);
}

/**
 * The outage stayed within the pool's timeouts: every call settled within `acquireTimeoutMs +
 * commandTimeoutMs` of {@link DRILL_POOL} (and the tolerance), and both kinds of callers served
 * again within 1 s of `mark`.
 */
export function expectBoundedOutage(load: DrillLoad, mark: string): void {
  expect(load.maxLatencyMs).toBeLessThanOrEqual(
    DRILL_POOL.acquireTimeoutMs + DRILL_POOL.commandTimeoutMs + TIMEOUT_TOLERANCE_MS,
  );
  expectBothServeAgainWithin(load, mark, 1_000);
}

/** Milliseconds from `mark` to the first success of the callers labelled `label`; undefined = never. */
export function firstSuccessAfter(
  load: DrillLoad,
  mark: string,
  label: string,
): number | undefined {
  return load.marks[mark]?.firstSuccessAfterByLabelMs[label];
}

/** The failures of the callers labelled `label` (codes `label:...`), by code. */
export function failuresOf(load: DrillLoad, label: string): Record<string, number> {
  return Object.fromEntries(
    Object.entries(load.failures.counts).filter(([code]) => code.startsWith(`${label}:`)),
  );
}

/** The standard drill's keys, from {@link seedDrillKeys}. */
export interface DrillKeys {
  /** Tracked keys, each holding its known value. */
  keys: string[];
  /** The key transaction caller `caller` increments (one each, so WATCH never conflicts). */
  transactionKey(caller: number): string;
}

/** 50 keys under a fresh prefix made from `label`, seeded through `admin`. */
export async function seedDrillKeys(admin: DataClient, label: string): Promise<DrillKeys> {
  const prefix = randomPrefix(label);
  const keys = keyNames(prefix, 50);
  await seedKeys(admin, keys);
  return { keys, transactionKey: (caller) => `${prefix}tx:${caller}` };
}

/** The scenario of a crash: kill -9 `server` (mark `kill`), start it again on its port `downMs` later (mark `server back`). */
export async function killAndRestart(
  server: RedisServer,
  downMs: number,
  { mark }: ScenarioContext,
): Promise<void> {
  await server.kill();
  mark('kill');
  await delay(downMs);
  await server.start();
  mark('server back');
}

/**
 * Wait up to 5 s for `count()` (connections left after a fault) to come down to `bound`; the
 * last count, for the drill to assert.
 */
export async function countOnceSettled(
  what: string,
  bound: number,
  count: () => number | Promise<number>,
): Promise<number> {
  let last = Number.NaN;
  await waitFor(
    what,
    async () => {
      last = await count();
      return last <= bound;
    },
    5_000,
  ).catch(() => {});
  return last;
}

/** Options for {@link drillClients}. */
export interface DrillClientOptions {
  /**
   * Counter keys for {@link CLIENT_CALLERS} callers that `INCR` them in turn on `pool.client`
   * (label `client`), taken from the `hits.get` callers; omit for none.
   */
  clientKeys?: readonly string[];
  /** Concurrent callers; default {@link CALLERS}. */
  callers?: number;
  /** How many of them run WATCH/MULTI on a lease; default {@link TRANSACTION_CALLERS}. */
  transactionCallers?: number;
}

/** The standard drill subject: the pool, a tracker on it, and the workload's callers. */
export interface DrillClients extends DrillSubject {
  pool: RedisPool;
  tracker: HitTracker;
  workload: Workload;
}

/**
 * The standard drill subject on `pool`: a tracker, and {@link CALLERS} callers of which
 * {@link TRANSACTION_CALLERS} run WATCH/MULTI on `transactionKey(caller)` (and, with
 * `clientKeys`, {@link CLIENT_CALLERS} `INCR` on `pool.client`), the rest `hits.get` on `keys`.
 */
export function drillClients(
  pool: RedisPool,
  keys: readonly string[],
  transactionKey: (caller: number) => string,
  options: DrillClientOptions = {},
): DrillClients {
  const tracker = createHitTracker({ redis: pool });
  const workload = createWorkload({
    tracker,
    keys,
    pool,
    transactionCallers: options.transactionCallers ?? TRANSACTION_CALLERS,
    transactionKey,
    ...(options.clientKeys
      ? { client: pool.client, clientCallers: CLIENT_CALLERS, clientKeys: options.clientKeys }
      : {}),
  });
  return {
    pool,
    tracker,
    workload,
    callers: options.callers ?? CALLERS,
    call: workload.call,
    labelOf: workload.labelOf,
  };
}

/**
 * Acknowledged hits, transaction increments and shared-client `INCR`s versus what
 * `reader`'s Redis holds now (`client` compares nothing with nothing when the workload
 * has no `client` callers).
 */
export async function compareCounters(
  workload: Workload,
  reader: Redis | Cluster,
): Promise<{ hits: LedgerComparison; transactions: LedgerComparison; client: LedgerComparison }> {
  const readTracker = createHitTracker({ redis: reader });
  try {
    const hits = workload.hits.compare(await readHits(readTracker, workload.hits.keys));
    const transactions = workload.transactions.compare(
      await readIntegers(reader, workload.transactions.keys),
    );
    const client = workload.clientIncrements.compare(
      await readIntegers(reader, workload.clientKeys),
    );
    return { hits, transactions, client };
  } finally {
    await readTracker.close();
  }
}

import { createHitTracker, type HitTracker } from '@hitpool/hits';
import type { RedisPool } from '@hitpool/pool';
import type { Cluster, Redis } from 'ioredis';
import { expect } from 'vitest';
import type { LedgerComparison } from '../src/counters.js';
import { readHits, readIntegers } from '../src/data.js';
import { type LoadOptions, type LoadResult, runLoad } from '../src/load.js';
import { type UnhandledWatch, watchUnhandled } from '../src/unhandled.js';
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

/** Codes the drill itself raises when Redis answered but the answer was wrong. */
export const CORRECTNESS_CODES = ['WRONG_REPLY', 'EXEC_ABORTED', 'EXEC_EMPTY'];

/** Failure codes that mean a correctness bug (a reply for another command), not an outage. */
export function correctnessFailures(counts: Readonly<Record<string, number>>): string[] {
  return Object.keys(counts).filter((code) =>
    CORRECTNESS_CODES.some((bad) => code === bad || code.endsWith(`:${bad}`)),
  );
}

/**
 * Milliseconds from `mark` to the first success of each kind of caller: `main`
 * (`hits.get` on the shared client) and `tx` (leases). Missing = never. (Drills
 * with `client` callers check those on their own: {@link firstSuccessAfter}.)
 */
function recoveryByCaller(
  load: LoadResult,
  mark: string,
): { main: number | undefined; tx: number | undefined } {
  const byLabel = load.marks[mark]?.firstSuccessAfterByLabelMs ?? {};
  return { main: byLabel.main, tx: byLabel.tx };
}

/** Both the shared client (`hits.get`) and the leases served again within `limitMs` of `mark`. */
export function expectBothServeAgainWithin(load: LoadResult, mark: string, limitMs: number): void {
  const recovery = recoveryByCaller(load, mark);
  expect(recovery.main, `hits.get after "${mark}"`).toBeLessThanOrEqual(limitMs);
  expect(recovery.tx, `leases after "${mark}"`).toBeLessThanOrEqual(limitMs);
}

/** Milliseconds from `mark` to the first success of the callers labelled `label`; undefined = never. */
export function firstSuccessAfter(
  load: LoadResult,
  mark: string,
  label: string,
): number | undefined {
  return load.marks[mark]?.firstSuccessAfterByLabelMs[label];
}

/** The failures of the callers labelled `label` (codes `label:...`), by code. */
export function failuresOf(load: LoadResult, label: string): Record<string, number> {
  return Object.fromEntries(
    Object.entries(load.failures.counts).filter(([code]) => code.startsWith(`${label}:`)),
  );
}

/** Options for {@link startDrillClients}. */
export interface DrillClientOptions {
  /**
   * Counter keys for {@link CLIENT_CALLERS} callers that `INCR` them in turn on `pool.client`
   * (label `client`), taken from the `hits.get` callers; omit for none.
   */
  clientKeys?: readonly string[];
}

/** What a drill runs its load with; {@link DrillClients.close} releases it. */
export interface DrillClients {
  tracker: HitTracker;
  workload: Workload;
  unhandled: UnhandledWatch;
  /** {@link runLoad} with {@link CALLERS} callers running the workload (`main`, `tx` and maybe `client` labels). */
  runWorkload(options: Omit<LoadOptions, 'callers' | 'call' | 'labelOf'>): Promise<LoadResult>;
  /** Stop the unhandled watch, close the tracker, then the pool (grace 1 s). */
  close(): Promise<void>;
}

/**
 * The standard drill set-up on `pool`: a tracker, the workload of {@link CALLERS}
 * callers of which {@link TRANSACTION_CALLERS} run WATCH/MULTI on `transactionKey(caller)`
 * (and, with `clientKeys`, {@link CLIENT_CALLERS} `INCR` on `pool.client`), and a watch on
 * unhandled rejections.
 */
export function startDrillClients(
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
    transactionCallers: TRANSACTION_CALLERS,
    transactionKey,
    ...(options.clientKeys
      ? { client: pool.client, clientCallers: CLIENT_CALLERS, clientKeys: options.clientKeys }
      : {}),
  });
  const unhandled = watchUnhandled();
  return {
    tracker,
    workload,
    unhandled,
    runWorkload: (options) =>
      runLoad({ ...options, callers: CALLERS, call: workload.call, labelOf: workload.labelOf }),
    async close() {
      unhandled.stop();
      await tracker.close();
      await pool.close({ timeoutMs: 1_000 });
    },
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

/** Every call settled, and none failed with a reply meant for another command. */
export function expectSettledAndCorrect(
  load: LoadResult,
  pendingMessage = 'calls left pending',
): void {
  expect(load.pending, pendingMessage).toBe(0);
  expect(correctnessFailures(load.failures.counts)).toEqual([]);
}

import type { Cluster, Redis } from 'ioredis';
import { AckLedger } from './counters.js';
import type { LoadOptions } from './load.js';
import { DrillCheckError } from './outcomes.js';

/** What the workload needs of a hit tracker (`HitTracker` from @hitpool/hits fits). */
export interface TrackerLike {
  get(key: string): Promise<{ key: string; value: string | null; hits: number }>;
}

/** What the workload needs of a pool (`RedisPool` from @hitpool/pool fits). */
export interface PoolLike {
  use<T>(fn: (redis: Redis | Cluster) => T | Promise<T>): Promise<T>;
}

/** Options for {@link createWorkload}. */
export interface WorkloadOptions {
  tracker: TrackerLike;
  /** Keys read and counted with `tracker.get`; each must hold {@link seedValue}. */
  keys: readonly string[];
  /** Pool for the WATCH/MULTI callers; omit to run `get` callers only. */
  pool?: PoolLike;
  /** Number of callers (the first ones) that run a transaction instead of `get`; default 0. */
  transactionCallers?: number;
  /** The key transaction caller `i` increments (one key per caller, so WATCH never conflicts). */
  transactionKey?: (caller: number) => string;
}

/** The standard drill workload: `hits.get` callers and WATCH/MULTI callers, with ledgers of what was acknowledged. */
export interface Workload {
  call(caller: number): Promise<void>;
  /** `tx` for transaction callers, for {@link LoadOptions.labelOf}. */
  labelOf(caller: number): string | undefined;
  /** Hits acknowledged by `get`, per key. */
  readonly hits: AckLedger;
  /** Transaction increments acknowledged, per transaction key. */
  readonly transactions: AckLedger;
}

/** The value each tracked key is seeded with, so a reply meant for another key is caught. */
export function seedValue(key: string): string {
  return `value-of:${key}`;
}

/** Build the standard workload (see {@link Workload}). */
export function createWorkload(options: WorkloadOptions): Workload {
  const hits = new AckLedger();
  const transactions = new AckLedger();
  const txCallers = options.pool ? (options.transactionCallers ?? 0) : 0;
  const txKey = options.transactionKey ?? ((caller: number) => `drill-tx:${caller}`);
  const turns: number[] = [];

  const get = async (caller: number) => {
    const turn = turns[caller] ?? 0;
    turns[caller] = turn + 1;
    const key = options.keys[(caller + turn) % options.keys.length] as string;
    const result = await options.tracker.get(key);
    if (result.key !== key || result.value !== seedValue(key)) {
      throw new DrillCheckError(
        'WRONG_REPLY',
        `get(${key}) returned key ${result.key} value ${String(result.value)}`,
      );
    }
    hits.ack(key);
  };

  const transaction = async (pool: PoolLike, caller: number) => {
    const key = txKey(caller);
    await pool.use(async (redis) => {
      await redis.watch(key);
      await redis.get(key);
      const replies = await redis.multi().incr(key).exec();
      if (replies === null)
        throw new DrillCheckError(
          'EXEC_ABORTED',
          `EXEC on ${key} aborted though no one else writes it`,
        );
      const [error] = replies[0] ?? [new DrillCheckError('EXEC_EMPTY', 'EXEC returned no reply')];
      if (error) throw error;
    });
    transactions.ack(key);
  };

  return {
    hits,
    transactions,
    labelOf: (caller) => (options.pool && caller < txCallers ? 'tx' : undefined),
    call(caller) {
      return options.pool && caller < txCallers ? transaction(options.pool, caller) : get(caller);
    },
  };
}

import type { Cluster, Redis } from 'ioredis';
import { AckLedger } from './counters.js';
import type { DrillLoadOptions } from './drill-load.js';
import { DrillCheckError } from './outcomes.js';

/** What the workload needs of a hit tracker (`HitTracker` from @hitpool/hits fits). */
export interface TrackerLike {
  get(key: string): Promise<{ key: string; value: string | null; hits: number }>;
}

/** What the workload needs of a pool (`RedisPool` from @hitpool/pool fits). */
export interface PoolLike {
  use<T>(fn: (redis: Redis | Cluster) => T | Promise<T>): Promise<T>;
}

/** Label of the callers of plain commands on the shared client: failure codes read `client:...`. */
export const CLIENT_LABEL = 'client';

/** What the workload needs of a shared client (`pool.client` from @hitpool/pool fits). */
export interface ClientLike {
  incr(key: string): Promise<number>;
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
  /** Shared client for the `client` callers (`INCR` on {@link clientKeys}); omit for none. */
  client?: ClientLike;
  /** Number of callers (after the transaction callers) that `INCR` a key on `client`; default 0. */
  clientCallers?: number;
  /** Counter keys the `client` callers increment, in turn (shared by all of them). */
  clientKeys?: readonly string[];
}

/**
 * The standard drill workload: `hits.get` callers, WATCH/MULTI callers on leases and,
 * when asked, callers of plain commands on the shared client, with ledgers of what was
 * acknowledged.
 */
export interface Workload {
  call(caller: number): Promise<void>;
  /** `tx` for transaction callers, `client` for shared-client callers, for {@link DrillLoadOptions.labelOf}. */
  labelOf(caller: number): string | undefined;
  /** Hits acknowledged by `get`, per key. */
  readonly hits: AckLedger;
  /** Transaction increments acknowledged, per transaction key. */
  readonly transactions: AckLedger;
  /** `INCR`s on the shared client acknowledged, per key. */
  readonly clientIncrements: AckLedger;
  /** Every key the `client` callers may increment (read them all back: a key can hold only failed calls). */
  readonly clientKeys: readonly string[];
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
  const clientKeys = options.client ? (options.clientKeys ?? []) : [];
  const clientCallers = clientKeys.length > 0 ? (options.clientCallers ?? 0) : 0;
  const clientIncrements = new AckLedger();
  /** Last `INCR` reply each caller saw per key: the next one on that key must be higher. */
  const lastReplies = new Map<string, number>();
  const turns: number[] = [];
  const kindOf = (caller: number): 'tx' | typeof CLIENT_LABEL | 'get' =>
    caller < txCallers ? 'tx' : caller < txCallers + clientCallers ? CLIENT_LABEL : 'get';

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

  const increment = async (client: ClientLike, caller: number) => {
    const turn = turns[caller] ?? 0;
    turns[caller] = turn + 1;
    const key = clientKeys[(caller + turn) % clientKeys.length] as string;
    const reply: unknown = await client.incr(key);
    const seen = `${caller}:${key}`;
    const previous = lastReplies.get(seen) ?? 0;
    if (typeof reply !== 'number' || !Number.isInteger(reply) || reply <= previous) {
      throw new DrillCheckError(
        'WRONG_REPLY',
        `incr(${key}) returned ${JSON.stringify(reply)} after ${previous} for the same caller`,
      );
    }
    lastReplies.set(seen, reply);
    clientIncrements.ack(key);
  };

  return {
    hits,
    transactions,
    clientIncrements,
    clientKeys,
    labelOf(caller) {
      const kind = kindOf(caller);
      return kind === 'get' ? undefined : kind;
    },
    call(caller) {
      const kind = kindOf(caller);
      if (kind === 'tx' && options.pool) return transaction(options.pool, caller);
      if (kind === CLIENT_LABEL && options.client) return increment(options.client, caller);
      return get(caller);
    },
  };
}

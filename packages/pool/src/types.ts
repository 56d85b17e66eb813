import type { Cluster, ClusterNode, ClusterOptions, Redis, RedisOptions } from 'ioredis';
import type { PoolError } from './errors.js';

/** A connection the pool hands out: a standalone/Sentinel `Redis` or a `Cluster`. */
export type RedisConnection = Redis | Cluster;

/**
 * ioredis options the pool accepts (Sentinel included: `{ sentinels, name }`).
 * `replyMapping` is left out because its optional type clashes with `exactOptionalPropertyTypes`.
 */
export type RedisClientOptions = Omit<RedisOptions, 'replyMapping'>;

/** Redis Cluster settings: the seed nodes and ioredis Cluster options. */
export interface ClusterConfig {
  /** Seed nodes, e.g. `[{ host: '10.0.0.1', port: 6379 }]`; ioredis discovers the rest. */
  nodes: readonly ClusterNode[];
  /** ioredis `ClusterOptions`; `redisOptions` apply to every node connection. */
  options?: Omit<ClusterOptions, 'redisOptions'> & {
    redisOptions?: Omit<NonNullable<ClusterOptions['redisOptions']>, 'replyMapping'>;
  };
}

/** Options of {@link createPool}. Every duration is in milliseconds. */
export interface PoolOptions {
  /**
   * `redis://[user[:password]@]host[:port][/db]` or `rediss://…` (TLS).
   * Default: `process.env.REDIS_URL`, else `redis://127.0.0.1:6379/0`.
   * Ignored for the address when `redis.sentinels` or `cluster` is set (user, password, db and TLS still apply).
   */
  url?: string;
  /** ioredis options, merged over what the URL says. Sentinel: `{ sentinels: [...], name: 'mymaster' }`. */
  redis?: RedisClientOptions;
  /** Use Redis Cluster instead of a standalone/Sentinel server. */
  cluster?: ClusterConfig;
  /** Connections kept open even when idle; filled in the background. Default 0. */
  min?: number;
  /** Most connections leased at once (the shared `client` is extra). Default 10 (connections). */
  max?: number;
  /**
   * Most connections of the blocking lane (`acquire({ blocking: true })`), on top of `max`: for
   * commands that park a connection (`BLPOP`, `XREAD BLOCK`, `WAIT`), so they never take the
   * connections ordinary leases need. Opened on demand, closed after `idleTimeoutMs`. A pool
   * never opens more than `max` + `maxBlocking` + 1 (the shared `client`) connections.
   * A positive integer. Default 10 (connections).
   */
  maxBlocking?: number;
  /** How long `acquire` waits for a connection before `PoolTimeoutError`. Default 5000 ms. */
  acquireTimeoutMs?: number;
  /** Most `acquire` calls waiting at once; one more rejects with `PoolQueueFullError`. Default 1000. */
  maxWaiting?: number;
  /** Idle connections above `min` are closed after this long. `0` = never. Default 30000 ms. */
  idleTimeoutMs?: number;
  /** Retire a connection after this long (± `lifetimeJitterMs`). `0` = never. Default 1800000 ms (30 min). */
  maxLifetimeMs?: number;
  /** Random spread added to or taken from `maxLifetimeMs` per connection. Default 10% of `maxLifetimeMs`. */
  lifetimeJitterMs?: number;
  /** A connection idle longer than this is PINGed before it is handed out. `0` = always. Default 30000 ms. */
  validateAfterIdleMs?: number;
  /** Emit `leak` when a lease is held longer than this. `0` = off. Default 0 (ms). */
  leakDetectionMs?: number;
  /**
   * Take a lease back when it is held longer than this (ms, a non-negative integer; `0` = off,
   * the default; when both are on, at least `leakDetectionMs`). Its connection is destroyed and
   * its slot goes to the next waiter; the borrower's next command rejects with
   * `PoolLeaseReclaimedError` and its `release()` does nothing. The pool emits `reclaim` with
   * the acquirer's stack. A lease parked in a blocking command without a timeout (`BLPOP … 0`,
   * `XREAD BLOCK 0`, `WAIT n 0`) is not reclaimed while that command is outstanding; its clock
   * starts again when the command returns. Default 0 (off).
   */
  leakReclaimMs?: number;
  /** TCP connect + handshake limit per connection attempt. Default 5000 ms. */
  connectTimeoutMs?: number;
  /**
   * How long a command may wait for its reply, from the call: on the shared `client`, and on
   * leases (per lease: `acquire({ commandTimeoutMs })`, blocking commands get their block time
   * on top). Default 5000 ms.
   */
  commandTimeoutMs?: number;
  /**
   * Fail fast while Redis is down (a circuit breaker per server, per node on a Cluster): once
   * the pool has seen that Redis cannot be reached (2 failures in a row: failed connects,
   * command timeouts of `client`, or a connection left unanswered 0.5 s after a first failure),
   * `acquire`, `use` and `client` commands reject at once with `PoolUnavailableError` (nothing
   * sent) until a probe (one at a time, every 50–300 ms) reaches Redis again. `false` keeps
   * waiting up to `acquireTimeoutMs` / `commandTimeoutMs` while Redis is down (health is still
   * reported). Default true.
   */
  failFast?: boolean;
  /**
   * Most commands the shared `client` holds unanswered (waiting for a connection, or written
   * and waiting for their reply); one more rejects at once with `PoolQueueFullError`, unsent.
   * A batch of `@hitpool/hits` counts as the callers it carries. On a Cluster the bound applies
   * per node connection (and to the commands waiting while the Cluster discovers its slots),
   * so a dead node's backlog never refuses the callers of the others. A positive integer.
   * Default 10000 (commands).
   */
  maxPendingCommands?: number;
}

/** Options of {@link getPool}: pool options plus a registry name. */
export interface GetPoolOptions extends PoolOptions {
  /** Registry key; pools with the same name are the same pool. Default: derived from the options. */
  name?: string;
}

/** Options of `acquire` and `use`. */
export interface AcquireOptions {
  /** Abort waiting; the promise rejects with `signal.reason`. */
  signal?: AbortSignal;
  /**
   * Take the connection from the blocking lane (bounded by `maxBlocking`, outside `max`): for a
   * lease that parks in `BLPOP`, `BRPOP`, `XREAD BLOCK`, `WAIT`… Same guarantees as any lease
   * (cleaned on release, deadlines, waiters served in order, `timeoutMs`). Default false.
   */
  blocking?: boolean;
  /** Overrides the pool's `acquireTimeoutMs` for this call (ms). */
  timeoutMs?: number;
  /**
   * How long each command on this lease may wait for its reply (ms); `0` = no limit.
   * Default: the pool's `commandTimeoutMs`. Blocking commands (BLPOP, BRPOP, BLMOVE, BZPOP*,
   * XREAD/XREADGROUP BLOCK, WAIT) get their own block time on top, and no limit when they
   * block forever. A command that times out rejects with `Command timed out` and the
   * connection is closed (never lent again).
   */
  commandTimeoutMs?: number;
}

/** Options of `close`. */
export interface CloseOptions {
  /** How long borrowed leases get to come back before they are closed anyway. Default 5000 ms. */
  timeoutMs?: number;
}

/** Acquire wait times over the most recent acquires (ms). */
export interface WaitTimeStats {
  /** Median wait, ms. */
  p50: number;
  /** 99th percentile wait, ms. */
  p99: number;
  /** Longest wait since the pool was created, ms. */
  max: number;
}

/** The blocking lane's part of {@link PoolStats}. */
export interface BlockingLaneStats {
  /** Blocking-lane connections open or opening. */
  size: number;
  /** Blocking-lane connections parked, ready to lend. */
  idle: number;
  /** Blocking-lane connections lent out. */
  borrowed: number;
  /** `acquire({ blocking: true })` calls waiting for a connection. */
  pending: number;
  /** The configured `maxBlocking`. */
  max: number;
}

/**
 * Whether the pool can reach Redis (see `failFast`): `up`; `down` (known unreachable: calls
 * fail at once, a probe is scheduled); `probing` (down, a probe is checking now).
 */
export type PoolHealth = 'up' | 'down' | 'probing';

/**
 * A snapshot of the pool. `size`, `idle`, `borrowed` and `pending` are the ordinary lane's
 * (bounded by `max`); `blocking` is the blocking lane's. Counters are totals since creation,
 * over both lanes.
 */
export interface PoolStats {
  /** Connections open or opening (idle + borrowed + being created). */
  size: number;
  /** Connections parked, ready to lend. */
  idle: number;
  /** Connections lent out. */
  borrowed: number;
  /** Acquires waiting for a connection. */
  pending: number;
  /** The configured `min`. */
  min: number;
  /** The configured `max`. */
  max: number;
  /** The blocking lane (`acquire({ blocking: true })`, bounded by `maxBlocking`). */
  blocking: BlockingLaneStats;
  /** Connections opened. */
  created: number;
  /** Connections closed (any reason). */
  destroyed: number;
  /** Leases handed out. */
  acquired: number;
  /** Leases given back (released, destroyed or reclaimed). */
  released: number;
  /** Acquires that gave up with `PoolTimeoutError`. */
  timeouts: number;
  /** Acquires refused at once (queue full, pool closed). */
  rejected: number;
  /** Leases held past `leakDetectionMs`. */
  leaks: number;
  /** Leases taken back after `leakReclaimMs` (their connections destroyed). */
  reclaimed: number;
  /** Leases given back dirty and cleaned with RESET or destroyed. */
  resets: number;
  /** Failed connection attempts. */
  connectErrors: number;
  /** Acquire wait time over the last 1024 acquires, ms. */
  waitMs: WaitTimeStats;
  /** The last connection error, redacted; undefined if none since the last success. */
  lastError: string | undefined;
  /** `close()` was called. */
  closed: boolean;
  /**
   * Can the pool reach Redis (see `failFast`)? On a Cluster `down` when any node is down,
   * else `probing` when a node is being probed, else `up`; `nodes` has the per-node view.
   */
  health: PoolHealth;
  /** Cluster only: the health of each node the pool has talked to, by `host:port`. */
  nodes?: Readonly<Record<string, PoolHealth>>;
  /** Calls refused at once with `PoolUnavailableError` while Redis was down (acquires and `client` commands). */
  unavailable: number;
}

/** Names of the events a pool emits. */
export type PoolEvent =
  | 'create'
  | 'destroy'
  | 'acquire'
  | 'release'
  | 'timeout'
  | 'leak'
  | 'reclaim'
  | 'down'
  | 'up'
  | 'error';

/** Why a connection was closed. */
export type DestroyReason =
  | 'idle'
  | 'lifetime'
  | 'broken'
  | 'dirty'
  | 'validation'
  | 'destroyed'
  | 'failover'
  | 'reclaimed'
  | 'closed';

/** Payloads of each event (also published on `diagnostics_channel` `hitpool:pool:<event>`). */
export interface PoolEventMap {
  /** A connection opened, `durationMs` ms (fractional) after the attempt began (connect, TLS, handshake). */
  create: { pool: string; connectionId: number; durationMs: number };
  /** A connection closed, and why. */
  destroy: { pool: string; connectionId: number; reason: DestroyReason };
  /** A lease was handed out after waiting `waitMs` ms. */
  acquire: { pool: string; connectionId: number; waitMs: number };
  /** A lease came back after `heldMs` ms (0 when nobody measured it); `dirty`: it will be cleaned. */
  release: { pool: string; connectionId: number; heldMs: number; dirty: boolean };
  /** An acquire gave up after `waitedMs` ms. */
  timeout: { pool: string; waitedMs: number; error: PoolError };
  /** A lease is held past `leakDetectionMs`; `stack` is where it was acquired. */
  leak: { pool: string; connectionId: number; heldMs: number; stack: string };
  /** A lease held past `leakReclaimMs` was taken back; `stack` is where it was acquired. */
  reclaim: { pool: string; connectionId: number; heldMs: number; stack: string };
  /**
   * Redis became unreachable (the breaker opened; see `failFast`): `node` is the pool's target
   * or a Cluster node's `host:port`, `error` the last connection error (redacted),
   * `retryInMs` the time until the first probe (0 without `failFast`, which does not probe).
   */
  down: { pool: string; node: string; error: Error | undefined; retryInMs: number };
  /** Redis answers again after being `down` for `downMs` ms (or the node left the Cluster). */
  up: { pool: string; node: string; downMs: number };
  /** A connection error (also background `min` fills); on the channel `{ pool, error }`. */
  error: Error;
}

/** A listener for event `E`. */
export type PoolListener<E extends PoolEvent> = (payload: PoolEventMap[E]) => void;

/** An exclusive connection, out of the pool until released. */
export interface PooledConnection extends AsyncDisposable {
  /** The connection; throws `PoolError` (`POOL_LEASE_RELEASED`) after release. */
  readonly redis: RedisConnection;
  /** Give the connection back (cleaned first if needed). Idempotent. */
  release(): void;
  /** Close the connection instead of giving it back (e.g. after a protocol mix-up). */
  destroy(): Promise<void>;
}

/** A bounded pool of Redis connections plus one shared multiplexed client. */
export interface RedisPool extends AsyncDisposable {
  /** Pool name (registry key or `pool-<n>`), used in events and stats. */
  readonly name: string;
  /**
   * One shared, auto-pipelined connection for non-blocking commands; created on first access.
   * Commands reject after `commandTimeoutMs` instead of queueing forever while Redis is down.
   */
  readonly client: RedisConnection;
  /** Borrow an exclusive connection (for BLPOP, WATCH/MULTI, SUBSCRIBE, SELECT…). */
  acquire(options?: AcquireOptions): Promise<PooledConnection>;
  /** Acquire, run `fn`, release (even if `fn` throws). */
  use<T>(fn: (redis: RedisConnection) => T | Promise<T>, options?: AcquireOptions): Promise<T>;
  /** A snapshot of sizes and counters (no I/O). */
  stats(): PoolStats;
  /** Listen to `event`; payloads are also on `diagnostics_channel` `hitpool:pool:<event>`. */
  on<E extends PoolEvent>(event: E, listener: PoolListener<E>): this;
  /** Stop listening. */
  off<E extends PoolEvent>(event: E, listener: PoolListener<E>): this;
  /** Listen to the next `event` only. */
  once<E extends PoolEvent>(event: E, listener: PoolListener<E>): this;
  /** Stop accepting acquires, wait up to `timeoutMs` for leases, close everything. Idempotent. */
  close(options?: CloseOptions): Promise<void>;
}

import type { RedisPool } from '@hitpool/pool';
import type { Cluster, Redis } from 'ioredis';
import type { CacheStats } from './cache.js';
import type { HitsError } from './errors.js';
import type { WindowName } from './layout.js';

export type { WindowName };

/** Options of {@link createHitTracker}. */
export interface HitTrackerOptions {
  /**
   * Where commands go: a `RedisPool` from `@hitpool/pool` (its shared `client` is used), an
   * ioredis `Redis` or an ioredis `Cluster`. Never closed by the tracker.
   */
  redis: RedisPool | Redis | Cluster;
  /**
   * Where a key's total counter lives. Must be a pure, injective function.
   * Default: {@link defaultHitKey}, `{<slot tag>}:hits:total:<key>`, in the key's hash slot for
   * every key. Use {@link suffixHitKey} for existing `${key}_hit` data.
   */
  hitKey?: (key: string) => string;
  /**
   * `'pipeline'` (default): the read and every counter update travel in one pipeline, one round
   * trip, not as a transaction. `'atomic'`: one Lua script per key and tick; the value and all
   * counters move together or not at all. Not with `buffer`.
   */
  mode?: 'pipeline' | 'atomic';
  /** Also count hits in the current fixed UTC minute/hour/day; keys expire on their own. Default none. */
  windows?: ReadonlyArray<WindowName>;
  /**
   * Keep a sorted set of keys by hits for `top()`. `true` uses the key `hits:leaderboard`.
   * Default `false`.
   */
  leaderboard?: boolean | { key?: string };
  /** Count distinct visitors per key with a HyperLogLog (about 0.81% standard error). Default `false`. */
  uniques?: boolean;
  /**
   * Write-behind counting: hits are summed in memory and written once per interval.
   * Default `false`. `flushIntervalMs` default 1000 ms; `maxPendingKeys` (distinct keys held
   * in memory before an early flush) default 10000.
   */
  buffer?: false | { flushIntervalMs?: number; maxPendingKeys?: number };
  /**
   * A near cache: `get`, `getMany` and `peek` serve values this process read from memory, kept
   * correct by Redis (server-assisted client-side caching, `CLIENT TRACKING`). Default `false`.
   * `maxKeys`: most values held (default 10000, 1–10000000). Once full, a new value waits in a
   * probation ring of a tenth of `maxKeys` and stays only if it is read again there; of the
   * others, the least recently used goes first (approximately: CLOCK).
   * `ttlMs`: most age of a held value in milliseconds, in case an invalidation were lost
   * (default none). Not with `mode: 'atomic'`.
   */
  cache?: false | { maxKeys?: number; ttlMs?: number };
}

/** What `get`/`peek` return for one key. */
export interface HitResult {
  key: string;
  /** The key's string value, or `null` when it does not exist. */
  value: string | null;
  /** Total hits, including this one for `get`. */
  hits: number;
  /** Hits in the current fixed windows (only those configured). */
  windows?: { minute?: number; hour?: number; day?: number };
  /** Approximate distinct visitors (only with `uniques`). */
  uniques?: number;
}

/** Counters of a tracker since it was created. */
export interface HitTrackerStats {
  /** Keys read or counted: one per `get`/`hit`/`peek`, one per key of `getMany`. */
  calls: number;
  /** Buffered hits not yet confirmed written: pending, in flight or kept for a retry (0 without `buffer`). */
  pending: number;
  /** Keys held in memory, pending or kept from failed flushes; at most `maxPendingKeys` (0 without `buffer`). */
  pendingKeys: number;
  /** Buffered flushes that wrote something. */
  flushes: number;
  /** Failed batches or flushes (each rejected its callers or kept its hits for a retry). */
  errors: number;
  /** Buffered hits given up on (see the `error` event). */
  dropped: number;
  /** The near cache's counters (only with `cache`). */
  cache?: CacheStats;
}

/** Per-call options. */
export interface HitOptions {
  /** Who hit the key, for `uniques` (a non-empty string of at most 512 bytes). */
  visitor?: string;
}

/** Reads values and counts hits; see {@link createHitTracker}. */
export interface HitTracker extends AsyncDisposable {
  /**
   * Read the value and count this hit, in one round trip. Missing keys give `value: null` and
   * still count. Buffered: the hit counts once the read succeeded (a rejected `get` did not count).
   */
  get(key: string, options?: HitOptions): Promise<HitResult>;
  /** `get` for many keys, in the same order; one round trip per node touched. */
  getMany(keys: readonly string[], options?: HitOptions): Promise<HitResult[]>;
  /**
   * Count a hit without reading the value; resolves to the total hits. Buffered: counted in
   * memory at once, and always resolves: if Redis cannot be read, with the last total this
   * tracker returned for the key plus the hits counted since (only the unwritten hits for a key
   * it never read).
   */
  hit(key: string, options?: HitOptions): Promise<number>;
  /** Read the value and counts without counting. */
  peek(key: string): Promise<HitResult>;
  /** The `n` (default 10, 1–10000) most hit keys, most first. Needs `leaderboard`. */
  top(n?: number): Promise<Array<{ key: string; hits: number }>>;
  /** Put every counter of `key` (total, current windows, uniques, leaderboard) back to zero. */
  reset(key: string): Promise<void>;
  /** A snapshot of the counters. */
  stats(): HitTrackerStats;
  /** Write buffered hits now (no-op without `buffer`). */
  flush(): Promise<void>;
  /** Flush, stop timers and refuse further calls. Never closes the client or pool it was given. */
  close(): Promise<void>;
  /**
   * `error`: buffered hits could not be written ({@link HitsFlushError}: kept for a retry, or
   * counted in `stats().dropped`; drops are merged into at most one event per flush interval).
   * Only emitted while a listener is registered.
   */
  on(event: 'error', listener: (error: HitsError) => void): this;
  off(event: 'error', listener: (error: HitsError) => void): this;
}

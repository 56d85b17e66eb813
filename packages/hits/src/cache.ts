/**
 * The near cache: values this process read, kept while Redis has not reported them changed.
 *
 * A copy enters only from a read made on the tracking connection (so Redis tracks the key for
 * this process) and only if no invalidation of that key, and no reset, arrived while the read was
 * in flight: an invalidation can overtake the reply it concerns, since the two travel on
 * different connections. Least recently used copies go first once `maxKeys` are held; `ttlMs`
 * bounds a copy's age in case an invalidation were ever lost.
 */

/** Counters of a tracker's near cache (see `HitTrackerStats.cache`). */
export interface CacheStats {
  /** Copies held now. */
  size: number;
  /** Calls answered with a held copy. */
  hits: number;
  /** Calls that found no valid copy and read the value from Redis. */
  misses: number;
  /** Keys Redis reported changed (one per key of each invalidation message). */
  invalidations: number;
  /** Times every copy was dropped: a tracking connection lost, `FLUSHALL`/`FLUSHDB`, `close()`. */
  resets: number;
  /** The tracking connections are set up: values read now are kept. */
  connected: boolean;
}

interface Entry {
  readonly value: string | null;
  /** `Infinity` without `ttlMs`. */
  readonly expiresAt: number;
}

/** A read of values in flight: which of its keys may still be kept when it answers. */
export interface CacheRead {
  readonly keys: readonly string[];
  /** Keys invalidated while in flight; `all` after a reset. */
  readonly stale: Set<string>;
  all: boolean;
}

export class NearCache {
  readonly #entries = new Map<string, Entry>();
  readonly #reads = new Map<string, Set<CacheRead>>();
  #hits = 0;
  #misses = 0;
  #invalidations = 0;
  #resets = 0;

  /**
   * @param maxKeys most copies held (least recently used dropped first).
   * @param ttlMs most age of a copy, ms; `Infinity` for none.
   */
  constructor(
    readonly maxKeys: number,
    readonly ttlMs: number,
  ) {}

  /**
   * The held copy of `key` for `calls` calls (counted as hits), or `undefined` (counted as
   * misses).
   */
  lookup(key: string, nowMs: number, calls = 1): { value: string | null } | undefined {
    const entry = this.#entries.get(key);
    if (entry === undefined || entry.expiresAt <= nowMs) {
      if (entry !== undefined) this.#entries.delete(key);
      this.#misses += calls;
      return undefined;
    }
    // Map order is insertion order: re-inserting makes it the most recently used.
    this.#entries.delete(key);
    this.#entries.set(key, entry);
    this.#hits += calls;
    return entry;
  }

  /** `calls` calls read their value from Redis without looking (the cache is not connected). */
  miss(calls: number): void {
    this.#misses += calls;
  }

  /** Start a read of `keys`: invalidations from now on keep their replies out. */
  beginRead(keys: readonly string[]): CacheRead {
    const read: CacheRead = { keys, stale: new Set(), all: false };
    for (const key of keys) {
      const reads = this.#reads.get(key);
      if (reads) reads.add(read);
      else this.#reads.set(key, new Set([read]));
    }
    return read;
  }

  /** The read answered `values` (in the order of its keys): keep those still valid. */
  endRead(read: CacheRead, values: ReadonlyArray<string | null>, nowMs: number): void {
    this.#forget(read);
    if (read.all) return;
    read.keys.forEach((key, i) => {
      if (!read.stale.has(key)) this.#store(key, values[i] ?? null, nowMs);
    });
  }

  /** The read failed: keep nothing. */
  abandonRead(read: CacheRead): void {
    this.#forget(read);
  }

  /** Redis reported `keys` changed. */
  invalidate(keys: readonly string[]): void {
    this.#invalidations += keys.length;
    for (const key of keys) {
      this.#entries.delete(key);
      const reads = this.#reads.get(key);
      if (reads) for (const read of reads) read.stale.add(key);
    }
  }

  /** Drop every copy and keep every read in flight out. */
  reset(): void {
    this.#resets++;
    this.#entries.clear();
    for (const reads of this.#reads.values()) for (const read of reads) read.all = true;
  }

  stats(): Omit<CacheStats, 'connected'> {
    return {
      size: this.#entries.size,
      hits: this.#hits,
      misses: this.#misses,
      invalidations: this.#invalidations,
      resets: this.#resets,
    };
  }

  #store(key: string, value: string | null, nowMs: number): void {
    this.#entries.delete(key);
    if (this.#entries.size >= this.maxKeys) {
      const oldest = this.#entries.keys().next();
      if (!oldest.done) this.#entries.delete(oldest.value);
    }
    this.#entries.set(key, { value, expiresAt: nowMs + this.ttlMs });
  }

  #forget(read: CacheRead): void {
    for (const key of read.keys) {
      const reads = this.#reads.get(key);
      if (reads === undefined) continue;
      reads.delete(read);
      if (reads.size === 0) this.#reads.delete(key);
    }
  }
}

/**
 * The near cache: values this process read, kept while Redis has not reported them changed.
 *
 * A copy enters only from a read made on the tracking connection (so Redis tracks the key for
 * this process) and only if no invalidation of that key, and no reset, arrived while the read was
 * in flight: an invalidation can overtake the reply it concerns, since the two travel on
 * different connections. Least recently used copies go first once `maxKeys` are held (a copy
 * used at least once every `maxKeys / 2` stores is never dropped); `ttlMs`
 * bounds a copy's age in case an invalidation were ever lost.
 */
import type { CounterKeys } from './layout.js';

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

/** A held copy, as {@link NearCache.lookup} returns it. */
export interface Copy {
  readonly value: string | null;
  /**
   * The counter keys the tracker derived from the key, kept with the copy by the first turn that
   * used it when they do not change over time (no windows): a cached call then skips deriving
   * them (a CRC16 and a few strings).
   */
  keys: CounterKeys | undefined;
}

interface Entry extends Copy {
  /** `Infinity` without `ttlMs`. */
  readonly expiresAt: number;
  /** When it was stored or last moved to the back (see `NearCache.#orderKeys`). */
  stamp: number;
}

/** A read of values in flight: which of its keys may still be kept when it answers. */
export interface CacheRead {
  readonly keys: readonly string[];
  /** Per key, the counter keys to keep with its copy (see {@link Copy.keys}), if known. */
  readonly counterKeys: ReadonlyArray<CounterKeys | undefined> | undefined;
  /** Keys invalidated so far when it began: a key invalidated after that is not kept. */
  readonly since: number;
  /** A reset happened while it was in flight: nothing is kept. */
  all: boolean;
}

/** Invalidation marks kept while reads overlap, before the ones no read needs are dropped. */
const MARKS_BEFORE_PRUNING = 256;

export class NearCache {
  readonly #entries = new Map<string, Entry>();
  /** The reads in flight, oldest first. */
  readonly #reads = new Set<CacheRead>();
  /**
   * While reads are in flight: per key invalidated meanwhile, the {@link #invalidations} count
   * just after it. Marking the invalidations, not the keys being read, keeps a miss's bookkeeping
   * to one entry per read: invalidations are far rarer than misses.
   */
  readonly #marks = new Map<string, number>();
  /**
   * Keys in the order they were stored or moved to the back, with the stamp they had then; an
   * entry whose stamp has changed since (moved again, dropped) is skipped. The oldest go first.
   * Kept apart from the Map: dropping a Map's first entry again and again is slow in V8 (its
   * iterator walks over every deleted slot until the table is rebuilt).
   */
  #orderKeys: string[] = [];
  #orderStamps: number[] = [];
  #head = 0;
  /** Stamps given so far: an entry's age in stores and moves. */
  #stamps = 0;
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
   * misses; `calls` 0 counts nothing). `nowMs` `undefined`: the clock is read only for a copy
   * that can expire.
   */
  lookup(key: string, nowMs: number | undefined, calls = 1): Copy | undefined {
    const entry = this.#entries.get(key);
    if (
      entry === undefined ||
      (entry.expiresAt !== Number.POSITIVE_INFINITY && entry.expiresAt <= (nowMs ?? Date.now()))
    ) {
      if (entry !== undefined) this.#entries.delete(key);
      this.#misses += calls;
      return undefined;
    }
    // A copy used once it is older than half the cache moves to the back; moving it on every
    // use would cost more for the same effect: a copy used at least once every maxKeys / 2
    // stores is never dropped.
    if (this.#stamps - entry.stamp > this.maxKeys / 2) this.#toBack(key, entry);
    this.#hits += calls;
    return entry;
  }

  /** `calls` calls were answered with a copy found by a `lookup` that counted nothing. */
  countHits(calls: number): void {
    this.#hits += calls;
  }

  /** `calls` calls read their value from Redis without looking (the cache is not connected). */
  miss(calls: number): void {
    this.#misses += calls;
  }

  /**
   * Start a read of `keys`: invalidations from now on keep their replies out. `counterKeys`, per
   * key, are kept with the copies it stores.
   */
  beginRead(
    keys: readonly string[],
    counterKeys?: ReadonlyArray<CounterKeys | undefined>,
  ): CacheRead {
    const read: CacheRead = { keys, counterKeys, since: this.#invalidations, all: false };
    this.#reads.add(read);
    return read;
  }

  /**
   * The read answered `values` (in the order of its keys; an error for a key Redis refused to
   * read, `undefined` for one not read there): keep those still valid.
   */
  endRead(
    read: CacheRead,
    values: ReadonlyArray<string | null | Error | undefined>,
    nowMs: number,
  ): void {
    const { keys, since } = read;
    const overtaken = since !== this.#invalidations;
    for (let i = 0; i < keys.length && !read.all; i++) {
      const key = keys[i] as string;
      const value = values[i];
      if (value === undefined || value instanceof Error) continue;
      if (overtaken && (this.#marks.get(key) ?? 0) > since) continue;
      this.#store(key, value, nowMs, read.counterKeys?.[i]);
    }
    // Forgotten last: its marks may go with it.
    this.#forget(read);
  }

  /** The read failed: keep nothing. */
  abandonRead(read: CacheRead): void {
    this.#forget(read);
  }

  /** Redis reported `keys` changed. */
  invalidate(keys: readonly string[]): void {
    const marking = this.#reads.size > 0;
    for (const key of keys) {
      this.#invalidations++;
      this.#entries.delete(key);
      if (marking) this.#marks.set(key, this.#invalidations);
    }
  }

  /** Drop every copy and keep every read in flight out. */
  reset(): void {
    this.#resets++;
    this.#entries.clear();
    this.#orderKeys = [];
    this.#orderStamps = [];
    this.#head = 0;
    for (const read of this.#reads) read.all = true;
    this.#marks.clear();
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

  #store(key: string, value: string | null, nowMs: number, keys: CounterKeys | undefined): void {
    if (!this.#entries.has(key)) while (this.#entries.size >= this.maxKeys) this.#dropOldest();
    const entry: Entry = { value, keys, expiresAt: nowMs + this.ttlMs, stamp: 0 };
    this.#entries.set(key, entry);
    this.#toBack(key, entry);
  }

  #toBack(key: string, entry: Entry): void {
    entry.stamp = ++this.#stamps;
    this.#orderKeys.push(key);
    this.#orderStamps.push(entry.stamp);
    // Moves, and copies dropped by invalidations, leave stale places behind: keep only the live
    // ones once the stale ones outnumber them, so the order stays within a few times maxKeys.
    if (this.#orderKeys.length - this.#head > 2 * this.maxKeys + 1024) this.#compact();
  }

  #compact(): void {
    const keys: string[] = [];
    const stamps: number[] = [];
    for (let i = this.#head; i < this.#orderKeys.length; i++) {
      const key = this.#orderKeys[i] as string;
      const stamp = this.#orderStamps[i] as number;
      if (this.#entries.get(key)?.stamp === stamp) {
        keys.push(key);
        stamps.push(stamp);
      }
    }
    this.#orderKeys = keys;
    this.#orderStamps = stamps;
    this.#head = 0;
  }

  #dropOldest(): void {
    while (this.#head < this.#orderKeys.length) {
      const key = this.#orderKeys[this.#head] as string;
      const stamp = this.#orderStamps[this.#head] as number;
      this.#head++;
      if (this.#entries.get(key)?.stamp === stamp) {
        this.#entries.delete(key);
        break;
      }
    }
    // Forget the walked-over part once it is most of the arrays.
    if (this.#head > 1024 && this.#head * 2 > this.#orderKeys.length) {
      this.#orderKeys = this.#orderKeys.slice(this.#head);
      this.#orderStamps = this.#orderStamps.slice(this.#head);
      this.#head = 0;
    }
  }

  #forget(read: CacheRead): void {
    this.#reads.delete(read);
    if (this.#reads.size === 0) this.#marks.clear();
    else if (this.#marks.size > MARKS_BEFORE_PRUNING) {
      // Marks no read in flight began before are not needed any more.
      const oldest = (this.#reads.values().next().value as CacheRead).since;
      for (const [key, mark] of this.#marks) if (mark <= oldest) this.#marks.delete(key);
    }
  }
}

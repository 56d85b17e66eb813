/**
 * The near cache: values this process read, kept while Redis has not reported them changed.
 *
 * A copy enters only from a read made on the tracking connection (so Redis tracks the key for
 * this process) and only if no invalidation of that key, and no reset, arrived while the read was
 * in flight: an invalidation can overtake the reply it concerns, since the two travel on
 * different connections. Once `maxKeys` are held, a new copy waits in a small probation ring (a
 * tenth of `maxKeys`): used again before the ring comes round to it, it joins the main copies,
 * else it leaves, so keys read once do not push out the ones read often. Among the main copies,
 * the one to leave is the next, in a circle, not used since the clock hand last passed it (CLOCK,
 * the classic approximation of least recently used). This is the segmented LRU of S3-FIFO
 * (Yang et al., SOSP 2023) without its ghost queue. `ttlMs` bounds a copy's age in case an
 * invalidation were ever lost.
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
   * answers from it when they do not change over time (no windows): a cached call then skips
   * deriving them (a CRC16 and a few strings). Not kept by the read that made the copy: a copy
   * dropped before its first use (most of the keys read once) then never held them.
   */
  keys: CounterKeys | undefined;
}

interface Entry extends Copy {
  readonly key: string;
  /** `Infinity` without `ttlMs`. */
  readonly expiresAt: number;
  /** Its place among the main copies (see `NearCache.#places`), or in the probation ring. */
  place: number;
  /** In the probation ring (see `NearCache.#probation`), not among the main copies. */
  probation: boolean;
  /**
   * Used since it was stored, or since the clock hand last passed it: in probation it joins the
   * main copies, among them it stays once more.
   */
  used: boolean;
}

/** A read of values in flight: which of its keys may still be kept when it answers. */
export interface CacheRead {
  readonly keys: readonly string[];
  /** Keys invalidated so far when it began: a key invalidated after that is not kept. */
  readonly since: number;
  /** A reset happened while it was in flight: nothing is kept. */
  all: boolean;
}

/** Invalidation marks kept while reads overlap, before the ones no read needs are dropped. */
const MARKS_BEFORE_PRUNING = 256;

/**
 * One copy in this many waits in probation once the cache is full: S3-FIFO's tenth. Under the
 * cache benchmark's load (Zipf(1) over twice `maxKeys` keys, a writer) 10.3–11.0 % of the calls
 * missed in seven runs, against 11.3–11.8 % in three with CLOCK alone.
 */
const PROBATION_SHARE = 10;

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
   * Every main copy at its place. When all of them are taken and a copy leaves probation for
   * them, the hand sweeps them in a circle: a copy used since it last passed keeps its place (and
   * loses the mark), the first one not used gives its place to the newcomer. A use is one flag
   * set, and a move into them moves the hand a place or a few: unlike keeping copies in the
   * order of use, nothing moves and nothing is allocated per call.
   */
  #places: Array<Entry | undefined> = [];
  /** Places freed by invalidations and expiry, taken before the hand takes one. */
  #free: number[] = [];
  #hand = 0;
  /** Most main copies: `maxKeys` less the probation ring. */
  readonly #mainKeys: number;
  /**
   * New copies stored while every main place is taken, oldest first from {@link #next}. Under a
   * skewed load most of them are keys read once, dropped unused soon after (about 20 ms in the
   * cache benchmark): they die young in V8's heap. Kept until the clock hand found them unused
   * (a large part of a second under that load), most would live long enough to be moved to the
   * old generation and die there, which only a full garbage collection reclaims, and would push
   * out main copies that are read again.
   */
  readonly #probation: Array<Entry | undefined>;
  #next = 0;
  #hits = 0;
  #misses = 0;
  #invalidations = 0;
  #resets = 0;

  /**
   * @param maxKeys most copies held, the probation ring's included (see the module comment).
   * @param ttlMs most age of a copy, ms; `Infinity` for none.
   */
  constructor(
    readonly maxKeys: number,
    readonly ttlMs: number,
  ) {
    const probation = Math.floor(maxKeys / PROBATION_SHARE);
    this.#mainKeys = maxKeys - probation;
    this.#probation = new Array<Entry | undefined>(probation).fill(undefined);
  }

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
      if (entry !== undefined) this.#remove(entry);
      this.#misses += calls;
      return undefined;
    }
    if (!entry.used) entry.used = true;
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

  /** Start a read of `keys`: invalidations from now on keep their replies out. */
  beginRead(keys: readonly string[]): CacheRead {
    const read: CacheRead = { keys, since: this.#invalidations, all: false };
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
      this.#store(key, value, nowMs);
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
      const entry = this.#entries.get(key);
      if (entry !== undefined) this.#remove(entry);
      if (marking) this.#marks.set(key, this.#invalidations);
    }
  }

  /** Drop every copy and keep every read in flight out. */
  reset(): void {
    this.#resets++;
    this.#entries.clear();
    this.#places = [];
    this.#free = [];
    this.#hand = 0;
    this.#probation.fill(undefined);
    this.#next = 0;
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

  #store(key: string, value: string | null, nowMs: number): void {
    const held = this.#entries.get(key);
    const entry: Entry = {
      key,
      value,
      keys: undefined,
      expiresAt: nowMs + this.ttlMs,
      place: 0,
      probation: false,
      used: false,
    };
    if (held !== undefined) {
      // A newer copy of a held key (two reads overlapped): it takes the old one's place.
      entry.place = held.place;
      entry.probation = held.probation;
      (held.probation ? this.#probation : this.#places)[held.place] = entry;
    } else if (this.#probation.length > 0 && !this.#mainHasRoom()) {
      this.#putProbation(entry);
    } else {
      this.#putMain(entry, this.#mainPlace());
    }
    this.#entries.set(key, entry);
  }

  /** A main place is free (freed by an invalidation or expiry, or never taken yet). */
  #mainHasRoom(): boolean {
    return this.#free.length > 0 || this.#places.length < this.#mainKeys;
  }

  /** A place for a main copy: a freed one, a new one below their limit, else the hand's. */
  #mainPlace(): number {
    const freed = this.#free.pop();
    if (freed !== undefined) return freed;
    return this.#places.length < this.#mainKeys ? this.#places.length : this.#sweep();
  }

  #putMain(entry: Entry, place: number): void {
    entry.place = place;
    entry.probation = false;
    this.#places[place] = entry;
  }

  /** Into the ring's oldest place: the copy there joins the main ones if it was used, or leaves. */
  #putProbation(entry: Entry): void {
    const ring = this.#probation;
    const place = this.#next;
    this.#next = place + 1 === ring.length ? 0 : place + 1;
    const oldest = ring[place];
    if (oldest !== undefined) {
      if (oldest.used) {
        oldest.used = false;
        this.#putMain(oldest, this.#mainPlace());
      } else this.#entries.delete(oldest.key);
    }
    entry.place = place;
    entry.probation = true;
    ring[place] = entry;
  }

  /**
   * Every main place is taken (freed ones are in #free): the place of the first main copy the
   * hand finds not used since it last passed, which leaves. Within two turns it finds one.
   */
  #sweep(): number {
    const places = this.#places;
    for (;;) {
      const place = this.#hand;
      this.#hand = place + 1 === places.length ? 0 : place + 1;
      const entry = places[place] as Entry;
      if (entry.used) entry.used = false;
      else {
        this.#entries.delete(entry.key);
        return place;
      }
    }
  }

  #remove(entry: Entry): void {
    this.#entries.delete(entry.key);
    if (entry.probation) {
      // Its place in the ring stays empty until the ring comes round to it.
      this.#probation[entry.place] = undefined;
    } else {
      this.#places[entry.place] = undefined;
      this.#free.push(entry.place);
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

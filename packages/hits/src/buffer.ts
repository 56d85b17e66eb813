import { randomBytes } from 'node:crypto';
import type { Executor, RedisCommand } from './client.js';
import { HitsFlushError } from './errors.js';
import { type CounterKeys, flushSequenceKey, type WindowName, windowTtlSeconds } from './layout.js';
import { FLUSH_SCRIPT, LuaScript, MAX_BATCH_KEYS } from './script.js';
import { sendScriptedAll } from './send.js';

/**
 * Seconds Redis remembers which buffered batches a tracker applied (one small key per tracker,
 * hash slot written and lane). A batch whose reply was lost is recognised when it is sent again
 * within this time, so it is never counted twice.
 */
export const FLUSH_DEDUP_SECONDS = 3600;
/** Visitors per PFADD inside the script (Lua's unpack has a stack limit). */
const MAX_PFADD = 1000;

/** This process's buffered hits, as reads see them. */
export interface LocalCounts {
  /** Hits of `key` not yet written, as seen when a read is sent. */
  hits(key: string): number;
  window(key: string, windowKey: string): number;
  /** Best known total of `key` without asking Redis: for `hit()` when the read fails. */
  estimate(key: string): number;
  /**
   * A read of `key` answered `gets` (each counts one hit, with its visitor) and `total`, those
   * gets included: count them and remember the total (see `HitBuffer.remember`).
   */
  countReads(
    key: string,
    keys: CounterKeys,
    gets: ReadonlyArray<{ readonly visitor: string | undefined }>,
    total: number,
  ): void;
}

interface PendingWindow {
  readonly name: WindowName;
  readonly index: number;
  count: number;
}

/**
 * Hits of one key not yet sealed into a batch. `windows` and `visitors` exist only once a hit
 * needs them: an entry lives until the next flush, long enough to reach V8's old generation,
 * and an empty Map and Set for every key of a busy tracker made most of its garbage collection.
 */
interface Pending {
  readonly keys: CounterKeys;
  hits: number;
  windows: Map<string, PendingWindow> | undefined;
  visitors: Set<string> | undefined;
}

/** The windows of a part that has none. */
const NO_WINDOWS: ReadonlyMap<string, PendingWindow> = new Map();

/** Counts of sealed batches that failed and wait for a retry, per key (for reads). */
interface Held {
  hits: number;
  readonly windows: Map<string, number>;
}

/** One key's share of a batch. `hits` also counts toward the leaderboard when `board` is set. */
interface Part {
  readonly key: string;
  readonly keys: CounterKeys;
  readonly hits: number;
  readonly windows: ReadonlyMap<string, PendingWindow>;
  readonly visitors: readonly string[];
  /** This part carries the key's counter updates (else only the leaderboard's). */
  readonly counter: boolean;
  readonly board: boolean;
}

/**
 * A sealed batch: fixed contents, a sequence number and a lane, sent as one flush script. It is
 * resent unchanged until Redis confirms it, and the script applies a given number once.
 */
interface Batch {
  readonly seq: number;
  readonly slot: number;
  readonly lane: number;
  readonly parts: readonly Part[];
  readonly keys: readonly string[];
  readonly argv: ReadonlyArray<string | number>;
  /** Per script operation (1-based in replies): the key and the total hits it writes. */
  readonly ops: ReadonlyArray<{ key: string; hits: number }>;
  /** The key of each counter update (`i` operation), in order: the reply's totals. */
  readonly counters: readonly string[];
  readonly hits: number;
}

/** What the buffer needs from the tracker. */
export interface BufferHost {
  readonly executor: Executor;
  readonly leaderboardKey: string | undefined;
  readonly leaderboardSlot: number;
  readonly maxPendingKeys: number;
  /** Drop reports are merged so that at most one is emitted per this many ms. */
  readonly reportIntervalMs: number;
  /** Report buffered hits that failed (kept) or were given up (dropped). */
  report(error: HitsFlushError): void;
}

/**
 * Write-behind hit counting: hits are summed per key in memory and written by `flush()` with
 * one script per hash slot (one pipeline per node).
 *
 * Exactly once: a flush seals what is pending into batches, each with a sequence number and a
 * lane; the script stores the lane's last applied number and skips a batch it has seen. A batch
 * that failed (or whose reply was lost) is kept unchanged and sent again with its number, in its
 * lane, so a copy that did reach Redis is not applied twice; new hits go into new batches in
 * other lanes, never into a batch that may already be applied.
 */
export class HitBuffer implements LocalCounts {
  private pending = new Map<string, Pending>();
  private held: Batch[] = [];
  private heldCounts = new Map<string, Held>();
  private inFlight: Promise<void> | undefined;
  private inFlightHits = 0;
  /** Last total returned per key plus hits counted since: what `hit()` answers in an outage. */
  private readonly known = new Map<string, { total: number }>();
  private readonly writer = randomBytes(6).toString('hex');
  private seq = 0;
  private readonly script = new LuaScript(FLUSH_SCRIPT);
  private unreported = 0;
  private unreportedKeys: [string, string] | undefined;
  private unreportedWhy = '';
  private lastDropReport = Number.NEGATIVE_INFINITY;
  flushes = 0;
  errors = 0;
  dropped = 0;

  constructor(
    private readonly host: BufferHost,
    private readonly ready: () => boolean,
  ) {}

  /** Hits held in memory: pending, in flight, or kept from failed flushes. */
  get pendingHits(): number {
    let sum = this.inFlightHits;
    for (const entry of this.pending.values()) sum += entry.hits;
    for (const batch of this.held) sum += batch.hits;
    return sum;
  }

  /** True while a flush is being written. */
  get flushing(): boolean {
    return this.inFlight !== undefined;
  }

  /** Key entries held in memory (pending, and kept from failed flushes); bounded by maxPendingKeys. */
  get pendingKeys(): number {
    return this.pending.size + this.heldCounts.size;
  }

  // Read for every key of every turn: the held counts (failed flushes) are nearly always empty,
  // and a lookup in a Map of thousands of keys costs cache misses.
  hits(key: string): number {
    const pending = this.pending.get(key)?.hits ?? 0;
    return this.heldCounts.size === 0 ? pending : pending + (this.heldCounts.get(key)?.hits ?? 0);
  }

  window(key: string, windowKey: string): number {
    const pending = this.pending.get(key)?.windows?.get(windowKey)?.count ?? 0;
    return this.heldCounts.size === 0
      ? pending
      : pending + (this.heldCounts.get(key)?.windows.get(windowKey) ?? 0);
  }

  estimate(key: string): number {
    return this.known.get(key)?.total ?? this.hits(key);
  }

  /**
   * The server's total of `key` as last read or written by this tracker, plus the hits counted
   * here since; `undefined` while unknown.
   */
  total(key: string): number | undefined {
    return this.known.get(key)?.total;
  }

  countReads(
    key: string,
    keys: CounterKeys,
    gets: ReadonlyArray<{ readonly visitor: string | undefined }>,
    total: number,
  ): void {
    for (const get of gets) this.count(key, keys, get.visitor);
    this.remember(key, total);
  }

  /** The total a read (or flush) just returned for `key`. */
  remember(key: string, total: number): void {
    const known = this.known.get(key);
    if (known !== undefined) {
      known.total = total;
      return;
    }
    if (this.known.size >= this.host.maxPendingKeys) {
      const oldest = this.known.keys().next();
      if (!oldest.done) this.known.delete(oldest.value);
    }
    this.known.set(key, { total });
  }

  /** Forget unwritten hits of `key` (its counters are being reset). */
  discard(key: string): void {
    this.pending.delete(key);
    this.known.delete(key);
  }

  /**
   * Count one hit of `key` in its current windows. `keysOf` is the key's derived keys, or a
   * function giving them (called only when they are needed: a key not pending yet, or windows).
   */
  add(
    key: string,
    keysOf: CounterKeys | ((key: string) => CounterKeys),
    visitor: string | undefined,
  ): void {
    if (!this.count(key, keysOf, visitor)) return;
    const known = this.known.get(key);
    if (known !== undefined) known.total++;
  }

  /**
   * {@link add} one hit and return the new {@link total}, only if that total is known; else
   * `undefined`, and nothing is counted.
   */
  addIfKnown(
    key: string,
    keysOf: CounterKeys | ((key: string) => CounterKeys),
    visitor: string | undefined,
  ): number | undefined {
    const known = this.known.get(key);
    if (known === undefined) return undefined;
    if (this.count(key, keysOf, visitor)) known.total++;
    return known.total;
  }

  /** Adds one hit to the pending ones; false when it was dropped (maxPendingKeys). */
  private count(
    key: string,
    keysOf: CounterKeys | ((key: string) => CounterKeys),
    visitor: string | undefined,
  ): boolean {
    let entry = this.pending.get(key);
    // Window keys change with time, so they are derived for every hit of a tracker that has any.
    const keys =
      typeof keysOf !== 'function'
        ? keysOf
        : entry === undefined || entry.keys.windows.length > 0
          ? keysOf(key)
          : entry.keys;
    if (entry === undefined) {
      if (this.pendingKeys >= this.host.maxPendingKeys) {
        if (this.inFlight === undefined && this.ready()) void this.flush().catch(() => undefined);
        if (this.pendingKeys >= this.host.maxPendingKeys) {
          this.drop(1, key, 'maxPendingKeys reached while earlier hits wait to be written');
          return false;
        }
      }
      entry = { keys, hits: 0, windows: undefined, visitors: undefined };
      this.pending.set(key, entry);
    }
    entry.hits++;
    if (keys.windows.length > 0) {
      entry.windows ??= new Map();
      for (const window of keys.windows) {
        const current = entry.windows.get(window.key);
        if (current) current.count++;
        else entry.windows.set(window.key, { name: window.name, index: window.index, count: 1 });
      }
    }
    if (visitor !== undefined) {
      entry.visitors ??= new Set();
      entry.visitors.add(visitor);
    }
    return true;
  }

  private drop(hits: number, key: string, why: string, lastKey = key): void {
    this.dropped += hits;
    this.unreported += hits;
    this.unreportedKeys = [this.unreportedKeys?.[0] ?? key, lastKey];
    this.unreportedWhy = why;
    if (Date.now() - this.lastDropReport >= this.host.reportIntervalMs) this.reportDrops();
  }

  /**
   * Emit one error for the hits dropped since the last report, if any. Called on every flush
   * interval, so a full buffer during an outage gives one event per interval, not one per hit.
   */
  reportDrops(): void {
    if (this.unreported === 0) return;
    const [first, last] = this.unreportedKeys ?? ['', ''];
    const keys =
      first === last
        ? `key ${JSON.stringify(first)}`
        : `keys ${JSON.stringify(first)} … ${JSON.stringify(last)}`;
    this.host.report(
      new HitsFlushError(
        `dropped ${this.unreported} buffered hit(s) (${keys}): ${this.unreportedWhy}`,
        {
          dropped: this.unreported,
          firstKey: first,
          lastKey: last,
        },
      ),
    );
    this.unreported = 0;
    this.unreportedKeys = undefined;
    this.lastDropReport = Date.now();
  }

  /** Write everything pending and kept; resolves when confirmed, rejects (keeping the hits) if not. */
  async flush(): Promise<void> {
    while (this.inFlight) await this.inFlight.catch(() => undefined);
    const batches = [...this.held, ...this.seal()];
    this.held = [];
    this.heldCounts.clear();
    if (batches.length === 0) return;
    const run = this.write(batches);
    this.inFlight = run;
    try {
      await run;
    } finally {
      this.inFlight = undefined;
    }
  }

  /** Give up on everything pending and kept (the tracker is closing and the last flush failed). */
  dropAll(why: string): number {
    let hits = 0;
    const keys: string[] = [];
    for (const [key, entry] of this.pending) {
      hits += entry.hits;
      keys.push(key);
    }
    for (const batch of this.held)
      for (const part of batch.parts)
        if (part.counter) {
          hits += part.hits;
          keys.push(part.key);
        }
    this.pending.clear();
    this.held = [];
    this.heldCounts.clear();
    if (hits > 0) this.drop(hits, keys[0] as string, why, keys[keys.length - 1]);
    this.reportDrops();
    return hits;
  }

  /** Turn everything pending into batches: one per hash slot (and lane), at most MAX_BATCH_KEYS keys each. */
  private seal(): Batch[] {
    if (this.pending.size === 0) return [];
    const board = this.host.leaderboardKey;
    const bySlot = new Map<number, Part[]>();
    const push = (slot: number, part: Part) => {
      const list = bySlot.get(slot);
      if (list) list.push(part);
      else bySlot.set(slot, [part]);
    };
    for (const [key, entry] of this.pending) {
      const { keys } = entry;
      const shared = board !== undefined && this.host.leaderboardSlot === keys.counterSlot;
      const visitors = keys.companions && entry.visitors ? [...entry.visitors] : [];
      push(keys.counterSlot, {
        key,
        keys,
        hits: entry.hits,
        windows: entry.windows ?? NO_WINDOWS,
        visitors,
        counter: true,
        board: shared,
      });
      if (board !== undefined && !shared)
        push(this.host.leaderboardSlot, {
          key,
          keys,
          hits: entry.hits,
          windows: NO_WINDOWS,
          visitors: [],
          counter: false,
          board: true,
        });
    }
    this.pending = new Map();
    // Lanes of kept batches are taken: a new batch never shares a lane with one that may be applied.
    const busy = new Map<number, Set<number>>();
    for (const batch of this.held) {
      const lanes = busy.get(batch.slot);
      if (lanes) lanes.add(batch.lane);
      else busy.set(batch.slot, new Set([batch.lane]));
    }
    const nowMs = Date.now();
    const batches: Batch[] = [];
    for (const [slot, parts] of bySlot) {
      const taken = busy.get(slot);
      let lane = 0;
      for (let from = 0; from < parts.length; from += MAX_BATCH_KEYS) {
        while (taken?.has(lane)) lane++;
        batches.push(this.build(slot, lane, parts.slice(from, from + MAX_BATCH_KEYS), nowMs));
        lane++;
      }
    }
    return batches;
  }

  private build(slot: number, lane: number, parts: readonly Part[], nowMs: number): Batch {
    const keys: string[] = [flushSequenceKey(slot, this.writer, lane)];
    const index = new Map<string, number>();
    const keyIndex = (key: string): number => {
      let at = index.get(key);
      if (at === undefined) {
        keys.push(key);
        at = keys.length;
        index.set(key, at);
      }
      return at;
    };
    const argv: Array<string | number> = [];
    const ops: Array<{ key: string; hits: number }> = [];
    const counters: string[] = [];
    let hits = 0;
    for (const part of parts) {
      if (part.counter) {
        hits += part.hits;
        argv.push('i', keyIndex(part.keys.counter), part.hits);
        ops.push({ key: part.key, hits: part.hits });
        counters.push(part.key);
        for (const [windowKey, window] of part.windows) {
          const ttl = windowTtlSeconds(window.name, window.index, nowMs);
          argv.push('w', keyIndex(windowKey), window.count, ttl);
          ops.push({ key: part.key, hits: 0 });
        }
        const uniques = part.keys.companions?.uniques;
        if (uniques !== undefined)
          for (let from = 0; from < part.visitors.length; from += MAX_PFADD) {
            const chunk = part.visitors.slice(from, from + MAX_PFADD);
            argv.push('p', keyIndex(uniques), chunk.length, ...chunk);
            ops.push({ key: part.key, hits: 0 });
          }
      }
      if (part.board) {
        argv.push('z', keyIndex(this.host.leaderboardKey as string), part.hits, part.key);
        ops.push({ key: part.key, hits: 0 });
      }
    }
    return { seq: ++this.seq, slot, lane, parts, keys, argv, ops, counters, hits };
  }

  private hold(batch: Batch): void {
    this.held.push(batch);
    for (const part of batch.parts) {
      if (!part.counter) continue;
      let counts = this.heldCounts.get(part.key);
      if (counts === undefined) {
        counts = { hits: 0, windows: new Map() };
        this.heldCounts.set(part.key, counts);
      }
      counts.hits += part.hits;
      for (const [windowKey, window] of part.windows)
        counts.windows.set(windowKey, (counts.windows.get(windowKey) ?? 0) + window.count);
    }
    // Keys seen only on the leaderboard's node still take room: memory stays bounded.
    for (const part of batch.parts)
      if (!part.counter && !this.heldCounts.has(part.key))
        this.heldCounts.set(part.key, { hits: 0, windows: new Map() });
  }

  private async write(batches: readonly Batch[]): Promise<void> {
    const commands: RedisCommand[] = batches.map((batch) =>
      this.script.command(batch.slot, batch.keys, [batch.seq, FLUSH_DEDUP_SECONDS, ...batch.argv]),
    );
    this.inFlightHits = batches.reduce((sum, batch) => sum + batch.hits, 0);
    let replies: Awaited<ReturnType<typeof sendScriptedAll>>;
    try {
      replies = await sendScriptedAll(this.host.executor, commands);
    } finally {
      this.inFlightHits = 0;
    }
    let failure: Error | undefined;
    let refused = 0;
    let refusedHits = 0;
    let refusal = '';
    let refusedKey = '';
    batches.forEach((batch, i) => {
      const [error, value] = replies[i] ?? [new Error('no reply'), null];
      if (error) {
        failure ??= error;
        this.hold(batch);
        return;
      }
      this.script.markLoaded();
      const out = value as unknown[];
      const totalsAt = 3 + Number(out[2] ?? 0);
      for (const at of out.slice(3, totalsAt)) {
        const op = batch.ops[Number(at) - 1];
        if (op === undefined) continue;
        refused++;
        refusedHits += op.hits;
        refusedKey ||= op.key;
        refusal ||= String(out[1]);
      }
      // What reads answered from memory count from: the server's total now, plus the hits
      // counted here since this batch was sealed.
      batch.counters.forEach((key, j) => {
        const total = out[totalsAt + j];
        if (typeof total === 'number') this.remember(key, total + this.hits(key));
      });
    });
    // Bound memory: kept batches come first, pending keys that no longer fit are dropped.
    if (failure && this.pendingKeys > this.host.maxPendingKeys)
      for (const [key, entry] of this.pending) {
        if (this.pendingKeys <= this.host.maxPendingKeys) break;
        this.pending.delete(key);
        this.drop(entry.hits, key, 'maxPendingKeys reached while earlier hits wait to be written');
      }
    if (refused > 0) {
      // Redis ran the batch but refused some updates (say a counter holds a non-integer):
      // sending them again cannot help, so their hits are given up.
      this.dropped += refusedHits;
      this.host.report(
        new HitsFlushError(
          `Redis refused ${refused} buffered update(s) (first for key ${JSON.stringify(refusedKey)}): ` +
            `${refusal}; ${refusedHits} hit(s) dropped. Fix or delete the key holding the wrong type`,
          { dropped: refusedHits, firstKey: refusedKey, lastKey: refusedKey },
        ),
      );
    }
    if (failure) {
      this.errors++;
      const error = new HitsFlushError(
        `a buffered flush failed; its hits are kept and sent again (never counted twice) at the next flush: ${failure.message}`,
        { cause: failure },
      );
      this.host.report(error);
      throw error;
    }
    this.flushes++;
  }
}

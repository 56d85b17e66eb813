import type { Executor, RedisCommand, Reply } from './client.js';
import { HitsFlushError } from './errors.js';
import { windowTtlSeconds } from './layout.js';
import type { CounterKeys, LocalCounts } from './plan.js';

interface PendingWindow {
  readonly name: 'minute' | 'hour' | 'day';
  readonly index: number;
  count: number;
}

/** Hits of one key not yet written. The parts are separate so a partial failure keeps exactly what failed. */
interface Pending {
  readonly keys: CounterKeys;
  hits: number;
  board: number;
  readonly windows: Map<string, PendingWindow>;
  readonly visitors: Set<string>;
}

/** What the buffer needs from the tracker. */
export interface BufferHost {
  readonly executor: Executor;
  readonly leaderboardKey: string | undefined;
  readonly leaderboardSlot: number;
  readonly maxPendingKeys: number;
  /** Report buffered hits that failed (kept) or were given up (dropped). */
  report(error: HitsFlushError): void;
}

/**
 * Write-behind hit counting: hits are summed per key in memory and written by `flush()` in one
 * pipeline per node. A failed write keeps the hits for the next flush; only hits that do not
 * fit in `maxPendingKeys` while a flush is in flight (or failing) are dropped and reported.
 */
export class HitBuffer implements LocalCounts {
  private pending = new Map<string, Pending>();
  private inFlight: Promise<void> | undefined;
  private inFlightHits = 0;
  flushes = 0;
  errors = 0;
  dropped = 0;

  constructor(private readonly host: BufferHost) {}

  /** Hits held in memory, written or not yet confirmed. */
  get pendingHits(): number {
    let sum = this.inFlightHits;
    for (const entry of this.pending.values()) sum += entry.hits;
    return sum;
  }

  /** True while a flush is being written. */
  get flushing(): boolean {
    return this.inFlight !== undefined;
  }

  get pendingKeys(): number {
    return this.pending.size;
  }

  hits(key: string): number {
    return this.pending.get(key)?.hits ?? 0;
  }

  window(key: string, windowKey: string): number {
    return this.pending.get(key)?.windows.get(windowKey)?.count ?? 0;
  }

  /** Forget unwritten hits of `key` (its counters are being reset). */
  discard(key: string): void {
    this.pending.delete(key);
  }

  /** Count one hit of `key` (with `names`/`indexes` of its current windows). */
  add(
    key: string,
    keys: CounterKeys,
    windows: ReadonlyArray<{ name: 'minute' | 'hour' | 'day'; index: number }>,
    visitor: string | undefined,
  ): void {
    let entry = this.pending.get(key);
    if (entry === undefined) {
      if (this.pending.size >= this.host.maxPendingKeys) {
        if (this.inFlight === undefined) void this.flush().catch(() => undefined);
        if (this.pending.size >= this.host.maxPendingKeys) {
          this.drop(1, `no room for key ${JSON.stringify(key)}: maxPendingKeys reached`);
          return;
        }
      }
      entry = { keys, hits: 0, board: 0, windows: new Map(), visitors: new Set() };
      this.pending.set(key, entry);
    }
    entry.hits++;
    entry.board++;
    keys.windows.forEach((window, i) => {
      const current = entry.windows.get(window.key);
      if (current) current.count++;
      else entry.windows.set(window.key, { ...(windows[i] as PendingWindow), count: 1 });
    });
    if (visitor !== undefined) entry.visitors.add(visitor);
  }

  private drop(hits: number, why: string, cause?: unknown): void {
    this.dropped += hits;
    this.host.report(
      new HitsFlushError(`dropped ${hits} buffered hit(s): ${why}`, { cause, dropped: hits }),
    );
  }

  /** Write everything pending; resolves when written, rejects (keeping the hits) if not. */
  async flush(): Promise<void> {
    while (this.inFlight) await this.inFlight.catch(() => undefined);
    if (this.pending.size === 0) return;
    const batch = this.pending;
    this.pending = new Map();
    const run = this.write(batch);
    this.inFlight = run;
    try {
      await run;
    } finally {
      this.inFlight = undefined;
    }
  }

  /** Give up on everything pending (the tracker is closing and the last flush failed). */
  dropAll(cause: unknown): number {
    const hits = this.pendingHits - this.inFlightHits;
    this.pending.clear();
    if (hits > 0) this.drop(hits, 'the last flush before close() failed', cause);
    return hits;
  }

  private async write(batch: Map<string, Pending>): Promise<void> {
    const commands: RedisCommand[] = [];
    const undo: Array<() => void> = [];
    const nowMs = Date.now();
    const targets = new Map<string, Pending | null>();
    let hits = 0;
    for (const [key, entry] of batch) {
      const { keys } = entry;
      const slot = keys.counterSlot;
      hits += entry.hits;
      const restore = (apply: (target: Pending) => void) => () => {
        let target = targets.get(key);
        if (target === undefined) {
          target = this.reclaim(key, entry) ?? null;
          targets.set(key, target);
        }
        if (target) apply(target);
      };
      if (entry.hits > 0) {
        commands.push({ name: 'incrby', args: [keys.counter, entry.hits], slot });
        const count = entry.hits;
        undo.push(
          restore((target) => {
            target.hits += count;
          }),
        );
      }
      for (const [windowKey, window] of entry.windows) {
        commands.push({ name: 'incrby', args: [windowKey, window.count], slot });
        undo.push(
          restore((target) => {
            const current = target.windows.get(windowKey);
            if (current) current.count += window.count;
            else target.windows.set(windowKey, { ...window });
          }),
        );
        commands.push({
          name: 'expire',
          args: [windowKey, windowTtlSeconds(window.name, window.index, nowMs)],
          slot,
        });
        undo.push(() => undefined);
      }
      if (entry.visitors.size > 0 && keys.companions) {
        commands.push({ name: 'pfadd', args: [keys.companions.uniques, ...entry.visitors], slot });
        undo.push(
          restore((target) => {
            for (const visitor of entry.visitors) target.visitors.add(visitor);
          }),
        );
      }
      if (entry.board > 0 && this.host.leaderboardKey !== undefined) {
        commands.push({
          name: 'zincrby',
          args: [this.host.leaderboardKey, entry.board, key],
          slot: this.host.leaderboardSlot,
        });
        const board = entry.board;
        undo.push(
          restore((target) => {
            target.board += board;
          }),
        );
      }
    }
    this.inFlightHits = hits;
    let replies: Reply[];
    try {
      replies = await this.host.executor.send(commands);
    } catch (error) {
      replies = commands.map((): Reply => [error as Error, null]);
    } finally {
      this.inFlightHits = 0;
    }
    let failure: Error | undefined;
    replies.forEach(([error], i) => {
      if (!error) return;
      failure ??= error;
      (undo[i] as () => void)();
    });
    if (failure) {
      this.errors++;
      const error = new HitsFlushError(
        `a buffered flush failed; its hits are kept and retried at the next flush: ${failure.message}`,
        { cause: failure },
      );
      this.host.report(error);
      throw error;
    }
    this.flushes++;
  }

  /** The pending entry to put failed parts of `entry` back into, or undefined if dropped. */
  private reclaim(key: string, entry: Pending): Pending | undefined {
    const existing = this.pending.get(key);
    if (existing) return existing;
    if (this.pending.size >= this.host.maxPendingKeys) {
      this.drop(entry.hits, `no room to keep failed hits of ${JSON.stringify(key)}`);
      return undefined;
    }
    const fresh: Pending = {
      keys: entry.keys,
      hits: 0,
      board: 0,
      windows: new Map(),
      visitors: new Set(),
    };
    this.pending.set(key, fresh);
    return fresh;
  }
}

import { EventEmitter } from 'node:events';
import { backlogFull, redirectOf } from '@hitpool/pool/transport';
import { type BatchScripts, type Op, settleUnread, TurnBatch, type TurnContext } from './batch.js';
import { HitBuffer } from './buffer.js';
import { type CacheRead, type Copy, NearCache } from './cache.js';
import {
  clientOf,
  commandTimeoutFor,
  type Deliver,
  type Executor,
  executorFor,
  isClusterClient,
  type RedisCommand,
  type Reply,
} from './client.js';
import { ClusterTracking } from './cluster-tracking.js';
import {
  HitsClosedError,
  HitsConfigError,
  type HitsError,
  HitsFlushError,
  HitsLeaderboardError,
} from './errors.js';
import { counterKeyOf, counterKeys } from './layout.js';
import {
  checkKey,
  checkVisitor,
  keyOutsideItsSlot,
  MAX_TOP,
  type ResolvedOptions,
  resolveOptions,
} from './options.js';
import { BATCH_SCRIPT, COUNT_SCRIPT, LuaScript, READ_AND_COUNT_SCRIPT } from './script.js';
import { sendScripted } from './send.js';
import { Settler } from './settler.js';
import { type Leaderboard, sendSingly } from './single-key.js';
import { keySlot } from './slot.js';
import { type Tracking, TrackingLink } from './tracking.js';
import type {
  HitOptions,
  HitResult,
  HitTracker,
  HitTrackerOptions,
  HitTrackerStats,
} from './types.js';

function checkCluster(options: ResolvedOptions, keyPrefix: string): void {
  if (keyPrefix !== '')
    throw new HitsConfigError(
      'Cluster clients with a keyPrefix are not supported: the tracker routes commands by the slot ' +
        'of each key as sent; create the Cluster client without keyPrefix',
    );
  if (options.mode !== 'atomic') return;
  const probe = keyOutsideItsSlot(options);
  if (probe !== undefined)
    throw new HitsConfigError(
      `mode 'atomic' on a Cluster needs every counter in its key's hash slot, but options.hitKey(` +
        `${JSON.stringify(probe)}) is in slot ${keySlot(counterKeyOf(options, probe))}, the key in ` +
        `slot ${keySlot(probe)}. Use the default hitKey, a hitKey that keeps the key's {hash tag}, ` +
        "or mode 'pipeline'",
    );
  if (options.leaderboardKey !== undefined)
    throw new HitsConfigError(
      "mode 'atomic' on a Cluster cannot include the leaderboard: its sorted set lives in one slot " +
        "and the keys are spread over all slots. Use mode 'pipeline' (the leaderboard is updated in " +
        'the same round trip, not atomically) or turn the leaderboard off',
    );
}

/**
 * Calls answered at once from memory before the next one waits for a turn of the event loop:
 * callers that only ever hit the cache would otherwise keep the loop in microtasks, and the
 * invalidations and the replies other callers wait for would not be read until they stop. About
 * a millisecond of answers: each turn also costs a write of its misses and the calls that had to
 * wait, so 1,024 served 1.2× the calls of 512 in the cache benchmark's load (median of 10
 * alternating runs), and 1,536 or 2,048 no more than 1,024 (more callers then miss on keys
 * whose reads are in flight).
 */
const MEMORY_ANSWERS_PER_TURN = 1024;

const isTryAgain = ([error]: Reply) => error !== null && redirectOf(error.message) === 'TRYAGAIN';

/** A tracker's near cache: the copies, and the connections that keep them correct. */
interface NearCacheParts {
  readonly cache: NearCache;
  readonly link: Tracking;
}

/**
 * Create a hit tracker: `get(key)` reads a value and counts the hit in one round trip.
 *
 * @throws {HitsConfigError} for invalid options, and on a Cluster for combinations that cannot
 * be honoured (`mode: 'atomic'` with a cross-slot `hitKey` or with `leaderboard`; a `keyPrefix`).
 */
export function createHitTracker(options: HitTrackerOptions): HitTracker {
  const resolved = resolveOptions(options);
  const executor = executorFor(options?.redis);
  if (executor.isCluster) checkCluster(resolved, executor.keyPrefix);
  let near: NearCacheParts | undefined;
  if (resolved.cache) {
    const cache = new NearCache(resolved.cache.maxKeys, resolved.cache.ttlMs);
    const client = clientOf(options.redis);
    const timeoutMs = commandTimeoutFor(client);
    const link = isClusterClient(client)
      ? new ClusterTracking(client, cache, timeoutMs)
      : new TrackingLink(client, cache, timeoutMs);
    near = { cache, link };
  }
  return new Tracker(resolved, executor, executor.isCluster, near);
}

class Tracker implements HitTracker {
  private readonly events = new EventEmitter();
  private readonly buffer: HitBuffer | undefined;
  private readonly timer: NodeJS.Timeout | undefined;
  private readonly leaderboardSlot: number;
  private readonly board: Leaderboard;
  private queue: Op[] = [];
  /** The keys derived from a key now: for the buffer, which needs them only for a new key. */
  private readonly keysOf = (key: string) =>
    counterKeys(this.options, this.isCluster, Date.now(), key);
  /**
   * Calls whose value the near cache holds can be answered from memory: buffered, with a cache,
   * and no windows or uniques (which would need the counts from Redis).
   */
  private readonly memoryAnswers: boolean;
  /**
   * Keys with calls in {@link queue}, while {@link memoryAnswers}: a key with calls waiting for
   * this turn is not answered ahead of them.
   */
  private readonly queuedKeys: Set<string> | undefined;
  /** Calls answered from memory since the last turn (see {@link MEMORY_ANSWERS_PER_TURN}). */
  private answeredThisTurn = 0;
  private scheduled = false;
  private readonly settler = new Settler(() => this.schedule());
  private readonly inFlight = new Set<Promise<void>>();
  private closed = false;
  /** The client's `maxPendingCommands`: the most calls queued for the next batch (read per turn). */
  private maxPending: number;
  /**
   * Calls whose counting is in flight on the near cache's tracking connection (see
   * `sendWithReads`): at most {@link maxPending}, so that connection holds no more than the
   * client would.
   */
  private countingAlong = 0;
  private closing: Promise<void> | undefined;
  private calls = 0;
  private errors = 0;
  private readonly scripts: BatchScripts = {
    batch: new LuaScript(BATCH_SCRIPT),
    readAndCount: new LuaScript(READ_AND_COUNT_SCRIPT),
    count: new LuaScript(COUNT_SCRIPT),
  };

  constructor(
    private readonly options: ResolvedOptions,
    private readonly executor: Executor,
    private readonly isCluster: boolean,
    private readonly near: NearCacheParts | undefined,
  ) {
    this.maxPending = executor.maxPendingCommands();
    this.leaderboardSlot =
      isCluster && options.leaderboardKey !== undefined ? keySlot(options.leaderboardKey) : -1;
    this.board = { key: options.leaderboardKey, slot: this.leaderboardSlot };
    this.memoryAnswers =
      near !== undefined &&
      options.buffer !== undefined &&
      options.windows.length === 0 &&
      !options.uniques;
    this.queuedKeys = this.memoryAnswers ? new Set() : undefined;
    if (options.buffer) {
      this.buffer = new HitBuffer(
        {
          executor,
          leaderboardKey: options.leaderboardKey,
          leaderboardSlot: this.leaderboardSlot,
          maxPendingKeys: options.buffer.maxPendingKeys,
          reportIntervalMs: options.buffer.flushIntervalMs,
          report: (error) => this.report(error),
        },
        () => executor.ready(),
      );
      const buffer = this.buffer;
      this.timer = setInterval(() => {
        buffer.reportDrops();
        // A flush still waiting on a slow server is not queued behind again, and none starts
        // while the client reconnects: it would only wait in ioredis's offline queue.
        if (!buffer.flushing && executor.ready()) buffer.flush().catch(() => undefined);
      }, options.buffer.flushIntervalMs);
      this.timer.unref();
    }
  }

  private report(error: HitsError): void {
    if (this.events.listenerCount('error') > 0) this.events.emit('error', error);
  }

  on(event: 'error', listener: (error: HitsError) => void): this {
    this.events.on(event, listener);
    return this;
  }

  off(event: 'error', listener: (error: HitsError) => void): this {
    this.events.off(event, listener);
    return this;
  }

  private context(nowMs: number): TurnContext {
    return {
      options: this.options,
      isCluster: this.isCluster,
      nowMs,
      leaderboardSlot: this.leaderboardSlot,
      local: this.buffer,
    };
  }

  private enqueue<T extends HitResult | number>(
    kind: Op['kind'],
    key: string,
    visitor: string | undefined,
  ): Promise<T> {
    this.calls++;
    if (
      this.queuedKeys !== undefined &&
      this.answeredThisTurn < MEMORY_ANSWERS_PER_TURN &&
      !this.queuedKeys.has(key)
    ) {
      const answer = this.answerNow(kind, key, visitor);
      if (answer !== undefined) {
        this.answeredThisTurn++;
        return Promise.resolve(answer as T);
      }
    }
    // Bounded like the client it sends through: the calls of this turn not sent yet.
    if (this.queue.length >= this.maxPending) {
      return Promise.reject(backlogFull('This hit tracker', this.queue.length, this.maxPending));
    }
    // Buffered: a hit() counts now, without Redis; a get counts once its read succeeded.
    if (this.buffer && kind === 'hit') this.buffer.add(key, this.keysOf, visitor);
    this.queuedKeys?.add(key);
    return new Promise<T>((resolve, reject) => {
      this.queue.push({ kind, key, visitor, resolve: resolve as (value: unknown) => void, reject });
      // Everything asked for in this turn of the event loop leaves together: one batch
      // script call per 500 keys (per slot on a Cluster), one write and one round trip per node.
      this.schedule();
    });
  }

  private schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => this.turn());
  }

  /** Once per turn with work: send what was asked, then answer the next chunk of callers. */
  private turn(): void {
    this.scheduled = false;
    this.answeredThisTurn = 0;
    if (this.queue.length > 0) this.run();
    this.settler.turn();
  }

  private run(): void {
    const ops = this.queue;
    this.queue = [];
    this.queuedKeys?.clear();
    this.maxPending = this.executor.maxPendingCommands();
    const byKey = new Map<string, Op[]>();
    for (const op of ops) {
      const group = byKey.get(op.key);
      if (group) group.push(op);
      else byKey.set(op.key, [op]);
    }
    const batch = new TurnBatch(this.context(Date.now()), this.scripts, (finish) =>
      this.settler.settle(finish),
    );
    const { near } = this;
    // Per key the read misses, its calls when the total is known (buffered): only the value is
    // read, and they are answered from memory.
    const valuesOnly: Array<Op[] | undefined> = [];
    const read = near ? this.addCached(near, batch, byKey, valuesOnly) : undefined;
    if (!near) for (const [key, group] of byKey) batch.add(key, group);
    let failed = false;
    const commands = batch.commands();
    const resends: Array<Promise<void>> = [];
    const deliver = (indexes: readonly number[], results: readonly Reply[]) => {
      // Counted before any caller hears of the failure.
      if (!failed && results.some(([error]) => error)) {
        failed = true;
        this.errors++;
      }
      batch.deliver(indexes, results);
    };
    const onReplies = (indexes: readonly number[], results: readonly Reply[]) => {
      const direct: number[] = [];
      const directResults: Reply[] = [];
      indexes.forEach((index, j) => {
        const result = results[j] as Reply;
        if (commands[index]?.splittable && isTryAgain(result)) {
          // Its slot is being migrated: its parts go again as single-key commands.
          resends.push(
            sendSingly(this.executor, batch.workOf(index), this.board).then((flat) =>
              deliver([index], [[null, flat]]),
            ),
          );
        } else {
          direct.push(index);
          directResults.push(result);
        }
      });
      if (direct.length > 0) deliver(direct, directResults);
    };
    const sent =
      near && read
        ? this.sendWithReads(near, batch, commands, onReplies, read, valuesOnly, ops.length)
        : sendScripted(this.executor, commands, onReplies);
    // Resends (TRYAGAIN) are all known once every reply has been handed over.
    const done = sent.then(() => Promise.all(resends)).then(() => undefined);
    this.inFlight.add(done);
    void done.finally(() => this.inFlight.delete(done));
  }

  /**
   * Sends a turn that misses: `read` on the tracking connection and the turn's `commands`, behind
   * the read in the same write (one round trip, as without a cache) unless more than the client's
   * maxPendingCommands calls' counting would then be in flight there; then they go through the
   * client, whose limits apply. Resolves once both have answered.
   */
  private sendWithReads(
    { cache, link }: NearCacheParts,
    batch: TurnBatch,
    commands: readonly RedisCommand[],
    onReplies: Deliver,
    read: CacheRead,
    valuesOnly: ReadonlyArray<Op[] | undefined>,
    callers: number,
  ): Promise<void> {
    const misses = read.keys;
    const along =
      this.countingAlong + callers <= this.maxPending
        ? link.readAlong?.(misses, commands, onReplies)
        : undefined;
    if (along) {
      this.countingAlong += callers;
      const settled = () => {
        this.countingAlong -= callers;
      };
      along.then(settled, settled);
    }
    const reading = this.readMisses(cache, batch, valuesOnly, read, along ?? link.read(misses));
    const counted = along ? undefined : sendScripted(this.executor, commands, onReplies);
    return Promise.all([reading, counted]).then(() => undefined);
  }

  /**
   * Adds each key's calls with its value from the near cache when a copy is held; returns the
   * read of the keys to read on the tracking connection, begun (so an invalidation from now on
   * voids its reply), or `undefined` for none (none while it is not connected: the batch reads
   * those values, as without a cache).
   */
  private addCached(
    { cache, link }: NearCacheParts,
    batch: TurnBatch,
    byKey: ReadonlyMap<string, Op[]>,
    valuesOnly: Array<Op[] | undefined>,
  ): CacheRead | undefined {
    const nowMs = Date.now();
    const misses: string[] = [];
    for (const [key, ops] of byKey) {
      let reads = 0;
      for (const op of ops) if (op.kind !== 'hit') reads++;
      if (reads === 0) {
        if (!this.answerFromMemory(key, ops, null)) batch.add(key, ops);
      } else if (!link.liveFor(key)) {
        cache.miss(reads);
        batch.add(key, ops);
      } else {
        const copy = cache.lookup(key, nowMs, reads);
        if (copy) {
          if (!this.answerFromMemory(key, ops, copy.value)) batch.add(key, ops, copy);
        } else {
          misses.push(key);
          // Its total is known: once the value is read, the calls are answered from memory.
          if (this.memoryAnswers && this.buffer?.total(key) !== undefined) valuesOnly.push(ops);
          else {
            valuesOnly.push(undefined);
            batch.add(key, ops, 'supplied');
          }
        }
      }
    }
    return misses.length > 0 ? cache.beginRead(misses) : undefined;
  }

  /**
   * A call answered at once from memory (buffered, near cache, no windows or uniques), or
   * `undefined` when it needs a turn: the cache is not connected, the key's total is unknown, or
   * a `get`/`peek` finds no copy. Counted in call order, like the calls of a turn.
   */
  private answerNow(
    kind: Op['kind'],
    key: string,
    visitor: string | undefined,
  ): HitResult | number | undefined {
    const { near, buffer } = this;
    if (near === undefined || buffer === undefined || !near.link.liveFor(key)) return undefined;
    if (kind === 'peek') {
      const known = buffer.total(key);
      if (known === undefined) return undefined;
      const copy = near.cache.lookup(key, undefined, 0);
      if (copy === undefined) return undefined;
      near.cache.countHits(1);
      return { key, value: copy.value, hits: known };
    }
    let copy: Copy | undefined;
    if (kind === 'get') {
      copy = near.cache.lookup(key, undefined, 0);
      if (copy === undefined) return undefined;
    }
    // The copy's counter keys when it has them: a key new since the last flush needs them.
    const total = buffer.addIfKnown(key, copy?.keys ?? this.keysOf, visitor);
    if (total === undefined) return undefined;
    if (copy === undefined) return total;
    near.cache.countHits(1);
    return { key, value: copy.value, hits: total };
  }

  /**
   * Buffered, with no windows or uniques to read: answers `ops` (whose value, if they need one,
   * is the cached `value`) without any I/O when this tracker knows the key's total (from its
   * last read or flush of the key), the calls counted in order on top of it. False when it
   * cannot: the counts are read instead.
   */
  private answerFromMemory(key: string, ops: readonly Op[], value: string | null): boolean {
    const { buffer } = this;
    if (!this.memoryAnswers || buffer === undefined) return false;
    const known = buffer.total(key);
    if (known === undefined) return false;
    // A hit() was counted when it was called, so it is in the known total already.
    let total = known;
    for (const op of ops) if (op.kind === 'hit') total--;
    for (const op of ops) {
      if (op.kind === 'get') buffer.add(key, this.keysOf, op.visitor);
      if (op.kind !== 'peek') total++;
      if (op.kind === 'hit') op.resolve(total);
      else op.resolve({ key, value, hits: total });
    }
    return true;
  }

  /**
   * Takes the answer to `read` (`reading`, on the tracking connection): keeps what is still valid
   * and hands the values to `batch`. If that connection failed, reads them through the tracker's
   * client instead (not kept), so a lost tracking connection costs a round trip, not the calls.
   */
  private async readMisses(
    cache: NearCache,
    batch: TurnBatch,
    valuesOnly: ReadonlyArray<Op[] | undefined>,
    read: CacheRead,
    reading: Promise<Array<string | null | Error | undefined>>,
  ): Promise<void> {
    const { keys } = read;
    let values: Array<string | null | Error | undefined>;
    try {
      values = await reading;
      cache.endRead(read, values, Date.now());
    } catch {
      cache.abandonRead(read);
      values = keys.map(() => undefined);
    }
    // Not read on a tracking connection (it failed, or the key's slot moved): read through the
    // tracker's client, and not kept; not for calls whose counting failed already (it travelled
    // with the read), which fail whatever the value.
    const elsewhere = keys.filter((key, i) => values[i] === undefined && !batch.failed(key));
    if (elsewhere.length > 0) {
      const replies = await this.executor.send(
        elsewhere.map((key) => ({
          name: 'get',
          args: [key],
          slot: this.isCluster ? keySlot(key) : -1,
        })),
      );
      let at = 0;
      values = values.map((value) => {
        if (value !== undefined) return value;
        const [error, reply] = replies[at++] ?? [new Error('no reply'), null];
        return error ?? (reply as string | null);
      });
    }
    keys.forEach((key, i) => {
      const value = values[i] ?? null;
      const ops = valuesOnly[i];
      if (ops) this.answerWithValue(key, ops, value);
      else batch.supply(key, value instanceof Error ? { error: value } : { value });
    });
  }

  /**
   * Buffered calls of a key whose total was known, now that its value was read: answered from
   * memory, or (the total was forgotten meanwhile) sent again in the next turn.
   */
  private answerWithValue(key: string, ops: Op[], value: string | null | Error): void {
    const { buffer } = this;
    if (buffer === undefined) return;
    if (value instanceof Error) settleUnread(buffer, key, ops, value);
    else if (!this.answerFromMemory(key, ops, value)) {
      for (const op of ops) this.queue.push(op);
      this.queuedKeys?.add(key);
      this.schedule();
    }
  }

  private assertOpen(): void {
    if (this.closed) throw new HitsClosedError();
  }

  /** One call of `kind`: checked, then queued for this turn's batch. Not async: one promise per call. */
  private call<T extends HitResult | number>(
    kind: Op['kind'],
    key: string,
    options: HitOptions | undefined,
  ): Promise<T> {
    try {
      this.assertOpen();
      checkKey(key);
      return this.enqueue<T>(kind, key, kind === 'peek' ? undefined : checkVisitor(options));
    } catch (error) {
      return Promise.reject(error);
    }
  }

  get(key: string, options?: HitOptions): Promise<HitResult> {
    return this.call<HitResult>('get', key, options);
  }

  async getMany(keys: readonly string[], options?: HitOptions): Promise<HitResult[]> {
    this.assertOpen();
    if (!Array.isArray(keys))
      throw new TypeError('getMany(keys): keys must be an array of strings');
    for (const [i, key] of keys.entries()) checkKey(key, `keys[${i}]`);
    const visitor = checkVisitor(options);
    return Promise.all(keys.map((key) => this.enqueue<HitResult>('get', key, visitor)));
  }

  hit(key: string, options?: HitOptions): Promise<number> {
    return this.call<number>('hit', key, options);
  }

  peek(key: string): Promise<HitResult> {
    return this.call<HitResult>('peek', key, undefined);
  }

  async top(n = 10): Promise<Array<{ key: string; hits: number }>> {
    this.assertOpen();
    if (typeof n !== 'number' || !Number.isInteger(n) || n < 1 || n > MAX_TOP)
      throw new RangeError(`top(n): n must be an integer from 1 to ${MAX_TOP}, got ${String(n)}`);
    const board = this.options.leaderboardKey;
    if (board === undefined)
      throw new HitsLeaderboardError(
        'top() needs a leaderboard: create the tracker with leaderboard: true (or { key })',
      );
    const [reply] = await this.executor.send([
      { name: 'zrevrange', args: [board, 0, n - 1, 'WITHSCORES'], slot: this.leaderboardSlot },
    ]);
    if (reply?.[0]) throw reply[0];
    const flat = (reply?.[1] ?? []) as string[];
    const out: Array<{ key: string; hits: number }> = [];
    for (let i = 0; i + 1 < flat.length; i += 2)
      out.push({ key: flat[i] as string, hits: Number(flat[i + 1]) });
    return out;
  }

  async reset(key: string): Promise<void> {
    this.assertOpen();
    checkKey(key);
    this.buffer?.discard(key);
    const keys = counterKeys(this.options, this.isCluster, Date.now(), key);
    const commands: RedisCommand[] = [];
    // The counter and its companions share a slot, so one DEL covers them on a Cluster too.
    const del = [keys.counter, ...keys.windows.map((w) => w.key)];
    if (this.options.uniques && keys.companions) del.push(keys.companions.uniques);
    commands.push({ name: 'del', args: del, slot: keys.counterSlot });
    if (this.options.leaderboardKey !== undefined)
      commands.push({
        name: 'zrem',
        args: [this.options.leaderboardKey, key],
        slot: this.leaderboardSlot,
      });
    for (const [error] of await this.executor.send(commands)) if (error) throw error;
  }

  stats(): HitTrackerStats {
    const buffer = this.buffer;
    return {
      calls: this.calls,
      pending: buffer?.pendingHits ?? 0,
      pendingKeys: buffer?.pendingKeys ?? 0,
      flushes: buffer?.flushes ?? 0,
      errors: this.errors + (buffer?.errors ?? 0),
      dropped: buffer?.dropped ?? 0,
      ...(this.near
        ? { cache: { ...this.near.cache.stats(), connected: this.near.link.live } }
        : {}),
    };
  }

  async flush(): Promise<void> {
    await this.buffer?.flush();
  }

  close(): Promise<void> {
    this.closed = true;
    this.closing ??= this.shutdown();
    return this.closing;
  }

  private async shutdown(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    while (this.scheduled || this.inFlight.size > 0 || this.settler.pending > 0) {
      if (this.scheduled) await new Promise((resolve) => setImmediate(resolve));
      else await Promise.all(this.inFlight);
    }
    await this.near?.link.close();
    if (!this.buffer) return;
    try {
      await this.buffer.flush();
    } catch (error) {
      const dropped = this.buffer.dropAll('the last flush before close() failed');
      throw new HitsFlushError(
        `close(): the last flush failed and ${dropped} buffered hit(s) were dropped`,
        { cause: error, dropped },
      );
    }
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}

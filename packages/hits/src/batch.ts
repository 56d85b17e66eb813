/**
 * One turn of the event loop's calls, planned into as few commands as possible and finished
 * from their replies: every key's calls share one part of a batch script (n hits are one
 * INCRBY n), and all parts in one hash slot travel in one script call of at most
 * {@link MAX_BATCH_KEYS} keys. On a standalone or Sentinel server that is ⌈keys / 500⌉ commands
 * per turn; on a Cluster one per slot touched (a script's keys must share a slot).
 */
import type { LocalCounts } from './buffer.js';
import type { Copy } from './cache.js';
import type { RedisCommand, Reply } from './client.js';
import { HitsConfigError } from './errors.js';
import { type CounterKeys, counterKeys, windowIndex, windowTtlSeconds } from './layout.js';
import type { ResolvedOptions } from './options.js';
import { type LuaScript, MAX_BATCH_KEYS } from './script.js';
import type { PartWork } from './single-key.js';

/** The scripts a turn is sent with (one set per tracker: see `LuaScript`). */
export interface BatchScripts {
  /** Every kind of part ({@link BATCH_SCRIPT}). */
  readonly batch: LuaScript;
  /** Parts that only read a value and count its hits ({@link READ_AND_COUNT_SCRIPT}). */
  readonly readAndCount: LuaScript;
  /** Counting parts of trackers with windows, uniques or a leaderboard ({@link COUNT_SCRIPT}). */
  readonly count: LuaScript;
}

import type { HitResult } from './types.js';

/** One caller's request, waiting in the current tick's batch. */
export interface Op {
  readonly kind: 'get' | 'hit' | 'peek';
  readonly key: string;
  readonly visitor: string | undefined;
  resolve(value: HitResult | number): void;
  reject(error: unknown): void;
}

/**
 * Where a key's value comes from: `'read'`, the batch script reads it; a copy the near cache
 * holds (only the counting is sent); `'supplied'`, a read made elsewhere and handed over with
 * {@link TurnBatch.supply} (the key's calls settle once it and the counting have answered).
 */
export type ValueSource = 'read' | 'supplied' | Copy;

/** What every key of a turn shares. */
export interface TurnContext {
  readonly options: ResolvedOptions;
  readonly isCluster: boolean;
  readonly nowMs: number;
  readonly leaderboardSlot: number;
  /** Set in buffered mode: reads only, this process's unwritten hits added to the server's. */
  readonly local: LocalCounts | undefined;
}

// Sections of a part (flags of the batch script).
export const VALUE = 1;
export const COUNTER = 2;
export const UNIQUES = 4;
export const BOARD = 8;
export const COUNT_UNIQUES = 16;

/** One key's calls of this turn, and what its parts answered. */
interface Group {
  readonly key: string;
  readonly ops: readonly Op[];
  readonly keys: CounterKeys;
  /** Hits this turn writes (0 in buffered mode: reads only). */
  readonly n: number;
  readonly visitors: readonly string[];
  /** Buffered: unwritten hits as seen when the read is sent (they may be flushed after it). */
  readonly localHits: number;
  readonly localWindows: readonly number[];
  /** Parts still waiting for a reply. */
  pending: number;
  value: string | null;
  /**
   * The value is not read by this batch: it came with the calls (near cache) or is read
   * elsewhere ({@link TurnBatch.supply}); a reply's value place does not replace it.
   */
  valueKnown: boolean;
  /** The flat reply holding this key's total and window totals, and where they start. */
  counts: readonly unknown[];
  countsAt: number;
  uniques: number | undefined;
  error: Error | undefined;
}

/** A key's sections that live in one slot: one entry of one script call. */
interface Part {
  readonly group: Group;
  readonly flags: number;
}

const NONE: readonly never[] = Object.freeze([]);

/** A script call's ARGV as it is built. */
type Arguments = Array<string | number>;

const toCount = (value: unknown): number =>
  value === null || value === undefined || value === false ? 0 : Number(value);

/** Entries a part has in the batch script's flat reply (see `BATCH_SCRIPT`). */
export function placesOf(flags: number, windows: number): number {
  let places = 0;
  if (flags & VALUE) places++;
  if (flags & COUNTER) places += 1 + windows;
  if (flags & COUNT_UNIQUES) places++;
  return places === 0 ? 1 : places;
}

function rejectAll(ops: readonly Op[], error: unknown): void {
  for (const op of ops) op.reject(error);
}

function visitorsOf(ops: readonly Op[]): string[] {
  const visitors = new Set<string>();
  for (const op of ops)
    if (op.kind !== 'peek' && op.visitor !== undefined) visitors.add(op.visitor);
  return [...visitors];
}

/**
 * Buffered mode, the read failed: a `hit()` was counted in memory when it was called, so it
 * resolves (with the best known total) instead of telling its caller it failed; a `get` or
 * `peek` needs the value and rejects (a `get` counts only once its read succeeded).
 */
export function settleUnread(
  local: LocalCounts,
  key: string,
  ops: readonly Op[],
  error: unknown,
): void {
  const total = local.estimate(key);
  let behind = 0;
  for (let i = ops.length - 1; i >= 0; i--) {
    const op = ops[i] as Op;
    if (op.kind !== 'hit') op.reject(error);
    else {
      op.resolve(total - behind);
      behind++;
    }
  }
}

/** The calls of one turn: `add` each key's calls, send `commands()`, hand replies to `deliver`. */
export class TurnBatch {
  readonly #ctx: TurnContext;
  readonly #scripts: BatchScripts;
  /** No windows, uniques or leaderboard: most parts go through the read-and-count script. */
  readonly #plain: boolean;
  /**
   * The flags of a part that {@link COUNT_SCRIPT} can send: the value and every section the
   * tracker keeps, in one slot. 0 when it never applies (plain trackers, atomic mode).
   */
  readonly #countFlags: number;
  readonly #partsBySlot = new Map<number, Part[]>();
  /** On a Cluster in pipeline mode: a TRYAGAIN can be answered with single-key commands. */
  readonly #splittable: boolean;
  /** Keys whose value is read elsewhere, until {@link supply} hands it over. */
  readonly #supplied = new Map<string, Group>();
  /** The parts of each command returned by `commands()`, by command index. */
  readonly #commandParts: Part[][] = [];
  /** The script of each command returned by `commands()`. */
  readonly #commandScripts: LuaScript[] = [];

  /** Runs the settlement of a key whose parts all answered (now, or a little later). */
  readonly #settle: (finish: () => void) => void;

  constructor(
    ctx: TurnContext,
    scripts: BatchScripts,
    settle: (finish: () => void) => void = (finish) => finish(),
  ) {
    this.#ctx = ctx;
    this.#scripts = scripts;
    this.#settle = settle;
    const { options } = ctx;
    this.#plain =
      options.windows.length === 0 && !options.uniques && options.leaderboardKey === undefined;
    this.#splittable = ctx.isCluster && options.mode !== 'atomic';
    this.#countFlags =
      this.#plain || options.mode === 'atomic'
        ? 0
        : VALUE |
          COUNTER |
          (options.uniques ? UNIQUES | COUNT_UNIQUES : 0) |
          (options.leaderboardKey !== undefined ? BOARD : 0);
  }

  /**
   * Plan `ops`, every call of this turn for `key` (whose value comes from `source`); rejects them
   * at once if that cannot be done. A copy without counter keys keeps the ones derived here for
   * its next calls when they never change (no windows).
   */
  add(key: string, ops: readonly Op[], source: ValueSource = 'read'): void {
    const { options, isCluster, nowMs, local } = this.#ctx;
    let keys: CounterKeys;
    if (typeof source === 'object' && source.keys !== undefined) keys = source.keys;
    else {
      try {
        keys = counterKeys(options, isCluster, nowMs, key);
      } catch (error) {
        rejectAll(ops, error);
        return;
      }
      if (typeof source === 'object' && options.windows.length === 0) source.keys = keys;
    }
    if (options.mode === 'atomic' && isCluster && keys.counterSlot !== keys.keySlot) {
      rejectAll(
        ops,
        new HitsConfigError(
          `options.hitKey(${JSON.stringify(key)}) is in slot ${keys.counterSlot}, the key in slot ` +
            `${keys.keySlot}: mode 'atomic' on a Cluster needs both in one slot`,
        ),
      );
      return;
    }
    let counting = 0;
    let needValue = false;
    for (const op of ops) {
      if (op.kind !== 'hit') needValue = true;
      if (op.kind !== 'peek' && local === undefined) counting++;
    }
    const wantUniques = options.uniques && needValue;
    const visitors = counting > 0 && options.uniques ? visitorsOf(ops) : [];
    const group: Group = {
      key,
      ops,
      keys,
      n: counting,
      visitors,
      // Buffered hits are counted where the read is sent: after this, they may be flushed.
      localHits: local ? local.hits(key) : 0,
      localWindows:
        local && keys.windows.length > 0 ? keys.windows.map((w) => local.window(key, w.key)) : NONE,
      pending: 0,
      value: null,
      valueKnown: false,
      counts: NONE,
      countsAt: 0,
      uniques: undefined,
      error: undefined,
    };
    // A value the near cache holds or one read elsewhere: the fast scripts leave it unread (a
    // `#` before the count), so a turn with misses still sends its copies' parts that way.
    const readValue = needValue && source === 'read';
    if (needValue && source === 'supplied') {
      group.pending++;
      group.valueKnown = true;
      this.#supplied.set(key, group);
    } else if (typeof source === 'object') {
      group.value = source.value;
      group.valueKnown = true;
    }
    if (keys.keySlot === keys.counterSlot) {
      // The fast scripts read the value of every part (and the distinct visitors): for a hit()
      // alone that read is wasted but costs less than a second kind of call.
      if (this.#plain) {
        this.#addPart(keys.keySlot, { group, flags: VALUE | COUNTER });
        return;
      }
      const { leaderboardKey } = options;
      if (
        this.#countFlags !== 0 &&
        counting > 0 &&
        (leaderboardKey === undefined || this.#ctx.leaderboardSlot === keys.keySlot)
      ) {
        this.#addPart(keys.keySlot, { group, flags: this.#countFlags });
        return;
      }
    }
    const sections = new Map<number, number>();
    const section = (slot: number, flags: number) =>
      sections.set(slot, (sections.get(slot) ?? 0) | flags);
    if (readValue) section(keys.keySlot, VALUE);
    // The batch script reads nothing for a known value: its part has no value section.
    let counter = COUNTER;
    if (options.uniques && (wantUniques || visitors.length > 0)) counter |= UNIQUES;
    if (wantUniques) counter |= COUNT_UNIQUES;
    section(keys.counterSlot, counter);
    if (counting > 0 && options.leaderboardKey !== undefined)
      section(this.#ctx.leaderboardSlot, BOARD);
    for (const [slot, flags] of sections) this.#addPart(slot, { group, flags });
  }

  /** The value of a key added with source `'supplied'`, or why it could not be read. */
  supply(key: string, result: { readonly value: string | null } | { readonly error: Error }): void {
    const group = this.#supplied.get(key);
    if (group === undefined) return;
    this.#supplied.delete(key);
    if ('error' in result) group.error ??= result.error;
    else group.value = result.value;
    if (--group.pending === 0) this.#settle(() => this.#finish(group));
  }

  /** A key added with source `'supplied'` whose calls fail already (their counting failed). */
  failed(key: string): boolean {
    return this.#supplied.get(key)?.error !== undefined;
  }

  #addPart(slot: number, part: Part): void {
    part.group.pending++;
    const parts = this.#partsBySlot.get(slot);
    if (parts) parts.push(part);
    else this.#partsBySlot.set(slot, [part]);
  }

  /** The script calls for everything added: per slot, {@link MAX_BATCH_KEYS} parts per call. */
  commands(): RedisCommand[] {
    const { options, nowMs } = this.#ctx;
    const ttls = options.windows.map((name) =>
      windowTtlSeconds(name, windowIndex(name, nowMs), nowMs),
    );
    const header = [options.windows.length, ...ttls, options.mode === 'atomic' ? 1 : 0];
    // The count script declares the leaderboard once, before the parts' keys.
    const countKeys = options.leaderboardKey === undefined ? NONE : [options.leaderboardKey];
    const countHeader = [
      options.windows.length,
      ...ttls,
      options.uniques ? 1 : 0,
      options.leaderboardKey !== undefined ? 1 : 0,
    ];
    const commands: RedisCommand[] = [];
    for (const [slot, parts] of this.#partsBySlot) {
      for (let from = 0; from < parts.length; from += MAX_BATCH_KEYS) {
        const chunk = parts.slice(from, from + MAX_BATCH_KEYS);
        const { readAndCount, count, batch } = this.#scripts;
        let command: RedisCommand;
        let script: LuaScript;
        if (this.#plain && chunk.every((part) => part.flags === (VALUE | COUNTER))) {
          script = readAndCount;
          command = this.#command(script, slot, chunk, [], this.#readAndCountPart);
        } else if (this.#countFlags !== 0 && chunk.every((part) => this.#counts(part))) {
          script = count;
          command = this.#command(script, slot, chunk, countHeader, this.#countPart, countKeys);
        } else {
          script = batch;
          command = this.#command(script, slot, chunk, header, this.#batchPart);
        }
        if (this.#splittable) command = { ...command, splittable: true };
        this.#commandParts.push(chunk);
        this.#commandScripts.push(script);
        // The pool's maxPendingCommands counts a batch as the callers it carries.
        let callers = 0;
        for (const part of chunk) callers += part.group.ops.length;
        commands.push(callers > 1 ? { ...command, callers } : command);
      }
    }
    return commands;
  }

  /** Whether {@link COUNT_SCRIPT} can send `part` (a read-only part has the same flags). */
  #counts(part: Part): boolean {
    return part.flags === this.#countFlags && part.group.n > 0;
  }

  /** Appends a part's KEYS and ARGV for {@link READ_AND_COUNT_SCRIPT}. */
  readonly #readAndCountPart = ({ group }: Part, keys: string[], argv: Arguments): void => {
    if (group.valueKnown) {
      keys.push(group.keys.counter);
      argv.push(`#${group.n}`);
    } else {
      keys.push(group.key, group.keys.counter);
      argv.push(group.n);
    }
  };

  /** Appends a part's KEYS and ARGV for {@link COUNT_SCRIPT}. */
  readonly #countPart = ({ group }: Part, keys: string[], argv: Arguments): void => {
    const { options } = this.#ctx;
    const { keys: derived } = group;
    keys.push(group.key, derived.counter);
    for (const window of derived.windows) keys.push(window.key);
    if (options.uniques) keys.push(derived.companions?.uniques as string);
    argv.push(
      group.valueKnown ? `#${group.n}` : group.n,
      group.key,
      group.visitors.length,
      ...group.visitors,
    );
  };

  /** Appends a part's KEYS and ARGV for {@link BATCH_SCRIPT}. */
  readonly #batchPart = ({ group, flags }: Part, keys: string[], argv: Arguments): void => {
    const { keys: derived } = group;
    if (flags & VALUE) keys.push(group.key);
    if (flags & COUNTER) {
      keys.push(derived.counter);
      for (const window of derived.windows) keys.push(window.key);
    }
    if (flags & UNIQUES) keys.push(derived.companions?.uniques as string);
    const board = flags & BOARD;
    if (board) keys.push(this.#ctx.options.leaderboardKey as string);
    const visitors = flags & UNIQUES ? group.visitors : [];
    argv.push(flags, flags & (COUNTER | BOARD) ? group.n : 0, visitors.length, ...visitors);
    if (board) argv.push(group.key);
  };

  /**
   * One call of `script`: the `header` arguments and `first` keys, then every part's as `append`
   * lays them out.
   */
  #command(
    script: LuaScript,
    slot: number,
    chunk: readonly Part[],
    header: readonly number[],
    append: (part: Part, keys: string[], argv: Arguments) => void,
    first: readonly string[] = NONE,
  ): RedisCommand {
    const keys: string[] = first.slice();
    const argv: Arguments = header.slice();
    for (const part of chunk) append(part, keys, argv);
    return script.command(slot, keys, argv);
  }

  /** What each part of command `index` asks for, to send it as single-key commands. */
  workOf(index: number): PartWork[] {
    return (this.#commandParts[index] ?? []).map(({ group, flags }) => ({
      key: group.key,
      keys: group.keys,
      flags,
      n: flags & (COUNTER | BOARD) ? group.n : 0,
      visitors: flags & UNIQUES ? group.visitors : NONE,
    }));
  }

  /** Replies of some commands (`replies[j]` for command `indexes[j]`): settle finished keys. */
  deliver(indexes: readonly number[], replies: readonly Reply[]): void {
    const windows = this.#ctx.options.windows.length;
    indexes.forEach((index, j) => {
      const [error, value] = replies[j] as Reply;
      if (!error) this.#commandScripts[index]?.markLoaded();
      const flat = Array.isArray(value) ? (value as unknown[]) : [];
      let at = 0;
      for (const part of this.#commandParts[index] ?? []) {
        const { group, flags } = part;
        const places = placesOf(flags, windows);
        const first = flat[at];
        const failure =
          error ??
          (first instanceof Error
            ? first
            : at + places > flat.length
              ? new Error(`the batch script gave no reply for key ${JSON.stringify(group.key)}`)
              : undefined);
        if (failure) group.error ??= failure;
        else {
          let i = at;
          if (flags & VALUE) {
            const read = flat[i++];
            if (!group.valueKnown) group.value = typeof read === 'string' ? read : null;
          }
          if (flags & COUNTER) {
            group.counts = flat;
            group.countsAt = i;
            i += 1 + windows;
          }
          if (flags & COUNT_UNIQUES) group.uniques = toCount(flat[i]);
        }
        at += places;
        if (--group.pending === 0) this.#settle(() => this.#finish(group));
      }
    });
  }

  #finish(group: Group): void {
    const { key, ops, error } = group;
    const { local, options } = this.#ctx;
    if (error) {
      if (local) settleUnread(local, key, ops, error);
      else rejectAll(ops, error);
      return;
    }
    // Buffered: a hit() was counted when called (it is in localHits); a get counts now, on success.
    const gets = local ? ops.filter((op) => op.kind === 'get') : [];
    const { counts, countsAt } = group;
    const total = toCount(counts[countsAt]) + group.localHits + gets.length;
    // Each caller sees the count as if the calls ran one after another: the counting calls after
    // it in this turn have not happened yet for it.
    let behind = 0;
    for (const op of ops) if (op.kind !== 'peek') behind++;
    for (const op of ops) {
      if (op.kind !== 'peek') behind--;
      if (op.kind === 'hit') {
        op.resolve(total - behind);
        continue;
      }
      const result: HitResult = { key, value: group.value, hits: total - behind };
      if (options.windows.length > 0) {
        const windows: { minute?: number; hour?: number; day?: number } = {};
        options.windows.forEach((name, w) => {
          windows[name] =
            toCount(counts[countsAt + w + 1]) + (group.localWindows[w] ?? 0) + gets.length - behind;
        });
        result.windows = windows;
      }
      if (group.uniques !== undefined) result.uniques = group.uniques;
      op.resolve(result);
    }
    local?.countReads(key, group.keys, gets, total);
  }
}

import type { RedisCommand, Reply } from './client.js';
import { HitsConfigError } from './errors.js';
import {
  type CompanionKeys,
  companionKeys,
  type WindowName,
  windowIndex,
  windowTtlSeconds,
} from './layout.js';
import { counterKeyOf, type ResolvedOptions } from './options.js';
import { HIT_SCRIPT, HIT_SCRIPT_SHA } from './script.js';
import { keySlot } from './slot.js';
import type { HitResult } from './types.js';

/** One caller's request, waiting in the current tick's batch. */
export interface Op {
  readonly kind: 'get' | 'hit' | 'peek';
  readonly key: string;
  readonly visitor: string | undefined;
  resolve(value: HitResult | number): void;
  reject(error: unknown): void;
}

/** This process's buffered hits (buffered mode). */
export interface LocalCounts {
  /** Hits of `key` not yet written, as seen when a read is sent. */
  hits(key: string): number;
  window(key: string, windowKey: string): number;
  /** Count one hit (a `get` counts when its read succeeded). */
  add(key: string, keys: CounterKeys, visitor: string | undefined): void;
  /** Best known total of `key` without asking Redis: for `hit()` when the read fails. */
  estimate(key: string): number;
  /** The total a read just returned for `key`. */
  remember(key: string, total: number): void;
}

/** What every group of a batch shares. */
export interface PlanContext {
  readonly options: ResolvedOptions;
  readonly isCluster: boolean;
  readonly nowMs: number;
  readonly leaderboardSlot: number;
  /** False until the script ran once: send EVAL (loads it) rather than pay NOSCRIPT + EVAL. */
  readonly scriptLoaded: boolean;
  /** Set in buffered mode: reads only, local hits added to the server's counts. */
  readonly local: LocalCounts | undefined;
}

/** Turns the replies of a group's commands (in the order they were pushed) into results. */
export type Finish = (replies: readonly Reply[], offset: number) => void;

/** Keys of one key's counters at one moment. */
export interface CounterKeys {
  readonly counter: string;
  readonly counterSlot: number;
  readonly keySlot: number;
  readonly companions: CompanionKeys | undefined;
  readonly windows: ReadonlyArray<{ key: string; ttl: number; name: WindowName; index: number }>;
}

export function counterKeys(ctx: PlanContext, key: string): CounterKeys {
  const { options } = ctx;
  const counter = counterKeyOf(options, key);
  const companions =
    options.windows.length > 0 || options.uniques
      ? companionKeys(key, counter, options.customHitKey)
      : undefined;
  const windows = options.windows.map((name) => {
    const index = windowIndex(name, ctx.nowMs);
    return {
      key: (companions as CompanionKeys).window(name, index),
      ttl: windowTtlSeconds(name, index, ctx.nowMs),
      name,
      index,
    };
  });
  return {
    counter,
    counterSlot: ctx.isCluster ? keySlot(counter) : -1,
    keySlot: ctx.isCluster ? keySlot(key) : -1,
    companions,
    windows,
  };
}

function toCount(value: unknown): number {
  return value === null || value === undefined ? 0 : Number(value);
}

/** Hits as seen by op `i`: ops later in the same group have not happened yet for it. */
function laterCounting(ops: readonly Op[]): number[] {
  const later = new Array<number>(ops.length);
  let seen = 0;
  for (let i = ops.length - 1; i >= 0; i--) {
    later[i] = seen;
    if ((ops[i] as Op).kind !== 'peek') seen++;
  }
  return later;
}

function settle(
  ctx: PlanContext,
  key: string,
  ops: readonly Op[],
  value: string | null,
  total: number,
  windowTotals: readonly number[],
  uniques: number | undefined,
): void {
  const later = laterCounting(ops);
  const names = ctx.options.windows;
  for (let i = 0; i < ops.length; i++) {
    const op = ops[i] as Op;
    const behind = later[i] as number;
    if (op.kind === 'hit') {
      op.resolve(total - behind);
      continue;
    }
    const result: HitResult = { key, value, hits: total - behind };
    if (names.length > 0) {
      const windows: { minute?: number; hour?: number; day?: number } = {};
      names.forEach((name, w) => {
        windows[name] = (windowTotals[w] as number) - behind;
      });
      result.windows = windows;
    }
    if (uniques !== undefined) result.uniques = uniques;
    op.resolve(result);
  }
}

function rejectAll(ops: readonly Op[], error: unknown): void {
  for (const op of ops) op.reject(error);
}

/**
 * Buffered mode, the read failed: a `hit()` was counted in memory when it was called, so it
 * resolves (with the best known total) instead of telling its caller it failed; a `get` or
 * `peek` needs the value and rejects (a `get` counts only once its read succeeded).
 */
function settleUnread(local: LocalCounts, key: string, ops: readonly Op[], error: unknown): void {
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

function firstError(replies: readonly Reply[], from: number, to: number): Error | undefined {
  for (let i = from; i < to; i++) {
    const error = (replies[i] as Reply)[0];
    if (error) return error;
  }
  return undefined;
}

function visitorsOf(ops: readonly Op[]): string[] {
  const visitors = new Set<string>();
  for (const op of ops)
    if (op.kind !== 'peek' && op.visitor !== undefined) visitors.add(op.visitor);
  return [...visitors];
}

/**
 * Push the commands for one key's ops onto `commands` and return how to settle the ops from the
 * replies. All ops of a key in one tick share one set of commands: n hits are one INCRBY n, and
 * each caller gets the count it would have seen had the calls run one after another.
 */
export function planGroup(
  ctx: PlanContext,
  key: string,
  ops: readonly Op[],
  commands: RedisCommand[],
): Finish | undefined {
  let keys: CounterKeys;
  try {
    keys = counterKeys(ctx, key);
  } catch (error) {
    rejectAll(ops, error);
    return undefined;
  }
  const { options } = ctx;
  const n = ops.reduce((sum, op) => sum + (op.kind === 'peek' ? 0 : 1), 0);
  const needValue = ops.some((op) => op.kind !== 'hit');
  const wantUniques = options.uniques && needValue;
  const start = commands.length;
  const push = (slot: number, name: string, ...args: Array<string | number>) =>
    commands.push({ name, args, slot });

  if (options.mode === 'atomic') {
    if (ctx.isCluster && keys.counterSlot !== keys.keySlot) {
      rejectAll(
        ops,
        new HitsConfigError(
          `options.hitKey(${JSON.stringify(key)}) is in slot ${keys.counterSlot}, the key in slot ` +
            `${keys.keySlot}: mode 'atomic' on a Cluster needs both in one slot`,
        ),
      );
      return undefined;
    }
    const board = options.leaderboardKey !== undefined && !ctx.isCluster;
    const scriptKeys = [key, keys.counter, ...keys.windows.map((w) => w.key)];
    if (options.uniques) scriptKeys.push((keys.companions as CompanionKeys).uniques);
    if (board) scriptKeys.push(options.leaderboardKey as string);
    push(
      keys.keySlot,
      ctx.scriptLoaded ? 'evalsha' : 'eval',
      ctx.scriptLoaded ? HIT_SCRIPT_SHA : HIT_SCRIPT,
      scriptKeys.length,
      ...scriptKeys,
      n,
      needValue ? 1 : 0,
      keys.windows.length,
      ...keys.windows.map((w) => w.ttl),
      options.uniques ? 1 : 0,
      board ? 1 : 0,
      key,
      ...visitorsOf(ops),
    );
    return (replies, offset) => {
      const [error, raw] = replies[offset] as Reply;
      if (error) return rejectAll(ops, error);
      const out = raw as unknown[];
      const w = keys.windows.length;
      settle(
        ctx,
        key,
        ops,
        (out[0] as string | null | undefined) ?? null,
        toCount(out[1]),
        out.slice(2, 2 + w).map(toCount),
        options.uniques ? toCount(out[2 + w]) : undefined,
      );
    };
  }

  const local = ctx.local;
  const counting = n > 0 && local === undefined;
  if (needValue) push(keys.keySlot, 'get', key);
  const hitsAt = commands.length;
  push(keys.counterSlot, counting ? 'incrby' : 'get', keys.counter, ...(counting ? [n] : []));
  const windowsAt: number[] = [];
  for (const window of keys.windows) {
    windowsAt.push(commands.length);
    if (counting) {
      push(keys.counterSlot, 'incrby', window.key, n);
      push(keys.counterSlot, 'expire', window.key, window.ttl);
    } else push(keys.counterSlot, 'get', window.key);
  }
  if (options.uniques && counting) {
    const visitors = visitorsOf(ops);
    if (visitors.length > 0)
      push(keys.counterSlot, 'pfadd', (keys.companions as CompanionKeys).uniques, ...visitors);
  }
  const uniquesAt = commands.length;
  if (wantUniques) push(keys.counterSlot, 'pfcount', (keys.companions as CompanionKeys).uniques);
  if (counting && options.leaderboardKey !== undefined)
    push(ctx.leaderboardSlot, 'zincrby', options.leaderboardKey, n, key);
  const end = commands.length;
  // Buffered hits are counted where the read is sent: after this, they may be flushed.
  const localHits = local ? local.hits(key) : 0;
  const localWindows = keys.windows.map((w) => (local ? local.window(key, w.key) : 0));

  // Buffered: a hit() was counted when called (it is in localHits); a get counts now, on success.
  const gets = local ? ops.filter((op) => op.kind === 'get') : [];

  return (replies, offset) => {
    const error = firstError(replies, offset, offset + end - start);
    if (error) return local ? settleUnread(local, key, ops, error) : rejectAll(ops, error);
    const at = (index: number) => (replies[offset + index - start] as Reply)[1];
    const total = toCount(at(hitsAt)) + localHits + gets.length;
    settle(
      ctx,
      key,
      ops,
      needValue ? ((at(start) as string | null) ?? null) : null,
      total,
      windowsAt.map((index, w) => toCount(at(index)) + (localWindows[w] as number) + gets.length),
      wantUniques ? toCount(at(uniquesAt)) : undefined,
    );
    if (local) {
      for (const op of gets) local.add(key, keys, op.visitor);
      local.remember(key, total);
    }
  };
}

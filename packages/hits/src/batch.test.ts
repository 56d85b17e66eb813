import { describe, expect, it } from 'vitest';
import { type BatchScripts, type Op, TurnBatch, type TurnContext } from './batch.js';
import type { Reply } from './client.js';
import { defaultHitKey, suffixHitKey } from './layout.js';
import { resolveOptions } from './options.js';
import { BATCH_SCRIPT, COUNT_SCRIPT, LuaScript, READ_AND_COUNT_SCRIPT } from './script.js';
import { keySlot } from './slot.js';
import type { HitTrackerOptions } from './types.js';

/** An op whose outcome the test can read. */
function op(kind: Op['kind'], key: string, visitor?: string) {
  const outcome: { value?: unknown; error?: unknown } = {};
  const entry: Op = {
    kind,
    key,
    visitor,
    resolve: (value) => {
      outcome.value = value;
    },
    reject: (error) => {
      outcome.error = error;
    },
  };
  return { op: entry, outcome };
}

const NOW = Date.UTC(2026, 10, 27, 12, 0, 30);

function turn(options: Omit<HitTrackerOptions, 'redis'>, isCluster = false) {
  const resolved = resolveOptions({ redis: {} as HitTrackerOptions['redis'], ...options });
  const ctx: TurnContext = {
    options: resolved,
    isCluster,
    nowMs: NOW,
    leaderboardSlot: isCluster && resolved.leaderboardKey ? keySlot(resolved.leaderboardKey) : -1,
    local: undefined,
  };
  const scripts: BatchScripts = {
    batch: new LuaScript(BATCH_SCRIPT),
    readAndCount: new LuaScript(READ_AND_COUNT_SCRIPT),
    count: new LuaScript(COUNT_SCRIPT),
  };
  return { batch: new TurnBatch(ctx, scripts), scripts };
}

/** A turn of a tracker with minute and hour windows, uniques and a leaderboard. */
const fullTurn = () =>
  turn({ windows: ['minute', 'hour'], uniques: true, leaderboard: { key: 'board' } });

/** What such a tracker's `get` resolves with. */
function fullResult(
  key: string,
  value: string,
  hits: number,
  [minute, hour]: [number, number],
  uniques: number,
) {
  return { key, value, hits, windows: { minute, hour }, uniques };
}

describe('TurnBatch (planning and finishing a turn, no Redis)', () => {
  it('sends a plain turn as one read-and-count call and gives each caller its own count', () => {
    const { batch } = turn({});
    const a1 = op('get', 'a');
    const a2 = op('get', 'a');
    const a3 = op('hit', 'a');
    const b = op('peek', 'b');
    batch.add('a', [a1.op, a2.op, a3.op]);
    batch.add('b', [b.op]);
    const commands = batch.commands();
    expect(commands).toHaveLength(1);
    const [command] = commands;
    // First call of this script: EVAL (loads it); keys are pairs, ARGV the hits to add.
    expect(command?.name).toBe('eval');
    expect(command?.args.slice(1)).toEqual([
      4,
      'a',
      defaultHitKey('a'),
      'b',
      defaultHitKey('b'),
      3,
      0,
    ]);
    batch.deliver([0], [[null, ['va', 13, null, 7]]]);
    expect(a1.outcome.value).toEqual({ key: 'a', value: 'va', hits: 11 });
    expect(a2.outcome.value).toEqual({ key: 'a', value: 'va', hits: 12 });
    expect(a3.outcome.value).toBe(13);
    expect(b.outcome.value).toEqual({ key: 'b', value: null, hits: 7 });
  });

  it('sends only the counter of a key whose value is held, and answers with the held value', () => {
    const { batch } = turn({});
    const a = op('get', 'a');
    const b = op('get', 'b');
    const copy = { value: 'held', keys: undefined };
    batch.add('a', [a.op], copy);
    batch.add('b', [b.op]);
    const [command] = batch.commands();
    // `#` marks a part without its key: the script neither reads nor receives the value.
    expect(command?.args.slice(1)).toEqual([
      3,
      defaultHitKey('a'),
      'b',
      defaultHitKey('b'),
      '#1',
      1,
    ]);
    batch.deliver([0], [[null, [false, 5, 'vb', 2]]]);
    expect(a.outcome.value).toEqual({ key: 'a', value: 'held', hits: 5 });
    expect(b.outcome.value).toEqual({ key: 'b', value: 'vb', hits: 2 });
    // The copy keeps its counter keys for its next turns: they never change without windows.
    expect(copy.keys).toEqual(expect.objectContaining({ counter: defaultHitKey('a') }));
    const windowed = { value: 'held', keys: undefined };
    turn({ windows: ['minute'] }).batch.add('a', [op('get', 'a').op], windowed);
    expect(windowed.keys).toBeUndefined();
  });

  it('rejects only the callers of a key whose entry is an error', () => {
    const { batch } = turn({});
    const good = op('get', 'good');
    const bad = op('get', 'bad');
    batch.add('good', [good.op]);
    batch.add('bad', [bad.op]);
    batch.commands();
    const wrongType = new Error(
      'WRONGTYPE Operation against a key holding the wrong kind of value',
    );
    batch.deliver([0], [[null, ['v', 1, wrongType, false]]]);
    expect(good.outcome.value).toEqual({ key: 'good', value: 'v', hits: 1 });
    expect(bad.outcome.error).toBe(wrongType);
  });

  it('rejects every caller of a call that failed as a whole, and loads the script once', () => {
    const { batch, scripts } = turn({});
    const a = op('get', 'a');
    batch.add('a', [a.op]);
    batch.commands();
    const down = new Error('Connection is closed.');
    batch.deliver([0], [[down, null]]);
    expect(a.outcome.error).toBe(down);
    expect(scripts.readAndCount.command(-1, [], []).name).toBe('eval');
    scripts.readAndCount.markLoaded();
    expect(scripts.readAndCount.command(-1, [], []).name).toBe('evalsha');
  });

  it('counts with the count script when windows, uniques and leaderboard are on, and reads every section back', () => {
    const { batch, scripts } = fullTurn();
    const a = op('get', 'a', 'visitor-1');
    batch.add('a', [a.op]);
    const [command] = batch.commands();
    expect(command?.args[0]).toBe(scripts.count.source);
    const args = command?.args ?? [];
    const keyCount = args[1] as number;
    const keys = args.slice(2, 2 + keyCount);
    const argv = args.slice(2 + keyCount);
    // The leaderboard once, then the key, its counter, two windows and the HyperLogLog.
    expect(keys[0]).toBe('board');
    expect(keys[1]).toBe('a');
    expect(keys[2]).toBe(defaultHitKey('a'));
    expect(keys).toHaveLength(6);
    // W, one TTL per window, the uniques and leaderboard flags, then n, member and visitors.
    expect(argv[0]).toBe(2);
    expect(argv.slice(3, 5)).toEqual([1, 1]);
    expect(argv.slice(5)).toEqual([1, 'a', 1, 'visitor-1']);
    batch.deliver([0], [[null, ['va', 9, 4, 6, 3]]]);
    expect(a.outcome.value).toEqual(fullResult('a', 'va', 9, [4, 6], 3));
  });

  it('sends a turn with a read-only key through the full script, flags and board member per part', () => {
    const { batch, scripts } = fullTurn();
    const a = op('get', 'a', 'visitor-1');
    const b = op('peek', 'b');
    batch.add('a', [a.op]);
    batch.add('b', [b.op]);
    const commands = batch.commands();
    expect(commands).toHaveLength(1);
    const args = commands[0]?.args ?? [];
    expect(args[0]).toBe(scripts.batch.source);
    const argv = args.slice(2 + (args[1] as number));
    // W, one TTL per window, the atomic flag, then per part flags, n, visitors (and member).
    expect(argv.slice(3)).toEqual([
      0,
      1 | 2 | 4 | 8 | 16,
      1,
      1,
      'visitor-1',
      'a',
      1 | 2 | 4 | 16,
      0,
      0,
    ]);
    batch.deliver([0], [[null, ['va', 9, 4, 6, 3, 'vb', 2, 1, 1, 5]]]);
    expect(a.outcome.value).toEqual(fullResult('a', 'va', 9, [4, 6], 3));
    expect(b.outcome.value).toEqual(fullResult('b', 'vb', 2, [1, 1], 5));
  });

  it('keeps atomic mode on the full script', () => {
    const { batch, scripts } = turn({ mode: 'atomic', windows: ['minute'] });
    const a = op('get', 'a');
    batch.add('a', [a.op]);
    expect(batch.commands()[0]?.args[0]).toBe(scripts.batch.source);
  });

  it('splits a key across slots on a Cluster when its counter lives elsewhere, and settles once both answered', () => {
    const { batch } = turn({ hitKey: suffixHitKey() }, true);
    const a = op('get', 'name');
    batch.add('name', [a.op]);
    const commands = batch.commands();
    expect(commands.map((command) => command.slot).sort()).toEqual(
      [keySlot('name'), keySlot('name_hit')].sort(),
    );
    const valueAt = commands.findIndex((command) => command.slot === keySlot('name'));
    const counterAt = 1 - valueAt;
    batch.deliver([valueAt], [[null, ['v']]]);
    expect(a.outcome).toEqual({});
    batch.deliver([counterAt], [[null, [5]]]);
    expect(a.outcome.value).toEqual({ key: 'name', value: 'v', hits: 5 });
  });

  it('puts at most 500 keys in one call', () => {
    const { batch } = turn({});
    const outcomes = Array.from({ length: 1_200 }, (_, i) => {
      const entry = op('get', `k${i}`);
      batch.add(`k${i}`, [entry.op]);
      return entry.outcome;
    });
    const commands = batch.commands();
    expect(commands).toHaveLength(3);
    const replies: Reply[] = commands.map((command) => {
      const pairs = ((command.args[1] as number) / 2) | 0;
      return [null, Array.from({ length: pairs }, () => ['v', 1]).flat()];
    });
    batch.deliver([0, 1, 2], replies);
    expect(outcomes.every((outcome) => (outcome.value as { hits: number }).hits === 1)).toBe(true);
  });
});

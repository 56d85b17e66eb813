import { describe, expect, it } from 'vitest';
import { HitBuffer } from './buffer.js';
import type { Deliver, Executor, RedisCommand, Reply } from './client.js';
import { HitsFlushError } from './errors.js';
import { counterKeys } from './layout.js';
import { resolveOptions } from './options.js';
import type { HitTrackerOptions } from './types.js';

/** An executor that records what it is asked to send and answers with `answer`. */
function fakeExecutor(answer: (command: RedisCommand) => Reply) {
  const sent: RedisCommand[][] = [];
  const executor: Executor = {
    isCluster: false,
    keyPrefix: '',
    ready: () => true,
    maxPendingCommands: () => Number.POSITIVE_INFINITY,
    async sendEach(commands: readonly RedisCommand[], deliver: Deliver) {
      sent.push([...commands]);
      deliver(
        commands.map((_, i) => i),
        commands.map(answer),
      );
    },
    async send(commands) {
      sent.push([...commands]);
      return commands.map(answer);
    },
  };
  return { executor, sent };
}

const options = resolveOptions({ redis: {} as HitTrackerOptions['redis'], buffer: {} });
const keysOf = (key: string) => counterKeys(options, false, Date.now(), key);

/** The flush script's arguments: [script or sha, numkeys, ...keys, seq, ttl, ...ops]. */
function batchOf(command: RedisCommand) {
  const keyCount = command.args[1] as number;
  return {
    keys: command.args.slice(2, 2 + keyCount) as string[],
    seq: command.args[2 + keyCount],
  };
}

function buffer(
  answer: (command: RedisCommand) => Reply,
  maxPendingKeys = 10_000,
  ready: () => boolean = () => true,
) {
  const reports: HitsFlushError[] = [];
  const fake = fakeExecutor(answer);
  const hits = new HitBuffer(
    {
      executor: fake.executor,
      leaderboardKey: undefined,
      leaderboardSlot: -1,
      maxPendingKeys,
      reportIntervalMs: 1_000,
      report: (error) => reports.push(error),
    },
    ready,
  );
  return { hits, sent: fake.sent, reports };
}

const applied: Reply = [null, [1, '', 0]];

describe('HitBuffer (no Redis)', () => {
  it('seals pending hits into numbered batches of at most 500 keys, each in its own lane', async () => {
    const { hits, sent } = buffer(() => applied);
    for (let i = 0; i < 1_200; i++) hits.add(`k${i}`, keysOf(`k${i}`), undefined);
    hits.add('k0', keysOf('k0'), undefined);
    expect(hits.pendingHits).toBe(1_201);
    await hits.flush();
    const batches = (sent[0] ?? []).map(batchOf);
    expect(batches.map((batch) => batch.seq)).toEqual([1, 2, 3]);
    expect(batches.map((batch) => batch.keys.length)).toEqual([501, 501, 201]);
    // The first key of each batch is its lane's sequence key.
    expect(batches.map((batch) => batch.keys[0]?.replace(/:[0-9a-f]{12}:/, ':W:'))).toEqual([
      'hits:flushed:W:0',
      'hits:flushed:W:1',
      'hits:flushed:W:2',
    ]);
    expect(hits.pendingHits).toBe(0);
    expect(hits.flushes).toBe(1);
  });

  it('keeps a failed batch unchanged and sends it again with its number; new hits go to another lane', async () => {
    let fail = true;
    const { hits, sent, reports } = buffer(() =>
      fail ? [new Error('Connection is closed.'), null] : applied,
    );
    hits.add('a', keysOf('a'), undefined);
    await expect(hits.flush()).rejects.toBeInstanceOf(HitsFlushError);
    expect(reports).toHaveLength(1);
    expect(hits.pendingHits).toBe(1);
    expect(hits.hits('a')).toBe(1);
    fail = false;
    hits.add('b', keysOf('b'), undefined);
    await hits.flush();
    const [first] = (sent[0] ?? []).map(batchOf);
    const again = (sent[1] ?? []).map(batchOf);
    expect(again[0]).toEqual(first);
    expect(again[1]?.seq).toBe(2);
    expect(again[1]?.keys[0]).not.toBe(first?.keys[0]);
    expect(hits.pendingHits).toBe(0);
  });

  it('drops what does not fit in maxPendingKeys while kept hits wait for Redis, and reports it once', async () => {
    let connected = true;
    const { hits, reports } = buffer(
      () => [new Error('Connection is closed.'), null],
      2,
      () => connected,
    );
    hits.add('a', keysOf('a'), undefined);
    hits.add('b', keysOf('b'), undefined);
    await expect(hits.flush()).rejects.toBeInstanceOf(HitsFlushError);
    // Reconnecting: no early flush makes room, so new keys do not fit.
    connected = false;
    for (let i = 0; i < 5; i++) hits.add(`new${i}`, keysOf(`new${i}`), undefined);
    expect(hits.dropped).toBe(5);
    expect(hits.pendingKeys).toBe(2);
    // The first drop is reported at once, the rest merged into the next interval's report.
    expect(reports.filter((report) => report.dropped > 0).map((report) => report.dropped)).toEqual([
      1,
    ]);
    hits.reportDrops();
    expect(reports.filter((report) => report.dropped > 0).map((report) => report.dropped)).toEqual([
      1, 4,
    ]);
  });

  it('counts a hit on top of a known total only when the total is known and the hit is kept', () => {
    const { hits } = buffer(
      () => applied,
      2,
      () => false,
    );
    expect(hits.addIfKnown('a', keysOf, undefined)).toBeUndefined();
    expect(hits.pendingKeys).toBe(0);
    hits.remember('a', 10);
    hits.remember('b', 20);
    expect(hits.addIfKnown('a', keysOf, undefined)).toBe(11);
    expect(hits.hits('a')).toBe(1);
    // maxPendingKeys 2 is taken by 'a' and 'c', and no flush can make room now: b's hit is dropped.
    hits.add('c', keysOf, undefined);
    expect(hits.addIfKnown('b', keysOf, undefined)).toBe(20);
    expect(hits.dropped).toBe(1);
  });
});

import { randomPrefix } from '@hitpool/testing';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import {
  createHitTracker,
  defaultHitKey,
  HitsConfigError,
  HitsKeyError,
  HitsLeaderboardError,
  slotTagOfKey,
  suffixHitKey,
  WINDOW_GRACE_SECONDS,
} from '../src/index.js';
import { windowIndex } from '../src/layout.js';
import { awayFromWindowEdge } from './clock.js';

let redis: Redis;
beforeAll(() => {
  redis = new Redis(inject('redisUrl'));
});
afterAll(async () => {
  await redis.quit();
});

describe('get, hit, peek, reset on a standalone server', () => {
  it('reads the value and counts every hit; missing keys give null and still count', async () => {
    const p = randomPrefix('basic');
    await redis.set(`${p}page`, 'hello');
    const hits = createHitTracker({ redis });
    expect(await hits.get(`${p}page`)).toEqual({ key: `${p}page`, value: 'hello', hits: 1 });
    expect(await hits.get(`${p}page`)).toMatchObject({ value: 'hello', hits: 2 });
    expect(await hits.hit(`${p}page`)).toBe(3);
    expect(await hits.peek(`${p}page`)).toEqual({ key: `${p}page`, value: 'hello', hits: 3 });
    expect(await hits.get(`${p}missing`)).toEqual({ key: `${p}missing`, value: null, hits: 1 });
    expect(await redis.get(defaultHitKey(`${p}page`))).toBe('3');
    await hits.reset(`${p}page`);
    expect(await hits.peek(`${p}page`)).toMatchObject({ value: 'hello', hits: 0 });
    expect(hits.stats()).toMatchObject({ calls: 6, errors: 0, pending: 0, dropped: 0 });
    await hits.close();
    expect(redis.status).toBe('ready');
    await redis.del(`${p}page`, defaultHitKey(`${p}missing`));
  });

  it('gives concurrent callers of one key distinct, consecutive counts', async () => {
    await awayFromWindowEdge();
    const p = randomPrefix('concurrent');
    const hits = createHitTracker({ redis, windows: ['minute'] });
    const results = await Promise.all(Array.from({ length: 50 }, () => hits.get(`${p}k`)));
    expect(results.map((r) => r.hits).sort((a, b) => a - b)).toEqual(
      Array.from({ length: 50 }, (_, i) => i + 1),
    );
    expect(results.map((r) => r.windows?.minute).sort((a, b) => (a ?? 0) - (b ?? 0))).toEqual(
      Array.from({ length: 50 }, (_, i) => i + 1),
    );
    await hits.reset(`${p}k`);
    await hits.close();
  });

  it('getMany keeps the order of keys, counts duplicates once each', async () => {
    const p = randomPrefix('many');
    await redis.mset(`${p}a`, 'A', `${p}b`, 'B');
    const hits = createHitTracker({ redis });
    const results = await hits.getMany([`${p}a`, `${p}b`, `${p}c`, `${p}a`]);
    expect(results.map((r) => [r.key, r.value, r.hits])).toEqual([
      [`${p}a`, 'A', 1],
      [`${p}b`, 'B', 1],
      [`${p}c`, null, 1],
      [`${p}a`, 'A', 2],
    ]);
    expect(await hits.getMany([])).toEqual([]);
    for (const k of ['a', 'b', 'c']) await hits.reset(`${p}${k}`);
    await redis.del(`${p}a`, `${p}b`);
    await hits.close();
  });
});

describe('windows, uniques, leaderboard', () => {
  it('counts fixed windows in keys that expire by themselves', async () => {
    await awayFromWindowEdge();
    const p = randomPrefix('windows');
    const hits = createHitTracker({ redis, windows: ['day', 'minute', 'hour'] });
    await hits.get(`${p}w`);
    const result = await hits.get(`${p}w`);
    expect(result.windows).toEqual({ minute: 2, hour: 2, day: 2 });
    const now = Date.now();
    const tag = slotTagOfKey(`${p}w`);
    for (const [name, seconds] of [
      ['minute', 60],
      ['hour', 3600],
      ['day', 86400],
    ] as const) {
      const key = `{${tag}}:hits:${name}:${windowIndex(name, now)}:${p}w`;
      expect(await redis.get(key)).toBe('2');
      const ttl = await redis.ttl(key);
      expect(ttl).toBeGreaterThan(WINDOW_GRACE_SECONDS - 5);
      expect(ttl).toBeLessThanOrEqual(seconds + WINDOW_GRACE_SECONDS);
    }
    // The total never expires; nothing else was written.
    expect(await redis.ttl(defaultHitKey(`${p}w`))).toBe(-1);
    expect(await redis.keys(`*${p}*`)).toHaveLength(4);
    await hits.reset(`${p}w`);
    expect(await redis.keys(`*${p}*`)).toHaveLength(0);
    await hits.close();
  });

  it('counts distinct visitors with a HyperLogLog in the key slot', async () => {
    const p = randomPrefix('uniques');
    const hits = createHitTracker({ redis, uniques: true });
    for (const visitor of ['ann', 'bob', 'ann', 'cy']) await hits.get(`${p}u`, { visitor });
    expect(await hits.get(`${p}u`)).toMatchObject({ hits: 5, uniques: 3 });
    expect(await hits.peek(`${p}u`)).toMatchObject({ hits: 5, uniques: 3 });
    expect(await redis.pfcount(`{${slotTagOfKey(`${p}u`)}}:hits:uniques:${p}u`)).toBe(3);
    await hits.reset(`${p}u`);
    expect(await hits.peek(`${p}u`)).toMatchObject({ hits: 0, uniques: 0 });
    await hits.close();
  });

  it('ranks keys by hits with top(n)', async () => {
    const p = randomPrefix('top');
    const board = `${p}board`;
    const hits = createHitTracker({ redis, leaderboard: { key: board } });
    for (const [key, n] of [
      ['a', 3],
      ['b', 5],
      ['c', 1],
    ] as const)
      for (let i = 0; i < n; i++) await hits.hit(`${p}${key}`);
    expect(await hits.top(2)).toEqual([
      { key: `${p}b`, hits: 5 },
      { key: `${p}a`, hits: 3 },
    ]);
    expect(await hits.top()).toHaveLength(3);
    await hits.reset(`${p}b`);
    expect((await hits.top(1))[0]).toEqual({ key: `${p}a`, hits: 3 });
    await expect(hits.top(0)).rejects.toThrow(RangeError);
    await expect(hits.top(-1)).rejects.toThrow(/integer from 1/);
    await expect(hits.top(1.5)).rejects.toThrow(RangeError);
    for (const key of ['a', 'c']) await hits.reset(`${p}${key}`);
    await redis.del(board);
    await hits.close();
    const plain = createHitTracker({ redis });
    await expect(plain.top()).rejects.toBeInstanceOf(HitsLeaderboardError);
    await expect(plain.top()).rejects.toMatchObject({ code: 'HITS_NO_LEADERBOARD' });
    await plain.close();
  });

  it('uses hits:leaderboard by default', async () => {
    const p = randomPrefix('defaultboard');
    const hits = createHitTracker({ redis, leaderboard: true });
    await hits.hit(`${p}x`);
    expect(await redis.zscore('hits:leaderboard', `${p}x`)).toBe('1');
    await hits.reset(`${p}x`);
    expect(await redis.zscore('hits:leaderboard', `${p}x`)).toBeNull();
    await hits.close();
  });
});

describe('a client with a keyPrefix', () => {
  it('lets ioredis prefix every key it writes; top() returns the keys as given', async () => {
    const p = randomPrefix('prefix');
    const prefixed = new Redis(inject('redisUrl'), { keyPrefix: p });
    await prefixed.set('k', 'v');
    const hits = createHitTracker({
      redis: prefixed,
      windows: ['hour'],
      uniques: true,
      leaderboard: true,
    });
    expect(await hits.get('k', { visitor: 'a' })).toMatchObject({
      value: 'v',
      hits: 1,
      uniques: 1,
    });
    expect(await redis.get(`${p}${defaultHitKey('k')}`)).toBe('1');
    expect(await hits.top(1)).toEqual([{ key: 'k', hits: 1 }]);
    await hits.reset('k');
    expect(await redis.keys(`${p}*`)).toEqual([`${p}k`]);
    await prefixed.del('k', 'hits:leaderboard');
    await hits.close();
    await prefixed.quit();
  });
});

describe('suffixHitKey', () => {
  it('continues counting existing <key>_hit data', async () => {
    const p = randomPrefix('suffix');
    await redis.mset(`${p}old`, 'v', `${p}old_hit`, '41');
    const hits = createHitTracker({ redis, hitKey: suffixHitKey() });
    expect(await hits.get(`${p}old`)).toMatchObject({ value: 'v', hits: 42 });
    // What old code (GET + INCR of `${key}_hit`) would see next.
    expect(await redis.incr(`${p}old_hit`)).toBe(43);
    expect(await hits.peek(`${p}old`)).toMatchObject({ hits: 43 });
    const custom = createHitTracker({ redis, hitKey: suffixHitKey(':count') });
    expect(await custom.hit(`${p}old`)).toBe(1);
    expect(await redis.get(`${p}old:count`)).toBe('1');
    expect(() => suffixHitKey('')).toThrow(TypeError);
    await redis.del(`${p}old`, `${p}old_hit`, `${p}old:count`);
    await hits.close();
    await custom.close();
  });
});

describe('bad input', () => {
  it('rejects bad keys and visitors with HitsKeyError naming the problem', async () => {
    const hits = createHitTracker({ redis });
    await expect(hits.get('')).rejects.toThrow(/must not be empty/);
    await expect(hits.get(42 as unknown as string)).rejects.toThrow(/must be a string, got number/);
    await expect(hits.get('x'.repeat(513))).rejects.toThrow(/513 bytes; at most 512/);
    await expect(hits.get('é'.repeat(257))).rejects.toThrow(/514 bytes/);
    await expect(hits.get('k', { visitor: 7 as unknown as string })).rejects.toThrow(
      /options.visitor must be a string/,
    );
    await expect(hits.getMany(['ok', ''])).rejects.toThrow(/keys\[1\] must not be empty/);
    await expect(hits.hit('')).rejects.toBeInstanceOf(HitsKeyError);
    await expect(hits.peek(null as unknown as string)).rejects.toMatchObject({
      name: 'HitsKeyError',
      code: 'HITS_INVALID_KEY',
    });
    await hits.close();
    await expect(hits.get('k')).rejects.toMatchObject({ code: 'HITS_CLOSED' });
  });

  it('rejects bad options with HitsConfigError', () => {
    const bad = (options: object, message: RegExp) =>
      expect(() => createHitTracker({ redis, ...options })).toThrow(message);
    bad({ windows: ['week'] }, /unknown window "week"; allowed: 'minute', 'hour', 'day'/);
    bad({ windows: 'minute' }, /must be an array/);
    bad({ mode: 'fast' }, /'pipeline' or 'atomic'/);
    bad({ leaderboard: { key: '' } }, /non-empty key/);
    bad({ buffer: { flushIntervalMs: 0 } }, /flushIntervalMs must be an integer from 1/);
    bad({ buffer: { maxPendingKeys: 1.5 } }, /maxPendingKeys must be an integer/);
    bad({ mode: 'atomic', buffer: {} }, /cannot be combined with buffer/);
    bad({ hitKey: 'x' }, /hitKey must be a function/);
    bad({ uniques: 'yes' }, /uniques must be a boolean/);
    bad({ window: ['minute'] }, /unknown option "window"/);
    expect(() => createHitTracker({ redis: {} as Redis })).toThrow(HitsConfigError);
    expect(() => createHitTracker({ redis: {} as Redis })).toThrow(/RedisPool/);
  });

  it('refuses a hitKey that returns the key itself', async () => {
    const hits = createHitTracker({ redis, hitKey: (key) => key });
    await expect(hits.get('same')).rejects.toThrow(/different from the key/);
    await hits.close();
  });
});

import { randomPrefix } from '@hitpool/testing';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createHitTracker, defaultHitKey, slotTagOfKey } from '../src/index.js';
import { windowIndex } from '../src/layout.js';
import { awayFromWindowEdge } from './clock.js';

let redis: Redis;
beforeAll(() => {
  redis = new Redis(inject('redisUrl'));
});
afterAll(async () => {
  await redis.quit();
});

/** Every key the tracker writes for `key` right now, with its value. */
async function snapshot(key: string, board: string): Promise<Record<string, unknown>> {
  const tag = `{${slotTagOfKey(key)}}:hits:`;
  const minute = `${tag}minute:${windowIndex('minute', Date.now())}:${key}`;
  const uniques = `${tag}uniques:${key}`;
  return {
    counter: await redis.get(defaultHitKey(key)),
    minute: await redis.get(minute),
    uniques: (await redis.exists(uniques)) ? await redis.pfcount(uniques) : null,
    board: await redis.zscore(board, key),
  };
}

describe("mode 'atomic'", () => {
  it('returns the same results as pipeline mode', async () => {
    await awayFromWindowEdge();
    const p = randomPrefix('atomic');
    await redis.set(`${p}k`, 'v');
    const options = {
      redis,
      mode: 'atomic' as const,
      windows: ['minute', 'hour'] as const,
      leaderboard: { key: `${p}board` },
      uniques: true,
    };
    const hits = createHitTracker(options);
    expect(await hits.get(`${p}k`, { visitor: 'a' })).toEqual({
      key: `${p}k`,
      value: 'v',
      hits: 1,
      windows: { minute: 1, hour: 1 },
      uniques: 1,
    });
    const burst = await Promise.all([
      hits.get(`${p}k`, { visitor: 'b' }),
      hits.hit(`${p}k`, { visitor: 'c' }),
      hits.peek(`${p}k`),
      hits.get(`${p}k`),
    ]);
    expect(burst.map((r) => (typeof r === 'number' ? r : r.hits))).toEqual([2, 3, 3, 4]);
    expect(await hits.peek(`${p}k`)).toMatchObject({ hits: 4, uniques: 3 });
    expect(await hits.get(`${p}missing`)).toMatchObject({ value: null, hits: 1 });
    expect(await hits.top(5)).toEqual([
      { key: `${p}k`, hits: 4 },
      { key: `${p}missing`, hits: 1 },
    ]);
    await hits.reset(`${p}k`);
    await hits.reset(`${p}missing`);
    await redis.del(`${p}k`);
    await hits.close();
  });

  it('moves the value and every counter together or not at all', async () => {
    await awayFromWindowEdge();
    const p = randomPrefix('all-or-nothing');
    const key = `${p}k`;
    const board = `${p}board`;
    const features = {
      redis,
      windows: ['minute'] as const,
      leaderboard: { key: board },
      uniques: true,
    };
    const atomic = createHitTracker({ ...features, mode: 'atomic' });
    const pipeline = createHitTracker({ ...features, mode: 'pipeline' });
    await redis.set(key, 'v');
    await atomic.get(key, { visitor: 'a' });
    const before = await snapshot(key, board);
    expect(before).toEqual({ counter: '1', minute: '1', uniques: 1, board: '1' });

    // Each breaks one step; the script checks everything before its first write.
    const breakers: Array<[string, () => Promise<unknown>, () => Promise<unknown>]> = [
      [
        'value of the wrong type',
        () => redis.del(key).then(() => redis.hset(key, 'f', 'v')),
        () => redis.del(key).then(() => redis.set(key, 'v')),
      ],
      [
        'corrupt HyperLogLog',
        () =>
          redis
            .rename(`{${slotTagOfKey(key)}}:hits:uniques:${key}`, `${p}hll`)
            .then(() => redis.set(`{${slotTagOfKey(key)}}:hits:uniques:${key}`, 'not a hll')),
        () => redis.rename(`${p}hll`, `{${slotTagOfKey(key)}}:hits:uniques:${key}`),
      ],
      [
        'leaderboard of the wrong type',
        () => redis.rename(board, `${p}zset`).then(() => redis.set(board, 'x')),
        () => redis.rename(`${p}zset`, board),
      ],
    ];
    for (const [what, breakIt, repair] of breakers) {
      await breakIt();
      await expect(atomic.get(key, { visitor: 'b' }), what).rejects.toThrow();
      await repair();
      expect(await snapshot(key, board), what).toEqual(before);
    }
    // Pipeline mode on one server runs the same batch script: a get whose read fails did not count.
    await redis.del(key);
    await redis.hset(key, 'f', 'v');
    await expect(pipeline.get(key, { visitor: 'b' })).rejects.toThrow(/WRONGTYPE/);
    expect(await snapshot(key, board)).toEqual(before);

    await atomic.reset(key);
    await redis.del(key, board);
    await atomic.close();
    await pipeline.close();
  });

  it('survives a lost script cache (NOSCRIPT → EVAL)', async () => {
    const p = randomPrefix('noscript');
    const hits = createHitTracker({ redis, mode: 'atomic' });
    expect(await hits.hit(`${p}k`)).toBe(1);
    expect(await hits.hit(`${p}k`)).toBe(2);
    await redis.script('FLUSH');
    expect(await hits.hit(`${p}k`)).toBe(3);
    expect(await hits.get(`${p}k`)).toMatchObject({ hits: 4 });
    expect(hits.stats().errors).toBe(0);
    await hits.reset(`${p}k`);
    await hits.close();
  });
});

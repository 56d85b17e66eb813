import { existsSync } from 'node:fs';
import { answersPing, freePort } from '@hitpool/testing';
import { Redis } from 'ioredis';
import { expect, inject, it } from 'vitest';
import { RedisNotFoundError, selectRedis } from './select.js';

// `localPort` stands in for 6379 so these tests never touch a Redis they did not start.

it('uses the URL it is given, and never prints its password', async () => {
  const selected = await selectRedis({
    url: 'redis://app:s3cret@db.internal:6380/2',
    maxclients: 128,
  });
  expect(selected).toMatchObject({ source: 'url', safeUrl: 'redis://app:***@db.internal:6380/2' });
  expect(selected.description).not.toContain('s3cret');
});

it('uses a Redis that answers on the local port', async () => {
  const port = inject('redisPort');
  const selected = await selectRedis({ maxclients: 128, localPort: port });
  expect(selected).toMatchObject({ source: 'local', url: `redis://127.0.0.1:${port}` });
  await selected.release(); // not ours: release leaves it running
  expect(await answersPing(port)).toBe(true);
});

it('otherwise starts a private server with the maxclients asked for and no persistence, and release() stops it and removes its folder', async () => {
  const nobody = await freePort();
  const selected = await selectRedis({ maxclients: 64, localPort: nobody });
  expect(selected.source).toBe('private');
  expect(selected.description).toMatch(
    /started a private redis-server at 127\.0\.0\.1:\d+ \(maxclients 64/,
  );
  const redis = new Redis(selected.url);
  expect(await redis.config('GET', 'maxclients')).toEqual(['maxclients', '64']);
  expect(await redis.config('GET', 'save')).toEqual(['save', '']);
  expect(await redis.config('GET', 'appendonly')).toEqual(['appendonly', 'no']);
  const [, dir] = (await redis.config('GET', 'dir')) as [string, string];
  await redis.quit();
  await selected.release();
  expect(await answersPing(Number(new URL(selected.url).port))).toBe(false);
  expect(existsSync(dir)).toBe(false);
});

it('says how to install Redis when nothing answers and no redis-server exists', async () => {
  const nobody = await freePort();
  const attempt = selectRedis({ maxclients: 128, localPort: nobody, env: { PATH: '' } });
  await expect(attempt).rejects.toThrow(RedisNotFoundError);
  await expect(attempt).rejects.toThrow(/no redis-server was found.*apt-get install redis-server/);
});

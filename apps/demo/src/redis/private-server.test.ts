import { existsSync } from 'node:fs';
import { Redis } from 'ioredis';
import { expect, it } from 'vitest';
import { findRedisServer } from './binary.js';
import { answersPing, startPrivateRedis } from './private-server.js';

it('starts redis-server on a free port with the maxclients asked for and no persistence, and stops it', async () => {
  const binary = findRedisServer();
  expect(binary, 'redis-server must be installed for the tests').toBeDefined();
  const server = await startPrivateRedis(binary ?? '', 32);
  const redis = new Redis(server.url);
  try {
    expect(await redis.config('GET', 'maxclients')).toEqual(['maxclients', '32']);
    expect(await redis.config('GET', 'save')).toEqual(['save', '']);
    expect(await redis.config('GET', 'appendonly')).toEqual(['appendonly', 'no']);
    const [, dir] = (await redis.config('GET', 'dir')) as [string, string];
    await redis.quit();
    await server.stop();
    expect(await answersPing('127.0.0.1', server.port)).toBe(false);
    expect(existsSync(dir)).toBe(false);
  } finally {
    redis.disconnect();
    await server.stop();
  }
});

it('finds no redis-server on an empty PATH, and prefers REDIS_SERVER', () => {
  expect(findRedisServer({ PATH: '' })).toBeUndefined();
  expect(findRedisServer({ PATH: '', REDIS_SERVER: '/opt/redis/bin/redis-server' })).toBe(
    '/opt/redis/bin/redis-server',
  );
});

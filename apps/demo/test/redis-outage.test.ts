import { type RedisServer, randomPrefix, startRedisServer, waitFor } from '@hitpool/testing';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { buildApp, type DemoApp } from '../src/server/app.js';

// A private server: this test stops and restarts it.
let server: RedisServer;
let demo: DemoApp;

beforeAll(async () => {
  server = await startRedisServer();
  demo = buildApp({
    redisUrl: server.url,
    keyPrefix: randomPrefix('demo-outage'),
    flushIntervalMs: 50,
  });
  await demo.app.ready();
});

afterAll(async () => {
  await demo.app.close();
  await server.close();
});

const get = (url: string) => demo.app.inject({ method: 'GET', url });
const putItem = (key: string, value: string) =>
  demo.app.inject({
    method: 'PUT',
    url: `/api/items/${key}`,
    headers: { 'content-type': 'text/plain' },
    payload: value,
  });

it('answers 503 JSON while Redis is down and recovers by itself when it returns', async () => {
  const put = await putItem('k', 'before');
  expect(put.statusCode).toBe(200);
  expect((await get('/api/items/k')).json()).toMatchObject({ value: 'before', hits: 1 });

  await server.kill();

  const started = Date.now();
  const down = await get('/api/items/k');
  expect(down.statusCode).toBe(503);
  const body = down.json() as { error: { code: string; message: string } };
  expect(body.error.code).toBe('REDIS_UNAVAILABLE');
  expect(body.error.message).toMatch(/Redis is unavailable \(.+\)\. The app reconnects by itself/);
  // Fails fast (the pool's command timeout), not after a client-side hang.
  expect(Date.now() - started).toBeLessThan(5000);

  const readyDown = await get('/readyz');
  expect(readyDown.statusCode).toBe(503);
  expect(readyDown.json()).toMatchObject({ error: { code: 'REDIS_UNAVAILABLE' } });
  expect((await get('/healthz')).statusCode).toBe(200);
  const putDown = await putItem('k', 'during');
  expect(putDown.statusCode).toBe(503);
  expect((await get('/api/top')).statusCode).toBe(503);
  expect((await get('/api/stats')).statusCode).toBe(200);

  // Same port, empty data (no persistence): the app must reconnect without a restart.
  await server.start();
  await waitFor(
    '/readyz to answer 200 again',
    async () => (await get('/readyz')).statusCode === 200,
    15_000,
  );
  const after = await putItem('k', 'after');
  expect(after.statusCode).toBe(200);
  const read = await get('/api/items/k');
  expect(read.statusCode).toBe(200);
  expect(read.json()).toMatchObject({ key: 'k', value: 'after' });
});

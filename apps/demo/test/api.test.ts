import { randomPrefix, waitFor } from '@hitpool/testing';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { removeKeysContaining } from '../src/experiment/keys.js';
import { buildApp, type DemoApp } from '../src/server/app.js';

const prefix = randomPrefix('demo-api');
let demo: DemoApp;
let redis: Redis;

beforeAll(async () => {
  redis = new Redis(inject('redisUrl'));
  demo = buildApp({ redisUrl: inject('redisUrl'), keyPrefix: prefix, flushIntervalMs: 50 });
  await demo.app.ready();
});

afterAll(async () => {
  await demo.app.close();
  await removeKeysContaining(redis, prefix);
  await redis.quit();
});

const request = (
  method: 'GET' | 'PUT' | 'POST' | 'DELETE',
  url: string,
  init: { body?: string; type?: string; cookie?: string } = {},
) =>
  demo.app.inject({
    method,
    url,
    headers: {
      ...(init.type ? { 'content-type': init.type } : {}),
      ...(init.cookie ? { cookie: init.cookie } : {}),
    },
    ...(init.body !== undefined ? { payload: init.body } : {}),
  });

function expectError(response: Awaited<ReturnType<typeof request>>, status: number, code: string) {
  expect(response.statusCode).toBe(status);
  expect(response.headers['content-type']).toMatch(/application\/json/);
  const body = response.json() as { error: { code: string; message: string } };
  expect(body.error.code).toBe(code);
  expect(body.error.message.length).toBeGreaterThan(10);
  return body.error.message;
}

describe('items', () => {
  it('stores text, reads it back with hits, windows and uniques, and sets a visitor cookie', async () => {
    const put = await request('PUT', '/api/items/greeting', { body: 'hello', type: 'text/plain' });
    expect(put.statusCode).toBe(200);
    expect(put.json()).toEqual({ key: 'greeting', bytes: 5 });

    const first = await request('GET', '/api/items/greeting');
    expect(first.statusCode).toBe(200);
    // Buffered: hits and windows include this process's unflushed hits; uniques show once flushed.
    expect(first.json()).toEqual({
      key: 'greeting',
      value: 'hello',
      hits: 1,
      windows: { minute: 1, hour: 1, day: 1 },
      uniques: expect.any(Number),
    });
    const cookie = String(first.headers['set-cookie']).split(';')[0] ?? '';
    expect(cookie).toMatch(/^hp_visitor=[0-9a-f]{32}$/);

    const flushed = () =>
      waitFor('buffered hits flushed', () => demo.tracker.stats().pending === 0);
    await flushed();
    const again = await request('GET', '/api/items/greeting', { cookie });
    expect(again.headers['set-cookie']).toBeUndefined();
    expect(again.json()).toMatchObject({ hits: 2, uniques: 1 });
    const stranger = await request('GET', '/api/items/greeting');
    expect(stranger.json()).toMatchObject({ hits: 3 });
    await flushed();
    expect(await demo.tracker.peek(`${prefix}item:greeting`)).toMatchObject({
      hits: 3,
      uniques: 2,
    });
  });

  it('stores a JSON body as its JSON text', async () => {
    const doc = { title: 'hitpool', tags: ['redis', 'pool'] };
    const put = await request('PUT', '/api/items/doc', {
      body: JSON.stringify(doc),
      type: 'application/json',
    });
    expect(put.statusCode).toBe(200);
    const get = await request('GET', '/api/items/doc');
    expect(JSON.parse((get.json() as { value: string }).value)).toEqual(doc);
  });

  it('counts a missing key and returns value null', async () => {
    const get = await request('GET', '/api/items/nothing-here');
    expect(get.statusCode).toBe(200);
    expect(get.json()).toMatchObject({ key: 'nothing-here', value: null, hits: 1 });
  });

  it('accepts keys up to 256 printable characters, unicode and spaces included', async () => {
    const key = `${'k'.repeat(200)}${'é'.repeat(51)} x ✓✓`;
    expect([...key].length).toBe(256);
    const path = `/api/items/${encodeURIComponent(key)}`;
    expect((await request('PUT', path, { body: 'v', type: 'text/plain' })).statusCode).toBe(200);
    expect((await request('GET', path)).json()).toMatchObject({ key, value: 'v', hits: 1 });
  });

  it('accepts a value of exactly 64 KiB', async () => {
    const put = await request('PUT', '/api/items/big', {
      body: 'x'.repeat(65_536),
      type: 'text/plain',
    });
    expect(put.statusCode).toBe(200);
    expect(put.json()).toEqual({ key: 'big', bytes: 65_536 });
  });
});

describe('bad input', () => {
  it('rejects a key over 256 characters', async () => {
    const message = expectError(
      await request('GET', `/api/items/${'k'.repeat(257)}`),
      400,
      'INVALID_KEY',
    );
    expect(message).toContain('257');
    expectError(
      await request('PUT', `/api/items/${'k'.repeat(257)}`, { body: 'v', type: 'text/plain' }),
      400,
      'INVALID_KEY',
    );
  });

  it("rejects a key whose UTF-8 does not fit the tracker's 512-byte limit", async () => {
    const message = expectError(
      await request('GET', `/api/items/${encodeURIComponent('é'.repeat(256))}`),
      400,
      'INVALID_KEY',
    );
    expect(message).toMatch(/512 bytes of UTF-8; at most \d+ fit/);
  });

  it('rejects keys with control characters and the empty key', async () => {
    expectError(await request('GET', '/api/items/a%01b'), 400, 'INVALID_KEY');
    expectError(await request('GET', '/api/items/tab%09'), 400, 'INVALID_KEY');
    expectError(await request('GET', '/api/items/'), 400, 'INVALID_KEY');
  });

  it('rejects a value over 64 KiB, counted in UTF-8 bytes', async () => {
    const message = expectError(
      await request('PUT', '/api/items/big', { body: 'é'.repeat(32_769), type: 'text/plain' }),
      400,
      'VALUE_TOO_LARGE',
    );
    expect(message).toContain('65538');
    // Far over the limit: refused while reading the body, same answer.
    expectError(
      await request('PUT', '/api/items/big', { body: 'x'.repeat(300_000), type: 'text/plain' }),
      400,
      'VALUE_TOO_LARGE',
    );
  });

  it('rejects an empty body, broken JSON and an unsupported content type', async () => {
    expectError(
      await request('PUT', '/api/items/k', { body: '', type: 'text/plain' }),
      400,
      'INVALID_VALUE',
    );
    expectError(
      await request('PUT', '/api/items/k', { body: '{"a":', type: 'application/json' }),
      400,
      'INVALID_BODY',
    );
    expectError(
      await request('PUT', '/api/items/k', { body: '<a/>', type: 'application/xml' }),
      400,
      'INVALID_BODY',
    );
  });

  it('rejects n outside 1–100 or not an integer', async () => {
    for (const n of ['0', '101', '-1', '1.5', 'abc', '1e2']) {
      expectError(await request('GET', `/api/top?n=${n}`), 400, 'INVALID_N');
    }
  });

  it('rejects a load request outside 1–20000 calls', async () => {
    expectError(await request('POST', '/api/load?calls=0'), 400, 'INVALID_BODY');
    expectError(await request('POST', '/api/load?calls=20001'), 400, 'INVALID_BODY');
  });

  it('answers 500 REDIS_ERROR when Redis refuses the command (a key of the wrong type)', async () => {
    await redis.hset(`${prefix}item:hashy`, 'field', 'value');
    const message = expectError(await request('GET', '/api/items/hashy'), 500, 'REDIS_ERROR');
    expect(message).toContain('WRONGTYPE');
  });

  it('answers unknown routes and methods with a JSON 404', async () => {
    const message = expectError(await request('GET', '/nope?x=1'), 404, 'NOT_FOUND');
    expect(message).toContain('GET /nope');
    expectError(await request('DELETE', '/api/items/k'), 404, 'NOT_FOUND');
  });
});

describe('top, stats, load', () => {
  it('lists the most read keys, most first, once buffered hits are flushed', async () => {
    for (const [key, reads] of [
      ['top-a', 3],
      ['top-b', 5],
      ['top-c', 1],
    ] as const) {
      for (let i = 0; i < reads; i++) await request('GET', `/api/items/${key}`);
    }
    let top: Array<{ key: string; hits: number }> = [];
    // Buffered: wait until every hit is written, then the leaderboard is exact.
    await waitFor('buffered hits flushed', () => demo.tracker.stats().pending === 0);
    top = ((await request('GET', '/api/top?n=100')).json() as { top: typeof top }).top;
    expect(top[0]?.key).toBe('top-b');
    const ours = top.filter((entry) => entry.key.startsWith('top-'));
    expect(ours).toEqual([
      { key: 'top-b', hits: 5 },
      { key: 'top-a', hits: 3 },
      { key: 'top-c', hits: 1 },
    ]);
    const two = (await request('GET', '/api/top?n=2')).json() as { top: unknown[] };
    expect(two.top).toHaveLength(2);
    expect(
      ((await request('GET', '/api/top')).json() as { top: unknown[] }).top.length,
    ).toBeLessThanOrEqual(10);
  });

  it('reports pool and tracker stats', async () => {
    const stats = (await request('GET', '/api/stats')).json() as {
      pool: Record<string, unknown>;
      sharedClient: unknown;
      tracker: Record<string, unknown>;
    };
    expect(stats.pool).toMatchObject({ max: 10, closed: false });
    expect(stats.sharedClient).toEqual({ status: 'ready' });
    for (const field of ['size', 'idle', 'borrowed', 'pending'])
      expect(typeof stats.pool[field]).toBe('number');
    expect(stats.pool.waitMs).toEqual(expect.objectContaining({ p99: expect.any(Number) }));
    expect(stats.tracker.calls).toBeGreaterThan(0);
    expect(JSON.stringify(stats)).not.toContain('password');
  });

  it('generates load through the tracker', async () => {
    const response = await request('POST', '/api/load?calls=300');
    expect(response.statusCode).toBe(200);
    expect(response.json()).toMatchObject({ calls: 300, errors: 0 });
    await waitFor('load-1 on the leaderboard', async () => {
      const { top } = (await request('GET', '/api/top?n=100')).json() as {
        top: Array<{ key: string }>;
      };
      return top.some((entry) => entry.key === 'load-1');
    });
  });
});

describe('operations', () => {
  it('serves /healthz and /readyz', async () => {
    const health = await request('GET', '/healthz');
    expect(health.statusCode).toBe(200);
    expect(health.json()).toEqual({ status: 'ok' });
    const ready = await request('GET', '/readyz');
    expect(ready.statusCode).toBe(200);
    expect(ready.json()).toEqual({ status: 'ready' });
  });

  it('serves Prometheus metrics: pool (OpenTelemetry names), hits and HTTP durations', async () => {
    await request('GET', '/api/items/metered');
    const response = await request('GET', '/metrics');
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toMatch(/^text\/plain/);
    const text = response.body;
    expect(text).toMatch(
      /^db_client_connection_count\{db_client_connection_pool_name="hitpool-demo [^"]+",db_client_connection_state="idle",otel_scope_name="@hitpool\/pool"\} \d+$/m,
    );
    expect(text).toMatch(/^db_client_connection_max\{[^}]+\} [1-9]\d*$/m);
    expect(text).toMatch(/^db_client_connection_pending_requests\{[^}]+\} \d+$/m);
    expect(text).toMatch(/^# TYPE db_client_connection_timeouts_total counter$/m);
    // The hit tracker's batch went through pool.client: one operation, timed.
    expect(text).toMatch(
      /^db_client_operation_duration_count\{[^}]*db_system_name="redis"[^}]*\} [1-9]\d*$/m,
    );
    expect(text).toMatch(/^# TYPE hitpool_pool_acquired_total counter$/m);
    expect(text).toMatch(/^hitpool_hits_calls_total [1-9]\d*$/m);
    expect(text).toMatch(
      /^http_request_duration_seconds_count\{method="GET",route="\/api\/items\/:key",status_code="200"\} [1-9]\d*$/m,
    );
  });

  it('serves the dashboard page and its script', async () => {
    const page = await request('GET', '/');
    expect(page.statusCode).toBe(200);
    expect(page.headers['content-type']).toMatch(/text\/html/);
    expect(page.body).toContain('id="chart"');
    const script = await request('GET', '/dashboard.js');
    expect(script.headers['content-type']).toMatch(/javascript/);
    expect(script.body).toContain('/api/stats');
  });
});

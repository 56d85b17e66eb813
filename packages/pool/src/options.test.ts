import { describe, expect, it } from 'vitest';
import { PoolConfigError } from './errors.js';
import { DEFAULT_URL, resolveOptions } from './options.js';
import { createPool } from './pool.js';

describe('resolveOptions', () => {
  it('fills in production defaults and falls back to REDIS_URL, then the local default', () => {
    const resolved = resolveOptions({}, {});
    expect(resolved).toMatchObject({
      min: 0,
      max: 10,
      acquireTimeoutMs: 5_000,
      maxWaiting: 1_000,
      idleTimeoutMs: 30_000,
      maxLifetimeMs: 1_800_000,
      lifetimeJitterMs: 180_000,
      validateAfterIdleMs: 30_000,
      leakDetectionMs: 0,
      leakReclaimMs: 0,
      connectTimeoutMs: 5_000,
      commandTimeoutMs: 5_000,
      failFast: true,
      maxPendingCommands: 10_000,
      target: DEFAULT_URL,
    });
    expect(resolved.redis).toMatchObject({ host: '127.0.0.1', port: 6379, db: 0 });
    const fromEnv = resolveOptions({}, { REDIS_URL: 'redis://u:p@cache:6380/2' });
    expect(fromEnv.redis).toMatchObject({
      host: 'cache',
      port: 6380,
      db: 2,
      username: 'u',
      password: 'p',
    });
    expect(fromEnv.target).toBe('redis://u:***@cache:6380/2');
    expect(fromEnv.secrets).toEqual(['p']);
  });

  it('turns rediss:// into TLS options with the host as server name', () => {
    const resolved = resolveOptions({ url: 'rediss://:pw@redis.example.com/1' }, {});
    expect(resolved.redis).toMatchObject({
      host: 'redis.example.com',
      port: 6379,
      db: 1,
      password: 'pw',
      tls: { servername: 'redis.example.com' },
    });
    expect(resolveOptions({ url: 'redis://h' }, {}).redis.tls).toBeUndefined();
    const withCa = resolveOptions({ url: 'rediss://h', redis: { tls: { ca: 'PEM' } } }, {});
    expect(withCa.redis.tls).toEqual({ servername: 'h', ca: 'PEM' });
  });

  it('sends no SNI server name for an IP address (RFC 6066), and keeps a servername passed in', () => {
    expect(resolveOptions({ url: 'rediss://u:pw@127.0.0.1/0' }, {}).redis.tls).toEqual({});
    expect(resolveOptions({ url: 'rediss://[::1]:6380' }, {}).redis.tls).toEqual({});
    const named = resolveOptions(
      { url: 'rediss://10.0.0.5', redis: { tls: { servername: 'cache.internal' } } },
      {},
    );
    expect(named.redis.tls).toEqual({ servername: 'cache.internal' });
  });

  it('lets ioredis options override the URL', () => {
    const resolved = resolveOptions({ url: 'redis://a:1/3', redis: { db: 4, port: 7000 } }, {});
    expect(resolved.redis).toMatchObject({ host: 'a', port: 7000, db: 4 });
  });

  it.each([
    [{ max: 0 }, 'max', /positive/],
    [{ max: 2, min: 3 }, 'max', />= min \(3\)/],
    [{ min: -1 }, 'min', /non-negative/],
    [{ min: 1.5 }, 'min', /integer/],
    [{ acquireTimeoutMs: -5 }, 'acquireTimeoutMs', /got -5/],
    [{ acquireTimeoutMs: 0 }, 'acquireTimeoutMs', /positive/],
    [{ idleTimeoutMs: Number.POSITIVE_INFINITY }, 'idleTimeoutMs', /finite/],
    [{ commandTimeoutMs: Number.NaN }, 'commandTimeoutMs', /finite/],
    [{ leakDetectionMs: '10' as unknown as number }, 'leakDetectionMs', /got 10/],
    [
      { leakReclaimMs: -1 },
      'leakReclaimMs',
      /got -1; must be a non-negative finite integer \(ms\)/,
    ],
    [{ leakReclaimMs: 10.5 }, 'leakReclaimMs', /integer \(ms\)/],
    [
      { leakDetectionMs: 500, leakReclaimMs: 100 },
      'leakReclaimMs',
      /got 100; must be 0 \(off\) or an integer >= leakDetectionMs \(500\) ms/,
    ],
    [{ failFast: 'yes' as unknown as boolean }, 'failFast', /got yes; must be true or false/],
    [{ failFast: 0 as unknown as boolean }, 'failFast', /must be true or false/],
    [{ maxPendingCommands: 0 }, 'maxPendingCommands', /got 0; must be a positive finite integer$/],
    [{ maxPendingCommands: 2.5 }, 'maxPendingCommands', /positive finite integer/],
    [
      { maxPendingCommands: Number.POSITIVE_INFINITY },
      'maxPendingCommands',
      /got Infinity; must be a positive finite integer/,
    ],
    [{ maxLifetimeMs: 100, lifetimeJitterMs: 100 }, 'lifetimeJitterMs', /< maxLifetimeMs/],
    [{ url: 'http://localhost:6379' }, 'url', /scheme "http" is not supported; use redis:\/\//],
    [{ url: 'not a url' }, 'url', /not a URL/],
    [{ url: 'redis://h/x' }, 'url', /database "x"/],
    [{ cluster: { nodes: [] } }, 'cluster', /at least one node/],
    [{ maxConnections: 5 } as never, 'maxConnections', /unknown option/],
  ])('rejects %o naming %s', (options, option, message) => {
    let caught: unknown;
    try {
      resolveOptions(options, {});
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(PoolConfigError);
    expect(caught).toMatchObject({ code: 'POOL_INVALID_OPTIONS', name: 'PoolConfigError', option });
    expect((caught as Error).message).toContain(`\`${option}\``);
    expect((caught as Error).message).toMatch(message);
  });

  it('accepts leakReclaimMs alone, or with leakDetectionMs no later than it', () => {
    expect(resolveOptions({ leakReclaimMs: 30_000 }, {}).leakReclaimMs).toBe(30_000);
    expect(resolveOptions({ leakDetectionMs: 1_000, leakReclaimMs: 1_000 }, {})).toMatchObject({
      leakDetectionMs: 1_000,
      leakReclaimMs: 1_000,
    });
    expect(resolveOptions({ leakDetectionMs: 1_000 }, {}).leakReclaimMs).toBe(0);
  });

  it('takes failFast: false and a maxPendingCommands of its own', () => {
    expect(resolveOptions({ failFast: false, maxPendingCommands: 50 }, {})).toMatchObject({
      failFast: false,
      maxPendingCommands: 50,
    });
  });

  it('throws at construction, without echoing a password from a bad URL', () => {
    expect(() => createPool({ url: 'memcached://user:s3cret@host' })).toThrow(PoolConfigError);
    let message = '';
    try {
      createPool({ url: 'redis://user:s3cret@host/notadb' });
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toContain('notadb');
    expect(message).not.toContain('s3cret');
  });
});

import { type RedisServer, startRedisServer } from '@hitpool/testing';
import { afterAll, beforeAll, expect } from 'vitest';
import { PoolUnavailableError, type RedisPool } from '../src/index.js';

/** Timers fire late on a loaded 2-core machine: time bounds get this much slack (ms). */
export const SLACK_MS = 400;

/**
 * Time a promise's settlement (ms) and return its outcome: a rejection is a result to assert
 * on (how fast, with which error), not a failure of the test.
 */
export async function timed<T>(
  work: Promise<T>,
): Promise<{ ms: number; error: unknown; value?: T }> {
  const start = performance.now();
  try {
    const value = await work;
    return { ms: performance.now() - start, error: undefined, value };
  } catch (error) {
    return { ms: performance.now() - start, error };
  }
}

/**
 * Whether `work` resolves with a value `accept` takes, for a `waitFor` check: while Redis is
 * still away the call rejects, and that means "not yet", not a failed test.
 */
export function succeeds<T>(
  work: Promise<T>,
  accept: (value: T) => boolean = () => true,
): Promise<boolean> {
  return work.then(accept, () => false);
}

/**
 * While `pool`'s breaker is open, a `get` of `key` through the shared client and through a lease
 * both reject with PoolUnavailableError at once (under 50 ms): failing fast means nobody waits
 * for a timeout.
 */
export async function expectRefusedAtOnce(pool: RedisPool, key: string): Promise<void> {
  const refused = await Promise.all([
    timed(pool.client.get(key)),
    timed(pool.use((redis) => redis.get(key))),
  ]);
  for (const { ms, error } of refused) {
    expect(error).toBeInstanceOf(PoolUnavailableError);
    expect(ms).toBeLessThan(50);
  }
}

/**
 * A redis-server of this test file's own, started before its first test and closed after its
 * last: for files that pause or proxy their server, which the run's shared one must not feel.
 * Call once at the top of a test file; the returned function gives the server inside tests.
 */
export function ownServer(): () => RedisServer {
  let server: RedisServer | undefined;
  beforeAll(async () => {
    server = await startRedisServer();
  });
  afterAll(async () => {
    await server?.close();
  });
  return () => {
    if (!server) throw new Error('ownServer(): the server starts in beforeAll, use it in tests');
    return server;
  };
}

import { getEventListeners } from 'node:events';
import { startRedisServer } from '@hitpool/testing';
import { describe, expect, it } from 'vitest';
import { trackedPools } from './pools.js';

const pool = trackedPools();

const abortListeners = (signal: AbortSignal): number => getEventListeners(signal, 'abort').length;

describe('waiters with an AbortSignal', () => {
  it('leave no abort listener behind when served', async () => {
    const p = pool({ max: 1 });
    const held = await p.acquire();
    const { signal } = new AbortController();
    const waiting = p.acquire({ signal });
    expect(abortListeners(signal)).toBe(1);
    held.release();
    (await waiting).release();
    expect(abortListeners(signal)).toBe(0);
  });

  it('leave no abort listener behind when they time out', async () => {
    const p = pool({ max: 1 });
    const held = await p.acquire();
    const { signal } = new AbortController();
    await expect(p.acquire({ signal, timeoutMs: 50 })).rejects.toMatchObject({
      code: 'POOL_ACQUIRE_TIMEOUT',
    });
    expect(abortListeners(signal)).toBe(0);
    held.release();
  });

  it('leave no abort listener behind when the pool closes under them', async () => {
    const p = pool({ max: 1 });
    const held = await p.acquire();
    const { signal } = new AbortController();
    const waiting = p.acquire({ signal });
    const closing = p.close({ timeoutMs: 50 });
    await expect(waiting).rejects.toMatchObject({ code: 'POOL_CLOSED' });
    expect(abortListeners(signal)).toBe(0);
    held.release();
    await closing;
  });

  it('leave no abort listener behind when Redis refuses the credentials', async () => {
    const server = await startRedisServer({ password: 'right-secret' });
    try {
      const p = pool({
        url: `redis://:wrong-secret@127.0.0.1:${server.port}/0`,
        acquireTimeoutMs: 20_000,
      });
      const signals = [new AbortController().signal, new AbortController().signal];
      const results = await Promise.allSettled(signals.map((signal) => p.acquire({ signal })));
      for (const result of results) {
        expect(result).toMatchObject({ status: 'rejected', reason: { code: 'POOL_AUTH_FAILED' } });
      }
      expect(signals.map(abortListeners)).toEqual([0, 0]);
      // Nothing is left waiting either: no deadline timer, nothing pending.
      expect(p.stats().pending).toBe(0);
    } finally {
      await server.close();
    }
  });

  it('an aborted waiter leaves the queue and frees its place for maxWaiting', async () => {
    const p = pool({ max: 1, maxWaiting: 1 });
    const held = await p.acquire();
    const controller = new AbortController();
    const aborted = p.acquire({ signal: controller.signal });
    controller.abort();
    await expect(aborted).rejects.toMatchObject({ name: 'AbortError' });
    expect(p.stats().pending).toBe(0);
    const next = p.acquire();
    held.release();
    (await next).release();
  });
});

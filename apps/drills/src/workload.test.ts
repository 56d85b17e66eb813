import { describe, expect, it } from 'vitest';
import { loadDuring } from './drill-load.js';
import { clientFigures } from './figures.js';
import { CLIENT_LABEL, createWorkload, seedValue } from './workload.js';

const tracker = {
  get: async (key: string) => ({ key, value: seedValue(key), hits: 1 }),
};
const pool = {
  use: async () => {
    throw new Error('no lease in this test');
  },
};

describe('createWorkload with client callers', () => {
  it('labels transaction, client and get callers in that order and counts INCRs per key', async () => {
    const counters = new Map<string, number>();
    const workload = createWorkload({
      tracker,
      keys: ['a', 'b'],
      pool,
      transactionCallers: 2,
      client: {
        incr: async (key) => {
          const next = (counters.get(key) ?? 0) + 1;
          counters.set(key, next);
          return next;
        },
      },
      clientCallers: 3,
      clientKeys: ['n0', 'n1'],
    });
    expect([0, 1, 2, 3, 4, 5].map((caller) => workload.labelOf(caller))).toEqual([
      'tx',
      'tx',
      CLIENT_LABEL,
      CLIENT_LABEL,
      CLIENT_LABEL,
      undefined,
    ]);
    for (let turn = 0; turn < 4; turn++) {
      for (const caller of [2, 3, 4]) await workload.call(caller);
    }
    await workload.call(5);
    expect(workload.clientIncrements.total).toBe(12);
    expect(workload.clientIncrements.compare(counters)).toMatchObject({ lost: 0, extra: 0 });
    expect(workload.hits.total).toBe(1);
    expect(workload.clientKeys).toEqual(['n0', 'n1']);
  });

  it('fails a client call with WRONG_REPLY when the reply is not a higher integer', async () => {
    const replies: unknown[] = [5, 'value-of:x', 5];
    const workload = createWorkload({
      tracker,
      keys: ['a'],
      client: { incr: async () => replies.shift() as number },
      clientCallers: 1,
      clientKeys: ['n0'],
    });
    await workload.call(0);
    await expect(workload.call(0)).rejects.toMatchObject({ code: 'WRONG_REPLY' });
    await expect(workload.call(0)).rejects.toMatchObject({ code: 'WRONG_REPLY' });
    expect(workload.clientIncrements.total).toBe(1);
  });

  it('has no client callers without a client or keys', () => {
    const workload = createWorkload({ tracker, keys: ['a'], clientCallers: 3 });
    expect(workload.labelOf(0)).toBeUndefined();
    expect(workload.clientKeys).toEqual([]);
  });
});

describe('client figures', () => {
  it('counts the client callers apart', async () => {
    const load = await loadDuring({
      callers: 2,
      warmupMs: 30,
      tailMs: 0,
      labelOf: (caller) => (caller === 0 ? CLIENT_LABEL : undefined),
      call: async (caller) => {
        if (caller === 0) throw new Error('Command timed out');
      },
    });
    const figures = clientFigures(load, {
      acknowledged: 0,
      final: 2,
      lost: 0,
      extra: 2,
      keysLost: [],
    });
    expect(figures).toEqual({
      ok: 0,
      failed: load.failures.counts['client:Command timed out'],
      lost: 0,
      extra: 2,
    });
    expect(figures.failed).toBeGreaterThan(0);
  });
});

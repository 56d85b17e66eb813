import { describe, expect, it } from 'vitest';
import { drillTable } from './drill-table.js';

describe('drillTable', () => {
  it('prints failures by code and n/a for what a drill does not measure', () => {
    const table = drillTable([
      {
        drill: 'restart',
        ok: 10,
        failures: { ECONNREFUSED: 2, POOL_ACQUIRE_TIMEOUT: 3 },
        longestStallMs: 2100.4,
        recoverMs: 12,
        recoverFrom: 'server back',
        ackLost: null,
      },
    ]);
    expect(table.split('\n')[2]).toBe(
      '| restart | 10 | 5: POOL_ACQUIRE_TIMEOUT ×3, ECONNREFUSED ×2 | 2100 ms | 12 ms after server back | n/a | n/a |',
    );
  });

  it('shows the pool.client callers in their own column', () => {
    const table = drillTable([
      { drill: 'x', ok: 1, failures: {}, longestStallMs: 0, recoverMs: null, ackLost: 0 },
      {
        drill: 'y',
        ok: 1,
        failures: {},
        longestStallMs: 0,
        recoverMs: null,
        ackLost: 0,
        client: { ok: 7, failed: 1, lost: 0, extra: 1 },
      },
    ]);
    expect(table).toContain('| x | 1 | 0 | 0 ms | n/a | 0 | n/a |');
    expect(table).toContain('| y | 1 | 0 | 0 ms | n/a | 0 | 7 / 1 / 0 / 1 |');
  });
});

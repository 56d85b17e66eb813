import { describe, expect, it } from 'vitest';
import { recovery } from './figures.js';
import { runLoad } from './load.js';

const delay = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

describe('runLoad', () => {
  it('measures the outage as the longest stall and the recovery from its end', async () => {
    let down = false;
    const result = await runLoad({
      callers: 4,
      thinkMs: 5,
      warmupMs: 100,
      tailMs: 100,
      call: async () => {
        await delay(2);
        if (down) throw Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' });
      },
      scenario: async ({ mark }) => {
        down = true;
        await delay(300);
        down = false;
        mark('back');
      },
    });
    expect(result.scenarioError).toBeUndefined();
    expect(result.pending).toBe(0);
    expect(result.failures.counts).toEqual({ ECONNREFUSED: result.failed });
    expect(result.failed).toBeGreaterThan(0);
    expect(result.ok).toBeGreaterThan(0);
    expect(result.longestStallMs).toBeGreaterThanOrEqual(290);
    expect(result.longestStallMs).toBeLessThan(450);
    expect(result.marks.back?.firstSuccessAfterMs).not.toBeNull();
    expect(result.marks.back?.firstSuccessAfterMs).toBeLessThan(100);
  });

  it('reports calls that never settle as pending instead of hanging', async () => {
    const result = await runLoad({
      callers: 3,
      warmupMs: 50,
      tailMs: 0,
      settleMs: 100,
      call: (caller) => (caller === 0 ? new Promise(() => {}) : delay(1)),
    });
    expect(result.pending).toBe(1);
    expect(result.ok).toBeGreaterThan(0);
  });

  it('stops at maxMs even when the scenario does not end', async () => {
    const started = performance.now();
    const result = await runLoad({
      callers: 2,
      warmupMs: 0,
      maxMs: 150,
      call: () => delay(1),
      scenario: () => delay(5_000),
    });
    expect(performance.now() - started).toBeLessThan(1_000);
    expect(result.durationMs).toBeLessThan(400);
  });
});

describe('recovery', () => {
  it('waits for every kind of caller, and says never when one never came back', async () => {
    let down = false;
    let txBroken = false;
    const result = await runLoad({
      callers: 4,
      thinkMs: 5,
      warmupMs: 50,
      tailMs: 150,
      labelOf: (caller) => (caller === 0 ? 'tx' : undefined),
      call: async (caller) => {
        await delay(1);
        if (down || (caller === 0 && txBroken)) throw new Error('down');
      },
      scenario: async ({ mark }) => {
        down = true;
        await delay(100);
        txBroken = true;
        down = false;
        mark('back');
      },
    });
    expect(Object.keys(result.okByLabel).sort()).toEqual(['main', 'tx']);
    expect(result.marks.back?.firstSuccessAfterByLabelMs.main).toBeLessThan(100);
    expect(recovery(result, 'back')).toBe('never');
  });
});

import { describe, expect, it } from 'vitest';
import { loadDuring, recovery } from './drill-load.js';

const delay = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

describe('loadDuring', () => {
  it('measures the outage as the longest stall and the recovery from its end', async () => {
    let down = false;
    const load = await loadDuring({
      callers: 4,
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
    expect(load.pending).toBe(0);
    expect(load.failures.counts).toEqual({ ECONNREFUSED: load.failed });
    expect(load.failures.samples.ECONNREFUSED).toBe('connect ECONNREFUSED');
    expect(load.failed).toBeGreaterThan(0);
    expect(load.ok).toBeGreaterThan(0);
    expect(load.longestStallMs).toBeGreaterThanOrEqual(290);
    expect(load.longestStallMs).toBeLessThan(450);
    expect(load.marks.back?.firstSuccessAfterMs).not.toBeNull();
    expect(load.marks.back?.firstSuccessAfterMs).toBeLessThan(100);
  });

  it('stops at maxMs even when the scenario does not end', async () => {
    const started = performance.now();
    const load = await loadDuring({
      callers: 2,
      warmupMs: 0,
      maxMs: 150,
      call: () => delay(1),
      scenario: () => delay(5_000),
    });
    expect(performance.now() - started).toBeLessThan(1_000);
    expect(load.durationMs).toBeLessThan(400);
  });

  it('rejects with the scenario error once the load has stopped', async () => {
    let inFlight = 0;
    await expect(
      loadDuring({
        callers: 2,
        warmupMs: 20,
        call: async () => {
          inFlight++;
          await delay(1);
          inFlight--;
        },
        scenario: async () => {
          throw new Error('could not break it');
        },
      }),
    ).rejects.toThrow('could not break it');
    expect(inFlight).toBe(0);
  });
});

describe('recovery', () => {
  it('waits for every kind of caller, and says never when one never came back', async () => {
    let down = false;
    let txBroken = false;
    const load = await loadDuring({
      callers: 4,
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
    expect(Object.keys(load.okByLabel).sort()).toEqual(['main', 'tx']);
    expect(load.failures.counts['tx:down']).toBeGreaterThan(0);
    const back = recovery(load, 'back');
    expect(back.byLabel.main).toBeLessThan(100);
    expect(back.byLabel.tx).toBeUndefined();
    expect(back.ms).toBe('never');
  });
});

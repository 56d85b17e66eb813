import { describe, expect, it } from 'vitest';
import { WaitTimes } from './wait-times.js';

describe('WaitTimes', () => {
  it('reports p50/p99 over the window and max since creation', () => {
    const times = new WaitTimes(100);
    expect(times.summary()).toEqual({ p50: 0, p99: 0, max: 0 });
    times.record(500);
    for (let i = 1; i <= 100; i++) times.record(i);
    // 500 fell out of the 100-sample window but stays the max.
    expect(times.summary()).toEqual({ p50: 51, p99: 100, max: 500 });
  });
});

import { expect, it } from 'vitest';
import { LatencyHistogram } from './histogram.js';

it('gives quantiles to within one bucket (about 4.4 %) and the exact max', () => {
  const histogram = new LatencyHistogram();
  for (let i = 1; i <= 10_000; i++) histogram.record(i / 100); // 0.01 ms … 100 ms
  expect(histogram.count).toBe(10_000);
  expect(histogram.maxMs).toBe(100);
  for (const [q, exact] of [
    [0.5, 50],
    [0.99, 99],
    [0.01, 1],
  ] as const) {
    const value = histogram.quantile(q);
    expect(value).toBeGreaterThanOrEqual(exact);
    expect(value).toBeLessThanOrEqual(exact * 1.045);
  }
  expect(histogram.quantile(1)).toBe(100);
});

it('is 0 when empty and keeps tiny and huge samples', () => {
  const histogram = new LatencyHistogram();
  expect(histogram.quantile(0.5)).toBe(0);
  histogram.record(0);
  histogram.record(1e9);
  expect(histogram.quantile(0.5)).toBe(0.001);
  expect(histogram.quantile(1)).toBeLessThanOrEqual(1e9);
  expect(histogram.maxMs).toBe(1e9);
});

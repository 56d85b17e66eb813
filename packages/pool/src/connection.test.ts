import { describe, expect, it } from 'vitest';
import { lifetime } from './connection.js';

describe('lifetime', () => {
  it('spreads lifetimes uniformly over maxLifetimeMs ± lifetimeJitterMs', () => {
    const samples = Array.from({ length: 2_000 }, () =>
      lifetime({ maxLifetimeMs: 60_000, lifetimeJitterMs: 6_000 }),
    );
    expect(Math.min(...samples)).toBeGreaterThanOrEqual(54_000);
    expect(Math.max(...samples)).toBeLessThanOrEqual(66_000);
    // Both halves of the range are used, so a fleet started together does not retire together.
    expect(samples.filter((ms) => ms < 57_000).length).toBeGreaterThan(300);
    expect(samples.filter((ms) => ms > 63_000).length).toBeGreaterThan(300);
  });

  it('is infinite when maxLifetimeMs is 0', () => {
    expect(lifetime({ maxLifetimeMs: 0, lifetimeJitterMs: 0 })).toBe(Number.POSITIVE_INFINITY);
  });
});

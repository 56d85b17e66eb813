import { describe, expect, it } from 'vitest';
import { Breaker, type BreakerHost } from './breaker.js';

/** A breaker that reports only (failFast off: no probes, no timers beyond the stall check). */
function breakerWithLog(): { breaker: Breaker; changes: string[] } {
  const changes: string[] = [];
  const host: BreakerHost = {
    failFast: false,
    attemptAge: () => -1,
    probe: () => Promise.resolve(),
    changed: (_, health) => changes.push(health),
    redact: (error) => error,
  };
  return { breaker: new Breaker('127.0.0.1:1', host), changes };
}

const refused = () => new Error('connect ECONNREFUSED 127.0.0.1:1');

describe('Breaker', () => {
  it('opens on the second failure in a row and closes on a success', () => {
    const { breaker, changes } = breakerWithLog();
    breaker.failure(refused());
    expect(breaker.health).toBe('up');
    breaker.failure(refused());
    expect(breaker.health).toBe('down');
    breaker.success();
    expect(breaker.health).toBe('up');
    expect(changes).toEqual(['down', 'up']);
    breaker.close();
  });

  it('ignores failures of attempts that began before the last success', () => {
    const { breaker, changes } = breakerWithLog();
    const before = Date.now() - 1_000;
    breaker.failure(refused());
    breaker.failure(refused());
    breaker.success();
    // Attempts under way before Redis answered again (say, aimed at a master that failed over).
    breaker.failure(refused(), before);
    breaker.failure(refused(), before);
    expect(breaker.health).toBe('up');
    // Attempts begun since do count.
    breaker.failure(refused());
    breaker.failure(refused());
    expect(breaker.health).toBe('down');
    expect(changes).toEqual(['down', 'up', 'down']);
    breaker.close();
  });
});

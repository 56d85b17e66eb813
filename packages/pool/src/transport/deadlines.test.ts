import { Command } from 'ioredis';
import { describe, expect, it, vi } from 'vitest';
import {
  COMMAND_TIMED_OUT,
  DeadlineSweeper,
  type DeadlineWatch,
  expire,
  isCommandTimeout,
  isPastDeadline,
  now,
  SWEEP_INTERVAL_MS,
  startClock,
} from './deadlines.js';
import { commandInternals } from './ioredis-internals.js';

describe('deadlines', () => {
  it('starts a command clock once and tells when it has passed', () => {
    const command = commandInternals(new Command('get', ['k']));
    const at = startClock(command, 1_000);
    expect(startClock(command, 5)).toBe(at);
    expect(isPastDeadline(command, at - 1)).toBe(false);
    expect(isPastDeadline(command, at)).toBe(true);
    expect(isPastDeadline(commandInternals(new Command('get', ['k'])))).toBe(false);
  });

  it('expires a waiting command with the timeout message, and leaves a settled one alone', async () => {
    const command = commandInternals(new Command('get', ['k']));
    expire(command);
    const error = await command.promise.catch((caught: unknown) => caught);
    expect(isCommandTimeout(error)).toBe(true);
    expect((error as Error).message).toBe(COMMAND_TIMED_OUT);
    expect(() => expire(command)).not.toThrow();
  });

  it('sweeps watched connections on one timer while any has work, then stops', () => {
    vi.useFakeTimers();
    try {
      const sweeper = new DeadlineSweeper();
      let pending = 2;
      const seen: number[] = [];
      const watch: DeadlineWatch = {
        watched: false,
        sweep: (at) => {
          seen.push(at);
          pending--;
          return pending > 0;
        },
      };
      sweeper.watch(watch);
      sweeper.watch(watch);
      expect(sweeper.size).toBe(1);
      expect(vi.getTimerCount()).toBe(1);
      vi.advanceTimersByTime(SWEEP_INTERVAL_MS);
      expect(watch.watched).toBe(true);
      vi.advanceTimersByTime(SWEEP_INTERVAL_MS);
      // Nothing outstanding any more: unwatched, and no timer is left.
      expect(seen).toHaveLength(2);
      expect(watch.watched).toBe(false);
      expect(sweeper.size).toBe(0);
      expect(vi.getTimerCount()).toBe(0);
      sweeper.watch(watch);
      sweeper.forget(watch);
      expect(vi.getTimerCount()).toBe(0);
    } finally {
      vi.useRealTimers();
    }
  });

  it('measures on a monotonic clock', () => {
    expect(now()).toBeLessThanOrEqual(now());
  });
});

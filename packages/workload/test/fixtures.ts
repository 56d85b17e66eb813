import type { ContenderResult } from '../src/interleave.js';
import type { LoadResult } from '../src/load.js';

/** One round of `callsPerSecond` calls in 1 s, p50 1 ms, p99 2 ms, with `errors` by message. */
export function loadRound(
  callsPerSecond: number,
  errors: Array<[string, number]> = [],
): LoadResult {
  return {
    calls: callsPerSecond,
    elapsedMs: 1000,
    callsPerSecond,
    p50Ms: 1,
    p99Ms: 2,
    maxMs: 3,
    errors: new Map(errors),
    pending: 0,
  };
}

/** A contender with one round per rate; its median is the middle round. */
export function contenderResult(
  name: string,
  rates: readonly number[],
  errors: Array<[string, number]> = [],
): ContenderResult {
  const rounds = rates.map((rate) => loadRound(rate, errors));
  const median = rounds[Math.floor(rounds.length / 2)];
  if (!median) throw new Error('a contender needs at least one round');
  return {
    name,
    median,
    minCallsPerSecond: Math.min(...rates),
    maxCallsPerSecond: Math.max(...rates),
    rounds,
  };
}

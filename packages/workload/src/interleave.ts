import { type LoadResult, runLoad } from './load.js';
import {
  addSnapshots,
  EMPTY_SNAPSHOT,
  type ServerDelta,
  type ServerSnapshot,
  serverDelta,
  snapshotDifference,
} from './server.js';

/** One way of doing the work, measured by {@link interleave}. */
export interface Contender {
  /** What the table calls it; unique within one `interleave`. */
  readonly name: string;
  /** One call. */
  call(): Promise<unknown>;
  /**
   * Awaited after each of its rounds, before the server snapshot, outside the timed part:
   * e.g. flush buffered writes so that their cost is counted for this contender.
   */
  settle?(): Promise<void>;
}

/** Options of {@link interleave}. */
export interface InterleaveOptions {
  /** Measured rounds; every contender runs once per round. */
  rounds: number;
  /** Length of one contender's round, ms. */
  roundMs: number;
  /** One unmeasured run per contender before the first round, ms; 0 for none. */
  warmupMs: number;
  /** Concurrent closed-loop callers; default 200. */
  callers?: number;
  /**
   * Reads the server(s) the contenders use, e.g. `() => serverSnapshot(admin)`: taken before
   * and after every measured round, so each contender gets its own {@link ServerDelta}.
   */
  snapshot?: () => Promise<ServerSnapshot>;
  /** Called after every measured round (progress output). */
  onRound?: (round: number, contender: string, result: LoadResult) => void;
}

/** One contender's figures over all rounds. */
export interface ContenderResult {
  name: string;
  /** The round with the median calls/s (the upper one of two for an even count). */
  median: LoadResult;
  /** Slowest and fastest round, calls/s. */
  minCallsPerSecond: number;
  maxCallsPerSecond: number;
  /** Every measured round, in order. */
  rounds: LoadResult[];
  /** Server-side cost over all its measured rounds; only with `snapshot`. */
  server?: ServerDelta;
}

/**
 * Run every contender once per round, round-robin, for `rounds` rounds, so that background
 * noise (other processes, GC, a busy CPU) falls on every contender alike; each round starts one
 * contender later than the one before, so no contender always follows the same one. Report per
 * contender its median round and the spread. Results are in the order of `contenders`.
 */
export async function interleave(
  contenders: readonly Contender[],
  options: InterleaveOptions,
): Promise<ContenderResult[]> {
  const callers = options.callers ?? 200;
  if (!Number.isInteger(options.rounds) || options.rounds < 1)
    throw new RangeError(`rounds must be an integer >= 1, got ${options.rounds}`);
  const load = (contender: Contender, durationMs: number) =>
    runLoad({ callers, durationMs, call: () => contender.call() });

  if (options.warmupMs > 0) {
    for (const contender of contenders) {
      await load(contender, options.warmupMs);
      await contender.settle?.();
    }
  }
  const rounds = contenders.map((): LoadResult[] => []);
  const spent = contenders.map((): ServerSnapshot => EMPTY_SNAPSHOT);
  for (let round = 0; round < options.rounds; round++) {
    // Each round starts one contender later: with a fixed order, whatever recurs at the same
    // point of every round (say a major GC paced by the rounds' allocations) falls on the same
    // contender each time. In a near-cache A/B, two copies of identical code measured 11-13%
    // apart in a fixed order, within 2% once rotated.
    for (let k = 0; k < contenders.length; k++) {
      const i = (round + k) % contenders.length;
      const contender = contenders[i] as Contender;
      const before = await options.snapshot?.();
      const result = await load(contender, options.roundMs);
      await contender.settle?.();
      const after = await options.snapshot?.();
      if (before && after)
        spent[i] = addSnapshots(spent[i] as ServerSnapshot, snapshotDifference(before, after));
      rounds[i]?.push(result);
      options.onRound?.(round, contender.name, result);
    }
  }
  return contenders.map((contender, i) => {
    const measured = rounds[i] as LoadResult[];
    const sorted = [...measured].sort((a, b) => a.callsPerSecond - b.callsPerSecond);
    const rates = sorted.map((r) => r.callsPerSecond);
    const calls = measured.reduce((sum, r) => sum + r.calls, 0);
    return {
      name: contender.name,
      median: sorted[Math.floor(sorted.length / 2)] as LoadResult,
      minCallsPerSecond: rates[0] ?? 0,
      maxCallsPerSecond: rates[rates.length - 1] ?? 0,
      rounds: measured,
      ...(options.snapshot
        ? { server: serverDelta(EMPTY_SNAPSHOT, spent[i] as ServerSnapshot, calls) }
        : {}),
    };
  });
}

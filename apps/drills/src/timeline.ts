import type { SettledCall } from '@hitpool/workload';

/** What a fault scenario can do while the load runs. */
export interface ScenarioContext {
  /** Record a moment (e.g. `server back`); the figures report the first success after it. */
  mark(name: string): void;
  /** Milliseconds since the load started. */
  elapsed(): number;
}

/** When a mark was set and how long until the next success. */
export interface MarkResult {
  atMs: number;
  /** Milliseconds from the mark to the first successful call that settled after it; null if none. */
  firstSuccessAfterMs: number | null;
  /** The same per caller label (unlabelled callers under `main`), for labels that succeeded after it. */
  firstSuccessAfterByLabelMs: Record<string, number>;
}

/** The failures of one group (error code, `tx:` or `client:` for labelled callers). */
export interface FailureFigures {
  /** Failed calls by group. */
  counts: Record<string, number>;
  /** The first message seen per group. */
  samples: Record<string, string>;
  /** The fastest and slowest failure per group, ms. */
  latency: Record<string, { min: number; max: number }>;
}

/** What {@link Timeline} followed, once the callers stopped. */
export interface TimelineFigures {
  /** Successes per caller label (`main` for unlabelled callers). */
  okByLabel: Record<string, number>;
  /** Time from the start until the callers stopped, ms. */
  durationMs: number;
  /** Longest time without any successful call, ms (from the start until the callers stopped). */
  longestStallMs: number;
  /** When that stall began, ms since the start. */
  longestStallAtMs: number;
  /** Slowest call of any outcome, ms. */
  maxLatencyMs: number;
  /** Failure messages and latencies by group (the counts come from the load generator). */
  samples: FailureFigures['samples'];
  latency: FailureFigures['latency'];
  marks: Record<string, MarkResult>;
}

/**
 * Follows a load's settled calls over time (`onCall` of `runLoad`): when service stopped and
 * came back, per kind of caller, and what each kind of failure looked like.
 */
export class Timeline implements ScenarioContext {
  readonly #origin = performance.now();
  readonly #labelOf: (caller: number) => string;
  readonly #marks = new Map<string, MarkResult>();
  readonly #okByLabel: Record<string, number> = {};
  readonly #samples: Record<string, string> = {};
  readonly #latency: Record<string, { min: number; max: number }> = {};
  #lastSuccess = 0;
  #longestStall = 0;
  #longestStallAt = 0;
  #maxLatency = 0;

  constructor(labelOf?: (caller: number) => string | undefined) {
    this.#labelOf = (caller) => labelOf?.(caller) ?? 'main';
  }

  /** `performance.now()` of the start. */
  get origin(): number {
    return this.#origin;
  }

  elapsed = (): number => performance.now() - this.#origin;

  mark = (name: string): void => {
    this.#marks.set(name, {
      atMs: this.elapsed(),
      firstSuccessAfterMs: null,
      firstSuccessAfterByLabelMs: {},
    });
  };

  record = (call: SettledCall): void => {
    const at = call.settledAt - this.#origin;
    this.#maxLatency = Math.max(this.#maxLatency, call.settledAt - call.startedAt);
    if (call.ok) this.#success(at, this.#labelOf(call.caller));
    else this.#failure(call.group ?? 'unknown', call.error, call.settledAt - call.startedAt);
  };

  #success(at: number, label: string): void {
    this.#okByLabel[label] = (this.#okByLabel[label] ?? 0) + 1;
    this.#stall(at);
    this.#lastSuccess = Math.max(this.#lastSuccess, at);
    // A call that started before the mark and succeeded after it still shows service is back.
    for (const mark of this.#marks.values()) {
      if (at < mark.atMs) continue;
      const after = at - mark.atMs;
      mark.firstSuccessAfterMs ??= after;
      mark.firstSuccessAfterByLabelMs[label] ??= after;
    }
  }

  #failure(group: string, error: unknown, latencyMs: number): void {
    this.#samples[group] ??= error instanceof Error ? error.message : String(error);
    const range = this.#latency[group];
    if (range === undefined) this.#latency[group] = { min: latencyMs, max: latencyMs };
    else {
      range.min = Math.min(range.min, latencyMs);
      range.max = Math.max(range.max, latencyMs);
    }
  }

  #stall(until: number): void {
    if (until - this.#lastSuccess > this.#longestStall) {
      this.#longestStall = until - this.#lastSuccess;
      this.#longestStallAt = this.#lastSuccess;
    }
  }

  /** The figures, with the callers stopped at `stoppedAt` (`performance.now()`). */
  figures(stoppedAt: number): TimelineFigures {
    const durationMs = stoppedAt - this.#origin;
    this.#stall(durationMs);
    return {
      okByLabel: this.#okByLabel,
      durationMs,
      longestStallMs: this.#longestStall,
      longestStallAtMs: this.#longestStallAt,
      maxLatencyMs: this.#maxLatency,
      samples: this.#samples,
      latency: this.#latency,
      marks: Object.fromEntries(this.#marks),
    };
  }
}

import { performance } from 'node:perf_hooks';
import { LatencyHistogram } from './histogram.js';

/** One call as it settled, for {@link LoadOptions.onCall}. */
export interface SettledCall {
  /** The caller that made it (0-based). */
  caller: number;
  /** `performance.now()` when it started and when it settled. */
  startedAt: number;
  settledAt: number;
  /** False when it rejected. */
  ok: boolean;
  /** What it rejected with (only when `ok` is false). */
  error?: unknown;
  /** The group the failure is counted under in {@link LoadResult.errors} (only when `ok` is false). */
  group?: string;
}

/** Options of {@link runLoad}. */
export interface LoadOptions {
  /** Concurrent callers; each awaits its call before it makes the next (closed loop). */
  callers: number;
  /** Callers start no new call after this many ms; calls in flight then are awaited. */
  durationMs: number;
  /** One call by caller `caller` (0-based). A rejection counts as an error, grouped by message; the caller goes on. */
  call: (caller: number) => Promise<unknown>;
  /** Pause of each caller between two of its calls, ms; default 0. The pause is not part of a call's latency. */
  thinkMs?: number;
  /** Called about every `progressMs` with the successful calls so far and the time elapsed (0–1). */
  onProgress?: (calls: number, fraction: number) => void;
  /** Progress interval in ms; default 100. */
  progressMs?: number;
  /** Stops the callers early: they start no new call once it aborts. */
  signal?: AbortSignal;
  /** The group a failure is counted under; default its message, cut to 160 characters. */
  errorGroup?: (error: unknown, caller: number) => string;
  /**
   * How long to wait for the calls in flight once the callers stop, ms; default: until they
   * settle. A call still in flight then is counted in {@link LoadResult.pending} instead of
   * hanging the load.
   */
  settleMs?: number;
  /** Sees every call as it settles, e.g. to follow successes over time. */
  onCall?: (call: SettledCall) => void;
}

/** What one {@link runLoad} produced. */
export interface LoadResult {
  /** Successful calls. */
  calls: number;
  /** Wall time from the start until the last caller finished, ms. */
  elapsedMs: number;
  /** Successful calls per second of `elapsedMs`. */
  callsPerSecond: number;
  /** Latency quantiles of successful calls, ms, to one histogram bucket (about 4.4 %). */
  p50Ms: number;
  p99Ms: number;
  /** Slowest successful call, ms (exact). */
  maxMs: number;
  /** Failed calls by error message (or by `errorGroup`). */
  errors: Map<string, number>;
  /** Calls neither resolved nor rejected `settleMs` after the callers stopped; 0 without `settleMs`. */
  pending: number;
}

function defaultErrorGroup(error: unknown): string {
  return (error instanceof Error ? error.message : String(error)).slice(0, 160);
}

const delay = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Wait for `callers`, but no longer than `settleMs` after `stop` aborts (the callers stop then). */
async function settleWithin(
  callers: Promise<unknown>,
  settleMs: number,
  stop: AbortSignal,
): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const cutOff = new Promise<void>((resolve) => {
    const start = () => {
      timer = setTimeout(resolve, settleMs);
    };
    if (stop.aborted) start();
    else stop.addEventListener('abort', start, { once: true });
  });
  try {
    await Promise.race([callers, cutOff]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Run `callers` closed-loop callers of `call` for `durationMs` (or until `signal` aborts) and
 * measure them. Latencies go into a fixed-size histogram, so memory does not grow with the
 * number of calls. The clock is read once per call (the end of one call is the start of the
 * next when there is no pause), not by a timer: a call that settles in microtasks alone would
 * never let a timer fire.
 */
export async function runLoad(options: LoadOptions): Promise<LoadResult> {
  const { call, durationMs, signal, onCall } = options;
  const thinkMs = options.thinkMs ?? 0;
  const histogram = new LatencyHistogram();
  const errors = new Map<string, number>();
  const start = performance.now();
  const end = start + durationMs;
  const progress = options.onProgress;
  const errorGroup = options.errorGroup ?? defaultErrorGroup;
  const timer = progress
    ? setInterval(
        () => progress(histogram.count, Math.min(1, (performance.now() - start) / durationMs)),
        options.progressMs ?? 100,
      )
    : undefined;
  let inFlight = 0;

  const caller = async (index: number) => {
    let t0 = performance.now();
    while (t0 < end && signal?.aborted !== true) {
      let failure: { error: unknown } | undefined;
      inFlight++;
      try {
        await call(index);
      } catch (error) {
        failure = { error };
      } finally {
        inFlight--;
      }
      const t1 = performance.now();
      if (failure === undefined) {
        histogram.record(t1 - t0);
        onCall?.({ caller: index, startedAt: t0, settledAt: t1, ok: true });
      } else {
        const group = errorGroup(failure.error, index);
        errors.set(group, (errors.get(group) ?? 0) + 1);
        onCall?.({ caller: index, startedAt: t0, settledAt: t1, ok: false, ...failure, group });
      }
      if (thinkMs > 0) await delay(thinkMs);
      // A call failing at once would spin; yield so timers and I/O still run.
      else if (failure !== undefined) await new Promise((resolve) => setImmediate(resolve));
      t0 = thinkMs > 0 || failure !== undefined ? performance.now() : t1;
    }
  };
  const callers = Promise.all(Array.from({ length: options.callers }, (_, index) => caller(index)));
  try {
    if (options.settleMs === undefined) await callers;
    else {
      const timeUp = AbortSignal.timeout(durationMs);
      const stop = signal ? AbortSignal.any([signal, timeUp]) : timeUp;
      await settleWithin(callers, options.settleMs, stop);
    }
  } finally {
    if (timer) clearInterval(timer);
  }
  const elapsedMs = performance.now() - start;
  progress?.(histogram.count, 1);
  return {
    calls: histogram.count,
    elapsedMs,
    callsPerSecond: elapsedMs > 0 ? (histogram.count * 1000) / elapsedMs : 0,
    p50Ms: histogram.quantile(0.5),
    p99Ms: histogram.quantile(0.99),
    maxMs: histogram.maxMs,
    errors,
    pending: inFlight,
  };
}

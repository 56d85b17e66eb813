import { performance } from 'node:perf_hooks';
import { LatencyHistogram } from './histogram.js';

/** Options of {@link runLoad}. */
export interface LoadOptions {
  /** Concurrent callers; each awaits its call before it makes the next (closed loop). */
  callers: number;
  /** Callers start no new call after this many ms; calls in flight then are awaited. */
  durationMs: number;
  /** One call. A rejection counts as an error, grouped by message; the caller goes on. */
  call: () => Promise<unknown>;
  /** Called about every `progressMs` with the successful calls so far and the time elapsed (0–1). */
  onProgress?: (calls: number, fraction: number) => void;
  /** Progress interval in ms; default 100. */
  progressMs?: number;
  /** Stops the callers early. */
  signal?: AbortSignal;
  /** The group a failure is counted under; default its message, cut to 160 characters. */
  errorGroup?: (error: unknown) => string;
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
}

function defaultErrorGroup(error: unknown): string {
  return (error instanceof Error ? error.message : String(error)).slice(0, 160);
}

/**
 * Run `callers` closed-loop callers of `call` for `durationMs` and measure them. Latencies go
 * into a fixed-size histogram, so memory does not grow with the number of calls. The clock is
 * read once per call (the end of one call is the start of the next), not by a timer: a call
 * that settles in microtasks alone would never let a timer fire.
 */
export async function runLoad(options: LoadOptions): Promise<LoadResult> {
  const { call, durationMs, signal } = options;
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

  const caller = async () => {
    let t0 = performance.now();
    while (t0 < end && signal?.aborted !== true) {
      try {
        await call();
        const t1 = performance.now();
        histogram.record(t1 - t0);
        t0 = t1;
      } catch (error) {
        const message = errorGroup(error);
        errors.set(message, (errors.get(message) ?? 0) + 1);
        // A call failing at once would spin; yield so timers and I/O still run.
        await new Promise((resolve) => setImmediate(resolve));
        t0 = performance.now();
      }
    }
  };
  try {
    await Promise.all(Array.from({ length: options.callers }, caller));
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
  };
}

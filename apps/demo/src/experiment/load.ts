import { performance } from 'node:perf_hooks';

/** What one run of simulated users produced. */
export interface LoadResult {
  /** Calls that succeeded. */
  readonly calls: number;
  /** Wall time of the run in ms. */
  readonly elapsedMs: number;
  /** Latencies of successful calls in ms, unsorted. */
  readonly latencies: Float64Array;
  /** Failed calls grouped by error message. */
  readonly errors: ReadonlyMap<string, number>;
}

/** Options for {@link runLoad}. */
export interface LoadOptions {
  /** Concurrent simulated users, each calling in a loop. */
  users: number;
  /** How long the users keep calling, in ms. */
  durationMs: number;
  /** Keys a user picks from at random for each call. */
  keys: readonly string[];
  /** One call. */
  call: (key: string) => Promise<unknown>;
  /** Called about every `tickMs` with the fraction of time elapsed and calls so far. */
  onTick?: (fraction: number, calls: number) => void;
  /** Progress interval in ms; default 100. */
  tickMs?: number;
  /** Stops the users early (Ctrl-C). */
  signal?: AbortSignal;
}

class Samples {
  private data = new Float64Array(1 << 16);
  length = 0;
  push(value: number): void {
    if (this.length === this.data.length) {
      const bigger = new Float64Array(this.data.length * 2);
      bigger.set(this.data);
      this.data = bigger;
    }
    this.data[this.length++] = value;
  }
  toArray(): Float64Array {
    return this.data.slice(0, this.length);
  }
}

function errorMessage(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  // One group per cause, not per port or per key.
  return message.replace(/127\.0\.0\.1:\d+/g, '127.0.0.1:<port>').slice(0, 160);
}

/** Run `users` concurrent loops of `call` for `durationMs` and collect latencies and errors. */
export async function runLoad(options: LoadOptions): Promise<LoadResult> {
  const samples = new Samples();
  const errors = new Map<string, number>();
  const { keys, call } = options;
  const start = performance.now();
  const end = start + options.durationMs;
  const stopped = () => options.signal?.aborted === true;
  const timer = setInterval(
    () =>
      options.onTick?.(
        Math.min(1, (performance.now() - start) / options.durationMs),
        samples.length,
      ),
    options.tickMs ?? 100,
  );

  const user = async () => {
    while (!stopped()) {
      const t0 = performance.now();
      if (t0 >= end) return;
      const key = keys[Math.floor(Math.random() * keys.length)] ?? '';
      try {
        await call(key);
        samples.push(performance.now() - t0);
      } catch (error) {
        const message = errorMessage(error);
        errors.set(message, (errors.get(message) ?? 0) + 1);
        // A failing call returns at once; yield so a storm of failures cannot starve the timers.
        await new Promise((resolve) => setImmediate(resolve));
      }
    }
  };
  try {
    await Promise.all(Array.from({ length: options.users }, user));
  } finally {
    clearInterval(timer);
  }
  options.onTick?.(1, samples.length);
  return {
    calls: samples.length,
    elapsedMs: performance.now() - start,
    latencies: samples.toArray(),
    errors,
  };
}

/** The `q` quantile (0–1) of `values` in the same unit; 0 for no values. */
export function quantile(sorted: Float64Array, q: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0;
}

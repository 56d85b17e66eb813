import { FailureTally } from './outcomes.js';

/** What a fault scenario can do while the load runs. */
export interface ScenarioContext {
  /** Record a moment (e.g. `server back`); the result reports the first success after it. */
  mark(name: string): void;
  /** Milliseconds since the load started. */
  elapsed(): number;
}

/** Options for {@link runLoad}. */
export interface LoadOptions {
  /** Concurrent callers, each running `call` in a loop. */
  callers: number;
  /** One call by caller `caller` (0-based); resolving counts as a success, rejecting as a failure. */
  call: (caller: number) => Promise<unknown>;
  /** Pause between two calls of one caller, in ms; default 10 (keeps a 2-core box usable). */
  thinkMs?: number;
  /** Load before the scenario starts, in ms; default 500. */
  warmupMs?: number;
  /** The fault; the load runs while it runs, then `tailMs` more. Default: none. */
  scenario?: (context: ScenarioContext) => Promise<void>;
  /** Load after the scenario resolves, in ms; default 1500. */
  tailMs?: number;
  /** Hard cap on the whole load phase, in ms; default 30000. The scenario is not cancelled. */
  maxMs?: number;
  /** How long to wait for calls still in flight when the load stops, in ms; default 10000. */
  settleMs?: number;
  /** A label per caller (e.g. `tx`) that prefixes its failure codes (`tx:POOL_ACQUIRE_TIMEOUT`). */
  labelOf?: (caller: number) => string | undefined;
}

/** When a mark was set and how long until the next success. */
export interface MarkResult {
  atMs: number;
  /** Milliseconds from the mark to the first successful call that started or ended after it; null if none. */
  firstSuccessAfterMs: number | null;
  /** The same per caller label (`labelOf`; unlabelled callers under `main`), for labels that succeeded after it. */
  firstSuccessAfterByLabelMs: Record<string, number>;
}

/** What {@link runLoad} measured. */
export interface LoadResult {
  ok: number;
  /** Successes per caller label (`main` for unlabelled callers). */
  okByLabel: Record<string, number>;
  failed: number;
  failures: FailureTally;
  durationMs: number;
  /** Longest time without any successful call, in ms (from load start to load end). */
  longestStallMs: number;
  /** When that stall began, ms since load start. */
  longestStallAtMs: number;
  /** Slowest successful call, in ms. */
  maxOkLatencyMs: number;
  /** Slowest call of any outcome, in ms (calls still pending excluded). */
  maxLatencyMs: number;
  marks: Record<string, MarkResult>;
  /** Calls neither resolved nor rejected `settleMs` after the load stopped. Must be 0. */
  pending: number;
  /** The scenario's own error, if it threw (the drill should rethrow it). */
  scenarioError: unknown;
}

const delay = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * A bounded load generator: `callers` concurrent loops calling `call` until the
 * scenario is over (plus a tail) or `maxMs`, then waits up to `settleMs` for
 * in-flight calls. Counts successes, failures by error code, the longest gap
 * without a success and the time from each mark to the next success.
 */
export async function runLoad(options: LoadOptions): Promise<LoadResult> {
  const thinkMs = options.thinkMs ?? 10;
  const warmupMs = options.warmupMs ?? 500;
  const tailMs = options.tailMs ?? 1500;
  const maxMs = options.maxMs ?? 30_000;
  const settleMs = options.settleMs ?? 10_000;

  const start = performance.now();
  const now = () => performance.now() - start;
  const failures = new FailureTally();
  const marks = new Map<string, MarkResult>();
  let ok = 0;
  const okByLabel: Record<string, number> = {};
  let lastSuccess = 0;
  let longestStall = 0;
  let longestStallAt = 0;
  let maxOk = 0;
  let maxAny = 0;
  let stopped = false;
  let inFlight = 0;

  const success = (startedAt: number, label: string) => {
    const at = now();
    ok++;
    okByLabel[label] = (okByLabel[label] ?? 0) + 1;
    if (at - lastSuccess > longestStall) {
      longestStall = at - lastSuccess;
      longestStallAt = lastSuccess;
    }
    lastSuccess = Math.max(lastSuccess, at);
    // A call that started before the mark and succeeded after it still shows service is back.
    for (const mark of marks.values()) {
      if (at < mark.atMs) continue;
      const after = Math.max(0, at - mark.atMs);
      mark.firstSuccessAfterMs ??= after;
      mark.firstSuccessAfterByLabelMs[label] ??= after;
    }
    maxOk = Math.max(maxOk, at - startedAt);
    maxAny = Math.max(maxAny, at - startedAt);
  };

  const caller = async (index: number) => {
    while (!stopped) {
      const startedAt = now();
      inFlight++;
      try {
        await options.call(index);
        success(startedAt, options.labelOf?.(index) ?? 'main');
      } catch (error) {
        const latency = now() - startedAt;
        maxAny = Math.max(maxAny, latency);
        failures.add(error, latency, options.labelOf?.(index));
      } finally {
        inFlight--;
      }
      if (thinkMs > 0) await delay(thinkMs);
    }
  };

  const loops = Array.from({ length: options.callers }, (_, index) => caller(index));
  const context: ScenarioContext = {
    mark(name) {
      marks.set(name, { atMs: now(), firstSuccessAfterMs: null, firstSuccessAfterByLabelMs: {} });
    },
    elapsed: now,
  };

  let scenarioError: unknown;
  const scenario = (async () => {
    await delay(warmupMs);
    if (options.scenario) await options.scenario(context);
    await delay(tailMs);
  })().catch((error: unknown) => {
    scenarioError = error;
  });
  let capTimer: NodeJS.Timeout | undefined;
  await Promise.race([scenario, new Promise((resolve) => (capTimer = setTimeout(resolve, maxMs)))]);
  clearTimeout(capTimer);
  stopped = true;
  const loadEnd = now();
  if (loadEnd - lastSuccess > longestStall) {
    longestStall = loadEnd - lastSuccess;
    longestStallAt = lastSuccess;
  }

  let settleTimer: NodeJS.Timeout | undefined;
  await Promise.race([
    Promise.all(loops),
    new Promise((resolve) => (settleTimer = setTimeout(resolve, settleMs))),
  ]);
  clearTimeout(settleTimer);

  return {
    ok,
    okByLabel,
    failed: failures.total,
    failures,
    durationMs: loadEnd,
    longestStallMs: longestStall,
    longestStallAtMs: longestStallAt,
    maxOkLatencyMs: maxOk,
    maxLatencyMs: maxAny,
    marks: Object.fromEntries(marks),
    pending: inFlight,
    scenarioError,
  };
}

import { runLoad } from '@hitpool/workload';
import { errorCode } from './outcomes.js';
import {
  type FailureFigures,
  type MarkResult,
  type ScenarioContext,
  Timeline,
} from './timeline.js';

/** Options for {@link loadDuring}. */
export interface DrillLoadOptions {
  /** Concurrent callers, each running `call` in a loop. */
  callers: number;
  /** One call by caller `caller` (0-based); resolving counts as a success, rejecting as a failure. */
  call: (caller: number) => Promise<unknown>;
  /** A label per caller (e.g. `tx`) that prefixes its failure codes (`tx:POOL_ACQUIRE_TIMEOUT`). */
  labelOf?: ((caller: number) => string | undefined) | undefined;
  /** Load before the scenario starts, ms; default 500. */
  warmupMs?: number | undefined;
  /** The fault; the load runs while it runs, then `tailMs` more. Default: none. */
  scenario?: (context: ScenarioContext) => Promise<void>;
  /** Load after the scenario resolves, ms; default 1500. */
  tailMs?: number | undefined;
  /** Hard cap on the whole load, ms; default 30000. The scenario is not cancelled. */
  maxMs?: number | undefined;
}

/** What {@link loadDuring} measured. */
export interface DrillLoad {
  ok: number;
  /** Successes per caller label (`main` for unlabelled callers). */
  okByLabel: Record<string, number>;
  failed: number;
  failures: FailureFigures;
  /** Time from the start until the callers stopped, ms. */
  durationMs: number;
  /** Longest time without any successful call, ms. */
  longestStallMs: number;
  /** When that stall began, ms since the start. */
  longestStallAtMs: number;
  /** Slowest successful call, ms. */
  maxOkLatencyMs: number;
  /** Slowest call of any outcome, ms (calls still pending excluded). */
  maxLatencyMs: number;
  marks: Record<string, MarkResult>;
  /** Calls neither resolved nor rejected 10 s after the callers stopped. Must be 0. */
  pending: number;
}

/** Pause between two calls of one caller: keeps a 2-core machine usable under 200 callers. */
const THINK_MS = 10;
/** How long calls in flight get to settle once the load stops before they count as pending. */
const SETTLE_MS = 10_000;

const delay = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Run the load (`runLoad` of @hitpool/workload) through a warm-up, the scenario and a tail, or
 * until `maxMs`; then wait up to 10 s for calls in flight. Rejects with the scenario's error,
 * once the load has stopped.
 */
export async function loadDuring(options: DrillLoadOptions): Promise<DrillLoad> {
  const maxMs = options.maxMs ?? 30_000;
  const { labelOf } = options;
  const timeline = new Timeline(labelOf);
  const stop = new AbortController();
  const load = runLoad({
    callers: options.callers,
    durationMs: maxMs,
    call: options.call,
    thinkMs: THINK_MS,
    settleMs: SETTLE_MS,
    signal: stop.signal,
    errorGroup: (error, caller) => {
      const label = labelOf?.(caller);
      return label ? `${label}:${errorCode(error)}` : errorCode(error);
    },
    onCall: timeline.record,
  });
  let failed: { error: unknown } | undefined;
  const phases = (async () => {
    await delay(options.warmupMs ?? 500);
    if (options.scenario) await options.scenario(timeline);
    await delay(options.tailMs ?? 1_500);
  })().catch((error: unknown) => {
    failed = { error };
  });
  // The load ends by itself at maxMs; otherwise the phases end it.
  await Promise.race([phases, load]);
  const stoppedAt = Math.min(performance.now(), timeline.origin + maxMs);
  stop.abort();
  const result = await load;
  if (failed) throw failed.error;
  const figures = timeline.figures(stoppedAt);
  const counts = Object.fromEntries(result.errors);
  return {
    ok: result.calls,
    okByLabel: figures.okByLabel,
    failed: Object.values(counts).reduce((sum, count) => sum + count, 0),
    failures: { counts, samples: figures.samples, latency: figures.latency },
    durationMs: figures.durationMs,
    longestStallMs: figures.longestStallMs,
    longestStallAtMs: figures.longestStallAtMs,
    maxOkLatencyMs: result.maxMs,
    maxLatencyMs: figures.maxLatencyMs,
    marks: figures.marks,
    pending: result.pending,
  };
}

/**
 * Time from `mark` until each kind of caller that succeeded during the load (labels `main`,
 * `tx`, `client`) succeeded again, by label (undefined: never), and the slowest of them
 * (`never` when one never did): service is back when the slowest path is back.
 */
export function recovery(
  load: DrillLoad,
  mark: string,
): { byLabel: Record<string, number | undefined>; ms: number | 'never' } {
  const after = load.marks[mark]?.firstSuccessAfterByLabelMs ?? {};
  const byLabel = Object.fromEntries(
    Object.keys(load.okByLabel).map((label) => [label, after[label]]),
  );
  const times = Object.values(byLabel);
  const ms = times.some((time) => time === undefined)
    ? 'never'
    : Math.max(0, ...(times as number[]));
  return { byLabel, ms };
}

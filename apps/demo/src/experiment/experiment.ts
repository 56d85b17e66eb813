import { Redis } from 'ioredis';
import { makeRunKeys, removeKeysContaining, seedKeys } from './keys.js';
import { quantile, runLoad } from './load.js';
import { openProbe, type ServerProbe } from './probe.js';
import { scenarios as allScenarios, type Scenario } from './scenarios/index.js';

/** One row of the result table. */
export interface ScenarioResult {
  id: string;
  title: string;
  /** Successful calls in the run. */
  calls: number;
  /** Successful calls per second. */
  callsPerSecond: number;
  /** Latency of successful calls, ms. */
  p50Ms: number;
  p99Ms: number;
  /** Failed calls, total and by message. */
  errors: { total: number; byMessage: Record<string, number> };
  /** Most server-side connections the scenario held at once (INFO clients, less those open before it). */
  peakConnections: number;
  /** Server read events per call for one user calling in sequence: the round trips a caller waits for. */
  roundTripsPerCall: number;
}

/** Options of {@link runExperiment}. */
export interface ExperimentOptions {
  url: string;
  /** Concurrent simulated users per scenario. */
  users: number;
  /** Load time per scenario, ms. */
  durationMs: number;
  /** Which scenarios; default all five. */
  scenarios?: readonly Scenario[];
  onProgress?: (event: ProgressEvent) => void;
  signal?: AbortSignal;
}

/** What the experiment reports while it runs. */
export type ProgressEvent =
  | { type: 'start'; index: number; total: number; scenario: Scenario }
  | {
      type: 'tick';
      index: number;
      total: number;
      scenario: Scenario;
      fraction: number;
      calls: number;
    }
  | { type: 'done'; index: number; total: number; result: ScenarioResult };

/** Items the users read; few enough that every key gets hot. */
const ITEM_COUNT = 64;
/** Sequential calls for the round-trip measurement. */
const CALIBRATION_CALLS = 20;

async function waitForDrain(probe: ServerProbe, baseline: number, timeoutMs = 3000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline && (await probe.connectedClients()) > baseline) {
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

async function runScenario(
  scenario: Scenario,
  index: number,
  total: number,
  keys: readonly string[],
  probe: ServerProbe,
  options: ExperimentOptions,
): Promise<ScenarioResult> {
  options.onProgress?.({ type: 'start', index, total, scenario });
  const baseline = await probe.connectedClients();
  const session = await scenario.open(options.url);
  try {
    const watch = probe.watchPeak();
    const load = await runLoad({
      users: options.users,
      durationMs: options.durationMs,
      keys,
      call: session.call,
      ...(options.signal ? { signal: options.signal } : {}),
      onTick: (fraction, calls) =>
        options.onProgress?.({ type: 'tick', index, total, scenario, fraction, calls }),
    });
    const peak = await watch.stop();
    await waitForDrain(probe, baseline + 2);
    const key = keys[0] ?? '';
    const reads = await probe.countReads(async () => {
      for (let i = 0; i < CALIBRATION_CALLS; i++) await session.call(key).catch(() => undefined);
    });
    const sorted = load.latencies.sort();
    const byMessage = Object.fromEntries(load.errors);
    const result: ScenarioResult = {
      id: scenario.id,
      title: scenario.title,
      calls: load.calls,
      callsPerSecond: load.elapsedMs > 0 ? Math.round((load.calls * 1000) / load.elapsedMs) : 0,
      p50Ms: quantile(sorted, 0.5),
      p99Ms: quantile(sorted, 0.99),
      errors: { total: Object.values(byMessage).reduce((a, b) => a + b, 0), byMessage },
      peakConnections: Math.max(0, peak - baseline),
      roundTripsPerCall: Math.round((reads / CALIBRATION_CALLS) * 10) / 10,
    };
    options.onProgress?.({ type: 'done', index, total, result });
    return result;
  } finally {
    await session.close();
    await waitForDrain(probe, baseline);
  }
}

/**
 * Run every scenario in turn against `url`, under a private key prefix that
 * is removed afterwards, and return one result per scenario.
 */
export async function runExperiment(options: ExperimentOptions): Promise<ScenarioResult[]> {
  const scenarios = options.scenarios ?? allScenarios;
  const run = makeRunKeys(ITEM_COUNT);
  const admin = new Redis(options.url, { maxRetriesPerRequest: 1, lazyConnect: true });
  admin.on('error', () => undefined);
  await admin.connect();
  const probe = await openProbe(options.url);
  const results: ScenarioResult[] = [];
  try {
    await seedKeys(admin, run);
    for (const [index, scenario] of scenarios.entries()) {
      if (options.signal?.aborted) break;
      results.push(await runScenario(scenario, index, scenarios.length, run.keys, probe, options));
    }
    return results;
  } finally {
    await removeKeysContaining(admin, run.prefix).catch(() => undefined);
    await probe.close();
    await admin.quit().catch(() => admin.disconnect());
  }
}

import { type ExperimentRow, type KeySource, runLoad } from '@hitpool/workload';
import { Redis } from 'ioredis';
import { type KeyMode, keySource, makeRunPrefix, removeKeysContaining, seedKeys } from './keys.js';
import { openProbe, type ServerProbe } from './probe.js';
import { scenarios as allScenarios, type Scenario } from './scenarios/index.js';

/** One row of the result table (the shape `pnpm figures` reads back). */
export type ScenarioResult = ExperimentRow;

/** Options of {@link runExperiment}. */
export interface ExperimentOptions {
  url: string;
  /** Concurrent simulated users per scenario. */
  users: number;
  /** Load time per scenario, ms. */
  durationMs: number;
  /** Which keys the users read; default `distinct` (10,000 keys in turn). */
  keys?: KeyMode;
  /** Which scenarios; default all of them. */
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

/** Sequential calls for the round-trip measurement. */
const CALIBRATION_CALLS = 20;
/**
 * Rounds of {@link CALIBRATION_CALLS}: the server counts every client's reads, and another
 * client's (a timer's flush, a connection closing) only add to a round, so the fewest is kept.
 */
const CALIBRATION_ROUNDS = 3;

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
  keys: KeySource,
  probe: ServerProbe,
  options: ExperimentOptions,
): Promise<ScenarioResult> {
  options.onProgress?.({ type: 'start', index, total, scenario });
  const baseline = await probe.connectedClients();
  const session = await scenario.open(options.url);
  try {
    const watch = probe.watchPeak();
    const load = await runLoad({
      callers: options.users,
      durationMs: options.durationMs,
      call: () => session.call(keys.next()),
      errorGroup,
      ...(options.signal ? { signal: options.signal } : {}),
      onProgress: (calls, fraction) =>
        options.onProgress?.({ type: 'tick', index, total, scenario, fraction, calls }),
    });
    const peak = await watch.stop();
    await waitForDrain(probe, baseline + 2);
    const key = keys.keys[0] ?? '';
    let reads = Number.POSITIVE_INFINITY;
    for (let round = 0; round < CALIBRATION_ROUNDS; round++) {
      const counted = await probe.countReads(async () => {
        for (let i = 0; i < CALIBRATION_CALLS; i++) await session.call(key).catch(() => undefined);
      });
      reads = Math.min(reads, counted);
    }
    const byMessage = Object.fromEntries(load.errors);
    const result: ScenarioResult = {
      id: scenario.id,
      title: scenario.title,
      calls: load.calls,
      callsPerSecond: Math.round(load.callsPerSecond),
      p50Ms: load.p50Ms,
      p99Ms: load.p99Ms,
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

/** One group per cause, not per port. */
function errorGroup(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message.replace(/127\.0\.0\.1:\d+/g, '127.0.0.1:<port>').slice(0, 160);
}

/**
 * Run every scenario in turn against `url`, under a private key prefix that
 * is removed afterwards, and return one result per scenario. Every scenario
 * reads its own key source of the same kind, so all walk the same sequence.
 */
export async function runExperiment(options: ExperimentOptions): Promise<ScenarioResult[]> {
  const scenarios = options.scenarios ?? allScenarios;
  const prefix = makeRunPrefix();
  const mode = options.keys ?? 'distinct';
  const admin = new Redis(options.url, { maxRetriesPerRequest: 1, lazyConnect: true });
  admin.on('error', () => undefined);
  await admin.connect();
  const probe = await openProbe(options.url);
  const results: ScenarioResult[] = [];
  try {
    await seedKeys(admin, keySource(mode, prefix).keys);
    for (const [index, scenario] of scenarios.entries()) {
      if (options.signal?.aborted) break;
      const keys = keySource(mode, prefix);
      results.push(await runScenario(scenario, index, scenarios.length, keys, probe, options));
    }
    return results;
  } finally {
    await removeKeysContaining(admin, prefix).catch(() => undefined);
    await probe.close();
    await admin.quit().catch(() => admin.disconnect());
  }
}

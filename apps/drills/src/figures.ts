import type { ClientFigures, DrillRow } from '@hitpool/workload';
import type { LedgerComparison } from './counters.js';
import { type DrillLoad, recovery } from './drill-load.js';
import { recordDrill } from './report.js';
import { CLIENT_LABEL } from './workload.js';

/** The `client` callers' ok and failed calls from `load`, and their counters. */
export function clientFigures(load: DrillLoad, counters: LedgerComparison): ClientFigures {
  let failed = 0;
  for (const [code, count] of Object.entries(load.failures.counts)) {
    if (code.startsWith(`${CLIENT_LABEL}:`)) failed += count;
  }
  return {
    ok: load.okByLabel[CLIENT_LABEL] ?? 0,
    failed,
    lost: counters.lost,
    extra: counters.extra,
  };
}

/** Options for {@link reportDrill}. */
export interface DrillReport {
  drill: string;
  load: DrillLoad;
  /** Mark the recovery time is measured from; omit when not measured. */
  recoverFrom?: string | undefined;
  /** Acknowledged vs final counters; omit when the drill does not count. */
  counters?: Record<string, LedgerComparison> | undefined;
  /**
   * The counters of the callers of plain commands on `pool.client` (label
   * {@link CLIENT_LABEL}); gives the row its `client` figures and counts into
   * "acknowledged but lost". Omit when the drill has no such callers.
   */
  client?: LedgerComparison | undefined;
  /** Anything else worth printing (stats, peaks, tolerances). */
  details?: Record<string, unknown>;
  /** The JSON-lines file from `inject('drillResults')`. */
  resultsFile?: string;
}

/** Turn a drill's measurements into its table row, print its figures, and record the row. */
export function reportDrill(report: DrillReport): DrillRow {
  const { load } = report;
  const recoverMs = report.recoverFrom === undefined ? null : recovery(load, report.recoverFrom).ms;
  const allCounters: Record<string, LedgerComparison> | undefined =
    report.client === undefined
      ? report.counters
      : { ...report.counters, [CLIENT_LABEL]: report.client };
  const counters = Object.values(allCounters ?? {});
  const row: DrillRow = {
    drill: report.drill,
    ok: load.ok,
    failures: load.failures.counts,
    longestStallMs: load.longestStallMs,
    recoverMs,
    ...(report.recoverFrom !== undefined ? { recoverFrom: report.recoverFrom } : {}),
    ackLost: counters.length === 0 ? null : counters.reduce((sum, c) => sum + c.lost, 0),
    ...(report.client !== undefined ? { client: clientFigures(load, report.client) } : {}),
  };
  const round = (value: number) => Math.round(value);
  recordDrill(
    row,
    {
      'duration ms': round(load.durationMs),
      'longest stall began at ms': round(load.longestStallAtMs),
      'slowest ok call ms': round(load.maxOkLatencyMs),
      'slowest call ms': round(load.maxLatencyMs),
      'pending calls after settle': load.pending,
      'calls ok by caller': load.okByLabel,
      marks: Object.fromEntries(
        Object.entries(load.marks).map(([name, mark]) => [
          name,
          {
            atMs: round(mark.atMs),
            firstSuccessAfterMs:
              mark.firstSuccessAfterMs === null ? null : round(mark.firstSuccessAfterMs),
            byCaller: Object.fromEntries(
              Object.entries(mark.firstSuccessAfterByLabelMs).map(([label, ms]) => [
                label,
                round(ms),
              ]),
            ),
          },
        ]),
      ),
      'failure latency ms (min..max)': Object.fromEntries(
        Object.entries(load.failures.latency).map(([code, r]) => [
          code,
          `${round(r.min)}..${round(r.max)}`,
        ]),
      ),
      'failure samples': load.failures.samples,
      ...(allCounters ? { counters: allCounters } : {}),
      ...report.details,
    },
    report.resultsFile,
  );
  return row;
}

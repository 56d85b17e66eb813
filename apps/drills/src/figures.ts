import type { LedgerComparison } from './counters.js';
import type { LoadResult } from './load.js';
import { recordDrill } from './report.js';
import type { DrillRow } from './table.js';

/** Options for {@link reportDrill}. */
export interface DrillReport {
  drill: string;
  load: LoadResult;
  /** Mark the recovery time is measured from; omit when not measured. */
  recoverFrom?: string;
  /** Acknowledged vs final counters; omit when the drill does not count. */
  counters?: Record<string, LedgerComparison>;
  /** Anything else worth printing (stats, peaks, tolerances). */
  details?: Record<string, unknown>;
  /** The JSON-lines file from `inject('drillResults')`. */
  resultsFile?: string;
}

/**
 * Time from `mark` until every kind of caller (labels: `main`, `tx`) has
 * succeeded again: service is back when the slowest path is back.
 */
export function recovery(load: LoadResult, mark: string): number | 'never' {
  const byLabel = load.marks[mark]?.firstSuccessAfterByLabelMs ?? {};
  let slowest = 0;
  for (const label of Object.keys(load.okByLabel)) {
    const after = byLabel[label];
    if (after === undefined) return 'never';
    slowest = Math.max(slowest, after);
  }
  return slowest;
}

/** Turn a drill's measurements into its table row, print its figures, and record the row. */
export function reportDrill(report: DrillReport): DrillRow {
  const { load } = report;
  const recoverMs = report.recoverFrom === undefined ? null : recovery(load, report.recoverFrom);
  const counters = Object.values(report.counters ?? {});
  const row: DrillRow = {
    drill: report.drill,
    ok: load.ok,
    failures: load.failures.counts,
    longestStallMs: load.longestStallMs,
    recoverMs,
    ...(report.recoverFrom !== undefined ? { recoverFrom: report.recoverFrom } : {}),
    ackLost: counters.length === 0 ? null : counters.reduce((sum, c) => sum + c.lost, 0),
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
      ...(report.counters ? { counters: report.counters } : {}),
      ...report.details,
    },
    report.resultsFile,
  );
  return row;
}

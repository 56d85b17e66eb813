// The two tables of the pool benchmark that are not interleaved contender tables: lease overhead
// and the classic one-key scenario. Here so that the bench and `pnpm figures` draw them alike.
import { formatNumber, markdownTable } from './report.js';

/** One pool's acquire + release rate. */
export interface LeaseOverheadRow {
  name: string;
  /** Acquire + release per second, median round. */
  median: number;
  /** Acquire + release per second, every round. */
  rounds: number[];
}

/** One way of serving concurrent callers that each read one key. */
export interface ClassicRow {
  name: string;
  calls: number;
  callsPerSecond: number;
  /** Latency per call, ms. */
  p50: number;
  p99: number;
  peakConnections: number;
  errors: number;
}

/** The lease overhead table, each pool's rate also as a ratio to the pool named `baseline`. */
export function leaseOverheadTable(rows: readonly LeaseOverheadRow[], baseline: string): string {
  const base = rows.find((row) => row.name === baseline)?.median;
  if (base === undefined) throw new Error(`no lease overhead row named "${baseline}"`);
  return markdownTable(
    ['pool', 'acquire+release/s', 'min–max of rounds', `vs ${baseline}`],
    rows.map(({ name, median, rounds }) => [
      name,
      formatNumber(median),
      `${formatNumber(Math.min(...rounds))}–${formatNumber(Math.max(...rounds))}`,
      `${formatNumber(median / base, 2)}×`,
    ]),
  );
}

/** The classic table, each row's calls/s also as a ratio to the first row's (a connection per call). */
export function classicTable(rows: readonly ClassicRow[]): string {
  const perCall = rows[0]?.callsPerSecond ?? 1;
  return markdownTable(
    [
      'way',
      'calls',
      'calls/s',
      'vs per-call',
      'p50 ms',
      'p99 ms',
      'peak server connections',
      'errors',
    ],
    rows.map((row) => [
      row.name,
      formatNumber(row.calls),
      formatNumber(row.callsPerSecond),
      `${formatNumber(row.callsPerSecond / perCall, 1)}×`,
      formatNumber(row.p50, 2),
      formatNumber(row.p99, 2),
      String(row.peakConnections),
      String(row.errors),
    ]),
  );
}

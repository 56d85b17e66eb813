// The demo experiment's report: written by `pnpm demo` (apps/demo), read back by `pnpm figures`,
// so both print the same table from the same shape.
import type { BenchEnvironment } from './environment.js';

/** One scenario's row of the experiment. */
export interface ExperimentRow {
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

/** Everything `pnpm demo --json` prints. */
export interface ExperimentReport {
  redis: { source: string; url: string; description: string };
  users: number;
  durationSeconds: number;
  /** `--keys`: which keys the users read (`distinct`, `zipf` or `hot`). */
  keys: string;
  scenarios: ExperimentRow[];
  verdict: string;
  /** Node, Redis, CPUs, load average at the start, date, git HEAD and the command that ran. */
  environment: BenchEnvironment;
}

const int = (n: number) => Math.round(n).toLocaleString('en-US');
const ms = (n: number) => (n >= 100 ? n.toFixed(0) : n >= 10 ? n.toFixed(1) : n.toFixed(2));

/** The rows as an aligned text table, then the errors by message. */
export function experimentTable(rows: readonly ExperimentRow[]): string {
  const header = [
    '#',
    'scenario',
    'calls/s',
    'p50 ms',
    'p99 ms',
    'errors',
    'peak conns',
    'round trips/call',
  ];
  const cells = rows.map((r, i) => [
    String(i + 1),
    r.title,
    int(r.callsPerSecond),
    ms(r.p50Ms),
    ms(r.p99Ms),
    int(r.errors.total),
    int(r.peakConnections),
    r.roundTripsPerCall.toFixed(1),
  ]);
  const widths = header.map((h, c) =>
    Math.max(h.length, ...cells.map((row) => (row[c] ?? '').length)),
  );
  const line = (row: readonly string[]) =>
    row
      .map((cell, c) => (c === 1 ? cell.padEnd(widths[c] ?? 0) : cell.padStart(widths[c] ?? 0)))
      .join('  ');
  const out = [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...cells.map(line)];
  const errorLines = rows.flatMap((r, i) =>
    Object.entries(r.errors.byMessage)
      .sort((a, b) => b[1] - a[1])
      .map(([message, count]) => `  ${i + 1} ${r.title}: ${int(count)} × ${message}`),
  );
  if (errorLines.length > 0) out.push('', 'errors by message:', ...errorLines);
  return out.join('\n');
}

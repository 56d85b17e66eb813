import type { BenchEnvironment } from '@hitpool/workload';
import type { ScenarioResult } from './experiment.js';
import type { KeyMode } from './keys.js';

/** Everything `--json` prints. */
export interface ExperimentReport {
  redis: { source: string; url: string; description: string };
  users: number;
  durationSeconds: number;
  /** `--keys`: which keys the users read. */
  keys: KeyMode;
  scenarios: ScenarioResult[];
  verdict: string;
  /** Node, Redis, CPUs, load average at the start, date, git HEAD and the command that ran. */
  environment: BenchEnvironment;
}

const int = (n: number) => Math.round(n).toLocaleString('en-US');
const ms = (n: number) => (n >= 100 ? n.toFixed(0) : n >= 10 ? n.toFixed(1) : n.toFixed(2));

/** The results as an aligned text table, then the errors by message. */
export function formatTable(results: readonly ScenarioResult[]): string {
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
  const rows = results.map((r, i) => [
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
    Math.max(h.length, ...rows.map((row) => (row[c] ?? '').length)),
  );
  const line = (cells: readonly string[]) =>
    cells
      .map((cell, c) => (c === 1 ? cell.padEnd(widths[c] ?? 0) : cell.padStart(widths[c] ?? 0)))
      .join('  ');
  const out = [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)];
  const errorLines = results.flatMap((r, i) =>
    Object.entries(r.errors.byMessage)
      .sort((a, b) => b[1] - a[1])
      .map(([message, count]) => `  ${i + 1} ${r.title}: ${int(count)} × ${message}`),
  );
  if (errorLines.length > 0) out.push('', 'errors by message:', ...errorLines);
  return out.join('\n');
}

const plural = (n: number, word: string, digits = 0) =>
  `${digits > 0 ? n.toFixed(digits) : int(n)} ${word}${n === 1 ? '' : 's'}`;

/**
 * What hits.get did next to a connection per call, and next to the best hand-written way
 * (auto-pipelined ioredis `Promise.all([get, incr])`) when that scenario ran.
 */
export function verdict(results: readonly ScenarioResult[]): string {
  const perCall = results.find((r) => r.id === 'connection-per-call');
  const handWritten = results.find((r) => r.id === 'ioredis-promise-all');
  const hits = results.find((r) => r.id === 'hits-get');
  const best = [...results].sort((a, b) => b.callsPerSecond - a.callsPerSecond)[0];
  if (!perCall || !hits || !best) return 'verdict: not every scenario ran.';
  const ratio =
    perCall.callsPerSecond > 0
      ? `${(hits.callsPerSecond / perCall.callsPerSecond).toFixed(1)}× the calls of`
      : 'infinitely more calls than';
  const topError = Object.entries(perCall.errors.byMessage).sort((a, b) => b[1] - a[1])[0];
  const failures = topError
    ? ` and failed ${plural(perCall.errors.total, 'call')}, mostly "${topError[0]}"`
    : ' and failed no calls';
  const versusHandWritten = handWritten
    ? 'Next to what a user would write instead, Promise.all([get, incr]) on one auto-pipelined ioredis client ' +
      `(${int(handWritten.callsPerSecond)} calls/s), hits.get did ${
        handWritten.callsPerSecond > 0
          ? `${(hits.callsPerSecond / handWritten.callsPerSecond).toFixed(2)}×`
          : 'infinitely more'
      }. `
    : '';
  return (
    `verdict: hits.get did ${int(hits.callsPerSecond)} calls/s in ${plural(hits.roundTripsPerCall, 'round trip', 1)} ` +
    `on ${plural(hits.peakConnections, 'connection')}, ${ratio} a new connection per call, which did ` +
    `${int(perCall.callsPerSecond)} calls/s on up to ${plural(perCall.peakConnections, 'connection')}${failures}. ` +
    versusHandWritten +
    `Fastest: ${best.title}, ${int(best.callsPerSecond)} calls/s.`
  );
}

import { writeFileSync } from 'node:fs';
import type { ContenderResult } from './interleave.js';

/** `n` with thousands separators and exactly `digits` decimals. */
export function formatNumber(n: number, digits = 0): string {
  return n.toLocaleString('en-US', {
    minimumFractionDigits: digits,
    maximumFractionDigits: digits,
  });
}

/** A Markdown table. */
export function markdownTable(
  header: readonly string[],
  rows: ReadonlyArray<readonly string[]>,
): string {
  return [header, header.map(() => '---'), ...rows]
    .map((row) => `| ${row.join(' | ')} |`)
    .join('\n');
}

/** A column of {@link contenderTable}: every row's calls/s divided by the named contender's. */
export interface PeerColumn {
  /** Column header, e.g. `× Promise.all`. */
  header: string;
  /** `name` of the contender to divide by. */
  name: string;
}

/** Calls/s of `name` in `results` (median round); throws when it is missing. */
export function callsPerSecondOf(results: readonly ContenderResult[], name: string): number {
  const found = results.find((result) => result.name === name);
  if (!found) throw new Error(`no contender named "${name}"`);
  return found.median.callsPerSecond;
}

function errorCount(result: ContenderResult): number {
  let total = 0;
  for (const round of result.rounds) for (const count of round.errors.values()) total += count;
  return total;
}

/** Options of {@link contenderTable}. */
export interface ContenderTableOptions {
  /**
   * The short form READMEs quote: no min–max, no p50 and no list of commands by name (the
   * error list stays). Default false.
   */
  brief?: boolean;
}

/**
 * The standard table: calls/s of the median round, min–max of the rounds, p50/p99 of the
 * median round, one ratio column per peer, commands per call and server CPU ms per 1,000 calls
 * (when measured), failed calls over all rounds; then the commands per call by name (when
 * measured, those under 0.005 per call left out) and the error messages, if any.
 */
export function contenderTable(
  results: readonly ContenderResult[],
  peers: readonly PeerColumn[] = [],
  options: ContenderTableOptions = {},
): string {
  const full = options.brief !== true;
  const peerRates = peers.map((peer) => callsPerSecondOf(results, peer.name));
  const header = [
    'contender',
    full ? 'calls/s (median)' : 'calls/s',
    ...(full ? ['min–max', 'p50 ms'] : []),
    'p99 ms',
    ...peers.map((peer) => peer.header),
    'commands/call',
    'server CPU ms/1k calls',
    'errors',
  ];
  const rows = results.map((result) => {
    const { median } = result;
    return [
      result.name,
      formatNumber(median.callsPerSecond),
      ...(full
        ? [
            `${formatNumber(result.minCallsPerSecond)}–${formatNumber(result.maxCallsPerSecond)}`,
            formatNumber(median.p50Ms, 2),
          ]
        : []),
      formatNumber(median.p99Ms, 2),
      ...peerRates.map((rate) => `${formatNumber(median.callsPerSecond / rate, 2)}×`),
      result.server ? formatNumber(result.server.commandsPerCall, 2) : '–',
      result.server ? formatNumber(result.server.cpuMsPer1000Calls, 2) : '–',
      formatNumber(errorCount(result)),
    ];
  });
  const errorLines: string[] = [];
  for (const result of results) {
    const byMessage = new Map<string, number>();
    for (const round of result.rounds)
      for (const [message, count] of round.errors)
        byMessage.set(message, (byMessage.get(message) ?? 0) + count);
    for (const [message, count] of byMessage)
      errorLines.push(`- ${result.name}: ${formatNumber(count)} × ${message}`);
  }
  const commandLines = full
    ? results.flatMap((result) => {
        if (!result.server) return [];
        const named = Object.entries(result.server.byCommand)
          .filter(([, perCall]) => perCall >= 0.005)
          .map(([name, perCall]) => `${name} ${formatNumber(perCall, 2)}`);
        return [`- ${result.name}: ${named.join(', ') || 'none'}`];
      })
    : [];
  return [
    markdownTable(header, rows),
    ...(commandLines.length > 0 ? [`Commands per call, by name:\n${commandLines.join('\n')}`] : []),
    ...(errorLines.length > 0 ? [`Errors:\n${errorLines.join('\n')}`] : []),
  ].join('\n\n');
}

/** A target ratio between two measurements, and whether this run reached it. */
export interface Goal {
  text: string;
  ratio: number;
  target: number;
  met: boolean;
  /** Printed after the ratio, e.g. a related figure that is not part of the goal. */
  note?: string;
}

/** Compare `value / baseline` with `target`. */
export function goal(
  text: string,
  value: number,
  baseline: number,
  target: number,
  note?: string,
): Goal {
  const ratio = baseline > 0 ? value / baseline : 0;
  return { text, ratio, target, met: ratio >= target, ...(note === undefined ? {} : { note }) };
}

/** `met    <text>: 2.31× (goal ≥ 2×)` or `MISSED <text>: …`, then the note if any. */
export function goalLine(g: Goal): string {
  const line = `${g.met ? 'met   ' : 'MISSED'} ${g.text}: ${formatNumber(g.ratio, 2)}× (goal ≥ ${g.target}×)`;
  return g.note === undefined ? line : `${line}; ${g.note}`;
}

/**
 * The end of a bench's report: its goals under `## Goals`, then, when `jsonPath` (`BENCH_JSON`)
 * is set, `result` written there as JSON.
 */
export function finishBench(
  goals: readonly Goal[],
  jsonPath: string | undefined,
  result: unknown,
): void {
  console.log('\n## Goals\n');
  for (const g of goals) console.log(goalLine(g));
  if (jsonPath === undefined) return;
  writeJson(jsonPath, result);
  process.stderr.write(`wrote ${jsonPath}\n`);
}

/** JSON text of `value`, with every `Map` written as an object. */
export function toJson(value: unknown): string {
  return JSON.stringify(
    value,
    (_key, v: unknown) => (v instanceof Map ? Object.fromEntries(v) : v),
    2,
  );
}

/** Write `value` as JSON to `path` (see {@link toJson}). */
export function writeJson(path: string, value: unknown): void {
  writeFileSync(path, `${toJson(value)}\n`);
}

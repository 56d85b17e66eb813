// The raw results `pnpm figures` reads from docs/results/, one file per producer, in the shape the
// producer writes (BENCH_JSON of the benches, `pnpm demo --json`, the drills' rows).
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { DrillRow } from '../drill-table.js';
import type { BenchEnvironment } from '../environment.js';
import type { ExperimentReport } from '../experiment-report.js';
import type { ContenderResult } from '../interleave.js';
import type { LoadResult } from '../load.js';
import type { ClassicRow, LeaseOverheadRow } from '../pool-tables.js';
import type { Goal } from '../report.js';

export type { DrillRow };

/** {@link BenchEnvironment} as a file records it; files written before `command` existed lack it. */
export type RecordedEnvironment = Omit<BenchEnvironment, 'command'> & { command?: string };

/** The `BENCH_*` settings a bench run records. */
export interface RecordedSettings {
  rounds: number;
  roundMs: number;
  warmupMs: number;
  jsonPath?: string;
}

/** One workload's table of an interleaved section. */
export interface RecordedSection {
  title: string;
  workload: 'distinct' | 'zipf' | 'hot';
  /** Absent in the pool bench, whose sections are all standalone. */
  topology?: 'standalone' | 'cluster';
  results: ContenderResult[];
}

/** `BENCH_JSON` of `pnpm --filter @hitpool/hits bench`. */
export interface HitsBenchResult {
  bench: '@hitpool/hits';
  environment: RecordedEnvironment;
  callers: number;
  settings: RecordedSettings;
  keyCount: number;
  valueBytes: number;
  sections: RecordedSection[];
  goals: Goal[];
}

/**
 * How long after a writer's `SET` reply a `get` of the cached buffered tracker could still return
 * the old value, under the bench's callers and writes.
 */
export interface RecordedStaleness {
  probes: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  /** Calls/s the tracker served meanwhile. */
  callsPerSecond: number;
  /** Keys Redis reported changed, per second. */
  invalidationsPerSecond: number;
}

/** Several processes, each with its own cached tracker, counting the same keys. */
export interface RecordedProcesses {
  count: number;
  callersEach: number;
  durationMs: number;
  runs: Array<{
    writesPerSecond: number;
    /** All processes together. */
    callsPerSecond: number;
    /** Per process, the mean over the processes. */
    invalidationsPerSecond: number;
  }>;
}

/** `BENCH_JSON` of `pnpm --filter @hitpool/hits bench:cache` (packages/hits/bench/cache.ts). */
export interface HitsCacheBenchResult {
  bench: '@hitpool/hits cache';
  environment: RecordedEnvironment;
  callers: number;
  settings: RecordedSettings;
  keyCount: number;
  maxKeys: number;
  valueBytes: number;
  /** Keys another client rewrites per second during the contenders' rounds and the probes. */
  writesPerSecond: number;
  /** One interleaved table: Zipf(1) over `keyCount` keys. */
  results: ContenderResult[];
  staleness: RecordedStaleness;
  /** Heap bytes per cached entry. */
  bytesPerEntry: number;
  /** Absent in runs of the bench before it measured several processes. */
  processes?: RecordedProcesses;
  goals: Goal[];
}

/** `BENCH_JSON` of `pnpm --filter @hitpool/pool bench`. */
export interface PoolBenchResult {
  bench: '@hitpool/pool';
  environment: RecordedEnvironment;
  settings: RecordedSettings;
  callers: number;
  valueBytes: number;
  leaseOverhead: {
    borrowers: number;
    resources: number;
    contenders: LeaseOverheadRow[];
  };
  realistic: RecordedSection[];
  classic: ClassicRow[];
  goals: Goal[];
}

/** `pnpm demo --json`; reports written before the demo recorded where it ran lack `environment`. */
export type DemoResult = Omit<ExperimentReport, 'environment'> & {
  environment?: RecordedEnvironment;
};

/** A drill run: the rows apps/drills writes to rows.jsonl, and where they ran if recorded. */
export interface DrillsResult {
  environment?: RecordedEnvironment;
  rows: DrillRow[];
}

/** Everything found in docs/results/, each with the path it came from (from the repository root). */
export interface RawResults {
  hits?: { path: string; result: HitsBenchResult };
  hitsCache?: { path: string; result: HitsCacheBenchResult };
  pool?: { path: string; result: PoolBenchResult };
  demo?: { path: string; result: DemoResult };
  drills?: { path: string; result: DrillsResult };
}

/** Folder of the raw results, from the repository root. */
export const RESULTS_DIR = 'docs/results';

/** The file names `pnpm figures` reads, and what each holds. */
export const RESULT_FILES: Readonly<Record<string, string>> = {
  'hits-bench.json': 'BENCH_JSON of `pnpm --filter @hitpool/hits bench`',
  'hits-cache-bench.json': 'BENCH_JSON of `pnpm --filter @hitpool/hits bench:cache`',
  'pool-bench.json': 'BENCH_JSON of `pnpm --filter @hitpool/pool bench`',
  'demo.json': 'stdout of `pnpm demo --json`',
  'drills.json': '`{ environment, rows }`: the drills’ rows with where they ran',
  'drills.jsonl': 'the drills’ rows.jsonl as written (one row a line; where they ran not recorded)',
};

/** Thrown when a raw result is missing, unknown or not in the shape its producer writes. */
export class RawResultError extends Error {
  override readonly name = 'RawResultError';
}

function check(condition: boolean, path: string, what: string): void {
  if (!condition) throw new RawResultError(`${path}: ${what}`);
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function checkEnvironment(value: unknown, path: string): void {
  check(isObject(value), path, 'no "environment" object');
  const env = value as Record<string, unknown>;
  for (const field of ['node', 'redisVersion', 'date', 'gitHead'])
    check(typeof env[field] === 'string', path, `environment.${field} is not a string`);
  check(typeof env.cpus === 'number', path, 'environment.cpus is not a number');
  check(Array.isArray(env.loadAverage), path, 'environment.loadAverage is not a list');
}

function hasArrays(value: Record<string, unknown>, fields: string[], path: string): void {
  for (const field of fields) check(Array.isArray(value[field]), path, `"${field}" is not a list`);
}

/** `errors` of a load result is a Map in memory and an object in JSON: make it a Map again. */
function reviveLoad(load: LoadResult): LoadResult {
  return { ...load, errors: new Map(Object.entries(load.errors as unknown as object)) };
}

function reviveResults(results: ContenderResult[]): ContenderResult[] {
  return results.map((result) => ({
    ...result,
    median: reviveLoad(result.median),
    rounds: result.rounds.map(reviveLoad),
  }));
}

function reviveSections(sections: RecordedSection[]): RecordedSection[] {
  return sections.map((section) => ({ ...section, results: reviveResults(section.results) }));
}

/** Parse one raw result file's text; `name` is its file name, `path` how errors name it. */
export function parseRawResult(name: string, path: string, text: string): RawResults {
  if (name === 'drills.jsonl') {
    const rows = text
      .split('\n')
      .filter((line) => line.trim() !== '')
      .map((line) => JSON.parse(line) as DrillRow);
    return { drills: { path, result: { rows } } };
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new RawResultError(`${path}: not JSON (${(error as Error).message})`);
  }
  check(isObject(value), path, 'not a JSON object');
  const raw = value as Record<string, unknown>;
  switch (name) {
    case 'hits-bench.json': {
      check(raw.bench === '@hitpool/hits', path, 'its "bench" is not "@hitpool/hits"');
      checkEnvironment(raw.environment, path);
      hasArrays(raw, ['sections', 'goals'], path);
      const result = raw as unknown as HitsBenchResult;
      return { hits: { path, result: { ...result, sections: reviveSections(result.sections) } } };
    }
    case 'hits-cache-bench.json': {
      check(raw.bench === '@hitpool/hits cache', path, 'its "bench" is not "@hitpool/hits cache"');
      checkEnvironment(raw.environment, path);
      hasArrays(raw, ['results', 'goals'], path);
      check(isObject(raw.staleness), path, 'no "staleness" object');
      check(typeof raw.bytesPerEntry === 'number', path, '"bytesPerEntry" is not a number');
      if (raw.processes !== undefined) {
        check(isObject(raw.processes), path, '"processes" is not an object');
        check(
          Array.isArray((raw.processes as Record<string, unknown>).runs),
          path,
          'processes.runs is not a list',
        );
      }
      const result = raw as unknown as HitsCacheBenchResult;
      return {
        hitsCache: { path, result: { ...result, results: reviveResults(result.results) } },
      };
    }
    case 'pool-bench.json': {
      check(raw.bench === '@hitpool/pool', path, 'its "bench" is not "@hitpool/pool"');
      checkEnvironment(raw.environment, path);
      hasArrays(raw, ['realistic', 'classic', 'goals'], path);
      check(isObject(raw.leaseOverhead), path, 'no "leaseOverhead" object');
      const result = raw as unknown as PoolBenchResult;
      return { pool: { path, result: { ...result, realistic: reviveSections(result.realistic) } } };
    }
    case 'demo.json': {
      hasArrays(raw, ['scenarios'], path);
      check(typeof raw.verdict === 'string', path, 'no "verdict"');
      if (raw.environment !== undefined) checkEnvironment(raw.environment, path);
      return { demo: { path, result: raw as unknown as DemoResult } };
    }
    case 'drills.json': {
      hasArrays(raw, ['rows'], path);
      if (raw.environment !== undefined) checkEnvironment(raw.environment, path);
      return { drills: { path, result: raw as unknown as DrillsResult } };
    }
    default:
      throw new RawResultError(
        `${path}: not a raw result pnpm figures knows; expected one of ${Object.keys(RESULT_FILES).join(', ')}`,
      );
  }
}

/** Read every raw result under `root`/docs/results (none when the folder is missing). */
export function readRawResults(root: string): RawResults {
  const dir = join(root, RESULTS_DIR);
  if (!existsSync(dir)) return {};
  const found: RawResults = {};
  for (const name of readdirSync(dir).sort()) {
    if (!name.endsWith('.json') && !name.endsWith('.jsonl')) continue;
    const path = `${RESULTS_DIR}/${name}`;
    const parsed = parseRawResult(name, path, readFileSync(join(dir, name), 'utf8'));
    if (parsed.drills && found.drills)
      throw new RawResultError(
        `${found.drills.path} and ${path} both hold drill rows: keep one of them`,
      );
    Object.assign(found, parsed);
  }
  return found;
}

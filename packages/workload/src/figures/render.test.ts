import { describe, expect, it } from 'vitest';
import { contenderResult } from '../../test/fixtures.js';
import { readBlocks } from './blocks.js';
import { renderFigures } from './render.js';
import {
  type DemoResult,
  type HitsCacheBenchResult,
  type PoolBenchResult,
  parseRawResult,
  RawResultError,
  type RecordedEnvironment,
} from './sources.js';

const environment: RecordedEnvironment = {
  node: 'v24.0.0',
  redisVersion: '7.0.15',
  cpus: 2,
  loadAverage: [1.5, 1, 0.5],
  date: '2026-01-02T03:04:05.678Z',
  gitHead: 'abc1234',
  gitDirty: false,
};

const contender = (name: string, callsPerSecond: number) => contenderResult(name, [callsPerSecond]);

function poolResult(env: RecordedEnvironment): PoolBenchResult {
  const section = (workload: 'distinct' | 'zipf' | 'hot') => ({
    title: `${workload} keys`,
    workload,
    results: [
      contender('ioredis get(k), enableAutoPipelining, no commandTimeout', 100),
      contender('pool.client.get(k), createPool({ url })', 150),
    ],
  });
  return {
    bench: '@hitpool/pool',
    environment: env,
    settings: { rounds: 3, roundMs: 500, warmupMs: 100, jsonPath: '/tmp/p.json' },
    callers: 200,
    valueBytes: 100,
    leaseOverhead: {
      borrowers: 100,
      resources: 10,
      contenders: [
        { name: '@hitpool/pool', median: 200, rounds: [190, 200, 210] },
        { name: 'generic-pool', median: 100, rounds: [90, 100, 110] },
      ],
    },
    realistic: [section('distinct'), section('zipf'), section('hot')],
    classic: [
      {
        name: 'new connection per call',
        calls: 10,
        callsPerSecond: 10,
        p50: 5,
        p99: 9,
        peakConnections: 200,
        errors: 0,
      },
    ],
    goals: [{ text: 'pool ≥ 0.95× ioredis', ratio: 1.5, target: 0.95, met: true }],
  };
}

/** The names of `NAMES` in packages/hits/bench/cache.ts. */
const CACHE_NAMES = {
  getOnly: 'ioredis get(k), no counting',
  promiseAll: 'ioredis Promise.all([get(k), incr(defaultHitKey(k))])',
  noCache: 'hits.get, no cache (pool)',
  cache: 'hits.get, cache (pool)',
  cacheBuffer: 'hits.get, cache + buffer (pool)',
};

function hitsCacheResult(env: RecordedEnvironment): HitsCacheBenchResult {
  return {
    bench: '@hitpool/hits cache',
    environment: env,
    callers: 200,
    settings: { rounds: 3, roundMs: 500, warmupMs: 100, jsonPath: '/tmp/c.json' },
    keyCount: 10_000,
    maxKeys: 5_000,
    valueBytes: 100,
    writesPerSecond: 1_000,
    results: [
      contender(CACHE_NAMES.getOnly, 100),
      contender(CACHE_NAMES.promiseAll, 50),
      contender(CACHE_NAMES.noCache, 200),
      contender(CACHE_NAMES.cache, 400),
      contender(CACHE_NAMES.cacheBuffer, 800),
    ],
    staleness: {
      probes: 1_234,
      p50Ms: 0.25,
      p99Ms: 1.5,
      maxMs: 3.125,
      callsPerSecond: 654_321.4,
      invalidationsPerSecond: 987.6,
    },
    bytesPerEntry: 321.7,
    goals: [{ text: 'staleness p99 ≤ 5 ms', ratio: 3.33, target: 1, met: true }],
  };
}

const parse = (name: string, value: unknown) =>
  parseRawResult(name, `docs/results/${name}`, JSON.stringify(value));

describe('docs/figures.md', () => {
  it('puts under every table its date, commit, versions, CPUs, load and the command rebuilt from the settings', () => {
    const figures = renderFigures(parse('pool-bench.json', poolResult(environment)));
    const blocks = readBlocks(figures, 'figures.md');
    // There even without its raw result (see the near cache tests below).
    blocks.delete('hits-cache');
    expect([...blocks.keys()]).toEqual([
      'pool-lease-overhead',
      'pool-distinct',
      'pool-zipf',
      'pool-hot',
      'pool-classic',
      'pool-goals',
    ]);
    const run =
      'Run: 2026-01-02 03:04 UTC · commit abc1234 · Node v24.0.0 · Redis 7.0.15 · 2 CPUs · load average 1.50 · ' +
      '`BENCH_JSON=/tmp/p.json BENCH_ROUNDS=3 BENCH_ROUND_MS=500 BENCH_WARMUP_MS=100 pnpm --filter @hitpool/pool bench`' +
      ' · raw result `docs/results/pool-bench.json`';
    for (const [name, block] of blocks) expect(block.endsWith(run), name).toBe(true);
    expect(blocks.get('pool-distinct')).toContain(
      '| pool.client.get(k), createPool({ url }) | 150 | 2.00 | 1.50× | – | – | 0 |',
    );
    expect(blocks.get('pool-lease-overhead')).toContain(
      '| @hitpool/pool | 200 | 190–210 | 2.00× |',
    );
    expect(blocks.get('pool-goals')).toContain('met    pool ≥ 0.95× ioredis: 1.50× (goal ≥ 0.95×)');
    expect(figures).toContain('the run predates recording its command');
    expect(figures).toContain('| load average at the start | 1.50, 1.00, 0.50 (1, 5, 15 min) |');
  });

  it('uses the command a run recorded, and says when the tree had uncommitted changes', () => {
    const recorded = {
      ...environment,
      gitDirty: true,
      command: 'pnpm --filter @hitpool/pool bench',
    };
    const figures = renderFigures(parse('pool-bench.json', poolResult(recorded)));
    expect(figures).toContain('commit abc1234 (with uncommitted changes)');
    expect(figures).toContain('· `pnpm --filter @hitpool/pool bench` ·');
    expect(figures).not.toContain('predates');
  });

  it('renders the demo with its errors and verdict, and the drills sorted by number', () => {
    const demo: DemoResult = {
      redis: { source: 'private', url: 'redis://127.0.0.1:1', description: 'a private server' },
      users: 200,
      durationSeconds: 3,
      keys: 'distinct',
      scenarios: [
        {
          id: 'connection-per-call',
          title: 'new connection per call',
          calls: 100,
          callsPerSecond: 513.4,
          p50Ms: 242.2,
          p99Ms: 12.345,
          errors: { total: 7, byMessage: { 'ERR max number of clients reached': 7 } },
          peakConnections: 126,
          roundTripsPerCall: 4,
        },
      ],
      verdict: 'verdict: fine.',
    };
    const rows = [
      { drill: '10 later', ok: 5, failures: {}, longestStallMs: 1, recoverMs: null, ackLost: null },
      { drill: '2 earlier', ok: 7, failures: {}, longestStallMs: 2, recoverMs: 3, ackLost: 0 },
    ];
    const figures = renderFigures({
      ...parse('demo.json', demo),
      ...parseRawResult(
        'drills.jsonl',
        'docs/results/drills.jsonl',
        rows.map((row) => JSON.stringify(row)).join('\n'),
      ),
    });
    const blocks = readBlocks(figures, 'figures.md');
    // The table the demo prints on a terminal, in a code block.
    expect(blocks.get('demo')).toContain(
      [
        '```text',
        '#  scenario                 calls/s  p50 ms  p99 ms  errors  peak conns  round trips/call',
        '-  -----------------------  -------  ------  ------  ------  ----------  ----------------',
        '1  new connection per call      513     242    12.3       7         126               4.0',
        '',
        'errors by message:',
        '  1 new connection per call: 7 × ERR max number of clients reached',
        '```',
      ].join('\n'),
    );
    expect(blocks.get('demo')).toContain('verdict: fine.');
    expect(blocks.get('demo')).toContain(
      '`pnpm --filter @hitpool/demo experiment --users 200 --duration 3 --keys distinct --private --json`',
    );
    const drills = blocks.get('drills') ?? '';
    expect(drills.indexOf('| 2 earlier |')).toBeLessThan(drills.indexOf('| 10 later |'));
    expect(drills).toContain('Run: where and when not recorded · command not recorded');
  });
});

describe('the near cache bench', () => {
  const run =
    'Run: 2026-01-02 03:04 UTC · commit abc1234 · Node v24.0.0 · Redis 7.0.15 · 2 CPUs · load average 1.50 · ' +
    '`BENCH_JSON=/tmp/c.json BENCH_ROUNDS=3 BENCH_ROUND_MS=500 BENCH_WARMUP_MS=100 pnpm --filter @hitpool/hits bench:cache`' +
    ' · raw result `docs/results/hits-cache-bench.json`';

  it('renders its table with the ratio columns, the staleness, the memory and the goals', () => {
    const figures = renderFigures(parse('hits-cache-bench.json', hitsCacheResult(environment)));
    const block = readBlocks(figures, 'figures.md').get('hits-cache') ?? '';
    expect(block).toContain(
      '| contender | calls/s | p99 ms | × get only | × Promise.all | × no cache | commands/call | server CPU ms/1k calls | errors |',
    );
    expect(block).toContain(
      '| hits.get, cache + buffer (pool) | 800 | 2.00 | 8.00× | 16.00× | 4.00× |',
    );
    expect(block).toContain(
      'p50 0.25 ms, p99 1.50 ms, max 3.13 ms over 1,234 probes, while serving 654,321 calls/s; 988 invalidated keys/s.',
    );
    expect(block).not.toContain('processes');
    expect(block.endsWith(run)).toBe(true);
    expect(figures).toContain('## @hitpool/hits cache benchmark');
    expect(figures).toContain('| hits.get, cache + buffer (pool) | 800 | 800–800 | 1.00 |');
    // In the block the hits README quotes: the memory per cached key is part of what it documents.
    expect(block).toContain('**Memory**: 322 bytes of heap per cached entry (5,000 entries');
    expect(figures).toContain('met    staleness p99 ≤ 5 ms: 3.33× (goal ≥ 1×)');
    expect(figures).not.toContain('No run recorded');
  });

  it('adds a row per run of several processes when the result has them', () => {
    const result: HitsCacheBenchResult = {
      ...hitsCacheResult(environment),
      processes: {
        count: 4,
        callersEach: 50,
        durationMs: 5_000,
        runs: [
          { writesPerSecond: 0, callsPerSecond: 1_200_000.4, invalidationsPerSecond: 0 },
          { writesPerSecond: 1_000, callsPerSecond: 900_000, invalidationsPerSecond: 812.5 },
        ],
      },
    };
    const block =
      readBlocks(renderFigures(parse('hits-cache-bench.json', result)), 'figures.md').get(
        'hits-cache',
      ) ?? '';
    expect(block).toContain(
      [
        '**4 processes × 50 callers counting the same keys**, 5,000 ms per run',
        '',
        '| run | writes/s | calls/s, all processes | invalidated keys/s per process (mean) |',
        '| --- | --- | --- | --- |',
        '| 1 | 0 | 1,200,000 | 0 |',
        '| 2 | 1,000 | 900,000 | 813 |',
      ].join('\n'),
    );
    expect(block.endsWith(run)).toBe(true);
  });

  it('without its raw result, its block says how to record one', () => {
    const block = readBlocks(renderFigures({}), 'figures.md').get('hits-cache');
    expect(block).toBe(
      'No run recorded yet (no `docs/results/hits-cache-bench.json`): record one with ' +
        '`BENCH_JSON=$PWD/docs/results/hits-cache-bench.json ./pnpmw --filter @hitpool/hits bench:cache`, then run `./pnpmw figures`.',
    );
  });

  it('refuses a file of another bench or without its staleness, and revives error counts', () => {
    const result = hitsCacheResult(environment);
    expect(() => parse('hits-cache-bench.json', result.results)).toThrow(RawResultError);
    expect(() => parse('hits-cache-bench.json', { ...result, bench: '@hitpool/hits' })).toThrow(
      /its "bench" is not "@hitpool\/hits cache"/,
    );
    expect(() => parse('hits-cache-bench.json', { ...result, staleness: undefined })).toThrow(
      /hits-cache-bench\.json: no "staleness" object/,
    );
    expect(() =>
      parse('hits-cache-bench.json', { ...result, processes: { count: 2, runs: {} } }),
    ).toThrow(/processes\.runs is not a list/);
    expect(() => parse('hits-bench.json', result)).toThrow(RawResultError);
    const withErrors = {
      ...result,
      results: [contenderResult(CACHE_NAMES.cache, [1, 2, 3], [['boom', 2]])],
    };
    const json = JSON.parse(
      JSON.stringify(withErrors, (_k, v: unknown) =>
        v instanceof Map ? Object.fromEntries(v) : v,
      ),
    );
    const parsed = parse('hits-cache-bench.json', json).hitsCache?.result.results[0];
    expect(parsed?.median.errors).toEqual(new Map([['boom', 2]]));
    expect(parsed?.rounds.map((round) => round.errors)).toEqual([
      new Map([['boom', 2]]),
      new Map([['boom', 2]]),
      new Map([['boom', 2]]),
    ]);
  });
});

describe('raw results', () => {
  it('refuses files it does not know, files of another bench and text that is not JSON', () => {
    expect(() => parse('notes.json', {})).toThrow(
      /notes\.json: not a raw result pnpm figures knows/,
    );
    expect(() => parse('hits-bench.json', poolResult(environment))).toThrow(
      /its "bench" is not "@hitpool\/hits"/,
    );
    expect(() => parseRawResult('pool-bench.json', 'p', '{')).toThrow(RawResultError);
    expect(() => parse('pool-bench.json', { ...poolResult(environment), environment: {} })).toThrow(
      /environment\.node is not a string/,
    );
  });

  it('turns error counts back into Maps', () => {
    const result = poolResult(environment);
    const first = result.realistic[0]?.results[0];
    if (first) first.median.errors = new Map([['boom', 2]]);
    const json = JSON.parse(
      JSON.stringify(result, (_k, v: unknown) => (v instanceof Map ? Object.fromEntries(v) : v)),
    );
    const parsed = parse('pool-bench.json', json).pool?.result.realistic[0]?.results[0];
    expect(parsed?.median.errors).toEqual(new Map([['boom', 2]]));
  });
});

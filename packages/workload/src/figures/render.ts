// docs/figures.md from the raw results: per producer, where and how it ran, then its tables.
// Each table READMEs quote sits between `<!-- figures:NAME:start/end -->` markers; `pnpm figures`
// copies those blocks, exactly as they stand here, into every README that has the same markers.
import { drillTable } from '../drill-table.js';
import { benchCommand } from '../environment.js';
import { experimentTable } from '../experiment-report.js';
import { classicTable, leaseOverheadTable } from '../pool-tables.js';
import {
  type ContenderTableOptions,
  contenderTable,
  formatNumber,
  type Goal,
  goalLine,
  markdownTable,
  type PeerColumn,
} from '../report.js';
import {
  type DemoResult,
  type DrillsResult,
  type HitsBenchResult,
  type HitsCacheBenchResult,
  type PoolBenchResult,
  type RawResults,
  RESULTS_DIR,
  type RecordedEnvironment,
  type RecordedProcesses,
  type RecordedSection,
  type RecordedSettings,
  type RecordedStaleness,
} from './sources.js';

/** Peers of the hits bench tables, by contender name (packages/hits/bench/contenders.ts). */
const HITS_PEERS = {
  promiseAll: {
    header: '× Promise.all',
    name: 'ioredis Promise.all([get(k), incr(defaultHitKey(k))])',
  },
  getOnly: { header: '× get only', name: 'ioredis get(k), no counting (ceiling)' },
  seed: { header: '× seed pipeline', name: 'seed: ioredis pipeline().get(k).incr(k_hit).exec()' },
  cluster: {
    header: '× hand-written',
    name: 'ioredis Cluster Promise.all([get(k), incr(defaultHitKey(k))])',
  },
} as const satisfies Record<string, PeerColumn>;

/**
 * Peers of the near cache bench's table, by contender name (`NAMES` in
 * packages/hits/bench/cache.ts).
 */
const HITS_CACHE_PEERS = {
  getOnly: { header: '× get only', name: 'ioredis get(k), no counting' },
  promiseAll: HITS_PEERS.promiseAll,
  noCache: { header: '× no cache', name: 'hits.get, no cache (pool)' },
} as const satisfies Record<string, PeerColumn>;

/** The peer of the pool bench's interleaved tables (packages/pool/bench/realistic.ts). */
const POOL_PEER: PeerColumn = {
  header: '× ioredis get',
  name: 'ioredis get(k), enableAutoPipelining, no commandTimeout',
};

/** `<!-- figures:NAME:start -->`, block, `<!-- figures:NAME:end -->`. */
export function markedBlock(name: string, body: string): string {
  return `<!-- figures:${name}:start -->\n${body}\n<!-- figures:${name}:end -->`;
}

/** `2026-11-27T16:53:53.650Z` → `2026-11-27 16:53 UTC`. */
function when(iso: string): string {
  const match = /^(\d{4}-\d\d-\d\d)T(\d\d:\d\d)/.exec(iso);
  return match ? `${match[1]} ${match[2]} UTC` : iso;
}

function commit(env: RecordedEnvironment): string {
  return `${env.gitHead}${env.gitDirty ? ' (with uncommitted changes)' : ''}`;
}

/** How a run is told apart: what ran, and where. */
interface Run {
  path: string;
  environment: RecordedEnvironment | undefined;
  command: string | undefined;
  /** The command was rebuilt from the settings the file records, not recorded by the run. */
  rebuilt: boolean;
}

/** The one line under every table: date, commit, versions, CPUs, load, command, raw result. */
function runLine(run: Run): string {
  const env = run.environment;
  const command = run.command === undefined ? 'command not recorded' : `\`${run.command}\``;
  if (env === undefined)
    return `Run: where and when not recorded · ${command} · raw result \`${run.path}\``;
  const load = env.loadAverage[0];
  return [
    `Run: ${when(env.date)}`,
    `commit ${commit(env)}`,
    `Node ${env.node}`,
    `Redis ${env.redisVersion}`,
    `${env.cpus} CPUs`,
    `load average ${load === undefined ? 'not recorded' : load.toFixed(2)}`,
    command,
    `raw result \`${run.path}\``,
  ].join(' · ');
}

/** The table of a run's particulars at the head of its section in docs/figures.md. */
function runTable(run: Run, settings: string): string {
  const env = run.environment;
  const rows: string[][] = [['raw result', `\`${run.path}\``]];
  if (env === undefined) rows.push(['where and when', 'not recorded']);
  else
    rows.push(
      ['date', when(env.date)],
      ['commit', commit(env)],
      ['Node', env.node],
      ['Redis', env.redisVersion],
      ['CPUs', String(env.cpus)],
      [
        'load average at the start',
        `${env.loadAverage.map((n) => n.toFixed(2)).join(', ')} (1, 5, 15 min)`,
      ],
    );
  rows.push([
    'command',
    run.command === undefined
      ? 'not recorded'
      : `\`${run.command}\`${run.rebuilt ? ' (rebuilt from the settings the file records; the run predates recording its command)' : ''}`,
  ]);
  rows.push(['settings', settings]);
  return markdownTable(['run', ''], rows);
}

/** The package script a bench runs as: what a command predating the record is rebuilt with. */
interface BenchScript {
  package: string;
  script: string;
}

function benchRun(
  path: string,
  script: BenchScript,
  environment: RecordedEnvironment,
  settings: RecordedSettings,
): Run {
  if (environment.command !== undefined)
    return { path, environment, command: environment.command, rebuilt: false };
  const env: NodeJS.ProcessEnv = {
    BENCH_ROUNDS: String(settings.rounds),
    BENCH_ROUND_MS: String(settings.roundMs),
    BENCH_WARMUP_MS: String(settings.warmupMs),
    ...(settings.jsonPath === undefined ? {} : { BENCH_JSON: settings.jsonPath }),
    npm_package_name: script.package,
    npm_lifecycle_event: script.script,
  };
  return { path, environment, command: benchCommand(env, ['node', 'bench']), rebuilt: true };
}

function benchSettingsText(settings: RecordedSettings, callers: number, extra: string): string {
  return `${callers} closed-loop callers; median of ${settings.rounds} interleaved rounds of ${formatNumber(settings.roundMs)} ms per contender after a ${formatNumber(settings.warmupMs)} ms warm-up; ${extra}`;
}

function goalsBlock(goals: readonly Goal[], run: Run): string {
  return ['```', ...goals.map(goalLine), '```', '', runLine(run)].join('\n');
}

/** One interleaved table: the block (brief) for READMEs, then every column. */
function sectionText(
  block: string,
  section: RecordedSection,
  peers: readonly PeerColumn[],
  run: Run,
  note = '',
): string {
  const table = (options: ContenderTableOptions) => contenderTable(section.results, peers, options);
  return [
    `### \`${block}\``,
    markedBlock(
      block,
      `**${section.title}**${note}\n\n${table({ brief: true })}\n\n${runLine(run)}`,
    ),
    `Every column:\n\n${table({})}`,
  ].join('\n\n');
}

/** Finds a recorded section of `sections` by workload and topology; throws naming `path` when it is missing. */
function sectionsOf(sections: readonly RecordedSection[], path: string) {
  return (
    workload: RecordedSection['workload'],
    topology: RecordedSection['topology'] = 'standalone',
  ): RecordedSection => {
    const found = sections.find(
      (section) => section.workload === workload && (section.topology ?? 'standalone') === topology,
    );
    if (!found) throw new Error(`${path}: no ${topology} ${workload} section`);
    return found;
  };
}

/** A bench's run, and its heading with the table of where and how it ran, its settings and `note`. */
function benchStart(
  path: string,
  result: {
    bench: string;
    environment: RecordedEnvironment;
    settings: RecordedSettings;
    callers: number;
  },
  script: BenchScript,
  note: string,
): { run: Run; heading: string[] } {
  const run = benchRun(path, script, result.environment, result.settings);
  const heading = [
    `## ${result.bench} benchmark`,
    runTable(run, benchSettingsText(result.settings, result.callers, note)),
  ];
  return { run, heading };
}

function hitsText(path: string, result: HitsBenchResult): string {
  const { run, heading } = benchStart(
    path,
    result,
    { package: '@hitpool/hits', script: 'bench' },
    `${formatNumber(result.keyCount)} keys; ${result.valueBytes}-byte values; peers on ioredis with enableAutoPipelining and no commandTimeout; commands/call and server CPU over all rounds of a contender`,
  );
  const { promiseAll, getOnly, seed, cluster } = HITS_PEERS;
  const section = sectionsOf(result.sections, path);
  return [
    ...heading,
    sectionText('hits-distinct', section('distinct'), [promiseAll, getOnly], run),
    sectionText('hits-zipf', section('zipf'), [promiseAll, getOnly], run),
    sectionText(
      'hits-cluster',
      section('distinct', 'cluster'),
      [cluster],
      run,
      ': commands and server CPU summed over the masters',
    ),
    sectionText('hits-hot', section('hot'), [seed, promiseAll, getOnly], run),
    '### `hits-goals`',
    markedBlock('hits-goals', goalsBlock(result.goals, run)),
  ].join('\n\n');
}

/** The staleness probes in one line: quantiles, how many, and the load they ran under. */
function stalenessLine(stale: RecordedStaleness): string {
  return `**Staleness** (cache + buffer, same callers and writes): from a writer's \`SET\` reply until a \`get\` started then returns the new value, p50 ${formatNumber(stale.p50Ms, 2)} ms, p99 ${formatNumber(stale.p99Ms, 2)} ms, max ${formatNumber(stale.maxMs, 2)} ms over ${formatNumber(stale.probes)} probes, while serving ${formatNumber(stale.callsPerSecond)} calls/s; ${formatNumber(stale.invalidationsPerSecond)} invalidated keys/s.`;
}

/** What a cached entry costs, as the bench measured it. */
function memoryLine(result: HitsCacheBenchResult): string {
  return `**Memory**: ${formatNumber(result.bytesPerEntry)} bytes of heap per cached entry (${formatNumber(result.maxKeys)} entries, ${result.valueBytes}-byte values).`;
}

/** One row per run of several processes counting the same keys. */
function processesText(processes: RecordedProcesses): string {
  const rows = processes.runs.map((run, i) => [
    String(i + 1),
    formatNumber(run.writesPerSecond),
    formatNumber(run.callsPerSecond),
    formatNumber(run.invalidationsPerSecond),
  ]);
  return `**${processes.count} processes × ${processes.callersEach} callers counting the same keys**, ${formatNumber(processes.durationMs)} ms per run\n\n${markdownTable(
    ['run', 'writes/s', 'calls/s, all processes', 'invalidated keys/s per process (mean)'],
    rows,
  )}`;
}

function hitsCacheText(path: string, result: HitsCacheBenchResult): string {
  const workload = `Zipf(1) over ${formatNumber(result.keyCount)} keys; ${result.valueBytes}-byte values; \`maxKeys\` ${formatNumber(result.maxKeys)}; another client rewriting ${formatNumber(result.writesPerSecond)} keys a second from the same distribution`;
  const { run, heading } = benchStart(
    path,
    result,
    { package: '@hitpool/hits', script: 'bench:cache' },
    `${workload}; peers on ioredis with enableAutoPipelining and no commandTimeout; commands/call and server CPU over all rounds of a contender; staleness probed on the cache + buffer tracker under the same callers and writes`,
  );
  const { getOnly, promiseAll, noCache } = HITS_CACHE_PEERS;
  const table = (options: ContenderTableOptions) =>
    contenderTable(result.results, [getOnly, promiseAll, noCache], options);
  const block = [
    `**Zipf(1) over ${formatNumber(result.keyCount)} keys, \`maxKeys\` ${formatNumber(result.maxKeys)}, ${formatNumber(result.writesPerSecond)} writes/s by another client**`,
    table({ brief: true }),
    stalenessLine(result.staleness),
    memoryLine(result),
    ...(result.processes ? [processesText(result.processes)] : []),
    runLine(run),
  ];
  return [
    ...heading,
    '### `hits-cache`',
    markedBlock('hits-cache', block.join('\n\n')),
    `Every column:\n\n${table({})}`,
    'Goals, as the bench checks them:',
    goalsBlock(result.goals, run),
  ].join('\n\n');
}

/**
 * The near cache bench before its first recorded run: the hits README quotes its block already,
 * so the block says how to record one instead of `pnpm figures` failing on a block it lacks.
 */
function hitsCacheMissingText(): string {
  const path = `${RESULTS_DIR}/hits-cache-bench.json`;
  return [
    '## @hitpool/hits cache benchmark',
    '### `hits-cache`',
    markedBlock(
      'hits-cache',
      `No run recorded yet (no \`${path}\`): record one with \`BENCH_JSON=$PWD/${path} ./pnpmw --filter @hitpool/hits bench:cache\`, then run \`./pnpmw figures\`.`,
    ),
  ].join('\n\n');
}

function poolText(path: string, result: PoolBenchResult): string {
  const { run, heading } = benchStart(
    path,
    result,
    { package: '@hitpool/pool', script: 'bench' },
    `GET of ${result.valueBytes}-byte values in the pool.client sections; commands/call and server CPU over all rounds of a contender`,
  );
  const lease = result.leaseOverhead;
  const leaseRounds = lease.contenders[0]?.rounds.length ?? 0;
  const realistic = sectionsOf(result.realistic, path);
  return [
    ...heading,
    '### `pool-lease-overhead`',
    markedBlock(
      'pool-lease-overhead',
      `**Lease overhead**: acquire + release per second, ${lease.borrowers} concurrent borrowers, ${lease.resources} connections, no commands sent (median of ${leaseRounds} interleaved rounds)\n\n${leaseOverheadTable(lease.contenders, 'generic-pool')}\n\n${runLine(run)}`,
    ),
    sectionText('pool-distinct', realistic('distinct'), [POOL_PEER], run),
    sectionText('pool-zipf', realistic('zipf'), [POOL_PEER], run),
    sectionText('pool-hot', realistic('hot'), [POOL_PEER], run),
    '### `pool-classic`',
    markedBlock(
      'pool-classic',
      `**Concurrent callers each reading one key** (\`GET\`): calls and errors summed over the rounds, peak connections the most of any round, calls/s and latencies from the median round\n\n${classicTable(result.classic)}\n\n${runLine(run)}`,
    ),
    '### `pool-goals`',
    markedBlock('pool-goals', goalsBlock(result.goals, run)),
  ].join('\n\n');
}

function demoText(path: string, result: DemoResult): string {
  const args = [
    '--users',
    String(result.users),
    '--duration',
    String(result.durationSeconds),
    '--keys',
    result.keys,
    ...(result.redis.source === 'private' ? ['--private'] : []),
    '--json',
  ];
  const recorded = result.environment?.command;
  const run: Run = {
    path,
    environment: result.environment,
    command:
      recorded ??
      benchCommand({ npm_package_name: '@hitpool/demo', npm_lifecycle_event: 'experiment' }, [
        'node',
        'cli',
        ...args,
      ]),
    rebuilt: recorded === undefined,
  };
  const body = [
    `**${result.users} users per scenario, ${result.durationSeconds} s each, keys: ${result.keys}, Redis: ${result.redis.source}**`,
    `\`\`\`text\n${experimentTable(result.scenarios)}\n\`\`\``,
    result.verdict,
    runLine(run),
  ].join('\n\n');
  return [
    '## The demo experiment',
    runTable(
      run,
      `${result.users} users per scenario, ${result.durationSeconds} s each, keys ${result.keys}, Redis: ${result.redis.description}`,
    ),
    '### `demo`',
    markedBlock('demo', body),
  ].join('\n\n');
}

function drillsText(path: string, result: DrillsResult): string {
  const run: Run = {
    path,
    environment: result.environment,
    command: result.environment?.command,
    rebuilt: false,
  };
  const rows = [...result.rows].sort((a, b) =>
    a.drill.localeCompare(b.drill, 'en', { numeric: true }),
  );
  return [
    '## The drills',
    runTable(run, `${rows.length} drills`),
    '### `drills`',
    markedBlock('drills', `${drillTable(rows)}\n\n${runLine(run)}`),
  ].join('\n\n');
}

const INTRO = `# Figures

Every benchmark figure the READMEs quote, made by \`pnpm figures\` from the raw results committed
in \`docs/results/\`. Do not edit this file, nor the README blocks between
\`<!-- figures:NAME:start -->\` and \`<!-- figures:NAME:end -->\` markers: \`pnpm figures\` writes
both, and a test of \`@hitpool/workload\` (\`test/figures.test.ts\`, part of \`pnpm test\`) fails
when either differs from what the raw results give. How to record a new run: CONTRIBUTING.md,
"Figures".

The machine the runs share is small and busy: compare the ratios within one table, not absolute
numbers across runs. Each table names the run it comes from. A \`###\` heading is the name of
the block below it; "Every column" under a block is the same table with all its columns and the
server's commands per call by name.`;

/** The text of docs/figures.md for `results`. */
export function renderFigures(results: RawResults): string {
  const parts = [INTRO];
  if (results.hits) parts.push(hitsText(results.hits.path, results.hits.result));
  parts.push(
    results.hitsCache
      ? hitsCacheText(results.hitsCache.path, results.hitsCache.result)
      : hitsCacheMissingText(),
  );
  if (results.pool) parts.push(poolText(results.pool.path, results.pool.result));
  if (results.demo) parts.push(demoText(results.demo.path, results.demo.result));
  if (results.drills) parts.push(drillsText(results.drills.path, results.drills.result));
  return `${parts.join('\n\n')}\n`;
}

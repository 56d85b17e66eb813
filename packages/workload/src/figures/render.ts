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
import type {
  DemoResult,
  DrillsResult,
  HitsBenchResult,
  PoolBenchResult,
  RawResults,
  RecordedEnvironment,
  RecordedSection,
  RecordedSettings,
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

function benchRun(
  path: string,
  bench: string,
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
    npm_package_name: bench,
    npm_lifecycle_event: 'bench',
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
  note: string,
): { run: Run; heading: string[] } {
  const run = benchRun(path, result.bench, result.environment, result.settings);
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

function poolText(path: string, result: PoolBenchResult): string {
  const { run, heading } = benchStart(
    path,
    result,
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
  if (results.pool) parts.push(poolText(results.pool.path, results.pool.result));
  if (results.demo) parts.push(demoText(results.demo.path, results.demo.result));
  if (results.drills) parts.push(drillsText(results.drills.path, results.drills.result));
  return `${parts.join('\n\n')}\n`;
}

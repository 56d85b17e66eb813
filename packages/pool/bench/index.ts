// `./pnpmw --filter @hitpool/pool bench`: side-by-side figures against one real redis-server
// started by the harness. Not a test: nothing here passes or fails, it prints tables, ratios
// and goal lines. BENCH_ROUNDS, BENCH_ROUND_MS and BENCH_WARMUP_MS change the interleaved
// sections; BENCH_JSON=path also writes every figure as JSON.
import { startRedisServer } from '@hitpool/testing';
import {
  benchEnvironment,
  benchSettings,
  callsPerSecondOf,
  classicTable,
  contenderTable,
  environmentLine,
  finishBench,
  formatNumber as fmt,
  goal,
  leaseOverheadTable,
} from '@hitpool/workload';
import {
  type ClassicResult,
  clientContender,
  measureClassic,
  nodeRedisContender,
  perCallContender,
  useContender,
} from './classic.js';
import {
  genericPoolContender,
  hitpoolContender,
  leaseSetup,
  measureLeases,
  tarnContender,
} from './lease-overhead.js';
import { measureRealistic, REALISTIC_NAMES } from './realistic.js';

const settings = benchSettings({ rounds: 5, roundMs: 1_000, warmupMs: 300 });
const { rounds: ROUNDS, roundMs: ROUND_MS } = settings;
const CALLERS = 200;
const VALUE_BYTES = 100;

const median = (values: number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? 0;
};

const server = await startRedisServer();
const admin = server.connect();
try {
  const environment = await benchEnvironment(admin);
  console.log(`# @hitpool/pool benchmark\n\n${environmentLine(environment)}\n`);

  // 1. Lease overhead: rounds interleaved so background noise hits every contender alike.
  const contenders = [
    await hitpoolContender(server.url),
    await genericPoolContender(),
    await tarnContender(),
  ];
  const rates = new Map<string, number[]>(contenders.map((c) => [c.name, []]));
  for (const contender of contenders) await measureLeases(contender, 200); // warm-up
  for (let round = 0; round < ROUNDS; round++) {
    for (const contender of contenders) {
      rates.get(contender.name)?.push(await measureLeases(contender, ROUND_MS));
    }
  }
  for (const contender of contenders) await contender.close();
  console.log(
    `## Lease overhead: acquire+release, ${leaseSetup.borrowers} concurrent borrowers, ${leaseSetup.resources} connections, no I/O (median of ${ROUNDS} × ${ROUND_MS} ms)\n`,
  );
  const leaseOverhead = contenders.map((c) => {
    const values = rates.get(c.name) ?? [];
    return { name: c.name, median: median(values), rounds: values };
  });
  console.log(leaseOverheadTable(leaseOverhead, 'generic-pool'));

  // 2. Realistic: 200 callers reading 10,000 distinct keys, Zipf(1) over them, one hot key.
  console.log(
    `\n## pool.client next to plain ioredis: ${CALLERS} closed-loop callers, GET of ${VALUE_BYTES}-byte values; median of ${ROUNDS} interleaved rounds of ${ROUND_MS} ms (${settings.warmupMs} ms warm-up each); commands/call and server CPU over all rounds of a contender\n`,
  );
  const realistic = await measureRealistic(
    server.url,
    admin,
    {
      rounds: ROUNDS,
      roundMs: ROUND_MS,
      warmupMs: settings.warmupMs,
      callers: CALLERS,
      onRound: (round, name, result) =>
        process.stderr.write(
          `  round ${round + 1}/${ROUNDS} ${name}: ${fmt(result.callsPerSecond)} calls/s\n`,
        ),
    },
    VALUE_BYTES,
    (section) =>
      console.log(
        `### ${section.title}\n\n${contenderTable(section.results, [{ header: '× ioredis get', name: REALISTIC_NAMES.ioredis }])}\n`,
      ),
  );

  // 3. The classic scenario: 200 concurrent callers each reading one key.
  const key = 'bench:classic';
  await server.cli('SET', key, 'hello');
  const CLASSIC_ROUNDS = 3;
  const perCallRow = await measureClassic(server.url, perCallContender(server.url), key, 4_000);
  const pooled = [
    clientContender(server.url),
    useContender(server.url),
    await nodeRedisContender(server.url),
  ];
  for (const contender of pooled) await measureClassic(server.url, contender, key, 2_000); // warm-up
  // Rounds interleaved like above; each row reports its median round by calls/s.
  const rounds = new Map<string, ClassicResult[]>(pooled.map((c) => [c.name, []]));
  for (let round = 0; round < CLASSIC_ROUNDS; round++) {
    for (const contender of pooled) {
      rounds.get(contender.name)?.push(await measureClassic(server.url, contender, key, 30_000));
    }
  }
  for (const contender of pooled) await contender.close();
  const classic = [
    perCallRow,
    ...pooled.map((contender) => {
      const runs = [...(rounds.get(contender.name) ?? [])].sort(
        (a, b) => a.callsPerSecond - b.callsPerSecond,
      );
      const mid = runs[Math.floor(runs.length / 2)] as ClassicResult;
      return {
        ...mid,
        calls: runs.reduce((sum, run) => sum + run.calls, 0),
        peakConnections: Math.max(...runs.map((run) => run.peakConnections)),
        errors: runs.reduce((sum, run) => sum + run.errors, 0),
      };
    }),
  ];
  console.log(
    `## 200 concurrent callers each reading one key (GET); pooled rows: median of ${CLASSIC_ROUNDS} interleaved rounds of 30,000 calls\n`,
  );
  console.log(classicTable(classic));

  const distinct = realistic.find((section) => section.workload === 'distinct')?.results ?? [];
  const goals = [
    goal(
      'pool.client.get distinct ≥ 0.95× plain ioredis get distinct',
      callsPerSecondOf(distinct, REALISTIC_NAMES.pool),
      callsPerSecondOf(distinct, REALISTIC_NAMES.ioredis),
      0.95,
    ),
  ];
  finishBench(goals, settings.jsonPath, {
    bench: '@hitpool/pool',
    environment,
    settings,
    callers: CALLERS,
    valueBytes: VALUE_BYTES,
    leaseOverhead: { ...leaseSetup, contenders: leaseOverhead },
    realistic,
    classic,
    goals,
  });
} finally {
  await admin.quit();
  await server.close();
}

// `pnpm --filter @hitpool/pool bench`: side-by-side figures against one real redis-server
// started by the harness. Not a test: nothing here passes or fails, it prints a table.
import { cpus, loadavg } from 'node:os';
import { startRedisServer } from '@hitpool/testing';
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

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const ROUND_MS = Number(process.env.BENCH_ROUND_MS ?? 1_000);

const fmt = (n: number, digits = 0): string =>
  n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });
const median = (values: number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? 0;
};

function table(header: string[], rows: string[][]): string {
  const lines = [header, header.map(() => '---'), ...rows].map((row) => `| ${row.join(' | ')} |`);
  return lines.join('\n');
}

const server = await startRedisServer();
try {
  console.log(
    `# @hitpool/pool benchmark — Node ${process.version}, ${cpus().length} CPUs, redis-server ${(await server.cli('INFO', 'server')).match(/redis_version:(\S+)/)?.[1]} (harness, loopback), load average ${loadavg()[0]?.toFixed(1)} at start, ${new Date().toISOString()}\n`,
  );

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
  const baseline = median(rates.get('generic-pool') ?? []);
  console.log(
    `## Lease overhead: acquire+release, ${leaseSetup.borrowers} concurrent borrowers, ${leaseSetup.resources} connections, no I/O (median of ${ROUNDS} × ${ROUND_MS} ms)\n`,
  );
  console.log(
    table(
      ['pool', 'acquire+release/s', 'min–max of rounds', 'vs generic-pool'],
      contenders.map((c) => {
        const values = rates.get(c.name) ?? [];
        return [
          c.name,
          fmt(median(values)),
          `${fmt(Math.min(...values))}–${fmt(Math.max(...values))}`,
          `${fmt(median(values) / baseline, 2)}×`,
        ];
      }),
    ),
  );

  // 2. The classic scenario: 200 concurrent callers each reading one key.
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
  const results = [
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
  const perCall = results[0]?.callsPerSecond ?? 1;
  console.log(
    `\n## 200 concurrent callers each reading one key (GET); pooled rows: median of ${CLASSIC_ROUNDS} interleaved rounds of 30,000 calls\n`,
  );
  console.log(
    table(
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
      results.map((r) => [
        r.name,
        fmt(r.calls),
        fmt(r.callsPerSecond),
        `${fmt(r.callsPerSecond / perCall, 1)}×`,
        fmt(r.p50, 2),
        fmt(r.p99, 2),
        String(r.peakConnections),
        String(r.errors),
      ]),
    ),
  );
} finally {
  await server.close();
}

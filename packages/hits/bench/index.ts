/**
 * Side-by-side benchmark: reading one key and counting the hit, 200 concurrent callers, one
 * process, one redis-server started by the harness. Run: `./pnpmw --filter @hitpool/hits bench`.
 * Rows run round-robin for ROUNDS rounds; the table shows each row's median round.
 */
import { type RedisServer, startRedisServer } from '@hitpool/testing';
import { Redis } from 'ioredis';
import { createClient } from 'redis';
import { createHitTracker, type HitTracker } from '../src/index.js';

const CALLERS = 200;
const ROUND_MS = Number(process.env.BENCH_ROUND_MS ?? 2000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const KEY = 'bench:page';

interface Row {
  name: string;
  call: () => Promise<unknown>;
}

interface Measure {
  callsPerSecond: number;
  p50: number;
  p99: number;
}

async function measure(call: () => Promise<unknown>, ms: number): Promise<Measure> {
  const latencies: number[] = [];
  let stop = false;
  const caller = async () => {
    while (!stop) {
      const start = performance.now();
      await call();
      latencies.push(performance.now() - start);
    }
  };
  const started = performance.now();
  const timer = setTimeout(() => {
    stop = true;
  }, ms);
  await Promise.all(Array.from({ length: CALLERS }, caller));
  clearTimeout(timer);
  const elapsed = performance.now() - started;
  latencies.sort((a, b) => a - b);
  const at = (q: number) =>
    latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] ?? 0;
  return { callsPerSecond: (latencies.length / elapsed) * 1000, p50: at(0.5), p99: at(0.99) };
}

function median(values: Measure[]): Measure {
  const sorted = [...values].sort((a, b) => a.callsPerSecond - b.callsPerSecond);
  return sorted[Math.floor(sorted.length / 2)] as Measure;
}

async function main(): Promise<void> {
  const server: RedisServer = await startRedisServer();
  const plain = new Redis({ port: server.port });
  const auto = new Redis({ port: server.port, enableAutoPipelining: true });
  const scripted = new Redis({ port: server.port, enableAutoPipelining: true });
  scripted.defineCommand('getAndCount', {
    numberOfKeys: 2,
    lua: "return { redis.call('GET', KEYS[1]), redis.call('INCR', KEYS[2]) }",
  });
  const nodeRedis = createClient({ socket: { port: server.port, host: '127.0.0.1' } });
  await nodeRedis.connect();
  await plain.set(KEY, 'x'.repeat(100));

  const trackers: HitTracker[] = [];
  const tracker = (options: Omit<Parameters<typeof createHitTracker>[0], 'redis'>) => {
    const created = createHitTracker({ redis: plain, ...options });
    trackers.push(created);
    return created;
  };
  const hits = tracker({});
  const full = tracker({
    windows: ['minute', 'hour', 'day'],
    leaderboard: { key: 'bench:board' },
    uniques: true,
  });
  const buffered = tracker({ buffer: { flushIntervalMs: 1000 } });
  const atomic = tracker({ mode: 'atomic' });
  const spreadKeys = Array.from({ length: 10_000 }, (_, i) => `bench:spread:${i}`);
  let spread = 0;
  let visitor = 0;

  const rows: Row[] = [
    {
      name: '1. seed: pipeline().get().incr().exec() per call',
      call: () => plain.pipeline().get(KEY).incr(`${KEY}_hit`).exec(),
    },
    {
      name: '2a. ioredis auto-pipelined Promise.all([get, incr])',
      call: () => Promise.all([auto.get(KEY), auto.incr(`${KEY}_hit`)]),
    },
    {
      name: '2b. ioredis Lua script (defineCommand, EVALSHA)',
      call: () =>
        (
          scripted as unknown as { getAndCount(a: string, b: string): Promise<unknown> }
        ).getAndCount(KEY, `${KEY}_hit`),
    },
    {
      name: '3. node-redis multi().get().incr().execAsPipeline()',
      call: () => nodeRedis.multi().get(KEY).incr(`${KEY}_hit`).execAsPipeline(),
    },
    { name: '4. hits.get (default: pipeline mode)', call: () => hits.get(KEY) },
    {
      name: '5. hits.get + windows + leaderboard + uniques',
      call: () => full.get(KEY, { visitor: `v${visitor++ % 1000}` }),
    },
    { name: '6. hits.get buffered', call: () => buffered.get(KEY) },
    { name: '7. plain auto-pipelined GET, no counting (ceiling)', call: () => auto.get(KEY) },
    { name: 'x. hits.get atomic mode', call: () => atomic.get(KEY) },
    {
      name: 'y. hits.get over 10k keys (little to coalesce)',
      call: () => hits.get(spreadKeys[spread++ % spreadKeys.length] as string),
    },
    {
      name: 'z. hits.get buffered over 10k keys',
      call: () => buffered.get(spreadKeys[spread++ % spreadKeys.length] as string),
    },
  ];

  const results = rows.map((): Measure[] => []);
  for (const row of rows) await measure(row.call, 200); // warm-up
  for (let round = 0; round < ROUNDS; round++)
    for (const [i, row] of rows.entries())
      (results[i] as Measure[]).push(await measure(row.call, ROUND_MS));

  const table = rows.map((row, i) => ({ row, m: median(results[i] as Measure[]) }));
  const base = (table[0] as (typeof table)[number]).m.callsPerSecond;
  const byNumber = (prefix: string) =>
    (table.find((entry) => entry.row.name.startsWith(prefix)) as (typeof table)[number]).m
      .callsPerSecond;
  console.log(
    `\n${CALLERS} concurrent callers, one key, median of ${ROUNDS} rounds of ${ROUND_MS} ms, Node ${process.version}\n`,
  );
  console.log('| way | calls/s | p50 ms | p99 ms | × row 1 |');
  console.log('|---|---:|---:|---:|---:|');
  for (const { row, m } of table)
    console.log(
      `| ${row.name} | ${Math.round(m.callsPerSecond).toLocaleString('en-US')} | ${m.p50.toFixed(2)} | ${m.p99.toFixed(2)} | ${(m.callsPerSecond / base).toFixed(2)} |`,
    );
  const goal = (text: string, ok: boolean) => console.log(`${ok ? 'met   ' : 'MISSED'} ${text}`);
  console.log('');
  goal(`(4) >= 2x (1): ${(byNumber('4.') / base).toFixed(2)}x`, byNumber('4.') >= 2 * base);
  const handWritten = Math.max(byNumber('1.'), byNumber('2a.'), byNumber('2b.'), byNumber('3.'));
  goal(
    `(4) >= every hand-written row: ${(byNumber('4.') / handWritten).toFixed(2)}x the best`,
    byNumber('4.') >= handWritten,
  );
  goal(`(5) >= (1): ${(byNumber('5.') / base).toFixed(2)}x`, byNumber('5.') >= base);
  goal(
    `(6) >= 0.8x (7): ${(byNumber('6.') / byNumber('7.')).toFixed(2)}x`,
    byNumber('6.') >= 0.8 * byNumber('7.'),
  );

  for (const created of trackers) await created.close();
  await plain.quit();
  await auto.quit();
  await scripted.quit();
  await nodeRedis.quit();
  await server.close();
}

await main();

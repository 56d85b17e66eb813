// `./pnpmw --filter @hitpool/pool bench:otel`: what `@hitpool/pool/otel` costs, measured with a
// real SDK MeterProvider and a reader exporting every second (a pessimistic interval: the
// SDK's default is 60 s), against one redis-server the harness starts. Not a test: it prints
// medians of interleaved rounds. BENCH_ROUNDS, BENCH_ROUND_MS and BENCH_WARMUP_MS apply.
import { startRedisServer } from '@hitpool/testing';
import {
  benchSettings,
  type Contender,
  type ContenderResult,
  distinctKeys,
  formatNumber as fmt,
  interleave,
  presetValues,
} from '@hitpool/workload';
import {
  AggregationTemporality,
  InMemoryMetricExporter,
  MeterProvider,
  PeriodicExportingMetricReader,
} from '@opentelemetry/sdk-metrics';
import { createPool, type RedisPool } from '../src/index.js';
import { type InstrumentPoolOptions, instrumentPool } from '../src/otel/index.js';

const settings = benchSettings({ rounds: 7, roundMs: 1_000, warmupMs: 300 });
const KEY_COUNT = 10_000;
const PREFIX = 'bench:otel:';

/** A pool, instrumented with its own SDK pipeline unless `options` is undefined. */
function variant(url: string, options: InstrumentPoolOptions | undefined, max?: number) {
  const pool: RedisPool = createPool({ url, ...(max === undefined ? {} : { min: max, max }) });
  if (options === undefined) return { pool, close: () => pool.close() };
  const exporter = new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE);
  const reader = new PeriodicExportingMetricReader({ exporter, exportIntervalMillis: 1_000 });
  const provider = new MeterProvider({ readers: [reader] });
  const instrumentation = instrumentPool(pool, { ...options, meterProvider: provider });
  return {
    pool,
    // Exported batches pile up in memory; drop them between rounds.
    settle: async () => exporter.reset(),
    async close() {
      instrumentation.shutdown();
      await provider.shutdown();
      await pool.close();
    },
  };
}

function costTable(results: ContenderResult[]): string {
  const base = results[0]?.median.callsPerSecond ?? 0;
  const rows = results.map((r) => {
    const rate = r.median.callsPerSecond;
    const cost = `${((1 - rate / base) * 100).toFixed(1)} %`;
    // CPU time per call the instrumentation adds (the calls are CPU-bound at these rates).
    const perCall = `${((1 / rate - 1 / base) * 1e6).toFixed(2)} µs`;
    const added = r === results[0] ? '— | —' : `${cost} | ${perCall}`;
    return `| ${r.name} | ${fmt(rate)} | ${fmt(r.minCallsPerSecond)}–${fmt(r.maxCallsPerSecond)} | ${added} |`;
  });
  return [
    '| variant | calls/s (median) | slowest–fastest round | cost | added per call |',
    '| --- | ---: | ---: | ---: | ---: |',
    ...rows,
  ].join('\n');
}

const server = await startRedisServer();
const admin = server.connect();
try {
  await presetValues(admin, distinctKeys(KEY_COUNT, PREFIX).keys, 100);
  const { rounds, roundMs, warmupMs } = settings;
  const timing = { rounds, roundMs, warmupMs };
  console.log(
    `# @hitpool/pool/otel cost\n\nmedian of ${rounds} interleaved rounds of ${roundMs} ms (${warmupMs} ms warm-up), Node ${process.version}\n`,
  );

  // Two uninstrumented pools: the second one's "cost" is the noise between identical variants.
  const clients = [
    { name: 'pool.client.get, not instrumented', ...variant(server.url, undefined) },
    { name: 'pool.client.get, not instrumented (control)', ...variant(server.url, undefined) },
    { name: 'pool.client.get, connection metrics', ...variant(server.url, {}) },
    {
      name: 'pool.client.get, connection metrics + operationDuration',
      ...variant(server.url, { operationDuration: true }),
    },
  ];
  const gets: Contender[] = clients.map(({ name, pool, ...rest }) => {
    const keys = distinctKeys(KEY_COUNT, PREFIX);
    return { name, call: () => pool.client.get(keys.next()), ...('settle' in rest ? rest : {}) };
  });
  console.log(`## pool.client.get(k), 200 closed-loop callers, ${KEY_COUNT} keys\n`);
  console.log(costTable(await interleave(gets, { ...timing, callers: 200 })));
  for (const c of clients) await c.close();

  // Leases: each one records a wait_time and a use_time (the connection metrics' only
  // per-lease work), with no I/O and with one GET per lease.
  const lenders = [
    { name: 'not instrumented', ...variant(server.url, undefined, 10) },
    { name: 'not instrumented (control)', ...variant(server.url, undefined, 10) },
    { name: 'connection metrics', ...variant(server.url, {}, 10) },
  ];
  for (const { pool } of lenders) {
    const leases = await Promise.all(Array.from({ length: 10 }, () => pool.acquire()));
    for (const lease of leases) lease.release();
  }
  const keys = distinctKeys(KEY_COUNT, PREFIX);
  const leaseWork = {
    'acquire + release (no I/O)': async (pool: RedisPool) => (await pool.acquire()).release(),
    'use((redis) => redis.get(k))': (pool: RedisPool, key = keys.next()) =>
      pool.use((redis) => redis.get(key)),
  };
  for (const [work, call] of Object.entries(leaseWork)) {
    const leases: Contender[] = lenders.map(({ name, pool, ...rest }) => ({
      name: `${work}, ${name}`,
      call: () => call(pool),
      ...('settle' in rest ? rest : {}),
    }));
    console.log(`\n## ${work}, 100 borrowers, 10 connections\n`);
    console.log(costTable(await interleave(leases, { ...timing, callers: 100 })));
  }
  for (const c of lenders) await c.close();
} finally {
  admin.disconnect();
  await server.close();
}

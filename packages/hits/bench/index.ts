/**
 * `./pnpmw --filter @hitpool/hits bench`: reading one key and counting the hit, next to what a
 * user would write instead, with 200 concurrent callers in one process against a redis-server
 * (and a 3-master Cluster) started by the harness. Workloads: 10,000 distinct keys, Zipf(1) over
 * 10,000 keys, one hot key; values of 100 bytes. Contenders run round-robin (BENCH_ROUNDS rounds
 * of BENCH_ROUND_MS ms); each table row is the contender's median round, with the server's
 * commands and CPU per call over all its rounds. Not a test: it prints ratios and goal lines.
 * BENCH_JSON=path also writes every figure as JSON.
 */
import { createPool } from '@hitpool/pool';
import { startRedisCluster, startRedisServer } from '@hitpool/testing';
import {
  type BenchEnvironment,
  benchEnvironment,
  benchSettings,
  type ContenderResult,
  callsPerSecondOf,
  contenderTable,
  distinctKeys,
  environmentLine,
  finishBench,
  type Goal,
  goal,
  hotKey,
  interleave,
  type KeySource,
  type PeerColumn,
  presetValues,
  serverSnapshot,
  zipfKeys,
} from '@hitpool/workload';
import { Redis } from 'ioredis';
import { createHitTracker, type HitTracker } from '../src/index.js';
import { clusterContenders, NAMES, standaloneContenders } from './contenders.js';

const CALLERS = 200;
const KEY_COUNT = 10_000;
const VALUE_BYTES = 100;
const PREFIX = 'bench:item:';
const HOT_KEY = 'bench:hot';
const settings = benchSettings({ rounds: 5, roundMs: 1_000, warmupMs: 300 });

interface Section {
  title: string;
  workload: 'distinct' | 'zipf' | 'hot';
  topology: 'standalone' | 'cluster';
  results: ContenderResult[];
}

const workloads: ReadonlyArray<{ workload: Section['workload']; keys: () => KeySource }> = [
  { workload: 'distinct', keys: () => distinctKeys(KEY_COUNT, PREFIX) },
  { workload: 'zipf', keys: () => zipfKeys(KEY_COUNT, 1, PREFIX, 42) },
  { workload: 'hot', keys: () => hotKey(HOT_KEY) },
];

let environment: BenchEnvironment | undefined;

const progress = (round: number, name: string, result: { callsPerSecond: number }) =>
  process.stderr.write(
    `  round ${round + 1}/${settings.rounds} ${name}: ${Math.round(result.callsPerSecond).toLocaleString('en-US')} calls/s\n`,
  );

const interleaveOptions = {
  rounds: settings.rounds,
  roundMs: settings.roundMs,
  warmupMs: settings.warmupMs,
  callers: CALLERS,
  onRound: progress,
};

async function standalone(): Promise<Section[]> {
  const server = await startRedisServer();
  const admin = server.connect();
  const peer = new Redis(server.url, { enableAutoPipelining: true });
  const pool = createPool({ url: server.url });
  const trackers: HitTracker[] = [];
  const tracker = (options: Parameters<typeof createHitTracker>[0]) => {
    const created = createHitTracker(options);
    trackers.push(created);
    return created;
  };
  try {
    environment = await benchEnvironment(admin);
    console.log(`${environmentLine(environment)}\n`);
    console.log(
      `${CALLERS} closed-loop callers; median of ${settings.rounds} interleaved rounds of ${settings.roundMs} ms per contender (${settings.warmupMs} ms warm-up each); values of ${VALUE_BYTES} bytes; peers on ioredis with enableAutoPipelining and no commandTimeout; commands/call and server CPU over all rounds of a contender.\n`,
    );
    await presetValues(peer, [...distinctKeys(KEY_COUNT, PREFIX).keys, HOT_KEY], VALUE_BYTES);
    const clients = {
      peer,
      hitsPool: tracker({ redis: pool }),
      hitsIoredis: tracker({ redis: peer }),
      full: tracker({
        redis: pool,
        windows: ['minute', 'hour', 'day'],
        uniques: true,
        leaderboard: true,
      }),
      buffered: tracker({ redis: pool, buffer: {} }),
      atomic: tracker({ redis: pool, mode: 'atomic' }),
    };
    const sections: Section[] = [];
    for (const { workload, keys } of workloads) {
      const title = keys().label;
      process.stderr.write(`${title}\n`);
      const contenders = standaloneContenders(clients, keys, workload === 'hot');
      const results = await interleave(contenders, {
        ...interleaveOptions,
        snapshot: () => serverSnapshot(admin),
      });
      sections.push({ title, workload, topology: 'standalone', results });
      const peers: PeerColumn[] = [
        ...(workload === 'hot' ? [{ header: '× seed pipeline', name: NAMES.seed }] : []),
        { header: '× Promise.all', name: NAMES.promiseAll },
        { header: '× get only', name: NAMES.getOnly },
      ];
      console.log(`## ${title}\n\n${contenderTable(results, peers)}\n`);
    }
    return sections;
  } finally {
    for (const created of trackers) await created.close();
    await pool.close();
    await peer.quit();
    await admin.quit();
    await server.close();
  }
}

async function cluster(): Promise<Section> {
  process.stderr.write('starting a 3-master Cluster\n');
  const redisCluster = await startRedisCluster();
  const masters = (await redisCluster.masters()).map((node) => node.connect());
  const peer = redisCluster.connect({ enableAutoPipelining: true });
  const pool = createPool({ cluster: { nodes: [...redisCluster.startupNodes] } });
  const hitsPool = createHitTracker({ redis: pool });
  const hitsIoredis = createHitTracker({ redis: peer });
  try {
    const keys = () => distinctKeys(KEY_COUNT, PREFIX);
    await presetValues(peer, keys().keys, VALUE_BYTES);
    const title = `Cluster (${masters.length} masters), ${keys().label}`;
    process.stderr.write(`${title}\n`);
    const results = await interleave(clusterContenders(peer, hitsPool, hitsIoredis, keys), {
      ...interleaveOptions,
      snapshot: () => serverSnapshot(masters),
    });
    console.log(
      `## ${title}\n\nCommands and server CPU summed over the masters.\n\n${contenderTable(results, [{ header: '× hand-written', name: NAMES.clusterPromiseAll }])}\n`,
    );
    return { title, workload: 'distinct', topology: 'cluster', results };
  } finally {
    await hitsPool.close();
    await hitsIoredis.close();
    await pool.close();
    await peer.quit();
    for (const master of masters) await master.quit();
    await redisCluster.close();
  }
}

function goals(sections: readonly Section[]): Goal[] {
  const rate = (workload: Section['workload'], topology: Section['topology'], name: string) => {
    const section = sections.find((s) => s.workload === workload && s.topology === topology);
    if (!section) throw new Error(`no ${topology} ${workload} section`);
    return callsPerSecondOf(section.results, name);
  };
  const overIoredis = (workload: Section['workload'], baseline: number) =>
    `tracker over a pool; over the ioredis client ${(rate(workload, 'standalone', NAMES.hitsIoredis) / baseline).toFixed(2)}×`;
  const promiseAll = rate('distinct', 'standalone', NAMES.promiseAll);
  const promiseAllZipf = rate('zipf', 'standalone', NAMES.promiseAll);
  const clusterPeer = rate('distinct', 'cluster', NAMES.clusterPromiseAll);
  const seed = rate('hot', 'standalone', NAMES.seed);
  return [
    goal(
      'hits.get distinct ≥ 2× Promise.all([get, incr]) distinct',
      rate('distinct', 'standalone', NAMES.hitsPool),
      promiseAll,
      2,
      overIoredis('distinct', promiseAll),
    ),
    goal(
      'hits.get Zipf ≥ 2× Promise.all Zipf',
      rate('zipf', 'standalone', NAMES.hitsPool),
      promiseAllZipf,
      2,
      overIoredis('zipf', promiseAllZipf),
    ),
    goal(
      'windows+uniques+leaderboard distinct ≥ 1× Promise.all([get, incr]) distinct',
      rate('distinct', 'standalone', NAMES.full),
      promiseAll,
      1,
    ),
    goal(
      'buffered hits.get distinct ≥ 0.9× plain get distinct',
      rate('distinct', 'standalone', NAMES.buffered),
      rate('distinct', 'standalone', NAMES.getOnly),
      0.9,
    ),
    goal(
      'Cluster hits.get distinct ≥ 1.3× hand-written Cluster GET+INCR',
      rate('distinct', 'cluster', NAMES.clusterHitsPool),
      clusterPeer,
      1.3,
      `tracker over a pool; over the ioredis Cluster ${(rate('distinct', 'cluster', NAMES.clusterHitsIoredis) / clusterPeer).toFixed(2)}×`,
    ),
    goal(
      'hot key hits.get ≥ 10× seed-style pipeline',
      rate('hot', 'standalone', NAMES.hitsPool),
      seed,
      10,
      overIoredis('hot', seed),
    ),
  ];
}

console.log('# @hitpool/hits benchmark\n');
const sections = await standalone();
sections.push(await cluster());
const reached = goals(sections);
finishBench(reached, settings.jsonPath, {
  bench: '@hitpool/hits',
  environment,
  callers: CALLERS,
  settings,
  keyCount: KEY_COUNT,
  valueBytes: VALUE_BYTES,
  sections,
  goals: reached,
});

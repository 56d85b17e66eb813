import { createPool } from '@hitpool/pool';
import {
  delay,
  type RedisServer,
  randomPrefix,
  startRedisServer,
  startTcpProxy,
  type TcpProxy,
  waitFor,
} from '@hitpool/testing';
import { afterAll, beforeAll, expect, inject, it } from 'vitest';
import { keyNames, seedKeys } from '../src/data.js';
import { reportDrill } from '../src/figures.js';
import {
  compareCounters,
  DRILL_POOL,
  expectBothServeAgainWithin,
  expectSettledAndCorrect,
  startDrillClients,
  TIMEOUT_TOLERANCE_MS,
} from './common.js';

let server: RedisServer;
let proxy: TcpProxy;

beforeAll(async () => {
  server = await startRedisServer();
  proxy = await startTcpProxy(server.port);
});

afterAll(async () => {
  await proxy?.close();
  await server?.close();
});

const cases = [
  {
    name: '6a broken network: blackhole 2 s',
    fault: async () => {
      proxy.blackhole(true);
      await delay(2_000);
      proxy.blackhole(false);
    },
  },
  {
    name: '6b broken network: connections reset',
    fault: async () => {
      proxy.resetConnections();
    },
  },
];

it.each(cases)('$name', async ({ name, fault }) => {
  const prefix = randomPrefix('network');
  const keys = keyNames(prefix, 50);
  const admin = server.connect();
  await seedKeys(admin, keys);

  const pool = createPool({ url: `redis://127.0.0.1:${proxy.port}`, ...DRILL_POOL });
  const { workload, unhandled, runWorkload, close } = startDrillClients(
    pool,
    keys,
    (caller) => `${prefix}tx:${caller}`,
  );
  let openAfter = Number.NaN;
  try {
    const load = await runWorkload({
      tailMs: 2_000,
      scenario: async ({ mark }) => {
        mark('fault');
        await fault();
        mark('network healed');
      },
    });
    if (load.scenarioError) throw load.scenarioError;

    // Dead connections were closed, not kept: what goes through the proxy
    // settles back under the pool's bound (max leases + the shared client).
    const bound = DRILL_POOL.max + 1;
    await waitFor(
      'proxied connections back under the bound',
      () => {
        openAfter = proxy.stats.open;
        return openAfter <= bound;
      },
      5_000,
    ).catch(() => {});

    const { hits, transactions } = await compareCounters(workload, admin);

    reportDrill({
      drill: name,
      load,
      recoverFrom: 'network healed',
      counters: { hits, transactions },
      details: {
        'proxied connections open after': openAfter,
        'proxied connections ever': proxy.stats.connections,
        'unhandled rejections': unhandled.errors.length,
        'pool stats': pool.stats(),
      },
      resultsFile: inject('drillResults'),
    });

    expectSettledAndCorrect(load, 'calls left pending (a hung lease or command)');
    expect(load.maxLatencyMs).toBeLessThanOrEqual(
      DRILL_POOL.acquireTimeoutMs + DRILL_POOL.commandTimeoutMs + TIMEOUT_TOLERANCE_MS,
    );
    expectBothServeAgainWithin(load, 'network healed', 1_000);
    expect(openAfter).toBeLessThanOrEqual(bound);
    expect(unhandled.errors).toEqual([]);
    // Nothing acknowledged can be lost here: the server never went away.
    expect(hits.lost).toBe(0);
    expect(transactions.lost).toBe(0);
  } finally {
    admin.disconnect();
    await close();
  }
});

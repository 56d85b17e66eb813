import { createHitTracker } from '@hitpool/hits';
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
import { keyNames, readHits, readIntegers, seedKeys } from '../src/data.js';
import { reportDrill } from '../src/figures.js';
import { runLoad } from '../src/load.js';
import { watchUnhandled } from '../src/unhandled.js';
import { createWorkload } from '../src/workload.js';
import {
  CALLERS,
  correctnessFailures,
  DRILL_POOL,
  recoveryByCaller,
  TIMEOUT_TOLERANCE_MS,
  TRANSACTION_CALLERS,
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
  const tracker = createHitTracker({ redis: pool });
  const workload = createWorkload({
    tracker,
    keys,
    pool,
    transactionCallers: TRANSACTION_CALLERS,
    transactionKey: (caller) => `${prefix}tx:${caller}`,
  });
  const unhandled = watchUnhandled();
  let openAfter = Number.NaN;
  try {
    const load = await runLoad({
      callers: CALLERS,
      call: workload.call,
      labelOf: workload.labelOf,
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

    const readTracker = createHitTracker({ redis: admin });
    const hits = workload.hits.compare(await readHits(readTracker, workload.hits.keys));
    const transactions = workload.transactions.compare(
      await readIntegers(admin, workload.transactions.keys),
    );
    await readTracker.close();

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

    expect(load.pending, 'calls left pending (a hung lease or command)').toBe(0);
    expect(load.maxLatencyMs).toBeLessThanOrEqual(
      DRILL_POOL.acquireTimeoutMs + DRILL_POOL.commandTimeoutMs + TIMEOUT_TOLERANCE_MS,
    );
    expect(correctnessFailures(load.failures.counts)).toEqual([]);
    const recovery = recoveryByCaller(load, 'network healed');
    expect(recovery.main, 'hits.get after healing').toBeLessThanOrEqual(1_000);
    expect(recovery.tx, 'leases after healing').toBeLessThanOrEqual(1_000);
    expect(openAfter).toBeLessThanOrEqual(bound);
    expect(unhandled.errors).toEqual([]);
    // Nothing acknowledged can be lost here: the server never went away.
    expect(hits.lost).toBe(0);
    expect(transactions.lost).toBe(0);
  } finally {
    unhandled.stop();
    admin.disconnect();
    await tracker.close();
    await pool.close({ timeoutMs: 1_000 });
  }
});

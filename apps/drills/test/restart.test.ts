import { createPool } from '@hitpool/pool';
import { delay, type RedisServer, randomPrefix, startRedisServer, waitFor } from '@hitpool/testing';
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

beforeAll(async () => {
  // fsync on every write: a kill -9 then loses nothing the server acknowledged,
  // so any lost increment would be the client's doing.
  server = await startRedisServer({ config: { appendonly: 'yes', appendfsync: 'always' } });
});

afterAll(async () => {
  await server?.close();
});

it('restart: kill -9, back on the same port after 2 s', async () => {
  const prefix = randomPrefix('restart');
  const keys = keyNames(prefix, 50);
  const admin = server.connect();
  await seedKeys(admin, keys);
  admin.disconnect();

  const pool = createPool({ url: server.url, ...DRILL_POOL });
  const { workload, unhandled, runWorkload, close } = startDrillClients(
    pool,
    keys,
    (caller) => `${prefix}tx:${caller}`,
  );
  let connectionsAfter = Number.NaN;
  try {
    const load = await runWorkload({
      tailMs: 2_000,
      scenario: async ({ mark }) => {
        await server.kill();
        mark('kill');
        await delay(2_000);
        await server.start();
        mark('server back');
      },
    });
    if (load.scenarioError) throw load.scenarioError;

    // Server-side connections settle back under the pool's bound: `max` leases,
    // the shared client, and the redis-cli that asks.
    const bound = DRILL_POOL.max + 2;
    await waitFor(
      'server-side connections back under the bound',
      async () => {
        connectionsAfter = await server.connectedClients();
        return connectionsAfter <= bound;
      },
      5_000,
    ).catch(() => {});

    const reader = server.connect();
    const { hits, transactions } = await compareCounters(workload, reader);
    reader.disconnect();

    reportDrill({
      drill: '1 restart: kill -9, back after 2 s',
      load,
      recoverFrom: 'server back',
      counters: { hits, transactions },
      details: {
        'server-side connections after': connectionsAfter,
        'connection bound (max + shared + cli)': bound,
        'unhandled rejections': unhandled.errors.length,
        'pool stats': pool.stats(),
      },
      resultsFile: inject('drillResults'),
    });

    expectSettledAndCorrect(load);
    expect(load.maxLatencyMs).toBeLessThanOrEqual(
      DRILL_POOL.acquireTimeoutMs + DRILL_POOL.commandTimeoutMs + TIMEOUT_TOLERANCE_MS,
    );
    expectBothServeAgainWithin(load, 'server back', 1_000);
    expect(connectionsAfter).toBeLessThanOrEqual(bound);
    expect(unhandled.errors).toEqual([]);
    // appendfsync always: whatever the server acknowledged survived the kill.
    expect(hits.lost).toBe(0);
    expect(transactions.lost).toBe(0);
  } finally {
    await close();
  }
});

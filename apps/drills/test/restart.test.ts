import { createPool } from '@hitpool/pool';
import { delay, type RedisServer, randomPrefix, startRedisServer, waitFor } from '@hitpool/testing';
import { afterAll, beforeAll, expect } from 'vitest';
import { keyNames, seedKeys } from '../src/data.js';
import { drill } from '../src/runner.js';
import {
  compareCounters,
  DRILL_POOL,
  drillClients,
  expectBothServeAgainWithin,
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

drill('1 restart: kill -9, back after 2 s', {
  async setup() {
    const prefix = randomPrefix('restart');
    const keys = keyNames(prefix, 50);
    const admin = server.connect();
    await seedKeys(admin, keys);
    admin.disconnect();
    const pool = createPool({ url: server.url, ...DRILL_POOL });
    return drillClients(pool, keys, (caller) => `${prefix}tx:${caller}`);
  },
  tailMs: 2_000,
  async scenario({ mark }) {
    await server.kill();
    mark('kill');
    await delay(2_000);
    await server.start();
    mark('server back');
  },
  recoverFrom: 'server back',
  async measure({ workload }) {
    // Server-side connections settle back under the pool's bound: `max` leases,
    // the shared client, and the redis-cli that asks.
    const bound = DRILL_POOL.max + 2;
    let connectionsAfter = Number.NaN;
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
    return {
      counters: { hits, transactions },
      details: {
        'server-side connections after': connectionsAfter,
        'connection bound (max + shared + cli)': bound,
      },
      connectionsAfter,
      bound,
    };
  },
  assert(load, { counters, connectionsAfter, bound }) {
    expect(load.maxLatencyMs).toBeLessThanOrEqual(
      DRILL_POOL.acquireTimeoutMs + DRILL_POOL.commandTimeoutMs + TIMEOUT_TOLERANCE_MS,
    );
    expectBothServeAgainWithin(load, 'server back', 1_000);
    expect(connectionsAfter).toBeLessThanOrEqual(bound);
    // appendfsync always: whatever the server acknowledged survived the kill.
    expect(counters.hits.lost).toBe(0);
    expect(counters.transactions.lost).toBe(0);
  },
});

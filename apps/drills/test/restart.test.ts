import { createPool } from '@hitpool/pool';
import { type RedisServer, startRedisServer } from '@hitpool/testing';
import { afterAll, beforeAll, expect } from 'vitest';
import { drill } from '../src/runner.js';
import {
  compareCounters,
  countOnceSettled,
  DRILL_POOL,
  drillClients,
  expectBoundedOutage,
  killAndRestart,
  seedDrillKeys,
} from './common.js';

/**
 * Server-side connections once the pool has settled after the restart: `max` leases, the shared
 * client, and the redis-cli that asks.
 */
const CONNECTION_BOUND = DRILL_POOL.max + 2;

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
    const admin = server.connect();
    const { keys, transactionKey } = await seedDrillKeys(admin, 'restart');
    admin.disconnect();
    return drillClients(createPool({ url: server.url, ...DRILL_POOL }), keys, transactionKey);
  },
  tailMs: 2_000,
  scenario: (context) => killAndRestart(server, 2_000, context),
  recoverFrom: 'server back',
  async measure({ workload }) {
    const connectionsAfter = await countOnceSettled(
      'server-side connections back under the bound',
      CONNECTION_BOUND,
      () => server.connectedClients(),
    );
    const reader = server.connect();
    const { hits, transactions } = await compareCounters(workload, reader);
    reader.disconnect();
    return {
      counters: { hits, transactions },
      details: {
        'server-side connections after': connectionsAfter,
        'connection bound (max + shared + cli)': CONNECTION_BOUND,
      },
      connectionsAfter,
    };
  },
  assert(load, { counters, connectionsAfter }) {
    expectBoundedOutage(load, 'server back');
    expect(connectionsAfter).toBeLessThanOrEqual(CONNECTION_BOUND);
    // appendfsync always: whatever the server acknowledged survived the kill.
    expect(counters).toMatchObject({ hits: { lost: 0 }, transactions: { lost: 0 } });
  },
});

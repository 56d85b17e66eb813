import { createPool } from '@hitpool/pool';
import {
  delay,
  type RedisServer,
  startRedisServer,
  startTcpProxy,
  type TcpProxy,
} from '@hitpool/testing';
import { afterAll, beforeAll, expect } from 'vitest';
import { drill } from '../src/runner.js';
import {
  compareCounters,
  countOnceSettled,
  DRILL_POOL,
  drillClients,
  expectBoundedOutage,
  seedDrillKeys,
} from './common.js';

/**
 * Connections through the proxy once the pool has settled: dead ones were closed, not kept, so
 * no more than `max` leases and the shared client.
 */
const PROXIED_BOUND = DRILL_POOL.max + 1;

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

for (const { name, fault } of cases) {
  drill(name, {
    async setup({ defer }) {
      // Straight to the server, past the proxy: it seeds and reads the counters back.
      const admin = server.connect();
      defer(() => admin.disconnect());
      const { keys, transactionKey } = await seedDrillKeys(admin, 'network');
      const pool = createPool({ url: `redis://127.0.0.1:${proxy.port}`, ...DRILL_POOL });
      return { ...drillClients(pool, keys, transactionKey), admin };
    },
    tailMs: 2_000,
    async scenario({ mark }) {
      mark('fault');
      await fault();
      mark('network healed');
    },
    recoverFrom: 'network healed',
    async measure({ workload, admin }) {
      const openAfter = await countOnceSettled(
        'proxied connections back under the bound',
        PROXIED_BOUND,
        () => proxy.stats.open,
      );
      const { hits, transactions } = await compareCounters(workload, admin);
      return {
        counters: { hits, transactions },
        details: {
          'proxied connections open after': openAfter,
          'proxied connections ever': proxy.stats.connections,
        },
        openAfter,
      };
    },
    assert(load, { counters, openAfter }) {
      expectBoundedOutage(load, 'network healed');
      expect(openAfter).toBeLessThanOrEqual(PROXIED_BOUND);
      // Nothing acknowledged can be lost here: the server never went away.
      expect(counters).toMatchObject({ hits: { lost: 0 }, transactions: { lost: 0 } });
    },
  });
}

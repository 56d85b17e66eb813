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
      const prefix = randomPrefix('network');
      const keys = keyNames(prefix, 50);
      // Straight to the server, past the proxy: it seeds and reads the counters back.
      const admin = server.connect();
      defer(() => admin.disconnect());
      await seedKeys(admin, keys);
      const pool = createPool({ url: `redis://127.0.0.1:${proxy.port}`, ...DRILL_POOL });
      return { ...drillClients(pool, keys, (caller) => `${prefix}tx:${caller}`), admin };
    },
    tailMs: 2_000,
    async scenario({ mark }) {
      mark('fault');
      await fault();
      mark('network healed');
    },
    recoverFrom: 'network healed',
    async measure({ workload, admin }) {
      // Dead connections were closed, not kept: what goes through the proxy
      // settles back under the pool's bound (max leases + the shared client).
      const bound = DRILL_POOL.max + 1;
      let openAfter = Number.NaN;
      await waitFor(
        'proxied connections back under the bound',
        () => {
          openAfter = proxy.stats.open;
          return openAfter <= bound;
        },
        5_000,
      ).catch(() => {});
      const { hits, transactions } = await compareCounters(workload, admin);
      return {
        counters: { hits, transactions },
        details: {
          'proxied connections open after': openAfter,
          'proxied connections ever': proxy.stats.connections,
        },
        openAfter,
        bound,
      };
    },
    assert(load, { counters, openAfter, bound }) {
      expect(load.maxLatencyMs).toBeLessThanOrEqual(
        DRILL_POOL.acquireTimeoutMs + DRILL_POOL.commandTimeoutMs + TIMEOUT_TOLERANCE_MS,
      );
      expectBothServeAgainWithin(load, 'network healed', 1_000);
      expect(openAfter).toBeLessThanOrEqual(bound);
      // Nothing acknowledged can be lost here: the server never went away.
      expect(counters.hits.lost).toBe(0);
      expect(counters.transactions.lost).toBe(0);
    },
  });
}

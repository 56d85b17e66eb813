import { createPool } from '@hitpool/pool';
import { delay, type RedisServer, randomPrefix, startRedisServer } from '@hitpool/testing';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, expect } from 'vitest';
import { keyNames, seedKeys } from '../src/data.js';
import { drill } from '../src/runner.js';
import { drillClients } from './common.js';

const STORM_CALLERS = 2_000;
const MAXCLIENTS = 128;
const MAX = 20;

let server: RedisServer;

beforeAll(async () => {
  server = await startRedisServer({ maxclients: MAXCLIENTS });
});

afterAll(async () => {
  await server?.close();
});

/** Server-side connections, as `admin`'s server counts them (`admin` included). */
async function serverConnections(admin: Redis): Promise<number> {
  const info = await admin.info('clients');
  return Number(/connected_clients:(\d+)/.exec(info)?.[1] ?? Number.NaN);
}

const cases = [
  {
    name: '8a connection storm: 2,000 callers, queue',
    options: { maxWaiting: STORM_CALLERS, acquireTimeoutMs: 10_000 },
    failFast: false,
  },
  {
    name: '8b connection storm: 2,000 callers, maxWaiting 100',
    options: { maxWaiting: 100, acquireTimeoutMs: 2_000 },
    failFast: true,
  },
];

for (const { name, options, failFast } of cases) {
  drill(name, {
    async setup({ defer }) {
      // Seeds, then samples the server's connections while the storm runs.
      const admin = server.connect();
      defer(() => admin.disconnect());
      const prefix = randomPrefix('storm');
      const keys = keyNames(prefix, 100);
      await seedKeys(admin, keys);
      const pool = createPool({ url: server.url, max: MAX, commandTimeoutMs: 5_000, ...options });
      // Half the callers need a lease (WATCH/MULTI), half share the pool's client.
      const clients = drillClients(pool, keys, (caller) => `${prefix}tx:${caller}`, {
        callers: STORM_CALLERS,
        transactionCallers: STORM_CALLERS / 2,
      });
      return { ...clients, admin, peaks: { server: 0, poolSize: 0, pending: 0 } };
    },
    warmupMs: 0,
    tailMs: 0,
    async scenario(_, { pool, admin, peaks }) {
      const until = performance.now() + 3_000;
      while (performance.now() < until) {
        const stats = pool.stats();
        peaks.poolSize = Math.max(peaks.poolSize, stats.size);
        peaks.pending = Math.max(peaks.pending, stats.pending);
        peaks.server = Math.max(peaks.server, await serverConnections(admin));
        await delay(50);
      }
    },
    async measure({ peaks }) {
      return {
        details: {
          'pool max / maxWaiting': `${MAX} / ${options.maxWaiting}`,
          'server maxclients': MAXCLIENTS,
          'peak server-side connections (incl. the sampler)': peaks.server,
          'peak pool size': peaks.poolSize,
          'peak waiting acquires': peaks.pending,
        },
      };
    },
    assert(load, _, { peaks }) {
      const refused = Object.keys(load.failures.counts).filter((code) =>
        /max number of clients/i.test(`${code} ${load.failures.samples[code]}`),
      );
      expect(refused, '"max number of clients reached" errors').toEqual([]);
      expect(peaks.poolSize).toBeLessThanOrEqual(MAX);
      // max leases + the shared client + the sampler's own connection.
      expect(peaks.server).toBeLessThanOrEqual(MAX + 2);
      expect(peaks.pending).toBeLessThanOrEqual(options.maxWaiting);
      if (failFast) {
        expect(Object.keys(load.failures.counts)).toEqual(['tx:POOL_QUEUE_FULL']);
        // Refused at once, not after waiting for acquireTimeoutMs; what latency there is comes
        // from 2,000 callers sharing one event loop.
        expect(load.failures.latency['tx:POOL_QUEUE_FULL']?.max).toBeLessThan(
          options.acquireTimeoutMs / 4,
        );
      } else {
        expect(load.failures.counts).toEqual({});
      }
    },
  });
}

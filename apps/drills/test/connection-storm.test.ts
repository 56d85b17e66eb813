import { createHitTracker } from '@hitpool/hits';
import { createPool } from '@hitpool/pool';
import { delay, type RedisServer, randomPrefix, startRedisServer } from '@hitpool/testing';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, expect, inject, it } from 'vitest';
import { keyNames, seedKeys } from '../src/data.js';
import { reportDrill } from '../src/figures.js';
import { runLoad } from '../src/load.js';
import { watchUnhandled } from '../src/unhandled.js';
import { createWorkload } from '../src/workload.js';

const STORM_CALLERS = 2_000;
const MAXCLIENTS = 128;
const MAX = 20;

let server: RedisServer;
let admin: Redis;

beforeAll(async () => {
  server = await startRedisServer({ maxclients: MAXCLIENTS });
  admin = server.connect();
});

afterAll(async () => {
  admin?.disconnect();
  await server?.close();
});

async function serverConnections(): Promise<number> {
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

it.each(cases)('$name', async ({ name, options, failFast }) => {
  const prefix = randomPrefix('storm');
  const keys = keyNames(prefix, 100);
  await seedKeys(admin, keys);
  const pool = createPool({ url: server.url, max: MAX, commandTimeoutMs: 5_000, ...options });
  const tracker = createHitTracker({ redis: pool });
  // Half the callers need a lease (WATCH/MULTI), half share the pool's client.
  const workload = createWorkload({
    tracker,
    keys,
    pool,
    transactionCallers: STORM_CALLERS / 2,
    transactionKey: (caller) => `${prefix}tx:${caller}`,
  });
  const unhandled = watchUnhandled();
  let peakServer = 0;
  let peakPoolSize = 0;
  let peakPending = 0;
  try {
    const load = await runLoad({
      callers: STORM_CALLERS,
      call: workload.call,
      labelOf: workload.labelOf,
      warmupMs: 0,
      tailMs: 0,
      scenario: async () => {
        const until = performance.now() + 3_000;
        while (performance.now() < until) {
          const stats = pool.stats();
          peakPoolSize = Math.max(peakPoolSize, stats.size);
          peakPending = Math.max(peakPending, stats.pending);
          peakServer = Math.max(peakServer, await serverConnections());
          await delay(50);
        }
      },
    });
    if (load.scenarioError) throw load.scenarioError;

    const refused = Object.keys(load.failures.counts).filter((code) =>
      /max number of clients/i.test(`${code} ${load.failures.samples[code]}`),
    );
    reportDrill({
      drill: name,
      load,
      details: {
        'pool max / maxWaiting': `${MAX} / ${options.maxWaiting}`,
        'server maxclients': MAXCLIENTS,
        'peak server-side connections (incl. the sampler)': peakServer,
        'peak pool size': peakPoolSize,
        'peak waiting acquires': peakPending,
        'unhandled rejections': unhandled.errors.length,
        'pool stats': pool.stats(),
      },
      resultsFile: inject('drillResults'),
    });

    expect(load.pending, 'calls left pending').toBe(0);
    expect(refused, '"max number of clients reached" errors').toEqual([]);
    expect(peakPoolSize).toBeLessThanOrEqual(MAX);
    // max leases + the shared client + the sampler's own connection.
    expect(peakServer).toBeLessThanOrEqual(MAX + 2);
    expect(peakPending).toBeLessThanOrEqual(options.maxWaiting);
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
    expect(unhandled.errors).toEqual([]);
  } finally {
    unhandled.stop();
    await tracker.close();
    await pool.close({ timeoutMs: 2_000 });
  }
});

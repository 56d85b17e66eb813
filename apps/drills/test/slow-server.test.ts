import { createPool } from '@hitpool/pool';
import { delay, type RedisServer, startRedisServer } from '@hitpool/testing';
import { afterAll, beforeAll, expect } from 'vitest';
import { drill } from '../src/runner.js';
import {
  drillClients,
  expectBothServeAgainWithin,
  seedDrillKeys,
  TIMEOUT_TOLERANCE_MS,
} from './common.js';

/** Few leases and short timeouts, so waiters time out while the server is stuck. */
const SLOW_POOL = {
  max: 4,
  acquireTimeoutMs: 500,
  commandTimeoutMs: 300,
  connectTimeoutMs: 1_000,
} as const;

let server: RedisServer;

beforeAll(async () => {
  server = await startRedisServer({ config: { 'enable-debug-command': 'yes' } });
});

afterAll(async () => {
  await server?.close();
});

const cases = [
  {
    name: '5a slow server: CLIENT PAUSE 3 s',
    stall: async () => {
      await server.clientPause(3_000);
      await delay(3_000);
    },
  },
  {
    name: '5b slow server: DEBUG SLEEP 2 s',
    // redis-cli returns when the server wakes up.
    stall: () => server.cli('DEBUG', 'SLEEP', '2').then(() => {}),
  },
];

for (const { name, stall } of cases) {
  drill(name, {
    async setup() {
      const admin = server.connect();
      const { keys, transactionKey } = await seedDrillKeys(admin, 'slow');
      admin.disconnect();
      return drillClients(createPool({ url: server.url, ...SLOW_POOL }), keys, transactionKey);
    },
    async scenario({ mark }) {
      mark('stall');
      await stall();
      mark('server answers');
    },
    recoverFrom: 'server answers',
    async measure(_, load) {
      const { latency } = load.failures;
      const commandTimeouts = Object.entries(latency).filter(([code]) => !code.startsWith('tx:'));
      const acquireTimeouts = latency['tx:POOL_ACQUIRE_TIMEOUT'];
      const overshoot = (ranges: Array<{ max: number }>, limit: number) =>
        Math.round(Math.max(0, ...ranges.map((range) => range.max - limit)));
      return {
        details: {
          'acquireTimeoutMs / commandTimeoutMs': `${SLOW_POOL.acquireTimeoutMs} / ${SLOW_POOL.commandTimeoutMs}`,
          'acquire timeouts fired at ms': acquireTimeouts
            ? `${Math.round(acquireTimeouts.min)}..${Math.round(acquireTimeouts.max)}`
            : 'none',
          'worst acquire timeout overshoot ms': overshoot(
            acquireTimeouts ? [acquireTimeouts] : [],
            SLOW_POOL.acquireTimeoutMs,
          ),
          'worst command timeout overshoot ms': overshoot(
            commandTimeouts.map(([, range]) => range),
            SLOW_POOL.commandTimeoutMs,
          ),
          'stated tolerance ms': TIMEOUT_TOLERANCE_MS,
        },
        commandTimeouts,
        acquireTimeouts,
      };
    },
    assert(load, { commandTimeouts, acquireTimeouts }) {
      // Waiters give up at acquireTimeoutMs, never early, at most the tolerance late.
      expect(acquireTimeouts, 'some acquire timed out while the server was stuck').toBeDefined();
      expect(acquireTimeouts?.min).toBeGreaterThanOrEqual(SLOW_POOL.acquireTimeoutMs - 5);
      expect(acquireTimeouts?.max).toBeLessThanOrEqual(
        SLOW_POOL.acquireTimeoutMs + TIMEOUT_TOLERANCE_MS,
      );
      // Commands on the shared client give up at commandTimeoutMs.
      expect(commandTimeouts.length, 'some hits.get timed out').toBeGreaterThan(0);
      for (const [code, range] of commandTimeouts) {
        // A command that times out drops its connection, and the pool at once fails the commands
        // written after it on that socket (POOL_CONNECTION_LOST): their replies can never arrive,
        // so they may end a few ms before their own deadline. Once the stall outlasts
        // commandTimeoutMs + 0.5 s the pool fails fast (POOL_UNAVAILABLE, at once, unsent).
        // Only timeouts proper are held to it.
        if (code !== 'POOL_CONNECTION_LOST' && code !== 'POOL_UNAVAILABLE') {
          expect(range.min, code).toBeGreaterThanOrEqual(SLOW_POOL.commandTimeoutMs - 5);
        }
        expect(range.max, code).toBeLessThanOrEqual(
          SLOW_POOL.commandTimeoutMs + TIMEOUT_TOLERANCE_MS,
        );
      }
      expectBothServeAgainWithin(load, 'server answers', 1_000);
    },
  });
}

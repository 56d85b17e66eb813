import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { createPool } from '@hitpool/pool';
import { delay, type RedisServer, randomPrefix, startRedisServer } from '@hitpool/testing';
import { afterAll, beforeAll, expect } from 'vitest';
import { drill } from '../src/runner.js';
import type { ScenarioContext } from '../src/timeline.js';
import { DRILL_POOL, drillClients, seedDrillKeys } from './common.js';

/** Calls fired at once at the hung server, on top of the standard load. */
const BURST = 100_000;
/** Heap the burst may leave behind once everything settled and the heap was collected. */
const HEAP_GROWTH_LIMIT_BYTES = 10 * 1024 * 1024;
/** The pool's default bound (`maxPendingCommands`). */
const MAX_PENDING = 10_000;
/** Burst calls made per turn of the event loop. */
const BURST_TURN = 1_000;
/**
 * How late past its deadline a burst call may settle. Wider than the other drills' tolerance:
 * when the deadline passes, the 10,000 written calls are rejected together, and this process runs
 * their rejections (and the rest of the burst, and the standard load) before the last handler
 * can note the time. A call that waited for a second deadline would still be caught.
 */
const BURST_TOLERANCE_MS = 500;

/** A full collection, without running the whole process with --expose-gc. */
function collectGarbage(): void {
  setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc') as () => void;
  gc();
  gc();
}

let server: RedisServer;

beforeAll(async () => {
  server = await startRedisServer();
});

afterAll(async () => {
  server?.thaw();
  await server?.close();
});

drill('10 backlog: 100,000 calls at a hung server (SIGSTOP)', {
  async setup() {
    const admin = server.connect();
    const { keys, transactionKey } = await seedDrillKeys(admin, 'backlog');
    admin.disconnect();
    const pool = createPool({ url: server.url, ...DRILL_POOL });
    const burst = {
      key: `${randomPrefix('backlog')}k`,
      latest: 0,
      byCode: {} as Record<string, number>,
      heapBefore: 0,
      heapAfter: 0,
      settleMs: 0,
    };
    return { ...drillClients(pool, keys, transactionKey), burst };
  },
  async scenario({ mark }: ScenarioContext, { pool, burst }) {
    collectGarbage();
    burst.heapBefore = process.memoryUsage().heapUsed;
    server.freeze();
    mark('hung');
    const start = performance.now();
    const calls: Array<Promise<void>> = [];
    for (let i = 0; i < BURST; i++) {
      // In turns of 1,000 calls, as the requests of a busy service arrive: one synchronous loop
      // of 100,000 calls holds the event loop for 1.5–2 s here, and no deadline can fire before
      // it ends.
      if (i > 0 && i % BURST_TURN === 0) await new Promise((resolve) => setImmediate(resolve));
      const called = performance.now();
      calls.push(
        pool.client.get(burst.key).then(
          () => {},
          (error: { code?: string; message?: string }) => {
            const code = error.code ?? error.message ?? 'unknown';
            burst.byCode[code] = (burst.byCode[code] ?? 0) + 1;
            burst.latest = Math.max(burst.latest, performance.now() - called);
          },
        ),
      );
    }
    await Promise.all(calls);
    burst.settleMs = performance.now() - start;
    calls.length = 0;
    collectGarbage();
    burst.heapAfter = process.memoryUsage().heapUsed;
    await delay(200);
    server.thaw();
    mark('server back');
  },
  recoverFrom: 'server back',
  async measure({ burst }) {
    return {
      details: {
        'burst calls': BURST,
        'burst outcomes by code': burst.byCode,
        'burst settled within ms': Math.round(burst.settleMs),
        'slowest burst call ms': Math.round(burst.latest),
        'heap growth after GC MB': Number(
          ((burst.heapAfter - burst.heapBefore) / 1024 / 1024).toFixed(2),
        ),
        maxPendingCommands: MAX_PENDING,
      },
      burst,
    };
  },
  assert(_, { burst }) {
    // Every call settled by its deadline (commandTimeoutMs from the call), most at once.
    expect(burst.latest).toBeLessThan(DRILL_POOL.commandTimeoutMs + BURST_TOLERANCE_MS);
    // The rest were refused at once, unsent: by the backlog bound, or by the breaker once it
    // opened (the burst can outlast commandTimeoutMs + 0.5 s on a slow machine).
    const refused = (burst.byCode.POOL_QUEUE_FULL ?? 0) + (burst.byCode.POOL_UNAVAILABLE ?? 0);
    expect(refused).toBeGreaterThanOrEqual(BURST - MAX_PENDING);
    expect(burst.byCode.POOL_QUEUE_FULL ?? 0).toBeGreaterThan(0);
    expect(burst.heapAfter - burst.heapBefore).toBeLessThan(HEAP_GROWTH_LIMIT_BYTES);
  },
});

import { createPool } from '@hitpool/pool';
import { delay, type RedisServer, randomPrefix, startRedisServer } from '@hitpool/testing';
import { afterAll, beforeAll, expect } from 'vitest';
import { keyNames } from '../src/data.js';
import { recovery } from '../src/drill-load.js';
import { drill } from '../src/runner.js';
import type { ScenarioContext } from '../src/timeline.js';
import {
  compareCounters,
  DRILL_POOL,
  drillClients,
  seedDrillKeys,
  TIMEOUT_TOLERANCE_MS,
} from './common.js';

/** The goals: rejections once the breaker is open (`client` commands, `use`), and service after Redis is back. */
const REJECTION_P99_MS = 5;
/**
 * `hits.get` answers a turn's callers together after the batch was refused (and settles 64 keys
 * per turn of the event loop): its bound is a few turns of a loop running 200 callers.
 */
const HITS_REJECTION_P99_MS = 50;
const SERVE_AGAIN_MS = 500;
/** How long after the outage began the breaker must be open: `commandTimeoutMs` + 1 s. */
const OPEN_WITHIN_MS = DRILL_POOL.commandTimeoutMs + 1_000;

/** Codes of calls that may or may not have been applied (their connection failed under them). */
const AMBIGUOUS = /Command timed out|POOL_CONNECTION_LOST|Connection is closed/;

let server: RedisServer;

beforeAll(async () => {
  // fsync on every write: what the server acknowledged survives a kill -9, so a count that is
  // off is the client's doing.
  server = await startRedisServer({ config: { appendonly: 'yes', appendfsync: 'always' } });
});

afterAll(async () => {
  server?.thaw();
  await server?.close();
});

function p99(samples: number[]): number | undefined {
  if (samples.length === 0) return undefined;
  const sorted = samples.slice().sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil(sorted.length * 0.99) - 1)];
}

const cases = [
  {
    name: '9a fail fast: kill -9 under 200 callers, back after 2 s',
    async outage(): Promise<void> {
      await server.kill();
    },
    async back(): Promise<void> {
      await server.start();
    },
  },
  {
    name: '9b fail fast: hung server (SIGSTOP) for 3 s',
    async outage(): Promise<void> {
      server.freeze();
    },
    async back(): Promise<void> {
      server.thaw();
    },
    downMs: 3_000,
  },
];

for (const { name, outage, back, downMs = 2_000 } of cases) {
  drill(name, {
    async setup({ defer }) {
      const admin = server.connect();
      const { keys, transactionKey } = await seedDrillKeys(admin, 'fail-fast');
      admin.disconnect();
      const clientKeys = keyNames(`${randomPrefix('fail-fast-n')}`, 10);
      const pool = createPool({ url: server.url, ...DRILL_POOL });
      const times = { outageAt: 0, downAt: 0, upAt: 0 };
      const onDown = () => {
        if (times.downAt === 0) times.downAt = performance.now();
      };
      const onUp = () => {
        if (times.upAt === 0 && times.downAt > 0) times.upAt = performance.now();
      };
      pool.on('down', onDown).on('up', onUp);
      defer(() => pool.off('down', onDown).off('up', onUp));
      const base = drillClients(pool, keys, transactionKey, { clientKeys });
      // Rejection latency of every call made while the breaker was open, by kind of caller.
      const rejections: Record<string, number[]> = { main: [], client: [], tx: [] };
      const openCalls: Record<string, number> = { main: 0, client: 0, tx: 0 };
      const call = async (caller: number): Promise<unknown> => {
        const startedAt = performance.now();
        const open = times.downAt > 0 && times.upAt === 0 && startedAt >= times.downAt;
        const label = base.labelOf?.(caller) ?? 'main';
        if (open) openCalls[label] = (openCalls[label] ?? 0) + 1;
        try {
          return await base.call(caller);
        } catch (error) {
          if (open && (error as { code?: unknown }).code === 'POOL_UNAVAILABLE') {
            rejections[label]?.push(performance.now() - startedAt);
          }
          throw error;
        }
      };
      return { ...base, call, times, rejections, openCalls, clientKeys };
    },
    tailMs: 1_500,
    async scenario({ mark }: ScenarioContext, { times }) {
      await outage();
      times.outageAt = performance.now();
      mark('outage');
      await delay(downMs);
      await back();
      mark('server back');
    },
    recoverFrom: 'server back',
    async measure({ workload, times, rejections, openCalls }, load) {
      const reader = server.connect();
      const { hits, transactions, client } = await compareCounters(workload, reader);
      reader.disconnect();
      let ambiguous = 0;
      let unavailable = 0;
      for (const [code, count] of Object.entries(load.failures.counts)) {
        if (AMBIGUOUS.test(`${code} ${load.failures.samples[code] ?? ''}`)) ambiguous += count;
        if (code.endsWith('POOL_UNAVAILABLE')) unavailable += count;
      }
      const openedAfterMs = times.downAt > 0 ? Math.round(times.downAt - times.outageAt) : null;
      const rejectionP99 = Object.fromEntries(
        Object.entries(rejections).map(([label, samples]) => [label, p99(samples)]),
      );
      return {
        counters: { hits, transactions },
        client,
        details: {
          'breaker opened after outage ms': openedAfterMs,
          'breaker closed after server back ms':
            times.upAt > 0 ? Math.round(times.upAt - (times.outageAt + downMs)) : null,
          'rejection p99 ms while open (hits.get / client / use)': Object.fromEntries(
            Object.entries(rejectionP99).map(([label, ms]) => [
              label,
              ms === undefined ? null : Number(ms.toFixed(2)),
            ]),
          ),
          'calls while open (rejected at once)': Object.fromEntries(
            Object.keys(openCalls).map((label) => [
              label,
              `${openCalls[label]} (${rejections[label]?.length ?? 0})`,
            ]),
          ),
          'refused with POOL_UNAVAILABLE': unavailable,
          'failed calls that may have been applied': ambiguous,
        },
        openedAfterMs,
        rejectionP99,
        ambiguous,
        unavailable,
      };
    },
    assert(load, figures) {
      const { openedAfterMs, rejectionP99, ambiguous, unavailable, counters, client } = figures;
      expect(openedAfterMs, 'the breaker opened').not.toBeNull();
      expect(openedAfterMs).toBeLessThanOrEqual(OPEN_WITHIN_MS + TIMEOUT_TOLERANCE_MS);
      expect(unavailable, 'calls refused while down').toBeGreaterThan(0);
      for (const label of ['client', 'tx']) {
        expect(rejectionP99[label], `p99 rejection of ${label} while open`).toBeLessThan(
          REJECTION_P99_MS,
        );
      }
      expect(rejectionP99.main, 'p99 rejection of hits.get while open').toBeLessThan(
        HITS_REJECTION_P99_MS,
      );
      const { byLabel } = recovery(load, 'server back');
      for (const label of ['main', 'client', 'tx']) {
        expect(byLabel[label], `${label} serving again after Redis is back`).toBeLessThanOrEqual(
          SERVE_AGAIN_MS,
        );
      }
      // Acknowledged means applied (fsync always) ...
      expect(counters?.hits?.lost).toBe(0);
      expect(counters?.transactions?.lost).toBe(0);
      expect(client?.lost).toBe(0);
      // ... and a call reported as failed was applied only if its connection failed under it:
      // never one refused with PoolUnavailableError.
      const extra =
        (counters?.hits?.extra ?? 0) + (counters?.transactions?.extra ?? 0) + (client?.extra ?? 0);
      expect(extra).toBeLessThanOrEqual(ambiguous);
    },
  });
}

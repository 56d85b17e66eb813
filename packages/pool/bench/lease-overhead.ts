import genericPool from 'generic-pool';
import { Pool as TarnPool } from 'tarn';
import { createPool } from '../src/index.js';

/** One contender: acquire a resource, release it, no I/O. */
export interface LeaseContender {
  name: string;
  cycle(): Promise<void>;
  close(): Promise<void>;
}

const BORROWERS = 100;
const RESOURCES = 10;

export async function hitpoolContender(url: string): Promise<LeaseContender> {
  const pool = createPool({ url, min: RESOURCES, max: RESOURCES, maxWaiting: BORROWERS });
  // Open all connections first: the benchmark measures leasing, not connecting.
  const leases = await Promise.all(Array.from({ length: RESOURCES }, () => pool.acquire()));
  for (const lease of leases) lease.release();
  return {
    name: '@hitpool/pool',
    async cycle() {
      const lease = await pool.acquire();
      lease.release();
    },
    close: () => pool.close(),
  };
}

export async function genericPoolContender(): Promise<LeaseContender> {
  let n = 0;
  const pool = genericPool.createPool(
    { create: async () => ({ id: n++ }), destroy: async () => {} },
    { min: RESOURCES, max: RESOURCES },
  );
  await pool.ready();
  return {
    name: 'generic-pool',
    async cycle() {
      const resource = await pool.acquire();
      pool.release(resource);
    },
    async close() {
      await pool.drain();
      await pool.clear();
    },
  };
}

export async function tarnContender(): Promise<LeaseContender> {
  let n = 0;
  const pool = new TarnPool({
    create: (callback: (error: Error | null, resource: { id: number }) => void) =>
      callback(null, { id: n++ }),
    destroy: () => {},
    min: RESOURCES,
    max: RESOURCES,
  });
  return {
    name: 'tarn',
    async cycle() {
      const resource = await pool.acquire().promise;
      pool.release(resource);
    },
    close: () => pool.destroy().then(() => {}),
  };
}

/**
 * Acquire+release per second with `BORROWERS` concurrent loops for about `ms`. The clock is
 * read every 64 cycles: a pool that settles everything in microtasks never lets a timer fire.
 */
export async function measureLeases(contender: LeaseContender, ms: number): Promise<number> {
  let count = 0;
  const start = performance.now();
  const deadline = start + ms;
  await Promise.all(
    Array.from({ length: BORROWERS }, async () => {
      for (let i = 1; ; i++) {
        await contender.cycle();
        count++;
        if ((i & 63) === 0 && performance.now() >= deadline) return;
      }
    }),
  );
  return count / ((performance.now() - start) / 1000);
}

export const leaseSetup: { borrowers: number; resources: number } = {
  borrowers: BORROWERS,
  resources: RESOURCES,
};

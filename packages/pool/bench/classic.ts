import type { ClassicRow } from '@hitpool/workload';
import { Redis } from 'ioredis';
import { createClientPool } from 'redis';
import { createPool } from '../src/index.js';

/** One way of serving 200 concurrent callers that each read one key. */
export interface ClassicContender {
  name: string;
  /** `CLIENT SETNAME` of its connections, to count them among the others on the server. */
  clientName: string;
  call(key: string): Promise<unknown>;
  close(): Promise<void>;
}

/** One row of the classic table (the shape `@hitpool/workload` draws). */
export type ClassicResult = ClassicRow;

export function perCallContender(url: string): ClassicContender {
  return {
    name: 'new connection per call',
    clientName: 'bench-per-call',
    async call(key) {
      const redis = new Redis(url, {
        maxRetriesPerRequest: 0,
        retryStrategy: () => null,
        connectionName: 'bench-per-call',
      });
      redis.on('error', () => {});
      try {
        return await redis.get(key);
      } finally {
        redis.disconnect();
      }
    },
    close: async () => {},
  };
}

export function clientContender(url: string): ClassicContender {
  const pool = createPool({ url, redis: { connectionName: 'bench-client' } });
  return {
    name: '@hitpool/pool client',
    clientName: 'bench-client',
    call: (key) => pool.client.get(key),
    close: () => pool.close(),
  };
}

export function useContender(url: string): ClassicContender {
  const pool = createPool({ url, max: 10, redis: { connectionName: 'bench-use' } });
  return {
    name: '@hitpool/pool use (max 10)',
    clientName: 'bench-use',
    call: (key) => pool.use((redis) => redis.get(key)),
    close: () => pool.close(),
  };
}

export async function nodeRedisContender(url: string): Promise<ClassicContender> {
  const pool = createClientPool({ url, name: 'bench-node-redis' }, { minimum: 1, maximum: 10 });
  pool.on('error', () => {});
  await pool.connect();
  return {
    name: 'node-redis createClientPool (max 10)',
    clientName: 'bench-node-redis',
    call: (key) => pool.get(key),
    close: () => pool.close(),
  };
}

/** Peak `CLIENT LIST` entries named `clientName` while `work` runs, sampled every 5 ms. */
async function peakConnections<T>(
  url: string,
  clientName: string,
  work: Promise<T>,
): Promise<[T, number]> {
  const sampler = new Redis(url);
  let peak = 0;
  let done = false;
  const sampling = (async () => {
    while (!done) {
      const list = String(await sampler.client('LIST'));
      const named = list.split('\n').filter((line) => line.includes(` name=${clientName} `));
      peak = Math.max(peak, named.length);
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
  })();
  try {
    const result = await work;
    return [result, peak];
  } finally {
    done = true;
    await sampling;
    sampler.disconnect();
  }
}

/** `calls` calls from `concurrency` callers; latency per call; errors counted, not thrown. */
export async function measureClassic(
  url: string,
  contender: ClassicContender,
  key: string,
  calls: number,
  concurrency = 200,
): Promise<ClassicResult> {
  const latencies = new Float64Array(calls);
  let next = 0;
  let errors = 0;
  const start = performance.now();
  const run = Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < calls) {
        const i = next++;
        const t0 = performance.now();
        try {
          await contender.call(key);
        } catch {
          errors++;
        }
        latencies[i] = performance.now() - t0;
      }
    }),
  );
  const [, peak] = await peakConnections(url, contender.clientName, run);
  const seconds = (performance.now() - start) / 1000;
  latencies.sort();
  const at = (q: number) => latencies[Math.min(calls - 1, Math.floor(q * calls))] ?? 0;
  return {
    name: contender.name,
    calls,
    callsPerSecond: calls / seconds,
    p50: at(0.5),
    p99: at(0.99),
    peakConnections: peak,
    errors,
  };
}

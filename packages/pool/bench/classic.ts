import { Redis } from 'ioredis';
import { createClientPool } from 'redis';
import { createPool } from '../src/index.js';

/** One way of serving 200 concurrent callers that each read one key. */
export interface ClassicContender {
  name: string;
  call(key: string): Promise<unknown>;
  close(): Promise<void>;
}

export interface ClassicResult {
  name: string;
  calls: number;
  callsPerSecond: number;
  p50: number;
  p99: number;
  peakConnections: number;
  errors: number;
}

export function perCallContender(url: string): ClassicContender {
  return {
    name: 'new connection per call',
    async call(key) {
      const redis = new Redis(url, { maxRetriesPerRequest: 0, retryStrategy: () => null });
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
  const pool = createPool({ url });
  return {
    name: '@hitpool/pool client',
    call: (key) => pool.client.get(key),
    close: () => pool.close(),
  };
}

export function useContender(url: string): ClassicContender {
  const pool = createPool({ url, max: 10 });
  return {
    name: '@hitpool/pool use (max 10)',
    call: (key) => pool.use((redis) => redis.get(key)),
    close: () => pool.close(),
  };
}

export async function nodeRedisContender(url: string): Promise<ClassicContender> {
  const pool = createClientPool({ url }, { minimum: 1, maximum: 10 });
  pool.on('error', () => {});
  await pool.connect();
  return {
    name: 'node-redis createClientPool (max 10)',
    call: (key) => pool.get(key),
    close: () => pool.close(),
  };
}

/** Peak `CLIENT LIST` entries (minus the sampler) while `work` runs, sampled every 5 ms. */
async function peakConnections<T>(url: string, work: Promise<T>): Promise<[T, number]> {
  const sampler = new Redis(url);
  let peak = 0;
  let done = false;
  const sampling = (async () => {
    while (!done) {
      const list = String(await sampler.client('LIST'));
      peak = Math.max(peak, list.trim().split('\n').length - 1);
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
  const [, peak] = await peakConnections(url, run);
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

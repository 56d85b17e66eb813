/** `@hitpool/pool/otel`: the semantic-convention metrics, read with the SDK's own reader. */

import { randomPrefix, startRedisCluster } from '@hitpool/testing';
import {
  type CollectingMeterProvider,
  collectingMeterProvider,
  histogramOf,
} from '@hitpool/testing/metrics';
import type { Attributes, MeterProvider as MeterProviderApi } from '@opentelemetry/api';
import {
  DataPointType,
  type MeterProvider,
  type MetricData,
  type SumMetricData,
} from '@opentelemetry/sdk-metrics';
import { afterEach, describe, expect, inject, it } from 'vitest';
import {
  createPool,
  getPool,
  PoolClosedError,
  type PooledConnection,
  parseRedisUrl,
} from '../src/index.js';
import { instrumentPool, PoolAlreadyInstrumentedError } from '../src/otel/index.js';
import { trackedPools } from './pools.js';

/** A meter provider, shut down after the test, and a way to read what it recorded. */
function sdk(): CollectingMeterProvider {
  const otel = collectingMeterProvider();
  providers.push(otel.provider);
  return otel;
}

const providers: MeterProvider[] = [];
afterEach(async () => {
  await Promise.all(providers.splice(0).map((provider) => provider.shutdown()));
});

const newPool = trackedPools();
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The value of a sum (counter / up-down counter) for exactly these attributes. */
function sumOf(metrics: Map<string, MetricData>, name: string, attributes: Attributes): number {
  const metric = metrics.get(name) as SumMetricData | undefined;
  expect(metric, name).toBeDefined();
  const point = metric?.dataPoints.find((p) => sameAttributes(p.attributes, attributes));
  expect(point, `${name} ${JSON.stringify(attributes)}`).toBeDefined();
  return point?.value ?? Number.NaN;
}

function sameAttributes(a: Attributes, b: Attributes): boolean {
  const keys = Object.keys(a);
  return keys.length === Object.keys(b).length && keys.every((key) => a[key] === b[key]);
}

describe('connection metrics', () => {
  it('records each pool metric by its semantic-convention name, unit and attributes', async () => {
    const otel = sdk();
    const pool = newPool({ min: 1, max: 2, maxBlocking: 1, acquireTimeoutMs: 100 });
    instrumentPool(pool, { meterProvider: otel.provider });
    const name = { 'db.client.connection.pool.name': pool.name };
    const idle = { ...name, 'db.client.connection.state': 'idle' };
    const used = { ...name, 'db.client.connection.state': 'used' };

    const a = await pool.acquire();
    const b = await pool.acquire();
    const waiting = pool.acquire().catch((error: unknown) => error);
    let metrics = await otel.collect();
    expect(sumOf(metrics, 'db.client.connection.count', used)).toBe(2);
    expect(sumOf(metrics, 'db.client.connection.count', idle)).toBe(0);
    expect(sumOf(metrics, 'db.client.connection.pending_requests', name)).toBe(1);
    expect(sumOf(metrics, 'db.client.connection.max', name)).toBe(3); // max + maxBlocking
    expect(sumOf(metrics, 'db.client.connection.idle.min', name)).toBe(1);
    expect(sumOf(metrics, 'db.client.connection.timeouts', name)).toBe(0);

    expect((await waiting) as Error).toMatchObject({ code: 'POOL_ACQUIRE_TIMEOUT' });
    await sleep(30);
    a.release();
    b.release();
    metrics = await otel.collect();
    expect(sumOf(metrics, 'db.client.connection.count', used)).toBe(0);
    expect(sumOf(metrics, 'db.client.connection.count', idle)).toBe(2);
    expect(sumOf(metrics, 'db.client.connection.pending_requests', name)).toBe(0);
    expect(sumOf(metrics, 'db.client.connection.timeouts', name)).toBe(1);

    const units = Object.fromEntries(
      [...metrics.values()].map((m) => [m.descriptor.name, m.descriptor.unit]),
    );
    expect(units).toEqual({
      'db.client.connection.count': '{connection}',
      'db.client.connection.max': '{connection}',
      'db.client.connection.idle.min': '{connection}',
      'db.client.connection.pending_requests': '{request}',
      'db.client.connection.timeouts': '{timeout}',
      'db.client.connection.create_time': 's',
      'db.client.connection.wait_time': 's',
      'db.client.connection.use_time': 's',
    });
    expect(metrics.get('db.client.connection.count')?.dataPointType).toBe(DataPointType.SUM);
    expect((metrics.get('db.client.connection.count') as SumMetricData).isMonotonic).toBe(false);
    expect((metrics.get('db.client.connection.timeouts') as SumMetricData).isMonotonic).toBe(true);

    // Two connections opened (min 1, then the second acquire), both after instrumenting.
    const created = histogramOf(metrics, 'db.client.connection.create_time').dataPoints;
    expect(created).toHaveLength(1);
    expect(created[0]?.attributes).toEqual(name);
    expect(created[0]?.value.count).toBe(pool.stats().created);
    expect(created[0]?.value.count).toBe(2);
    expect(created[0]?.value.min).toBeGreaterThan(0);
    expect(created[0]?.value.max).toBeLessThan(1);

    const waits = histogramOf(metrics, 'db.client.connection.wait_time').dataPoints[0]?.value;
    expect(waits?.count).toBe(2);
    expect(waits?.max).toBeLessThan(1);

    const uses = histogramOf(metrics, 'db.client.connection.use_time').dataPoints[0]?.value;
    expect(uses?.count).toBe(2);
    // Both were held across the 100 ms timeout and the 30 ms pause.
    expect(uses?.min).toBeGreaterThanOrEqual(0.12);
    expect(uses?.max).toBeLessThan(5);
    expect(uses?.buckets.boundaries).toEqual([0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 10]);
  });

  it('counts the blocking lane in used, idle and pending', async () => {
    const otel = sdk();
    const pool = newPool({ max: 1, maxBlocking: 2 });
    instrumentPool(pool, { meterProvider: otel.provider });
    const name = { 'db.client.connection.pool.name': pool.name };
    const ordinary = await pool.acquire();
    const blocking = await pool.acquire({ blocking: true });
    const metrics = await otel.collect();
    expect(
      sumOf(metrics, 'db.client.connection.count', {
        ...name,
        'db.client.connection.state': 'used',
      }),
    ).toBe(2);
    expect(sumOf(metrics, 'db.client.connection.max', name)).toBe(3);
    ordinary.release();
    blocking.release();
  });

  it('times only the leases lent after instrumenting (earlier ones have no start time)', async () => {
    const otel = sdk();
    const pool = newPool();
    const before = await pool.acquire();
    const instrumentation = instrumentPool(pool, { meterProvider: otel.provider });
    const after = await pool.acquire();
    await sleep(5);
    before.release();
    after.release();
    const uses = histogramOf(await otel.collect(), 'db.client.connection.use_time');
    expect(uses.dataPoints[0]?.value.count).toBe(1);
    expect(uses.dataPoints[0]?.value.min).toBeGreaterThan(0);
    instrumentation.shutdown();
  });
});

describe('operation duration', () => {
  it('is off by default', async () => {
    const otel = sdk();
    const pool = newPool();
    instrumentPool(pool, { meterProvider: otel.provider });
    await pool.client.ping();
    expect((await otel.collect()).has('db.client.operation.duration')).toBe(false);
  });

  it('records each client command with db.system.name, db.operation.name and error.type', async () => {
    const otel = sdk();
    const pool = newPool();
    instrumentPool(pool, { meterProvider: otel.provider, operationDuration: true });
    const key = randomPrefix('otel');
    await pool.client.set(key, 'text');
    await Promise.all([pool.client.get(key), pool.client.get(key), pool.client.get(key)]);
    await expect(pool.client.incr(key)).rejects.toThrow(/not an integer/);
    await pool.client.del(key);

    const metric = histogramOf(await otel.collect(), 'db.client.operation.duration');
    expect(metric.descriptor.unit).toBe('s');
    const base = {
      'db.client.connection.pool.name': pool.name,
      'db.system.name': 'redis',
      'db.namespace': String(parseRedisUrl(inject('redisUrl')).db),
    };
    const counts = metric.dataPoints.map((point) => [point.attributes, point.value.count]);
    expect(counts).toEqual(
      expect.arrayContaining([
        [{ ...base, 'db.operation.name': 'SET' }, 1],
        [{ ...base, 'db.operation.name': 'GET' }, 3],
        [{ ...base, 'db.operation.name': 'DEL' }, 1],
        [
          {
            ...base,
            'db.operation.name': 'INCR',
            'error.type': 'ERR',
            'db.response.status_code': 'ERR',
          },
          1,
        ],
      ]),
    );
    // Only the caller's commands: the connection's own handshake is not an operation.
    expect(metric.dataPoints).toHaveLength(4);
    for (const point of metric.dataPoints) {
      expect(point.value.min).toBeGreaterThan(0);
      expect(point.value.max).toBeLessThan(1);
    }
  });

  it('records each command of a Cluster client once, without db.namespace', async () => {
    const cluster = await startRedisCluster({ masters: 3, replicasPerMaster: 0 });
    const pool = createPool({ cluster: { nodes: cluster.startupNodes } });
    try {
      const otel = sdk();
      instrumentPool(pool, { meterProvider: otel.provider, operationDuration: true });
      const keys = Array.from({ length: 12 }, (_, i) => `${randomPrefix('otel')}:${i}`);
      await Promise.all(keys.map((key) => pool.client.set(key, 'v')));
      await Promise.all(keys.map((key) => pool.client.get(key)));
      const metric = histogramOf(await otel.collect(), 'db.client.operation.duration');
      const counts = metric.dataPoints.map((point) => [point.attributes, point.value.count]);
      const base = { 'db.client.connection.pool.name': pool.name, 'db.system.name': 'redis' };
      expect(counts).toEqual(
        expect.arrayContaining([
          [{ ...base, 'db.operation.name': 'SET' }, 12],
          [{ ...base, 'db.operation.name': 'GET' }, 12],
        ]),
      );
    } finally {
      await pool.close();
      await cluster.close();
    }
  }, 30_000);

  it('stops recording on shutdown', async () => {
    const otel = sdk();
    const pool = newPool();
    const instrumentation = instrumentPool(pool, {
      meterProvider: otel.provider,
      operationDuration: true,
    });
    await pool.client.ping();
    instrumentation.shutdown();
    await pool.client.ping();
    const metric = histogramOf(await otel.collect(), 'db.client.operation.duration');
    expect(metric.dataPoints[0]?.value.count).toBe(1);
  });
});

describe('instrumenting once', () => {
  it('refuses a second instrumentation of a pool until the first is shut down', async () => {
    const otel = sdk();
    const pool = newPool();
    const first = instrumentPool(pool, { meterProvider: otel.provider });
    expect(() => instrumentPool(pool, { meterProvider: otel.provider })).toThrow(
      PoolAlreadyInstrumentedError,
    );
    try {
      instrumentPool(pool);
    } catch (error) {
      expect(error).toMatchObject({
        name: 'PoolAlreadyInstrumentedError',
        code: 'POOL_ALREADY_INSTRUMENTED',
      });
      expect((error as Error).message).toContain(`Pool "${pool.name}" is already instrumented`);
    }
    first.shutdown();
    first.shutdown();
    const second = instrumentPool(pool, { meterProvider: otel.provider });
    second[Symbol.dispose]();
    instrumentPool(pool, { meterProvider: otel.provider, operationDuration: true }).shutdown();
  });

  it('refuses a closed pool, and lets go of a pool that closes', async () => {
    const otel = sdk();
    // Counts the observable callbacks the instrumentation takes back from the SDK's meter.
    let removed = 0;
    const meterProvider: MeterProviderApi = {
      getMeter(name, version, options) {
        const meter = otel.provider.getMeter(name, version, options);
        const remove = meter.removeBatchObservableCallback.bind(meter);
        meter.removeBatchObservableCallback = (callback, observables) => {
          removed++;
          remove(callback, observables);
        };
        return meter;
      },
    };
    const pool = newPool({ min: 1 });
    const instrumentation = instrumentPool(pool, { meterProvider });
    const lease: PooledConnection = await pool.acquire();
    lease.release();
    await pool.close();
    expect(() => instrumentPool(pool, { meterProvider })).toThrow(PoolClosedError);
    expect(() => instrumentPool(pool, { meterProvider })).toThrow(/is closed/);

    // The collection after close reports the closed pool's last values, then lets it go.
    const metrics = await otel.collect();
    const used = {
      'db.client.connection.pool.name': pool.name,
      'db.client.connection.state': 'used',
    };
    expect(sumOf(metrics, 'db.client.connection.count', used)).toBe(0);
    await sleep(0);
    expect(removed).toBe(1);
    instrumentation.shutdown();
    expect(removed).toBe(1);
  });

  it('keeps a password out of the pool name attribute', async () => {
    const otel = sdk();
    const pool = getPool({
      name: 'redis://app:s3cret@cache.internal:6379',
      url: inject('redisUrl'),
    });
    try {
      instrumentPool(pool, { meterProvider: otel.provider });
      const metrics = await otel.collect();
      const point = (metrics.get('db.client.connection.max') as SumMetricData).dataPoints[0];
      expect(point?.attributes['db.client.connection.pool.name']).toBe(
        'redis://app:***@cache.internal:6379',
      );
      expect(JSON.stringify([...metrics.values()])).not.toContain('s3cret');
    } finally {
      await pool.close();
    }
  });
});

import { type MeterProvider, metrics } from '@opentelemetry/api';
import { PoolAlreadyInstrumentedError, PoolClosedError } from '../errors.js';
import type { RedisPool } from '../types.js';
import { observeConnections } from './connection-metrics.js';
import { recordLeaseTimes } from './lease-histograms.js';
import { recordOperationDuration } from './operation-duration.js';
import { poolAttributes } from './semconv.js';

/** Options of {@link instrumentPool}. */
export interface InstrumentPoolOptions {
  /**
   * Where the metrics go. Default: the global provider of `@opentelemetry/api`
   * (`metrics.getMeterProvider()`), which records nothing until an SDK is registered.
   */
  meterProvider?: MeterProvider;
  /**
   * Also record `db.client.operation.duration` (seconds) for every command of `pool.client`.
   * It times each command, so it costs a little per command (the pool README gives the figure);
   * the connection metrics cost nothing per command. Default false.
   */
  operationDuration?: boolean;
}

/** A running instrumentation: stop it with `shutdown()` (or `using`). */
export interface PoolInstrumentation extends Disposable {
  /**
   * Stop recording: pool listeners and the command observer are removed, the observable
   * instruments report no more values. The pool can be instrumented again afterwards.
   * Idempotent. Also happens by itself at the first collection after the pool closed.
   */
  shutdown(): void;
}

/** The name the pool's meter is registered under. */
export const METER_NAME = '@hitpool/pool';

/**
 * Pools being instrumented, shared by every copy of this module (ESM and CJS side by side), so
 * a pool cannot be counted twice through two copies either.
 */
const INSTRUMENTED_KEY = Symbol.for('@hitpool/pool/otel/instrumented@1');

function instrumented(): WeakSet<RedisPool> {
  const global = globalThis as typeof globalThis & { [INSTRUMENTED_KEY]?: WeakSet<RedisPool> };
  global[INSTRUMENTED_KEY] ??= new WeakSet();
  return global[INSTRUMENTED_KEY];
}

/**
 * Record a pool's OpenTelemetry metrics, named by the semantic conventions for database
 * clients: `db.client.connection.count` (`db.client.connection.state` = `idle` | `used`),
 * `.max`, `.idle.min`, `.pending_requests`, `.timeouts`, the `.create_time`, `.wait_time` and
 * `.use_time` histograms, and with `operationDuration: true` `db.client.operation.duration`
 * for `pool.client` commands. Every metric carries `db.client.connection.pool.name` = the
 * pool's name.
 *
 * @throws {PoolAlreadyInstrumentedError} when the pool is already instrumented (until `shutdown()`).
 * @throws {PoolClosedError} when the pool is closed.
 */
export function instrumentPool(
  pool: RedisPool,
  options: InstrumentPoolOptions = {},
): PoolInstrumentation {
  const pools = instrumented();
  if (pool.stats().closed) {
    throw new PoolClosedError(
      `Pool "${pool.name}" is closed, so there is nothing to measure; instrument a pool before closing it.`,
    );
  }
  if (pools.has(pool)) {
    throw new PoolAlreadyInstrumentedError(
      `Pool "${pool.name}" is already instrumented: its metrics would be counted twice. Keep the first instrumentation, or call its shutdown() before instrumenting the pool again.`,
    );
  }
  const meter = (options.meterProvider ?? metrics.getMeterProvider()).getMeter(METER_NAME);
  const attributes = poolAttributes(pool.name);
  let running = true;
  const stopOperations =
    options.operationDuration === true
      ? recordOperationDuration(meter, pool.client, attributes)
      : undefined;
  const leaseTimes = recordLeaseTimes(meter, pool, attributes);
  const shutdown = (): void => {
    if (!running) return;
    running = false;
    connections.stop();
    leaseTimes.stop();
    stopOperations?.();
    pools.delete(pool);
  };
  const connections = observeConnections(meter, pool, attributes, shutdown);
  pools.add(pool);
  return { shutdown, [Symbol.dispose]: shutdown };
}

import type { Attributes, Meter } from '@opentelemetry/api';
import type { PoolEventMap, RedisPool } from '../types.js';
import { DURATION_BUCKETS_S, METRIC } from './semconv.js';

/** What {@link recordLeaseTimes} listens to, and how to stop. */
export interface LeaseTimeRecorders {
  /** Remove the pool listeners. */
  stop(): void;
}

/**
 * `create_time`, `wait_time` and `use_time` histograms (seconds) from the pool's `create`,
 * `acquire` and `release` events. The pool reports waits and holds in whole milliseconds
 * (`Date.now()`), connection set-up in fractional ones.
 */
export function recordLeaseTimes(
  meter: Meter,
  pool: RedisPool,
  attributes: Attributes,
): LeaseTimeRecorders {
  const advice = { explicitBucketBoundaries: [...DURATION_BUCKETS_S] };
  const createTime = meter.createHistogram(METRIC.createTime, {
    description: 'Time to open a connection (TCP connect, TLS, handshake).',
    unit: 's',
    advice,
  });
  const waitTime = meter.createHistogram(METRIC.waitTime, {
    description: 'Time an acquire waited for a connection.',
    unit: 's',
    advice,
  });
  const useTime = meter.createHistogram(METRIC.useTime, {
    description: 'Time between lending a connection and getting it back.',
    unit: 's',
    advice,
  });
  // A lease only times its hold when someone listened to `release` as it was lent: the leases
  // out before these listeners came would report 0. Only those lent since are recorded.
  const timed = new Set<number>();

  const onCreate = (event: PoolEventMap['create']): void => {
    createTime.record(event.durationMs / 1000, attributes);
  };
  const onAcquire = (event: PoolEventMap['acquire']): void => {
    timed.add(event.connectionId);
    waitTime.record(event.waitMs / 1000, attributes);
  };
  const onRelease = (event: PoolEventMap['release']): void => {
    if (timed.delete(event.connectionId)) useTime.record(event.heldMs / 1000, attributes);
  };
  // A lease destroyed or reclaimed never comes back through `release`.
  const onDestroy = (event: PoolEventMap['destroy']): void => {
    timed.delete(event.connectionId);
  };
  pool.on('create', onCreate);
  pool.on('acquire', onAcquire);
  pool.on('release', onRelease);
  pool.on('destroy', onDestroy);
  return {
    stop() {
      pool.off('create', onCreate);
      pool.off('acquire', onAcquire);
      pool.off('release', onRelease);
      pool.off('destroy', onDestroy);
      timed.clear();
    },
  };
}

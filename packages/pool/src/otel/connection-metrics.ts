import type { Attributes, BatchObservableCallback, Meter, Observable } from '@opentelemetry/api';
import type { PoolStats, RedisPool } from '../types.js';
import { ATTR, METRIC } from './semconv.js';

/** What {@link observeConnections} registered, and how to take it back. */
export interface ConnectionObservers {
  /** Stop observing (the instruments stay with the meter, with no more values). */
  stop(): void;
}

/**
 * The pool's sizes as observable instruments, read from one `stats()` per collection (nothing
 * runs per acquire). Both lanes count: the ordinary one (`max`) and the blocking one
 * (`maxBlocking`), so `used` over `max` is the share of every connection the pool may lend.
 * `onClosed` is called (once) from a collection that finds the pool closed, after reporting
 * its last values.
 */
export function observeConnections(
  meter: Meter,
  pool: RedisPool,
  attributes: Attributes,
  onClosed: () => void,
): ConnectionObservers {
  const count = meter.createObservableUpDownCounter(METRIC.count, {
    description: 'Connections in the state the db.client.connection.state attribute names.',
    unit: '{connection}',
  });
  const max = meter.createObservableUpDownCounter(METRIC.max, {
    description: 'Most connections the pool lends at once (max + maxBlocking).',
    unit: '{connection}',
  });
  const idleMin = meter.createObservableUpDownCounter(METRIC.idleMin, {
    description: 'Connections the pool keeps open even when idle (min).',
    unit: '{connection}',
  });
  const pending = meter.createObservableUpDownCounter(METRIC.pendingRequests, {
    description: 'Acquires waiting for a connection.',
    unit: '{request}',
  });
  const timeouts = meter.createObservableCounter(METRIC.timeouts, {
    description: 'Acquires that gave up waiting for a connection (PoolTimeoutError).',
    unit: '{timeout}',
  });
  const idle = { ...attributes, [ATTR.state]: 'idle' };
  const used = { ...attributes, [ATTR.state]: 'used' };
  // Counted from the moment of instrumenting, so a pool instrumented late (or again after
  // shutdown()) does not report earlier timeouts as if they had just happened.
  const timeoutsBefore = pool.stats().timeouts;
  let closed = false;

  const callback: BatchObservableCallback = (result) => {
    const stats: PoolStats = pool.stats();
    const { blocking } = stats;
    result.observe(count, stats.idle + blocking.idle, idle);
    result.observe(count, stats.borrowed + blocking.borrowed, used);
    result.observe(max, stats.max + blocking.max, attributes);
    result.observe(idleMin, stats.min, attributes);
    result.observe(pending, stats.pending + blocking.pending, attributes);
    result.observe(timeouts, stats.timeouts - timeoutsBefore, attributes);
    if (stats.closed && !closed) {
      closed = true;
      // Not from inside the SDK's own loop over the callbacks.
      queueMicrotask(onClosed);
    }
  };
  const observables: Observable[] = [count, max, idleMin, pending, timeouts];
  meter.addBatchObservableCallback(callback, observables);
  return {
    stop() {
      meter.removeBatchObservableCallback(callback, observables);
    },
  };
}

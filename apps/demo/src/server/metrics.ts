import type { HitTracker } from '@hitpool/hits';
import type { RedisPool } from '@hitpool/pool';
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';

/** The app's Prometheus registry and the one metric it updates itself. */
export interface AppMetrics {
  readonly registry: Registry;
  /** Record one HTTP request. */
  observeRequest(method: string, route: string, statusCode: number, seconds: number): void;
}

/**
 * Prometheus metrics for one app: pool gauges and counters and hit-tracker
 * counters (read from `stats()` at scrape time, so they cost nothing between
 * scrapes), the HTTP request duration histogram, and Node's default metrics.
 */
export function createMetrics(pool: RedisPool, tracker: HitTracker): AppMetrics {
  const registry = new Registry();
  const registers = [registry];
  collectDefaultMetrics({ register: registry });

  const gauge = (name: string, help: string, read: () => number) =>
    new Gauge({
      name,
      help,
      registers,
      collect() {
        this.set(read());
      },
    });
  // Totals kept by the pool and tracker: re-expose them as counters.
  const total = (name: string, help: string, read: () => number) =>
    new Counter({
      name,
      help,
      registers,
      collect() {
        this.reset();
        this.inc(read());
      },
    });

  new Gauge({
    name: 'hitpool_pool_connections',
    help: 'Leased connections by state.',
    labelNames: ['state'],
    registers,
    collect() {
      const stats = pool.stats();
      this.set({ state: 'idle' }, stats.idle);
      this.set({ state: 'borrowed' }, stats.borrowed);
    },
  });
  gauge(
    'hitpool_pool_size',
    'Connections open or opening (idle + borrowed + being created).',
    () => pool.stats().size,
  );
  gauge('hitpool_pool_pending', 'Acquires waiting for a connection.', () => pool.stats().pending);
  gauge('hitpool_pool_max', 'Most connections the pool leases at once.', () => pool.stats().max);
  gauge(
    'hitpool_pool_acquire_wait_p99_seconds',
    'p99 acquire wait over the last 1024 acquires.',
    () => pool.stats().waitMs.p99 / 1000,
  );
  total('hitpool_pool_created_total', 'Connections created.', () => pool.stats().created);
  total('hitpool_pool_destroyed_total', 'Connections closed.', () => pool.stats().destroyed);
  total('hitpool_pool_acquired_total', 'Leases handed out.', () => pool.stats().acquired);
  total('hitpool_pool_timeouts_total', 'Acquires that timed out.', () => pool.stats().timeouts);
  total('hitpool_pool_rejected_total', 'Acquires refused at once.', () => pool.stats().rejected);
  total('hitpool_pool_leaks_total', 'Leases held past leakDetectionMs.', () => pool.stats().leaks);

  total(
    'hitpool_hits_calls_total',
    'Keys read or counted by the hit tracker.',
    () => tracker.stats().calls,
  );
  total(
    'hitpool_hits_flushes_total',
    'Buffered flushes that wrote something.',
    () => tracker.stats().flushes,
  );
  total('hitpool_hits_errors_total', 'Failed batches or flushes.', () => tracker.stats().errors);
  total('hitpool_hits_dropped_total', 'Buffered hits given up on.', () => tracker.stats().dropped);
  gauge('hitpool_hits_pending', 'Buffered hits not yet written.', () => tracker.stats().pending);

  const duration = new Histogram({
    name: 'http_request_duration_seconds',
    help: 'HTTP request duration.',
    labelNames: ['method', 'route', 'status_code'],
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers,
  });
  return {
    registry,
    observeRequest(method, route, statusCode, seconds) {
      duration.observe({ method, route, status_code: String(statusCode) }, seconds);
    },
  };
}

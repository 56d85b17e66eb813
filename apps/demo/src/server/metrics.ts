import type { HitTracker } from '@hitpool/hits';
import type { RedisPool } from '@hitpool/pool';
import { instrumentPool } from '@hitpool/pool/otel';
import { PrometheusExporter, PrometheusSerializer } from '@opentelemetry/exporter-prometheus';
import { MeterProvider } from '@opentelemetry/sdk-metrics';
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';

/** The app's metrics: what `/metrics` serves, and the one metric it updates itself. */
export interface AppMetrics {
  /** The Content-Type of {@link AppMetrics.render}'s text. */
  readonly contentType: string;
  /** Everything in the Prometheus text format: the pool's OpenTelemetry metrics, then the rest. */
  render(): Promise<string>;
  /** Record one HTTP request. */
  observeRequest(method: string, route: string, statusCode: number, seconds: number): void;
  /** Stop the pool's instrumentation (before the pool closes). */
  close(): Promise<void>;
}

/**
 * The pool's metrics by the OpenTelemetry semantic conventions, through `@hitpool/pool/otel`
 * and an SDK pipeline read on each scrape: `db_client_connection_count{db_client_connection_state}`,
 * `…_max`, `…_idle_min`, `…_pending_requests`, `…_timeouts_total`, the `…_create_time`,
 * `…_wait_time` and `…_use_time` histograms (seconds), and `db_client_operation_duration` for the
 * shared client's commands.
 */
function poolMetrics(pool: RedisPool): { render(): Promise<string>; close(): Promise<void> } {
  const reader = new PrometheusExporter({ preventServerStart: true });
  const meterProvider = new MeterProvider({ readers: [reader] });
  const instrumentation = instrumentPool(pool, { meterProvider, operationDuration: true });
  const serializer = new PrometheusSerializer();
  return {
    async render() {
      const { resourceMetrics } = await reader.collect();
      return serializer.serialize(resourceMetrics);
    },
    async close() {
      instrumentation.shutdown();
      await meterProvider.shutdown();
    },
  };
}

/**
 * Prometheus metrics for one app: the pool's OpenTelemetry metrics (see {@link poolMetrics}),
 * the pool's and hit tracker's other totals (read from `stats()` at scrape time, so they cost
 * nothing between scrapes), the HTTP request duration histogram, and Node's default metrics.
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

  total('hitpool_pool_created_total', 'Connections created.', () => pool.stats().created);
  total('hitpool_pool_destroyed_total', 'Connections closed.', () => pool.stats().destroyed);
  total('hitpool_pool_acquired_total', 'Leases handed out.', () => pool.stats().acquired);
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
  total(
    'hitpool_hits_cache_hits_total',
    'Calls answered with a value from the near cache.',
    () => tracker.stats().cache?.hits ?? 0,
  );
  total(
    'hitpool_hits_cache_misses_total',
    'Calls that read their value from Redis.',
    () => tracker.stats().cache?.misses ?? 0,
  );

  const duration = new Histogram({
    name: 'http_request_duration_seconds',
    help: 'HTTP request duration.',
    labelNames: ['method', 'route', 'status_code'],
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers,
  });
  const otel = poolMetrics(pool);
  return {
    contentType: registry.contentType,
    async render() {
      return `${await otel.render()}\n${await registry.metrics()}`;
    },
    observeRequest(method, route, statusCode, seconds) {
      duration.observe({ method, route, status_code: String(statusCode) }, seconds);
    },
    close: () => otel.close(),
  };
}

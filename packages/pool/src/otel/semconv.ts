/**
 * The names, units and attributes of the OpenTelemetry semantic conventions for database
 * clients that `instrumentPool` records (connection-pool metrics and operation duration).
 * Spelled out here rather than imported from `@opentelemetry/semantic-conventions`: the
 * connection-pool names live in its unstable `incubating` entry, which would be one more
 * peer dependency for a dozen strings.
 */
import type { Attributes } from '@opentelemetry/api';
import { redactUrl } from '../url.js';

/** Metric names. */
export const METRIC = {
  count: 'db.client.connection.count',
  max: 'db.client.connection.max',
  idleMin: 'db.client.connection.idle.min',
  pendingRequests: 'db.client.connection.pending_requests',
  timeouts: 'db.client.connection.timeouts',
  createTime: 'db.client.connection.create_time',
  waitTime: 'db.client.connection.wait_time',
  useTime: 'db.client.connection.use_time',
  operationDuration: 'db.client.operation.duration',
} as const;

/** Attribute keys. */
export const ATTR = {
  poolName: 'db.client.connection.pool.name',
  state: 'db.client.connection.state',
  systemName: 'db.system.name',
  operationName: 'db.operation.name',
  namespace: 'db.namespace',
  responseStatusCode: 'db.response.status_code',
  errorType: 'error.type',
} as const;

/**
 * Bucket boundaries (s) the conventions advise for `db.client.operation.duration`; used for the
 * pool's time histograms too, so one dashboard reads them all alike.
 */
export const DURATION_BUCKETS_S: readonly number[] = [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 10];

/**
 * The pool attributes: `{ 'db.client.connection.pool.name': name }`. A pool name is the
 * user's (`getPool({ name })`), a hash of the options, or `pool-<n>`; should someone name a
 * pool after its URL, the password never reaches a metric backend.
 */
export function poolAttributes(poolName: string): Attributes {
  const name = /\/\/[^/]*:[^/]*@/.test(poolName) ? redactUrl(poolName) : poolName;
  return { [ATTR.poolName]: name };
}

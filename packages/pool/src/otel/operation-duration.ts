import type { Attributes, Meter } from '@opentelemetry/api';
import { isCommandTimeout } from '../transport/deadlines.js';
import { observeCommands } from '../transport/observer.js';
import type { RedisConnection } from '../types.js';
import { ATTR, DURATION_BUCKETS_S, METRIC } from './semconv.js';

/**
 * Most command names whose attributes are kept ready. Redis has a few hundred commands;
 * `defineCommand` adds the application's own. Past this, attributes are built per call.
 */
const MAX_CACHED_NAMES = 512;

/** The `PREFIX` of a Redis error reply (`WRONGTYPE Operation against…` → `WRONGTYPE`). */
const REPLY_PREFIX = /^[A-Z][A-Z_-]*(?= )/;

/**
 * `db.client.operation.duration` (seconds) for every command of the pool's shared client (and of
 * connections observed beside it, see `observeBeside`):
 * `db.system.name` = `redis`, `db.operation.name` = the command in capitals, `db.namespace` =
 * the database number (not on a Cluster), and on failure `error.type` (the Redis error prefix
 * such as `WRONGTYPE`, `timeout`, or the error class such as `PoolConnectionLostError`).
 * Returns how to stop.
 */
export function recordOperationDuration(
  meter: Meter,
  client: RedisConnection,
  poolAttributes: Attributes,
): () => void {
  const duration = meter.createHistogram(METRIC.operationDuration, {
    description:
      'Duration of commands sent through the pool’s shared client (and the near-cache connections beside it).',
    unit: 's',
    advice: { explicitBucketBoundaries: [...DURATION_BUCKETS_S] },
  });
  const db = 'db' in client.options ? client.options.db : undefined;
  const base: Attributes = {
    ...poolAttributes,
    [ATTR.systemName]: 'redis',
    ...(db === undefined ? {} : { [ATTR.namespace]: String(db) }),
  };
  // One attributes object per command name, built once: a record then allocates nothing here.
  const byName = new Map<string, Attributes>();
  const attributesOf = (name: string): Attributes => {
    let attributes = byName.get(name);
    if (attributes === undefined) {
      attributes = { ...base, [ATTR.operationName]: name.toUpperCase() };
      if (byName.size < MAX_CACHED_NAMES) byName.set(name, attributes);
    }
    return attributes;
  };
  return observeCommands(client, (name, durationMs, error) => {
    const attributes = attributesOf(name);
    duration.record(
      durationMs / 1000,
      error === undefined ? attributes : { ...attributes, ...errorAttributes(error) },
    );
  });
}

/** `error.type` (and for an error reply `db.response.status_code`): few values, never a message. */
function errorAttributes(error: Error): Attributes {
  const prefix = error.name === 'ReplyError' ? REPLY_PREFIX.exec(error.message)?.[0] : undefined;
  if (prefix !== undefined) return { [ATTR.errorType]: prefix, [ATTR.responseStatusCode]: prefix };
  if (isCommandTimeout(error)) return { [ATTR.errorType]: 'timeout' };
  return { [ATTR.errorType]: error.name === 'Error' ? '_OTHER' : error.name };
}

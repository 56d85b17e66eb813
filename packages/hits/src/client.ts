import {
  clientSource,
  commandTimeoutOf,
  createExecutor,
  DEFAULT_COMMAND_TIMEOUT_MS,
  type Executor,
} from '@hitpool/pool/transport';
import type { Cluster, Redis } from 'ioredis';
import { HitsConfigError } from './errors.js';

export type {
  Deliver,
  Executor,
  Reply,
  TransportCommand as RedisCommand,
} from '@hitpool/pool/transport';

/**
 * The executor for what the caller gave as `options.redis`: a `RedisPool` (its shared `client`,
 * read on every batch), an ioredis `Redis` or an ioredis `Cluster`.
 *
 * @throws {HitsConfigError} for anything else.
 * @throws {PoolUnsupportedClientError} (from `@hitpool/pool`) for an ioredis the transport does not support.
 */
export function executorFor(redis: unknown): Executor {
  const current = clientSource(redis);
  if (current === undefined)
    throw new HitsConfigError(
      'options.redis must be a RedisPool from @hitpool/pool, an ioredis Redis or an ioredis Cluster',
    );
  return createExecutor(current);
}

/**
 * The ioredis client behind `options.redis` (a pool's shared client, or the client itself),
 * which the near cache takes its own connections' settings from. Only for a client that
 * {@link executorFor} accepted.
 */
export function clientOf(redis: unknown): Redis | Cluster {
  return (clientSource(redis) as () => Redis | Cluster)();
}

/**
 * How long a command on the near cache's own connections waits for its reply, ms: as long as
 * the client's commands do (a pool's `commandTimeoutMs`, an ioredis client's `commandTimeout`),
 * else the pool's default (5 s).
 */
export function commandTimeoutFor(client: Redis | Cluster): number {
  const own = isClusterClient(client)
    ? client.options.redisOptions?.commandTimeout
    : client.options.commandTimeout;
  return (
    commandTimeoutOf(client) ?? (own !== undefined && own > 0 ? own : DEFAULT_COMMAND_TIMEOUT_MS)
  );
}

/** True for an ioredis `Cluster` (public API: `Cluster#isCluster`). */
export function isClusterClient(client: Redis | Cluster): client is Cluster {
  return (client as { isCluster?: boolean }).isCluster === true;
}

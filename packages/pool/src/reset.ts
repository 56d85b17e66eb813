import type { Redis } from 'ioredis';
import { type PoolConnection, pendingReplies } from './connection.js';
import { protocolOf } from './transport/ioredis-internals.js';
import type { RedisClientOptions } from './types.js';

/**
 * Make a dirty standalone connection fresh again with Redis `RESET` (drops MULTI/WATCH,
 * tracking, READONLY, selects db 0, back to RESP2 and the default user), then redo what
 * ioredis did at connect: HELLO/AUTH, SELECT, CLIENT SETNAME. Resolves false when the
 * connection should be destroyed instead (Cluster, subscriptions, replies still pending, or
 * any reply fails).
 */
export async function resetConnection(
  connection: PoolConnection,
  options: RedisClientOptions,
): Promise<boolean> {
  const { session } = connection;
  if (connection.isCluster || session.fatal || connection.broken) return false;
  if (pendingReplies(connection) > 0) return false;
  const redis = connection.redis as Redis;
  const protocol = protocolOf(redis);
  const auth: string[] = [];
  if (options.password) auth.push(options.username ?? 'default', options.password);
  try {
    // One pipeline: one write, one round trip.
    const pipeline = redis.pipeline().call('RESET');
    if (protocol === 3) pipeline.call('HELLO', '3', ...(auth.length ? ['AUTH', ...auth] : []));
    else if (auth.length) pipeline.call('AUTH', ...auth);
    // SELECT also keeps ioredis's own idea of the current db in step.
    pipeline.call('SELECT', String(session.baseDb));
    pipeline.call('CLIENT', 'SETNAME', options.connectionName ?? '');
    const replies = await pipeline.exec();
    if (!replies || replies.some(([error]) => error)) return false;
  } catch {
    return false;
  }
  session.clear();
  return !connection.broken;
}

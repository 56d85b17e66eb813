import type { Cluster, Redis } from 'ioredis';
import { pendingLimit } from './admission.js';
import { sendToCluster } from './cluster-router.js';
import type { Deliver, Executor, Reply, TransportCommand } from './executor-types.js';
import { assertContract, isClusterClient, isIoredisClient } from './ioredis-internals.js';
import { sendBatch } from './standalone-send.js';

/** Anything with a shared ioredis `client`, like a `RedisPool`. */
export interface ClientHolder {
  readonly client: Redis | Cluster;
}

/**
 * What to send through: a pool (its `client` is read on every batch, since the pool may
 * replace it) or an ioredis client. Returns undefined for anything else.
 */
export function clientSource(target: unknown): (() => Redis | Cluster) | undefined {
  if (isIoredisClient(target)) return () => target;
  if (typeof target === 'object' && target !== null && 'client' in target) {
    const holder = target as ClientHolder;
    if (!isIoredisClient(holder.client)) return undefined;
    return () => holder.client;
  }
  return undefined;
}

/**
 * An {@link Executor} over whatever client `current()` returns at send time: a batch is one
 * write on a standalone connection, one write per node on a Cluster (redirects followed, each
 * node's replies delivered as soon as it answered). Checks once, here, that the client has the
 * ioredis internals the transport relies on.
 *
 * @throws {PoolUnsupportedClientError} when it does not (another ioredis major).
 */
export function createExecutor(current: () => Redis | Cluster): Executor {
  const first = current();
  assertContract(first);
  const nodes = new Map<string, Redis>();
  const sendEach = (commands: readonly TransportCommand[], deliver: Deliver): Promise<void> => {
    if (commands.length === 0) return Promise.resolve();
    const client = current();
    if (isClusterClient(client)) return sendToCluster(client, commands, nodes, deliver);
    return sendBatch(client, commands).then((replies) =>
      deliver(
        commands.map((_, i) => i),
        replies,
      ),
    );
  };
  return {
    isCluster: isClusterClient(first),
    keyPrefix: first.options.keyPrefix ?? '',
    sendEach,
    async send(commands) {
      const replies = new Array<Reply>(commands.length);
      await sendEach(commands, (indexes, results) => {
        indexes.forEach((index, j) => {
          replies[index] = results[j] as Reply;
        });
      });
      return replies;
    },
    ready() {
      const { status } = current();
      return status === 'ready' || status === 'wait';
    },
    maxPendingCommands: () => pendingLimit(current()),
  };
}

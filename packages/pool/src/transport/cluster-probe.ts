/**
 * The probe of a Cluster node that is down: is it still a master of some slot (after a fresh
 * look at the slot table), and does it answer a PING on a connection of its own?
 */
import { type Cluster, Redis, type RedisOptions } from 'ioredis';

/** ioredis options of a node connection (`replyMapping` left out, as in the pool's options). */
export type NodeOptions = Omit<RedisOptions, 'replyMapping'>;

import { refreshSlots } from './cluster-router.js';
import { clusterInternals } from './ioredis-internals.js';

/** What a probe found: the node answers, or it serves no slot any more (failed over, removed). */
export type NodeProbe = 'answers' | 'left';

/** The `host:port` of every node the Cluster's slot table names as a master. */
function masters(cluster: Cluster): Set<string> {
  const found = new Set<string>();
  for (const owners of clusterInternals(cluster).slots) {
    const master = owners?.[0];
    if (master !== undefined) found.add(master);
  }
  return found;
}

/**
 * Probe node `address` (`host:port` as the Cluster connects to it) with `options` (the pool's
 * per-node ioredis options), within `timeoutMs`. Rejects with the connection's error when it
 * still serves slots and does not answer.
 */
export async function probeClusterNode(
  cluster: Cluster,
  address: string,
  options: NodeOptions,
  timeoutMs: number,
): Promise<NodeProbe> {
  await refreshSlots(cluster);
  // An empty table (not loaded yet) proves nothing: probe the node.
  const known = masters(cluster);
  if (known.size > 0 && !known.has(address)) return 'left';
  const colon = address.lastIndexOf(':');
  const redis = new Redis({
    ...options,
    host: address.slice(0, colon),
    port: Number(address.slice(colon + 1)),
    lazyConnect: true,
    retryStrategy: () => null,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    connectTimeout: timeoutMs,
  });
  redis.on('error', () => {});
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      redis.connect().then(() => redis.ping()),
      new Promise<never>((_, reject) => {
        timer = setTimeout(
          () => reject(new Error(`node ${address} did not answer within ${timeoutMs} ms`)),
          timeoutMs,
        );
      }),
    ]);
    return 'answers';
  } finally {
    clearTimeout(timer);
    redis.disconnect();
  }
}

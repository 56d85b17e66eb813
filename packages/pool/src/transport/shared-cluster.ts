import type { Cluster, Redis } from 'ioredis';
import { refuseLate } from './command.js';
import { type DeadlineWatch, sweeper } from './deadlines.js';
import { clusterInternals } from './ioredis-internals.js';
import { observeFirstPass, observerSlot } from './observer.js';
import { expireWaiting } from './queues.js';
import { followRedirects } from './redirects.js';
import { guardSharedConnection } from './shared-connection.js';

/**
 * Guard a shared Cluster client: each command's deadline starts at the Cluster (where commands
 * wait while it discovers slots, before any node sees them), every node connection gets the
 * shared-connection guard, and redirects follow the pool's policy within the deadline.
 * `beforeSend` runs before each command is handed to ioredis.
 */
export function guardSharedCluster(
  cluster: Cluster,
  commandTimeoutMs: number,
  beforeSend?: () => void,
): void {
  const target = clusterInternals(cluster);
  const send = target.sendCommand;
  const watch: DeadlineWatch = {
    watched: false,
    sweep: (at) => {
      expireWaiting(target.offlineQueue, at);
      // While the Cluster is not ready, ioredis may put a command back in its offline queue
      // without calling sendCommand again (a node failed under it): keep looking until it is.
      return (
        target.offlineQueue.length > 0 || (target.status !== 'ready' && target.status !== 'end')
      );
    },
  };
  const observed = observerSlot(cluster);
  target.sendCommand = function (this: unknown, command, stream, ...rest) {
    if (observed.observer !== undefined) observeFirstPass(observed, command);
    const refused = refuseLate(command, stream, commandTimeoutMs);
    if (refused !== undefined) return refused;
    if (!watch.watched) sweeper.watch(watch);
    beforeSend?.();
    return send.call(this, command, stream, ...rest);
  };
  cluster.on('+node', (node: Redis) => guardSharedConnection(node, commandTimeoutMs));
  followRedirects(cluster, commandTimeoutMs);
}

import type { Cluster, Redis } from 'ioredis';
import { type Admission, type ConnectionHealth, setPendingLimit } from './admission.js';
import { refuseLate, skipSettled } from './command.js';
import { type DeadlineWatch, recordCommandTimeout, sweeper } from './deadlines.js';
import { clusterInternals } from './ioredis-internals.js';
import { observeFirstPass, observerSlot } from './observer.js';
import { expireWaiting } from './queues.js';
import { followRedirects } from './redirects.js';
import { guardSharedConnection } from './shared-connection.js';

/** Health of a shared Cluster: its own queue's admission, and each node connection's. */
export interface ClusterHealth {
  /** Commands waiting while the Cluster discovers its slots: the backlog bound only. */
  readonly admission: Admission;
  /** The health of a node connection ioredis just created. */
  node(node: Redis): ConnectionHealth;
}

/**
 * Guard a shared Cluster client: each command's deadline starts at the Cluster (where commands
 * wait while it discovers slots, before any node sees them), every node connection gets the
 * shared-connection guard, and redirects follow the pool's policy within the deadline.
 * `beforeSend` runs before each command is handed to ioredis. With `health`, each node has
 * its own gate and backlog (a node that is down refuses only the commands for its slots).
 */
export function guardSharedCluster(
  cluster: Cluster,
  commandTimeoutMs: number,
  beforeSend?: () => void,
  health?: ClusterHealth,
): void {
  const target = clusterInternals(cluster);
  const send = target.sendCommand;
  recordCommandTimeout(cluster, commandTimeoutMs);
  if (health !== undefined) setPendingLimit(cluster, health.admission.maxPending);
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
    if (health !== undefined && target.status !== 'ready') {
      const refusal = health.admission.refuse(command, target.offlineQueue.length);
      if (refusal !== undefined) {
        command.reject(refusal);
        return skipSettled(command, stream);
      }
    }
    if (!watch.watched) sweeper.watch(watch);
    beforeSend?.();
    return send.call(this, command, stream, ...rest);
  };
  cluster.on('+node', (node: Redis) =>
    guardSharedConnection(node, commandTimeoutMs, undefined, health?.node(node)),
  );
  followRedirects(cluster, commandTimeoutMs);
}

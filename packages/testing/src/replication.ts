import type { RedisServer } from './redis-server.js';
import { waitFor } from './wait.js';

/**
 * Config for every data node the harness starts for Cluster and Sentinel:
 * Redis 7 waits `repl-diskless-sync-delay` (5 s by default) before a
 * replica's first diskless sync, hoping more replicas join; with one replica
 * per master that is pure start-up delay.
 */
export const REPLICATION_CONFIG: Readonly<Record<string, string | number>> = {
  'repl-diskless-sync-delay': 0,
};

async function linkUp(node: RedisServer): Promise<boolean> {
  const info = await node.cli('INFO', 'replication');
  return !info.includes('role:slave') || info.includes('master_link_status:up');
}

/**
 * Resolve once every running replica among `nodes` reports
 * `master_link_status:up` (its first full sync is done). A topology is formed
 * before that; a failover in between promotes an empty replica.
 */
export async function waitForReplicaLinks(
  nodes: readonly RedisServer[],
  timeoutMs = 20_000,
): Promise<void> {
  await waitFor(
    'every replica to report master_link_status:up',
    async () => {
      for (const node of nodes) if (node.running && !(await linkUp(node))) return false;
      return true;
    },
    timeoutMs,
    50,
  );
}

/**
 * The running node among `nodes` that replicates `master` with its link up,
 * asked of the replicas themselves (`INFO replication` → `master_port`): the
 * master's own `CLUSTER NODES` view of its replicas lags under load.
 */
export async function findReplicaOf(
  nodes: readonly RedisServer[],
  master: RedisServer,
  timeoutMs = 10_000,
): Promise<RedisServer> {
  const pattern = new RegExp(`^master_port:${master.port}\\s*$`, 'm');
  let found: RedisServer | undefined;
  await waitFor(
    `a running replica with its link up to the master on port ${master.port}`,
    async () => {
      for (const node of nodes) {
        if (node === master || !node.running) continue;
        const info = await node.cli('INFO', 'replication');
        if (
          info.includes('role:slave') &&
          pattern.test(info) &&
          info.includes('master_link_status:up')
        ) {
          found = node;
          return true;
        }
      }
      return false;
    },
    timeoutMs,
    100,
  );
  if (!found) throw new Error(`no running replica follows the master on port ${master.port}`);
  return found;
}

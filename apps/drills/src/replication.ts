import type { RedisServer } from '@hitpool/testing';

const delay = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

async function replicaLinkUp(node: RedisServer): Promise<boolean> {
  const info = await node.cli('INFO', 'replication');
  return !info.includes('role:slave') || info.includes('master_link_status:up');
}

/**
 * Resolve once every running replica among `nodes` has finished its initial
 * sync (`master_link_status:up`). The harness returns as soon as the topology
 * is formed, but a replica's first full sync can take seconds more (Redis 7
 * delays diskless syncs by `repl-diskless-sync-delay`, 5 s by default); a
 * failover before that promotes an empty replica.
 */
export async function waitForReplicasInSync(
  nodes: readonly RedisServer[],
  timeoutMs = 20_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (const node of nodes) {
    while (node.running && !(await replicaLinkUp(node))) {
      if (Date.now() > deadline)
        throw new Error(`replica on port ${node.port} did not finish its sync in ${timeoutMs} ms`);
      await delay(100);
    }
  }
}

import { type RedisCluster, type RedisServer, waitFor } from '@hitpool/testing';

const delay = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** `CLUSTER MYID` of a node. */
export async function nodeId(node: RedisServer): Promise<string> {
  return (await node.cli('CLUSTER', 'MYID')).trim();
}

/**
 * The running replica that follows `master` right now, asked of the replicas
 * themselves (`INFO replication`: `master_port` and `master_link_status:up`).
 * The master's own `CLUSTER NODES` view of its replicas lags under load, so
 * polls for up to `timeoutMs` (default 10 s) instead of failing at once.
 */
export async function replicaOf(
  cluster: RedisCluster,
  master: RedisServer,
  timeoutMs = 10_000,
): Promise<RedisServer> {
  let found: RedisServer | undefined;
  await waitFor(
    `a running replica that follows the master on port ${master.port}`,
    async () => {
      for (const node of cluster.nodes) {
        if (node === master || !node.running) continue;
        const info = await node.cli('INFO', 'replication');
        if (
          info.includes('role:slave') &&
          new RegExp(`master_port:${master.port}\\b`).test(info) &&
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

/** Options for {@link migrateSlot}. */
export interface MigrateSlotOptions {
  /** Keys moved per MIGRATE; default 10 (small batches keep the slot half-moved longer). */
  batch?: number;
  /** Pause between batches in ms; default 50. */
  pauseMs?: number;
}

/**
 * Move `slot` from `source` to `target` the way `redis-cli --cluster reshard`
 * does: IMPORTING/MIGRATING, MIGRATE in batches, then SETSLOT NODE everywhere.
 * Returns how many keys moved.
 */
export async function migrateSlot(
  cluster: RedisCluster,
  slot: number,
  source: RedisServer,
  target: RedisServer,
  options: MigrateSlotOptions = {},
): Promise<number> {
  const batch = options.batch ?? 10;
  const pauseMs = options.pauseMs ?? 50;
  const sourceId = await nodeId(source);
  const targetId = await nodeId(target);
  const from = source.connect();
  const to = target.connect();
  let moved = 0;
  try {
    await to.cluster('SETSLOT', slot, 'IMPORTING', sourceId);
    await from.cluster('SETSLOT', slot, 'MIGRATING', targetId);
    for (;;) {
      const keys = (await from.cluster('GETKEYSINSLOT', slot, batch)) as string[];
      if (keys.length === 0) break;
      await from.migrate(target.host, target.port, '', 0, 5_000, 'KEYS', ...keys);
      moved += keys.length;
      await delay(pauseMs);
    }
    // Target first, so the slot is never owned by no one (the order redis-cli uses).
    await to.cluster('SETSLOT', slot, 'NODE', targetId);
    await from.cluster('SETSLOT', slot, 'NODE', targetId);
    for (const node of await cluster.masters()) {
      if (node === source || node === target) continue;
      await node.cli('CLUSTER', 'SETSLOT', String(slot), 'NODE', targetId);
    }
  } finally {
    to.disconnect();
    from.disconnect();
  }
  return moved;
}

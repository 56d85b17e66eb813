import type { RedisCluster, RedisServer } from '@hitpool/testing';

const delay = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** `CLUSTER MYID` of a node. */
export async function nodeId(node: RedisServer): Promise<string> {
  return (await node.cli('CLUSTER', 'MYID')).trim();
}

/** The running replica that follows `master` right now. */
export async function replicaOf(cluster: RedisCluster, master: RedisServer): Promise<RedisServer> {
  const masterId = await nodeId(master);
  const lines = (await master.cli('CLUSTER', 'NODES')).trim().split('\n');
  for (const line of lines) {
    const [, address, flags, followed] = line.split(' ');
    if (!flags?.includes('slave') || flags.includes('fail') || followed !== masterId) continue;
    const port = Number(address?.split(':')[1]?.split('@')[0]);
    const node = cluster.nodes.find((candidate) => candidate.port === port && candidate.running);
    if (node) return node;
  }
  throw new Error(`no running replica follows the master on port ${master.port}`);
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

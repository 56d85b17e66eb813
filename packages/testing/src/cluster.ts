import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { Cluster, type ClusterOptions } from 'ioredis';
import { redisBinary } from './binaries.js';
import { type RedisServer, startRedisServer } from './redis-server.js';
import { findReplicaOf, REPLICATION_CONFIG, waitForReplicaLinks } from './replication.js';
import { delay, waitFor } from './wait.js';

const execFileAsync = promisify(execFile);

/** Options for {@link startRedisCluster}. */
export interface RedisClusterOptions {
  /** Masters; default 3 (the minimum Redis accepts). */
  masters?: number;
  /** Replicas per master; default 1. */
  replicasPerMaster?: number;
  /** Extra config flags for every node (`repl-diskless-sync-delay` is 0 unless set here). */
  config?: Readonly<Record<string, string | number>>;
}

/** Options for {@link RedisCluster.moveSlot}. */
export interface MoveSlotOptions {
  /** Keys moved per `MIGRATE`; default 10 (small batches keep the slot half-moved longer). */
  batch?: number;
  /** Pause between batches in ms; default 50. */
  pauseMs?: number;
}

/** A Redis Cluster of real servers on loopback. */
export interface RedisCluster {
  readonly nodes: readonly RedisServer[];
  /** `{ host, port }` of every node, for `new Cluster(startupNodes)`. */
  readonly startupNodes: ReadonlyArray<{ host: string; port: number }>;
  /** A new ioredis Cluster client (caller quits it). */
  connect(options?: Omit<ClusterOptions, 'redisOptions'>): Cluster;
  /** The node serving `slot` as master right now. */
  masterForSlot(slot: number): Promise<RedisServer>;
  /** Nodes that are masters right now. */
  masters(): Promise<RedisServer[]>;
  /** `CLUSTER KEYSLOT key`, asked of the server. */
  keySlot(key: string): Promise<number>;
  /**
   * Planned failover: `CLUSTER FAILOVER` on `replica` (asked again, up to 3 times, when Redis
   * gave it up); resolves when it is master, with the number of attempts it took. An attempt
   * Redis gave up had paused the master's writes for up to 5 s.
   */
  failover(replica: RedisServer): Promise<number>;
  /** Resolves once every node reports `cluster_state:ok`. */
  waitUntilHealthy(timeoutMs?: number): Promise<void>;
  /**
   * Resolves once every running replica reports `master_link_status:up` (its
   * full sync is done); default timeout 20000 ms. `startRedisCluster` already
   * waits for this; call it again after a failover or restart.
   */
  waitForReplicas(timeoutMs?: number): Promise<void>;
  /**
   * The running replica of `master` with its link up, asked of the replicas
   * (`INFO replication`); polls up to `timeoutMs` (default 10000 ms).
   */
  replicaOf(master: RedisServer, timeoutMs?: number): Promise<RedisServer>;
  /** `CLUSTER MYID` of `node`. */
  nodeId(node: RedisServer): Promise<string>;
  /**
   * Move `slot` from master `source` to master `target` the way
   * `redis-cli --cluster reshard` does: SETSLOT IMPORTING/MIGRATING, `MIGRATE`
   * in batches, then SETSLOT NODE on target, source and the other masters.
   * Resolves with how many keys moved.
   */
  moveSlot(
    slot: number,
    source: RedisServer,
    target: RedisServer,
    options?: MoveSlotOptions,
  ): Promise<number>;
  /** Stop every node and remove their dirs. */
  close(): Promise<void>;
}

async function role(node: RedisServer): Promise<string> {
  const info = await node.cli('INFO', 'replication');
  return /role:(\w+)/.exec(info)?.[1] ?? 'unknown';
}

/**
 * Start a Redis Cluster (default 3 masters + 3 replicas); resolves once every
 * node reports `cluster_state:ok` and every replica has finished its first sync.
 */
export async function startRedisCluster(options: RedisClusterOptions = {}): Promise<RedisCluster> {
  const masters = options.masters ?? 3;
  const replicas = options.replicasPerMaster ?? 1;
  const count = masters * (1 + replicas);
  const nodes: RedisServer[] = [];
  const close = async () => {
    await Promise.all(nodes.map((node) => node.close()));
  };
  try {
    for (let i = 0; i < count; i++) {
      nodes.push(
        await startRedisServer({
          config: {
            'cluster-enabled': 'yes',
            'cluster-config-file': 'nodes.conf',
            'cluster-node-timeout': 2000,
            'cluster-replica-validity-factor': 0,
            ...REPLICATION_CONFIG,
            ...options.config,
          },
        }),
      );
    }
    await execFileAsync(redisBinary('redis-cli'), [
      '--cluster',
      'create',
      ...nodes.map((node) => `127.0.0.1:${node.port}`),
      '--cluster-replicas',
      String(replicas),
      '--cluster-yes',
    ]);
  } catch (error) {
    await close();
    throw error;
  }

  const cluster: RedisCluster = {
    nodes,
    startupNodes: nodes.map((node) => ({ host: node.host, port: node.port })),
    connect: (clusterOptions = {}) => new Cluster(cluster.startupNodes.slice(), clusterOptions),
    async keySlot(key) {
      const running = nodes.find((node) => node.running);
      if (!running) throw new Error('no cluster node is running');
      return Number((await running.cli('CLUSTER', 'KEYSLOT', key)).trim());
    },
    async masters() {
      const found: RedisServer[] = [];
      for (const node of nodes)
        if (node.running && (await role(node)) === 'master') found.push(node);
      return found;
    },
    async masterForSlot(slot) {
      const running = nodes.find((node) => node.running);
      if (!running) throw new Error('no cluster node is running');
      const lines = (await running.cli('CLUSTER', 'NODES')).trim().split('\n');
      for (const line of lines) {
        const [, address, flags, , , , , , ...ranges] = line.split(' ');
        if (!flags?.includes('master') || flags.includes('fail')) continue;
        for (const range of ranges) {
          const [from, to = from] = range.split('-').map(Number);
          if (from !== undefined && to !== undefined && slot >= from && slot <= to) {
            const port = Number(address?.split(':')[1]?.split('@')[0]);
            const node = nodes.find((candidate) => candidate.port === port);
            if (node) return node;
          }
        }
      }
      throw new Error(`no master serves slot ${slot}`);
    },
    async failover(replica) {
      // Redis gives up a manual failover after 5 s when the replica cannot catch up with the
      // paused master (it happens under heavy load); an operator asks again, and so does this.
      for (let attempt = 1; ; attempt++) {
        await replica.cli('CLUSTER', 'FAILOVER');
        try {
          await waitFor(
            'the replica to become master',
            async () => (await role(replica)) === 'master',
            6_000,
          );
          return attempt;
        } catch (error) {
          if (attempt === 3) throw error;
        }
      }
    },
    async waitUntilHealthy(timeoutMs = 20_000) {
      await waitFor(
        'cluster_state:ok on every node',
        async () => {
          for (const node of nodes) {
            if (!node.running) continue;
            if (!(await node.cli('CLUSTER', 'INFO')).includes('cluster_state:ok')) return false;
          }
          return true;
        },
        timeoutMs,
        100,
      );
    },
    waitForReplicas: (timeoutMs) => waitForReplicaLinks(nodes, timeoutMs),
    replicaOf: (master, timeoutMs) => findReplicaOf(nodes, master, timeoutMs),
    nodeId: async (node) => (await node.cli('CLUSTER', 'MYID')).trim(),
    async moveSlot(slot, source, target, moveOptions = {}) {
      const batch = moveOptions.batch ?? 10;
      const pauseMs = moveOptions.pauseMs ?? 50;
      const sourceId = await cluster.nodeId(source);
      const targetId = await cluster.nodeId(target);
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
    },
    close,
  };
  try {
    await cluster.waitUntilHealthy();
    await cluster.waitForReplicas();
  } catch (error) {
    await close();
    throw error;
  }
  return cluster;
}

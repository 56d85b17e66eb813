import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { Cluster, type ClusterOptions } from 'ioredis';
import { redisBinaries } from './binaries.js';
import { type RedisServer, startRedisServer } from './redis-server.js';
import { waitFor } from './wait.js';

const execFileAsync = promisify(execFile);

/** Options for {@link startRedisCluster}. */
export interface RedisClusterOptions {
  /** Masters; default 3 (the minimum Redis accepts). */
  masters?: number;
  /** Replicas per master; default 1. */
  replicasPerMaster?: number;
  /** Extra config flags for every node. */
  config?: Readonly<Record<string, string | number>>;
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
  /** Planned failover: `CLUSTER FAILOVER` on `replica`; resolves when it is master. */
  failover(replica: RedisServer): Promise<void>;
  /** Resolves once every node reports `cluster_state:ok`. */
  waitUntilHealthy(timeoutMs?: number): Promise<void>;
  /** Stop every node and remove their dirs. */
  close(): Promise<void>;
}

async function role(node: RedisServer): Promise<string> {
  const info = await node.cli('INFO', 'replication');
  return /role:(\w+)/.exec(info)?.[1] ?? 'unknown';
}

/** Start a Redis Cluster (default 3 masters + 3 replicas) and wait until it is healthy. */
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
            ...options.config,
          },
        }),
      );
    }
    await execFileAsync(redisBinaries().cli, [
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
      await replica.cli('CLUSTER', 'FAILOVER');
      await waitFor(
        'the replica to become master',
        async () => (await role(replica)) === 'master',
        15_000,
      );
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
    close,
  };
  try {
    await cluster.waitUntilHealthy();
  } catch (error) {
    await close();
    throw error;
  }
  return cluster;
}

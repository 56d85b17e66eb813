import { Redis } from 'ioredis';
import { type ClientOptions, type RedisServer, startRedisServer } from './redis-server.js';
import { REPLICATION_CONFIG, waitForReplicaLinks } from './replication.js';
import { waitFor } from './wait.js';

/** Options for {@link startRedisSentinel}. */
export interface RedisSentinelOptions {
  /** Name the sentinels monitor; default `mymaster`. */
  masterName?: string;
  /** Sentinels; default 3 (quorum 2). */
  sentinels?: number;
  /** `down-after-milliseconds`; default 1000. */
  downAfterMs?: number;
  /** `failover-timeout`; default 5000. */
  failoverTimeoutMs?: number;
}

/** A Sentinel group: one master, one replica, and sentinels monitoring them. */
export interface RedisSentinelGroup {
  readonly masterName: string;
  /** Both data nodes; which one is master changes with failovers. */
  readonly dataNodes: readonly RedisServer[];
  readonly sentinels: readonly RedisServer[];
  /** `{ host, port }` of every sentinel, for ioredis's `sentinels` option. */
  readonly sentinelAddresses: ReadonlyArray<{ host: string; port: number }>;
  /** A new ioredis client through the sentinels (caller quits it). */
  connect(options?: ClientOptions): Redis;
  /** The data node that the sentinels currently name as master. */
  currentMaster(): Promise<RedisServer>;
  /** `SENTINEL FAILOVER`; resolves when the sentinels name the other node. */
  failover(): Promise<RedisServer>;
  /** Resolves when the sentinels name a master other than `previous` (after a kill). */
  waitForNewMaster(previous: RedisServer, timeoutMs?: number): Promise<RedisServer>;
  /**
   * Resolves once every running replica reports `master_link_status:up`;
   * default timeout 20000 ms. `startRedisSentinel` already waits for this.
   */
  waitForReplicas(timeoutMs?: number): Promise<void>;
  close(): Promise<void>;
}

/**
 * Start 1 master, 1 replica and 3 sentinels on loopback; resolves once every
 * sentinel sees the replica and the others, and the replica has finished its first sync.
 */
export async function startRedisSentinel(
  options: RedisSentinelOptions = {},
): Promise<RedisSentinelGroup> {
  const masterName = options.masterName ?? 'mymaster';
  const all: RedisServer[] = [];
  const close = async () => {
    await Promise.all(all.map((server) => server.close()));
  };
  try {
    const master = await startRedisServer({ config: REPLICATION_CONFIG });
    all.push(master);
    const replica = await startRedisServer({
      config: { ...REPLICATION_CONFIG, replicaof: `127.0.0.1 ${master.port}` },
    });
    all.push(replica);
    const dataNodes = [master, replica];
    const sentinels: RedisServer[] = [];
    for (let i = 0; i < (options.sentinels ?? 3); i++) {
      const sentinel = await startRedisServer({
        sentinel: true,
        configFileLines: [
          `sentinel monitor ${masterName} 127.0.0.1 ${master.port} 2`,
          `sentinel down-after-milliseconds ${masterName} ${options.downAfterMs ?? 1000}`,
          `sentinel failover-timeout ${masterName} ${options.failoverTimeoutMs ?? 5000}`,
          `sentinel parallel-syncs ${masterName} 1`,
        ],
      });
      sentinels.push(sentinel);
      all.push(sentinel);
    }

    const masterPort = async (): Promise<number> => {
      for (const sentinel of sentinels) {
        if (!sentinel.running) continue;
        const reply = await sentinel
          .cli('SENTINEL', 'get-master-addr-by-name', masterName)
          .catch(() => '');
        const port = Number(reply.trim().split('\n')[1]);
        if (port) return port;
      }
      throw new Error('no sentinel knows the master');
    };
    const byPort = (port: number): RedisServer => {
      const node = dataNodes.find((candidate) => candidate.port === port);
      if (!node) throw new Error(`sentinels name an unknown master on port ${port}`);
      return node;
    };
    const group: RedisSentinelGroup = {
      masterName,
      dataNodes,
      sentinels,
      sentinelAddresses: sentinels.map((sentinel) => ({
        host: sentinel.host,
        port: sentinel.port,
      })),
      connect: (redisOptions = {}) =>
        new Redis({
          sentinels: group.sentinelAddresses.slice(),
          name: masterName,
          ...redisOptions,
        }),
      currentMaster: async () => byPort(await masterPort()),
      async failover() {
        const previous = await group.currentMaster();
        const sentinel = sentinels.find((candidate) => candidate.running);
        if (!sentinel) throw new Error('no sentinel is running');
        await sentinel.cli('SENTINEL', 'FAILOVER', masterName);
        return group.waitForNewMaster(previous);
      },
      async waitForNewMaster(previous, timeoutMs = 30_000) {
        let next: RedisServer | undefined;
        await waitFor(
          'the sentinels to promote a new master',
          async () => {
            const port = await masterPort().catch(() => previous.port);
            if (port === previous.port) return false;
            next = byPort(port);
            return (await next.cli('INFO', 'replication')).includes('role:master');
          },
          timeoutMs,
          100,
        );
        if (!next) throw new Error('no new master');
        return next;
      },
      waitForReplicas: (timeoutMs) => waitForReplicaLinks(dataNodes, timeoutMs),
      close,
    };
    await waitFor(
      'every sentinel to see the replica and the other sentinels',
      async () => {
        for (const sentinel of sentinels) {
          const reply = await sentinel.cli('SENTINEL', 'master', masterName);
          const fields = reply.trim().split('\n');
          const value = (name: string) => fields[fields.indexOf(name) + 1];
          if (
            value('num-slaves') !== '1' ||
            Number(value('num-other-sentinels')) !== sentinels.length - 1
          ) {
            return false;
          }
        }
        return true;
      },
      20_000,
      100,
    );
    await group.waitForReplicas();
    return group;
  } catch (error) {
    await close();
    throw error;
  }
}

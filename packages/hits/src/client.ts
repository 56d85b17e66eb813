import { Cluster, Command, Redis } from 'ioredis';
import { HitsConfigError } from './errors.js';

/** Anything with the shared `client` of a `RedisPool` from `@hitpool/pool`. */
export interface PoolLike {
  readonly client: Redis | Cluster;
}

/** One command with the hash slot of its first key (-1 when the target is not a Cluster). */
export interface RedisCommand {
  readonly name: string;
  readonly args: ReadonlyArray<string | number>;
  readonly slot: number;
}

/** The outcome of one {@link RedisCommand}. */
export type Reply = readonly [error: Error | null, value: unknown];

/** Sends batches of commands: one pipeline (one write, one round trip) per node touched. */
export interface Executor {
  readonly isCluster: boolean;
  send(commands: readonly RedisCommand[]): Promise<Reply[]>;
}

function isClient(value: unknown): value is Redis | Cluster {
  if (value instanceof Redis || value instanceof Cluster) return true;
  // Another copy of ioredis (a second install) fails instanceof but works the same.
  const candidate = value as { pipeline?: unknown; sendCommand?: unknown; options?: unknown };
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof candidate.pipeline === 'function' &&
    typeof candidate.sendCommand === 'function' &&
    typeof candidate.options === 'object'
  );
}

function isCluster(client: Redis | Cluster): client is Cluster {
  return client instanceof Cluster || (client as { isCluster?: unknown }).isCluster === true;
}

/**
 * Resolves what the caller gave us to a function returning the client to use now. A pool's
 * `client` is read on every batch because the pool may replace it.
 */
export function resolveClient(redis: unknown): () => Redis | Cluster {
  if (isClient(redis)) return () => redis;
  if (typeof redis === 'object' && redis !== null && 'client' in redis) {
    const pool = redis as PoolLike;
    if (!isClient(pool.client))
      throw new HitsConfigError('options.redis: the pool has no ioredis client in `client`');
    return () => pool.client;
  }
  throw new HitsConfigError(
    'options.redis must be a RedisPool from @hitpool/pool, an ioredis Redis or an ioredis Cluster',
  );
}

/** The `keyPrefix` ioredis adds to every key sent by `client`, or ''. */
export function keyPrefixOf(client: Redis | Cluster): string {
  return client.options.keyPrefix ?? '';
}

export function clientIsCluster(client: Redis | Cluster): boolean {
  return isCluster(client);
}

async function sendPipeline(client: Redis, commands: readonly RedisCommand[]): Promise<Reply[]> {
  const pipeline = client.pipeline();
  for (const command of commands) pipeline.call(command.name, ...command.args);
  const results = await pipeline.exec();
  if (!results) throw new Error('the pipeline was discarded before it ran');
  return results as Reply[];
}

/**
 * Errors after which the Cluster client's own routing should try again: redirects (the node did
 * not run the command) and a node connection that closed (ioredis's own Cluster commands are
 * retried then too; the command may have run: hit counts are at least once, see README).
 */
const RETRY = /^(MOVED|ASK|TRYAGAIN|CLUSTERDOWN) |^Connection is closed/;

/**
 * Sends `command` through the Cluster's own routing (which follows MOVED/ASK), with the slot
 * set from our spec-exact slot function: the `cluster-key-slot` package ioredis uses gets keys
 * with an empty `{}` wrong, and its same-slot check would refuse our companion keys.
 */
function sendRouted(cluster: Cluster, command: RedisCommand): Promise<Reply> {
  const routed = new Command(command.name, command.args.slice(), { replyEncoding: 'utf8' });
  (routed as unknown as { slot: number }).slot = command.slot;
  cluster.sendCommand(routed);
  return (routed.promise as Promise<unknown>).then(
    (value): Reply => [null, value],
    (error: Error): Reply => [error, null],
  );
}

function nodeKey(node: Redis): string {
  return `${node.options.host}:${node.options.port}`;
}

async function sendToCluster(
  cluster: Cluster,
  commands: readonly RedisCommand[],
  nodes: Map<string, Redis>,
): Promise<Reply[]> {
  const replies = new Array<Reply>(commands.length);
  const byNode = new Map<Redis, number[]>();
  const unrouted: number[] = [];
  for (let i = 0; i < commands.length; i++) {
    const master = cluster.slots[(commands[i] as RedisCommand).slot]?.[0];
    let node = master === undefined ? undefined : nodes.get(master);
    if (master !== undefined && node === undefined) {
      nodes.clear();
      for (const candidate of cluster.nodes('master')) nodes.set(nodeKey(candidate), candidate);
      node = nodes.get(master);
    }
    if (node === undefined || node.status === 'end') {
      unrouted.push(i);
      continue;
    }
    const list = byNode.get(node);
    if (list) list.push(i);
    else byNode.set(node, [i]);
  }
  const retry: number[] = unrouted;
  await Promise.all(
    Array.from(byNode, async ([node, indexes]) => {
      const results = await sendPipeline(
        node,
        indexes.map((i) => commands[i] as RedisCommand),
      ).catch((error: Error) => indexes.map((): Reply => [error, null]));
      results.forEach((reply, j) => {
        const index = indexes[j] as number;
        if (reply[0] && RETRY.test(reply[0].message)) retry.push(index);
        else replies[index] = reply;
      });
    }),
  );
  if (retry.length > 0) {
    if (retry.length > unrouted.length || cluster.slots.length === 0) cluster.refreshSlotsCache();
    const results = await Promise.all(
      retry.map((i) => sendRouted(cluster, commands[i] as RedisCommand)),
    );
    retry.forEach((index, j) => {
      replies[index] = results[j] as Reply;
    });
  }
  return replies;
}

/** An {@link Executor} over whatever client `current()` returns at send time. */
export function createExecutor(current: () => Redis | Cluster): Executor {
  const nodes = new Map<string, Redis>();
  const first = current();
  return {
    isCluster: isCluster(first),
    send(commands) {
      if (commands.length === 0) return Promise.resolve([]);
      const client = current();
      return isCluster(client)
        ? sendToCluster(client, commands, nodes)
        : sendPipeline(client, commands);
    },
  };
}

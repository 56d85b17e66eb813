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

/** Receives the replies of some of a batch's commands: `replies[j]` belongs to `commands[indexes[j]]`. */
export type Deliver = (indexes: readonly number[], replies: readonly Reply[]) => void;

/** Sends batches of commands: one pipeline (one write, one round trip) per node touched. */
export interface Executor {
  readonly isCluster: boolean;
  /** Send and resolve with every reply, in the order of `commands`. Never rejects. */
  send(commands: readonly RedisCommand[]): Promise<Reply[]>;
  /**
   * Send and hand each node's replies to `deliver` as soon as that node answered, so a slow or
   * dead node does not hold up the callers of the others. Every index is delivered exactly
   * once; resolves after the last delivery. Never rejects.
   */
  sendEach(commands: readonly RedisCommand[], deliver: Deliver): Promise<void>;
  /**
   * True when the client is connected (or lazy and not started yet, so a command starts it).
   * False while it reconnects: commands sent now would wait in ioredis's offline queue.
   */
  ready(): boolean;
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

/** One pipeline; a pipeline that fails as a whole gives its error as every command's reply. */
async function sendPipeline(client: Redis, commands: readonly RedisCommand[]): Promise<Reply[]> {
  try {
    const pipeline = client.pipeline();
    for (const command of commands) pipeline.call(command.name, ...command.args);
    const results = await pipeline.exec();
    if (!results) throw new Error('the pipeline was discarded before it ran');
    return results as Reply[];
  } catch (error) {
    return commands.map((): Reply => [error as Error, null]);
  }
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
  deliver: Deliver,
): Promise<void> {
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
  const routed = (indexes: readonly number[], refresh: boolean): Promise<void> => {
    if (indexes.length === 0) return Promise.resolve();
    if (refresh || cluster.slots.length === 0) cluster.refreshSlotsCache();
    return Promise.all(indexes.map((i) => sendRouted(cluster, commands[i] as RedisCommand))).then(
      (results) => deliver(indexes, results),
    );
  };
  // Each node's callers are settled as soon as that node answered: no head-of-line blocking
  // behind a node that is down until its command timeout.
  await Promise.all([
    routed(unrouted, false),
    ...Array.from(byNode, async ([node, indexes]) => {
      const results = await sendPipeline(
        node,
        indexes.map((i) => commands[i] as RedisCommand),
      );
      const done: number[] = [];
      const doneReplies: Reply[] = [];
      const retry: number[] = [];
      results.forEach((reply, j) => {
        const index = indexes[j] as number;
        if (reply[0] && RETRY.test(reply[0].message)) retry.push(index);
        else {
          done.push(index);
          doneReplies.push(reply);
        }
      });
      if (done.length > 0) deliver(done, doneReplies);
      await routed(retry, true);
    }),
  ]);
}

/** An {@link Executor} over whatever client `current()` returns at send time. */
export function createExecutor(current: () => Redis | Cluster): Executor {
  const nodes = new Map<string, Redis>();
  const first = current();
  const sendEach = (commands: readonly RedisCommand[], deliver: Deliver): Promise<void> => {
    if (commands.length === 0) return Promise.resolve();
    const client = current();
    if (isCluster(client)) return sendToCluster(client, commands, nodes, deliver);
    return sendPipeline(client, commands).then((replies) =>
      deliver(
        commands.map((_, i) => i),
        replies,
      ),
    );
  };
  return {
    isCluster: isCluster(first),
    sendEach,
    async send(commands) {
      const replies = new Array<Reply>(commands.length);
      await sendEach(commands, (indexes, results) => {
        indexes.forEach((index, j) => {
          replies[index] = results[j] as Reply;
        });
      });
      return replies;
    },
    ready() {
      const { status } = current();
      return status === 'ready' || status === 'wait';
    },
  };
}

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

/** Replies that mean "this node did not run it, ask the Cluster again" (ASK is handled apart). */
const REROUTE = /^(MOVED|TRYAGAIN|CLUSTERDOWN) |^Connection is closed/;
const ASK = /^ASK /;

/**
 * Pause before each further round of a command that was redirected, in ms. The first retry
 * goes out as soon as the slot table was refreshed; later ones back off, so a failover window
 * in which nodes still disagree about a slot (each MOVED pointing at another stale node) is
 * waited out instead of burning every redirect within a millisecond. Total about 0.8 s, inside
 * a typical command timeout.
 */
export const REDIRECT_BACKOFF_MS: readonly number[] = [0, 20, 50, 100, 200, 400];

/** Longest wait for a slot-table refresh before resending anyway (ms). */
const REFRESH_WAIT_MS = 250;

/**
 * Sends `command` through the Cluster's own routing (used for ASK, which ioredis follows with
 * ASKING on the named node), with the slot set from our spec-exact slot function: the
 * `cluster-key-slot` package ioredis uses gets keys with an empty `{}` wrong, and its same-slot
 * check would refuse our companion keys.
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

/**
 * The address we connect to for `address` as the servers name it (`host:port`), through the
 * Cluster's `natMap`. ioredis's own MOVED handling stores the unmapped address in its slot
 * table, so entries there may be either form.
 */
function mapAddress(cluster: Cluster, address: string): string {
  const natMap = cluster.options.natMap;
  const mapped =
    typeof natMap === 'function'
      ? natMap(address)
      : natMap !== undefined && Object.hasOwn(natMap, address)
        ? natMap[address]
        : undefined;
  return mapped ? `${mapped.host}:${mapped.port}` : address;
}

/** The live connection to the node at `address` (server-side form), or undefined. */
function findNode(cluster: Cluster, nodes: Map<string, Redis>, address: string): Redis | undefined {
  const key = mapAddress(cluster, address);
  let node = nodes.get(key);
  // ioredis replaces a node's connection when the topology changes: look again then.
  if (node === undefined || node.status === 'end') {
    nodes.clear();
    for (const candidate of cluster.nodes('all')) nodes.set(nodeKey(candidate), candidate);
    node = nodes.get(key);
  }
  return node === undefined || node.status === 'end' ? undefined : node;
}

/** Resolves once the Cluster refreshed its slot table (or after {@link REFRESH_WAIT_MS}). */
function refreshSlots(cluster: Cluster): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, REFRESH_WAIT_MS);
    timer.unref();
    cluster.refreshSlotsCache(() => {
      clearTimeout(timer);
      resolve();
    });
  });
}

/** How long redirects may take in all: the nodes' command timeout (ms), else 2 s. */
function redirectBudget(cluster: Cluster): number {
  const timeout = cluster.options.redisOptions?.commandTimeout;
  return typeof timeout === 'number' && timeout > 0 ? timeout : 2_000;
}

const pause = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * One round: a pipeline per node (from the slot table, or the node a MOVED named), each node's
 * final replies delivered as soon as it answered. Redirected commands (MOVED, TRYAGAIN,
 * CLUSTERDOWN, a node connection that closed) go again in the next round, after
 * {@link REDIRECT_BACKOFF_MS}: a MOVED to a node we know goes straight there, the others after the
 * slot table was refreshed; after the last round, or once the nodes' command timeout since the
 * first send has passed, their error is the reply. We do not hand redirects to ioredis: it
 * retries up to 16 times with no pause (all within a few ms, while a failover's nodes still
 * disagree) and, with a `natMap`, stores the unmapped MOVED address, so its next try goes to a
 * random master ("Too many Cluster redirections"). ASK goes through ioredis (ASKING on the importing node).
 * A command sent again after "Connection is closed" may have run: hit counts are at least once
 * there, see README.
 */
async function sendToCluster(
  cluster: Cluster,
  commands: readonly RedisCommand[],
  nodes: Map<string, Redis>,
  deliver: Deliver,
  round = 0,
  movedTo?: ReadonlyMap<number, Redis>,
  deadline = Date.now() + redirectBudget(cluster),
): Promise<void> {
  const byNode = new Map<Redis, number[]>();
  const unrouted: number[] = [];
  for (let i = 0; i < commands.length; i++) {
    let node = movedTo?.get(i);
    if (node === undefined || node.status === 'end') {
      const master = cluster.slots[(commands[i] as RedisCommand).slot]?.[0];
      node = master === undefined ? undefined : findNode(cluster, nodes, master);
    }
    if (node === undefined) {
      unrouted.push(i);
      continue;
    }
    const list = byNode.get(node);
    if (list) list.push(i);
    else byNode.set(node, [i]);
  }
  const viaIoredis = (indexes: readonly number[]): Promise<void> => {
    if (indexes.length === 0) return Promise.resolve();
    if (cluster.slots.length === 0) cluster.refreshSlotsCache();
    return Promise.all(indexes.map((i) => sendRouted(cluster, commands[i] as RedisCommand))).then(
      (results) => deliver(indexes, results),
    );
  };
  const wait = REDIRECT_BACKOFF_MS[round] ?? 0;
  // No round starts after the command timeout since the first send: the caller hears the
  // redirect's error instead of waiting longer than it was promised.
  const last = round >= REDIRECT_BACKOFF_MS.length || Date.now() + wait >= deadline;
  /** Send `again` once more in the next round (`next`: MOVED targets by position in `again`). */
  const nextRound = async (again: readonly number[], next: ReadonlyMap<number, Redis>) => {
    if (again.length === 0) return;
    // A MOVED names the node to ask: go there at once (the table refreshes meanwhile).
    // Otherwise wait for the refreshed table to know where the slot went.
    const refreshed = refreshSlots(cluster);
    if (next.size < again.length) await refreshed;
    if (wait > 0) await pause(wait);
    await sendToCluster(
      cluster,
      again.map((i) => commands[i] as RedisCommand),
      nodes,
      (sub, replies) =>
        deliver(
          sub.map((k) => again[k] as number),
          replies,
        ),
      round + 1,
      next,
      deadline,
    );
  };
  // A slot whose master we have no live connection to (it just died, or the table is not loaded
  // yet): on a ready Cluster, wait for the refreshed table rather than ioredis's redirect loop;
  // before the Cluster is ready, and in the last round, ioredis queues or routes it.
  const viaTable = !last && cluster.status === 'ready' ? unrouted : [];
  // Each node's callers are settled as soon as that node answered: no head-of-line blocking
  // behind a node that is down until its command timeout.
  await Promise.all([
    viaTable.length > 0 ? nextRound(viaTable, new Map()) : viaIoredis(unrouted),
    ...Array.from(byNode, async ([node, indexes]) => {
      const results = await sendPipeline(
        node,
        indexes.map((i) => commands[i] as RedisCommand),
      );
      const done: number[] = [];
      const doneReplies: Reply[] = [];
      const asked: number[] = [];
      const again: number[] = [];
      const next = new Map<number, Redis>();
      results.forEach((reply, j) => {
        const index = indexes[j] as number;
        const message = reply[0]?.message ?? '';
        if (ASK.test(message)) asked.push(index);
        else if (!last && REROUTE.test(message)) {
          again.push(index);
          if (message.startsWith('MOVED ')) {
            const target = findNode(cluster, nodes, message.split(' ')[2] ?? '');
            if (target !== undefined) next.set(again.length - 1, target);
          }
        } else {
          done.push(index);
          doneReplies.push(reply);
        }
      });
      if (done.length > 0) deliver(done, doneReplies);
      await Promise.all([viaIoredis(asked), nextRound(again, next)]);
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

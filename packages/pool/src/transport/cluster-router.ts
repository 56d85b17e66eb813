/**
 * Sends a batch of commands over an ioredis `Cluster`: one write per node (from the slot table,
 * or the node a MOVED named), each node's replies delivered as soon as it answered, redirects
 * followed by the pool's policy (see `redirects.ts`).
 */
import { type Cluster, Command, type Redis } from 'ioredis';
import { CALLERS, type WeightedCommand } from './admission.js';
import type { Deliver, Reply, TransportCommand } from './executor-types.js';
import { clusterInternals, commandInternals } from './ioredis-internals.js';
import { REDIRECT_BACKOFF_MS, redirectOf } from './redirects.js';
import { sendBatch } from './standalone-send.js';

/** Longest wait for a slot-table refresh before resending anyway (ms). */
const REFRESH_WAIT_MS = 250;

/**
 * Sends `command` through the Cluster's own routing (used for ASK, which ioredis follows with
 * ASKING on the named node), with the slot set from the caller's spec-exact slot: the
 * `cluster-key-slot` package ioredis uses gets keys with an empty `{}` wrong, and its same-slot
 * check would refuse companion keys that really share a slot.
 */
function sendRouted(cluster: Cluster, command: TransportCommand): Promise<Reply> {
  const routed = new Command(command.name, command.args.slice(), { replyEncoding: 'utf8' });
  commandInternals(routed).slot = command.slot;
  if (command.callers !== undefined && command.callers > 1) {
    (commandInternals(routed) as WeightedCommand)[CALLERS] = command.callers;
  }
  cluster.sendCommand(routed);
  return (routed.promise as Promise<unknown>).then(
    (value): Reply => [null, value],
    (error: Error): Reply => [error, null],
  );
}

function nodeKey(node: Redis): string {
  return `${node.options.host}:${node.options.port}`;
}

/** The address we connect to for `address` as the servers name it (`host:port`), through `natMap`. */
function mapAddress(cluster: Cluster, address: string): string {
  const mapped = clusterInternals(cluster).natMapper(address);
  return `${mapped.host}:${mapped.port}`;
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
export function refreshSlots(cluster: Cluster): Promise<void> {
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

/** Replies that mean "ask the Cluster again": redirects, and a node connection that closed. */
function isReroute(message: string): boolean {
  const kind = redirectOf(message);
  return (
    kind === 'MOVED' ||
    kind === 'TRYAGAIN' ||
    kind === 'CLUSTERDOWN' ||
    message.startsWith('Connection is closed')
  );
}

/**
 * Routes `commands` and delivers every reply. Redirected commands (MOVED, TRYAGAIN,
 * CLUSTERDOWN, a node connection that closed) go again in the next round, after
 * {@link REDIRECT_BACKOFF_MS}: a MOVED to a node we know goes straight there, the others after
 * the slot table was refreshed; after the last round, or once the nodes' command timeout since
 * the first send has passed, their error is the reply. ASK goes through ioredis (ASKING on the
 * importing node). A command sent again after "Connection is closed" may have run: callers of
 * this router must document at-least-once there.
 */
export async function sendToCluster(
  cluster: Cluster,
  commands: readonly TransportCommand[],
  nodes: Map<string, Redis>,
  deliver: Deliver,
  round = 0,
  movedTo?: ReadonlyMap<number, Redis>,
  deadline: number = Date.now() + redirectBudget(cluster),
): Promise<void> {
  const byNode = new Map<Redis, number[]>();
  const unrouted: number[] = [];
  const slots = clusterInternals(cluster).slots;
  for (let i = 0; i < commands.length; i++) {
    let node = movedTo?.get(i);
    if (node === undefined || node.status === 'end') {
      const master = slots[(commands[i] as TransportCommand).slot]?.[0];
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
    if (slots.length === 0) cluster.refreshSlotsCache();
    return Promise.all(
      indexes.map((i) => sendRouted(cluster, commands[i] as TransportCommand)),
    ).then((results) => deliver(indexes, results));
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
      again.map((i) => commands[i] as TransportCommand),
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
      const results = await sendBatch(
        node,
        indexes.map((i) => commands[i] as TransportCommand),
      );
      const done: number[] = [];
      const doneReplies: Reply[] = [];
      const asked: number[] = [];
      const again: number[] = [];
      const next = new Map<number, Redis>();
      results.forEach((reply, j) => {
        const index = indexes[j] as number;
        const message = reply[0]?.message ?? '';
        const kind = redirectOf(message);
        const command = commands[index] as TransportCommand;
        if (kind === 'ASK') asked.push(index);
        else if (!last && isReroute(message) && !(kind === 'TRYAGAIN' && command.splittable)) {
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

import { Cluster, Redis } from 'ioredis';
import { ConnectionState } from './bag.js';
import { blocksForever } from './blocking.js';
import { SessionState } from './dirty.js';
import { PoolLeaseReclaimedError } from './errors.js';
import type { ResolvedPoolOptions } from './options.js';
import { dropSocket } from './transport/command.js';
import { isCommandTimeout } from './transport/deadlines.js';
import { queuedReplies } from './transport/ioredis-internals.js';
import { interceptLeaseCommands } from './transport/lease-connection.js';
import type { RedisConnection } from './types.js';

/** A connection the pool owns, with the bookkeeping the pool needs. */
export interface PoolConnection {
  readonly id: number;
  readonly redis: RedisConnection;
  readonly isCluster: boolean;
  readonly session: SessionState;
  readonly createdAt: number;
  /** `Date.now()` after which it is retired; `Infinity` = never. */
  readonly retireAt: number;
  /** `Date.now()` when it last went idle. */
  idleSince: number;
  /** Its socket failed or closed: never hand it out again (health, whatever its state). */
  broken: boolean;
  /** Where it is in the lending cycle; changed only by the pool's `ConnectionBag`. */
  state: ConnectionState;
  /** The current lease's clock (leak timer), stopped if the pool closes under the borrower. */
  lease: { stopClock(): number } | undefined;
  /** Pool topology generation it was opened in; older ones are retired (Sentinel failover). */
  readonly generation: number;
  /** Opened for the blocking lane (`acquire({ blocking: true })`), not the ordinary one. */
  readonly blocking: boolean;
  /** Reply deadline of the current lease's commands (ms, 0 = none); set when lent. */
  commandTimeoutMs: number;
  /**
   * Blocking commands without a timeout (`BLPOP … 0`) sent and not answered yet; counted only
   * when `leakReclaimMs` is on (such a lease is not reclaimed while one is outstanding).
   */
  blockedForever: number;
  /** Called when `blockedForever` drops back to 0. */
  onUnblocked: (() => void) | undefined;
  /** Set once its lease was reclaimed: every later command rejects with `PoolLeaseReclaimedError`. */
  reclaimed: { heldMs: number; leakReclaimMs: number } | undefined;
}

/**
 * Route every command through the session first and give it the lease's reply deadline. A
 * command that times out leaves its reply, or a reply that never comes, in the connection's
 * stream: the connection is closed at once and never lent again.
 */
function observeCommands(connection: PoolConnection, countBlocking: boolean): void {
  const { redis, session } = connection;
  const settled = () => {
    session.inFlight--;
  };
  // `observe` and `sent` are called back to back for the same command.
  let blocking = false;
  const unblocked = () => {
    if (--connection.blockedForever === 0) connection.onUnblocked?.();
  };
  const failed = (error: unknown) => {
    session.inFlight--;
    if (!isCommandTimeout(error) || connection.broken) return;
    connection.broken = true;
    if (redis instanceof Cluster) redis.disconnect();
    else dropSocket(redis);
  };
  interceptLeaseCommands(redis, {
    // Once its lease was reclaimed, the connection refuses every command: the borrower may
    // still hold `redis` (the argument of `use(fn)`).
    refusal: () => {
      const reclaimed = connection.reclaimed;
      return reclaimed === undefined
        ? undefined
        : new PoolLeaseReclaimedError(reclaimed.heldMs, reclaimed.leakReclaimMs);
    },
    commandTimeoutMs: () => connection.commandTimeoutMs,
    observe: (name, args) => {
      if (countBlocking) blocking = blocksForever(name, args);
      session.observe(name, args);
    },
    // Counting replies still due tells release that a borrower walked away mid-command
    // (e.g. a BLPOP cut short), on Cluster leases too, where no single queue can be asked.
    sent: (reply) => {
      session.inFlight++;
      reply.then(settled, failed);
      if (blocking) {
        blocking = false;
        connection.blockedForever++;
        reply.then(unblocked, unblocked);
      }
    },
  });
}

/**
 * ioredis's Cluster says only "Failed to refresh slots cache." and reports which node failed
 * in a `node error` event: put that in the message.
 */
function withNodeError(error: Error, nodeError: Error | undefined): Error {
  if (nodeError === undefined || nodeError === error) return error;
  const combined = new Error(`${error.message.replace(/\.+$/, '')}: ${nodeError.message}`, {
    cause: error,
  });
  combined.name = error.name;
  return combined;
}

/**
 * Commands sent on this connection whose reply has not arrived yet. ioredis's own queue is
 * asked too (standalone only): a command rejected by a client-side timeout still has its reply
 * on the way.
 */
export function pendingReplies(connection: PoolConnection): number {
  if (connection.session.inFlight > 0) return connection.session.inFlight;
  return connection.redis instanceof Redis ? queuedReplies(connection.redis) : 0;
}

/** How long a new connection lives: `maxLifetimeMs` ± up to `lifetimeJitterMs`, uniformly. */
export function lifetime(
  options: Pick<ResolvedPoolOptions, 'maxLifetimeMs' | 'lifetimeJitterMs'>,
): number {
  if (options.maxLifetimeMs === 0) return Number.POSITIVE_INFINITY;
  const jitter = (Math.random() * 2 - 1) * options.lifetimeJitterMs;
  return options.maxLifetimeMs + jitter;
}

function newClient(options: ResolvedPoolOptions): RedisConnection {
  // Leases never reconnect on their own (retryStrategy null): a dropped connection is
  // replaced by the pool, so nobody ever gets a socket that failed under someone else.
  // No ioredis commandTimeout: the pool arms each command's deadline per lease (see
  // observeCommands), so blocking commands get their own block time on top.
  if (options.cluster) {
    const { host: _h, port: _p, db: _db, sentinels: _s, name: _n, ...perNode } = options.redis;
    return new Cluster(options.cluster.nodes.slice(), {
      ...options.cluster.options,
      lazyConnect: true,
      enableOfflineQueue: false,
      clusterRetryStrategy: () => null,
      redisOptions: {
        ...perNode,
        ...options.cluster.options?.redisOptions,
        connectTimeout: options.connectTimeoutMs,
      },
    });
  }
  return new Redis({
    // A READONLY reply means this server was demoted (failover): drop the connection so the
    // pool replaces it with one to the current master.
    reconnectOnError: (error) => error.message.startsWith('READONLY'),
    ...options.redis,
    lazyConnect: true,
    enableOfflineQueue: false,
    enableAutoPipelining: false,
    retryStrategy: () => null,
    maxRetriesPerRequest: 0,
  });
}

/**
 * Open one connection and wait until it is ready, within `connectTimeoutMs` (TCP + handshake,
 * Sentinel lookup or Cluster slot discovery). Rejects with the most telling error seen
 * (an auth refusal beats the "Connection is closed" that follows it).
 */
export async function openConnection(
  options: ResolvedPoolOptions,
  id: number,
  generation: number,
  blocking: boolean,
  onLost: (connection: PoolConnection, error: Error | undefined) => void,
): Promise<PoolConnection> {
  const redis = newClient(options);
  let firstError: Error | undefined;
  const onError = (error: Error) => {
    firstError ??= error;
  };
  redis.on('error', onError);
  let nodeError: Error | undefined;
  const onNodeError = (error: Error, address?: string) => {
    // ioredis reports a refused node as "Connection is closed."; the address says which node.
    nodeError ??= address
      ? new Error(`${error.message.replace(/\.+$/, '')} (node ${address})`)
      : error;
  };
  if (redis instanceof Cluster) redis.on('node error', onNodeError);
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      redis.connect(),
      new Promise<never>((_, reject) => {
        timer = setTimeout(
          () =>
            reject(
              new Error(
                `connect timed out after ${options.connectTimeoutMs} ms (${options.target})`,
              ),
            ),
          options.connectTimeoutMs,
        );
      }),
    ]);
  } catch (error) {
    redis.disconnect();
    throw withNodeError(firstError ?? (error as Error), nodeError);
  } finally {
    clearTimeout(timer);
  }
  redis.off('error', onError);
  redis.off('node error', onNodeError);

  const now = Date.now();
  const connection: PoolConnection = {
    id,
    redis,
    isCluster: redis instanceof Cluster,
    session: new SessionState(Number(options.redis.db ?? 0)),
    createdAt: now,
    retireAt: now + lifetime(options),
    idleSince: now,
    broken: false,
    state: ConnectionState.Opening,
    lease: undefined,
    generation,
    blocking,
    commandTimeoutMs: options.commandTimeoutMs,
    blockedForever: 0,
    onUnblocked: undefined,
    reclaimed: undefined,
  };
  observeCommands(connection, options.leakReclaimMs > 0);
  let lastError: Error | undefined;
  redis.on('error', (error: Error) => {
    lastError = error;
    connection.broken = true;
  });
  redis.once('end', () => {
    connection.broken = true;
    onLost(connection, lastError);
  });
  if (connection.isCluster) {
    redis.on('node error', (error: Error) => {
      lastError = error;
    });
  }
  return connection;
}

/** Close a connection now and resolve once its sockets are gone (bounded wait). */
export function closeConnection(connection: PoolConnection): Promise<void> {
  const redis = connection.redis;
  connection.broken = true;
  if (redis.status === 'end') return Promise.resolve();
  return new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, 1_000);
    redis.once('end', () => {
      clearTimeout(timer);
      resolve();
    });
    redis.disconnect();
    // A Cluster without a single node connection has nothing left to close (and no 'end' comes).
    if (redis instanceof Cluster && redis.nodes('all').length === 0) {
      clearTimeout(timer);
      resolve();
    }
  });
}

/**
 * The pool's breakers: one for a standalone or Sentinel target, one per node on a Cluster (a
 * node that is down refuses only the calls for its slots). Feeds them what the shared client's
 * connections show, and sums them up for `stats()`.
 */
import type { Cluster, Redis } from 'ioredis';
import { Breaker, probeTimeout } from './breaker.js';
import { isAuthFailure, isMaxClients, tlsFailureReason } from './errors.js';
import { Admission, type ConnectionHealth, type Gate } from './transport/admission.js';
import { refuseWaiting } from './transport/queues.js';
import type { PoolHealth } from './types.js';

/** What the breakers need from the pool. */
export interface HealthHost {
  readonly failFast: boolean;
  readonly maxPendingCommands: number;
  /** The pool's target, as messages name it (no password). */
  readonly target: string;
  redact(error: Error): Error;
  /** A breaker opened or closed: emit `down` / `up`. */
  changed(breaker: Breaker, health: 'up' | 'down'): void;
  /**
   * Standalone: reach the target once within `timeoutMs` (resolves on success, with the
   * `host:port` reached when known).
   */
  probe(timeoutMs: number): Promise<string | undefined>;
  /** Sentinel: the target is whichever server the sentinels name master (see `BreakerHost.movable`). */
  readonly sentinel: boolean;
  /** Standalone: age (ms) of the oldest connection attempt of the pool's lanes under way, or -1. */
  laneAttemptAge(): number;
  /** Cluster: reach node `address` once within `timeoutMs` (resolves on success, also when it left). */
  probeNode(address: string, timeoutMs: number): Promise<void>;
  /** `connectTimeoutMs`: the longest a probe gets. */
  readonly connectTimeoutMs: number;
}

/** What ioredis rejects with when a connection closed before the reply. */
const CONNECTION_CLOSED = 'Connection is closed.';

/** Socket errors of a connect that never reached a server. */
const UNREACHABLE_CODES = new Set([
  'ECONNREFUSED',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EHOSTDOWN',
  'ETIMEDOUT',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EADDRNOTAVAIL',
]);

/** Messages of attempts that got no answer: our connect deadline, ioredis's, Sentinel's. */
const UNANSWERED =
  /connect timed out|connect ETIMEDOUT|Command timed out|All sentinels are unreachable/;

/**
 * True for a connection error that says Redis cannot be reached: the connect was refused or
 * unanswered, or nothing answered in time. A server that accepts and then closes (a reset, a
 * broken pipe: `max number of clients reached` looks like that), wrong credentials and a bad
 * certificate come from a server that is up.
 */
export function isUnreachable(error: Error): boolean {
  if (isAuthFailure(error) || isMaxClients(error) || tlsFailureReason(error) !== undefined) {
    return false;
  }
  for (let e: unknown = error, depth = 0; e instanceof Error && depth < 5; depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && UNREACHABLE_CODES.has(code)) return true;
    if (UNANSWERED.test(e.message)) return true;
    e = e.cause;
  }
  return false;
}

/**
 * `host:port` at the other end of a standalone or Sentinel connection's socket, while it has
 * one (a Cluster client has no one address).
 */
export function remoteOf(redis: Redis | Cluster): string | undefined {
  if (redis.isCluster) return undefined;
  const { remoteAddress, remotePort } = (redis as Redis).stream ?? {};
  return remoteAddress === undefined || remotePort === undefined
    ? undefined
    : `${remoteAddress}:${remotePort}`;
}

/** Follows one ioredis connection's attempts: feeds `breaker`, and reports the attempt's age. */
function watchAttempts(redis: Redis, breaker: () => Breaker): () => number {
  let startedAt = -1;
  redis.on('connecting', () => {
    startedAt = Date.now();
  });
  redis.on('ready', () => {
    startedAt = -1;
    breaker().success(remoteOf(redis));
  });
  redis.on('error', (error: Error) => {
    // Errors of a live connection (a reset) are followed by a reconnect, which decides.
    if (redis.status !== 'ready' && isUnreachable(error)) {
      breaker().failure(error, startedAt < 0 ? undefined : startedAt);
    }
  });
  // Waiting for ioredis's next retry is not an attempt under way: it must not look stalled.
  const ended = () => {
    startedAt = -1;
  };
  redis.on('close', ended);
  redis.on('end', ended);
  return () => (startedAt < 0 || redis.status === 'ready' ? -1 : Date.now() - startedAt);
}

/** The breakers of one pool. */
export class Health {
  /** Standalone / Sentinel: the one breaker (undefined on a Cluster). */
  readonly breaker: Breaker | undefined;
  readonly #nodes = new Map<string, Breaker>();
  /** The shared client's current connection to each breaker's endpoint, and its attempt age. */
  readonly #connections = new Map<Breaker, { redis: Redis; age: () => number }>();
  #closed = false;
  #forgottenRefused = 0;

  constructor(
    private readonly host: HealthHost,
    cluster: boolean,
  ) {
    this.breaker = cluster
      ? undefined
      : this.#create(
          host.target,
          (attempt) => host.probe(probeTimeout(attempt, host.connectTimeoutMs)),
          host.sentinel,
        );
  }

  /** Standalone: what the shared client's guard reports to. */
  sharedConnection(redis: Redis): ConnectionHealth {
    const breaker = this.breaker as Breaker;
    this.#connections.set(breaker, { redis, age: watchAttempts(redis, () => breaker) });
    return this.#connectionHealth(breaker);
  }

  /**
   * Cluster: count the failures ioredis reports for nodes it could not reach while it refreshed
   * its slot table (`node error`): with every node down it has no node connection left to fail,
   * only those refreshes, on connections of their own.
   */
  watchCluster(cluster: Cluster): void {
    cluster.on('node error', (error: unknown, address: unknown) => {
      if (!(error instanceof Error) || typeof address !== 'string') return;
      // ioredis reports a refused or reset refresh connection as "Connection is closed."; a
      // server that answered (wrong password, too many clients) gives its own reply instead.
      if (error.message === CONNECTION_CLOSED)
        this.#node(address).failure(
          new Error(`${address} closed the connection before answering CLUSTER SLOTS`, {
            cause: error,
          }),
        );
      else if (isUnreachable(error)) this.#node(address).failure(error);
    });
  }

  /** Cluster: the gate of the Cluster's own queue, open while {@link refusingLeases} is. */
  everyNodeGate(): Gate {
    const health = this;
    // `open` is read right before `unavailable()` (see Admission.refuse).
    let refusing: Breaker | undefined;
    return {
      get open() {
        refusing = health.refusingLeases();
        return refusing !== undefined;
      },
      unavailable: () => (refusing as Breaker).unavailable(),
    };
  }

  /** Cluster: what a node connection's guard reports to (its node's breaker). */
  clusterNode(redis: Redis): ConnectionHealth {
    const address = `${redis.options.host}:${redis.options.port}`;
    const breaker = this.#node(address);
    this.#connections.set(breaker, { redis, age: watchAttempts(redis, () => breaker) });
    return this.#connectionHealth(breaker);
  }

  /** The pool's health: on a Cluster the worst node's. */
  get state(): PoolHealth {
    if (this.breaker !== undefined) return this.breaker.health;
    let probing = false;
    for (const node of this.#nodes.values()) {
      if (node.health === 'down') return 'down';
      if (node.health === 'probing') probing = true;
    }
    return probing ? 'probing' : 'up';
  }

  /**
   * The breaker that refuses a lease now: standalone, the one breaker while open; on a Cluster
   * (a lease connects to every node) one of the nodes' only while every known node's is open.
   */
  refusingLeases(): Breaker | undefined {
    if (this.breaker !== undefined) return this.breaker.open ? this.breaker : undefined;
    let refusing: Breaker | undefined;
    for (const node of this.#nodes.values()) {
      if (!node.open) return undefined;
      refusing = node;
    }
    return refusing;
  }

  /** Cluster: each node's health; undefined for a standalone pool. */
  nodes(): Record<string, PoolHealth> | undefined {
    if (this.breaker !== undefined) return undefined;
    const view: Record<string, PoolHealth> = {};
    for (const [address, node] of this.#nodes) view[address] = node.health;
    return view;
  }

  /** Cluster: forget a node that no longer serves slots (it reports `up` if it was down). */
  forget(address: string): void {
    const node = this.#nodes.get(address);
    if (node === undefined) return;
    node.success();
    node.close();
    this.#forgottenRefused += node.refused;
    this.#nodes.delete(address);
    this.#connections.delete(node);
  }

  /** Calls refused with `PoolUnavailableError` by every breaker, ever. */
  get refused(): number {
    let sum = this.breaker?.refused ?? 0;
    for (const node of this.#nodes.values()) sum += node.refused;
    return sum + this.#forgottenRefused;
  }

  /** Stop every breaker's timers. */
  close(): void {
    this.#closed = true;
    this.breaker?.close();
    for (const node of this.#nodes.values()) node.close();
  }

  #node(address: string): Breaker {
    let node = this.#nodes.get(address);
    if (node === undefined) {
      node = this.#create(
        address,
        (attempt) =>
          this.host
            .probeNode(address, probeTimeout(attempt, this.host.connectTimeoutMs))
            .then(() => undefined),
        false,
      );
      this.#nodes.set(address, node);
    }
    return node;
  }

  #create(
    node: string,
    probe: (attempt: number) => Promise<string | undefined>,
    movable: boolean,
  ): Breaker {
    const host = this.host;
    const breaker: Breaker = new Breaker(node, {
      failFast: host.failFast,
      movable,
      attemptAge: () => {
        const shared = this.#connections.get(breaker)?.age() ?? -1;
        return this.breaker === breaker ? Math.max(shared, host.laneAttemptAge()) : shared;
      },
      probe,
      changed: (which, health) => {
        if (this.#closed) return;
        // Commands still waiting for a connection were never written: refuse them now too.
        const redis = this.#connections.get(which)?.redis;
        if (health === 'down' && which.open && redis !== undefined) {
          refuseWaiting(redis, () => which.unavailable());
        }
        host.changed(which, health);
      },
      redact: (error) => host.redact(error),
    });
    return breaker;
  }

  #connectionHealth(breaker: Breaker): ConnectionHealth {
    return {
      admission: new Admission(breaker, this.host.maxPendingCommands),
      timedOut: (error) => breaker.failure(error),
    };
  }
}

import { Cluster, Redis } from 'ioredis';
import type { PoolError } from './errors.js';
import type { Health } from './health.js';
import type { ResolvedPoolOptions } from './options.js';
import { Admission } from './transport/admission.js';
import { assertContract } from './transport/ioredis-internals.js';
import { guardSharedCluster } from './transport/shared-cluster.js';
import {
  guardSharedConnection,
  retireFailoverDetectorOnClose,
} from './transport/shared-connection.js';
import type { RedisConnection } from './types.js';

/** Longest pause between two reconnect attempts before jitter (ms). */
export const RECONNECT_MAX_DELAY_MS = 400;

/**
 * Reconnect delay: exponential from 50 ms, capped at 400 ms, plus up to 100 ms jitter, so a
 * client serves again at most about half a second after Redis is back (an attempt on a LAN is
 * cheap; the jitter keeps a fleet from reconnecting in lockstep).
 */
export function reconnectDelay(attempt: number): number {
  return (
    Math.min(50 * 2 ** Math.max(0, attempt - 1), RECONNECT_MAX_DELAY_MS) +
    Math.floor(Math.random() * 100)
  );
}

/** The shared client and how to close it for good. */
export interface SharedClient {
  readonly client: RedisConnection;
  /** QUIT (or disconnect after `timeoutMs`) and never reconnect. */
  close(timeoutMs: number): Promise<void>;
  /** Redis is reachable again: reconnect now if the client stopped while it was down. */
  resume(): void;
}

/**
 * The shared client. Commands of one turn of the event loop leave in one write (see
 * `transport/shared-connection.ts`; ioredis's own auto-pipelining is off: it costs a pipeline,
 * a promise and a callback per call).
 * - A command rejects `commandTimeoutMs` after the call, including while queued offline during
 *   an outage, instead of waiting for the server forever; a timed-out command is never sent
 *   later, and the connection it was written on is replaced.
 * - `maxRetriesPerRequest: 1`: queued commands are also flushed with an error after the
 *   second failed reconnect, whichever comes first.
 * - Wrong credentials, and a TLS certificate that fails verification, stop the reconnect loop
 *   (no hammering the server with bad passwords or handshakes) and fail the commands waiting
 *   for a connection with `PoolAuthError` / `PoolTlsError`; the next command starts a single
 *   new attempt, so fixed credentials (or certificates) recover by themselves.
 * - With `failFast`, commands are refused unsent while `health` says Redis is down (per node on
 *   a Cluster), and a standalone client stops reconnecting meanwhile: the pool's probe is the
 *   one attempt at a time; `resume()` reconnects once Redis answers.
 * - At most `maxPendingCommands` commands are held unanswered (per node on a Cluster).
 */
export function createSharedClient(
  options: ResolvedPoolOptions,
  onError: (error: Error) => void,
  health: Health,
  fatalOf: (error: Error) => PoolError | undefined,
): SharedClient {
  let refused = false;
  let stopped = false;
  let closed = false;
  const retryStrategy = (attempt: number): number | null => {
    if (refused || health.breaker?.open === true) {
      stopped = true;
      return null;
    }
    return reconnectDelay(attempt);
  };
  // A client that stopped (after a refusal of credentials or certificate, or while Redis was
  // down; status "end") tries again on the next command (or `resume()`) instead of failing
  // with "Connection is closed" forever.
  const restart = (): void => {
    if (stopped && !closed && client.status === 'end') {
      stopped = false;
      refused = false;
      client.connect().catch(() => {});
    }
  };
  let client: RedisConnection;
  if (options.cluster) {
    const { host: _h, port: _p, db: _db, sentinels: _s, name: _n, ...perNode } = options.redis;
    client = new Cluster(options.cluster.nodes.slice(), {
      clusterRetryStrategy: retryStrategy,
      ...options.cluster.options,
      lazyConnect: true,
      enableAutoPipelining: false,
      redisOptions: {
        ...perNode,
        ...options.cluster.options?.redisOptions,
        connectTimeout: options.connectTimeoutMs,
        autoResendUnfulfilledCommands: false,
      },
    });
    guardSharedCluster(client, options.commandTimeoutMs, restart, {
      // Commands wait in the Cluster's own queue when it has no node connection at all: they
      // are refused there only while every node is down.
      admission: new Admission(health.everyNodeGate(), options.maxPendingCommands),
      node: (node) => health.clusterNode(node),
    });
    health.watchCluster(client);
  } else {
    client = new Redis({
      retryStrategy,
      // After a failover the old master answers READONLY: reconnect (Sentinel finds the new
      // master) and resend the command.
      reconnectOnError: (error) => (error.message.startsWith('READONLY') ? 2 : false),
      // With Sentinel, move to the new master on +switch-master instead of writing to the old one.
      ...(options.redis.sentinels ? { failoverDetector: true } : {}),
      ...options.redis,
      lazyConnect: true,
      enableAutoPipelining: false,
      maxRetriesPerRequest: 1,
      autoResendUnfulfilledCommands: false,
    });
    guardSharedConnection(
      client,
      options.commandTimeoutMs,
      restart,
      health.sharedConnection(client),
      fatalOf,
    );
    if (options.redis.sentinels) retireFailoverDetectorOnClose(client);
  }
  assertContract(client);
  client.on('error', (error: Error) => {
    // Wrong credentials and a certificate that fails verification do not fix themselves.
    if (fatalOf(error) !== undefined) {
      refused = true;
      stopped = true;
    }
    onError(error);
  });
  client.on('ready', () => {
    refused = false;
  });
  return {
    client,
    resume: restart,
    async close(timeoutMs) {
      closed = true;
      if (client.status === 'end') return;
      let timer: NodeJS.Timeout | undefined;
      // Some states (a Cluster that never became ready) close without an 'end' event: wait for
      // it, but never longer than the grace period, so close() always settles.
      const ended = new Promise<void>((resolve) => {
        client.once('end', () => resolve());
        timer = setTimeout(() => {
          client.disconnect();
          resolve();
        }, timeoutMs);
      });
      try {
        // QUIT lets replies already on their way arrive; disconnect if the server does not answer.
        if (client.status === 'ready') await client.quit().catch(() => client.disconnect());
        else client.disconnect();
        // A Cluster without a single node connection has nothing left to close (and no 'end' comes).
        if (client instanceof Cluster && client.nodes('all').length === 0) return;
        await ended;
      } finally {
        clearTimeout(timer);
      }
    },
  };
}

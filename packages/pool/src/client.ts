import { Cluster, Redis } from 'ioredis';
import { isAuthFailure } from './errors.js';
import type { ResolvedPoolOptions } from './options.js';
import type { RedisConnection } from './types.js';

/** Reconnect delay: exponential from 50 ms, capped at 2 s, plus up to 100 ms jitter. */
export function reconnectDelay(attempt: number): number {
  return Math.min(50 * 2 ** Math.max(0, attempt - 1), 2_000) + Math.floor(Math.random() * 100);
}

/** The shared client and how to close it for good. */
export interface SharedClient {
  readonly client: RedisConnection;
  /** QUIT (or disconnect after `timeoutMs`) and never reconnect. */
  close(timeoutMs: number): Promise<void>;
}

/**
 * The shared, auto-pipelined client.
 * - `commandTimeout`: a command rejects after `commandTimeoutMs`, including while queued
 *   offline during an outage, instead of waiting for the server forever.
 * - `maxRetriesPerRequest: 1`: queued commands are also flushed with an error after the
 *   second failed reconnect, whichever comes first.
 * - Wrong credentials stop the reconnect loop (no hammering the server with bad passwords);
 *   the next command starts a single new attempt, so fixed credentials recover by themselves.
 */
export function createSharedClient(
  options: ResolvedPoolOptions,
  onError: (error: Error) => void,
): SharedClient {
  let authFailed = false;
  let closed = false;
  const retryStrategy = (attempt: number): number | null =>
    authFailed ? null : reconnectDelay(attempt);
  let client: RedisConnection;
  if (options.cluster) {
    const { host: _h, port: _p, db: _db, sentinels: _s, name: _n, ...perNode } = options.redis;
    client = new Cluster(options.cluster.nodes.slice(), {
      clusterRetryStrategy: retryStrategy,
      ...options.cluster.options,
      lazyConnect: true,
      enableAutoPipelining: true,
      redisOptions: {
        ...perNode,
        ...options.cluster.options?.redisOptions,
        connectTimeout: options.connectTimeoutMs,
        commandTimeout: options.commandTimeoutMs,
      },
    });
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
      enableAutoPipelining: true,
      maxRetriesPerRequest: 1,
      commandTimeout: options.commandTimeoutMs,
    });
  }
  client.on('error', (error: Error) => {
    if (isAuthFailure(error)) authFailed = true;
    onError(error);
  });
  client.on('ready', () => {
    authFailed = false;
  });
  // A client that stopped after an auth refusal (status "end") tries once more on the next
  // command instead of failing with "Connection is closed" forever.
  const target = client as unknown as {
    sendCommand: (...args: unknown[]) => unknown;
    status: string;
  };
  const send = target.sendCommand;
  const isCluster = client instanceof Cluster;
  target.sendCommand = function (this: unknown, ...args: unknown[]) {
    // A Cluster queues commands itself while it (re)discovers slots, where the per-node
    // commandTimeout does not reach them yet: arm the same deadline at the Cluster level.
    if (isCluster)
      (args[0] as { setTimeout?: (ms: number) => void }).setTimeout?.(options.commandTimeoutMs);
    if (authFailed && !closed && target.status === 'end') {
      authFailed = false;
      client.connect().catch(() => {});
    }
    return send.apply(this, args);
  };
  return {
    client,
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

import { Cluster, Redis } from 'ioredis';
import {
  dropSocket,
  type GuardedCommand,
  isCommandTimeout,
  skipIfSettled,
} from './command-guard.js';
import { isAuthFailure, PoolConnectionLostError } from './errors.js';
import type { ResolvedPoolOptions } from './options.js';
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

/** The parts of an ioredis connection the guard reaches into. */
interface Guarded {
  sendCommand: (command: GuardedCommand, stream?: unknown, ...rest: unknown[]) => unknown;
  pipeline: (...args: unknown[]) => { sendCommand: (command: GuardedCommand) => unknown };
  status: string;
  stream?: unknown;
  prevCommandQueue?: { length: number; shift(): { command: GuardedCommand } | undefined } | null;
  recoverFromFatalError: (commandError: unknown, error: unknown, options?: object) => void;
  retryAttempts: number;
  on(event: string, listener: (...args: unknown[]) => void): unknown;
}

type Answer = (error: Error | null, value?: unknown) => void;

/**
 * The callers' answer list ioredis keeps on an auto-pipeline (under a private symbol), or
 * `null` for a pipeline made by hand. Read once per pipeline.
 */
function autoPipelineAnswers(pipeline: object): Answer[] | null {
  for (const key of Object.getOwnPropertySymbols(pipeline)) {
    if (key.description !== 'callbacks') continue;
    const answers: unknown = (pipeline as Record<symbol, unknown>)[key];
    return Array.isArray(answers) ? (answers as Answer[]) : null;
  }
  return null;
}

/**
 * Make `commandTimeoutMs` a deadline from the call. ioredis starts a command's clock only in
 * `sendCommand`, and an auto-pipelined command waits unsent while the previous pipeline of its
 * connection is outstanding; it also answers the callers of an auto-pipeline only when the
 * whole pipeline has settled. So a command could take up to twice the timeout to reject.
 * Here every command's clock starts when it is queued, and a caller whose command times out is
 * answered then (ioredis's later answer to that caller is a no-op; the command is never written).
 */
function clockFromCall(target: Guarded, commandTimeoutMs: number): void {
  const makePipeline = target.pipeline;
  target.pipeline = function (this: unknown, ...args: unknown[]) {
    const pipeline = makePipeline.apply(this, args);
    const queue = pipeline.sendCommand;
    let answers: Answer[] | null | undefined;
    pipeline.sendCommand = function (this: unknown, command: GuardedCommand) {
      command.setTimeout(commandTimeoutMs);
      const queued = queue.call(this, command);
      // ioredis pushes the caller's answer just before it queues the caller's command.
      answers ??= autoPipelineAnswers(pipeline);
      const answer = answers?.[answers.length - 1];
      if (answer !== undefined) {
        command.promise.then(undefined, (error: unknown) => {
          if (isCommandTimeout(error)) answer(error as Error);
        });
      }
      return queued;
    };
    return pipeline;
  };
}

/**
 * Keep one standalone connection's reply stream trustworthy:
 * - a command already answered (timed out while queued) is never written;
 * - a command that timed out after it was written leaves its reply (or, on a broken network,
 *   a reply that never comes) in the stream, so every later reply would be matched to the
 *   wrong command: drop that socket, ioredis reconnects with an empty queue;
 * - commands written but unanswered when a socket drops reject at once with
 *   `PoolConnectionLostError` instead of being written again (`autoResendUnfulfilledCommands`
 *   is off: a resend could apply a write twice).
 */
function guardConnection(target: Guarded): void {
  const send = target.sendCommand;
  target.sendCommand = function (this: unknown, command, stream, ...rest) {
    if (skipIfSettled(command, stream)) return command.promise;
    const reply = send.call(this, command, stream, ...rest);
    // Written on a ready connection (a stuck handshake is ioredis's own: see below).
    if (!command.isSettled && target.status === 'ready') {
      const socket = target.stream;
      command.promise.then(undefined, (error: unknown) => {
        if (isCommandTimeout(error) && target.stream === socket) dropSocket(target);
      });
    }
    return reply;
  };
  // A handshake that timed out (the connection was replaced while the server is paused or
  // stuck) says nothing about commands never sent: ioredis would reject them all with its
  // "Command timed out" at once; they keep waiting for the next connection until their own
  // deadline instead. The server answered the TCP connect, so this is not a failed reconnect
  // either (maxRetriesPerRequest would flush them too). Other handshake errors (wrong
  // password…) still fail them at once.
  const recover = target.recoverFromFatalError;
  target.recoverFromFatalError = function (this: unknown, commandError, error, options) {
    if (!isCommandTimeout(error)) return recover.call(this, commandError, error, options);
    target.retryAttempts = 0;
    return recover.call(this, commandError, error, { ...options, offlineQueue: false });
  };
  target.on('close', () => {
    const queue = target.prevCommandQueue;
    if (!queue?.length) return;
    target.prevCommandQueue = null;
    const lost = new PoolConnectionLostError();
    for (let item = queue.shift(); item; item = queue.shift()) {
      if (!item.command.isSettled) item.command.reject(lost);
    }
  });
}

/** What the pool touches of ioredis's Sentinel connector (private in ioredis 6). */
interface SentinelConnectorParts {
  failoverDetector?: { cleanup(): void } | undefined;
}

/**
 * ioredis's Sentinel failover detector belongs to one connection but outlives its socket: it
 * is replaced only when a new socket connects. Its `+switch-master` during the reconnect's
 * master lookup (the old master is dead, the sentinels promote the replica meanwhile) aborts
 * that lookup, and ioredis then ends the client for good: status "end", every later command
 * "Connection is closed.", no retry. Once the socket is gone the reconnect asks the sentinels
 * anyway, so the detector retires with its socket.
 */
function retireFailoverDetectorOnClose(client: Redis): void {
  client.on('close', () => {
    const connector = (client as unknown as { connector?: SentinelConnectorParts }).connector;
    const detector = connector?.failoverDetector;
    if (!connector || !detector) return;
    connector.failoverDetector = undefined;
    detector.cleanup();
  });
}

/** The shared client and how to close it for good. */
export interface SharedClient {
  readonly client: RedisConnection;
  /** QUIT (or disconnect after `timeoutMs`) and never reconnect. */
  close(timeoutMs: number): Promise<void>;
}

/**
 * The shared, auto-pipelined client.
 * - `commandTimeout`: a command rejects `commandTimeoutMs` after the call, including while
 *   queued offline during an outage, instead of waiting for the server forever; a timed-out
 *   command is never sent later, and the connection it was written on is replaced.
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
        autoResendUnfulfilledCommands: false,
      },
    });
    client.on('+node', (node: unknown) => guardConnection(node as Guarded));
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
      autoResendUnfulfilledCommands: false,
    });
    guardConnection(client as unknown as Guarded);
    if (options.redis.sentinels) retireFailoverDetectorOnClose(client);
  }
  clockFromCall(client as unknown as Guarded, options.commandTimeoutMs);
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
    if (isCluster) {
      const command = args[0] as GuardedCommand;
      if (skipIfSettled(command, args[1])) return command.promise;
      command.setTimeout(options.commandTimeoutMs);
    }
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

/**
 * The interceptor of the shared client's connections (a standalone or Sentinel `Redis`, or each
 * node of a `Cluster`): one wrapper of `sendCommand` per connection. See the pool README,
 * "What commands promise across timeouts and reconnects".
 */
import type { Socket } from 'node:net';
import type { Redis } from 'ioredis';
import { PoolConnectionLostError } from '../errors.js';
import { type ConnectionHealth, isHandshake, setPendingLimit } from './admission.js';
import { refuseLate, skipSettled } from './command.js';
import {
  COMMAND_TIMED_OUT,
  type DeadlineWatch,
  expire,
  isCommandTimeout,
  recordCommandTimeout,
  sweeper,
} from './deadlines.js';
import { type RedisInternals, redisInternals } from './ioredis-internals.js';
import { observerSlot, observeSent } from './observer.js';
import { expireWaiting, firstExpiredWritten, refuseWaiting } from './queues.js';

/** Entries of a command queue the sweep looks at (see {@link firstExpiredWritten}). */
const HEAD_SCAN = 8;

/** Sweep one shared connection: reports whether it still has commands outstanding. */
function sweepConnection(
  target: RedisInternals,
  at: number,
  health: ConnectionHealth | undefined,
): boolean {
  const late = firstExpiredWritten(target.commandQueue, at, HEAD_SCAN);
  if (late !== undefined) {
    expire(late);
    if (target.status === 'ready') health?.timedOut(new Error(COMMAND_TIMED_OUT));
    // Its reply (or, on a broken network, a reply that never comes) is still in the stream:
    // every later reply would be matched to the wrong command. A handshake command that timed
    // out is ioredis's own to recover from (see below).
    if (target.status === 'ready') target.stream?.destroy();
  }
  expireWaiting(target.offlineQueue, at);
  return target.commandQueue.length > 0 || target.offlineQueue.length > 0;
}

/**
 * Guard one connection of the shared client:
 * - every command gets a deadline `commandTimeoutMs` from the call (the process-wide sweeper
 *   rejects it then), whether it is written at once or waits for a connection;
 * - a command already answered (it timed out while waiting) is never written;
 * - a command that timed out after it was written leaves its reply in the stream, so the
 *   socket is dropped; ioredis reconnects with an empty queue;
 * - commands written but unanswered when a socket drops reject at once with
 *   `PoolConnectionLostError` instead of being written again (at-most-once);
 * - commands of one turn of the event loop leave in one write: the socket is corked on the
 *   first and uncorked on the next tick, which batches like ioredis's auto-pipelining without
 *   its per-call pipeline, promise and callback;
 * - an attached command observer (`observer.ts`) hears of each command once, when it settles.
 *
 * - with `health`, a command is refused unsent while the endpoint is down or
 *   `maxPendingCommands` are held (see `admission.ts`), and timeouts are reported to it.
 *
 * `beforeSend` runs before each command is handed to ioredis. `fatalOf` gives the pool's error
 * for a connect failure that retrying cannot fix (credentials, certificate): the commands
 * waiting for a connection then reject with it, not with ioredis's "Connection is closed.".
 */
export function guardSharedConnection(
  redis: Redis,
  commandTimeoutMs: number,
  beforeSend?: () => void,
  health?: ConnectionHealth,
  fatalOf?: (error: Error) => Error | undefined,
): void {
  const target = redisInternals(redis);
  const send = target.sendCommand;
  recordCommandTimeout(redis, commandTimeoutMs);
  if (health !== undefined) setPendingLimit(redis, health.admission.maxPending);
  const watch: DeadlineWatch = {
    watched: false,
    sweep: (at) => sweepConnection(target, at, health),
  };
  const observed = observerSlot(redis);
  let corked: Socket | undefined;
  const uncork = (): void => {
    const socket = corked;
    corked = undefined;
    socket?.uncork();
  };
  target.sendCommand = function (this: unknown, command, stream, ...rest) {
    observeSent(observed, target.status, command);
    const refused = refuseLate(command, stream, commandTimeoutMs);
    if (refused !== undefined) return refused;
    if (health !== undefined && !isHandshake(target.status, command)) {
      const refusal = health.admission.refuse(
        command,
        target.commandQueue.length + target.offlineQueue.length,
      );
      if (refusal !== undefined) {
        command.reject(refusal);
        return skipSettled(command, stream);
      }
    }
    if (!watch.watched) sweeper.watch(watch);
    beforeSend?.();
    if (corked === undefined && target.status === 'ready') {
      const socket = target.stream;
      if (socket !== undefined) {
        corked = socket;
        socket.cork();
        process.nextTick(uncork);
      }
    }
    return send.call(this, command, stream, ...rest);
  };
  // A handshake that timed out (the connection was replaced while the server is paused or
  // stuck) says nothing about commands never sent: ioredis would reject them all at once; they
  // keep waiting for the next connection until their own deadline instead. The server answered
  // the TCP connect, so this is not a failed reconnect either (maxRetriesPerRequest would flush
  // them too). Other handshake errors (wrong password…) still fail them at once.
  const recover = target.recoverFromFatalError;
  target.recoverFromFatalError = function (this: unknown, commandError, error, options) {
    if (!isCommandTimeout(error)) return recover.call(this, commandError, error, options);
    health?.timedOut(error as Error);
    target.retryAttempts = 0;
    return recover.call(this, commandError, error, { ...options, offlineQueue: false });
  };
  // The commands still waiting for a connection when ioredis gives them up were never sent:
  // they reject with the pool's error for why, not with ioredis's.
  // - A refused AUTH flushes them with its own error; a failed certificate check ends the
  //   client, which flushes them with "Connection is closed." after the error: `fatalOf`'s.
  // - After maxRetriesPerRequest failed reconnects (those written on the lost connection were
  //   rejected on 'close' already): the breaker's error.
  const gate = health?.admission.gate;
  let stoppedBy: Error | undefined;
  if (fatalOf !== undefined) {
    redis.on('error', (error: Error) => {
      stoppedBy = fatalOf(error) ?? stoppedBy;
    });
    redis.on('ready', () => {
      stoppedBy = undefined;
    });
  }
  if (gate !== undefined || fatalOf !== undefined) {
    const flush = target.flushQueue;
    target.flushQueue = function (this: unknown, error, options) {
      const fatal = fatalOf?.(error) ?? stoppedBy;
      if (fatal !== undefined) refuseWaiting(redis, () => fatal);
      else if (gate !== undefined && error.name === 'MaxRetriesPerRequestError')
        // Per command: the breaker counts each refusal.
        refuseWaiting(redis, () => gate.unavailable());
      return flush.call(this, error, options);
    };
  }
  redis.on('close', () => {
    const queue = target.prevCommandQueue;
    if (!queue?.length) return;
    target.prevCommandQueue = null;
    const lost = new PoolConnectionLostError();
    for (let item = queue.shift(); item; item = queue.shift()) {
      if (!item.command.isSettled) item.command.reject(lost);
    }
  });
}

/**
 * ioredis's Sentinel failover detector belongs to one connection but outlives its socket: it
 * is replaced only when a new socket connects. Its `+switch-master` during the reconnect's
 * master lookup (the old master is dead, the sentinels promote the replica meanwhile) aborts
 * that lookup, and ioredis then ends the client for good: status "end", every later command
 * "Connection is closed.", no retry. Once the socket is gone the reconnect asks the sentinels
 * anyway, so the detector retires with its socket.
 */
export function retireFailoverDetectorOnClose(redis: Redis): void {
  redis.on('close', () => {
    const connector = redisInternals(redis).connector;
    const detector = connector?.failoverDetector;
    if (!connector || !detector) return;
    connector.failoverDetector = undefined;
    detector.cleanup();
  });
}

import type { Redis } from 'ioredis';
import { expire, isPastDeadline, now } from './deadlines.js';
import { type CommandInternals, DEADLINE, socketOf } from './ioredis-internals.js';

/** The `stream` argument ioredis passes to `sendCommand` for the commands of a pipeline. */
interface PipelineStream {
  isPipeline?: boolean;
  write(data: string): void;
}

/**
 * A command whose caller was already answered (it timed out while it waited for a connection)
 * must never be written: the caller was told it failed. Call this instead of writing it.
 *
 * ioredis writes a pipeline in one go once every command of it went through `sendCommand` (it
 * counts them down): a skipped pipeline member still counts, with an empty write.
 */
export function skipSettled(command: CommandInternals, stream: unknown): Promise<unknown> {
  const pipeline = stream as PipelineStream | undefined;
  if (pipeline?.isPipeline === true) pipeline.write('');
  return command.promise;
}

/**
 * The shared client's check before a command is handed to ioredis: a settled command, or one
 * already past its deadline (it waited for a connection too long), is skipped and its promise
 * returned; otherwise its clock starts now (`timeoutMs` from the call) unless it already runs,
 * and undefined is returned: send it.
 */
export function refuseLate(
  command: CommandInternals,
  stream: unknown,
  timeoutMs: number,
): Promise<unknown> | undefined {
  if (command.isSettled) return skipSettled(command, stream);
  if (command[DEADLINE] === undefined) command[DEADLINE] = now() + timeoutMs;
  else if (isPastDeadline(command)) {
    expire(command);
    return skipSettled(command, stream);
  }
  return undefined;
}

/**
 * How long a leased connection may wait for the reply to `command`, given the lease's
 * `commandTimeoutMs` (0 = no limit). Blocking commands get their own block time on top, and
 * none at all when they block forever (BLPOP … 0, XREAD BLOCK 0, WAIT … 0): the caller asked
 * for that.
 */
export function leaseDeadline(command: CommandInternals, commandTimeoutMs: number): number {
  if (commandTimeoutMs === 0) return 0;
  let blockMs: number | null | undefined;
  if (command.name.length === 4 && command.name.toLowerCase() === 'wait') {
    blockMs = Number(command.args[1]);
    if (!Number.isFinite(blockMs)) blockMs = undefined;
  } else if (command.name.charCodeAt(0) === 98 || command.name.charCodeAt(0) === 66) {
    // b… / B…: BLPOP, BRPOP, BLMOVE, BZPOPMIN… (ioredis parses their timeout argument).
    blockMs = command.extractBlockingTimeout();
  } else if (command.name.length >= 5 && command.name.slice(0, 5).toLowerCase() === 'xread') {
    blockMs = command.extractBlockingTimeout();
  }
  if (blockMs === 0) return 0;
  return typeof blockMs === 'number' && blockMs > 0 ? blockMs + commandTimeoutMs : commandTimeoutMs;
}

/**
 * Close a connection's socket now, without a goodbye: after a timeout nothing says the peer
 * is still there, so a FIN could wait for minutes on a dead network. ioredis sees the close
 * and reconnects (shared client) or ends (leases, which never reconnect).
 */
export function dropSocket(redis: Redis): void {
  socketOf(redis)?.destroy();
}

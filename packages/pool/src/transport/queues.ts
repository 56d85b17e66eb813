import type { Redis } from 'ioredis';
import { expire, isPastDeadline } from './deadlines.js';
import { type CommandDeque, type CommandInternals, redisInternals } from './ioredis-internals.js';

/**
 * Commands waiting for a connection (an offline queue), oldest first: reject those past their
 * deadline and take every settled one out, so the sweep never looks at them again and they are
 * never written. Stops at the first command still in time.
 */
export function expireWaiting(queue: CommandDeque, at: number): void {
  while (queue.length > 0) {
    const command = (queue.peekFront() as { command: CommandInternals }).command;
    if (!command.isSettled) {
      if (!isPastDeadline(command, at)) return;
      expire(command);
    }
    queue.shift();
  }
}

/**
 * The first written command past its deadline and still waiting for its reply, looking at the
 * oldest `limit` entries of a command queue (all of them when `limit` is omitted). Replies come
 * in order, so with equal timeouts the oldest entries are the first to expire; a few more are
 * looked at because handshake commands written after a reconnect may precede older ones.
 */
export function firstExpiredWritten(
  queue: CommandDeque,
  at: number,
  limit: number = Number.POSITIVE_INFINITY,
): CommandInternals | undefined {
  const end = Math.min(queue.length, limit);
  for (let i = 0; i < end; i++) {
    const command = (queue.peekAt(i) as { command: CommandInternals }).command;
    if (!command.isSettled && isPastDeadline(command, at)) return command;
  }
  return undefined;
}

/**
 * Reject every command of `redis` still waiting for a connection (its offline queue) with
 * `error()`: none of them was written. For when Redis is known to be down.
 */
export function refuseWaiting(redis: Redis, error: () => Error): void {
  const queue = redisInternals(redis).offlineQueue;
  while (queue.length > 0) {
    const command = queue.shift()?.command;
    if (command !== undefined && !command.isSettled) command.reject(error());
  }
}

import { Cluster, type Redis } from 'ioredis';
import { leaseDeadline, skipSettled } from './command.js';
import { type DeadlineWatch, expire, now, sweeper } from './deadlines.js';
import { DEADLINE, type RedisInternals, redisInternals } from './ioredis-internals.js';
import { firstExpiredWritten } from './queues.js';

/** What a lease's connection tells its owner about the commands a borrower sends. */
export interface LeaseCommandObserver {
  /** An error to refuse every command with (the lease was taken back), else undefined. */
  refusal(): Error | undefined;
  /** The lease's reply deadline (ms, 0 = none), read for each command. */
  commandTimeoutMs(): number;
  /** Called for each command before it is sent (session bookkeeping). */
  observe(name: string, args: readonly unknown[]): void;
  /** Called with the reply of each command handed to ioredis. */
  sent(reply: Promise<unknown>): void;
}

/** The standalone connections of `redis`: itself, or a Cluster's node connections. */
function connectionsOf(redis: Redis | Cluster): RedisInternals[] {
  if (redis instanceof Cluster) return redis.nodes('all').map(redisInternals);
  return [redisInternals(redis)];
}

/** Expire what is late on a lease's connections; reports whether replies are still due. */
function sweepLease(redis: Redis | Cluster, at: number): boolean {
  let pending = false;
  for (const connection of connectionsOf(redis)) {
    // A lease sends few commands at a time, with deadlines that differ (blocking commands):
    // look at every one.
    const late = firstExpiredWritten(connection.commandQueue, at);
    if (late !== undefined) expire(late);
    if (connection.commandQueue.length > 0) pending = true;
  }
  return pending;
}

/**
 * Route every command of a leased connection through `observer` first and give it the lease's
 * reply deadline (blocking commands get their block time on top); the sweeper rejects it then.
 * Commands are refused without being sent while `observer.refusal()` names an error.
 * One wrapper per connection, installed after the handshake.
 */
export function interceptLeaseCommands(
  redis: Redis | Cluster,
  observer: LeaseCommandObserver,
): void {
  const target = redisInternals(redis as Redis);
  const send = target.sendCommand;
  const watch: DeadlineWatch = { watched: false, sweep: (at) => sweepLease(redis, at) };
  target.sendCommand = function (this: unknown, command, ...rest) {
    // A refused command is neither observed nor sent.
    const refused = observer.refusal();
    if (refused !== undefined) {
      command.reject(refused);
      return skipSettled(command, rest[0]);
    }
    observer.observe(command.name, command.args);
    const deadlineMs = leaseDeadline(command, observer.commandTimeoutMs());
    if (deadlineMs > 0 && command[DEADLINE] === undefined) {
      command[DEADLINE] = now() + deadlineMs;
      if (!watch.watched) sweeper.watch(watch);
    }
    const reply = send.call(this, command, ...rest);
    if (reply instanceof Promise) observer.sent(reply);
    return reply;
  };
}

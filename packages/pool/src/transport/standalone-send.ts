import { Command, type Redis } from 'ioredis';
import { CALLERS, type WeightedCommand } from './admission.js';
import type { Reply, TransportCommand } from './executor-types.js';
import { commandInternals, socketOf } from './ioredis-internals.js';

const toReply = (value: unknown): Reply => [null, value];
const toError = (error: Error): Reply => [error, null];

/**
 * Send `commands` on one connection in one write (the socket is corked around them) and
 * resolve with every reply in order. Each command goes through the connection's `sendCommand`,
 * so a pool's guard (deadlines, at-most-once) applies to it; keys get the client's `keyPrefix`.
 */
export function sendBatch(redis: Redis, commands: readonly TransportCommand[]): Promise<Reply[]> {
  const keyPrefix = redis.options.keyPrefix;
  const socket = redis.status === 'ready' ? socketOf(redis) : undefined;
  socket?.cork();
  try {
    return Promise.all(
      commands.map((command) => {
        const sent = new Command(command.name, command.args.slice(), {
          replyEncoding: 'utf8',
          ...(keyPrefix ? { keyPrefix } : {}),
        });
        if (command.callers !== undefined && command.callers > 1) {
          (commandInternals(sent) as WeightedCommand)[CALLERS] = command.callers;
        }
        redis.sendCommand(sent);
        return (sent.promise as Promise<unknown>).then(toReply, toError);
      }),
    );
  } finally {
    socket?.uncork();
  }
}

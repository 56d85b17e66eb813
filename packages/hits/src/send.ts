import type { Deliver, Executor, RedisCommand, Reply } from './client.js';
import { SCRIPTS } from './script.js';

function isNoScript(reply: Reply): boolean {
  return reply[0]?.message.startsWith('NOSCRIPT') === true;
}

/**
 * `executor.sendEach`, sending once more with EVAL every EVALSHA of ours the server does not
 * have (restart, failover, `SCRIPT FLUSH`; NOSCRIPT means it did not run). Each node's replies
 * are delivered as soon as they are final.
 */
export async function sendScripted(
  executor: Executor,
  commands: readonly RedisCommand[],
  deliver: Deliver,
): Promise<void> {
  const resends: Array<Promise<void>> = [];
  await executor.sendEach(commands, (indexes, replies) => {
    const ok: number[] = [];
    const okReplies: Reply[] = [];
    const missing: number[] = [];
    const again: RedisCommand[] = [];
    indexes.forEach((index, j) => {
      const reply = replies[j] as Reply;
      const command = commands[index] as RedisCommand;
      const source =
        command.name === 'evalsha' && isNoScript(reply)
          ? SCRIPTS.get(String(command.args[0]))
          : undefined;
      if (source === undefined) {
        ok.push(index);
        okReplies.push(reply);
      } else {
        missing.push(index);
        again.push({ ...command, name: 'eval', args: [source, ...command.args.slice(1)] });
      }
    });
    if (ok.length > 0) deliver(ok, okReplies);
    if (missing.length > 0)
      resends.push(executor.send(again).then((results) => deliver(missing, results)));
  });
  await Promise.all(resends);
}

/** {@link sendScripted}, resolving with every reply in the order of `commands`. */
export async function sendScriptedAll(
  executor: Executor,
  commands: readonly RedisCommand[],
): Promise<Reply[]> {
  const replies = new Array<Reply>(commands.length);
  await sendScripted(executor, commands, (indexes, results) => {
    indexes.forEach((index, j) => {
      replies[index] = results[j] as Reply;
    });
  });
  return replies;
}

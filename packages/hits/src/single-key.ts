/**
 * A batch script's work sent as single-key commands, for a Cluster slot that is being migrated.
 *
 * While a slot moves, a command with several keys gets `TRYAGAIN` for as long as some of its keys
 * are on the old node and some on the new one, which can outlast a command's deadline; a
 * single-key command is never refused that way (`ASK` sends it to the key's current node). So a
 * `pipeline`-mode batch that got `TRYAGAIN` is sent again part by part in single-key commands, in
 * the script's order: the reads first (the value, and the distinct visitors when none are added),
 * then the counter's `INCRBY` (its first write: a counter of the wrong type stops the part before
 * anything else is written), then the other updates, then the TTL of window keys it created.
 * The result is the script's flat reply for those parts, so the batch settles them as usual.
 */
import { BOARD, COUNT_UNIQUES, COUNTER, placesOf, UNIQUES, VALUE } from './batch.js';
import type { Executor, RedisCommand, Reply } from './client.js';
import type { CounterKeys } from './layout.js';

/** What one part of a batch script call asks for (see `BATCH_SCRIPT`). */
export interface PartWork {
  /** The user key: the value key, and the leaderboard member. */
  readonly key: string;
  readonly keys: CounterKeys;
  /** Sections of the batch script (1 value, 2 counter and windows, 4 HyperLogLog, 8 leaderboard, 16 distinct visitors). */
  readonly flags: number;
  /** Hits to add; 0 reads only. */
  readonly n: number;
  readonly visitors: readonly string[];
}

/** Where the tracker's leaderboard lives, if it has one. */
export interface Leaderboard {
  readonly key: string | undefined;
  readonly slot: number;
}

/** Visitors per PFADD, as in the script (Lua's unpack has a stack limit). */
const MAX_PFADD = 1000;

/** The replies of `commands`, or the first error among them. */
async function run(executor: Executor, commands: RedisCommand[]): Promise<unknown[] | Error> {
  if (commands.length === 0) return [];
  const replies: Reply[] = await executor.send(commands);
  const values: unknown[] = [];
  for (const [error, value] of replies) {
    if (error) return error;
    values.push(value);
  }
  return values;
}

/** A counter read without writing: 0 when missing, an error when it is not an integer. */
function counted(key: string, value: unknown): number | Error {
  if (value === null || value === undefined) return 0;
  const text = String(value);
  return /^-?\d+$/.test(text)
    ? Number(text)
    : new Error(`ERR hit counter ${key} does not hold an integer`);
}

async function sendPart(
  executor: Executor,
  part: PartWork,
  board: Leaderboard,
): Promise<unknown[]> {
  const { key, keys, flags, n, visitors } = part;
  const windows = keys.windows;
  const hll = flags & UNIQUES ? keys.companions?.uniques : undefined;
  const adding = n > 0 && visitors.length > 0;
  const countFirst = hll !== undefined && (flags & COUNT_UNIQUES) !== 0 && !adding;
  const failed = (error: Error) => failedPart(part, error);

  const reads: RedisCommand[] = [];
  if (flags & VALUE) reads.push({ name: 'get', args: [key], slot: keys.keySlot });
  if (flags & COUNTER && n === 0)
    for (const counter of [keys.counter, ...windows.map((window) => window.key)])
      reads.push({ name: 'get', args: [counter], slot: keys.counterSlot });
  if (countFirst) reads.push({ name: 'pfcount', args: [hll], slot: keys.counterSlot });
  const read = await run(executor, reads);
  if (read instanceof Error) return failed(read);
  const out: unknown[] = [];
  let at = 0;
  if (flags & VALUE) out.push(read[at++] ?? null);
  if (flags & COUNTER && n === 0)
    for (const counter of [keys.counter, ...windows.map((window) => window.key)]) {
      const count = counted(counter, read[at++]);
      if (count instanceof Error) return failed(count);
      out.push(count);
    }
  let seen = countFirst ? read[at++] : undefined;

  if (n > 0) {
    if (flags & COUNTER) {
      const total = await run(executor, [
        { name: 'incrby', args: [keys.counter, n], slot: keys.counterSlot },
      ]);
      if (total instanceof Error) return failed(total);
      out.push(total[0]);
    }
    const updates: RedisCommand[] = [];
    if (flags & COUNTER)
      for (const window of windows)
        updates.push({ name: 'incrby', args: [window.key, n], slot: keys.counterSlot });
    if (hll !== undefined && adding)
      for (let from = 0; from < visitors.length; from += MAX_PFADD)
        updates.push({
          name: 'pfadd',
          args: [hll, ...visitors.slice(from, from + MAX_PFADD)],
          slot: keys.counterSlot,
        });
    if (hll !== undefined && adding && flags & COUNT_UNIQUES)
      updates.push({ name: 'pfcount', args: [hll], slot: keys.counterSlot });
    if (flags & BOARD && board.key !== undefined)
      updates.push({ name: 'zincrby', args: [board.key, n, key], slot: board.slot });
    const updated = await run(executor, updates);
    if (updated instanceof Error) return failed(updated);
    const totals = flags & COUNTER ? updated.slice(0, windows.length) : [];
    out.push(...totals);
    if (hll !== undefined && adding && flags & COUNT_UNIQUES)
      seen = updated[totals.length + Math.ceil(visitors.length / MAX_PFADD)];
    // A window key created by this write gets its TTL, as in the script.
    const created = windows.filter((_, w) => totals[w] === n);
    const expired = await run(
      executor,
      created.map((window) => ({
        name: 'expire',
        args: [window.key, window.ttl],
        slot: keys.counterSlot,
      })),
    );
    if (expired instanceof Error) return failed(expired);
  }
  if (flags & COUNT_UNIQUES) out.push(seen ?? 0);
  return out.length === 0 ? [1] : out;
}

/** A failed part's places in the flat reply: its error, then `false`s. */
function failedPart(part: PartWork, error: Error): unknown[] {
  const places = placesOf(part.flags, part.keys.windows.length);
  return [error, ...Array.from({ length: places - 1 }, () => false)];
}

/** The flat reply `BATCH_SCRIPT` gives for `parts`, from single-key commands. Never rejects. */
export async function sendSingly(
  executor: Executor,
  parts: readonly PartWork[],
  board: Leaderboard,
): Promise<unknown[]> {
  const replies = await Promise.all(
    parts.map((part) =>
      sendPart(executor, part, board).catch((error: unknown) =>
        failedPart(part, error instanceof Error ? error : new Error(String(error))),
      ),
    ),
  );
  return replies.flat();
}

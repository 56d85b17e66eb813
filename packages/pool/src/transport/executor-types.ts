/** One command of a batch, with the hash slot of its keys (-1 when the target is not a Cluster). */
export interface TransportCommand {
  readonly name: string;
  readonly args: ReadonlyArray<string | number>;
  readonly slot: number;
  /**
   * The callers whose calls this command carries (a batch): it counts as that many toward the
   * shared client's `maxPendingCommands`. Default 1.
   */
  readonly callers?: number;
  /**
   * The sender can do this command's work as single-key commands instead: on a Cluster a
   * `TRYAGAIN` (several keys of a slot that is being migrated, some moved and some not) is
   * handed back at once instead of retried, since it lasts until the whole slot has moved.
   */
  readonly splittable?: boolean;
}

/** The outcome of one {@link TransportCommand}. */
export type Reply = readonly [error: Error | null, value: unknown];

/** Receives the replies of some of a batch's commands: `replies[j]` belongs to `commands[indexes[j]]`. */
export type Deliver = (indexes: readonly number[], replies: readonly Reply[]) => void;

/** Sends batches of commands: one write per node touched. */
export interface Executor {
  readonly isCluster: boolean;
  /** The `keyPrefix` the client adds to every key, or ''. */
  readonly keyPrefix: string;
  /** Send and resolve with every reply, in the order of `commands`. Never rejects. */
  send(commands: readonly TransportCommand[]): Promise<Reply[]>;
  /**
   * Send and hand each node's replies to `deliver` as soon as that node answered, so a slow or
   * dead node does not hold up the callers of the others. Every index is delivered exactly
   * once; resolves after the last delivery. Never rejects.
   */
  sendEach(commands: readonly TransportCommand[], deliver: Deliver): Promise<void>;
  /**
   * True when the client is connected (or lazy and not started yet, so a command starts it).
   * False while it reconnects: commands sent now would wait in ioredis's offline queue.
   */
  ready(): boolean;
  /**
   * The most commands (callers, for a batch) the client holds unanswered: a pool's
   * `maxPendingCommands`, or `Infinity` for an ioredis client of one's own. Read per call.
   */
  maxPendingCommands(): number;
}

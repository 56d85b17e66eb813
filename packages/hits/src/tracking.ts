import { createExecutor, observeBeside } from '@hitpool/pool/transport';
import type { Cluster, Redis } from 'ioredis';
import type { NearCache } from './cache.js';
import type { Deliver, Executor, RedisCommand, Reply } from './client.js';
import { TRACKED_READ_SCRIPT } from './script.js';
import { sendScripted } from './send.js';

/** Where Redis publishes invalidations for clients that redirect them (RESP2 pub/sub). */
const INVALIDATE_CHANNEL = '__redis__:invalidate';
/** Pauses before setting the connections up again after a loss, ms (the last one repeats). */
const RETRY_DELAYS_MS: readonly number[] = [50, 100, 200, 500, 1_000, 2_000];
/** What `CLIENT LIST` shows for the tracker's two connections. */
const CONNECTION_NAME = 'hitpool-hits-near-cache';

type State = 'connecting' | 'live' | 'down' | 'closed';

/** What the tracker reads cached values through: one server's link, or a Cluster's. */
export interface Tracking {
  /** Every connection it needs is set up. */
  readonly live: boolean;
  /** A read of `key` now may be kept. */
  liveFor(key: string): boolean;
  /**
   * Per key its value, the error Redis gave, or `undefined` for a key to read elsewhere (not
   * kept); rejects when nothing could be read.
   */
  read(keys: readonly string[]): Promise<Array<string | null | Error | undefined>>;
  /**
   * {@link read}, with `commands` sent behind the read in the same write on the same connection,
   * their replies handed to `deliver` (every index once, errors included): a turn that misses
   * costs one round trip. `undefined` when this tracking cannot (not live, or a Cluster): send
   * them elsewhere.
   */
  readAlong?(
    keys: readonly string[],
    commands: readonly RedisCommand[],
    deliver: Deliver,
  ): Promise<Array<string | null | Error>> | undefined;
  close(): Promise<void>;
}

/**
 * The tracker's own two connections for the near cache, duplicated from the client it was given
 * (same server, credentials, TLS, database and key prefix), never leased from a pool:
 *
 * - `data` reads values for the cache, with `CLIENT TRACKING on REDIRECT <subscriber>`: Redis
 *   tracks exactly the keys read there for the cache (only value keys). On one server it is
 *   `OPTIN` and each cache read is preceded by `CLIENT CACHING yes`, so a turn's counting can
 *   travel behind the read on the same connection without its counters being tracked
 *   ({@link readAlong}); on a Cluster node it reads nothing else;
 * - `subscriber` receives the invalidations on `__redis__:invalidate` (RESP2 pub/sub, since
 *   ioredis drops RESP3 invalidation pushes).
 *
 * The cache is only used while both are set up (`live`). When either closes (restart, failover,
 * network, `CLIENT KILL`) every copy is dropped, both connections are closed and set up again
 * after a pause, and until then the tracker reads values from Redis without keeping them.
 */
export class TrackingLink implements Tracking {
  #state: State = 'connecting';
  #data: Redis | undefined;
  /** Sends on {@link #data} in one write (one server only). */
  #executor: Executor | undefined;
  #subscriber: Redis | undefined;
  #retry: NodeJS.Timeout | undefined;
  #attempt = 0;
  readonly #prefix: string;

  /**
   * @param commandTimeoutMs most time a command on these connections waits for its reply: a
   * server that stops answering (frozen, or a network that drops packets without closing) fails
   * the turn's calls instead of holding them for ever.
   * @param slotted the source is a Cluster node: keys of different slots cannot share a
   * script call there, so each is read with its own `GET` (in one write).
   * @param observed the client the tracker was given (the Cluster of a node): when it is an
   * instrumented pool's shared client, the commands of the data connection (the cache's reads,
   * and on one server the counting of the turns that miss) are timed with its own.
   */
  constructor(
    private readonly source: Redis,
    private readonly cache: NearCache,
    private readonly commandTimeoutMs: number,
    private readonly slotted = false,
    private readonly observed: Redis | Cluster = source,
  ) {
    this.#prefix = source.options.keyPrefix ?? '';
    void this.#setUp();
  }

  /** Both connections are set up: reads may be kept. */
  get live(): boolean {
    return this.#state === 'live';
  }

  /** {@link live}, for any key (one server holds them all). */
  liveFor(_key: string): boolean {
    return this.#state === 'live';
  }

  /**
   * Reads `keys` on the tracking connection (so Redis tracks them): one script call, or on a
   * Cluster node one `GET` each in one write. Per key its value, or the error Redis gave
   * (`WRONGTYPE`). Only while {@link live}; rejects when the connection fails or Redis refuses the
   * read as a whole.
   */
  async read(keys: readonly string[]): Promise<Array<string | null | Error>> {
    if (!this.slotted) {
      const values = this.readAlong(keys, [], () => undefined);
      if (values === undefined) throw new Error('the near cache is not connected');
      return values;
    }
    const data = this.#data;
    if (this.#state !== 'live' || data === undefined)
      throw new Error('the near cache is not connected');
    const replies = await data.pipeline(keys.map((key) => ['get', key])).exec();
    if (replies === null) throw new Error('the near cache connection gave no replies');
    return replies.map(([error, value]) => {
      // Only Redis's own refusal (WRONGTYPE) belongs to the key; a connection that failed
      // under the read fails the whole read, which the tracker then makes through its client.
      if (error && error.name !== 'ReplyError') throw error;
      return error ?? (value as string | null);
    });
  }

  /**
   * One write on the tracking connection: `CLIENT CACHING yes`, the read of `keys` (tracked: it
   * follows the opt-in) and then `commands` (not tracked: the opt-in covers one command).
   */
  readAlong(
    keys: readonly string[],
    commands: readonly RedisCommand[],
    deliver: Deliver,
  ): Promise<Array<string | null | Error>> | undefined {
    // No executor on a Cluster node (see #setUp).
    const executor = this.#executor;
    if (this.#state !== 'live' || executor === undefined) return undefined;
    const sent: RedisCommand[] = [
      { name: 'client', args: ['CACHING', 'YES'], slot: -1 },
      // EVAL, not EVALSHA: a NOSCRIPT resend would no longer follow the opt-in.
      { name: 'eval', args: [TRACKED_READ_SCRIPT, keys.length, ...keys], slot: -1 },
      ...commands,
    ];
    let optIn: Reply | undefined;
    let read: Reply | undefined;
    return sendScripted(executor, sent, (indexes, replies) => {
      const along: number[] = [];
      const alongReplies: Reply[] = [];
      indexes.forEach((index, j) => {
        const reply = replies[j] as Reply;
        if (index === 0) optIn = reply;
        else if (index === 1) read = reply;
        else {
          along.push(index - 2);
          alongReplies.push(reply);
        }
      });
      if (along.length > 0) deliver(along, alongReplies);
    }).then(() => {
      // Kept only if Redis was asked to track it: a failed opt-in leaves the read untracked.
      const failure = optIn?.[0] ?? read?.[0];
      if (failure) throw failure;
      if (!Array.isArray(read?.[1])) throw new Error('the near cache read gave no reply');
      return read[1] as Array<string | null | Error>;
    });
  }

  /** Closes both connections and drops every copy; stops setting them up again. */
  async close(): Promise<void> {
    if (this.#state === 'closed') return;
    const wasLive = this.#state === 'live';
    this.#state = 'closed';
    clearTimeout(this.#retry);
    if (wasLive) this.cache.reset();
    await Promise.all([quit(this.#data), quit(this.#subscriber)]);
  }

  async #setUp(): Promise<void> {
    const options = {
      lazyConnect: true,
      // One loss ends both connections; #lost sets them up again, so ioredis must not.
      retryStrategy: () => null,
      autoResubscribe: false,
      enableOfflineQueue: false,
      enableAutoPipelining: false,
      protocol: 2 as const,
      connectionName: CONNECTION_NAME,
      commandTimeout: this.commandTimeoutMs,
    };
    const subscriber = this.source.duplicate(options);
    const data = this.source.duplicate(options);
    observeBeside(this.observed, data);
    this.#subscriber = subscriber;
    this.#data = data;
    this.#executor = this.slotted ? undefined : createExecutor(() => data);
    for (const connection of [subscriber, data]) {
      // Failures surface as `close`; an `error` without a listener would crash the process.
      connection.on('error', () => undefined);
      connection.once('close', () => this.#lost(subscriber));
    }
    subscriber.on('messageBuffer', (_channel: Buffer, payload: unknown) => this.#message(payload));
    try {
      await subscriber.connect();
      const id = await subscriber.client('ID');
      await subscriber.subscribe(INVALIDATE_CHANNEL);
      await data.connect();
      // Right after a failover a client can still be sent to the demoted master, now a replica
      // whose copies lag behind: keep nothing read there.
      const [role] = (await data.call('ROLE')) as [string];
      if (role !== 'master') throw new Error(`the near cache reached a ${role}, not the master`);
      const tracking = ['TRACKING', 'ON', 'REDIRECT', String(id)];
      await data.call('CLIENT', ...(this.slotted ? tracking : [...tracking, 'OPTIN']));
    } catch {
      this.#lost(subscriber);
      return;
    }
    if (this.#subscriber !== subscriber || this.#state !== 'connecting') return;
    this.#state = 'live';
    this.#attempt = 0;
  }

  /** An invalidation: the keys Redis reports changed, or none at all for `FLUSHALL`/`FLUSHDB`. */
  #message(payload: unknown): void {
    if (!Array.isArray(payload)) {
      if (this.#state === 'live') this.cache.reset();
      return;
    }
    const keys: string[] = [];
    for (const raw of payload) {
      const key = String(raw);
      if (key.startsWith(this.#prefix)) keys.push(key.slice(this.#prefix.length));
    }
    this.cache.invalidate(keys);
  }

  /** One of the connections set up with `subscriber` is gone (or never came up). */
  #lost(subscriber: Redis): void {
    if (this.#subscriber !== subscriber || this.#state === 'closed' || this.#state === 'down')
      return;
    if (this.#state === 'live') this.cache.reset();
    this.#state = 'down';
    this.#data?.disconnect();
    this.#subscriber?.disconnect();
    const delay = RETRY_DELAYS_MS[Math.min(this.#attempt, RETRY_DELAYS_MS.length - 1)] as number;
    this.#attempt++;
    this.#retry = setTimeout(() => {
      this.#state = 'connecting';
      void this.#setUp();
    }, delay);
    // Setting up again must not keep a process alive that has nothing else to do.
    this.#retry.unref();
  }
}

async function quit(connection: Redis | undefined): Promise<void> {
  if (connection === undefined || connection.status === 'end') return;
  try {
    await connection.quit();
  } catch {
    connection.disconnect();
  }
}

import type { Redis } from 'ioredis';
import type { NearCache } from './cache.js';
import { LuaScript, TRACKED_READ_SCRIPT } from './script.js';

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
  close(): Promise<void>;
}

/**
 * The tracker's own two connections for the near cache, duplicated from the client it was given
 * (same server, credentials, TLS, database and key prefix), never leased from a pool:
 *
 * - `data` reads values for the cache, with `CLIENT TRACKING on REDIRECT <subscriber>`: Redis
 *   tracks exactly the keys read there (only value keys; counters are written through the
 *   tracker's client, whose tracking stays off);
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
  #subscriber: Redis | undefined;
  #retry: NodeJS.Timeout | undefined;
  #attempt = 0;
  readonly #prefix: string;

  /**
   * @param slotted the source is a Cluster node: keys of different slots cannot share a
   * script call there, so each is read with its own `GET` (in one write).
   */
  constructor(
    private readonly source: Redis,
    private readonly cache: NearCache,
    private readonly slotted = false,
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
    const data = this.#data;
    if (this.#state !== 'live' || data === undefined)
      throw new Error('the near cache is not connected');
    if (!this.slotted) return (await readInOneCall(data, keys)) as Array<string | null | Error>;
    const replies = await data.pipeline(keys.map((key) => ['get', key])).exec();
    if (replies === null) throw new Error('the near cache connection gave no replies');
    return replies.map(([error, value]) => {
      // Only Redis's own refusal (WRONGTYPE) belongs to the key; a connection that failed
      // under the read fails the whole read, which the tracker then makes through its client.
      if (error && error.name !== 'ReplyError') throw error;
      return error ?? (value as string | null);
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
    };
    const subscriber = this.source.duplicate(options);
    const data = this.source.duplicate(options);
    this.#subscriber = subscriber;
    this.#data = data;
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
      await data.client('TRACKING', 'ON', 'REDIRECT', String(id));
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

const TRACKED_READ = new LuaScript(TRACKED_READ_SCRIPT);

/** {@link TRACKED_READ_SCRIPT} by its SHA1, loaded with EVAL when the server does not have it. */
async function readInOneCall(data: Redis, keys: readonly string[]): Promise<unknown[]> {
  try {
    return (await data.evalsha(TRACKED_READ.sha, keys.length, ...keys)) as unknown[];
  } catch (error) {
    if (!(error instanceof Error) || !error.message.startsWith('NOSCRIPT')) throw error;
    return (await data.eval(TRACKED_READ.source, keys.length, ...keys)) as unknown[];
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

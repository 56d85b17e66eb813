import { Cluster } from 'ioredis';
import { ConnectionState } from './bag.js';
import type { Breaker } from './breaker.js';
import { createSharedClient, reconnectDelay, type SharedClient } from './client.js';
import {
  closeConnection,
  openConnection,
  type PoolConnection,
  pendingReplies,
} from './connection.js';
import {
  isAuthFailure,
  PoolAuthError,
  PoolClosedError,
  PoolConfigError,
  type PoolError,
  PoolQueueFullError,
  PoolTimeoutError,
  PoolTlsError,
  tlsAdvice,
  tlsFailureReason,
} from './errors.js';
import { PoolEvents } from './events.js';
import { Health, isUnreachable, remoteOf } from './health.js';
import { Lane } from './lane.js';
import { Lease } from './lease.js';
import { type ResolvedPoolOptions, resolveOptions } from './options.js';
import { resetConnection } from './reset.js';
import { type StopWatching, watchSentinels } from './sentinel-watch.js';
import { probeClusterNode } from './transport/cluster-probe.js';
import type {
  AcquireOptions,
  CloseOptions,
  DestroyReason,
  PoolEvent,
  PooledConnection,
  PoolListener,
  PoolOptions,
  PoolStats,
  RedisConnection,
  RedisPool,
} from './types.js';
import { WaitTimes } from './wait-times.js';
import { Waiter } from './waiters.js';

let poolCounter = 0;

/** The pool. Use {@link createPool}; the class is internal. */
export class Pool implements RedisPool {
  readonly name: string;
  readonly #options: ResolvedPoolOptions;
  readonly #events: PoolEvents;
  /** Ordinary leases: `max` connections (`min` kept open). */
  readonly #ordinary: Lane;
  /** `acquire({ blocking: true })`: up to `maxBlocking` more, for commands that park. */
  readonly #blocking: Lane;
  readonly #lanes: readonly Lane[];
  /** A lease clock is on (leak detection or reclaim): keep each acquirer's stack. */
  readonly #clocked: boolean;
  readonly #waitTimes = new WaitTimes();
  /** Connection attempts under way, with when each started (`Date.now()`). */
  readonly #opening = new Map<Promise<unknown>, number>();
  /** Circuit breakers (`failFast`): one for the target, or one per Cluster node. */
  readonly #health: Health;
  #nextId = 1;
  #shared: SharedClient | undefined;
  #closed = false;
  #closing: Promise<void> | undefined;
  #onDrained: (() => void) | undefined;

  #sweepTimer: NodeJS.Timeout | undefined;
  #retryTimer: NodeJS.Timeout | undefined;
  #failures = 0;
  /** Bumped on a Sentinel failover; connections from older generations are not lent again. */
  #generation = 0;
  #stopWatching: StopWatching | undefined;
  #lastError: Error | undefined;

  #created = 0;
  #destroyed = 0;
  #acquired = 0;
  #released = 0;
  #timeouts = 0;
  #rejected = 0;
  #leaks = 0;
  #reclaimed = 0;
  #resets = 0;
  #connectErrors = 0;

  constructor(options: PoolOptions = {}, name?: string) {
    this.#options = resolveOptions(options);
    this.name = name ?? `pool-${++poolCounter}`;
    this.#events = new PoolEvents(this.name, this.#options.secrets);
    const onExpired = (lane: Lane, waiter: Waiter<PooledConnection>, now: number) =>
      this.#expire(lane, waiter, now);
    this.#ordinary = new Lane(false, this.#options.min, this.#options.max, onExpired);
    this.#blocking = new Lane(true, 0, this.#options.maxBlocking, onExpired);
    this.#lanes = [this.#ordinary, this.#blocking];
    this.#clocked = this.#options.leakDetectionMs > 0 || this.#options.leakReclaimMs > 0;
    this.#health = this.#createHealth();
    if (this.#options.min > 0) queueMicrotask(() => this.#grow());
  }

  get client(): RedisConnection {
    if (this.#shared === undefined) {
      if (this.#closed) throw new PoolClosedError(this.#closedMessage());
      this.#shared = createSharedClient(
        this.#options,
        (error) => this.#events.error(error),
        this.#health,
        (error) => this.#fatal(error),
      );
    }
    return this.#shared.client;
  }

  acquire(options?: AcquireOptions): Promise<PooledConnection> {
    if (this.#closed) {
      this.#rejected++;
      return Promise.reject(new PoolClosedError(this.#closedMessage()));
    }
    // Fail fast while Redis is known to be down. On a Cluster leases span every node: one node
    // down refuses only the `client` calls of its slots, every node down refuses leases too.
    const refusing = this.#health.refusingLeases();
    if (refusing !== undefined) {
      this.#rejected++;
      return Promise.reject(refusing.unavailable());
    }
    const signal = options?.signal;
    if (signal?.aborted) return Promise.reject(signal.reason);
    const timeoutMs = options?.timeoutMs;
    if (timeoutMs !== undefined && !(Number.isFinite(timeoutMs) && timeoutMs > 0)) {
      return Promise.reject(
        new PoolConfigError(
          'timeoutMs',
          `got ${timeoutMs}; must be a positive finite number of ms`,
        ),
      );
    }
    const commandTimeoutMs = options?.commandTimeoutMs ?? this.#options.commandTimeoutMs;
    if (
      commandTimeoutMs !== this.#options.commandTimeoutMs &&
      !(Number.isFinite(commandTimeoutMs) && commandTimeoutMs >= 0)
    ) {
      return Promise.reject(
        new PoolConfigError(
          'commandTimeoutMs',
          `got ${commandTimeoutMs}; must be a non-negative finite number of ms (0 = no limit)`,
        ),
      );
    }
    const stack = this.#clocked ? captureStack() : undefined;
    const lane = options?.blocking === true ? this.#blocking : this.#ordinary;
    const connection = this.#takeIdle(lane);
    if (connection !== undefined && !this.#needsValidation(connection)) {
      return Promise.resolve(this.#lease(connection, 0, stack, commandTimeoutMs));
    }
    if (connection === undefined && lane.waiters.size >= this.#options.maxWaiting) {
      this.#rejected++;
      const which = lane.blocking ? 'blocking acquires' : 'acquires';
      return Promise.reject(
        new PoolQueueFullError(
          `${this.#options.maxWaiting} ${which} are already waiting (maxWaiting); shed load or raise maxWaiting. ${this.#describe(lane)}`,
        ),
      );
    }
    return new Promise<PooledConnection>((resolve, reject) => {
      const start = Date.now();
      const waiter = new Waiter<PooledConnection>(
        start,
        start + (timeoutMs ?? this.#options.acquireTimeoutMs),
        stack,
        commandTimeoutMs,
        signal,
        resolve,
        reject,
      );
      if (connection !== undefined) {
        this.#validate(connection, waiter);
        return;
      }
      lane.waiters.push(waiter);
      // Only this lane can need a new connection now.
      if (this.#retryTimer === undefined) this.#growLane(lane);
    });
  }

  async use<T>(
    fn: (redis: RedisConnection) => T | Promise<T>,
    options?: AcquireOptions,
  ): Promise<T> {
    const lease = await this.acquire(options);
    try {
      return await fn(lease.redis);
    } finally {
      lease.release();
    }
  }

  stats(): PoolStats {
    const nodes = this.#health.nodes();
    const ordinary = this.#ordinary;
    const blocking = this.#blocking;
    return {
      size: ordinary.bag.size,
      idle: ordinary.bag.idle,
      borrowed: ordinary.bag.borrowed,
      pending: ordinary.waiters.size,
      min: this.#options.min,
      max: this.#options.max,
      blocking: {
        size: blocking.bag.size,
        idle: blocking.bag.idle,
        borrowed: blocking.bag.borrowed,
        pending: blocking.waiters.size,
        max: blocking.max,
      },
      created: this.#created,
      destroyed: this.#destroyed,
      acquired: this.#acquired,
      released: this.#released,
      timeouts: this.#timeouts,
      rejected: this.#rejected,
      leaks: this.#leaks,
      reclaimed: this.#reclaimed,
      resets: this.#resets,
      connectErrors: this.#connectErrors,
      waitMs: this.#waitTimes.summary(),
      lastError: this.#lastError === undefined ? undefined : this.#events.message(this.#lastError),
      closed: this.#closed,
      health: this.#health.state,
      ...(nodes === undefined ? {} : { nodes }),
      unavailable: this.#health.refused,
    };
  }

  on<E extends PoolEvent>(event: E, listener: PoolListener<E>): this {
    this.#events.on(event, listener);
    return this;
  }

  off<E extends PoolEvent>(event: E, listener: PoolListener<E>): this {
    this.#events.off(event, listener);
    return this;
  }

  once<E extends PoolEvent>(event: E, listener: PoolListener<E>): this {
    this.#events.once(event, listener);
    return this;
  }

  close(options?: CloseOptions): Promise<void> {
    this.#closing ??= this.#shutdown(options?.timeoutMs ?? 5_000);
    return this.#closing;
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  // ---- lending -------------------------------------------------------------------------

  /** Called by a lease on `release()`. */
  releaseLease(lease: Lease, connection: PoolConnection): void {
    this.#released++;
    connection.lease = undefined;
    if (connection.onUnblocked !== undefined) connection.onUnblocked = undefined;
    // The pool's own commands (RESET, validation PING) always get the pool's deadline.
    connection.commandTimeoutMs = this.#options.commandTimeoutMs;
    const heldMs = lease.stopClock();
    if (this.#events.wants('release')) {
      this.#events.emit('release', {
        pool: this.name,
        connectionId: connection.id,
        heldMs,
        dirty: connection.session.dirty,
      });
    }
    if (connection.broken) {
      this.#destroy(connection, 'broken');
    } else if (connection.session.dirty || pendingReplies(connection) > 0) {
      this.#clean(connection);
    } else {
      this.#checkIn(connection);
    }
  }

  /** Called by a lease on `destroy()`. */
  destroyLease(lease: Lease, connection: PoolConnection): Promise<void> {
    this.#released++;
    connection.lease = undefined;
    connection.onUnblocked = undefined;
    lease.stopClock();
    return this.#destroy(connection, 'destroyed');
  }

  /** Called by a lease whose holder kept it past `leakDetectionMs`. */
  reportLeak(connection: PoolConnection, heldMs: number, stack: string): void {
    this.#leaks++;
    this.#events.emit('leak', { pool: this.name, connectionId: connection.id, heldMs, stack });
  }

  /**
   * Called by a lease held past `leakReclaimMs`: its connection is closed (later commands on it
   * reject with `PoolLeaseReclaimedError`) and its slot goes to the next waiter.
   */
  reclaimLease(connection: PoolConnection, heldMs: number, stack: string): void {
    this.#released++;
    this.#reclaimed++;
    connection.lease = undefined;
    connection.onUnblocked = undefined;
    connection.reclaimed = { heldMs, leakReclaimMs: this.#options.leakReclaimMs };
    this.#events.emit('reclaim', { pool: this.name, connectionId: connection.id, heldMs, stack });
    this.#destroy(connection, 'reclaimed');
  }

  /** A lease on `connection`, which the bag already lent. */
  #lease(
    connection: PoolConnection,
    waitMs: number,
    stack: string | undefined,
    commandTimeoutMs: number,
  ): Lease {
    connection.commandTimeoutMs = commandTimeoutMs;
    this.#acquired++;
    this.#waitTimes.record(waitMs);
    const lease = new Lease(
      this,
      connection,
      this.#clocked ? this.#options : undefined,
      stack,
      this.#events.wants('release'),
    );
    connection.lease = lease;
    if (this.#events.wants('acquire')) {
      this.#events.emit('acquire', { pool: this.name, connectionId: connection.id, waitMs });
    }
    return lease;
  }

  /** The lane `connection` belongs to. */
  #laneOf(connection: PoolConnection): Lane {
    return connection.blocking ? this.#blocking : this.#ordinary;
  }

  /** The lane's most recently parked healthy idle connection, now lent; undefined if none. */
  #takeIdle(lane: Lane): PoolConnection | undefined {
    let connection = lane.bag.borrow();
    // A socket can close between the 'close' event and our bookkeeping; ask ioredis too.
    while (connection !== undefined && (connection.broken || connection.redis.status !== 'ready')) {
      this.#destroy(connection, 'broken');
      connection = lane.bag.borrow();
    }
    return connection;
  }

  #needsValidation(connection: PoolConnection): boolean {
    const after = this.#options.validateAfterIdleMs;
    return after === 0 || Date.now() - connection.idleSince > after;
  }

  /** PING an idle connection before lending it; on failure, replace it and keep waiting. */
  #validate(connection: PoolConnection, waiter: Waiter<PooledConnection>): void {
    this.#laneOf(connection).bag.validate(connection);
    let timer: NodeJS.Timeout | undefined;
    const ping = Promise.race([
      connection.redis.ping(),
      new Promise<never>((_, reject) => {
        timer = setTimeout(
          () => reject(new Error('PING timed out')),
          this.#options.connectTimeoutMs,
        );
      }),
    ]);
    ping.then(
      () => {
        clearTimeout(timer);
        if (connection.broken) return this.#replaceFor(connection, waiter);
        if (waiter.settled) return this.#checkIn(connection);
        this.#serve(this.#laneOf(connection), waiter, connection);
      },
      () => {
        clearTimeout(timer);
        this.#replaceFor(connection, waiter);
      },
    );
  }

  #replaceFor(connection: PoolConnection, waiter: Waiter<PooledConnection>): void {
    this.#destroy(connection, 'validation');
    if (waiter.settled) return;
    if (this.#closed) {
      waiter.fail(new PoolClosedError(this.#closedMessage()));
      return;
    }
    this.#laneOf(connection).waiters.push(waiter);
    this.#grow();
  }

  /** Lend `connection`, of `lane`, to an unsettled waiter. */
  #serve(
    lane: Lane,
    waiter: Waiter<PooledConnection>,
    connection: PoolConnection,
    now = Date.now(),
  ): void {
    lane.bag.lend(connection);
    waiter.fulfil(
      this.#lease(connection, now - waiter.start, waiter.stack, waiter.commandTimeoutMs),
    );
  }

  /** A clean connection is back: retire it, hand it to the oldest waiter, or park it. */
  #checkIn(connection: PoolConnection): void {
    if (this.#closed) {
      this.#destroy(connection, 'closed');
      return;
    }
    const now = Date.now();
    if (now >= connection.retireAt) {
      this.#destroy(connection, 'lifetime');
      return;
    }
    if (connection.generation !== this.#generation) {
      this.#destroy(connection, 'failover');
      return;
    }
    const lane = this.#laneOf(connection);
    const waiter = lane.waiters.shift();
    if (waiter !== undefined) {
      // Straight from one borrower to the next: it was just in use, no PING needed.
      this.#serve(lane, waiter, connection, now);
      return;
    }
    lane.bag.requite(connection, now);
    if (this.#sweepTimer === undefined) this.#armSweep();
  }

  /** A dirty lease came back: RESET it off the hot path, or destroy it. */
  #clean(connection: PoolConnection): void {
    this.#resets++;
    this.#laneOf(connection).bag.clean(connection);
    resetConnection(connection, this.#options.redis).then((ok) => {
      if (ok && !connection.broken) this.#checkIn(connection);
      else this.#destroy(connection, 'dirty');
    });
  }

  // ---- growing and shrinking -------------------------------------------------------------

  /**
   * Open connections for each lane's waiters (and up to `min`), within the lane's bound, unless
   * backing off. After a failed connect only one attempt at a time probes the server (a
   * refused connect is no reason to open `max` sockets at once); the first success lifts that.
   */
  #grow(): void {
    if (this.#closed || this.#retryTimer !== undefined) return;
    if (this.#growLane(this.#ordinary)) this.#growLane(this.#blocking);
  }

  /**
   * Open what `lane` needs; false when backing off (one probe at a time after a failure).
   * Called on every acquire that waits: a lane at its bound costs one compare.
   */
  #growLane(lane: Lane): boolean {
    // While Redis is down the breaker's probe is the one attempt at a time.
    if (this.#health.breaker?.open === true) return false;
    const { bag, waiters } = lane;
    while (bag.size < lane.max) {
      if (this.#failures > 0 && this.#opening.size > 0) return false;
      const wanted = waiters.size > bag.opening + bag.cleaning || bag.size < lane.min;
      if (!wanted) return true;
      this.#open(lane);
    }
    return true;
  }

  #open(lane: Lane): void {
    lane.bag.reserve();
    const id = this.#nextId++;
    const started = performance.now();
    const startedAt = Date.now();
    if (this.#options.redis.sentinels && this.#stopWatching === undefined) {
      this.#stopWatching = watchSentinels(this.#options.redis, () => this.#onFailover());
    }
    const opening = openConnection(
      this.#options,
      id,
      this.#generation,
      lane.blocking,
      (connection, error) => this.#onLost(connection, error),
    ).then(
      (connection) => {
        this.#opening.delete(opening);
        this.#failures = 0;
        this.#lastError = undefined;
        this.#health.breaker?.success(remoteOf(connection.redis));
        lane.bag.add(connection);
        this.#created++;
        const durationMs = performance.now() - started;
        this.#events.emit('create', { pool: this.name, connectionId: id, durationMs });
        this.#checkIn(connection);
        this.#resolveDrain();
        // A probe after failures opened only this one: open the rest the waiters need now.
        this.#grow();
      },
      (error: Error) => {
        lane.bag.cancel();
        this.#opening.delete(opening);
        this.#connectErrors++;
        this.#failures++;
        this.#lastError = error;
        this.#events.error(error);
        if (this.#closed) return this.#resolveDrain();
        if (isUnreachable(error)) this.#health.breaker?.failure(error, startedAt);
        const fatal = this.#fatal(error);
        if (fatal !== undefined) {
          // Retrying wrong credentials or a bad certificate only hammers the server: fail
          // every waiter now; the next acquire tries again.
          for (const each of this.#lanes) each.waiters.failAll(fatal);
          return;
        }
        // One backoff timer for the pool: attempts that fail together (or a timer that replaced
        // another) must not each schedule a retry, or the backoff turns into a connect storm.
        if (this.#retryTimer !== undefined) return;
        this.#retryTimer = setTimeout(() => {
          this.#retryTimer = undefined;
          this.#grow();
        }, reconnectDelay(this.#failures));
        // Waiters keep the process alive through their own deadline timer; a `min` refill must not.
        this.#retryTimer.unref();
      },
    );
    this.#opening.set(opening, Date.now());
  }

  /** The error for a connect failure that retrying cannot fix; undefined for the others. */
  #fatal(error: Error): PoolError | undefined {
    if (isAuthFailure(error)) {
      return new PoolAuthError(
        `Redis refused the credentials for ${this.#options.target}: ${this.#events.message(error)}. Check the user/password in the URL or redis options.`,
        { cause: error },
      );
    }
    const reason = tlsFailureReason(error);
    if (reason !== undefined) {
      return new PoolTlsError(
        reason,
        `TLS certificate verification failed for ${this.#options.target}: ${reason} (${this.#events.message(error).replace(/\.+$/, '')}). To fix it, ${tlsAdvice(reason)}.`,
        { cause: error },
      );
    }
    return undefined;
  }

  /** The master moved: drop idle connections now, borrowed ones when they come back. */
  #onFailover(): void {
    this.#generation++;
    for (const lane of this.#lanes) {
      for (const connection of [...lane.bag.idleConnections]) this.#destroy(connection, 'failover');
    }
  }

  #onLost(connection: PoolConnection, error: Error | undefined): void {
    if (error !== undefined) {
      this.#lastError = error;
      this.#events.error(error);
    }
    // Lent, validating or cleaning: whoever holds it sees `broken` when it comes back.
    if (connection.state === ConnectionState.Idle) this.#destroy(connection, 'broken');
  }

  #destroy(connection: PoolConnection, reason: DestroyReason): Promise<void> {
    if (!this.#laneOf(connection).bag.remove(connection)) return Promise.resolve();
    this.#destroyed++;
    this.#events.emit('destroy', { pool: this.name, connectionId: connection.id, reason });
    const closed = closeConnection(connection);
    this.#resolveDrain();
    this.#grow();
    return closed;
  }

  /** One timer for every idle connection of both lanes: idle timeout above `min`, and lifetime. */
  #armSweep(): void {
    const { idleTimeoutMs } = this.#options;
    let next = Number.POSITIVE_INFINITY;
    for (const { bag, min } of this.#lanes) {
      const idle = bag.idleConnections;
      const oldest = idle[0];
      if (idleTimeoutMs > 0 && oldest !== undefined && bag.open > min) {
        next = Math.min(next, oldest.idleSince + idleTimeoutMs);
      }
      for (const connection of idle) next = Math.min(next, connection.retireAt);
    }
    if (next === Number.POSITIVE_INFINITY) return;
    this.#sweepTimer = setTimeout(() => this.#sweep(), Math.max(0, next - Date.now()) + 1);
    // Idle sockets already keep a process alive as long as the pool is open; this timer need not.
    this.#sweepTimer.unref();
  }

  #sweep(): void {
    this.#sweepTimer = undefined;
    const now = Date.now();
    const { idleTimeoutMs } = this.#options;
    for (const { bag, min } of this.#lanes) {
      const idle = bag.idleConnections;
      for (const connection of [...idle].reverse()) {
        if (now >= connection.retireAt) this.#destroy(connection, 'lifetime');
      }
      while (idleTimeoutMs > 0 && bag.open > min) {
        const oldest = idle[0];
        if (oldest === undefined || now - oldest.idleSince < idleTimeoutMs) break;
        this.#destroy(oldest, 'idle');
      }
    }
    this.#armSweep();
  }

  // ---- waiting -----------------------------------------------------------------------------

  /** A lane's one deadline timer found `waiter` past its deadline. */
  #expire(lane: Lane, waiter: Waiter<PooledConnection>, now: number): void {
    // Out of the queue first, so the message's stats no longer count it as pending.
    lane.waiters.remove(waiter);
    const waitedMs = now - waiter.start;
    const last = this.#lastError
      ? `; last connection error: ${this.#events.message(this.#lastError).replace(/\.+$/, '')}`
      : '';
    const error = new PoolTimeoutError(
      `No Redis connection within ${waiter.deadline - waiter.start} ms (acquireTimeoutMs)${last}. ${this.#describe(lane)}`,
      this.#lastError === undefined ? undefined : { cause: this.#lastError },
    );
    this.#timeouts++;
    this.#events.emit('timeout', { pool: this.name, waitedMs, error });
    waiter.fail(error);
  }

  // ---- health (failFast) -------------------------------------------------------------------

  #createHealth(): Health {
    const options = this.#options;
    return new Health(
      {
        failFast: options.failFast,
        maxPendingCommands: options.maxPendingCommands,
        target: options.target,
        redact: (error) => this.#events.redact(error),
        changed: (breaker, health) => this.#healthChanged(breaker, health),
        connectTimeoutMs: options.connectTimeoutMs,
        probe: (timeoutMs) => this.#probe(timeoutMs),
        sentinel: options.redis.sentinels !== undefined,
        laneAttemptAge: () => {
          let oldest = -1;
          const now = Date.now();
          for (const startedAt of this.#opening.values())
            oldest = Math.max(oldest, now - startedAt);
          return oldest;
        },
        probeNode: (address, timeoutMs) => this.#probeNode(address, timeoutMs),
      },
      options.cluster !== undefined,
    );
  }

  #healthChanged(breaker: Breaker, health: 'up' | 'down'): void {
    if (health === 'down') {
      if (breaker.open && this.#health.refusingLeases() !== undefined) {
        // Waiting acquires would only time out: they fail now, like the calls after them.
        for (const lane of this.#lanes) lane.waiters.failAll(breaker.unavailable());
      }
      const error = breaker.lastError;
      this.#events.emit('down', {
        pool: this.name,
        node: breaker.node,
        error: error === undefined ? undefined : this.#events.redact(error),
        retryInMs: breaker.open ? Math.max(0, breaker.nextProbeAt - Date.now()) : 0,
      });
      return;
    }
    this.#events.emit('up', {
      pool: this.name,
      node: breaker.node,
      downMs: Date.now() - breaker.downSince,
    });
    // Serve again at once: the shared client reconnects, the lanes refill their waiters and `min`.
    this.#shared?.resume();
    this.#grow();
  }

  /** One attempt to reach the target while it is down: a connection of its own, then closed. */
  async #probe(timeoutMs: number): Promise<string | undefined> {
    if (this.#closed) throw new PoolClosedError(this.#closedMessage());
    const options = this.#options;
    const connection = await openConnection(
      {
        ...options,
        connectTimeoutMs: timeoutMs,
        redis: { ...options.redis, connectTimeout: timeoutMs },
      },
      0,
      this.#generation,
      false,
      () => {},
    ).catch((error: Error) => {
      this.#lastError = error;
      this.#events.error(error);
      throw error;
    });
    const reached = remoteOf(connection.redis);
    await closeConnection(connection);
    return reached;
  }

  async #probeNode(address: string, timeoutMs: number): Promise<void> {
    const cluster = this.#shared?.client;
    if (this.#closed || cluster === undefined || !(cluster instanceof Cluster)) return;
    const {
      host: _h,
      port: _p,
      db: _db,
      sentinels: _s,
      name: _n,
      ...perNode
    } = this.#options.redis;
    const found = await probeClusterNode(
      cluster,
      address,
      { ...perNode, ...this.#options.cluster?.options?.redisOptions },
      timeoutMs,
    );
    // A node that serves no slot any more (its replica took over) is no longer a concern.
    if (found === 'left') queueMicrotask(() => this.#health.forget(address));
  }

  // ---- closing -----------------------------------------------------------------------------

  async #shutdown(timeoutMs: number): Promise<void> {
    this.#closed = true;
    const closedError = new PoolClosedError(this.#closedMessage());
    for (const lane of this.#lanes) lane.waiters.failAll(closedError);
    clearTimeout(this.#retryTimer);
    this.#retryTimer = undefined;
    clearTimeout(this.#sweepTimer);
    this.#sweepTimer = undefined;

    const closing: Promise<void>[] = [];
    for (const { bag } of this.#lanes) {
      for (const connection of [...bag.idleConnections]) {
        closing.push(this.#destroy(connection, 'closed'));
      }
    }
    if (!this.#drained()) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, timeoutMs);
        this.#onDrained = () => {
          clearTimeout(timer);
          resolve();
        };
        this.#resolveDrain();
      });
      this.#onDrained = undefined;
    }
    // Whatever is still out after the grace period is closed under its borrower.
    for (const { bag } of this.#lanes) {
      for (const connection of bag.liveConnections()) {
        connection.lease?.stopClock();
        closing.push(this.#destroy(connection, 'closed'));
      }
    }
    this.#health.close();
    await Promise.allSettled(this.#opening.keys());
    if (this.#shared !== undefined) closing.push(this.#shared.close(timeoutMs));
    if (this.#stopWatching !== undefined) closing.push(this.#stopWatching());
    await Promise.all(closing);
  }

  /** No lease out and no connection being opened, in either lane. */
  #drained(): boolean {
    const { bag: ordinary } = this.#ordinary;
    const { bag: blocking } = this.#blocking;
    return (
      ordinary.borrowed === 0 &&
      ordinary.opening === 0 &&
      blocking.borrowed === 0 &&
      blocking.opening === 0
    );
  }

  #resolveDrain(): void {
    if (this.#onDrained !== undefined && this.#drained()) this.#onDrained();
  }

  // ---- reporting ---------------------------------------------------------------------------

  /** The pool's state for error messages, from the point of view of `lane`. */
  #describe(lane: Lane = this.#ordinary): string {
    const s = this.stats();
    const counts = lane.blocking
      ? `blocking lane: size=${s.blocking.size} idle=${s.blocking.idle} borrowed=${s.blocking.borrowed} pending=${s.blocking.pending} maxBlocking=${s.blocking.max}`
      : `size=${s.size} idle=${s.idle} borrowed=${s.borrowed} pending=${s.pending} max=${s.max}`;
    return `Pool "${this.name}" (${this.#options.target}): ${counts} timeouts=${s.timeouts} connectErrors=${s.connectErrors}.`;
  }

  #closedMessage(): string {
    return `Pool "${this.name}" is closed; create a new pool (or use getPool()) instead of reusing a closed one.`;
  }
}

function captureStack(): string {
  const holder: { stack?: string } = {};
  Error.captureStackTrace(holder, captureStack);
  return (holder.stack ?? '').replace(/^Error\n/, 'Acquired at:\n');
}

/**
 * Create a pool. Nothing connects until the first `acquire`/`use` or `client` command
 * (unless `min > 0`). Throws `PoolConfigError` for bad options.
 */
export function createPool(options?: PoolOptions): RedisPool {
  return new Pool(options);
}

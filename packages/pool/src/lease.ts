import type { PoolConnection } from './connection.js';
import { PoolLeaseReleasedError } from './errors.js';
import type { PooledConnection, RedisConnection } from './types.js';

/** What a lease needs from its pool. */
export interface LeaseOwner {
  releaseLease(lease: Lease, connection: PoolConnection): void;
  destroyLease(lease: Lease, connection: PoolConnection): Promise<void>;
  reportLeak(connection: PoolConnection, heldMs: number, stack: string): void;
  reclaimLease(connection: PoolConnection, heldMs: number, stack: string): void;
}

/** The lease clocks a pool runs (ms, 0 = off). */
export interface LeaseClocks {
  readonly leakDetectionMs: number;
  readonly leakReclaimMs: number;
}

/** A lease's timers, only when a clock is on (most leases carry none). */
interface Clock {
  leakTimer: NodeJS.Timeout | undefined;
  reclaimTimer: NodeJS.Timeout | undefined;
  /** The connection the pool took back from this lease; its commands reject. */
  reclaimed: RedisConnection | undefined;
}

/** One borrowing of one connection. Dead after `release()`/`destroy()`, or once reclaimed. */
export class Lease implements PooledConnection {
  #owner: LeaseOwner;
  #connection: PoolConnection | undefined;
  #since = 0;
  #clock: Clock | undefined;

  /** `clocks` only when one is on: a lease without them does no timer work at all. */
  constructor(
    owner: LeaseOwner,
    connection: PoolConnection,
    clocks: LeaseClocks | undefined,
    stack: string | undefined,
    timed: boolean,
  ) {
    this.#owner = owner;
    this.#connection = connection;
    if (clocks === undefined) {
      if (timed) this.#since = Date.now();
      return;
    }
    this.#since = Date.now();
    const clock: Clock = { leakTimer: undefined, reclaimTimer: undefined, reclaimed: undefined };
    this.#clock = clock;
    const { leakDetectionMs, leakReclaimMs } = clocks;
    if (leakDetectionMs > 0) {
      clock.leakTimer = setTimeout(() => {
        clock.leakTimer = undefined;
        if (this.#connection === connection) {
          owner.reportLeak(connection, Date.now() - this.#since, stack ?? '(no stack)');
        }
      }, leakDetectionMs);
      // Reporting a leak is no reason to keep a process alive.
      clock.leakTimer.unref();
    }
    if (leakReclaimMs > 0) {
      clock.reclaimTimer = setTimeout(() => this.#reclaimDue(connection, stack), leakReclaimMs);
      // Neither is taking a connection back: the borrower's socket keeps the process alive anyway.
      clock.reclaimTimer.unref();
    }
  }

  get redis(): RedisConnection {
    const connection = this.#connection;
    if (connection !== undefined) return connection.redis;
    // Reclaimed: hand out the closed connection, whose commands reject with the reason.
    const reclaimed = this.#clock?.reclaimed;
    if (reclaimed !== undefined) return reclaimed;
    throw new PoolLeaseReleasedError();
  }

  release(): void {
    const connection = this.#connection;
    if (connection === undefined) return;
    this.#connection = undefined;
    this.#owner.releaseLease(this, connection);
  }

  destroy(): Promise<void> {
    const connection = this.#connection;
    if (connection === undefined) return Promise.resolve();
    this.#connection = undefined;
    return this.#owner.destroyLease(this, connection);
  }

  /** Stop the lease clocks; returns how long the lease was held (ms, 0 if not measured). */
  stopClock(): number {
    const clock = this.#clock;
    if (clock !== undefined) {
      clearTimeout(clock.leakTimer);
      clearTimeout(clock.reclaimTimer);
      clock.leakTimer = undefined;
      clock.reclaimTimer = undefined;
    }
    return this.#since === 0 ? 0 : Date.now() - this.#since;
  }

  [Symbol.asyncDispose](): Promise<void> {
    this.release();
    return Promise.resolve();
  }

  /** Held for `leakReclaimMs`: take the connection back, unless it is parked in `BLPOP … 0`. */
  #reclaimDue(connection: PoolConnection, stack: string | undefined): void {
    const clock = this.#clock;
    if (this.#connection !== connection || clock === undefined) return;
    if (connection.blockedForever > 0) {
      // Waiting for data is not a leak: the clock starts again when that command returns.
      connection.onUnblocked = () => {
        connection.onUnblocked = undefined;
        if (this.#connection === connection) clock.reclaimTimer?.refresh();
      };
      return;
    }
    this.#connection = undefined;
    clock.reclaimed = connection.redis;
    const heldMs = this.stopClock();
    this.#owner.reclaimLease(connection, heldMs, stack ?? '(no stack)');
  }
}

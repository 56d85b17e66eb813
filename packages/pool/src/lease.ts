import type { PoolConnection } from './connection.js';
import { PoolLeaseReleasedError } from './errors.js';
import type { PooledConnection, RedisConnection } from './types.js';

/** What a lease needs from its pool. */
export interface LeaseOwner {
  releaseLease(lease: Lease, connection: PoolConnection): void;
  destroyLease(lease: Lease, connection: PoolConnection): Promise<void>;
  reportLeak(connection: PoolConnection, heldMs: number, stack: string): void;
}

/** One borrowing of one connection. Dead after `release()`/`destroy()`. */
export class Lease implements PooledConnection {
  #owner: LeaseOwner;
  #connection: PoolConnection | undefined;
  #since = 0;
  #leakTimer: NodeJS.Timeout | undefined;

  constructor(
    owner: LeaseOwner,
    connection: PoolConnection,
    leakDetectionMs: number,
    stack: string | undefined,
    timed: boolean,
  ) {
    this.#owner = owner;
    this.#connection = connection;
    if (timed || leakDetectionMs > 0) this.#since = Date.now();
    if (leakDetectionMs > 0) {
      this.#leakTimer = setTimeout(() => {
        this.#leakTimer = undefined;
        if (this.#connection === connection) {
          owner.reportLeak(connection, Date.now() - this.#since, stack ?? '(no stack)');
        }
      }, leakDetectionMs);
      // Reporting a leak is no reason to keep a process alive.
      this.#leakTimer.unref();
    }
  }

  get redis(): RedisConnection {
    const connection = this.#connection;
    if (connection === undefined) throw new PoolLeaseReleasedError();
    return connection.redis;
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

  /** Stop the leak clock; returns how long the lease was held (ms, 0 if not measured). */
  stopClock(): number {
    if (this.#leakTimer !== undefined) {
      clearTimeout(this.#leakTimer);
      this.#leakTimer = undefined;
    }
    return this.#since === 0 ? 0 : Date.now() - this.#since;
  }

  [Symbol.asyncDispose](): Promise<void> {
    this.release();
    return Promise.resolve();
  }
}

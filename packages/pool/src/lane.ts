import { ConnectionBag } from './bag.js';
import type { PooledConnection } from './types.js';
import { type Waiter, WaiterQueue } from './waiters.js';

/**
 * A set of connections with its own bound and its own waiters. A pool has two: the ordinary
 * lane (`max`, `min`) and the blocking lane (`maxBlocking`), so consumers parked in
 * `BLPOP … 0` never take the connections that transactions and short leases need.
 */
export class Lane {
  /** Its connections and their states. */
  readonly bag: ConnectionBag = new ConnectionBag();
  /** Acquires waiting for one of its connections, first come, first served. */
  readonly waiters: WaiterQueue<PooledConnection>;

  constructor(
    /** True for the blocking lane. */
    readonly blocking: boolean,
    /** Connections kept open while idle. */
    readonly min: number,
    /** Most connections open or opening at once. */
    readonly max: number,
    onExpired: (lane: Lane, waiter: Waiter<PooledConnection>, now: number) => void,
  ) {
    this.waiters = new WaiterQueue((waiter, now) => onExpired(this, waiter, now));
  }
}

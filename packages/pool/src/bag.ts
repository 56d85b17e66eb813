import type { PoolConnection } from './connection.js';

/**
 * Where a pooled connection is in its lending cycle. Every change goes through
 * {@link ConnectionBag}, which keeps the counts per state, so the pool's sizes are derived
 * from the states instead of kept by hand at each call site.
 *
 * ```
 * (reserve) → Opening → Idle ⇄ Lent → Cleaning → Idle | Lent
 *                        Idle → Lent → Validating → Lent | Idle
 *               any state → Removed (closed; never lent again)
 * ```
 */
export enum ConnectionState {
  /** Being opened (a reserved slot), or just opened and not yet parked or lent. */
  Opening = 0,
  /** Parked on the idle stack, ready to lend. */
  Idle = 1,
  /** Held by a borrower. */
  Lent = 2,
  /** Taken for a waiter and being PINGed first (counts as borrowed). */
  Validating = 3,
  /** Back from a dirty lease, being RESET. */
  Cleaning = 4,
  /** Closed or closing; out of the bag for good. */
  Removed = 5,
}

/**
 * The pool's connections and their states, after HikariCP's `ConcurrentBag`: one place owns
 * every transition (reserve, add, borrow, lend, validate, clean, requite, remove), and every
 * size the pool reports is a count of connections in some state.
 */
export class ConnectionBag {
  /** Idle connections, most recently used last (LIFO keeps a hot set, lets extras idle out). */
  readonly #idle: PoolConnection[] = [];
  /** Every connection not removed (opening ones once added). */
  readonly #live = new Set<PoolConnection>();
  /** Connections per state, indexed by `ConnectionState` (Removed is not counted). */
  readonly #counts: number[] = [0, 0, 0, 0, 0];
  /** The sum of `#counts`, kept by the same transitions (read on every acquire). */
  #size = 0;

  /** Connections open or being opened. */
  get size(): number {
    return this.#size;
  }

  /** Connections open (idle, lent, validating or cleaning). */
  get open(): number {
    return this.size - this.opening;
  }

  /** Connections being opened. */
  get opening(): number {
    return this.#counts[ConnectionState.Opening] ?? 0;
  }

  /** Connections parked, ready to lend. */
  get idle(): number {
    return this.#idle.length;
  }

  /** Connections lent out or being validated for a waiter. */
  get borrowed(): number {
    const c = this.#counts;
    return (c[ConnectionState.Lent] ?? 0) + (c[ConnectionState.Validating] ?? 0);
  }

  /** Connections being cleaned after a dirty lease (they come back soon). */
  get cleaning(): number {
    return this.#counts[ConnectionState.Cleaning] ?? 0;
  }

  /** Take a slot for a connection about to be opened. */
  reserve(): void {
    this.#count(ConnectionState.Opening, 1);
  }

  /** Give back a reserved slot: the connection could not be opened. */
  cancel(): void {
    this.#count(ConnectionState.Opening, -1);
  }

  /** A connection opened into a reserved slot; it stays `Opening` until parked or lent. */
  add(connection: PoolConnection): void {
    connection.state = ConnectionState.Opening;
    this.#live.add(connection);
  }

  /** The most recently parked idle connection, now `Lent`; undefined if none is idle. */
  borrow(): PoolConnection | undefined {
    const connection = this.#idle.pop();
    if (connection !== undefined) this.#move(connection, ConnectionState.Lent);
    return connection;
  }

  /** Hand a connection to a borrower (straight from the previous one, a reset, a PING, or new). */
  lend(connection: PoolConnection): void {
    this.#move(connection, ConnectionState.Lent);
  }

  /** A borrowed connection is PINGed before its borrower gets it. */
  validate(connection: PoolConnection): void {
    this.#move(connection, ConnectionState.Validating);
  }

  /** A lease came back dirty: it is being cleaned. */
  clean(connection: PoolConnection): void {
    this.#move(connection, ConnectionState.Cleaning);
  }

  /** Park a connection as idle since `now`. */
  requite(connection: PoolConnection, now: number): void {
    this.#move(connection, ConnectionState.Idle);
    connection.idleSince = now;
    this.#idle.push(connection);
  }

  /** Take a connection out for good; false if it was already removed. */
  remove(connection: PoolConnection): boolean {
    if (!this.#live.delete(connection)) return false;
    if (connection.state === ConnectionState.Idle) {
      const at = this.#idle.lastIndexOf(connection);
      if (at !== -1) this.#idle.splice(at, 1);
    }
    this.#move(connection, ConnectionState.Removed);
    return true;
  }

  /** Idle connections, least recently used first. Read only: change them through the bag. */
  get idleConnections(): readonly PoolConnection[] {
    return this.#idle;
  }

  /** Every connection not removed, as a copy (safe to remove while iterating). */
  liveConnections(): PoolConnection[] {
    return [...this.#live];
  }

  #move(connection: PoolConnection, to: ConnectionState): void {
    const from = connection.state;
    if (from === to) return;
    if (from === ConnectionState.Removed) {
      throw new Error(`connection ${connection.id} was removed; it cannot become ${to}`);
    }
    this.#count(from, -1);
    if (to !== ConnectionState.Removed) this.#count(to, 1);
    connection.state = to;
  }

  #count(state: ConnectionState, delta: number): void {
    this.#counts[state] = (this.#counts[state] ?? 0) + delta;
    this.#size += delta;
  }
}

/** One `acquire` call waiting for a connection. */
export interface Waiter<T> {
  resolve: (value: T) => void;
  reject: (reason: unknown) => void;
  /** `Date.now()` when it started waiting. */
  start: number;
  /** `Date.now()` after which it times out. */
  deadline: number;
  /** Set once settled (served, timed out, aborted); the queue skips it. */
  done: boolean;
  /** In the queue right now (a waiter can also be waiting on a validation PING). */
  queued: boolean;
  /** Stack of the acquirer, kept only when leak detection is on. */
  stack: string | undefined;
  /** Reply deadline for the lease's commands (ms, 0 = none). */
  commandTimeoutMs: number;
  signal: AbortSignal | undefined;
  onAbort: (() => void) | undefined;
}

/**
 * First-come-first-served queue of waiters: an array with a moving head, so push and shift
 * are O(1) amortised and no node is allocated per waiter. Settled waiters stay in place
 * (marked `done`) and are skipped, which makes removal by abort O(1).
 */
export class WaiterQueue<T> {
  #items: Array<Waiter<T> | undefined> = [];
  #head = 0;
  /** Waiters not yet settled. */
  size = 0;

  push(waiter: Waiter<T>): void {
    waiter.queued = true;
    this.#items.push(waiter);
    this.size++;
  }

  /** The oldest unsettled waiter, removed from the queue; undefined if none. */
  shift(): Waiter<T> | undefined {
    const items = this.#items;
    while (this.#head < items.length) {
      const waiter = items[this.#head];
      items[this.#head++] = undefined;
      if (waiter !== undefined && !waiter.done) {
        waiter.queued = false;
        this.size--;
        this.#compact();
        return waiter;
      }
    }
    this.#items = [];
    this.#head = 0;
    return undefined;
  }

  /** Mark a waiter settled (abort, timeout); if it is queued, the queue skips it from now on. */
  settle(waiter: Waiter<T>): void {
    if (waiter.done) return;
    waiter.done = true;
    if (waiter.queued) {
      waiter.queued = false;
      this.size--;
    }
  }

  /** Visit every unsettled waiter in order. */
  forEach(visit: (waiter: Waiter<T>) => void): void {
    for (let i = this.#head; i < this.#items.length; i++) {
      const waiter = this.#items[i];
      if (waiter !== undefined && !waiter.done) visit(waiter);
    }
  }

  #compact(): void {
    if (this.#head === this.#items.length) {
      this.#items = [];
      this.#head = 0;
    } else if (this.#head > 1024 && this.#head * 2 > this.#items.length) {
      this.#items = this.#items.slice(this.#head);
      this.#head = 0;
    }
  }
}

/**
 * One `acquire` call waiting for a connection. It settles exactly once, and settling always
 * does the same three things, whoever settles it (served, timed out, aborted, auth failure,
 * pool closed): it leaves its queue slot (so the queue's deadline timer stops when nobody is
 * left), it removes its abort listener, and it resolves or rejects its promise.
 */
export class Waiter<T> {
  /** `Date.now()` when it started waiting. */
  readonly start: number;
  /** `Date.now()` after which it times out. */
  readonly deadline: number;
  /** Stack of the acquirer, kept only when a lease clock (leak detection, reclaim) is on. */
  readonly stack: string | undefined;
  /** Reply deadline for the lease's commands (ms, 0 = none). */
  readonly commandTimeoutMs: number;
  /** Aborts the wait; the waiter then rejects with `signal.reason`. */
  readonly signal: AbortSignal | undefined;
  /** The queue it sits in, or undefined (not queued yet, being served a validated connection). */
  queue: WaiterQueue<T> | undefined = undefined;
  /** Its position in `queue` (absolute, survives compaction); -1 when not queued. */
  slot = -1;
  #settled = false;
  readonly #resolve: (value: T) => void;
  readonly #reject: (reason: unknown) => void;

  constructor(
    start: number,
    deadline: number,
    stack: string | undefined,
    commandTimeoutMs: number,
    signal: AbortSignal | undefined,
    resolve: (value: T) => void,
    reject: (reason: unknown) => void,
  ) {
    this.start = start;
    this.deadline = deadline;
    this.stack = stack;
    this.commandTimeoutMs = commandTimeoutMs;
    this.signal = signal;
    this.#resolve = resolve;
    this.#reject = reject;
    // The waiter itself is the listener (`handleEvent`): no closure per acquire.
    this.signal?.addEventListener('abort', this, { once: true });
  }

  /** Served, timed out, aborted or failed: nothing may settle it again. */
  get settled(): boolean {
    return this.#settled;
  }

  /** Resolve with `value`; false (and nothing happens) if it was already settled. */
  fulfil(value: T): boolean {
    if (!this.#settle()) return false;
    this.#resolve(value);
    return true;
  }

  /** Reject with `reason`; false (and nothing happens) if it was already settled. */
  fail(reason: unknown): boolean {
    if (!this.#settle()) return false;
    this.#reject(reason);
    return true;
  }

  /** The signal's `abort` listener. */
  handleEvent(): void {
    this.fail(this.signal?.reason);
  }

  #settle(): boolean {
    if (this.#settled) return false;
    this.#settled = true;
    this.queue?.remove(this);
    this.signal?.removeEventListener('abort', this);
    return true;
  }
}

/**
 * First-come-first-served queue of waiters with one timer for all their deadlines.
 *
 * An array with a moving head, so push and shift are O(1) amortised and no node is allocated
 * per waiter. A waiter that settles while queued clears its own slot (O(1), and the queue no
 * longer holds on to it); the timer is armed for the earliest deadline and cleared as soon as
 * the queue is empty, so serving waiters creates no timers at all.
 */
export class WaiterQueue<T> {
  #items: Array<Waiter<T> | undefined> = [];
  #head = 0;
  /** Slots dropped from the front of `#items` so far (a waiter's slot minus this = its index). */
  #offset = 0;
  #size = 0;
  #timer: NodeJS.Timeout | undefined;
  #timerAt = 0;
  readonly #onExpired: (waiter: Waiter<T>, now: number) => void;

  /** `onExpired` is called for each waiter past its deadline; it must settle it. */
  constructor(onExpired: (waiter: Waiter<T>, now: number) => void) {
    this.#onExpired = onExpired;
  }

  /** Waiters queued and not settled. */
  get size(): number {
    return this.#size;
  }

  /** Queue an unsettled waiter and make sure the timer covers its deadline. */
  push(waiter: Waiter<T>): void {
    waiter.queue = this;
    waiter.slot = this.#offset + this.#items.length;
    this.#items.push(waiter);
    this.#size++;
    this.#arm(waiter.deadline);
  }

  /** The oldest waiter, taken out of the queue (still unsettled); undefined if none. */
  shift(): Waiter<T> | undefined {
    const items = this.#items;
    while (this.#head < items.length) {
      const waiter = items[this.#head];
      items[this.#head++] = undefined;
      if (waiter !== undefined) {
        waiter.queue = undefined;
        waiter.slot = -1;
        this.#size--;
        this.#compact();
        return waiter;
      }
    }
    this.#compact();
    return undefined;
  }

  /** Take `waiter` out of its slot (it settled while queued). */
  remove(waiter: Waiter<T>): void {
    if (waiter.queue !== this) return;
    this.#items[waiter.slot - this.#offset] = undefined;
    waiter.queue = undefined;
    waiter.slot = -1;
    this.#size--;
    this.#compact();
  }

  /** Reject every queued waiter with `reason` (pool closed, credentials refused). */
  failAll(reason: unknown): void {
    for (let waiter = this.shift(); waiter !== undefined; waiter = this.shift()) {
      waiter.fail(reason);
    }
  }

  /** Visit every queued waiter in order. */
  forEach(visit: (waiter: Waiter<T>) => void): void {
    for (let i = this.#head; i < this.#items.length; i++) {
      const waiter = this.#items[i];
      if (waiter !== undefined) visit(waiter);
    }
  }

  /** True while the deadline timer is armed (for tests and close). */
  get timing(): boolean {
    return this.#timer !== undefined;
  }

  #compact(): void {
    if (this.#size === 0) {
      this.#offset += this.#items.length;
      this.#items = [];
      this.#head = 0;
      if (this.#timer !== undefined) {
        clearTimeout(this.#timer);
        this.#timer = undefined;
      }
    } else if (this.#head > 1024 && this.#head * 2 > this.#items.length) {
      this.#offset += this.#head;
      this.#items = this.#items.slice(this.#head);
      this.#head = 0;
    }
  }

  /** Arm the one timer for `deadline` unless it already fires no later. */
  #arm(deadline: number): void {
    if (this.#timer !== undefined) {
      if (this.#timerAt <= deadline) return;
      clearTimeout(this.#timer);
    }
    this.#timerAt = deadline;
    // Not unref'd: a caller waiting for a connection is a reason for the process to stay.
    this.#timer = setTimeout(() => this.#expire(), Math.max(0, deadline - Date.now()));
  }

  #expire(): void {
    this.#timer = undefined;
    const now = Date.now();
    let next = Number.POSITIVE_INFINITY;
    const expired: Waiter<T>[] = [];
    this.forEach((waiter) => {
      if (waiter.deadline <= now) expired.push(waiter);
      else if (waiter.deadline < next) next = waiter.deadline;
    });
    for (const waiter of expired) this.#onExpired(waiter, now);
    if (this.#size > 0 && next !== Number.POSITIVE_INFINITY) this.#arm(next);
  }
}

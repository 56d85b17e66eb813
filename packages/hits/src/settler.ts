/**
 * Settles the callers of a batch a chunk at a time: at most {@link SETTLE_CHUNK} keys per turn of
 * the event loop, the rest in the following turns. Callers that were answered ask again at once,
 * and their calls leave as the next turn's batch while the rest are still being answered, so
 * Redis works on one batch while this process settles the next: under load, several smaller
 * batches are in flight instead of one large one that Redis and this process take turns on.
 */
export const SETTLE_CHUNK = 64;

export class Settler {
  #waiting: Array<() => void> = [];
  #next = 0;
  #budget: number;

  /**
   * @param wake asks for a call of {@link turn} in a later turn of the event loop.
   * @param chunk keys settled per turn.
   */
  constructor(
    private readonly wake: () => void,
    readonly chunk: number = SETTLE_CHUNK,
  ) {
    this.#budget = chunk;
  }

  /** Settlements not run yet. */
  get pending(): number {
    return this.#waiting.length - this.#next;
  }

  /** Run `finish` now if this turn's budget allows, else in a later turn. */
  settle(finish: () => void): void {
    if (this.#budget > 0 && this.pending === 0) {
      this.#budget--;
      finish();
      return;
    }
    this.#waiting.push(finish);
    this.wake();
  }

  /** A new turn: run up to a chunk of waiting settlements. */
  turn(): void {
    this.#budget = this.chunk;
    while (this.#budget > 0 && this.pending > 0) {
      this.#budget--;
      const finish = this.#waiting[this.#next] as () => void;
      this.#next++;
      finish();
    }
    if (this.pending === 0) {
      this.#waiting = [];
      this.#next = 0;
    } else this.wake();
  }
}

import type { WaitTimeStats } from './types.js';

/** Acquire wait times of the last `capacity` acquires, for percentiles on demand. */
export class WaitTimes {
  readonly #samples: Float64Array;
  #next = 0;
  #count = 0;
  #max = 0;

  constructor(capacity = 1024) {
    this.#samples = new Float64Array(capacity);
  }

  record(ms: number): void {
    this.#samples[this.#next] = ms;
    this.#next = this.#next + 1 === this.#samples.length ? 0 : this.#next + 1;
    if (this.#count < this.#samples.length) this.#count++;
    if (ms > this.#max) this.#max = ms;
  }

  /** p50/p99 over the window, `max` since creation (ms, rounded to 0.1). */
  summary(): WaitTimeStats {
    if (this.#count === 0) return { p50: 0, p99: 0, max: 0 };
    const sorted = this.#samples.slice(0, this.#count).sort();
    const at = (q: number) => sorted[Math.min(this.#count - 1, Math.floor(q * this.#count))] ?? 0;
    const round = (ms: number) => Math.round(ms * 10) / 10;
    return { p50: round(at(0.5)), p99: round(at(0.99)), max: round(this.#max) };
  }
}

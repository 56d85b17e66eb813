/** Smallest latency told apart, in ms (1 µs); anything below lands in the first bucket. */
const MIN_MS = 0.001;
/** Buckets per doubling: each bucket is about 4.4 % wide. */
const PER_OCTAVE = 16;
/** Doublings above MIN_MS covered (2^28 µs is about 4.5 minutes); anything above is clamped. */
const OCTAVES = 28;
const SIZE = OCTAVES * PER_OCTAVE + 2;

/**
 * A fixed-size log-bucket histogram of latencies in ms: recording is O(1) and memory does not
 * grow with the number of samples. Quantiles are exact to one bucket (about 4.4 %).
 */
export class LatencyHistogram {
  private readonly counts = new Float64Array(SIZE);
  /** Samples recorded. */
  count = 0;
  /** Largest sample, exact. */
  maxMs = 0;

  /** Record one latency in ms. */
  record(ms: number): void {
    const index =
      ms <= MIN_MS ? 0 : Math.min(SIZE - 1, Math.floor(Math.log2(ms / MIN_MS) * PER_OCTAVE) + 1);
    this.counts[index] = (this.counts[index] as number) + 1;
    this.count++;
    if (ms > this.maxMs) this.maxMs = ms;
  }

  /**
   * The latency below which a fraction `q` (0–1) of the samples fall: the upper edge of the
   * bucket holding that sample, never above the largest sample. 0 when nothing was recorded.
   */
  quantile(q: number): number {
    if (this.count === 0) return 0;
    const rank = Math.max(1, Math.ceil(Math.min(1, Math.max(0, q)) * this.count));
    let seen = 0;
    for (let i = 0; i < SIZE; i++) {
      seen += this.counts[i] as number;
      if (seen >= rank) return Math.min(this.maxMs, MIN_MS * 2 ** (i / PER_OCTAVE));
    }
    return this.maxMs;
  }
}

import { seededRandom } from './random.js';

/** Where a workload's calls take their keys from. */
export interface KeySource {
  /** What the table calls it, e.g. `10,000 distinct keys`. */
  readonly label: string;
  /** Every key `next()` can return (to pre-set their values). */
  readonly keys: readonly string[];
  /** The key for the next call. */
  next(): string;
}

const count = (n: number) => n.toLocaleString('en-US');

function makeKeys(n: number, prefix: string): string[] {
  if (!Number.isInteger(n) || n < 1) throw new RangeError(`n must be an integer >= 1, got ${n}`);
  return Array.from({ length: n }, (_, i) => `${prefix}${i}`);
}

/**
 * `n` keys `${prefix}0` … `${prefix}${n - 1}`, handed out in turn: consecutive calls get
 * different keys (for `n` >= 2), so nothing can be coalesced by key.
 */
export function distinctKeys(n: number, prefix = 'key:'): KeySource {
  const keys = makeKeys(n, prefix);
  let i = 0;
  return {
    label: `${count(n)} distinct keys`,
    keys,
    next() {
      const key = keys[i] as string;
      i = i + 1 === keys.length ? 0 : i + 1;
      return key;
    },
  };
}

/**
 * Keys drawn from a Zipf(`s`) law over `n` keys: key `${prefix}0` is the most popular, key `i`
 * is drawn with probability proportional to 1 / (i + 1)^s. The CDF is computed once; each draw
 * is a binary search. Seeded, so a run with the same seed draws the same sequence.
 */
export function zipfKeys(n: number, s = 1, prefix = 'key:', seed = 1): KeySource {
  if (!Number.isFinite(s) || s < 0) throw new RangeError(`s must be a number >= 0, got ${s}`);
  const keys = makeKeys(n, prefix);
  const cdf = new Float64Array(n);
  let sum = 0;
  for (let i = 0; i < n; i++) {
    sum += 1 / (i + 1) ** s;
    cdf[i] = sum;
  }
  for (let i = 0; i < n; i++) cdf[i] = (cdf[i] as number) / sum;
  cdf[n - 1] = 1;
  const random = seededRandom(seed);
  return {
    label: `Zipf(${s}) over ${count(n)} keys`,
    keys,
    next() {
      const u = random();
      // The first index whose cumulative probability exceeds u.
      let low = 0;
      let high = n - 1;
      while (low < high) {
        const mid = (low + high) >>> 1;
        if ((cdf[mid] as number) > u) high = mid;
        else low = mid + 1;
      }
      return keys[low] as string;
    },
  };
}

/** One key for every call: the most coalescing a workload can offer. */
export function hotKey(key: string): KeySource {
  return { label: 'one hot key', keys: [key], next: () => key };
}

/** A function returning uniformly distributed numbers in [0, 1). */
export type Random = () => number;

/**
 * A small seeded generator (Marsaglia's xorshift32, 13/17/5), so that a run with the same
 * seed draws the same sequence. Not for anything but workloads.
 */
export function seededRandom(seed: number): Random {
  // Mix the seed so that 0, 1, 2… start far apart; xorshift needs a non-zero state.
  let state = Math.imul((seed | 0) ^ 0x5bd1e995, 0x9e3779b1) >>> 0 || 0x6d2b79f5;
  return () => {
    state ^= state << 13;
    state >>>= 0;
    state ^= state >>> 17;
    state ^= state << 5;
    state >>>= 0;
    return state / 0x1_0000_0000;
  };
}

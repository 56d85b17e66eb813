import { describe, expect, it } from 'vitest';
import { distinctKeys, hotKey, zipfKeys } from './keys.js';

const draw = (next: () => string, n: number) => Array.from({ length: n }, next);

describe('distinctKeys', () => {
  it('cycles through n keys, consecutive calls on different keys', () => {
    const source = distinctKeys(3, 'p:');
    expect(source.keys).toEqual(['p:0', 'p:1', 'p:2']);
    expect(draw(source.next, 7)).toEqual(['p:0', 'p:1', 'p:2', 'p:0', 'p:1', 'p:2', 'p:0']);
    expect(distinctKeys(10_000).label).toBe('10,000 distinct keys');
  });

  it('refuses n below 1', () => {
    expect(() => distinctKeys(0)).toThrow(RangeError);
  });
});

describe('zipfKeys', () => {
  it('is reproducible for a seed and differs between seeds', () => {
    const a = draw(zipfKeys(1000, 1, 'k:', 7).next, 200);
    expect(draw(zipfKeys(1000, 1, 'k:', 7).next, 200)).toEqual(a);
    expect(draw(zipfKeys(1000, 1, 'k:', 8).next, 200)).not.toEqual(a);
  });

  it('draws key i in proportion to 1/(i+1)^s', () => {
    const n = 100;
    const draws = 200_000;
    const source = zipfKeys(n, 1, '', 3);
    const counts = new Map<string, number>();
    for (const key of draw(source.next, draws)) counts.set(key, (counts.get(key) ?? 0) + 1);
    let harmonic = 0;
    for (let i = 1; i <= n; i++) harmonic += 1 / i;
    // Key 0 gets 1/H(100) ≈ 19.3 % of draws, key 1 half that, key 9 a tenth.
    expect((counts.get('0') ?? 0) / draws).toBeCloseTo(1 / harmonic, 2);
    expect((counts.get('1') ?? 0) / draws).toBeCloseTo(1 / 2 / harmonic, 2);
    expect((counts.get('9') ?? 0) / draws).toBeCloseTo(1 / 10 / harmonic, 2);
    expect([...counts.keys()].every((key) => source.keys.includes(key))).toBe(true);
  });

  it('with s = 0 is uniform and reaches the last key', () => {
    const source = zipfKeys(4, 0, 'u:', 1);
    const seen = new Set(draw(source.next, 1000));
    expect([...seen].sort()).toEqual(['u:0', 'u:1', 'u:2', 'u:3']);
    expect(source.label).toBe('Zipf(0) over 4 keys');
  });
});

it('hotKey always gives the same key', () => {
  const source = hotKey('hot');
  expect(draw(source.next, 3)).toEqual(['hot', 'hot', 'hot']);
  expect(source.keys).toEqual(['hot']);
});

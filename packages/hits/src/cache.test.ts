import { describe, expect, it } from 'vitest';
import { NearCache } from './cache.js';

describe('NearCache (the copies and what may enter them, no Redis)', () => {
  it('keeps what a read answered and counts hits and misses per call', () => {
    const cache = new NearCache(10, Number.POSITIVE_INFINITY);
    expect(cache.lookup('a', 0, 2)).toBeUndefined();
    const read = cache.beginRead(['a', 'b']);
    cache.endRead(read, ['va', null], 0);
    expect(cache.lookup('a', 1)).toEqual(expect.objectContaining({ value: 'va' }));
    expect(cache.lookup('b', 1, 3)).toEqual(expect.objectContaining({ value: null }));
    expect(cache.stats()).toEqual({ size: 2, hits: 4, misses: 2, invalidations: 0, resets: 0 });
  });

  it('makes copies without counter keys, and keeps the ones a use gives them', () => {
    const cache = new NearCache(10, Number.POSITIVE_INFINITY);
    cache.endRead(cache.beginRead(['a']), ['1'], 0);
    const copy = cache.lookup('a', 0);
    expect(copy?.keys).toBeUndefined();
    const keys = {
      counter: 'a:hits',
      counterSlot: -1,
      keySlot: -1,
      companions: undefined,
      windows: [],
    };
    if (copy) copy.keys = keys;
    expect(cache.lookup('a', 0)?.keys).toBe(keys);
  });

  it('keeps nothing for a key Redis refused to read', () => {
    const cache = new NearCache(10, Number.POSITIVE_INFINITY);
    cache.endRead(cache.beginRead(['a', 'b']), [new Error('WRONGTYPE'), 'vb'], 0);
    expect(cache.lookup('a', 0)).toBeUndefined();
    expect(cache.lookup('b', 0)?.value).toBe('vb');
  });

  it('drops a copy not used since the clock hand last passed it beyond maxKeys', () => {
    // Below 10 keys there is no probation ring: every copy is a main one.
    const cache = new NearCache(4, Number.POSITIVE_INFINITY);
    cache.endRead(cache.beginRead(['a', 'b', 'c', 'd']), ['1', '2', '3', '4'], 0);
    cache.lookup('a', 0);
    cache.endRead(cache.beginRead(['e']), ['5'], 0);
    // The hand passed a (used: it stays, unmarked) and took b's place.
    expect(cache.lookup('b', 0)).toBeUndefined();
    expect(cache.lookup('a', 0)?.value).toBe('1');
    expect(cache.stats().size).toBe(4);
    // A copy used between two passes of the hand stays however many are stored; copies never
    // used go in the order they came.
    for (let i = 0; i < 20; i++) {
      cache.endRead(cache.beginRead([`k${i}`]), ['x'], 0);
      expect(cache.lookup('a', 0)?.value).toBe('1');
    }
    const held = ['c', 'd', 'e', 'k16', 'k17', 'k18', 'k19'].filter(
      (key) => cache.lookup(key, 0, 0) !== undefined,
    );
    expect(held).toEqual(['k17', 'k18', 'k19']);
    expect(cache.stats().size).toBe(4);
  });

  /** A full cache of 20 (18 main copies m0–m17, a probation ring of 2) and a store of `key`. */
  const fullOf20 = () => {
    const cache = new NearCache(20, Number.POSITIVE_INFINITY);
    const main = Array.from({ length: 18 }, (_, i) => `m${i}`);
    cache.endRead(
      cache.beginRead(main),
      main.map(() => 'v'),
      0,
    );
    const store = (key: string) => cache.endRead(cache.beginRead([key]), [key], 0);
    return { cache, main, store };
  };
  const heldOf = (cache: NearCache, keys: readonly string[]) =>
    keys.filter((key) => cache.lookup(key, 0, 0) !== undefined);

  it('once full, lets a new copy wait in probation and leave unused, not push out a main one', () => {
    const { cache, main, store } = fullOf20();
    for (let i = 0; i < 10; i++) store(`once${i}`);
    // Keys read once came and went through the ring of 2; every main copy stayed.
    expect(heldOf(cache, main)).toEqual(main);
    expect(heldOf(cache, ['once7', 'once8', 'once9'])).toEqual(['once8', 'once9']);
    expect(cache.stats().size).toBe(20);
  });

  it('moves a copy used in probation to the main ones, in place of one the clock hand finds unused', () => {
    const { cache, main, store } = fullOf20();
    for (const key of main.slice(1)) cache.lookup(key, 0);
    store('p1');
    store('p2');
    expect(cache.lookup('p1', 0)?.value).toBe('p1');
    // The ring comes round to p1: used, it joins the main copies, m0 (the only one not used)
    // leaves; p2, unused, leaves the ring.
    store('p3');
    store('p4');
    expect(cache.lookup('m0', 0)).toBeUndefined();
    expect(cache.lookup('p2', 0)).toBeUndefined();
    for (let i = 0; i < 10; i++) store(`once${i}`);
    expect(cache.lookup('p1', 0)?.value).toBe('p1');
    expect(heldOf(cache, main)).toEqual(main.slice(1));
    expect(cache.stats().size).toBe(20);
  });

  it('empties the place of an invalidated probation copy, and replaces a held copy where it is', () => {
    const { cache, main, store } = fullOf20();
    store('p1');
    store('p2');
    cache.invalidate(['p1']);
    expect(cache.stats().size).toBe(19);
    store('p2');
    expect(cache.stats().size).toBe(19);
    // The ring's next place is p1's, empty: nothing leaves.
    store('p3');
    expect(cache.stats().size).toBe(20);
    expect(cache.lookup('p1', 0)).toBeUndefined();
    // A newer read of a main copy stays a main copy: the keys read once do not push it out.
    cache.endRead(cache.beginRead(['m0']), ['newer'], 0);
    for (let i = 0; i < 5; i++) store(`once${i}`);
    expect(cache.lookup('m0', 0)?.value).toBe('newer');
    expect(heldOf(cache, main)).toEqual(main);
    expect(heldOf(cache, ['p2', 'p3', 'once3', 'once4'])).toEqual(['once3', 'once4']);
    expect(cache.stats().size).toBe(20);
  });

  it('gives the place of an invalidated or expired copy to the next one, before dropping any', () => {
    const cache = new NearCache(3, 100);
    cache.endRead(cache.beginRead(['a', 'b', 'c']), ['1', '2', '3'], 0);
    cache.invalidate(['b']);
    expect(cache.lookup('c', 150)).toBeUndefined();
    cache.endRead(cache.beginRead(['d', 'e']), ['4', '5'], 120);
    expect(cache.stats().size).toBe(2 + 1);
    expect(['a', 'd', 'e'].map((key) => cache.lookup(key, 150, 0)?.value)).toEqual([
      undefined,
      '4',
      '5',
    ]);
  });

  it('keeps its bookkeeping bounded while copies come and go', () => {
    const cache = new NearCache(100, Number.POSITIVE_INFINITY);
    for (let i = 0; i < 50_000; i++) {
      const key = `k${i % 150}`;
      if (i % 3 === 0) cache.invalidate([key]);
      else if (cache.lookup(key, 0) === undefined) cache.endRead(cache.beginRead([key]), ['v'], 0);
      expect(cache.stats().size).toBeLessThanOrEqual(100);
    }
    const held = Array.from({ length: 150 }, (_, i) => cache.lookup(`k${i}`, 0)).filter(Boolean);
    expect(held).toHaveLength(cache.stats().size);
  });

  it('forgets a copy older than ttlMs', () => {
    const cache = new NearCache(10, 50);
    cache.endRead(cache.beginRead(['a']), ['1'], 1_000);
    expect(cache.lookup('a', 1_049)?.value).toBe('1');
    expect(cache.lookup('a', 1_050)).toBeUndefined();
    expect(cache.stats().size).toBe(0);
  });

  it('keeps out the reply of a read that an invalidation of its key overtook', () => {
    const cache = new NearCache(10, Number.POSITIVE_INFINITY);
    const read = cache.beginRead(['a', 'b']);
    const later = cache.beginRead(['a']);
    cache.invalidate(['a']);
    cache.endRead(read, ['old a', 'b'], 0);
    expect(cache.lookup('a', 0)).toBeUndefined();
    expect(cache.lookup('b', 0)?.value).toBe('b');
    // A read that began before the invalidation is kept out too, whenever it answers.
    cache.endRead(later, ['old a'], 0);
    expect(cache.lookup('a', 0)).toBeUndefined();
    // One that began after it is kept.
    cache.endRead(cache.beginRead(['a']), ['new a'], 0);
    expect(cache.lookup('a', 0)?.value).toBe('new a');
    expect(cache.stats().invalidations).toBe(1);
  });

  it('follows several reads of one key in flight, whichever answers first', () => {
    const cache = new NearCache(10, Number.POSITIVE_INFINITY);
    const first = cache.beginRead(['a']);
    const second = cache.beginRead(['a']);
    const third = cache.beginRead(['a']);
    cache.endRead(second, ['2'], 0);
    expect(cache.lookup('a', 0)?.value).toBe('2');
    cache.invalidate(['a']);
    cache.endRead(first, ['1'], 0);
    cache.endRead(third, ['3'], 0);
    expect(cache.lookup('a', 0)).toBeUndefined();
    cache.endRead(cache.beginRead(['a']), ['4'], 0);
    expect(cache.lookup('a', 0)?.value).toBe('4');
  });

  it('keeps a slow read out after many invalidations while other reads come and go', () => {
    const cache = new NearCache(10_000, Number.POSITIVE_INFINITY);
    const slow = cache.beginRead(['early', 'untouched']);
    cache.invalidate(['early']);
    // Enough overlapping reads and invalidations to make the cache drop the marks no read needs.
    for (let i = 0; i < 2_000; i++) {
      const read = cache.beginRead([`k${i}`]);
      cache.invalidate([`k${i}`, `other${i}`]);
      cache.endRead(read, ['v'], 0);
      expect(cache.lookup(`k${i}`, 0, 0)).toBeUndefined();
      const after = cache.beginRead([`k${i}`]);
      cache.endRead(after, ['v'], 0);
      expect(cache.lookup(`k${i}`, 0, 0)?.value).toBe('v');
    }
    cache.endRead(slow, ['old', 'kept'], 0);
    expect(cache.lookup('early', 0)).toBeUndefined();
    expect(cache.lookup('untouched', 0)?.value).toBe('kept');
  });

  it('drops every copy on reset and keeps out every read then in flight', () => {
    const cache = new NearCache(10, Number.POSITIVE_INFINITY);
    cache.endRead(cache.beginRead(['a']), ['1'], 0);
    const inFlight = cache.beginRead(['b']);
    cache.reset();
    cache.endRead(inFlight, ['2'], 0);
    expect(cache.stats()).toEqual(expect.objectContaining({ size: 0, resets: 1 }));
    const failed = cache.beginRead(['c']);
    cache.abandonRead(failed);
    cache.invalidate(['c']);
    expect(cache.stats().size).toBe(0);
  });
});

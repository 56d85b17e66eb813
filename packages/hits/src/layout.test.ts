import { describe, expect, it } from 'vitest';
import {
  companionKeys,
  counterKeys,
  defaultHitKey,
  slotTagOfKey,
  suffixHitKey,
  WINDOW_GRACE_SECONDS,
  windowIndex,
  windowTtlSeconds,
} from './layout.js';
import { resolveOptions } from './options.js';
import { keySlot } from './slot.js';
import type { HitTrackerOptions } from './types.js';

describe('key layout', () => {
  it('puts the default counter in the key slot', () => {
    expect(defaultHitKey('name')).toBe('{j83}:hits:total:name');
    for (const key of ['foo{}{bar}', '{}', 'a{b', '{x}y', 'ключ'])
      expect(keySlot(defaultHitKey(key))).toBe(keySlot(key));
  });

  it('keeps companions in the counter slot and never shares them between keys', () => {
    const seen = new Set<string>();
    for (const key of ['a', 'minute:1:a', 'total:a', 'uniques:a', '{a}', 'a:b']) {
      const counter = defaultHitKey(key);
      const companions = companionKeys(key, counter, false);
      for (const name of [
        counter,
        companions.window('minute', 1),
        companions.window('hour', 1),
        companions.uniques,
      ]) {
        expect(keySlot(name)).toBe(keySlot(counter));
        expect(seen.has(name)).toBe(false);
        seen.add(name);
      }
    }
    const suffixed = suffixHitKey()('name');
    expect(suffixed).toBe('name_hit');
    const custom = companionKeys('name', suffixed, true);
    expect(custom.uniques).toBe(`{${slotTagOfKey('name_hit')}}:hits:uniques:name_hit`);
    expect(keySlot(custom.window('day', 1))).toBe(keySlot('name_hit'));
  });

  it('derives the same keys and slots per call as the layout functions, default counter or not', () => {
    const t = Date.UTC(2026, 10, 26, 6, 41, 30);
    for (const hitKey of [undefined, suffixHitKey()]) {
      const options = resolveOptions({
        redis: {} as HitTrackerOptions['redis'],
        windows: ['minute', 'day'],
        uniques: true,
        ...(hitKey ? { hitKey } : {}),
      });
      for (const key of ['a', 'foo{}{bar}', '{x}y', 'ключ']) {
        const counter = hitKey ? hitKey(key) : defaultHitKey(key);
        const companions = companionKeys(key, counter, hitKey !== undefined);
        const keys = counterKeys(options, true, t, key);
        expect(keys.counter).toBe(counter);
        expect(keys.counterSlot).toBe(keySlot(counter));
        expect(keys.keySlot).toBe(keySlot(key));
        expect(keys.companions?.uniques).toBe(companions.uniques);
        expect(keys.windows.map((window) => window.key)).toEqual([
          companions.window('minute', windowIndex('minute', t)),
          companions.window('day', windowIndex('day', t)),
        ]);
        expect(counterKeys(options, false, t, key).counterSlot).toBe(-1);
      }
    }
  });

  it('computes fixed UTC windows and TTLs that end one grace period after the window', () => {
    const t = Date.UTC(2026, 10, 26, 6, 41, 30);
    expect(windowIndex('minute', t)).toBe(Math.floor(t / 60_000));
    expect(windowTtlSeconds('minute', windowIndex('minute', t), t)).toBe(30 + WINDOW_GRACE_SECONDS);
    expect(windowTtlSeconds('hour', windowIndex('hour', t), t)).toBe(
      18 * 60 + 30 + WINDOW_GRACE_SECONDS,
    );
    expect(windowTtlSeconds('day', windowIndex('day', t), t)).toBe(
      17 * 3600 + 18 * 60 + 30 + WINDOW_GRACE_SECONDS,
    );
    // A window that has already ended (late flush) still gets a positive TTL.
    expect(windowTtlSeconds('minute', windowIndex('minute', t) - 5, t)).toBe(
      1 + WINDOW_GRACE_SECONDS,
    );
  });
});

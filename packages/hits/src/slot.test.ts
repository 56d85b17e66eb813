import { describe, expect, it } from 'vitest';
import { hasHashTag, keySlot, SLOT_COUNT, slotTag } from './slot.js';

describe('keySlot', () => {
  it('matches CLUSTER KEYSLOT values checked on Redis 7.0 (FACTS.md)', () => {
    expect(keySlot('name')).toBe(5798);
    expect(keySlot('name_hit')).toBe(12220);
    expect(keySlot('hits:{name}')).toBe(5798);
    expect(keySlot('foo{}{bar}')).toBe(8363);
    expect(keySlot('{}{x}')).toBe(3257);
  });

  it('is CRC16/XMODEM mod 16384 (check value of "123456789" is 0x31C3)', () => {
    expect(keySlot('123456789')).toBe(0x31c3 % SLOT_COUNT);
  });

  it('hashes only the first non-empty {tag}, on UTF-8 bytes', () => {
    expect(keySlot('{user1000}.following')).toBe(keySlot('user1000'));
    expect(keySlot('a{b}c{d}')).toBe(keySlot('b'));
    expect(keySlot('a{b')).not.toBe(keySlot('b'));
    expect(keySlot('{{a}}')).toBe(keySlot('{a'));
    expect(keySlot('é{ключ}')).toBe(keySlot('ключ'));
    expect(hasHashTag('a{b}')).toBe(true);
    expect(hasHashTag('a{}b')).toBe(false);
    expect(hasHashTag('}{')).toBe(false);
  });
});

describe('slotTag', () => {
  it('gives every slot a short tag of its own slot, without braces', () => {
    for (let slot = 0; slot < SLOT_COUNT; slot++) {
      const tag = slotTag(slot);
      expect(tag.length).toBeLessThanOrEqual(4);
      expect(keySlot(tag)).toBe(slot);
      expect(keySlot(`{${tag}}:anything`)).toBe(slot);
    }
  });

  it('rejects slots out of range', () => {
    expect(() => slotTag(16384)).toThrow(RangeError);
    expect(() => slotTag(-1)).toThrow(RangeError);
  });
});

/** Number of hash slots in a Redis Cluster. */
export const SLOT_COUNT = 16384;

const CRC16_TABLE = new Uint16Array(256);
for (let i = 0; i < 256; i++) {
  let crc = i << 8;
  for (let bit = 0; bit < 8; bit++) crc = crc & 0x8000 ? ((crc << 1) ^ 0x1021) & 0xffff : crc << 1;
  CRC16_TABLE[i] = crc & 0xffff;
}

function crc16Bytes(bytes: Uint8Array, start: number, end: number): number {
  let crc = 0;
  for (let i = start; i < end; i++)
    crc =
      ((crc << 8) & 0xffff) ^ (CRC16_TABLE[((crc >> 8) ^ (bytes[i] as number)) & 0xff] as number);
  return crc;
}

function crc16Ascii(text: string, start: number, end: number): number {
  let crc = 0;
  for (let i = start; i < end; i++)
    crc = ((crc << 8) & 0xffff) ^ (CRC16_TABLE[((crc >> 8) ^ text.charCodeAt(i)) & 0xff] as number);
  return crc;
}

function isAscii(text: string): boolean {
  for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) > 0x7f) return false;
  return true;
}

/**
 * Start and end (exclusive) of the part of `key` Redis hashes: the hash tag if there is one,
 * else the whole key. The rule (Redis Cluster spec, "Hash tags"): a `{`, then the first `}`
 * after it, with at least one character between them. Braces are ASCII, and UTF-8 never uses
 * ASCII bytes inside multi-byte characters, so the same positions work on bytes and on text.
 */
function hashedRange(key: string): [number, number] {
  const open = key.indexOf('{');
  if (open !== -1) {
    const close = key.indexOf('}', open + 1);
    if (close > open + 1) return [open + 1, close];
  }
  return [0, key.length];
}

/**
 * The Redis Cluster hash slot of `key` (0–16383), exactly as `CLUSTER KEYSLOT` computes it:
 * CRC16/XMODEM of the key's UTF-8 bytes (or of its hash tag) modulo 16384. Unlike the
 * `cluster-key-slot` package ioredis uses, keys with an empty `{}` before a tag are right.
 */
export function keySlot(key: string): number {
  if (isAscii(key)) {
    const [start, end] = hashedRange(key);
    return crc16Ascii(key, start, end) & (SLOT_COUNT - 1);
  }
  const bytes = Buffer.from(key, 'utf8');
  const open = bytes.indexOf(0x7b);
  if (open !== -1) {
    const close = bytes.indexOf(0x7d, open + 1);
    if (close > open + 1) return crc16Bytes(bytes, open + 1, close) & (SLOT_COUNT - 1);
  }
  return crc16Bytes(bytes, 0, bytes.length) & (SLOT_COUNT - 1);
}

/** True when `key` has a hash tag, so anything appended to it stays in the same slot. */
export function hasHashTag(key: string): boolean {
  const [start, end] = hashedRange(key);
  return start !== 0 || end !== key.length;
}

const TAG_ALPHABET = '0123456789abcdefghijklmnopqrstuvwxyz';
let slotTags: string[] | undefined;

function crcStep(crc: number, byte: number): number {
  return ((crc << 8) & 0xffff) ^ (CRC16_TABLE[((crc >> 8) ^ byte) & 0xff] as number);
}

function buildSlotTags(): string[] {
  const tags = new Array<string>(SLOT_COUNT);
  let missing = SLOT_COUNT;
  const codes = Array.from(TAG_ALPHABET, (char) => char.charCodeAt(0));
  // Shortest first, then alphabet order: the first string to land on a slot is its tag.
  // Depth-first per length with the CRC carried along, so no strings are built but the tags.
  const visit = (prefix: string, crc: number, left: number): void => {
    for (let i = 0; i < codes.length && missing > 0; i++) {
      const next = crcStep(crc, codes[i] as number);
      if (left > 1) {
        visit(prefix + TAG_ALPHABET[i], next, left - 1);
        continue;
      }
      const slot = next & (SLOT_COUNT - 1);
      if (tags[slot] === undefined) {
        tags[slot] = prefix + TAG_ALPHABET[i];
        missing--;
      }
    }
  };
  for (let length = 1; missing > 0; length++) visit('', 0, length);
  return tags;
}

/**
 * The slot tag of `slot`: the shortest string over `[0-9a-z]` (first in that order) whose own
 * slot is `slot`, so `{tag}` in any key puts that key in `slot`. At most 4 characters.
 */
export function slotTag(slot: number): string {
  slotTags ??= buildSlotTags();
  const tag = slotTags[slot];
  if (tag === undefined) throw new RangeError(`slot must be an integer 0-16383, got ${slot}`);
  return tag;
}

import { MAX_KEY_BYTES } from '@hitpool/hits';
import { ApiError } from './errors.js';

/** Longest key, in characters. */
export const MAX_KEY_CHARS = 256;
/** Largest value, in bytes of UTF-8. */
export const MAX_VALUE_BYTES = 64 * 1024;
/** Allowed range of `n` for `GET /api/top`. */
export const TOP_N = { min: 1, max: 100, default: 10 } as const;

// Printable: no control, format, surrogate, private-use or unassigned code points.
const PRINTABLE = /^\P{C}+$/u;

/**
 * A key of 1–256 printable characters whose Redis key (`redisKey(key)`) fits
 * @hitpool/hits's limit of 512 bytes, or a 400 naming what is wrong. Any ASCII
 * key of 256 characters fits; 256 characters of multi-byte UTF-8 may not.
 */
export function parseKey(raw: unknown, redisKey: (key: string) => string = (key) => key): string {
  if (typeof raw !== 'string' || raw.length === 0) {
    throw new ApiError(400, 'INVALID_KEY', 'key must be 1–256 printable characters; it is empty');
  }
  const chars = [...raw].length;
  if (chars > MAX_KEY_CHARS) {
    throw new ApiError(
      400,
      'INVALID_KEY',
      `key must be 1–256 printable characters; it has ${chars}`,
    );
  }
  if (!PRINTABLE.test(raw)) {
    throw new ApiError(
      400,
      'INVALID_KEY',
      'key must be 1–256 printable characters; it contains a control or non-printable character',
    );
  }
  const bytes = Buffer.byteLength(redisKey(raw), 'utf8');
  if (bytes > MAX_KEY_BYTES) {
    const room = MAX_KEY_BYTES - (bytes - Buffer.byteLength(raw, 'utf8'));
    throw new ApiError(
      400,
      'INVALID_KEY',
      `key is ${Buffer.byteLength(raw, 'utf8')} bytes of UTF-8; at most ${room} fit (use fewer non-ASCII characters)`,
    );
  }
  return raw;
}

/**
 * The value to store from a `PUT` body: text as sent, JSON as its JSON text.
 * At most 64 KiB of UTF-8.
 */
export function parseValue(body: unknown): string {
  if (body === undefined || body === null || body === '') {
    throw new ApiError(
      400,
      'INVALID_VALUE',
      'send the value as the request body (text/plain, or application/json)',
    );
  }
  const value = typeof body === 'string' ? body : JSON.stringify(body);
  const bytes = Buffer.byteLength(value, 'utf8');
  if (bytes > MAX_VALUE_BYTES) {
    throw new ApiError(
      400,
      'VALUE_TOO_LARGE',
      `value must be at most ${MAX_VALUE_BYTES} bytes (64 KiB); it has ${bytes}`,
    );
  }
  return value;
}

/** `n` for `GET /api/top`: an integer from 1 to 100, default 10. */
export function parseTopN(raw: unknown): number {
  if (raw === undefined || raw === '') return TOP_N.default;
  const n = typeof raw === 'string' && /^\d+$/.test(raw) ? Number(raw) : Number.NaN;
  if (!Number.isInteger(n) || n < TOP_N.min || n > TOP_N.max) {
    throw new ApiError(
      400,
      'INVALID_N',
      `n must be an integer from ${TOP_N.min} to ${TOP_N.max}; got ${JSON.stringify(raw)}`,
    );
  }
  return n;
}

import { HitsConfigError, HitsKeyError } from './errors.js';
import { counterKeyOf, defaultHitKey, WINDOW_MS, type WindowName } from './layout.js';
import { keySlot } from './slot.js';
import type { HitTrackerOptions } from './types.js';

/** Longest key (and visitor) accepted, in UTF-8 bytes. Counter keys add about 20 bytes. */
export const MAX_KEY_BYTES = 512;
/** Default leaderboard sorted set. */
export const DEFAULT_LEADERBOARD_KEY = 'hits:leaderboard';
/** Default buffered flush interval, in milliseconds. */
export const DEFAULT_FLUSH_INTERVAL_MS = 1000;
/** Default number of distinct keys held in memory before an early flush. */
export const DEFAULT_MAX_PENDING_KEYS = 10_000;
/** Default most values held by the near cache. */
export const DEFAULT_CACHE_MAX_KEYS = 10_000;
/** Largest `n` accepted by `top(n)`. */
export const MAX_TOP = 10_000;

/** Options after validation, with defaults filled in. */
export interface ResolvedOptions {
  readonly mode: 'pipeline' | 'atomic';
  readonly hitKey: (key: string) => string;
  readonly customHitKey: boolean;
  readonly windows: readonly WindowName[];
  readonly leaderboardKey: string | undefined;
  readonly uniques: boolean;
  readonly buffer:
    | { readonly flushIntervalMs: number; readonly maxPendingKeys: number }
    | undefined;
  /** `ttlMs` is `Infinity` when not set. */
  readonly cache: { readonly maxKeys: number; readonly ttlMs: number } | undefined;
}

const KNOWN_OPTIONS = new Set([
  'redis',
  'hitKey',
  'mode',
  'windows',
  'leaderboard',
  'uniques',
  'buffer',
  'cache',
]);

function positiveInteger(value: unknown, name: string, fallback: number, max: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1 || value > max)
    throw new HitsConfigError(`${name} must be an integer from 1 to ${max}, got ${String(value)}`);
  return value;
}

function resolveWindows(windows: unknown): WindowName[] {
  if (windows === undefined) return [];
  if (!Array.isArray(windows))
    throw new HitsConfigError("options.windows must be an array of 'minute', 'hour' or 'day'");
  const seen = new Set<WindowName>();
  for (const name of windows) {
    if (typeof name !== 'string' || !Object.hasOwn(WINDOW_MS, name))
      throw new HitsConfigError(
        `options.windows: unknown window ${JSON.stringify(name)}; allowed: 'minute', 'hour', 'day'`,
      );
    seen.add(name as WindowName);
  }
  return (['minute', 'hour', 'day'] as const).filter((name) => seen.has(name));
}

function resolveLeaderboard(leaderboard: unknown): string | undefined {
  if (leaderboard === undefined || leaderboard === false) return undefined;
  if (leaderboard === true) return DEFAULT_LEADERBOARD_KEY;
  if (typeof leaderboard === 'object' && leaderboard !== null) {
    const key = (leaderboard as { key?: unknown }).key;
    if (key === undefined) return DEFAULT_LEADERBOARD_KEY;
    if (typeof key === 'string' && key.length > 0) return key;
  }
  throw new HitsConfigError(
    'options.leaderboard must be true, false or { key?: string } with a non-empty key',
  );
}

function resolveCache(cache: unknown, mode: 'pipeline' | 'atomic'): ResolvedOptions['cache'] {
  if (cache === undefined || cache === false) return undefined;
  if (typeof cache !== 'object' || cache === null)
    throw new HitsConfigError(
      'options.cache must be false or { maxKeys?: number; ttlMs?: number }',
    );
  const { maxKeys, ttlMs } = cache as Record<string, unknown>;
  if (ttlMs !== undefined && (typeof ttlMs !== 'number' || !(ttlMs > 0) || !Number.isFinite(ttlMs)))
    throw new HitsConfigError(
      `options.cache.ttlMs must be a number of milliseconds above 0, got ${String(ttlMs)}`,
    );
  if (mode === 'atomic')
    throw new HitsConfigError(
      "mode 'atomic' cannot be combined with cache: a value served from memory cannot move " +
        "together with its counters; use mode 'pipeline' with cache",
    );
  return {
    maxKeys: positiveInteger(maxKeys, 'options.cache.maxKeys', DEFAULT_CACHE_MAX_KEYS, 10_000_000),
    ttlMs: ttlMs ?? Number.POSITIVE_INFINITY,
  };
}

/** Validate `options` (except `redis`, checked by the client module) and fill in defaults. */
export function resolveOptions(options: HitTrackerOptions): ResolvedOptions {
  if (typeof options !== 'object' || options === null)
    throw new HitsConfigError('createHitTracker(options): options must be an object');
  for (const name of Object.keys(options))
    if (!KNOWN_OPTIONS.has(name))
      throw new HitsConfigError(
        `unknown option ${JSON.stringify(name)}; allowed: ${[...KNOWN_OPTIONS].join(', ')}`,
      );
  const mode = options.mode ?? 'pipeline';
  if (mode !== 'pipeline' && mode !== 'atomic')
    throw new HitsConfigError(
      `options.mode must be 'pipeline' or 'atomic', got ${JSON.stringify(mode)}`,
    );
  if (options.hitKey !== undefined && typeof options.hitKey !== 'function')
    throw new HitsConfigError('options.hitKey must be a function (key: string) => string');
  if (options.uniques !== undefined && typeof options.uniques !== 'boolean')
    throw new HitsConfigError('options.uniques must be a boolean');
  let buffer: ResolvedOptions['buffer'];
  const rawBuffer: unknown = options.buffer;
  if (rawBuffer !== undefined && rawBuffer !== false) {
    if (typeof rawBuffer !== 'object' || rawBuffer === null)
      throw new HitsConfigError(
        'options.buffer must be false or { flushIntervalMs?: number; maxPendingKeys?: number }',
      );
    const { flushIntervalMs, maxPendingKeys } = rawBuffer as Record<string, unknown>;
    buffer = {
      flushIntervalMs: positiveInteger(
        flushIntervalMs,
        'options.buffer.flushIntervalMs',
        DEFAULT_FLUSH_INTERVAL_MS,
        2_147_483_647,
      ),
      maxPendingKeys: positiveInteger(
        maxPendingKeys,
        'options.buffer.maxPendingKeys',
        DEFAULT_MAX_PENDING_KEYS,
        10_000_000,
      ),
    };
    if (mode === 'atomic')
      throw new HitsConfigError(
        "mode 'atomic' cannot be combined with buffer: buffered hits are written later, so the " +
          "value and the counters cannot move together; use mode 'pipeline' with buffer",
      );
  }
  return {
    mode,
    cache: resolveCache(options.cache, mode),
    hitKey: options.hitKey ?? defaultHitKey,
    customHitKey: options.hitKey !== undefined,
    windows: resolveWindows(options.windows),
    leaderboardKey: resolveLeaderboard(options.leaderboard),
    uniques: options.uniques ?? false,
    buffer,
  };
}

function byteLength(text: string): number {
  // Every UTF-16 unit is at most 3 UTF-8 bytes: skip the count for short strings.
  return text.length * 3 <= MAX_KEY_BYTES ? text.length : Buffer.byteLength(text, 'utf8');
}

/** Throw {@link HitsKeyError} unless `key` is a non-empty string of at most 512 UTF-8 bytes. */
export function checkKey(key: unknown, what = 'key'): asserts key is string {
  if (typeof key !== 'string')
    throw new HitsKeyError(`${what} must be a string, got ${key === null ? 'null' : typeof key}`);
  if (key.length === 0) throw new HitsKeyError(`${what} must not be empty`);
  if (byteLength(key) > MAX_KEY_BYTES)
    throw new HitsKeyError(
      `${what} is ${Buffer.byteLength(key, 'utf8')} bytes; at most ${MAX_KEY_BYTES} bytes are allowed`,
    );
}

/** Throw {@link HitsKeyError} unless `visitor` is undefined or a valid non-empty string. */
export function checkVisitor(options: unknown): string | undefined {
  if (options === undefined) return undefined;
  if (typeof options !== 'object' || options === null)
    throw new HitsKeyError('options must be an object like { visitor?: string }');
  const visitor = (options as { visitor?: unknown }).visitor;
  if (visitor === undefined) return undefined;
  checkKey(visitor, 'options.visitor');
  return visitor;
}

/** Sample keys used to check at construction that a custom `hitKey` keeps counters in-slot. */
export const PROBE_KEYS: readonly string[] = [
  'a',
  'name',
  'user:1000:profile',
  'page:/index.html',
  '{user1000}.following',
  'foo{}{bar}',
  '{}{x}',
  'a{b',
  'a}b{c',
  'ключ',
  '鍵{タグ}',
];

/** A probe key whose counter is not in that key's slot, or undefined when every counter is. */
export function keyOutsideItsSlot(options: ResolvedOptions): string | undefined {
  for (const key of PROBE_KEYS) {
    const counter = counterKeyOf(options, key);
    if (keySlot(counter) !== keySlot(key)) return key;
  }
  return undefined;
}

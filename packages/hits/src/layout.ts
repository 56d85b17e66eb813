import { HitsConfigError } from './errors.js';
import type { ResolvedOptions } from './options.js';
import { keySlot, slotTag } from './slot.js';

/** Names of the fixed windows a tracker can count. */
export type WindowName = 'minute' | 'hour' | 'day';

/** Length of each window in milliseconds. */
export const WINDOW_MS: Readonly<Record<WindowName, number>> = {
  minute: 60_000,
  hour: 3_600_000,
  day: 86_400_000,
};

/**
 * Seconds a window key outlives its window, so app servers whose clocks differ a little
 * still write into a live key instead of one that expires at once.
 */
export const WINDOW_GRACE_SECONDS = 60;

/**
 * Where a key's total hit counter lives by default: `{<tag>}:hits:total:<key>`, where `<tag>` is
 * the slot tag of the key's own hash slot ({@link slotTagOfKey}). The counter is therefore in
 * the same slot as the key for every key, including keys with `{tags}`, an empty `{}` or
 * unbalanced braces, so one node serves both on a Cluster.
 *
 * @example defaultHitKey('name') === '{j83}:hits:total:name'
 */
export function defaultHitKey(key: string): string {
  return defaultHitKeyIn(keySlot(key), key);
}

/** {@link defaultHitKey} of a key whose hash slot is known. */
function defaultHitKeyIn(slot: number, key: string): string {
  return `{${slotTag(slot)}}:hits:total:${key}`;
}

/**
 * The `${key}${suffix}` counter scheme (default suffix `_hit`), for data written by code that
 * kept counters at `${key}_hit`. On a Cluster the counter is usually in another slot than the
 * key: fine in `pipeline` mode (one round trip per node), refused in `atomic` mode.
 */
export function suffixHitKey(suffix = '_hit'): (key: string) => string {
  if (typeof suffix !== 'string' || suffix.length === 0)
    throw new TypeError('suffixHitKey(suffix): suffix must be a non-empty string');
  return (key: string) => key + suffix;
}

/** The tag that puts a key in the same slot as `key`: `slotTag(keySlot(key))`. */
export function slotTagOfKey(key: string): string {
  return slotTag(keySlot(key));
}

/** Index of the fixed window containing `nowMs` (milliseconds since the epoch, UTC). */
export function windowIndex(name: WindowName, nowMs: number): number {
  return Math.floor(nowMs / WINDOW_MS[name]);
}

/** TTL in seconds for a window key written at `nowMs`: rest of the window plus the grace. */
export function windowTtlSeconds(name: WindowName, index: number, nowMs: number): number {
  const endMs = (index + 1) * WINDOW_MS[name];
  return Math.max(1, Math.ceil((endMs - nowMs) / 1000)) + WINDOW_GRACE_SECONDS;
}

/**
 * Companion keys (windows, uniques) of a key whose counter is `counterKey`. They carry the slot
 * tag of the counter's slot, so they always share the counter's slot (an atomic script can touch
 * them together), and a fixed kind word precedes the name, so the layout is injective.
 * With the default counter the name is the key (`{t}:hits:minute:<n>:<key>`); with a custom
 * `hitKey` it is the counter key, so trackers with different counters never share companions.
 */
export interface CompanionKeys {
  window(name: WindowName, index: number): string;
  readonly uniques: string;
}

export function companionKeys(key: string, counterKey: string, custom: boolean): CompanionKeys {
  return companionsTagged(slotTagOfKey(counterKey), custom ? counterKey : key);
}

/** {@link companionKeys} from the counter slot's tag and the name they carry. */
function companionsTagged(tag: string, name: string): CompanionKeys {
  const base = `{${tag}}:hits:`;
  return {
    window: (kind, index) => `${base}${kind}:${index}:${name}`,
    uniques: `${base}uniques:${name}`,
  };
}

/** The counter key of `key`, checked: a string that is not `key` itself. */
export function counterKeyOf(
  options: Pick<ResolvedOptions, 'hitKey' | 'customHitKey'>,
  key: string,
): string {
  const counter = options.hitKey(key);
  if (!options.customHitKey) return counter;
  if (typeof counter !== 'string' || counter.length === 0 || counter === key)
    throw new HitsConfigError(
      `options.hitKey(${JSON.stringify(key)}) returned ${JSON.stringify(counter)}; it must return ` +
        'a non-empty string different from the key',
    );
  return counter;
}

/** Every key derived from one user key at one moment, with the slots that route them. */
export interface CounterKeys {
  readonly counter: string;
  /** Hash slot of the counter (and of every companion); -1 when not on a Cluster. */
  readonly counterSlot: number;
  /** Hash slot of the user key; -1 when not on a Cluster. */
  readonly keySlot: number;
  readonly companions: CompanionKeys | undefined;
  readonly windows: ReadonlyArray<{ key: string; ttl: number; name: WindowName; index: number }>;
}

const NO_WINDOWS: CounterKeys['windows'] = Object.freeze([]);

/** The counter, window and uniques keys of `key` at `nowMs`. Throws if `hitKey` misbehaves. */
export function counterKeys(
  options: ResolvedOptions,
  isCluster: boolean,
  nowMs: number,
  key: string,
): CounterKeys {
  // The default counter carries the key's own slot tag: it is computed once for the counter,
  // its slot and the companions (a CRC16 per key and call is most of this function's cost).
  const slot = options.customHitKey ? -1 : keySlot(key);
  const counter = slot < 0 ? counterKeyOf(options, key) : defaultHitKeyIn(slot, key);
  const companions =
    options.windows.length > 0 || options.uniques
      ? slot < 0
        ? companionKeys(key, counter, true)
        : companionsTagged(slotTag(slot), key)
      : undefined;
  const windows =
    options.windows.length === 0
      ? NO_WINDOWS
      : options.windows.map((name) => {
          const index = windowIndex(name, nowMs);
          return {
            key: (companions as CompanionKeys).window(name, index),
            ttl: windowTtlSeconds(name, index, nowMs),
            name,
            index,
          };
        });
  return {
    counter,
    counterSlot: isCluster ? (slot < 0 ? keySlot(counter) : slot) : -1,
    keySlot: isCluster ? (slot < 0 ? keySlot(key) : slot) : -1,
    companions,
    windows,
  };
}

/**
 * Where a buffered flush stores the number of the last batch it applied, per tracker (`writer`),
 * hash slot (`slot`, -1 when not on a Cluster) and lane: in the slot it writes, so the flush
 * script can declare it with the counters it updates.
 */
export function flushSequenceKey(slot: number, writer: string, lane: number): string {
  return `${slot < 0 ? '' : `{${slotTag(slot)}}:`}hits:flushed:${writer}:${lane}`;
}

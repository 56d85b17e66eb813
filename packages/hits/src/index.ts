export { FLUSH_DEDUP_SECONDS } from './buffer.js';
export type { CacheStats } from './cache.js';
export {
  HitsClosedError,
  HitsConfigError,
  HitsError,
  type HitsErrorCode,
  HitsFlushError,
  HitsKeyError,
  HitsLeaderboardError,
} from './errors.js';
export {
  defaultHitKey,
  slotTagOfKey,
  suffixHitKey,
  WINDOW_GRACE_SECONDS,
  type WindowName,
} from './layout.js';
export { DEFAULT_CACHE_MAX_KEYS, DEFAULT_LEADERBOARD_KEY, MAX_KEY_BYTES } from './options.js';
export { keySlot, slotTag } from './slot.js';
export { createHitTracker } from './tracker.js';
export type {
  HitOptions,
  HitResult,
  HitTracker,
  HitTrackerOptions,
  HitTrackerStats,
} from './types.js';

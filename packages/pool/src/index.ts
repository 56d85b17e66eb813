export { CHANNEL_PREFIX, type PoolChannelMessage } from './diagnostics.js';
export {
  PoolAuthError,
  PoolClosedError,
  PoolConfigError,
  PoolConnectionLostError,
  PoolError,
  type PoolErrorCode,
  PoolLeaseReclaimedError,
  PoolLeaseReleasedError,
  PoolQueueFullError,
  PoolTimeoutError,
  PoolTlsError,
  PoolUnavailableError,
  PoolUnsupportedClientError,
} from './errors.js';
export { DEFAULT_URL, DEFAULTS } from './options.js';
export { createPool } from './pool.js';
export { closeAllPools, getPool } from './registry.js';
export type {
  AcquireOptions,
  BlockingLaneStats,
  CloseOptions,
  ClusterConfig,
  DestroyReason,
  GetPoolOptions,
  PoolEvent,
  PoolEventMap,
  PooledConnection,
  PoolHealth,
  PoolListener,
  PoolOptions,
  PoolStats,
  RedisClientOptions,
  RedisConnection,
  RedisPool,
  WaitTimeStats,
} from './types.js';
export { type ParsedRedisUrl, parseRedisUrl, redactUrl } from './url.js';

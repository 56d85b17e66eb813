import { isIP } from 'node:net';
import { PoolConfigError } from './errors.js';
import type { ClusterConfig, PoolOptions, RedisClientOptions } from './types.js';
import { parseRedisUrl, redactUrl } from './url.js';

/** The URL used when neither `url` nor `REDIS_URL` is given. */
export const DEFAULT_URL = 'redis://127.0.0.1:6379/0';

/** Defaults of every numeric option (ms unless noted). */
export const DEFAULTS: {
  readonly min: 0;
  readonly max: 10;
  readonly maxBlocking: 10;
  readonly acquireTimeoutMs: 5000;
  readonly maxWaiting: 1000;
  readonly idleTimeoutMs: 30000;
  readonly maxLifetimeMs: 1800000;
  readonly validateAfterIdleMs: 30000;
  readonly leakDetectionMs: 0;
  readonly leakReclaimMs: 0;
  readonly connectTimeoutMs: 5000;
  readonly commandTimeoutMs: 5000;
  readonly maxPendingCommands: 10000;
} = {
  min: 0,
  max: 10,
  maxBlocking: 10,
  acquireTimeoutMs: 5_000,
  maxWaiting: 1_000,
  idleTimeoutMs: 30_000,
  maxLifetimeMs: 1_800_000,
  validateAfterIdleMs: 30_000,
  leakDetectionMs: 0,
  leakReclaimMs: 0,
  connectTimeoutMs: 5_000,
  commandTimeoutMs: 5_000,
  // A local Redis answers about 100,000 commands a second, so a healthy client drains 10,000
  // in about 0.1 s and never comes near the bound; a hung server's backlog stays at a few MB.
  maxPendingCommands: 10_000,
} as const;

/** Default of `failFast`: refuse calls at once while Redis is known to be down. */
export const DEFAULT_FAIL_FAST = true;

/** Options after validation, with defaults filled in and the connection settings merged. */
export interface ResolvedPoolOptions {
  min: number;
  max: number;
  maxBlocking: number;
  acquireTimeoutMs: number;
  maxWaiting: number;
  idleTimeoutMs: number;
  maxLifetimeMs: number;
  lifetimeJitterMs: number;
  validateAfterIdleMs: number;
  leakDetectionMs: number;
  leakReclaimMs: number;
  connectTimeoutMs: number;
  commandTimeoutMs: number;
  failFast: boolean;
  maxPendingCommands: number;
  /** ioredis options every connection starts from (URL + `redis`). */
  redis: RedisClientOptions;
  cluster: ClusterConfig | undefined;
  /** Where the pool connects, safe to print. */
  target: string;
  /** Strings that must never appear in messages. */
  secrets: string[];
}

const KNOWN = new Set<string>([
  'url',
  'redis',
  'cluster',
  'lifetimeJitterMs',
  'failFast',
  ...Object.keys(DEFAULTS),
]);

function duration(
  options: PoolOptions,
  key: keyof typeof DEFAULTS | 'lifetimeJitterMs',
  fallback: number,
  { positive = false, integer = false } = {},
): number {
  const value: unknown = options[key];
  if (value === undefined) return fallback;
  const unit = key.endsWith('Ms') ? ' (ms)' : '';
  const allowed = `${positive ? 'a positive' : 'a non-negative'} finite ${integer ? 'integer' : 'number'}${unit}`;
  if (typeof value !== 'number' || !Number.isFinite(value)) {
    throw new PoolConfigError(key, `got ${String(value)}; must be ${allowed}`);
  }
  if (value < 0 || (positive && value === 0) || (integer && !Number.isInteger(value))) {
    throw new PoolConfigError(key, `got ${value}; must be ${allowed}`);
  }
  return value;
}

function clusterConfig(value: unknown): ClusterConfig | undefined {
  if (value === undefined) return undefined;
  const nodes = (value as { nodes?: unknown } | null)?.nodes;
  if (!Array.isArray(nodes) || nodes.length === 0) {
    throw new PoolConfigError(
      'cluster',
      'must be { nodes: [{ host, port }, …], options? } with at least one node',
    );
  }
  return value as ClusterConfig;
}

/** Validate `options`, fill in defaults, and merge URL + ioredis options. Throws `PoolConfigError`. */
export function resolveOptions(
  options: PoolOptions = {},
  env: NodeJS.ProcessEnv = process.env,
): ResolvedPoolOptions {
  if (typeof options !== 'object' || options === null) {
    throw new PoolConfigError('options', 'must be an object (or omitted)');
  }
  for (const key of Object.keys(options)) {
    if (!KNOWN.has(key) && key !== 'name') {
      throw new PoolConfigError(key, `unknown option; allowed: ${[...KNOWN].join(', ')}`);
    }
  }
  const min = duration(options, 'min', DEFAULTS.min, { integer: true });
  const max = duration(options, 'max', DEFAULTS.max, { integer: true, positive: true });
  if (max < min) throw new PoolConfigError('max', `got ${max}; must be >= min (${min})`);
  const maxLifetimeMs = duration(options, 'maxLifetimeMs', DEFAULTS.maxLifetimeMs);
  const lifetimeJitterMs = duration(options, 'lifetimeJitterMs', Math.round(maxLifetimeMs / 10));
  if (maxLifetimeMs > 0 && lifetimeJitterMs >= maxLifetimeMs) {
    throw new PoolConfigError(
      'lifetimeJitterMs',
      `got ${lifetimeJitterMs}; must be < maxLifetimeMs (${maxLifetimeMs})`,
    );
  }
  const connectTimeoutMs = duration(options, 'connectTimeoutMs', DEFAULTS.connectTimeoutMs, {
    positive: true,
  });
  const leakDetectionMs = duration(options, 'leakDetectionMs', DEFAULTS.leakDetectionMs);
  const leakReclaimMs = duration(options, 'leakReclaimMs', DEFAULTS.leakReclaimMs, {
    integer: true,
  });
  if (leakReclaimMs > 0 && leakReclaimMs < leakDetectionMs) {
    throw new PoolConfigError(
      'leakReclaimMs',
      `got ${leakReclaimMs}; must be 0 (off) or an integer >= leakDetectionMs (${leakDetectionMs}) ms, so a leak is reported before it is reclaimed`,
    );
  }

  const failFast = options.failFast ?? DEFAULT_FAIL_FAST;
  if (typeof failFast !== 'boolean') {
    throw new PoolConfigError('failFast', `got ${String(failFast)}; must be true or false`);
  }

  const rawUrl = options.url ?? env.REDIS_URL ?? DEFAULT_URL;
  if (typeof rawUrl !== 'string') throw new PoolConfigError('url', 'must be a string');
  const url = parseRedisUrl(rawUrl);
  if (
    options.redis !== undefined &&
    (typeof options.redis !== 'object' || options.redis === null)
  ) {
    throw new PoolConfigError('redis', 'must be an ioredis options object');
  }
  const redis: RedisClientOptions = {
    host: url.host,
    port: url.port,
    db: url.db,
    connectTimeout: connectTimeoutMs,
    ...(url.username !== undefined ? { username: url.username } : {}),
    ...(url.password !== undefined ? { password: url.password } : {}),
    ...options.redis,
  };
  // rediss:// turns TLS on; `redis.tls` (CA, client certificate…) adds to it rather than replacing it.
  // SNI names a host, never an address (RFC 6066; Node warns with DEP0123): an IP is verified
  // against the certificate's IP subjectAltNames without a server name.
  if (url.tls) {
    redis.tls = {
      ...(isIP(url.host) === 0 ? { servername: url.host } : {}),
      ...options.redis?.tls,
    };
  }
  const cluster = clusterConfig(options.cluster);
  const sentinel = redis.sentinels ? ` via sentinels (master "${redis.name ?? 'mymaster'}")` : '';
  const target = cluster
    ? `cluster ${cluster.nodes.map((n) => (typeof n === 'object' ? `${n.host}:${n.port}` : String(n))).join(',')}`
    : `${redactUrl(rawUrl)}${sentinel}`;

  return {
    min,
    max,
    maxBlocking: duration(options, 'maxBlocking', DEFAULTS.maxBlocking, {
      integer: true,
      positive: true,
    }),
    acquireTimeoutMs: duration(options, 'acquireTimeoutMs', DEFAULTS.acquireTimeoutMs, {
      positive: true,
    }),
    maxWaiting: duration(options, 'maxWaiting', DEFAULTS.maxWaiting, { integer: true }),
    idleTimeoutMs: duration(options, 'idleTimeoutMs', DEFAULTS.idleTimeoutMs),
    maxLifetimeMs,
    lifetimeJitterMs,
    validateAfterIdleMs: duration(options, 'validateAfterIdleMs', DEFAULTS.validateAfterIdleMs),
    leakDetectionMs,
    leakReclaimMs,
    connectTimeoutMs,
    commandTimeoutMs: duration(options, 'commandTimeoutMs', DEFAULTS.commandTimeoutMs, {
      positive: true,
    }),
    failFast,
    maxPendingCommands: duration(options, 'maxPendingCommands', DEFAULTS.maxPendingCommands, {
      integer: true,
      positive: true,
    }),
    redis,
    cluster,
    target,
    secrets: [
      url.password,
      options.redis?.password,
      options.redis?.sentinelPassword,
      cluster?.options?.redisOptions?.password,
    ].filter((s): s is string => typeof s === 'string' && s !== ''),
  };
}

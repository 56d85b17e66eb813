/** Stable codes of every error this package throws. */
export type PoolErrorCode =
  | 'POOL_ERROR'
  | 'POOL_ACQUIRE_TIMEOUT'
  | 'POOL_QUEUE_FULL'
  | 'POOL_CLOSED'
  | 'POOL_INVALID_OPTIONS'
  | 'POOL_AUTH_FAILED'
  | 'POOL_LEASE_RELEASED'
  | 'POOL_LEASE_RECLAIMED'
  | 'POOL_CONNECTION_LOST'
  | 'POOL_UNSUPPORTED_CLIENT';

/** Base class of every pool error; match on `code`, not on the message. */
export class PoolError extends Error {
  override readonly name: string = 'PoolError';
  readonly code: PoolErrorCode;

  constructor(message: string, options?: { cause?: unknown; code?: PoolErrorCode }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.code = options?.code ?? 'POOL_ERROR';
  }
}

/** No connection became free within the acquire timeout. The message carries the last connection error and stats. */
export class PoolTimeoutError extends PoolError {
  override readonly name: string = 'PoolTimeoutError';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, { ...options, code: 'POOL_ACQUIRE_TIMEOUT' });
  }
}

/** `maxWaiting` acquires were already waiting; this one was refused at once. */
export class PoolQueueFullError extends PoolError {
  override readonly name: string = 'PoolQueueFullError';
  constructor(message: string) {
    super(message, { code: 'POOL_QUEUE_FULL' });
  }
}

/** The pool was closed (or is closing). */
export class PoolClosedError extends PoolError {
  override readonly name: string = 'PoolClosedError';
  constructor(message: string) {
    super(message, { code: 'POOL_CLOSED' });
  }
}

/** An option is invalid; the message names it and says what is allowed. */
export class PoolConfigError extends PoolError {
  override readonly name: string = 'PoolConfigError';
  /** The offending option, e.g. `max`. */
  readonly option: string;
  constructor(option: string, message: string) {
    super(`Invalid pool option \`${option}\`: ${message}`, { code: 'POOL_INVALID_OPTIONS' });
    this.option = option;
  }
}

/** Redis refused the credentials (WRONGPASS/NOAUTH). Retrying will not help until they are fixed. */
export class PoolAuthError extends PoolError {
  override readonly name: string = 'PoolAuthError';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, { ...options, code: 'POOL_AUTH_FAILED' });
  }
}

/** A lease was used after `release()` or `destroy()`. */
export class PoolLeaseReleasedError extends PoolError {
  override readonly name: string = 'PoolLeaseReleasedError';
  constructor() {
    super(
      'This pooled connection was already released; acquire a new one instead of keeping a reference.',
      { code: 'POOL_LEASE_RELEASED' },
    );
  }
}

/**
 * A lease was held longer than `leakReclaimMs` and the pool took its connection back (and
 * closed it): every later command on it rejects with this error, and `release()` does nothing.
 */
export class PoolLeaseReclaimedError extends PoolError {
  override readonly name: string = 'PoolLeaseReclaimedError';
  /** How long the lease had been held when it was reclaimed (ms). */
  readonly heldMs: number;
  /** The pool's `leakReclaimMs`. */
  readonly leakReclaimMs: number;
  constructor(heldMs: number, leakReclaimMs: number) {
    super(
      `This lease was held for ${heldMs} ms, longer than leakReclaimMs (${leakReclaimMs} ms), so the pool took its connection back and closed it. Release every lease when done (pool.use() does it for you), acquire a new one for more work, or raise leakReclaimMs if work legitimately holds a connection this long.`,
      { code: 'POOL_LEASE_RECLAIMED' },
    );
    this.heldMs = heldMs;
    this.leakReclaimMs = leakReclaimMs;
  }
}

/**
 * The shared client's connection closed after a command was written and before its reply
 * arrived. Redis may or may not have applied it; the pool does not send it again.
 */
export class PoolConnectionLostError extends PoolError {
  override readonly name: string = 'PoolConnectionLostError';
  constructor() {
    super(
      'The connection to Redis closed before the reply arrived: the command may or may not have been applied, and it will not be sent again. Retry only if applying it twice is safe.',
      { code: 'POOL_CONNECTION_LOST' },
    );
  }
}

/**
 * The ioredis client (or the installed ioredis) lacks an internal member the pool's transport
 * relies on: an ioredis version outside the range `@hitpool/pool` declares. `members` names them.
 */
export class PoolUnsupportedClientError extends PoolError {
  override readonly name: string = 'PoolUnsupportedClientError';
  /** The missing members, e.g. `Redis#commandQueue`. */
  readonly members: readonly string[];
  constructor(members: readonly string[], ioredisVersion: string) {
    super(
      `ioredis ${ioredisVersion} lacks ${members.join(', ')}, which @hitpool relies on. Install an ioredis version within the range @hitpool/pool declares as its dependency.`,
      { code: 'POOL_UNSUPPORTED_CLIENT' },
    );
    this.members = members;
  }
}

const AUTH_FAILURE = /WRONGPASS|NOAUTH|invalid username-password|invalid password/i;

/** True when `error` is Redis refusing credentials. */
export function isAuthFailure(error: unknown): boolean {
  return error instanceof Error && AUTH_FAILURE.test(error.message);
}

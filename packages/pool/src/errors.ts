/** Stable codes of every error this package throws. */
export type PoolErrorCode =
  | 'POOL_ERROR'
  | 'POOL_ACQUIRE_TIMEOUT'
  | 'POOL_QUEUE_FULL'
  | 'POOL_CLOSED'
  | 'POOL_ALREADY_INSTRUMENTED'
  | 'POOL_INVALID_OPTIONS'
  | 'POOL_AUTH_FAILED'
  | 'POOL_TLS_FAILED'
  | 'POOL_LEASE_RELEASED'
  | 'POOL_LEASE_RECLAIMED'
  | 'POOL_CONNECTION_LOST'
  | 'POOL_UNAVAILABLE'
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

/**
 * Refused at once because a bound was reached: `maxWaiting` acquires already waiting, or
 * `maxPendingCommands` commands already held unanswered by the shared `client` (or queued by a
 * hit tracker). Nothing was sent.
 */
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

/**
 * `instrumentPool` (`@hitpool/pool/otel`) was called for a pool it already instruments, which
 * would count every metric twice. Stop the first instrumentation (`shutdown()`) to start anew.
 */
export class PoolAlreadyInstrumentedError extends PoolError {
  override readonly name: string = 'PoolAlreadyInstrumentedError';
  constructor(message: string) {
    super(message, { code: 'POOL_ALREADY_INSTRUMENTED' });
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

/**
 * The server's TLS certificate failed verification (untrusted CA, expired, wrong name…).
 * Retrying will not help until the certificate or the `tls` options are fixed, so waiters fail
 * at once. `reason` is Node's verification code, e.g. `SELF_SIGNED_CERT_IN_CHAIN`.
 */
export class PoolTlsError extends PoolError {
  override readonly name: string = 'PoolTlsError';
  /** Node's / OpenSSL's verification code: `CERT_HAS_EXPIRED`, `ERR_TLS_CERT_ALTNAME_INVALID`… */
  readonly reason: string;
  constructor(reason: string, message: string, options?: { cause?: unknown }) {
    super(message, { ...options, code: 'POOL_TLS_FAILED' });
    this.reason = reason;
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
 * Redis is known to be unreachable (the pool's circuit breaker is open: `failFast`), so the call
 * was refused at once instead of waiting for a timeout. **Nothing was sent to Redis**: retrying
 * later is always safe. `cause` is the last connection error; `retryInMs` says when the pool next
 * probes Redis (until a probe succeeds, every call on `node` fails like this).
 */
export class PoolUnavailableError extends PoolError {
  override readonly name: string = 'PoolUnavailableError';
  /** What is unreachable: the pool's target, or `host:port` of a Cluster node. */
  readonly node: string;
  /** Milliseconds until the next probe (0 while one is running). */
  readonly retryInMs: number;
  constructor(message: string, node: string, retryInMs: number, options?: { cause?: unknown }) {
    super(message, { ...options, code: 'POOL_UNAVAILABLE' });
    this.node = node;
    this.retryInMs = retryInMs;
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

const MAX_CLIENTS = /max number of clients reached/i;

/**
 * True when Redis refused a connection because it has `maxclients` connections: the server is
 * up and busy, not unreachable (the pool waits for a connection instead of failing fast).
 */
export function isMaxClients(error: unknown): boolean {
  return error instanceof Error && MAX_CLIENTS.test(error.message);
}

/** True when `error` is Redis refusing credentials. */
export function isAuthFailure(error: unknown): boolean {
  return error instanceof Error && AUTH_FAILURE.test(error.message);
}

/** Certificate verification failures: Node's own, and OpenSSL's `X509_V_ERR_*` names. */
const TLS_VERIFY_CODES = new Set([
  'ERR_TLS_CERT_ALTNAME_INVALID',
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'CERT_REVOKED',
  'CERT_UNTRUSTED',
  'CERT_REJECTED',
  'CERT_SIGNATURE_FAILURE',
  'CERT_CHAIN_TOO_LONG',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_DECRYPT_CERT_SIGNATURE',
  'UNABLE_TO_DECODE_ISSUER_PUBLIC_KEY',
  'ERROR_IN_CERT_NOT_BEFORE_FIELD',
  'ERROR_IN_CERT_NOT_AFTER_FIELD',
  'INVALID_CA',
  'INVALID_PURPOSE',
  'PATH_LENGTH_EXCEEDED',
  'HOSTNAME_MISMATCH',
]);

/**
 * The verification code when `error` (or an error in its `cause` chain) is a TLS certificate
 * verification failure, such as `CERT_HAS_EXPIRED`; undefined for anything else (a refused
 * connection, a reset, a timeout are worth retrying, a bad certificate is not).
 */
export function tlsFailureReason(error: unknown): string | undefined {
  for (let e: unknown = error, depth = 0; e instanceof Error && depth < 5; depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && TLS_VERIFY_CODES.has(code)) return code;
    e = e.cause;
  }
  return undefined;
}

/** What to do about a certificate that failed verification with `reason`. */
export function tlsAdvice(reason: string): string {
  switch (reason) {
    case 'ERR_TLS_CERT_ALTNAME_INVALID':
    case 'HOSTNAME_MISMATCH':
      return 'connect with a host name the certificate lists (its subjectAltName), or set redis: { tls: { servername } } to one of them';
    case 'CERT_HAS_EXPIRED':
    case 'CERT_NOT_YET_VALID':
    case 'ERROR_IN_CERT_NOT_BEFORE_FIELD':
    case 'ERROR_IN_CERT_NOT_AFTER_FIELD':
      return "renew the server's certificate (or check this machine's clock)";
    default:
      return "pass the CA that signed the server's certificate as redis: { tls: { ca } }";
  }
}

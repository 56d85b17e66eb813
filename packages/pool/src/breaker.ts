/**
 * The circuit breaker of one endpoint (a standalone or Sentinel target, or one Cluster node):
 * it decides when Redis is known to be unreachable, so calls can fail at once instead of each
 * waiting for its own timeout, and it probes until Redis answers again.
 *
 * - **Opens** after {@link FAILURES_TO_OPEN} consecutive failures (no success between): a failed
 *   connection attempt (refused, reset, unreachable, connect timeout), a command of the shared
 *   client that timed out, or, after a first failure, a connection attempt still unanswered
 *   {@link STALL_MS} later (a server that accepts TCP but answers nothing: stopped, hung). One
 *   slow command is one failure: the breaker opens only if Redis then also leaves a fresh
 *   connection unanswered. An attempt that began before the last success does not count, and
 *   a connection waiting for ioredis's next retry has no attempt under way. `max number of
 *   clients reached`, wrong credentials and bad certificates are not failures here (the server
 *   is reachable).
 * - **While open** (`down`), every call is refused with `PoolUnavailableError`; one probe at a
 *   time (`probing`) tries to reach Redis, the first after 50 ms, then backing off to
 *   {@link PROBE_MAX_DELAY_MS} plus jitter; each gets {@link probeTimeout} to be answered.
 * - **Closes** (`up`) on the first success: a probe, or any connection that became ready.
 */
import { PoolUnavailableError } from './errors.js';
import type { PoolHealth } from './types.js';

/** Consecutive failures, with no success between, that open the breaker. */
export const FAILURES_TO_OPEN = 2;

/**
 * After a first failure, a connection attempt under way this long afterwards that has not
 * been answered counts as the second failure (ms). Bounds how long after a command timeout a
 * hung server is recognised: `commandTimeoutMs` + this.
 */
export const STALL_MS = 500;

/** Longest pause between two probes before jitter (ms): Redis serves again soon after it is back. */
export const PROBE_MAX_DELAY_MS = 250;

/** Time the first probe gets to connect and be answered (ms); each failed probe doubles it. */
export const PROBE_TIMEOUT_MS = 500;

/**
 * Time probe number `attempt` (1-based) gets, capped by `connectTimeoutMs`: short at first, so a
 * probe stuck on a dead network does not delay the next one, and longer as an outage goes on,
 * so a server that is merely slow to answer is still recognised.
 */
export function probeTimeout(attempt: number, connectTimeoutMs: number): number {
  return Math.min(connectTimeoutMs, PROBE_TIMEOUT_MS * 2 ** Math.min(10, attempt - 1));
}

/** Pause before probe number `attempt` (1-based): 50, 100, 200, then 250 ms, plus up to 50 ms jitter. */
export function probeDelay(attempt: number): number {
  return (
    Math.min(25 * 2 ** Math.max(1, attempt), PROBE_MAX_DELAY_MS) + Math.floor(Math.random() * 50)
  );
}

/** What a breaker needs from its owner. */
export interface BreakerHost {
  /** `failFast`: refuse calls while open, and probe. Without it the breaker only reports health. */
  readonly failFast: boolean;
  /** Age (ms) of the oldest connection attempt to this endpoint still under way, or -1. */
  attemptAge(): number;
  /**
   * Try once to reach the endpoint (probe number `attempt`, 1-based); resolves on success, with
   * the `host:port` it reached when known.
   */
  probe(attempt: number): Promise<string | undefined>;
  /**
   * The endpoint can move (a Sentinel master): a failure to reach another address than the one
   * that last answered is about a server that is no longer it, and does not count.
   */
  readonly movable: boolean;
  /** The breaker opened (`down`) or closed (`up`). */
  changed(breaker: Breaker, health: 'up' | 'down'): void;
  /** `error` without secrets in its message. */
  redact(error: Error): Error;
}

/** One endpoint's breaker; see the module comment. */
export class Breaker {
  /** True while calls are refused. Read on every call, so it is a plain field. */
  open = false;
  /** Calls refused (errors made by {@link unavailable}). */
  refused = 0;
  #health: PoolHealth = 'up';
  #failures = 0;
  /** `Date.now()` of the last success. */
  #succeededAt = 0;
  /** `host:port` that last answered, when the endpoint is {@link BreakerHost.movable}. */
  #answeredBy: string | undefined;
  #lastError: Error | undefined;
  #downSince = 0;
  #probes = 0;
  #probeToken = 0;
  #nextProbeAt = 0;
  #stallTimer: NodeJS.Timeout | undefined;
  #probeTimer: NodeJS.Timeout | undefined;
  #closed = false;

  constructor(
    /** What it guards, as messages name it: the pool's target or a node's `host:port`. */
    readonly node: string,
    private readonly host: BreakerHost,
  ) {}

  get health(): PoolHealth {
    return this.#health;
  }

  /** `Date.now()` when the next probe is due (while `down`). */
  get nextProbeAt(): number {
    return this.#nextProbeAt;
  }

  /** `Date.now()` when it last opened (0 if never). */
  get downSince(): number {
    return this.#downSince;
  }

  /** The last failure seen (not redacted), if any. */
  get lastError(): Error | undefined {
    return this.#lastError;
  }

  /**
   * Redis could not be reached: count it, and open on the {@link FAILURES_TO_OPEN}th in a row.
   * `startedAt` (`Date.now()`) is when the failed attempt began: one that began before the last
   * success is ignored, since Redis has answered since (after a failover, a reconnect still
   * aimed at the old master must not reopen the breaker the new master closed). For a
   * {@link BreakerHost.movable} endpoint, a failure to reach another address than the one that
   * last answered is ignored too: during a Sentinel failover a sentinel that has not caught up
   * still names the old master after another has named the new one.
   */
  failure(error: Error, startedAt: number = Date.now()): void {
    if (this.#closed || startedAt < this.#succeededAt) return;
    if (this.#answeredBy !== undefined) {
      const failedAt = addressOf(error);
      if (failedAt !== undefined && failedAt !== this.#answeredBy) return;
    }
    this.#lastError = error;
    // Already open: only a probe (or another success) changes that.
    if (this.#health !== 'up') return;
    this.#failures++;
    if (this.#failures >= FAILURES_TO_OPEN) {
      this.#trip();
      return;
    }
    this.#armStallCheck(STALL_MS, 1);
  }

  /** Redis answered (a connection became ready, a probe succeeded), at `address` if known: close. */
  success(address?: string): void {
    this.#succeededAt = Date.now();
    if (this.host.movable && address !== undefined) this.#answeredBy = address;
    this.#failures = 0;
    this.#clearStallCheck();
    if (this.#health === 'up') return;
    clearTimeout(this.#probeTimer);
    this.#probeTimer = undefined;
    this.#probeToken++;
    this.#probes = 0;
    this.#health = 'up';
    this.open = false;
    this.host.changed(this, 'up');
  }

  /** The error a refused call rejects with: never sent, when the next probe is due, the last error. */
  unavailable(): PoolUnavailableError {
    this.refused++;
    const probing = this.#health === 'probing';
    const retryInMs = probing ? 0 : Math.max(0, this.#nextProbeAt - Date.now());
    const cause = this.#lastError === undefined ? undefined : this.host.redact(this.#lastError);
    const last = cause === undefined ? '' : ` (last error: ${cause.message.replace(/\.+$/, '')})`;
    const next = probing
      ? 'a probe is checking it now'
      : `the next probe is due in ${retryInMs} ms`;
    return new PoolUnavailableError(
      `Redis at ${this.node} is unreachable${last}, so this call failed at once and nothing was sent to Redis; ${next}, and calls fail like this until one succeeds. Retrying later is safe; set failFast: false to wait up to acquireTimeoutMs / commandTimeoutMs instead.`,
      this.node,
      retryInMs,
      cause === undefined ? undefined : { cause },
    );
  }

  /** Stop every timer; the breaker stays as it is. */
  close(): void {
    this.#closed = true;
    this.#clearStallCheck();
    clearTimeout(this.#probeTimer);
    this.#probeTimer = undefined;
    this.#probeToken++;
  }

  #armStallCheck(delayMs: number, checksLeft: number): void {
    if (this.#stallTimer !== undefined) return;
    this.#stallTimer = setTimeout(() => {
      this.#stallTimer = undefined;
      if (this.#closed || this.#failures === 0 || this.#health !== 'up') return;
      // An attempt that only just started says nothing yet: it must have had half the window.
      if (this.host.attemptAge() >= STALL_MS / 2) {
        this.failure(
          new Error(
            `Redis left a connection attempt unanswered for ${STALL_MS / 2} ms or more after: ${this.#lastError?.message ?? 'a failure'}`,
            { cause: this.#lastError },
          ),
        );
      } else if (checksLeft > 0) {
        this.#armStallCheck(STALL_MS / 2, checksLeft - 1);
      }
    }, delayMs);
    // The pool's sockets keep a busy process alive; this timer alone must not.
    this.#stallTimer.unref();
  }

  #clearStallCheck(): void {
    clearTimeout(this.#stallTimer);
    this.#stallTimer = undefined;
  }

  #trip(): void {
    this.#clearStallCheck();
    this.#health = 'down';
    this.open = this.host.failFast;
    this.#downSince = Date.now();
    this.#probes = 0;
    if (this.host.failFast) this.#scheduleProbe();
    this.host.changed(this, 'down');
  }

  #scheduleProbe(): void {
    const delay = probeDelay(++this.#probes);
    this.#nextProbeAt = Date.now() + delay;
    this.#probeTimer = setTimeout(() => this.#probe(), delay);
    this.#probeTimer.unref();
  }

  #probe(): void {
    this.#probeTimer = undefined;
    if (this.#closed || this.#health === 'up') return;
    const token = ++this.#probeToken;
    this.#health = 'probing';
    this.host.probe(this.#probes).then(
      (address) => {
        if (token === this.#probeToken) this.success(address);
      },
      (error: unknown) => {
        if (token !== this.#probeToken || this.#closed) return;
        this.#lastError = error instanceof Error ? error : new Error(String(error));
        this.#health = 'down';
        this.#scheduleProbe();
      },
    );
  }
}

/** `host:port` a failed connect was aimed at (a socket error's `address` and `port`), if any. */
export function addressOf(error: Error): string | undefined {
  for (let e: unknown = error, depth = 0; e instanceof Error && depth < 5; depth++) {
    const { address, port } = e as { address?: unknown; port?: unknown };
    if (typeof address === 'string' && typeof port === 'number') return `${address}:${port}`;
    e = e.cause;
  }
  return undefined;
}

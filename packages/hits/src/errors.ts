/** Stable error codes thrown by `@hitpool/hits`. */
export type HitsErrorCode =
  | 'HITS_ERROR'
  | 'HITS_INVALID_OPTIONS'
  | 'HITS_INVALID_KEY'
  | 'HITS_NO_LEADERBOARD'
  | 'HITS_CLOSED'
  | 'HITS_FLUSH_FAILED';

/** Base class of every error this package throws; check `code`, not the message. */
export class HitsError extends Error {
  override readonly name: string = 'HitsError';
  readonly code: HitsErrorCode;

  constructor(message: string, options: { code?: HitsErrorCode; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = options.code ?? 'HITS_ERROR';
  }
}

/** `createHitTracker` options that are invalid or cannot be honoured (code `HITS_INVALID_OPTIONS`). */
export class HitsConfigError extends HitsError {
  override readonly name: string = 'HitsConfigError';

  constructor(message: string, options: { cause?: unknown } = {}) {
    super(message, { ...options, code: 'HITS_INVALID_OPTIONS' });
  }
}

/** A key or visitor passed to a tracker method is invalid (code `HITS_INVALID_KEY`). */
export class HitsKeyError extends HitsError {
  override readonly name: string = 'HitsKeyError';

  constructor(message: string, options: { cause?: unknown } = {}) {
    super(message, { ...options, code: 'HITS_INVALID_KEY' });
  }
}

/** `top()` was called on a tracker created without `leaderboard` (code `HITS_NO_LEADERBOARD`). */
export class HitsLeaderboardError extends HitsError {
  override readonly name: string = 'HitsLeaderboardError';

  constructor(message: string, options: { cause?: unknown } = {}) {
    super(message, { ...options, code: 'HITS_NO_LEADERBOARD' });
  }
}

/** A method was called after `close()` (code `HITS_CLOSED`). */
export class HitsClosedError extends HitsError {
  override readonly name: string = 'HitsClosedError';

  constructor(message = 'this hit tracker is closed; create a new one with createHitTracker()') {
    super(message, { code: 'HITS_CLOSED' });
  }
}

/**
 * Buffered hits could not be written (code `HITS_FLUSH_FAILED`). Emitted as an `error` event for
 * a failed flush (the hits are kept and retried) and for dropped hits (`dropped` says how many;
 * drops are merged into at most one event per flush interval).
 */
export class HitsFlushError extends HitsError {
  override readonly name: string = 'HitsFlushError';
  /** Hits given up on because of this failure (0 when they were kept for a retry). */
  readonly dropped: number;
  /** With `dropped` > 0: the first and last key whose hits were dropped since the last report. */
  readonly firstKey: string | undefined;
  readonly lastKey: string | undefined;

  constructor(
    message: string,
    options: { cause?: unknown; dropped?: number; firstKey?: string; lastKey?: string } = {},
  ) {
    super(message, { cause: options.cause, code: 'HITS_FLUSH_FAILED' });
    this.dropped = options.dropped ?? 0;
    this.firstKey = options.firstKey;
    this.lastKey = options.lastKey;
  }
}

/** Stable error codes of the HTTP API (`{ error: { code, message } }`). */
export type ApiErrorCode =
  | 'INVALID_KEY'
  | 'INVALID_VALUE'
  | 'VALUE_TOO_LARGE'
  | 'INVALID_N'
  | 'INVALID_BODY'
  | 'NOT_FOUND'
  | 'REDIS_UNAVAILABLE'
  | 'REDIS_ERROR'
  | 'SHUTTING_DOWN'
  | 'INTERNAL';

/** An error the API answers with: HTTP status, stable code, and a message saying what to do. */
export class ApiError extends Error {
  override readonly name = 'ApiError';
  constructor(
    readonly statusCode: number,
    readonly code: ApiErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }

  /** The JSON body sent to the client. */
  toJSON(): { error: { code: ApiErrorCode; message: string } } {
    return { error: { code: this.code, message: this.message } };
  }
}

import { HitsClosedError, HitsError } from '@hitpool/hits';
import { PoolClosedError } from '@hitpool/pool';

/**
 * An error from a Redis call, as the API reports it: a closed pool or tracker
 * (shutting down) is a 503; a reply error (Redis answered "no") or a tracker
 * refusing input is a 500; anything else (refused, reset, timed out, pool
 * timeout) means Redis is unreachable right now: 503, and the pool reconnects
 * on its own.
 */
export function redisFailure(error: unknown): ApiError {
  const name = error instanceof Error ? error.name : '';
  const detail = error instanceof Error ? error.message : String(error);
  if (error instanceof PoolClosedError || error instanceof HitsClosedError) {
    return new ApiError(
      503,
      'SHUTTING_DOWN',
      'the server is shutting down; retry on another instance',
      {
        cause: error,
      },
    );
  }
  // Our validation runs first, so a tracker refusing input is a bug here, not a client error.
  if (error instanceof HitsError) {
    return new ApiError(500, 'INTERNAL', `the hit tracker refused the call: ${detail}`, {
      cause: error,
    });
  }
  if (name === 'ReplyError') {
    return new ApiError(500, 'REDIS_ERROR', `Redis refused the command: ${detail}`, {
      cause: error,
    });
  }
  return new ApiError(
    503,
    'REDIS_UNAVAILABLE',
    `Redis is unavailable (${detail}). The app reconnects by itself; retry in a moment.`,
    { cause: error },
  );
}

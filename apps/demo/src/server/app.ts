import { createHitTracker, type HitTracker } from '@hitpool/hits';
import { getPool, type RedisPool } from '@hitpool/pool';
import Fastify, { type FastifyError, type FastifyInstance } from 'fastify';
import type { ServerConfig } from './config.js';
import { type AppContext, itemKeys } from './context.js';
import { ApiError } from './errors.js';
import { createMetrics } from './metrics.js';
import { apiRoutes } from './routes/api.js';
import { dashboardRoutes } from './routes/dashboard.js';
import { opsRoutes } from './routes/ops.js';
import { MAX_VALUE_BYTES } from './validation.js';

/** Fail fast while Redis is down (ms): a request gets its 503 in about a second. */
const REDIS_TIMEOUT_MS = 1000;

/** The web app with its pool and tracker; `app.close()` flushes hits and closes the pool. */
export interface DemoApp {
  readonly app: FastifyInstance;
  readonly pool: RedisPool;
  readonly tracker: HitTracker;
}

function toApiError(error: FastifyError | ApiError | Error): ApiError {
  if (error instanceof ApiError) return error;
  const code = 'code' in error ? error.code : undefined;
  if (code === 'FST_ERR_CTP_BODY_TOO_LARGE') {
    return new ApiError(
      400,
      'VALUE_TOO_LARGE',
      `value must be at most ${MAX_VALUE_BYTES} bytes (64 KiB)`,
    );
  }
  const status = 'statusCode' in error ? error.statusCode : undefined;
  if (typeof status === 'number' && status >= 400 && status < 500) {
    return new ApiError(
      400,
      'INVALID_BODY',
      `${error.message}; send text/plain or application/json`,
    );
  }
  return new ApiError(500, 'INTERNAL', 'unexpected error; see the server log', { cause: error });
}

/**
 * Build the app: one pool (via `getPool`) and one buffered hit tracker for
 * the process, the routes, JSON errors, metrics, and a close hook that flushes
 * buffered hits before closing the pool.
 */
export function buildApp(
  config: Pick<ServerConfig, 'redisUrl' | 'keyPrefix' | 'flushIntervalMs'>,
): DemoApp {
  const pool = getPool({
    name: `hitpool-demo ${config.keyPrefix}`,
    url: config.redisUrl,
    connectTimeoutMs: REDIS_TIMEOUT_MS,
    commandTimeoutMs: REDIS_TIMEOUT_MS,
    acquireTimeoutMs: REDIS_TIMEOUT_MS,
  });
  pool.on('error', () => undefined);
  const tracker = createHitTracker({
    redis: pool,
    windows: ['minute', 'hour', 'day'],
    leaderboard: { key: `${config.keyPrefix}top` },
    uniques: true,
    buffer: { flushIntervalMs: config.flushIntervalMs },
    // Values served from memory until Redis reports them changed; the counts are still read.
    cache: {},
  });
  // While Redis is down every flush fails; say so once per message and interval, not per flush.
  let lastLog = { message: '', at: 0 };
  tracker.on('error', (error) => {
    const now = Date.now();
    if (error.message === lastLog.message && now - lastLog.at < 10_000) return;
    lastLog = { message: error.message, at: now };
    process.stderr.write(`hit tracker: ${error.message}\n`);
  });
  const metrics = createMetrics(pool, tracker);
  const ctx: AppContext = { pool, tracker, metrics, ...itemKeys(config.keyPrefix) };

  const app = Fastify({
    logger: false,
    // Longer than the longest valid key (256 characters, percent-encoded up to 12 bytes each)
    // so long keys reach validation and get a 400 rather than a 404.
    routerOptions: { maxParamLength: 4096 },
    bodyLimit: 2 * MAX_VALUE_BYTES,
    // Requests that arrive while closing get our JSON 503 (below) instead of Fastify's.
    return503OnClosing: false,
  });
  app.setErrorHandler((error, _request, reply) => {
    const apiError = toApiError(error as FastifyError);
    if (apiError.statusCode >= 500 && apiError.code === 'INTERNAL')
      process.stderr.write(`${error}\n`);
    return reply.code(apiError.statusCode).send(apiError.toJSON());
  });
  app.setNotFoundHandler((request, reply) =>
    reply
      .code(404)
      .send(
        new ApiError(
          404,
          'NOT_FOUND',
          `no route ${request.method} ${request.url.split('?')[0]}; the API is under /api, the dashboard at /`,
        ).toJSON(),
      ),
  );
  app.addHook('onResponse', async (request, reply) => {
    metrics.observeRequest(
      request.method,
      request.routeOptions.url ?? 'unmatched',
      reply.statusCode,
      reply.elapsedTime / 1000,
    );
  });
  // Keep-alive connections that are busy when close() starts would stay open after their
  // response (server.close() only drops the idle ones once), holding shutdown until the
  // client lets go: tell those clients to close, and refuse new requests on them.
  let closing = false;
  app.addHook('preClose', async () => {
    closing = true;
  });
  app.addHook('onRequest', async (_request, reply) => {
    if (!closing) return;
    const error = new ApiError(503, 'SHUTTING_DOWN', 'the server is shutting down; retry shortly');
    return reply.code(503).send(error.toJSON());
  });
  app.addHook('onSend', async (_request, reply) => {
    if (closing) reply.header('connection', 'close');
  });
  app.addHook('onClose', async () => {
    // After in-flight requests finished: write every buffered hit, then let go of Redis.
    await tracker.close();
    await metrics.close();
    await pool.close();
  });

  apiRoutes(app, ctx);
  opsRoutes(app, ctx);
  dashboardRoutes(app);
  return { app, pool, tracker };
}

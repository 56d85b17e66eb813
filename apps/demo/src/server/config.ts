/** Settings of the web app, from the environment. */
export interface ServerConfig {
  /** `HOST`, default `127.0.0.1`. */
  host: string;
  /** `PORT`, default 3000 (0 picks a free port). */
  port: number;
  /** `REDIS_URL`, default `redis://127.0.0.1:6379`. */
  redisUrl: string;
  /** `KEY_PREFIX`: every Redis key the app writes starts with it. Default `hitpool-demo:`. */
  keyPrefix: string;
  /** `FLUSH_INTERVAL_MS`: how often buffered hits are written. Default 500 ms. */
  flushIntervalMs: number;
}

/** Read and check the environment; throws naming the variable when one is wrong. */
export function configFromEnv(env: NodeJS.ProcessEnv = process.env): ServerConfig {
  const port = Number(env.PORT ?? 3000);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new Error(`PORT must be an integer from 0 to 65535, got "${env.PORT}"`);
  }
  const flushIntervalMs = Number(env.FLUSH_INTERVAL_MS ?? 500);
  if (!Number.isFinite(flushIntervalMs) || flushIntervalMs < 10) {
    throw new Error(
      `FLUSH_INTERVAL_MS must be a number of ms ≥ 10, got "${env.FLUSH_INTERVAL_MS}"`,
    );
  }
  return {
    host: env.HOST || '127.0.0.1',
    port,
    redisUrl: env.REDIS_URL || 'redis://127.0.0.1:6379',
    keyPrefix: env.KEY_PREFIX || 'hitpool-demo:',
    flushIntervalMs,
  };
}

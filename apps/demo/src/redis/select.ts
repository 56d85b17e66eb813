import { redactUrl } from '@hitpool/pool';
import { answersPing, findRedisServer, startRedisServer } from '@hitpool/testing';

/** How to get a redis-server, printed when none can be found. */
export const INSTALL_HINT: string =
  'Install Redis (Debian/Ubuntu: sudo apt-get install redis-server; macOS: brew install redis), ' +
  'point REDIS_SERVER at a redis-server binary, or set REDIS_URL to a Redis you already run.';

/** Where the Redis came from: `REDIS_URL`/`--url`, the local default port, or a server we started. */
export type RedisSource = 'url' | 'local' | 'private';

/** The Redis to use, and how to let go of it. */
export interface SelectedRedis {
  readonly url: string;
  /** `url` with any password replaced by `***`. */
  readonly safeUrl: string;
  readonly source: RedisSource;
  /** One sentence saying which Redis this is (credentials redacted). */
  readonly description: string;
  /** Stops the server when we started it; otherwise does nothing. */
  release(): Promise<void>;
}

/** Thrown when no Redis answers and no redis-server binary exists to start one. */
export class RedisNotFoundError extends Error {
  override readonly name = 'RedisNotFoundError';
  readonly code = 'DEMO_NO_REDIS';
}

/**
 * Pick a Redis: an explicit URL if given, else whatever answers at
 * 127.0.0.1:6379, else a private redis-server on a free port (no persistence,
 * `maxclients` as given) that `release()` stops.
 */
export async function selectRedis(options: {
  url?: string | undefined;
  /** `maxclients` of a private server. */
  maxclients: number;
  /** Start a private server even if 127.0.0.1:6379 answers. */
  forcePrivate?: boolean;
  /** The local port to try before starting a server; default 6379. */
  localPort?: number;
  /** Where to look for `redis-server` (`REDIS_SERVER`, `PATH`); default `process.env`. */
  env?: NodeJS.ProcessEnv;
}): Promise<SelectedRedis> {
  const localPort = options.localPort ?? 6379;
  const none = async () => undefined;
  if (options.url) {
    return {
      url: options.url,
      safeUrl: redactUrl(options.url),
      source: 'url',
      description: `using the Redis you named: ${redactUrl(options.url)}`,
      release: none,
    };
  }
  if (!options.forcePrivate && (await answersPing(localPort))) {
    return {
      url: `redis://127.0.0.1:${localPort}`,
      safeUrl: `redis://127.0.0.1:${localPort}`,
      source: 'local',
      description: `using the Redis already running at 127.0.0.1:${localPort} (its maxclients is not changed)`,
      release: none,
    };
  }
  const binary = findRedisServer(options.env);
  if (!binary) {
    throw new RedisNotFoundError(
      `No Redis answers at 127.0.0.1:${localPort} and no redis-server was found to start one. ${INSTALL_HINT}`,
    );
  }
  // The test harness's server: a free loopback port, no persistence, killed when this process
  // exits however it exits, and swept by the next start if this process died too hard for that.
  const server = await startRedisServer({ binary, maxclients: options.maxclients });
  return {
    url: server.url,
    safeUrl: server.url,
    source: 'private',
    description: `started a private redis-server at 127.0.0.1:${server.port} (maxclients ${options.maxclients}, no persistence); it stops on exit`,
    release: () => server.close(),
  };
}

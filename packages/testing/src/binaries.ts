import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';

/** Thrown when a Redis binary the tests need is not installed. */
export class RedisBinaryMissingError extends Error {
  override readonly name = 'RedisBinaryMissingError';
}

function findOnPath(name: string, path: string): string | undefined {
  for (const dir of path.split(delimiter)) {
    if (!dir) continue;
    const candidate = join(dir, name);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not in this directory
    }
  }
  return undefined;
}

/** `env[envVar]` if set, else the first executable `name` on `env.PATH`, else undefined. */
export function findBinary(
  name: string,
  envVar: string,
  env: NodeJS.ProcessEnv = process.env,
): string | undefined {
  return env[envVar] || findOnPath(name, env.PATH ?? '');
}

/** Path of `redis-server`: `REDIS_SERVER` if set, else the first one on `PATH`, else undefined. */
export function findRedisServer(env: NodeJS.ProcessEnv = process.env): string | undefined {
  return findBinary('redis-server', 'REDIS_SERVER', env);
}

const ENV_VARS = { 'redis-server': 'REDIS_SERVER', 'redis-cli': 'REDIS_CLI' } as const;
const located = new Map<string, string>();

/**
 * Path of `redis-server` or `redis-cli` (env `REDIS_SERVER` / `REDIS_CLI` win over `PATH`);
 * throws {@link RedisBinaryMissingError} when it is not installed.
 */
export function redisBinary(name: keyof typeof ENV_VARS): string {
  const envVar = ENV_VARS[name];
  const found = located.get(name) ?? findBinary(name, envVar);
  if (found === undefined)
    throw new RedisBinaryMissingError(
      `${name} was not found on PATH. Install Redis (Debian/Ubuntu: apt-get install redis-server; ` +
        `macOS: brew install redis) or point ${envVar} at the binary.`,
    );
  located.set(name, found);
  return found;
}

import { execFileSync } from 'node:child_process';

/** Thrown when a Redis binary the tests need is not installed. */
export class RedisBinaryMissingError extends Error {
  override readonly name = 'RedisBinaryMissingError';
}

function findOnPath(name: string): string | undefined {
  try {
    return (
      execFileSync('sh', ['-c', `command -v ${name}`], { encoding: 'utf8' }).trim() || undefined
    );
  } catch {
    return undefined;
  }
}

function locate(envVar: string, name: string): string {
  const fromEnv = process.env[envVar];
  if (fromEnv) return fromEnv;
  const found = findOnPath(name);
  if (found) return found;
  throw new RedisBinaryMissingError(
    `${name} was not found on PATH. Install Redis (Debian/Ubuntu: apt-get install redis-server; ` +
      `macOS: brew install redis) or point ${envVar} at the binary.`,
  );
}

let cached: { server: string; cli: string } | undefined;

/** Paths of `redis-server` and `redis-cli` (env `REDIS_SERVER` / `REDIS_CLI` win over PATH). */
export function redisBinaries(): { server: string; cli: string } {
  cached ??= {
    server: locate('REDIS_SERVER', 'redis-server'),
    cli: locate('REDIS_CLI', 'redis-cli'),
  };
  return cached;
}

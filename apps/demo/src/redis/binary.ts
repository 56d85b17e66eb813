import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';

/** How to get a redis-server, printed when none can be found. */
export const INSTALL_HINT: string =
  'Install Redis (Debian/Ubuntu: sudo apt-get install redis-server; macOS: brew install redis), ' +
  'point REDIS_SERVER at a redis-server binary, or set REDIS_URL to a Redis you already run.';

/** Path of `redis-server`: `REDIS_SERVER` if set, else the first one on `PATH`, else undefined. */
export function findRedisServer(env: NodeJS.ProcessEnv = process.env): string | undefined {
  if (env.REDIS_SERVER) return env.REDIS_SERVER;
  for (const dir of (env.PATH ?? '').split(delimiter)) {
    if (!dir) continue;
    const candidate = join(dir, 'redis-server');
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not in this directory
    }
  }
  return undefined;
}
